package smbios_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
)

var v33 = smbios.Version{Major: 3, Minor: 3}

// structureSummary is what the table tests compare per structure.
type structureSummary struct {
	typ     uint8
	length  uint8
	handle  uint16
	offset  int
	strings []string
}

func summarize(t *smbios.Table) []structureSummary {
	var out []structureSummary
	for _, s := range t.Structures {
		out = append(out, structureSummary{s.Type, s.Length, s.Handle, s.Offset, s.Strings})
	}
	return out
}

func equalSummaries(a, b []structureSummary) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.typ != y.typ || x.length != y.length || x.handle != y.handle || x.offset != y.offset || strings.Join(x.strings, "\x00") != strings.Join(y.strings, "\x00") || len(x.strings) != len(y.strings) {
			return false
		}
	}
	return true
}

func TestParseTableLayout(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *smbiostest.Builder)
		want  []structureSummary
	}{
		{
			name: "structures with and without strings, then end of table",
			build: func(b *smbiostest.Builder) {
				b.AddStructure(0x80, []byte{1, 2, 3}, "first", "second")
				b.AddStructure(0x81, nil)
				b.AddEndOfTable()
			},
			want: []structureSummary{
				// 4+3 formatted, "first\0second\0\0" = 14
				{0x80, 7, 0, 0, []string{"first", "second"}},
				// no strings: bare double NUL
				{0x81, 4, 1, 21, nil},
				{127, 4, 2, 27, nil},
			},
		},
		{
			// dmidecode cannot reach strings after an empty one, so
			// neither does Strings.
			name: "first string empty: the set is empty",
			build: func(b *smbiostest.Builder) {
				b.AddRaw([]byte{0x80, 4, 0x05, 0x00, 0, 'x', 0, 0})
				b.AddEndOfTable()
			},
			want: []structureSummary{
				{0x80, 4, 5, 0, nil},
				{127, 4, 0, 8, nil},
			},
		},
		{
			name: "stops at end of table and ignores what follows",
			build: func(b *smbiostest.Builder) {
				b.AddStructure(0x80, nil, "x")
				b.AddEndOfTable()
				b.AddRaw([]byte("garbage after the end-of-table marker"))
			},
			want: []structureSummary{
				{0x80, 4, 0, 0, []string{"x"}},
				{127, 4, 1, 7, nil},
			},
		},
		{
			name: "no end-of-table structure, zero padding after the last one",
			build: func(b *smbiostest.Builder) {
				b.AddStructure(0x80, nil, "x")
				b.AddRaw(make([]byte, 9))
			},
			want: []structureSummary{{0x80, 4, 0, 0, []string{"x"}}},
		},
		{
			name: "no end-of-table structure, table ends exactly after the last one",
			build: func(b *smbiostest.Builder) {
				b.AddStructure(0x80, nil, "x")
				b.AddStructure(0x81, []byte{9}, "y")
			},
			want: []structureSummary{
				{0x80, 4, 0, 0, []string{"x"}},
				{0x81, 5, 1, 7, []string{"y"}},
			},
		},
		{name: "empty table", build: func(*smbiostest.Builder) {}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := smbiostest.NewBuilder()
			tc.build(b)
			tab, err := smbios.ParseTable(b.Bytes(), v33)
			if err != nil {
				t.Fatalf("ParseTable: %v", err)
			}
			if got := summarize(tab); !equalSummaries(got, tc.want) {
				t.Errorf("structures:\n got %+v\nwant %+v", got, tc.want)
			}
			if tab.Version != v33 || tab.EntryPoint != nil {
				t.Errorf("Version/EntryPoint = %v/%v, want %v/nil", tab.Version, tab.EntryPoint, v33)
			}
		})
	}
}

func TestParseTableDataAliasesHeader(t *testing.T) {
	b := smbiostest.NewBuilder()
	b.AddStructureWithHandle(0x85, 0xBEEF, []byte{0xAA, 0xBB}, "s")
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	s := tab.Structures[0]
	want := []byte{0x85, 6, 0xEF, 0xBE, 0xAA, 0xBB}
	if !bytes.Equal(s.Data, want) {
		t.Errorf("Data = % X, want % X (header included)", s.Data, want)
	}
	if s.Byte(4) != 0xAA || s.Word(4) != 0xBBAA || s.Byte(6) != 0 || s.Word(5) != 0 || s.DWord(3) != 0 {
		t.Errorf("accessors: Byte(4)=%#x Word(4)=%#x Byte(6)=%#x Word(5)=%#x DWord(3)=%#x", s.Byte(4), s.Word(4), s.Byte(6), s.Word(5), s.DWord(3))
	}
	if s.Has(-1, 1) || !s.Has(0, 6) || s.Has(0, 7) {
		t.Errorf("Has bounds wrong")
	}
}

