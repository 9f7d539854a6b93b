package vendor

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

const driveDBSource = "/usr/share/smartmontools/drivedb.h"

// TestDriveDBTableIsCurrent regenerates drivedb_gen.go from smartmontools'
// drive database as Debian's smartmontools package ships it.
func TestDriveDBTableIsCurrent(t *testing.T) {
	src := readSource(t, driveDBSource, "smartmontools")
	out, err := generateDriveDBTable(src)
	if err != nil {
		t.Fatal(err)
	}
	checkGenerated(t, "drivedb_gen.go", out)
}

// driveDBEntry is one entry of drivedb.h's builtin_knowndrives: model
// family, model regexp, firmware regexp, warning, presets.
type driveDBEntry struct {
	line   int
	fields []string
}

// parseDriveDB reads the entries of drivedb.h: C string literals (adjacent
// ones concatenated) in brace-enclosed, comma-separated groups, with // and
// /* */ comments.
func parseDriveDB(src []byte) ([]driveDBEntry, error) {
	var (
		entries []driveDBEntry
		cur     *driveDBEntry
		field   strings.Builder
		inField bool
		line    = 1
	)
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			line++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			line++
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				return nil, fmt.Errorf("drivedb.h:%d: unterminated comment", line)
			}
			line += bytes.Count(src[i:i+2+end], []byte("\n"))
			i += end + 3
		case c == '{':
			if cur != nil {
				return nil, fmt.Errorf("drivedb.h:%d: nested brace", line)
			}
			cur = &driveDBEntry{line: line}
		case c == '}':
			if cur == nil {
				return nil, fmt.Errorf("drivedb.h:%d: unbalanced brace", line)
			}
			if inField {
				cur.fields = append(cur.fields, field.String())
			}
			entries = append(entries, *cur)
			cur, inField = nil, false
			field.Reset()
		case c == ',' && cur != nil:
			cur.fields = append(cur.fields, field.String())
			field.Reset()
			inField = false
		case c == '"':
			if cur == nil {
				return nil, fmt.Errorf("drivedb.h:%d: string outside an entry", line)
			}
			inField = true
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' && i+1 < len(src) {
					i++
					switch src[i] {
					case 'n':
						field.WriteByte('\n')
					default:
						field.WriteByte(src[i])
					}
					continue
				}
				if src[i] == '\n' {
					return nil, fmt.Errorf("drivedb.h:%d: newline in a string", line)
				}
				field.WriteByte(src[i])
			}
			if i >= len(src) {
				return nil, fmt.Errorf("drivedb.h:%d: unterminated string", line)
			}
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("drivedb.h: unterminated entry from line %d", cur.line)
	}
	return entries, nil
}

// driveDBFamilyMaker says which maker a drivedb model family names, or why
// it names none. Only families whose name states the drive's maker count:
// families named after a controller ("Phison Driven SSDs", "JMicron based
// SSDs", "Silicon Motion based SSDs"), an OEM ("HP ...", "Dell ...",
// "Apple ..."), two different makers ("Crucial/Micron", "IBM/Hitachi") or
// a company outside the catalogue name nobody; USB bridge entries describe
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

// familyWordsMaker finds the maker named by the first words of a family
// name; every "/"-separated maker in it must be the same one.
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
			return "", "names two makers"
		}
		slug = s
	}
	return slug, ""
}

func generateDriveDBTable(src []byte) ([]byte, error) {
	entries, err := parseDriveDB(src)
	if err != nil {
		return nil, err
	}
	var version string
	var b bytes.Buffer
	var rows, badRE, noLiteral int
	skipped := map[string]int{}
	for _, e := range entries {
		if len(e.fields) < 2 {
			return nil, fmt.Errorf("drivedb.h:%d: entry with %d fields", e.line, len(e.fields))
		}
		family, modelRE := e.fields[0], e.fields[1]
		if strings.HasPrefix(family, "VERSION:") {
			version = strings.TrimSpace(strings.TrimPrefix(family, "VERSION:"))
		}
		slug, why := driveDBFamilyMaker(family)
		if slug == "" {
			skipped[why]++
			continue
		}
		// smartmontools matches the whole model (POSIX extended regexp);
		// the few patterns RE2 does not take are left out.
		if _, err := regexp.Compile(`^(?:` + modelRE + `)$`); err != nil {
			badRE++
			continue
		}
		lits := requiredLiterals(modelRE)
		if lits == nil {
			noLiteral++
		}
		fmt.Fprintf(&b, "\t{%q, %q, %q, %#v},\n", slug, family, modelRE, lits)
		rows++
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "// Code generated by TestDriveDBTableIsCurrent from %s (Debian smartmontools, drivedb.h %s). DO NOT EDIT.\n\n", driveDBSource, version)
	out.WriteString("package vendor\n\n")
	fmt.Fprintf(&out, "// driveDBFamilies are the %d model families of smartmontools' drive database\n", rows)
	out.WriteString("// whose name states the drive's maker, with the maker's slug and the\n")
	out.WriteString("// family's model regexp (matched against the whole model). Left out:\n")
	for _, why := range sortedKeys(skipped) {
		fmt.Fprintf(&out, "// %d entries (%s),\n", skipped[why], why)
	}
	fmt.Fprintf(&out, "// %d patterns Go's regexp does not accept.\n", badRE)
	fmt.Fprintf(&out, "// The last field lists literals of which a matching model contains at least\n")
	fmt.Fprintf(&out, "// one (one per alternative), so most patterns need not be compiled; %d\n", noLiteral)
	fmt.Fprintf(&out, "// patterns have none and are always tried.\n")
	out.WriteString("var driveDBFamilies = [...]driveDBRow{\n")
	out.Write(b.Bytes())
	out.WriteString("}\n")
	return out.Bytes(), nil
}

