package maker

import (
	"bufio"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/placeholder"
)

var updatePartNumbers = flag.Bool("update-partnumbers", false,
	"rewrite the exact and ambiguous rows of partnumbers.tsv from the training table (then run go generate ./internal/maker)")

// minReports is how many reports a mined row needs: one report may be a
// firmware's mistake. An ambiguous row also needs the makers other than the
// one with most reports to hold minAmbiguousShare of its reports.
const (
	minReports        = 2
	minAmbiguousShare = 0.05
)

// minePartNumbers learns the exact and ambiguous part-number rows from
// training rows (part numbers that are not placeholders, reports whose
// module id names a maker):
//
//   - exact: seen in at least minReports reports whose module ids all name
//     makers of one parent, following no scheme and saying more than a
//     memory type and speed. The row names the slug with the most reports
//     and says where it came from.
//   - ambiguous: a part number that some scheme claims, seen in at least
//     minReports reports whose module ids name another parent than the
//     scheme's, or makers of several parents with the others holding at
//     least minReports reports and minAmbiguousShare of the total. Such a
//     part number is not evidence: firmware of soldered LPDDR lists
//     Micron's MT53D512M64D4RQ-046 on Samsung and SK hynix ids, clone
//     makers sell modules under Micron's and Samsung's numbers.
func minePartNumbers(rows []trainingRow) partNumberLists {
	type tally struct {
		bySlug map[string]int // reports by truth slug
		ids    map[string]int // reports by module id ("1:0x2C")
	}
	byKey := map[string]*tally{}
	for _, r := range rows {
		pn, _ := CleanPartNumber(r.partNumber)
		if r.truth == "" || placeholder.Is(pn) {
			continue
		}
		key := partNumberKey(pn)
		t := byKey[key]
		if t == nil {
			t = &tally{bySlug: map[string]int{}, ids: map[string]int{}}
			byKey[key] = t
		}
		t.bySlug[r.truth] += r.reports
		id, _ := jep106.FromSMBIOSWord(r.word)
		t.ids[id.String()] += r.reports
	}
	var out partNumberLists
	for key, t := range byKey {
		byParent := map[string]int{}
		total := 0
		for s, n := range t.bySlug {
			byParent[parentOf(s)] += n
			total += n
		}
		if total < minReports {
			continue
		}
		schemes := partNumberMakers(key)
		if len(byParent) > 1 {
			top := mostReports(byParent)
			others := total - byParent[top]
			if len(schemes) > 0 && others >= minReports && float64(others) >= minAmbiguousShare*float64(total) {
				slugs := sortedKeys(t.bySlug)
				var counts []string
				for _, s := range slugs {
					counts = append(counts, fmt.Sprintf("%s %d", s, t.bySlug[s]))
				}
				out.ambiguous = append(out.ambiguous, partNumberRow{pattern: key, slug: strings.Join(slugs, ","),
					source: fmt.Sprintf("linuxhw-dmi-train: module ids of several makers (%s reports)", strings.Join(counts, ", "))})
			}
			continue
		}
		best := mostReports(t.bySlug)
		if len(schemes) == 1 && parentOf(schemes[0]) == parentOf(best) {
			continue
		}
		if len(schemes) > 0 {
			// One maker's ids on another maker's number (Samsung ids on
			// Micron's MT53D512M64D4RQ-046): the part number and the
			// firmware disagree, so the number is no evidence.
			out.ambiguous = append(out.ambiguous, partNumberRow{pattern: key, slug: strings.Join(sortedSet(append(schemes, best)), ","),
				source: fmt.Sprintf("linuxhw-dmi-train: module ids of %s (%d reports) on a part number of %s's scheme", best, total, strings.Join(schemes, ", "))})
			continue
		}
		if isGenericPartNumber(key) {
			continue
		}
		ids := sortedKeys(t.ids)
		sort.SliceStable(ids, func(i, j int) bool { return t.ids[ids[i]] > t.ids[ids[j]] })
		out.exact = append(out.exact, partNumberRow{pattern: key, slug: best,
			source: fmt.Sprintf("linuxhw-dmi-train: %d reports, module id %s", total, strings.Join(ids, ", "))})
	}
	byPattern := func(t exactPartNumbers) { sort.Slice(t, func(i, j int) bool { return t[i].pattern < t[j].pattern }) }
	byPattern(out.exact)
	byPattern(out.ambiguous)
	return out
}