func TestParseTableErrors(t *testing.T) {
	good := func() *smbiostest.Builder {
		b := smbiostest.NewBuilder()
		b.AddStructureWithHandle(0x80, 0x0100, []byte{1, 2}, "ok")
		return b
	}
	tests := []struct {
		name      string
		table     []byte
		wantErr   error
		errHas    []string
		wantCount int // structures returned with the error
	}{
		{
			name: "length below 4",
			table: func() []byte {
				b := good()
				b.AddRaw([]byte{0x11, 0x02, 0x34, 0x12, 0xFF, 0, 0})
				return b.Bytes()
			}(),
			wantErr:   smbios.ErrMalformed,
			errHas:    []string{"offset 10", "handle 0x1234", "length 2"},
			wantCount: 1,
		},
		{
			name: "formatted area runs past the end",
			table: func() []byte {
				b := good()
				b.AddRaw([]byte{0x11, 0x28, 0x42, 0x00, 1, 2, 3})
				return b.Bytes()
			}(),
			wantErr:   smbios.ErrTruncated,
			errHas:    []string{"offset 10", "handle 0x0042", "type 17", "40 bytes"},
			wantCount: 1,
		},
		{
			name: "string set without double NUL",
			table: func() []byte {
				b := good()
				b.AddRaw([]byte{0x01, 0x04, 0x07, 0x00, 'a', 'b', 0, 'c'})
				return b.Bytes()
			}(),
			wantErr:   smbios.ErrTruncated,
			errHas:    []string{"offset 10", "handle 0x0007", "no double-NUL"},
			wantCount: 1,
		},
		{
			// "a\0\0b\0\0": the first double NUL ends the structure, so
			// "b\0\0" is left over, too short for a header.
			name: "empty string in the middle of a set leaves stray bytes",
			table: func() []byte {
				b := smbiostest.NewBuilder()
				b.AddStructure(0x80, nil, "a", "", "b")
				return b.Bytes()
			}(),
			wantErr:   smbios.ErrTruncated,
			errHas:    []string{"3 stray bytes at offset 7"},
			wantCount: 1,
		},
		{
			name: "stray bytes too short for a header",
			table: func() []byte {
				b := good()
				b.AddRaw([]byte{0x11, 0x05})
				return b.Bytes()
			}(),
			wantErr:   smbios.ErrTruncated,
			errHas:    []string{"2 stray bytes at offset 10"},
			wantCount: 1,
		},
		{
			name:      "first structure already broken",
			table:     []byte{0x11, 0x50, 0x00, 0x00},
			wantErr:   smbios.ErrTruncated,
			errHas:    []string{"offset 0"},
			wantCount: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := smbios.ParseTable(tc.table, v33)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if tab == nil {
				t.Fatal("partial table is nil")
			}
			if len(tab.Structures) != tc.wantCount {
				t.Errorf("got %d structures with the error, want %d", len(tab.Structures), tc.wantCount)
			}
		})
	}
}

func TestStructureString(t *testing.T) {
	b := smbiostest.NewBuilder()
	b.AddStructure(0x80, nil, "Micron   ", "  lead", "ctl\x01\x7f\xc3\xa9", "   ")
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	s := &tab.Structures[0]
	tests := []struct {
		index   uint8
		want    string
		wantErr bool
	}{
		{0, "", false},
		{1, "Micron", false},       // trailing spaces trimmed
		{2, "  lead", false},       // leading spaces kept
		{3, "ctl....", false},      // control, DEL and each non-ASCII byte become '.'
		{4, "", false},             // only spaces
		{5, smbios.BadIndex, true}, // beyond the set
		{255, smbios.BadIndex, true},
	}
	for _, tc := range tests {
		got, err := s.String(tc.index)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("String(%d) = %q, %v; want %q, error %v", tc.index, got, err, tc.want, tc.wantErr)
		}
		if err != nil && (!errors.Is(err, smbios.ErrBadStringIndex) || !strings.Contains(err.Error(), "handle 0x0000")) {
			t.Errorf("String(%d) error %q should wrap ErrBadStringIndex and name the handle", tc.index, err)
		}
	}
	if s.Strings[0] != "Micron   " {
		t.Errorf("raw Strings[0] = %q, want it unmodified", s.Strings[0])
	}
}

