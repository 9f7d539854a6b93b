package maker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/placeholder"
	"github.com/memledger/memledger/internal/testcorpus"
)

// trainingRow is one row of linuxhw-dmi-train/modules.tsv: a distinct
// (type, manufacturer string, part number, Module Manufacturer ID) seen in
// reports reports.
type trainingRow struct {
	line         int
	memType      string
	manufacturer string
	partNumber   string
	word         uint16 // SMBIOS Module Manufacturer ID word; 0 when the row's id is not a usable JEP106 id
	truth        string // slug of the maker the module id names; "" when it names none
	reports      int
}

// trainingColumns is the header of modules.tsv.
var trainingColumns = []string{"type", "manufacturer", "part_number", "module_id_bank", "module_id_code", "reports"}

// readTrainingRows reads the mined linuxhw/DMI table, skipping the test when
// the shared corpus is absent.
func readTrainingRows(t testing.TB) []trainingRow {
	t.Helper()
	path := filepath.Join(testcorpus.Dir(t, "corpus", "linuxhw-dmi-train"), "modules.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("training table not found at %s: %v", path, err)
	}
	defer f.Close()
	rows, err := parseTrainingRows(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// parseTrainingRows parses modules.tsv. A row whose module id is not a
// usable JEP106 id (bank 128 code 0xFF: nothing programmed) keeps word 0 and
// an unknown truth.
func parseTrainingRows(r io.Reader) ([]trainingRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var (
		rows []trainingRow
		line int
	)
	for sc.Scan() {
		line++
		fields := strings.Split(strings.TrimSuffix(sc.Text(), "\r"), "\t")
		if line == 1 {
			if strings.Join(fields, ",") != strings.Join(trainingColumns, ",") {
				return nil, fmt.Errorf("line 1: header %q, want %q", sc.Text(), strings.Join(trainingColumns, "\t"))
			}
			continue
		}
		if len(fields) != len(trainingColumns) {
			return nil, fmt.Errorf("line %d: %d fields, want %d", line, len(fields), len(trainingColumns))
		}
		bank, err := strconv.Atoi(fields[3])
		if err != nil || bank < 1 {
			return nil, fmt.Errorf("line %d: field module_id_bank %q is not a positive number", line, fields[3])
		}
		code, err := strconv.ParseUint(strings.TrimPrefix(fields[4], "0x"), 16, 8)
		if err != nil || !strings.HasPrefix(fields[4], "0x") {
			return nil, fmt.Errorf("line %d: field module_id_code %q is not 0xHH", line, fields[4])
		}
		reports, err := strconv.Atoi(fields[5])
		if err != nil || reports < 1 {
			return nil, fmt.Errorf("line %d: field reports %q is not a positive number", line, fields[5])
		}
		row := trainingRow{line: line, memType: fields[0], manufacturer: fields[1], partNumber: fields[2], reports: reports}
		if bank <= 256 {
			row.word = uint16(bank-1) | uint16(code)<<8
			if v := IdentifyModule(ModuleFacts{ModuleManufacturerID: row.word}).Module; v.Known() {
				row.truth = v.ID
			} else {
				row.word = 0
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("empty table: no header")
	}
	return rows, nil
}

// parentOf returns the owning company of a maker slug, "" for unknown.
func parentOf(slug string) string {
	if m := lookupSlug(slug); m != nil {
		return m.Parent
	}
	return ""
}

// moduleFigures are the scores of one identification run over training
// rows, weighted by reports.
type moduleFigures struct {
	known        int // reports whose module id names a maker
	correct      int // ... identified as that maker
	family       int // ... identified as that maker or one with the same parent
	wrong        int // ... identified as an unrelated maker
	micronInform int // Micron-family reports (by module id) whose string or part number is not a placeholder
	micronFound  int // ... identified as a Micron-family maker
	micronClaims int // reports of known maker identified as Micron-family
	micronFalse  int // ... whose module id names another family
}

func (f moduleFigures) String() string {
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	return fmt.Sprintf("accuracy %.2f%% (%d/%d), same-parent %.2f%%, wrong %.2f%% (%d); Micron recall %.2f%% (%d/%d informative), Micron precision %.3f%% (%d false of %d)",
		pct(f.correct, f.known), f.correct, f.known, pct(f.family, f.known), pct(f.wrong, f.known), f.wrong,
		pct(f.micronFound, f.micronInform), f.micronFound, f.micronInform,
		pct(f.micronClaims-f.micronFalse, f.micronClaims), f.micronFalse, f.micronClaims)
}

// scoreModules identifies every row of known maker with identify and adds
// up the figures.
func scoreModules(rows []trainingRow, withModuleID bool, identify func(ModuleFacts) ModuleResult, miss func(trainingRow, ModuleResult)) moduleFigures {
	var f moduleFigures
	for _, r := range rows {
		if r.truth == "" {
			continue
		}
		facts := ModuleFacts{ManufacturerRaw: r.manufacturer, PartNumber: r.partNumber}
		if withModuleID {
			facts.ModuleManufacturerID = r.word
		}
		res := identify(facts)
		got := res.Module.ID
		f.known += r.reports
		switch {
		case got == r.truth:
			f.correct += r.reports
			f.family += r.reports
		case got != "" && parentOf(got) == parentOf(r.truth):
			f.family += r.reports
		case got != "":
			f.wrong += r.reports
		}
		if got != r.truth && miss != nil {
			miss(r, res)
		}
		truthMicron := parentOf(r.truth) == "micron"
		gotMicron := got != "" && parentOf(got) == "micron"
		pn, _ := CleanPartNumber(r.partNumber)
		if truthMicron && (!placeholder.Is(r.manufacturer) || !placeholder.Is(pn)) {
			f.micronInform += r.reports
			if gotMicron {
				f.micronFound += r.reports
			}
		}
		if gotMicron {
			f.micronClaims += r.reports
			if !truthMicron {
				f.micronFalse += r.reports
			}
		}
	}
	return f
}

// TestModuleMakerTrainingTable identifies every training row with and
// without its module id, as IdentifyModule does in the field. Without the
// id these are in-sample figures (the exact table was mined from these very
// rows; TestModuleMakerFamilySplit measures what generalises). Run with -v
// to see them (docs/identification.md).
func TestModuleMakerTrainingTable(t *testing.T) {
	rows := readTrainingRows(t)
	without := scoreModules(rows, false, IdentifyModule, nil)
	t.Logf("module id removed: %v", without)
	blank := scoreModules(blankStrings(rows), false, IdentifyModule, nil)
	t.Logf("module id removed, manufacturer string blanked: %v", blank)
	with := scoreModules(rows, true, IdentifyModule, nil)
	t.Logf("module id kept: %v", with)
	if with.correct != with.known {
		t.Errorf("with the module id kept, %d of %d reports are not identified as their module id's maker", with.known-with.correct, with.known)
	}
	// Floors a little under today's figures, so that a rule that costs
	// accuracy or names Micron falsely cannot land unnoticed.
	if p := percent(without.correct, without.known); p < 97.5 {
		t.Errorf("module id removed: accuracy %.2f%% < 97.5%%", p)
	}
	if p := percent(without.micronFound, without.micronInform); p < 99.5 {
		t.Errorf("module id removed: Micron recall %.2f%% < 99.5%%", p)
	}
	for _, f := range []moduleFigures{without, blank} {
		if p := percent(f.micronClaims-f.micronFalse, f.micronClaims); p < 99.9 {
			t.Errorf("Micron precision %.3f%% < 99.9%%: %v", p, f)
		}
	}
}

// schemeStats is how often a scheme row fires on training rows of known
// maker, weighted by reports, and on whose modules.
type schemeStats struct {
	row   partNumberRow
	fired int
	right int // the module id names the scheme's maker or one with the same parent
	// aloneFired and aloneRight count the rows whose manufacturer string is
	// a placeholder, where the part number decides alone.
	aloneFired, aloneRight int
	wrongBy                map[string]int // the other makers it fired on
	wrongRows              []string
}

func measureSchemes(rows []trainingRow) []schemeStats {
	schemes := compileSchemes()
	stats := make([]schemeStats, len(schemes))
	for i := range stats {
		s := partNumberSchemes[i]
		stats[i] = schemeStats{row: partNumberRow{s.pattern, s.slug, s.source}, wrongBy: map[string]int{}}
	}
	for _, r := range rows {
		pn, _ := CleanPartNumber(r.partNumber)
		if r.truth == "" || placeholder.Is(pn) {
			continue
		}
		key := partNumberKey(pn)
		for i, re := range schemes {
			if !re.MatchString(key) {
				continue
			}
			st := &stats[i]
			st.fired += r.reports
			right := parentOf(r.truth) == parentOf(partNumberSchemes[i].slug)
			if placeholder.Is(r.manufacturer) {
				st.aloneFired += r.reports
				if right {
					st.aloneRight += r.reports
				}
			}
			if right {
				st.right += r.reports
			} else {
				st.wrongBy[r.truth] += r.reports
				st.wrongRows = append(st.wrongRows, fmt.Sprintf("%s %q (line %d, %d reports)", r.truth, r.partNumber, r.line, r.reports))
			}
		}
	}
	return stats
}

// TestPartNumberSchemePrecision measures every scheme on the training table
// (truth: the Module Manufacturer ID; makers of one parent count as one,
// since Crucial modules carry Micron's id and the reverse).
//
// What a scheme costs is measured where the manufacturer string is a
// placeholder, because only there does the part number decide: a
// Micron-family scheme may be wrong on at most 2 of those reports, any
// other on at most 5, and where a scheme decides 100 reports or more, on at
// most 0.1% (Micron family) or 1% of them. Samsung's M471... is the
// scheme nearest its bar: clone makers (Kllisre, Heoriady) sell modules
// under Samsung's numbers with an "Unknown" string. Over all rows the precision is logged, not gated: some firmware
// pairs one maker's id and name with another maker's DRAM package number
// (Samsung + MT53D512M64D4RQ-046), and clone makers reuse Samsung's and
// Micron's module numbers; there the name outweighs the part number, or
// the module id is the clone maker's.
func TestPartNumberSchemePrecision(t *testing.T) {
	rows := readTrainingRows(t)
	for _, st := range measureSchemes(rows) {
		t.Logf("%-12s %-50s fired %5d precision %6.2f%%, alone %4d precision %6.2f%%; wrong %v",
			st.row.slug, st.row.pattern, st.fired, percent(st.right, st.fired), st.aloneFired, percent(st.aloneRight, st.aloneFired), st.wrongBy)
		share, most := 1.0, 5
		if parentOf(st.row.slug) == "micron" {
			share, most = 0.1, 2
		}
		wrong := st.aloneFired - st.aloneRight
		if wrong > most || st.aloneFired >= 100 && float64(wrong) > share/100*float64(st.aloneFired) {
			t.Errorf("scheme %s %q: wrong on %d of %d reports where the part number decides alone (allowed: %.1f%%, at most %d); fired on %s",
				st.row.slug, st.row.pattern, wrong, st.aloneFired, share, most, strings.Join(st.wrongRows, "; "))
		}
	}
}

// percent is 100*a/b, and 100 when b is 0 (no claim, no wrong claim).
func percent(a, b int) float64 {
	if b == 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}
