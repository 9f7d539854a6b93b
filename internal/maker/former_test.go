package maker

import (
	"slices"
	"testing"
)

func TestFormerSlugs(t *testing.T) {
	for old, cur := range formerSlugs {
		if _, ok := reg().bySlug[old]; ok {
			t.Errorf("former slug %q is a current slug too: it would name two makers", old)
		}
		m, ok := curatedReg().bySlug[cur]
		if !ok {
			t.Errorf("former slug %q names %q, which the catalogue does not curate", old, cur)
			continue
		}
		if got, ok := BySlug(old); !ok || got.ID != cur || got.Name != m.Name {
			t.Errorf("BySlug(%q) = %q %v, want %q", old, got.ID, ok, cur)
		}
		if !IsKnownSlug(old) {
			t.Errorf("IsKnownSlug(%q) is false", old)
		}
		if CurrentSlug(old) != cur || CurrentSlug(cur) != cur {
			t.Errorf("CurrentSlug(%q) = %q, CurrentSlug(%q) = %q, want %q both", old, CurrentSlug(old), cur, CurrentSlug(cur), cur)
		}
		for _, s := range []string{old, cur} {
			if got := SlugAndFormer(s); len(got) < 2 || got[0] != cur || !slices.Contains(got, old) {
				t.Errorf("SlugAndFormer(%q) = %v, want %q first and %q", s, got, cur, old)
			}
		}
	}
	// The rename the catalogue made: wilkelektroniksa -> goodram (JEP106
	// 8:0x5D), and a slug never renamed.
	if got, ok := BySlug("wilkelektroniksa"); !ok || got.ID != "goodram" {
		t.Errorf("BySlug(wilkelektroniksa) = %q %v, want goodram", got.ID, ok)
	}
	if got := SlugAndFormer("micron"); !slices.Equal(got, []string{"micron"}) {
		t.Errorf("SlugAndFormer(micron) = %v", got)
	}
	if CurrentSlug("nosuchmaker") != "nosuchmaker" || IsKnownSlug("nosuchmaker") {
		t.Error("an unknown slug is resolved")
	}
}