func buildSmallTable() (table []byte, count int) {
	b := smbiostest.NewBuilder()
	b.AddSystem(smbiostest.System{Manufacturer: "ACME", ProductName: "Box"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Size: 8192, Type: 0x1A, Locator: "DIMM0"})
	b.AddEndOfTable()
	return b.Bytes(), b.Count()
}

func TestParseDumpBin(t *testing.T) {
	table, count := buildSmallTable()
	tests := []struct {
		name      string
		file      []byte
		wantVer   smbios.Version
		wantN     int
		wantErr   error
		errHas    string
		wantTable bool
	}{
		{
			name:      "SMBIOS 3.3 dump",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint30(3, 3, 0, uint32(len(table))), table),
			wantVer:   smbios.Version{Major: 3, Minor: 3},
			wantN:     count,
			wantTable: true,
		},
		{
			name:      "SMBIOS 3 maximum length larger than the table",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint30(3, 5, 0, 0x10000), table),
			wantVer:   smbios.Version{Major: 3, Minor: 5},
			wantN:     count,
			wantTable: true,
		},
		{
			name:      "SMBIOS 2.7 dump",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint21(2, 7, uint16(len(table)), uint16(count)), table),
			wantVer:   smbios.Version{Major: 2, Minor: 7},
			wantN:     count,
			wantTable: true,
		},
		{
			name:      "2.x structure count stops decoding",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint21(2, 7, uint16(len(table)), 1), table),
			wantVer:   smbios.Version{Major: 2, Minor: 7},
			wantN:     1,
			wantTable: true,
		},
		{
			name:      "huge announced count on a small table",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint21(2, 7, uint16(len(table)), 0xFFFF), table),
			wantVer:   smbios.Version{Major: 2, Minor: 7},
			wantN:     count,
			wantTable: true,
		},
		{
			name:      "2.x table length cuts the last structure",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint21(2, 7, uint16(len(table)-3), uint16(count)), table),
			wantVer:   smbios.Version{Major: 2, Minor: 7},
			wantN:     count - 1,
			wantErr:   smbios.ErrTruncated,
			errHas:    "dump-bin table (SMBIOS 2.7.0)",
			wantTable: true,
		},
		{
			name:      "2.x table cut between two structures",
			file:      smbiostest.DumpBin(smbiostest.EntryPoint21(2, 7, uint16(len(table)), uint16(count)), table[:len(table)-6]),
			wantVer:   smbios.Version{Major: 2, Minor: 7},
			wantN:     count - 1,
			wantErr:   smbios.ErrTruncated,
			errHas:    "ends at byte",
			wantTable: true,
		},
		{
			name: "table address beyond the file",
			file: func() []byte {
				ep := smbiostest.EntryPoint30(3, 3, 0, 100)
				ep[0x10] = 0xF0 // address 0xF0
				ep[0x11] = 0x01
				fixChecksum(ep, 0, 0x18, 5)
				return smbiostest.DumpBin(ep, table)
			}(),
			wantErr: smbios.ErrTruncated,
			errHas:  "offset 496",
		},
		{
			name: "table address inside the entry point",
			file: func() []byte {
				ep := smbiostest.EntryPoint30(3, 3, 0, 100)
				ep[0x10] = 0x08
				fixChecksum(ep, 0, 0x18, 5)
				return smbiostest.DumpBin(ep, table)
			}(),
			wantErr: smbios.ErrMalformed,
			errHas:  "inside the 24-byte entry point",
		},
		{
			name:    "bad entry point checksum",
			file:    func() []byte { f := smbiostest.DumpBin(smbiostest.EntryPoint30(3, 3, 0, 100), table); f[7]++; return f }(),
			wantErr: smbios.ErrChecksum,
			errHas:  "dump-bin",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := smbios.ParseDumpBin(tc.file)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q does not mention %q", err, tc.errHas)
			}
			if (tab != nil) != tc.wantTable {
				t.Fatalf("table = %v, want non-nil %v", tab, tc.wantTable)
			}
			if tab == nil {
				return
			}
			if tab.Version != tc.wantVer || len(tab.Structures) != tc.wantN || tab.EntryPoint == nil {
				t.Errorf("version %v, %d structures, entry point %v; want %v, %d, non-nil", tab.Version, len(tab.Structures), tab.EntryPoint, tc.wantVer, tc.wantN)
			}
		})
	}
}

