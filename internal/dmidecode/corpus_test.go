package dmidecode

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/testcorpus"
)

// corpusTexts returns every dmidecode text file of the shared corpus, keyed
// by a short name ("glpi/openbsd-3.8"), skipping the test when the corpus
// is absent.
func corpusTexts(t testing.TB) map[string]string {
	t.Helper()
	root := testcorpus.Dir(t, "corpus")
	files := map[string]string{}
	for _, set := range []struct{ short, glob string }{
		{"glpi", "glpi-agent-dmidecode/dmidecode/*"},
		{"linuxhw", "linuxhw-dmi/dmidecode/*"},
		{"u-root", "smbios-binary-dumps/u-root-smbios/*.orig.txt"},
	} {
		matches, err := filepath.Glob(filepath.Join(root, set.glob))
		if err != nil {
			t.Fatalf("glob %s: %v", set.glob, err)
		}
		if len(matches) == 0 {
			t.Fatalf("corpus at %s has no %s files", root, set.glob)
		}
		for _, m := range matches {
			files[set.short+"/"+filepath.Base(m)] = m
		}
	}
	return files
}

func parseFile(t testing.TB, path string) *Dump {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open corpus file: %v", err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return d
}

// countTypeHeaders counts "DMI type 17," occurrences line by line, as an
// independent count of the type-17 records of a file (both layouts put it
// on its own line or after the handle).
func countTypeHeaders(t *testing.T, path string, typ int) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	needle := fmt.Sprintf("DMI type %d,", typ)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, needle) {
			n++
		}
	}
	return n
}

func TestCorpusFilesParse(t *testing.T) {
	// The one file with a known oddity: linuxhw's serial masking left a
	// bare hash where the "Asset Tag:" lines of two empty slots were.
	wantWarnings := map[string][]string{
		"linuxhw/Desktop_Hewlett-Packard_Z800_Z800_Workstation_B1A21C790938.txt": {
			`line 917: Memory Device record at line 901 (handle 0x004E): line "3D153A129FECFD993684B5FCC9BF367A" is not "Name: value", skipped`,
			`line 1037: Memory Device record at line 1021 (handle 0x0054): line "3D153A129FECFD993684B5FCC9BF367A" is not "Name: value", skipped`,
		},
	}
	files := corpusTexts(t)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		path := files[name]
		t.Run(name, func(t *testing.T) {
			d := parseFile(t, path)
			if want := countTypeHeaders(t, path, 17); len(d.MemoryDevices) != want {
				t.Errorf("%d memory devices, file has %d type-17 headers", len(d.MemoryDevices), want)
			}
			if !reflect.DeepEqual(d.Warnings, wantWarnings[name]) {
				t.Errorf("Warnings = %q, want %q", d.Warnings, wantWarnings[name])
			}
			if d.SMBIOSVersion == "" {
				t.Error("no SMBIOS version, every corpus file has the line")
			}
			if (d.System != nil) != (countTypeHeaders(t, path, 1) > 0) {
				t.Errorf("System = %+v, file has %d type-1 headers", d.System, countTypeHeaders(t, path, 1))
			}
			for i, md := range d.MemoryDevices {
				if md.Locator == "" {
					t.Errorf("device %d has no locator: %+v", i, md)
				}
			}
		})
	}
}