// isGenericPartNumber reports whether a part number key says no more than
// what any maker may write: the memory type and speed ("DDR4 3200", "DDR4
// 3000 2OZ"), or a description made only of type, capacity, speed, timings,
// form factor and rank ("DDR4 16GB 3200MHz", "16G3200CL22", "D4 8G",
// "CL16-18-18 D4-3000", "UDIMM PC4-2666 8G 1R"). The training table shows
// some of them on one maker's modules only, but it shows their siblings on
// others' ("DDR4 8GB 3200MHz" on Micron's and KingSpec's ids, "CL16-18-18
// D4-3000" on Golden Empire's and another maker's), so none is listed.
func isGenericPartNumber(key string) bool {
	return genericPartNumber.MatchString(key) ||
		genericDescription.MatchString(key) && genericMemoryWord.MatchString(key)
}

var (
	genericPartNumber  = regexp.MustCompile(`^(?:LP)?DDR[2-5]X?-?\d{3,4}`)
	genericDescription = regexp.MustCompile(`^(?:(?:LP)?DDR[2-5]X?|D[2-5]|PC[2-5]L?|(?:[UR]|SO)?DIMM|\d{1,3}GB?|\d{3,4}(?:MHZ)?|CL\d{1,2}(?:-\d{1,2})*|[1248]R|[-_/.])+$`)
	// genericMemoryWord keeps OEM option numbers made of digits and dashes
	// ("840757-091") out of genericDescription's reach.
	genericMemoryWord = regexp.MustCompile(`(?:DDR|PC|D)[2-5]|CL\d`)
)

func TestIsGenericPartNumber(t *testing.T) {
	for _, pn := range []string{"DDR4 3200", "DDR4 3000 2OZ", "LPDDR4X-4266", "DDR4 16GB 2666MHz", "DDR4 8GB 3200",
		"16G3200CL22", "D4 8G", "CL16-18-18 D4-3000", "CL22-22-22 D4-3200", "UDIMM PC4-2666 8G 1R", "SODIMM DDR3 4GB 1600"} {
		if !isGenericPartNumber(partNumberKey(pn)) {
			t.Errorf("isGenericPartNumber(%q) = false, want true", pn)
		}
	}
	// Makers' numbers that start like a description, and OEM option
	// numbers of digits and dashes, are part numbers.
	for _, pn := range []string{"840757-091", "P03052-091", "D4U0830160B", "TD48G26S819-VC", "YTD48G26N10", "DATEN16G4N26",
		"V01D4S88GB1G81G82666", "GKE160SO102408-3200", "CS4S3200D22161C", "JAD3200U1816", "-5600U3636C16G", "8GB"} {
		if isGenericPartNumber(partNumberKey(pn)) {
			t.Errorf("isGenericPartNumber(%q) = true, want false", pn)
		}
	}
}

func sortedSet(list []string) []string {
	slices.Sort(list)
	return slices.Compact(list)
}

