package maker

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
	out.WriteString("package maker\n\n")
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

// driveDBExamples returns the models of each entry's "tested with" notes
// (comments such as "tested with Micron_5300_MTFDDAK1T9TDS/D3MU001,
// Micron_5300HC_MTFDDAK960TDS/D3MN010"), by entry index.
func driveDBExamples(src []byte, entries []driveDBEntry) map[int][]string {
	lines := strings.Split(string(src), "\n")
	modelFW := regexp.MustCompile(`^\s*(.+?)/[A-Za-z0-9.()_+-]+\s*$`)
	out := map[int][]string{}
	for i, e := range entries {
		end := len(lines)
		if i+1 < len(entries) {
			end = entries[i+1].line - 1
		}
		var notes []string
		inNote := false
		for _, l := range lines[e.line-1 : end] {
			c := strings.Index(l, "//")
			if c < 0 {
				inNote = false
				continue
			}
			comment := l[c+2:]
			if t := strings.Index(comment, "tested with"); t >= 0 {
				notes = append(notes, comment[t+len("tested with"):])
				inNote = true
			} else if inNote && strings.TrimSpace(l[:c]) == "" {
				notes = append(notes, comment)
			} else {
				inNote = false
			}
		}
		var re *regexp.Regexp
		var prefixes []string
		if len(e.fields) >= 2 {
			re, _ = regexp.Compile(`^(?:` + e.fields[1] + `)$`)
			prefixes = leadingLiterals(e.fields[1])
		}
		prev := ""
		for _, n := range notes {
			for part := range strings.SplitSeq(n, ",") {
				m := modelFW.FindStringSubmatch(part)
				if m == nil || strings.Contains(m[1], "0x") {
					continue
				}
				model := strings.Trim(strings.TrimSpace(m[1]), `"`)
				if re != nil {
					model = completeExample(re, model, append([]string{prev}, prefixes...))
				}
				out[i] = append(out[i], model)
				prev = model
			}
		}
	}
	return out
}

// completeExample returns the model string a note abbreviates, when the
// entry's own regexp says what was left out: notes drop the prefix the
// pattern requires ("SAMSUNG SpinPoint F1 EG, tested with HD103UI" for
// the drive's "SAMSUNG HD103UI") or list more capacities after one full
// model ("SanDisk SSD U100 8GB/..., 256GB/..."). The shortest completion
// by a word-ending prefix of the previous example or of the pattern's
// leading literals that the pattern matches is taken; an example the
// pattern matches, or that no completion makes match, is kept as written.
func completeExample(re *regexp.Regexp, model string, prefixes []string) string {
	if model == "" || re.MatchString(model) {
		return model
	}
	best := ""
	for _, p := range prefixes {
		for i := 1; i <= len(p); i++ {
			if !strings.ContainsRune(" _-", rune(p[i-1])) {
				continue
			}
			if c := p[:i] + model; re.MatchString(c) && (best == "" || len(c) < len(best)) {
				best = c
			}
		}
	}
	if best == "" {
		return model
	}
	return best
}

