package suggest

import (
	"slices"
	"testing"
)

func TestSimilar(t *testing.T) {
	slugs := []string{"micron", "microchip", "samsung", "sk-hynix", "kingston", "crucial", "mushkin"}
	for _, tt := range []struct {
		word string
		want []string
	}{
		{"micorn", []string{"micron"}},
		{"Micron", []string{"micron"}},
		{"samsng", []string{"samsung"}},
		{"micro", []string{"micron", "microchip"}},
		{"hynix", nil},
		{"zz", nil},
		{"micron", nil}, // the word itself is no suggestion
	} {
		if got := Similar(tt.word, slugs, 3); !slices.Equal(got, tt.want) {
			t.Errorf("Similar(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if got := Hint("micorn", slugs); got != " (did you mean micron?)" {
		t.Errorf("Hint = %q", got)
	}
	if got := Hint("qqqqq", slugs); got != "" {
		t.Errorf("Hint without a match = %q", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"micorn", "micron", 1}, {"ab", "ba", 1}, {"héllo", "hello", 1},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzSimilar(f *testing.F) {
	f.Add("micorn", "micron")
	f.Add("\xff\xfe", "")
	f.Fuzz(func(t *testing.T, word, cand string) {
		got := Similar(word, []string{cand, "micron"}, 2)
		if len(got) > 2 {
			t.Fatalf("%d suggestions, asked for 2", len(got))
		}
		if d := distance(word, cand); d != distance(cand, word) {
			t.Fatalf("distance not symmetric: %d", d)
		}
	})
}
