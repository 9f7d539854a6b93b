package maker

import (
	"fmt"
	"strings"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/lazyregexp"
)

// corporateWords are dropped from the end of a name when deriving a slug or
// comparing names, so "Micron Technology, Inc." matches "Micron".
var corporateWords = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true, "co": true, "company": true,
	"ltd": true, "limited": true, "llc": true, "plc": true, "gmbh": true, "ag": true, "sa": true,
	"bv": true, "nv": true, "kk": true, "technology": true, "technologies": true, "tech": true,
	"semiconductor": true, "semiconductors": true, "electronics": true, "electronic": true,
	"international": true, "intl": true, "group": true, "holdings": true,
}

var (
	parenRE  = lazyregexp.New(`\s*\([^)]*\)`)
	formerRE = lazyregexp.New(`(?i)\(\s*former(?:ly)?\s+([^)]*)\)`)
)

// foldASCII maps the accented letters seen in JEP106 names and BIOS strings
// to ASCII; everything else that is not an ASCII letter or digit separates
// words.
var foldASCII = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u",
	"ç", "c", "ñ", "n", "ß", "ss",
	"’", "", "'", "",
)

// words lower-cases s, folds accents, removes apostrophes, drops
// parenthetical notes ("(R)", "(former ...)") and splits on anything that
// is not an ASCII letter or digit.
//
// It runs for every JEP106 name when the registry is built, on the start-up
// path of every one-shot scan, so the common ASCII case avoids the regexp
// and the replacer.
func words(s string) []string {
	if strings.IndexByte(s, '(') >= 0 {
		s = parenRE.ReplaceAllString(s, " ")
	}
	s = strings.ToLower(s)
	if isASCII(s) {
		if strings.IndexByte(s, '\'') >= 0 {
			s = strings.ReplaceAll(s, "'", "")
		}
	} else {
		s = foldASCII.Replace(s)
	}
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// stripCorporate drops trailing corporate words but always keeps the first
// word.
func stripCorporate(ws []string) []string {
	n := len(ws)
	for n > 1 && corporateWords[ws[n-1]] {
		n--
	}
	return ws[:n]
}

// nameKeys returns the comparison keys of a name: all its words joined, and
// the same without trailing corporate words.
func nameKeys(s string) (full, stripped string) {
	ws := words(s)
	return strings.Join(ws, ""), strings.Join(stripCorporate(ws), "")
}

// slugFor derives the slug of a maker that is not in the catalogue from its
// JEP106 name: lower-case ASCII letters and digits, parenthetical notes and
// trailing corporate words dropped ("Advantech Co Ltd" -> "advantech").
func slugFor(id jep106.ID, name string) string {
	if s := strings.Join(stripCorporate(words(name)), ""); s != "" {
		return s
	}
	return fmt.Sprintf("jep106b%dc%02x", id.Bank, id.Code)
}

// displayName cleans a JEP106 name for display: "(former ...)" notes and a
// trailing full stop are dropped, spaces collapsed.
func displayName(name string) string {
	if strings.IndexByte(name, '(') >= 0 {
		name = formerRE.ReplaceAllString(name, "")
	}
	name = strings.Join(strings.Fields(name), " ")
	return strings.TrimSuffix(name, ".")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// formerNames returns the names in "(former X)" notes, e.g. "Toshiba Memory
// Corporation" for Kioxia.
func formerNames(name string) []string {
	if strings.IndexByte(name, '(') < 0 {
		return nil
	}
	var out []string
	for _, m := range formerRE.FindAllStringSubmatch(name, -1) {
		for part := range strings.SplitSeq(m[1], ",") {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