// leadingLiterals returns the literal text each top-level alternative of a
// model regexp starts with ("SAMSUNG HD" for "SAMSUNG HD(252H|322H)I").
func leadingLiterals(re string) []string {
	t, err := syntax.Parse(re, syntax.POSIX)
	if err != nil {
		return nil
	}
	alts := []*syntax.Regexp{t}
	if t.Op == syntax.OpAlternate {
		alts = t.Sub
	}
	var out []string
	for _, a := range alts {
		var b strings.Builder
		subs := []*syntax.Regexp{a}
		if a.Op == syntax.OpConcat {
			subs = a.Sub
		}
		for _, s := range subs {
			if s.Op != syntax.OpLiteral || s.Flags&syntax.FoldCase != 0 {
				break
			}
			b.WriteString(string(s.Rune))
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return out
}

// TestRulesAgreeWithDriveDBExamples runs IdentifyDrive over the real model
// strings of drivedb.h's "tested with" notes: a model the database files
// under a maker's family must not be named as another maker (a prefix
// rule too broad), and the share named right is logged.
func TestRulesAgreeWithDriveDBExamples(t *testing.T) {
	src := readSource(t, driveDBSource, "smartmontools")
	entries, err := parseDriveDB(src)
	if err != nil {
		t.Fatal(err)
	}
	var n, right, unknown, offPattern int
	for i, models := range driveDBExamples(src, entries) {
		want, _ := driveDBFamilyMaker(entries[i].fields[0])
		if want == "" {
			continue
		}
		re := regexp.MustCompile(`^(?:` + entries[i].fields[1] + `)$`) // the generator kept only families whose pattern compiles
		for _, model := range models {
			n++
			// A note that is not the drive's model string (a label's part
			// number, a typo, shorthand) is still checked, and counted.
			matched := re.MatchString(model)
			if !matched {
				offPattern++
			}
			got := IdentifyDrive(DriveFacts{Model: model, VendorRaw: "ATA", Transport: "sata"})
			switch id := got.Vendor.ID; {
			case id == want:
				right++
			case id == "":
				unknown++
				t.Logf("unknown: %q (family %q, %s; the family's pattern matches it: %v)", model, entries[i].fields[0], want, matched)
			case related(id, want):
				right++
			default:
				t.Errorf("%q is in drivedb family %q (%s) but is named %s (evidence %v)", model, entries[i].fields[0], want, id, got.Vendor.Evidence)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d tested-with models found: the note parser is broken", n)
	}
	t.Logf("%d tested-with models of families that name a maker: %d named right (or a related brand), %d unknown; %d are not matched by their family's own pattern", n, right, unknown, offPattern)
}

func TestCompleteExample(t *testing.T) {
	for _, c := range []struct {
		pattern, prev, model, want string
	}{
		// The prefix the pattern requires, left out of the note.
		{"SAMSUNG HD(252H|322H|502I|642J|753L|103U)I", "", "HD103UI", "SAMSUNG HD103UI"},
		{"SAMSUNG SP(0451|08[0124]2|12[0145]3|16[0145]4)[CN]", "", "SP0802N", "SAMSUNG SP0802N"},
		// Further capacities after one full model.
		{"SanDisk SSD U100 ([0-9]*GB|SMG2)|SanDisk SSD U110 (8|16)GB", "SanDisk SSD U100 8GB", "256GB", "SanDisk SSD U100 256GB"},
		{"SanDisk SSD U100 ([0-9]*GB|SMG2)", "SanDisk SSD U100 256GB", "SMG2", "SanDisk SSD U100 SMG2"},
		{"OCZ INTREPID 3[678]00", "OCZ INTREPID 3600", "3800", "OCZ INTREPID 3800"},
		// Whole models, and notes no completion makes a model, as written.
		{"WDC WD((16|25|32|50)00BU[CD]|5000LUC|10JUC)T-.*", "", "WDC WD10JUCT-63CYNY0", "WDC WD10JUCT-63CYNY0"},
		{"WDC WD((16|25|32|50)00BU[CD]|5000LUC|10JUC)T-.*", "", "DC WD10JUCT-63CYNY0", "DC WD10JUCT-63CYNY0"},
		{"(1|2|4|8|16|32|64)GB SATA Flash Drive", "", "APSDM016GA2AN-PTM1", "APSDM016GA2AN-PTM1"},
	} {
		re := regexp.MustCompile(`^(?:` + c.pattern + `)$`)
		if got := completeExample(re, c.model, append([]string{c.prev}, leadingLiterals(c.pattern)...)); got != c.want {
			t.Errorf("completeExample(%q, %q after %q) = %q, want %q", c.pattern, c.model, c.prev, got, c.want)
		}
	}
	// The quoted example of a note is its model without the quotes.
	src := []byte(`  { "Seagate Barracuda 7200.7", // tested with "ST380819AS          39M3701 39M0171 IBM"/3.03
    "ST3(80819AS)( .* IBM)?", "", "", "" },`)
	entries, err := parseDriveDB(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := driveDBExamples(src, entries)[0]; !slices.Equal(got, []string{"ST380819AS          39M3701 39M0171 IBM"}) {
		t.Errorf("quoted example: got %q", got)
	}
}

func FuzzParseDriveDB(f *testing.F) {
	f.Add([]byte(`  { "Micron 5100 SSDs", // note
    "Micron_5100_MTFDDAK.*|" // tested with Micron_5100_MTFDDAK3T8TCB/D0MU410
    "MTFDDAK.*", "", "", "-v 1,raw48,X" },`))
	f.Add([]byte(`/* c */ { "a\"b", "x" } { "", "" }`))
	f.Add([]byte(`{ "unterminated`))
	f.Add([]byte(`{ { } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		entries, err := parseDriveDB(src)
		if err != nil {
			if entries != nil {
				t.Fatalf("entries with an error: %v", err)
			}
			return
		}
		for _, e := range entries {
			if e.line < 1 {
				t.Fatalf("entry at line %d", e.line)
			}
		}
		_ = driveDBExamples(src, entries)
	})
}

// patternSamples returns up to limit strings that a drive database model
// pattern matches, one or a few per choice it offers: both sides of an
// alternative or optional part, the lowest character of a class's first
// ranges, the fewest repeats; "." stands for "0". A pattern with more
// choices than limit is sampled by its first ones.
func patternSamples(pattern string, limit int) []string {
	t, err := syntax.Parse(pattern, syntax.POSIX)
	if err != nil {
		return nil
	}
	return samplesOf(t.Simplify(), limit)
}

func samplesOf(t *syntax.Regexp, limit int) []string {
	switch t.Op {
	case syntax.OpLiteral:
		return []string{string(t.Rune)}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(t.Rune) && len(out) < 2; i += 2 {
			out = append(out, string(t.Rune[i]))
		}
		return out
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return []string{"0"}
	case syntax.OpCapture:
		return samplesOf(t.Sub[0], limit)
	case syntax.OpQuest, syntax.OpStar:
		return append([]string{""}, samplesOf(t.Sub[0], limit-1)...)
	case syntax.OpPlus:
		return samplesOf(t.Sub[0], limit)
	case syntax.OpRepeat:
		one := samplesOf(t.Sub[0], limit)
		out := []string{""}
		for range t.Min {
			out = crossSamples(out, one, limit)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range t.Sub {
			out = crossSamples(out, samplesOf(s, limit), limit)
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, s := range t.Sub {
			out = append(out, samplesOf(s, limit-len(out))...)
			if len(out) >= limit {
				return out[:limit]
			}
		}
		return out
	}
	return []string{""} // empty match, anchors
}

func crossSamples(a, b []string, limit int) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if len(out) == limit {
				return out
			}
			out = append(out, x+y)
		}
	}
	return out
}

// TestRulesAgreeWithDriveDBPatterns widens the examples check to the
// families' patterns: it expands each pattern of a family that names a
// maker into sample models and holds IdentifyDrive to the family smartctl
// would report for them (the first entry whose pattern matches). A rule
// that names another maker for a model the database files under a maker's
// family fails the test; how many samples the rules name by themselves,
// before the database is asked, is logged.
func TestRulesAgreeWithDriveDBPatterns(t *testing.T) {
	src := readSource(t, driveDBSource, "smartmontools")
	entries, err := parseDriveDB(src)
	if err != nil {
		t.Fatal(err)
	}
	patterns := make([]*regexp.Regexp, len(entries))
	for i, e := range entries {
		if len(e.fields) >= 2 && !strings.HasPrefix(e.fields[0], "USB:") && e.fields[0] != "DEFAULT" && !strings.HasPrefix(e.fields[0], "VERSION:") {
			patterns[i], _ = regexp.Compile(`^(?:` + e.fields[1] + `)$`)
		}
	}
	var n, families, byRules, byDriveDB, unknown int
	seen := map[string]bool{}
	for i, e := range entries {
		want, _ := driveDBFamilyMaker(e.fields[0])
		if want == "" || patterns[i] == nil {
			continue
		}
		families++
		for _, model := range patternSamples(e.fields[1], 200) {
			if seen[model] || !patterns[i].MatchString(model) {
				continue
			}
			seen[model] = true
			// smartctl reports the first entry that matches.
			first := slices.IndexFunc(patterns, func(re *regexp.Regexp) bool { return re != nil && re.MatchString(model) })
			firstMaker, _ := driveDBFamilyMaker(entries[first].fields[0])
			n++
			got := IdentifyDrive(DriveFacts{Model: model, VendorRaw: "ATA", Transport: "sata"})
			id := got.Vendor.ID
			switch {
			case id == "":
				unknown++
				continue
			case !related(id, want) && (firstMaker == "" || !related(id, firstMaker)):
				t.Errorf("%q fits drivedb family %q (%s) but is named %s (evidence %v)", model, e.fields[0], want, id, got.Vendor.Evidence)
				continue
			}
			if slices.Contains(got.Vendor.Evidence, EvidenceDriveDB) {
				byDriveDB++
			} else {
				byRules++
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d sample models from %d families: the sampler is broken", n, families)
	}
	t.Logf("%d sample models of %d drivedb families that name a maker: %d named right by the model rules, %d by the drive database, %d unknown",
		n, families, byRules, byDriveDB, unknown)
}
