package maker

import (
	"fmt"
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
			p.re = regexp.MustCompile(wholeModel(row.model))
		})
		if p.re.MatchString(model) {
			return row.slug, row.family, true
		}
	}
	return "", "", false
}

// wholeModel anchors a drive database model pattern: smartctl matches it
// against the whole model string, never a part of it. The generator and
// the tests that check the rules against drivedb.h match the same way.
func wholeModel(pattern string) string { return `^(?:` + pattern + `)$` }

// driveDBFamilyMaker says which maker a drivedb model family names, or why
// it names none. It is the one answer for both places a family name comes
// from: the generator of drivedb_gen.go (which keeps the families it
// names) and smartctl's "Model Family" line (DriveFacts.ModelFamily),
// which smartctl takes from its own, possibly newer, copy of the database.
// Only families whose name states the drive's maker count:
// families named after a controller ("Phison Driven SSDs", "JMicron based
// SSDs", "Silicon Motion based SSDs"), an OEM ("HP ...", "Dell ...",
// "Apple ..."), two makers neither of which owns the other ("IBM/Hitachi")
// or a company outside the catalogue name nobody ("Crucial/Micron", a
// brand and its owner, names Micron); USB bridge entries describe
// enclosures, not drives.
func driveDBFamilyMaker(family string) (slug, why string) {
	switch {
	case family == "" || family == "DEFAULT" || strings.HasPrefix(family, "VERSION:"):
		return "", "no family"
	case strings.HasPrefix(family, "USB:"):
		return "", "USB bridge"
	}
	name := family
	if before, after, ok := strings.Cut(family, " based "); ok {
		// "Marvell based SanDisk SSDs" names SanDisk; "Samsung based SSDs"
		// names Samsung; "JMicron based SSDs" names a controller only.
		name = after
		if s, _ := familyWordsMaker(after); s == "" {
			name = before
		}
	}
	if strings.Contains(family, "Driven") {
		return "", "controller-based family"
	}
	slug, why = familyWordsMaker(name)
	if slug == "" {
		return "", why
	}
	switch {
	case oemSlugs[slug]:
		return "", "OEM-labelled family"
	case isControllerMaker(slug):
		return "", "controller-based family"
	}
	// The SSD lineage of makers whose flash business went elsewhere, as
	// the model rules have it.
	if strings.Contains(family, "SSD") {
		switch slug {
		case "toshiba":
			slug = "kioxia"
		case "westerndigital":
			slug = "sandisk"
		}
	}
	return slug, ""
}

// parentIn returns whichever of a and b owns the other (Micron of Crucial
// and Micron), or "".
func parentIn(a, b string) string {
	ma, mb := lookupSlug(a), lookupSlug(b)
	switch {
	case ma != nil && ma.Parent == b:
		return b
	case mb != nil && mb.Parent == a:
		return a
	}
	return ""
}

// familyWordsMaker finds the maker named by the first words of a family
// name; every "/"-separated maker in it must be the same one, or a brand
// and its owner (the owner, then).
func familyWordsMaker(name string) (string, string) {
	ws := strings.Fields(name)
	if len(ws) == 0 {
		return "", "no name"
	}
	parts := strings.Split(ws[0], "/")
	rest := ws[1:]
	var slug string
	for i, p := range parts {
		words := []string{p}
		if i == len(parts)-1 {
			words = append(words, rest...)
		}
		s := ""
		for n := 1; n <= len(words) && n <= 3 && s == ""; n++ {
			w := strings.Join(words[:n], " ")
			if v := scsiVendors[strings.ToUpper(w)]; v != "" {
				s = v
				continue
			}
			if m, _ := byName(w); m != nil && m.Curated {
				s = m.ID
			}
		}
		if s == "" {
			return "", fmt.Sprintf("%q is not a catalogue maker", p)
		}
		if slug != "" && s != slug {
			// "Crucial/Micron Client SSDs": a brand and the maker that
			// owns it name one company, the owner.
			p := parentIn(slug, s)
			if p == "" {
				return "", "names two makers"
			}
			s = p
		}
		slug = s
	}
	return slug, ""
}
