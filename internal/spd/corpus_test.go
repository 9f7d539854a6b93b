package spd

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/hexdump"
	"github.com/memledger/memledger/internal/testcorpus"
)

// expectedRow is one row of illumos-libjedec-spd/expected.tsv: the values
// the illumos libjedec tests assert. "(not asserted...)" cells are "".
type expectedRow struct {
	line                                    int
	file                                    string
	dramType, modType                       string
	modMfr, partNumber, serial, dramMfrName string
}

func loadExpected(t *testing.T, dir string) []expectedRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expected.tsv"))
	if err != nil {
		t.Skipf("corpus not found at %s: %v", dir, err)
	}
	defer f.Close()
	cell := func(s string) string {
		if strings.HasPrefix(s, "(not asserted") {
			return ""
		}
		return s
	}
	var rows []expectedRow
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if line == 1 || strings.TrimSpace(sc.Text()) == "" {
			continue // header
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 7 {
			t.Fatalf("expected.tsv line %d: %d columns, want at least 7", line, len(c))
		}
		rows = append(rows, expectedRow{
			line: line, file: c[0],
			// SPD_DT_DDR4_SDRAM -> DDR4; SPD_MOD_TYPE_RDIMM -> RDIMM
			dramType:    strings.TrimSuffix(strings.TrimPrefix(cell(c[1]), "SPD_DT_"), "_SDRAM"),
			modType:     strings.TrimPrefix(cell(c[2]), "SPD_MOD_TYPE_"),
			modMfr:      cell(c[3]),
			partNumber:  cell(c[4]),
			serial:      cell(c[5]),
			dramMfrName: cell(c[6]),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read expected.tsv: %v", err)
	}
	if len(rows) == 0 {
		t.Fatalf("expected.tsv in %s has no rows", dir)
	}
	return rows
}

func decodeCorpusFile(t *testing.T, path string) *Module {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := hexdump.Decode(text)
	if err != nil {
		t.Fatalf("hexdump.Decode(%s): %v", path, err)
	}
	m, err := Decode(img)
	if err != nil {
		t.Fatalf("Decode(%s): %v", path, err)
	}
	return m
}

// TestCorpusConformance checks every value the illumos libjedec tests assert
// for the nine public SPD images.
func TestCorpusConformance(t *testing.T) {
	dir := testcorpus.Dir(t, "corpus", "illumos-libjedec-spd")
	for _, row := range loadExpected(t, dir) {
		t.Run(row.file, func(t *testing.T) {
			m := decodeCorpusFile(t, filepath.Join(dir, filepath.FromSlash(row.file)))
			check := func(field, got, want string) {
				t.Helper()
				if want != "" && got != want {
					t.Errorf("expected.tsv line %d: %s = %q, want %q", row.line, field, got, want)
				}
			}
			name := func(ok bool, n string, known bool) string {
				if !ok || !known {
					return "<unknown>"
				}
				return n
			}
			check("memory type", m.MemoryType, row.dramType)
			check("module type", m.ModuleType, row.modType)
			mn, mk := m.ModuleManufacturer.Name()
			check("module manufacturer", name(m.ModuleManufacturerOK, mn, mk), row.modMfr)
			check("part number", m.PartNumber, row.partNumber)
			check("serial", m.SerialNumber, row.serial)
			dn, dk := m.DRAMManufacturer.Name()
			check("DRAM manufacturer", name(m.DRAMManufacturerOK, dn, dk), row.dramMfrName)
		})
	}
}

// TestCorpusCRCAndCapacity: not asserted by illumos, but facts about these
// images: every one carries CRCs that match (verified here and by the
// independent spdtest CRC routine's check value), and each part number
// encodes the module capacity in its maker's public part-number scheme.
func TestCorpusCRCAndCapacity(t *testing.T) {
	dir := testcorpus.Dir(t, "corpus", "illumos-libjedec-spd")
	tests := []struct {
		file string
		size uint64 // 0: no capacity computed (LPDDR)
		crcs int
	}{
		{"ddr3/M393B4G70BM0-CMA09.spd", 32 * gib, 1},      // Samsung 4G x72: 32 GB
		{"ddr3/MT36KSZF2G72LDZ-1G6E2A7.spd", 16 * gib, 1}, // Micron 2G x72: 16 GB
		{"ddr4/36ASF8G72PZ-3G2E1.spd", 64 * gib, 2},       // Micron 8G x72: 64 GB
		{"ddr4/M386AAK40B40-CWD70.spd", 128 * gib, 2},     // Samsung 128 GB 3DS LRDIMM
		{"ddr4/AQD-SD4U16GN32-SE1.spd", 16 * gib, 2},      // Advantech 16 GB SODIMM
		{"ddr4/AQD-D4U32N32-SBW.spd", 32 * gib, 2},        // Advantech 32 GB UDIMM
		{"ddr5/AQD-D5V16GR48-SB.spd", 16 * gib, 1},        // Advantech 16 GB RDIMM
		{"ddr5/MTC40F2046S1RC48BA1.spd", 64 * gib, 1},     // Micron 64 GB RDIMM
		{"lpddr4/MT53D1024M32D4.spd", 0, 1},               // soldered LPDDR4, no LP-DIMM block 1
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m := decodeCorpusFile(t, filepath.Join(dir, filepath.FromSlash(tc.file)))
			if m.SizeBytes != tc.size {
				t.Errorf("SizeBytes = %d (%.2f GiB), want %d GiB", m.SizeBytes, float64(m.SizeBytes)/gib, tc.size/gib)
			}
			if len(m.CRCs) != tc.crcs || !m.CRCOK() {
				t.Errorf("CRCs = %+v, want %d matching", m.CRCs, tc.crcs)
			}
		})
	}
}
