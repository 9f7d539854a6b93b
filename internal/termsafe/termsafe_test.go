package termsafe

import (
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"db-17.example.net", "db-17.example.net"},
		{"", ""},
		{"Ünïcödé 東京 ✓", "Ünïcödé 東京 ✓"},
		{"evil\x1b[2J\x1b[Hhost", `evil\x1b[2J\x1b[Hhost`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\x07`},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"csi\u009b31m", `csi\u009b31m`},
		{"nel\u0085", `nel\u0085`},
		{"bidi\u202eevil\u2066x\u2069", `bidi\u202eevil\u2066x\u2069`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{"\xe2\x80", `\xe2\x80`}, // a truncated sequence, byte by byte
	} {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if Safe(tt.in) != (tt.in == tt.want) {
			t.Errorf("Safe(%q) = %v", tt.in, Safe(tt.in))
		}
	}
}

func TestStringDoesNotAllocateForSafeStrings(t *testing.T) {
	s := "36ASF8G72PZ-2G9E2 Micron Technology"
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("%v allocations for a safe string", n)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\u009b", "\xff", "\u202e", "a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q: not UTF-8", s, out)
		}
		if !Safe(out) {
			t.Fatalf("String(%q) = %q: still unsafe", s, out)
		}
		if Safe(s) && out != s {
			t.Fatalf("String changed the safe %q to %q", s, out)
		}
	})
}
