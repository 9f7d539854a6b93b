package maker

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ./internal/partgen -in partnumbers.tsv -out partnumbers_gen.go

// partNumberRow is one exact or ambiguous row of partnumbers.tsv: a part
// number (in partNumberKey form), the maker it names, and why that is true.
// In an ambiguous row slug holds the slugs of every maker the part number
// was seen with, joined by commas.
type partNumberRow struct {
	pattern, slug, source string
}

// partNumberSchemeRow is one scheme row of partnumbers.tsv with the
// literal text every match starts with and, when there is none, the bytes
// a match can start with ("" when any; partgen works both out).
type partNumberSchemeRow struct {
	pattern, prefix, first, slug, source string
}

// mayMatch reports whether key passes the scheme's cheap checks, so that
// the scheme's regexp is compiled and run only for keys it might match.
func (s *partNumberSchemeRow) mayMatch(key string) bool {
	if s.first != "" {
		return key != "" && strings.IndexByte(s.first, key[0]) >= 0
	}
	return strings.HasPrefix(key, s.prefix)
}

// The schemes are compiled one by one, the first time a part number starts
// with a scheme's literal prefix (or, for a scheme without one, with a byte
// a match can start with), never at package initialisation: a scan meets a
// handful of part numbers, which start with a handful of prefixes.
// Compiling all of them at once costs about a millisecond
// (BenchmarkCompileSchemes), a tenth of a scan's CPU budget.
var (
	schemeOnce    [len(partNumberSchemes)]sync.Once
	schemeRegexps [len(partNumberSchemes)]*regexp.Regexp
)

// schemeRegexp returns the compiled scheme i. partgen checked that every
// pattern compiles.
func schemeRegexp(i int) *regexp.Regexp {
	schemeOnce[i].Do(func() { schemeRegexps[i] = regexp.MustCompile(partNumberSchemes[i].pattern) })
	return schemeRegexps[i]
}

// compileSchemes compiles every scheme, for the benchmark and the tests that
// measure all of them.
func compileSchemes() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(partNumberSchemes))
	for i := range partNumberSchemes {
		out[i] = schemeRegexp(i)
	}
	return out
}

// partNumberKey is the form part numbers are compared in: upper case, white
// space removed (firmware sometimes splits the SPD field: "M3 78T2953EZ3").
// internal/partgen's Normalize is the same function: partgen rejects exact
// rows not in this form and TestPartNumberTable checks them again here.
func partNumberKey(pn string) string {
	return strings.ToUpper(strings.Join(strings.Fields(pn), ""))
}

// partNumberMakers returns the distinct makers whose scheme the part number
// key follows, in table order.
func partNumberMakers(key string) []string {
	var out []string
	for i := range partNumberSchemes {
		s := &partNumberSchemes[i]
		if s.mayMatch(key) && !containsString(out, s.slug) && schemeRegexp(i).MatchString(key) {
			out = append(out, s.slug)
		}
	}
	return out
}

// exactPartNumbers is a table of part numbers sorted by pattern.
type exactPartNumbers []partNumberRow

// lookup returns the row for a part number key.
func (t exactPartNumbers) lookup(key string) (partNumberRow, bool) {
	i := sort.Search(len(t), func(i int) bool { return t[i].pattern >= key })
	if i < len(t) && t[i].pattern == key {
		return t[i], true
	}
	return partNumberRow{}, false
}

// partNumberLists are the mined tables: part numbers listed as one maker's
// (exact) and part numbers seen on several makers' modules (ambiguous),
// which name nobody even when they follow a scheme.
type partNumberLists struct {
	exact, ambiguous exactPartNumbers
}

// minedPartNumbers are the committed tables; the evaluation swaps in tables
// mined from part of the training data.
var minedPartNumbers = partNumberLists{exact: partNumberExact[:], ambiguous: partNumberAmbiguous[:]}
