package lazyregexp

import (
	"regexp"
	"slices"
	"testing"
)

func TestMethodsMatchRegexp(t *testing.T) {
	const expr = `(?i)\bbank\s*(\d+)`
	lazy, eager := New(expr), regexp.MustCompile(expr)
	for _, s := range []string{"", "Bank 3", "bank7 and BANK 12", "nothing"} {
		if got, want := lazy.MatchString(s), eager.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, want)
		}
		if got, want := lazy.FindString(s), eager.FindString(s); got != want {
			t.Errorf("FindString(%q) = %q, want %q", s, got, want)
		}
		if got, want := lazy.FindStringSubmatch(s), eager.FindStringSubmatch(s); !slices.Equal(got, want) {
			t.Errorf("FindStringSubmatch(%q) = %q, want %q", s, got, want)
		}
		got, want := lazy.FindAllStringSubmatch(s, -1), eager.FindAllStringSubmatch(s, -1)
		if len(got) != len(want) {
			t.Errorf("FindAllStringSubmatch(%q) = %q, want %q", s, got, want)
		} else {
			for i := range got {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("FindAllStringSubmatch(%q)[%d] = %q, want %q", s, i, got[i], want[i])
				}
			}
		}
		if got, want := lazy.ReplaceAllString(s, "B$1"), eager.ReplaceAllString(s, "B$1"); got != want {
			t.Errorf("ReplaceAllString(%q) = %q, want %q", s, got, want)
		}
	}
	if lazy.String() != expr || lazy.Regexp().String() != expr {
		t.Errorf("String() = %q, Regexp().String() = %q, want %q", lazy.String(), lazy.Regexp().String(), expr)
	}
}

func TestCompiledOnceAndShared(t *testing.T) {
	r := New(`^a+$`)
	first := r.Regexp()
	if r.Regexp() != first {
		t.Error("Regexp() compiled the expression twice")
	}
}

// TestBadPatternFailsInTests: test binaries compile at New, so a package
// with a bad pattern fails its own tests rather than a scan in production.
func TestBadPatternFailsInTests(t *testing.T) {
	if !inTest {
		t.Fatalf("inTest is false in a test binary")
	}
	defer func() {
		if recover() == nil {
			t.Error("New of a bad pattern did not panic in a test binary")
		}
	}()
	New(`(unclosed`)
}