// TestCorpusSpotChecks pins header records and a few record details that
// expected.tsv does not cover, per layout: old 2.6 layout, CRLF, 3.x.
func TestCorpusSpotChecks(t *testing.T) {
	files := corpusTexts(t)
	tests := []struct {
		file    string
		version string
		system  string // Manufacturer / ProductName, "" for no record
		board   string // Product, "" for no record
		check   func(t *testing.T, d *Dump)
	}{
		{file: "glpi/openbsd-3.8", version: "2.3", system: "Dell Computer Corporation / PowerEdge 1800", board: "0P8611"},
		{file: "glpi/windows-7", version: "2.6", system: "System manufacturer / System Product Name", board: "P8P67"},
		{file: "glpi/dell-r640-1", version: "3.2", system: "Dell Inc. / PowerEdge R640", board: "0H28RR",
			check: func(t *testing.T, d *Dump) {
				md := d.MemoryDevices[0]
				if md.SpeedMTs != 3200 || md.ConfiguredSpeedMTs != 2400 || md.Rank != 1 || md.TypeDetail != 1<<7|1<<13 ||
					!md.HasModuleIDs || md.ModuleManufacturerID != 0 || md.DataWidth != 64 || md.TotalWidth != 72 {
					t.Errorf("A1 = %+v", md)
				}
			}},
		{file: "glpi/dell-r620", version: "2.7", system: "Dell Inc. / PowerEdge R620",
			board: "0PXXHP", check: func(t *testing.T, d *Dump) {
				// "Configured Clock Speed" (dmidecode 3.0), trailing blanks
				// on the locator, blank strings of an empty slot.
				if md := d.MemoryDevices[0]; md.ConfiguredSpeedMTs != 1600 || md.Locator != "DIMM_A1" || md.PartNumber != "HMT42GR7AFR4A-PB" {
					t.Errorf("DIMM_A1 = %+v", md)
				}
				if md := d.MemoryDevices[8]; md.Installed || md.Manufacturer != "" || md.Rank != 0 || md.SpeedMTs != 0 {
					t.Errorf("DIMM_A9 = %+v", md)
				}
			}},
		{file: "glpi/memory_hynix-kingmax", version: "3.2", check: func(t *testing.T, d *Dump) {
			if got := d.MemoryDevices[1].ModuleManufacturerID; got != 0x2503 {
				t.Errorf("DIMM B module manufacturer id = %#04x, want 0x2503 (Bank 4, Hex 0x25)", got)
			}
		}},
		{file: "linuxhw/Desktop_Hewlett-Packard_Z800_Z800_Workstation_B1A21C790938.txt", version: "2.6",
			system: "Hewlett-Packard / HP Z800 Workstation", board: "0AECh", check: func(t *testing.T, d *Dump) {
				rom := d.MemoryDevices[12]
				if rom.Locator != "SYSTEM ROM" || rom.TypeCode != 0x09 || rom.FormFactorCode != 0x05 ||
					rom.TypeDetail != 1<<12 || rom.SizeBytes != 2<<20 {
					t.Errorf("SYSTEM ROM = %+v, want Flash (9), Chip (5), Non-Volatile, 2 MiB", rom)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path, ok := files[tt.file]
			if !ok {
				t.Fatalf("corpus has no %s", tt.file)
			}
			d := parseFile(t, path)
			if d.SMBIOSVersion != tt.version {
				t.Errorf("SMBIOSVersion = %q, want %q", d.SMBIOSVersion, tt.version)
			}
			var system, board string
			if d.System != nil {
				system = d.System.Manufacturer + " / " + d.System.ProductName
			}
			if d.Baseboard != nil {
				board = d.Baseboard.Product
			}
			if system != tt.system || board != tt.board {
				t.Errorf("system %q, board %q; want %q, %q", system, board, tt.system, tt.board)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// tsvRows reads a corpus expected.tsv into maps keyed by column name.
func tsvRows(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var header []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cells
			continue
		}
		row := map[string]string{}
		for i, h := range header {
			if i < len(cells) {
				row[h] = cells[i]
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no rows", path)
	}
	return rows
}

// column returns the cell of the first column whose name starts with
// prefix ("slot_index" matches "slot_index(NUMSLOTS)").
func column(t *testing.T, row map[string]string, prefix string) string {
	t.Helper()
	for k, v := range row {
		if strings.HasPrefix(k, prefix) {
			return v
		}
	}
	t.Fatalf("no column %q in %v", prefix, row)
	return ""
}

// expectedSize converts the corpus's size text independently of parseSize.
func expectedSize(t *testing.T, s string) (bytes uint64, installed bool) {
	t.Helper()
	if s == "No Module Installed" {
		return 0, false
	}
	var n uint64
	var unit string
	if _, err := fmt.Sscanf(s, "%d %s", &n, &unit); err != nil {
		t.Fatalf("expected size %q: %v", s, err)
	}
	mult := map[string]uint64{"kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[unit]
	if mult == 0 {
		t.Fatalf("expected size %q: unit %q not handled by the test", s, unit)
	}
	return n * mult, true
}

func checkDevice(t *testing.T, md smbios.MemoryDevice, row map[string]string, cols map[string]string) {
	t.Helper()
	want := func(key string) string { return column(t, row, cols[key]) }
	if md.Locator != want("locator") {
		t.Errorf("Locator = %q, want %q", md.Locator, want("locator"))
	}
	if c, ok := cols["bank"]; ok && md.BankLocator != column(t, row, c) {
		t.Errorf("BankLocator = %q, want %q", md.BankLocator, column(t, row, c))
	}
	size, installed := expectedSize(t, want("size"))
	if md.SizeBytes != size || md.Installed != installed || md.SizeUnknown {
		t.Errorf("size = %d installed %v unknown %v, want %d installed %v (%q)", md.SizeBytes, md.Installed, md.SizeUnknown, size, installed, want("size"))
	}
	if md.Type != want("type") {
		t.Errorf("Type = %q, want %q", md.Type, want("type"))
	}
	if md.Manufacturer != want("manufacturer") {
		t.Errorf("Manufacturer = %q, want %q", md.Manufacturer, want("manufacturer"))
	}
	if md.PartNumber != want("part") {
		t.Errorf("PartNumber = %q, want %q", md.PartNumber, want("part"))
	}
	if md.SerialNumber != want("serial") {
		t.Errorf("SerialNumber = %q, want %q", md.SerialNumber, want("serial"))
	}
	c, ok := cols["mmid"]
	if !ok {
		return
	}
	switch mmid := column(t, row, c); mmid {
	case "":
		// Line absent: nothing to decode (HasModuleIDs may still be set
		// by the declared length).
		if md.ModuleManufacturerID != 0 {
			t.Errorf("ModuleManufacturerID = %#04x with no Module Manufacturer ID line", md.ModuleManufacturerID)
		}
	case "Unknown":
		if !md.HasModuleIDs || md.ModuleManufacturerID != 0 {
			t.Errorf("HasModuleIDs %v, ModuleManufacturerID %#04x; want true, 0", md.HasModuleIDs, md.ModuleManufacturerID)
		}
	default:
		var bank int
		var code uint8
		if _, err := fmt.Sscanf(mmid, "Bank %d, Hex 0x%X", &bank, &code); err != nil {
			t.Fatalf("expected module manufacturer id %q: %v", mmid, err)
		}
		gotBank, gotCode, ok := md.ModuleManufacturerBank()
		if !ok || gotBank != bank || gotCode != code {
			t.Errorf("ModuleManufacturerBank() = %d, %#02x, %v; want %d, %#02x (%q)", gotBank, gotCode, ok, bank, code, mmid)
		}
	}
}

func TestCorpusExpectedDmidecodeText(t *testing.T) {
	root := testcorpus.Dir(t, "corpus")
	cols := map[string]string{
		"locator": "locator", "size": "size", "type": "type", "manufacturer": "manufacturer_raw",
		"part": "part_number_raw", "serial": "serial_raw", "mmid": "module_manufacturer_id_raw",
	}
	for _, set := range []string{"glpi-agent-dmidecode", "linuxhw-dmi"} {
		rows := tsvRows(t, filepath.Join(root, set, "expected.tsv"))
		dumps := map[string]*Dump{}
		for _, row := range rows {
			file := column(t, row, "dump_file")
			slot, err := strconv.Atoi(column(t, row, "slot_index"))
			if err != nil || slot < 1 {
				t.Fatalf("%s: bad slot_index in %v", set, row)
			}
			t.Run(fmt.Sprintf("%s/%s#%d", set, filepath.Base(file), slot), func(t *testing.T) {
				d, ok := dumps[file]
				if !ok {
					d = parseFile(t, filepath.Join(root, set, file))
					dumps[file] = d
				}
				if slot > len(d.MemoryDevices) {
					t.Fatalf("slot %d, but only %d memory devices", slot, len(d.MemoryDevices))
				}
				checkDevice(t, d.MemoryDevices[slot-1], row, cols)
			})
		}
	}
}

func TestCorpusExpectedURootText(t *testing.T) {
	root := testcorpus.Dir(t, "corpus", "smbios-binary-dumps")
	cols := map[string]string{
		"locator": "locator", "bank": "bank_locator", "size": "size", "type": "type",
		"manufacturer": "manufacturer_raw", "part": "part_number_raw", "serial": "serial_number_raw",
	}
	n := 0
	dumps := map[string]*Dump{}
	for _, row := range tsvRows(t, filepath.Join(root, "expected.tsv")) {
		if column(t, row, "source") != "u-root/smbios" {
			continue
		}
		n++
		file := strings.TrimSuffix(column(t, row, "dump_file"), ".bin") + ".orig.txt"
		idx, err := strconv.Atoi(column(t, row, "entry_index"))
		if err != nil || idx < 0 {
			t.Fatalf("bad entry_index in %v", row)
		}
		t.Run(fmt.Sprintf("%s#%d", filepath.Base(file), idx), func(t *testing.T) {
			d, ok := dumps[file]
			if !ok {
				d = parseFile(t, filepath.Join(root, file))
				dumps[file] = d
			}
			if idx >= len(d.MemoryDevices) {
				t.Fatalf("entry %d, but only %d memory devices", idx, len(d.MemoryDevices))
			}
			checkDevice(t, d.MemoryDevices[idx], row, cols)
		})
	}
	if n == 0 {
		t.Fatal("expected.tsv has no u-root/smbios rows")
	}
}

// notSpecifiedAsEmpty maps dmidecode's "Not Specified" (no string) to the
// binary decoder's "", the one documented difference between the two.
func notSpecifiedAsEmpty(ptrs ...*string) {
	for _, p := range ptrs {
		if *p == "Not Specified" {
			*p = ""
		}
	}
}

// TestCorpusMatchesBinaryDecoder checks the central promise: the text
// rendering of a table parses to the structs internal/smbios decodes from
// the table itself. u-root ships both for the same machines.
func TestCorpusMatchesBinaryDecoder(t *testing.T) {
	root := testcorpus.Dir(t, "corpus", "smbios-binary-dumps", "u-root-smbios")
	bins, err := filepath.Glob(filepath.Join(root, "*.bin"))
	if err != nil || len(bins) == 0 {
		t.Fatalf("no .bin files in %s: %v", root, err)
	}
	for _, bin := range bins {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			raw, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			table, err := smbios.ParseDumpBin(raw)
			if err != nil {
				t.Fatalf("smbios.ParseDumpBin: %v", err)
			}
			want, errs := table.MemoryDevices()
			if len(errs) > 0 {
				t.Fatalf("smbios.MemoryDevices: %v", errs)
			}
			d := parseFile(t, strings.TrimSuffix(bin, ".bin")+".orig.txt")
			if len(d.MemoryDevices) != len(want) {
				t.Fatalf("%d memory devices from text, %d from binary", len(d.MemoryDevices), len(want))
			}
			for i := range want {
				got := d.MemoryDevices[i]
				notSpecifiedAsEmpty(&got.Locator, &got.BankLocator, &got.Manufacturer, &got.SerialNumber, &got.AssetTag, &got.PartNumber)
				if got != want[i] {
					t.Errorf("device %d:\ntext   %+v\nbinary %+v", i, got, want[i])
				}
			}
			if sys, ok := table.System(); ok {
				got := *d.System
				notSpecifiedAsEmpty(&got.Manufacturer, &got.ProductName, &got.Version, &got.SerialNumber, &got.SKUNumber, &got.Family)
				if got != sys {
					t.Errorf("System:\ntext   %+v\nbinary %+v", got, sys)
				}
			}
			if board, ok := table.Baseboard(); ok {
				got := *d.Baseboard
				notSpecifiedAsEmpty(&got.Manufacturer, &got.Product, &got.Version, &got.SerialNumber, &got.AssetTag)
				if got != board {
					t.Errorf("Baseboard:\ntext   %+v\nbinary %+v", got, board)
				}
			}
			if v := table.Version; d.SMBIOSVersion != v.String() && d.SMBIOSVersion != fmt.Sprintf("%d.%d", v.Major, v.Minor) {
				t.Errorf("SMBIOSVersion = %q, binary entry point says %s", d.SMBIOSVersion, v)
			}
		})
	}
}