func TestParseDetectsKind(t *testing.T) {
	table, count := buildSmallTable()
	dump := smbiostest.DumpBin(smbiostest.EntryPoint21(2, 5, uint16(len(table)), uint16(count)), table)

	fromRaw, err := smbios.Parse(table)
	if err != nil {
		t.Fatal(err)
	}
	if fromRaw.EntryPoint != nil || fromRaw.Version != smbios.DefaultRawVersion || fromRaw.Version.String() != "3.3.0" {
		t.Errorf("raw table: entry point %v, version %v; want nil, 3.3.0", fromRaw.EntryPoint, fromRaw.Version)
	}
	fromDump, err := smbios.Parse(dump)
	if err != nil {
		t.Fatal(err)
	}
	if fromDump.EntryPoint == nil || fromDump.Version != (smbios.Version{Major: 2, Minor: 5}) {
		t.Errorf("dump: entry point %v, version %v; want non-nil, 2.5.0", fromDump.EntryPoint, fromDump.Version)
	}
	if len(fromRaw.Structures) != count || len(fromDump.Structures) != count {
		t.Errorf("structure counts %d / %d, want %d", len(fromRaw.Structures), len(fromDump.Structures), count)
	}
	// A file that starts with an anchor but is broken must not silently
	// fall back to the raw interpretation.
	if _, err := smbios.Parse(dump[:10]); !errors.Is(err, smbios.ErrTruncated) {
		t.Errorf("Parse(truncated dump) error = %v, want ErrTruncated", err)
	}
}

func TestParseSysfs(t *testing.T) {
	table, count := buildSmallTable()
	tests := []struct {
		name   string
		entry  []byte
		table  []byte
		wantN  int
		errIs  error
		errHas string
	}{
		{"3.x entry point", smbiostest.EntryPoint30(3, 4, 0, uint32(len(table))), table, count, nil, ""},
		{"2.x entry point", smbiostest.EntryPoint21(2, 8, uint16(len(table)), uint16(count)), table, count, nil, ""},
		{
			// 6 bytes is exactly the end-of-table structure: a clean cut.
			name:  "announced length excludes the end-of-table structure",
			entry: smbiostest.EntryPoint30(3, 4, 0, uint32(len(table)-6)),
			table: table, wantN: count - 1,
		},
		{
			name:  "announced length cuts into the memory device",
			entry: smbiostest.EntryPoint30(3, 4, 0, uint32(len(table)-7)),
			table: table, wantN: count - 2, errIs: smbios.ErrTruncated, errHas: "sysfs DMI table",
		},
		{
			// 2.x: the table is shorter than announced, the end-of-table
			// structure and the count not reached.
			name:  "2.x table cut between two structures",
			entry: smbiostest.EntryPoint21(2, 8, uint16(len(table)), uint16(count)),
			table: table[:len(table)-6], wantN: count - 1, errIs: smbios.ErrTruncated, errHas: "sysfs DMI table",
		},
		{
			name:  "bad entry point",
			entry: []byte("_SM3_ but far too short"), table: table,
			errIs: smbios.ErrTruncated, errHas: "sysfs smbios_entry_point",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := smbios.ParseSysfs(tc.entry, tc.table)
			if !errors.Is(err, tc.errIs) || (tc.errIs == nil) != (err == nil) {
				t.Fatalf("error = %v, want %v", err, tc.errIs)
			}
			if err != nil && !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q does not mention %q", err, tc.errHas)
			}
			if tab != nil && len(tab.Structures) != tc.wantN {
				t.Errorf("%d structures, want %d", len(tab.Structures), tc.wantN)
			}
		})
	}
}

func TestStructuresOfType(t *testing.T) {
	b := smbiostest.NewBuilder()
	b.AddMemoryDevice(smbiostest.MemoryDevice{Locator: "A"})
	b.AddStructure(0x80, nil)
	b.AddMemoryDevice(smbiostest.MemoryDevice{Locator: "B"})
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	got := tab.StructuresOfType(smbios.TypeMemoryDevice)
	if len(got) != 2 || got[0].Handle != 0 || got[1].Handle != 2 {
		t.Errorf("StructuresOfType(17) = %d structures", len(got))
	}
	if n := len(tab.StructuresOfType(42)); n != 0 {
		t.Errorf("StructuresOfType(42) = %d, want 0", n)
	}
}
