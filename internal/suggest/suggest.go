// Package suggest finds the names closest to a mistyped one, so that an
// error about an unknown vendor, label, rule or host can list what the
// user probably meant.
package suggest

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxSuggestions is how many close matches Hint lists.
const MaxSuggestions = 3

// Similar returns up to n of candidates closest to word, best first: those
// within an edit distance of a third of word's length (at least 1,
// letters compared without case), or that start with word or that word
// starts with. Duplicates and word itself are left out.
func Similar(word string, candidates []string, n int) []string {
	w := strings.ToLower(word)
	limit := max(1, utf8.RuneCountInString(w)/3)
	type match struct {
		name string
		dist int
	}
	var found []match
	seen := map[string]bool{}
	for _, c := range candidates {
		if c == word || c == "" || seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := distance(w, lc)
		if d > limit {
			if len(w) < 3 || !(strings.HasPrefix(lc, w) || strings.HasPrefix(w, lc)) {
				continue
			}
			d = limit + 1 // after every near miss
		}
		found = append(found, match{c, d})
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].dist != found[j].dist {
			return found[i].dist < found[j].dist
		}
		return found[i].name < found[j].name
	})
	out := make([]string, 0, min(n, len(found)))
	for _, m := range found[:min(n, len(found))] {
		out = append(out, m.name)
	}
	return out
}

// Hint is " (did you mean a, b?)" for word's close matches among
// candidates, "" when there are none.
func Hint(word string, candidates []string) string {
	s := Similar(word, candidates, MaxSuggestions)
	if len(s) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(s, ", ") + "?)"
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance
// between a and b in runes: a swap of two neighbours ("micorn") is one
// edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