// requiredLiterals returns literals (3 bytes or more) of which every match
// of a model regexp contains at least one; nil when there are none.
func requiredLiterals(re string) []string {
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil
	}
	set := literalSet(t.Simplify())
	for _, l := range set {
		if len(l) < 3 {
			return nil
		}
	}
	return set
}

// literalSet is a set of case-sensitive literals of which every match of t
// contains one; nil when none is known.
func literalSet(t *syntax.Regexp) []string {
	switch t.Op {
	case syntax.OpLiteral:
		if t.Flags&syntax.FoldCase != 0 {
			return nil
		}
		return []string{string(t.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return literalSet(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return literalSet(t.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, s := range t.Sub {
			sub := literalSet(s)
			if sub == nil {
				return nil
			}
			for _, l := range sub {
				if !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
		}
		return out
	case syntax.OpConcat:
		// The child whose shortest literal is longest filters best.
		var best []string
		for _, s := range t.Sub {
			if sub := literalSet(s); sub != nil && shortest(sub) > shortest(best) {
				best = sub
			}
		}
		return best
	}
	return nil
}

func shortest(set []string) int {
	if set == nil {
		return 0
	}
	n := len(set[0])
	for _, l := range set {
		n = min(n, len(l))
	}
	return n
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func TestDriveDBFamilyMaker(t *testing.T) {
	for family, want := range map[string]string{
		"Micron 5100 Pro / 52x0 / 5300 SSDs":       "micron",
		"Seagate Samsung SpinPoint M8 (AF)":        "seagate",
		"SAMSUNG SpinPoint F3":                     "samsung",
		"Hitachi/HGST Deskstar 7K4000":             "hgst",
		"Hitachi Deskstar 7K1000":                  "hgst",
		"Western Digital Ultrastar DC HC530":       "westerndigital",
		"WD Blue / Red / Green SSDs":               "sandisk",
		"Toshiba HK4R Series SSD":                  "kioxia",
		"Toshiba 3.5\" DT01ACA... Desktop HDD":     "toshiba",
		"Maxtor DiamondMax 23":                     "maxtor",
		"Marvell based SanDisk SSDs":               "sandisk",
		"Samsung based SSDs":                       "samsung",
		"Kingston branded X25-V SSDs":              "kingston",
		"SK hynix SATA SSDs":                       "skhynix",
		"Phison Driven SSDs":                       "",
		"Phison Driven OEM SSDs":                   "",
		"JMicron based SSDs":                       "",
		"Silicon Motion based SSDs":                "",
		"Silicon Motion based OEM SSDs":            "",
		"SandForce Driven SSDs":                    "",
		"Indilinx Barefoot based SSDs":             "",
		"Crucial/Micron RealSSD m4/C400":           "",
		"IBM/Hitachi Deskstar 120GXP":              "",
		"HP 250GB SATA disk VB0250EAVER":           "",
		"Dell Certified Intel S3520 Series SSDs":   "",
		"Apple SD/SM/TS...E/F/G SSDs":              "",
		"USB: Seagate Expansion Portable; ":        "",
		"Quantum Fireball lct20":                   "",
		"DEFAULT":                                  "",
		"Smart Storage Systems Xcel-10 SSDs":       "",
		"SMART Modular Technologies mSATA XL+ SLC": "smartmodular",
	} {
		if got, why := driveDBFamilyMaker(family); got != want {
			t.Errorf("driveDBFamilyMaker(%q) = %q (%s), want %q", family, got, why, want)
		}
	}
}