// mostReports returns the key with the most reports; ties go to the first
// in sorted order.
func mostReports(m map[string]int) string {
	best := ""
	for _, k := range sortedKeys(m) {
		if best == "" || m[k] > m[best] {
			best = k
		}
	}
	return best
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestMinedPartNumbers re-mines the exact and ambiguous rows from the
// training table and compares them with the committed table, so that the
// table cannot drift from its source or from the schemes it complements.
// With -update-partnumbers it rewrites them instead.
func TestMinedPartNumbers(t *testing.T) {
	rows := readTrainingRows(t)
	mined := minePartNumbers(rows)
	if *updatePartNumbers {
		if err := rewriteMinedRows("partnumbers.tsv", mined); err != nil {
			t.Fatal(err)
		}
		t.Logf("partnumbers.tsv: %d exact and %d ambiguous rows written; run go generate ./internal/maker", len(mined.exact), len(mined.ambiguous))
		return
	}
	for _, l := range []struct {
		kind             string
		mined, committed exactPartNumbers
	}{{"exact", mined.exact, partNumberExact[:]}, {"ambiguous", mined.ambiguous, partNumberAmbiguous[:]}} {
		if slices.Equal(l.mined, l.committed) {
			continue
		}
		for _, m := range l.mined {
			if c, ok := l.committed.lookup(m.pattern); !ok || c != m {
				t.Errorf("%s: mined %+v, committed %+v", l.kind, m, c)
			}
		}
		for _, c := range l.committed {
			if _, ok := l.mined.lookup(c.pattern); !ok {
				t.Errorf("%s: committed %+v is no longer mined", l.kind, c)
			}
		}
		t.Errorf("the %s rows of partnumbers.tsv are stale: run `go test ./internal/maker -run TestMinedPartNumbers -update-partnumbers` then `go generate ./internal/maker`", l.kind)
	}
}

// rewriteMinedRows replaces the exact and ambiguous rows of the table at
// path, keeping every other line as it is.
func rewriteMinedRows(path string, mined partNumberLists) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(src)))
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "exact\t") && !strings.HasPrefix(line, "ambiguous\t") {
			b.WriteString(line + "\n")
		}
	}
	for _, l := range []struct {
		kind string
		rows exactPartNumbers
	}{{"exact", mined.exact}, {"ambiguous", mined.ambiguous}} {
		for _, r := range l.rows {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", l.kind, r.pattern, r.slug, r.source)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// familyFolds is how many folds the family split uses.
const familyFolds = 5

// partFamily is the family a part number belongs to for the split: its
// first four characters (M471, CT16, 53E1, HMA8, KF43, 3200 for Patriot's
// "3200 C16 Series"), so that one part number, and its near relatives, are
// never on both sides.
func partFamily(partNumber string) string {
	pn, _ := CleanPartNumber(partNumber)
	if placeholder.Is(pn) {
		return ""
	}
	key := partNumberKey(pn)
	return key[:min(4, len(key))]
}

func familyFold(family string) int {
	h := fnv.New32a()
	h.Write([]byte(family))
	return int(h.Sum32() % familyFolds)
}

// TestModuleMakerFamilySplit is the generalisation measurement: the
// training table is split by part-number family into familyFolds folds; for
// each fold the exact table is mined from the other folds only and the
// fold's rows are identified without their module id. Every row is scored
// once, by a table that never saw its family. The schemes stay fixed: they
// were written from makers' public numbering with the whole table in view,
// so the split measures the mined table, not them. Run with -v to see the
// figures (docs/identification.md).
func TestModuleMakerFamilySplit(t *testing.T) {
	rows := readTrainingRows(t)
	folds := make([][]trainingRow, familyFolds)
	for _, r := range rows {
		f := familyFold(partFamily(r.partNumber))
		folds[f] = append(folds[f], r)
	}
	var split, splitBlank, schemesOnly, schemesOnlyBlank moduleFigures
	misses := missTally{}
	for k := range familyFolds {
		var train []trainingRow
		for j, f := range folds {
			if j != k {
				train = append(train, f...)
			}
		}
		mined := minePartNumbers(train)
		for _, r := range folds[k] {
			pn, _ := CleanPartNumber(r.partNumber)
			_, exact := mined.exact.lookup(partNumberKey(pn))
			_, ambiguous := mined.ambiguous.lookup(partNumberKey(pn))
			if exact || ambiguous {
				t.Fatalf("fold %d: part number %q of the test fold was mined from the training folds", k, r.partNumber)
			}
		}
		identify := func(f ModuleFacts) ModuleResult { return identifyModule(f, mined) }
		none := func(f ModuleFacts) ModuleResult { return identifyModule(f, partNumberLists{}) }
		split.add(scoreModules(folds[k], false, identify, nil))
		splitBlank.add(scoreModules(blankStrings(folds[k]), false, identify, misses.add))
		schemesOnly.add(scoreModules(folds[k], false, none, nil))
		schemesOnlyBlank.add(scoreModules(blankStrings(folds[k]), false, none, nil))
	}
	t.Logf("family split, module id removed: %v", split)
	t.Logf("family split, module id removed, manufacturer string blanked: %v", splitBlank)
	t.Logf("schemes alone (no exact table), module id removed: %v", schemesOnly)
	t.Logf("schemes alone (no exact table), module id removed, manufacturer string blanked: %v", schemesOnlyBlank)
	misses.log(t, "family split, string blanked", 40)
	if p := percent(split.micronClaims-split.micronFalse, split.micronClaims); p < 99.9 {
		t.Errorf("family split: Micron precision %.3f%% < 99.9%%", p)
	}
	if split.correct < schemesOnly.correct {
		t.Errorf("family split: the mined table loses reports on families it never saw (%d correct, %d without it)", split.correct, schemesOnly.correct)
	}
}

// missTally groups the rows an identification run gets wrong or leaves
// unknown by part-number family, true maker and answer, weighted by
// reports, so that -v shows which families a scheme could still name.
// Rows whose part number is a placeholder are left out: nothing in the part
// number can name their maker.
type missTally map[missKey]*missGroup

type missKey struct{ family, truth, got string }

type missGroup struct {
	reports int
	parts   []string // distinct part number keys, first seen first
}

func (m missTally) add(r trainingRow, res ModuleResult) {
	family := partFamily(r.partNumber)
	if family == "" {
		return
	}
	k := missKey{family, r.truth, res.Module.ID}
	g := m[k]
	if g == nil {
		g = &missGroup{}
		m[k] = g
	}
	g.reports += r.reports
	pn, _ := CleanPartNumber(r.partNumber)
	if key := partNumberKey(pn); !slices.Contains(g.parts, key) {
		g.parts = append(g.parts, key)
	}
}

// log writes the n groups with most reports.
func (m missTally) log(t *testing.T, run string, n int) {
	keys := make([]missKey, 0, len(m))
	total := 0
	for k, g := range m {
		keys = append(keys, k)
		total += g.reports
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if m[a].reports != m[b].reports {
			return m[a].reports > m[b].reports
		}
		return a.family+a.truth+a.got < b.family+b.truth+b.got
	})
	t.Logf("%s: %d reports with a part number not identified as their module id's maker, in %d groups; the %d largest:", run, total, len(keys), min(n, len(keys)))
	for _, k := range keys[:min(n, len(keys))] {
		got := k.got
		if got == "" {
			got = "unknown"
		}
		g := m[k]
		t.Logf("  %5d %-6q %-24s as %-10s %s", g.reports, k.family, k.truth, got, strings.Join(g.parts[:min(4, len(g.parts))], " "))
	}
}

// blankStrings returns rows with the manufacturer string replaced by
// "Unknown", as firmware that does not decode the module id writes it: what
// the part number alone achieves.
func blankStrings(rows []trainingRow) []trainingRow {
	out := slices.Clone(rows)
	for i := range out {
		out[i].manufacturer = "Unknown"
	}
	return out
}

func (f *moduleFigures) add(g moduleFigures) {
	f.known += g.known
	f.correct += g.correct
	f.family += g.family
	f.wrong += g.wrong
	f.micronInform += g.micronInform
	f.micronFound += g.micronFound
	f.micronClaims += g.micronClaims
	f.micronFalse += g.micronFalse
}
