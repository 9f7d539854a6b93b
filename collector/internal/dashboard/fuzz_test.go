package dashboard

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext: whatever ?next a link carries, sign-in redirects to a
// path of this site, never to another host or a scheme.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"", "/", "/hosts?q=a", "//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/%2F%2Fevil", "/\t/evil.example", "/\n/evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsFunc(got, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
		u, err := url.Parse(got)
		if err == nil && (u.Host != "" || u.Scheme != "") {
			t.Fatalf("safeNext(%q) = %q names host %q scheme %q", next, got, u.Host, u.Scheme)
		}
	})
}
