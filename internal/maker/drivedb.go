package maker

import (
	"regexp"
	"strings"
	"sync"
)

// driveDBRow is one model family of smartmontools' drive database
// (drivedb_gen.go): the maker its name states, the family name, and the
// model regexp.
type driveDBRow struct {
	slug, family, model string
	// literals holds, per alternative of model, a literal every match of
	// it contains; nil when the generator found none.
	literals []string
}

// lazyRegexp is a pattern compiled the first time a model passes its
// literal filter: compiling all the families' patterns costs several
// milliseconds, more than a whole scan may spend, and most models are named
// by a model rule before the drive database is asked.
type lazyRegexp struct {
	once sync.Once
	re   *regexp.Regexp
}

var driveDBPatterns = sync.OnceValue(func() []lazyRegexp {
	return make([]lazyRegexp, len(driveDBFamilies))
})

func (r *driveDBRow) mayMatch(model string) bool {
	if r.literals == nil {
		return true
	}
	for _, l := range r.literals {
		if strings.Contains(model, l) {
			return true
		}
	}
	return false
}

// driveDBFamily returns the maker and family of the first drive database
// family whose regexp matches the whole model, as smartctl matches it.
func driveDBFamily(model string) (slug, family string, ok bool) {
	model = strings.TrimSpace(strings.Trim(model, "\x00"))
	if model == "" {
		return "", "", false
	}
	patterns := driveDBPatterns()
	for i := range driveDBFamilies {
		row := &driveDBFamilies[i]
		if !row.mayMatch(model) {
			continue
		}
		p := &patterns[i]
		p.once.Do(func() {
			// The generator only keeps patterns that compile.
			p.re = regexp.MustCompile(`^(?:` + row.model + `)$`)
		})
		if p.re.MatchString(model) {
			return row.slug, row.family, true
		}
	}
	return "", "", false
}
