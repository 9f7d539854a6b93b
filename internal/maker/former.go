package maker

import (
	"slices"
	"sync"
)

// formerSlugs maps slugs an earlier release gave a maker to the slug the
// catalogue gives it now. A slug, once written in a policy file, a
// --vendor filter or a stored part's record, must keep naming its maker
// after the catalogue curates or renames it: a policy that stops matching
// a maker reports no violation where there is one.
//
// An entry is added whenever a slug leaves the catalogue or the set of
// JEP106-derived slugs; a former slug is never a current one
// (TestFormerSlugs).
var formerSlugs = map[string]string{
	// JEP106 8:0x5D "Wilk Elektronik S.A." was known by its derived slug
	// until the catalogue curated it as goodram, the brand on its modules.
	"wilkelektroniksa": "goodram",
	// JEP106 8:0x72 "LITE-ON IT Corporation" was known by its derived
	// slug until the catalogue curated it as liteon with the drive makers.
	"liteonit": "liteon",
}

// CurrentSlug returns the slug the catalogue gives now to the maker an
// earlier release called slug, or slug itself when it was not renamed.
func CurrentSlug(slug string) string {
	if cur, ok := formerSlugs[slug]; ok {
		return cur
	}
	return slug
}

var formerOf = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for old, cur := range formerSlugs {
		m[cur] = append(m[cur], old)
	}
	for _, olds := range m {
		slices.Sort(olds)
	}
	return m
})

// SlugAndFormer returns CurrentSlug(slug) followed by every former slug of
// that maker, sorted: the slugs under which stored parts may name it.
func SlugAndFormer(slug string) []string {
	cur := CurrentSlug(slug)
	return append([]string{cur}, formerOf()[cur]...)
}
