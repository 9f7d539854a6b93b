package maker

import "sort"

// Slugs returns every slug BySlug knows (catalogue makers and those derived
// from JEP106 names), sorted: the candidates an "unknown vendor" error
// suggests from.
func Slugs() []string {
	r := reg()
	out := make([]string, 0, len(r.bySlug))
	for s := range r.bySlug {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
