package smbios_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	"github.com/memledger/memledger/internal/testcorpus"
)

// corpusDumps returns the binary dumps of the shared corpus, or nil when it
// is absent (fuzz seeding then uses the synthetic tables only).
func corpusDumps(tb testing.TB) [][]byte {
	shared := testcorpus.SharedDir()
	if shared == "" {
		return nil
	}
	var out [][]byte
	for _, pattern := range []string{"u-root-smbios/*.bin", "siderolabs-go-smbios/*.dmi"} {
		files, _ := filepath.Glob(filepath.Join(shared, "corpus", "smbios-binary-dumps", pattern))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatalf("reading %s: %v", f, err)
			}
			out = append(out, b)
		}
	}
	return out
}

// syntheticTable is a small but complete 3.x table.
func syntheticTable() []byte {
	b := smbiostest.NewBuilder()
	b.AddSystem(smbiostest.System{Manufacturer: "Supermicro", ProductName: "SYS-1027R-WRF", UUID: dellUUID, SKUNumber: "x", Family: "y"})
	b.AddBaseboard(smbiostest.Baseboard{Manufacturer: "Supermicro", Product: "X9DRW"})
	b.AddMemoryDevice(fullDevice)
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x1C, Size: 0x8100, Type: 0x18, Locator: "DIMM_B1", Manufacturer: "Kingston"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x15, Locator: "empty"})
	b.AddEndOfTable()
	return b.Bytes()
}

func FuzzParse(f *testing.F) {
	table := syntheticTable()
	f.Add(table)
	f.Add(smbiostest.DumpBin(smbiostest.EntryPoint30(3, 3, 0, uint32(len(table))), table))
	f.Add(smbiostest.DumpBin(smbiostest.EntryPoint21(2, 7, uint16(len(table)), 6), table))
	f.Add(table[:len(table)/2])
	f.Add([]byte{17, 0x5C, 0, 0})
	for _, d := range corpusDumps(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := smbios.Parse(b)
		if tab == nil {
			if err == nil {
				t.Fatal("nil table without error")
			}
			return
		}
		// Structures must be disjoint and in order: each starts at or after
		// the end of the previous one's double-NUL terminator.
		prevEnd := 0
		for i, s := range tab.Structures {
			if int(s.Length) != len(s.Data) || s.Length < 4 || s.Offset < prevEnd || (i == 0 && s.Offset != 0) || s.Type != s.Data[0] {
				t.Fatalf("structure %d inconsistent: type %d length %d data %d offset %d (previous end %d)", i, s.Type, s.Length, len(s.Data), s.Offset, prevEnd)
			}
			for _, str := range s.Strings {
				if str == "" {
					t.Fatalf("structure %d has an empty string in its set", i)
				}
			}
			prevEnd = s.Offset + int(s.Length) + 2
		}
		mds, errs := tab.MemoryDevices()
		checkDevices(t, mds, errs)
		tab.System()
		tab.Baseboard()
	})
}

// checkDevices asserts the invariants every decoded device must hold.
func checkDevices(t *testing.T, mds []smbios.MemoryDevice, errs []error) {
	t.Helper()
	for _, md := range mds {
		if !md.Installed && (md.SizeBytes != 0 || md.SizeUnknown) {
			t.Fatalf("not installed but size %d / unknown %v", md.SizeBytes, md.SizeUnknown)
		}
		if md.Type != smbios.MemoryTypeName(md.TypeCode) || md.FormFactor != smbios.FormFactorName(md.FormFactorCode) || md.TypeDetailString != smbios.TypeDetailString(md.TypeDetail) {
			t.Fatalf("names out of step with codes: %+v", md)
		}
		if !md.HasModuleIDs && (md.ModuleManufacturerID|md.ModuleProductID|md.SubsystemControllerManufacturerID|md.SubsystemControllerProductID) != 0 {
			t.Fatalf("module ids without HasModuleIDs: %+v", md)
		}
		if md.SpeedMTs > 0x7FFFFFFF || md.ConfiguredSpeedMTs > 0x7FFFFFFF {
			t.Fatalf("speed with reserved bit 31: %+v", md)
		}
	}
	for _, err := range errs {
		if !errors.Is(err, smbios.ErrMalformed) && !errors.Is(err, smbios.ErrBadStringIndex) && !errors.Is(err, smbios.ErrBadValue) {
			t.Fatalf("error outside the documented kinds: %v", err)
		}
	}
}

func FuzzParseEntryPoint(f *testing.F) {
	f.Add(smbiostest.EntryPoint21(2, 8, 3096, 81))
	f.Add(smbiostest.EntryPoint30(3, 3, 0, 5809))
	f.Add([]byte("_DMI_\x00\x34\x12\x00\x00\x0f\x00\x07\x00\x21"))
	f.Add([]byte("_SM3_"))
	for _, d := range corpusDumps(f) {
		if len(d) >= 0x20 {
			f.Add(d[:0x20])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ep, err := smbios.ParseEntryPoint(b)
		if err != nil {
			return
		}
		if ep.Length < 15 || ep.Length > len(b) {
			t.Fatalf("entry point length %d outside 15..%d", ep.Length, len(b))
		}
		var sum uint8
		for _, c := range b[:ep.Length] {
			sum += c
		}
		if sum != 0 {
			t.Fatalf("accepted an entry point whose checksum sums to 0x%02X", sum)
		}
		if ep.Is64Bit && ep.StructureCount != 0 {
			t.Fatalf("3.x entry point with a structure count")
		}
	})
}

// FuzzMemoryDevices fuzzes one type-17 structure: body is the formatted
// area after the header (cut to the 251 bytes a length byte allows) and
// strs the raw string set bytes.
func FuzzMemoryDevices(f *testing.F) {
	for _, md := range []smbiostest.MemoryDevice{
		fullDevice,
		{Length: 0x28, Size: 0x7FFF, ExtendedSize: 32768, Type: 0x1A, Locator: "DIMM 1", Manufacturer: "Kingston", PartNumber: "KF3200C16D4/32GX"},
		{Length: 0x1C, Size: 0x8100},
		{Length: 0x15, Size: 0xFFFF},
		{Length: 0x5C, Speed: 0xFFFF, ExtendedSpeed: 70000},
	} {
		body, strs := smbiostest.MemoryDeviceLayout(md)
		set := smbiostest.StringSet(strs...)
		f.Add(body, set[:len(set)-2]) // the harness appends the terminator
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, body, strs []byte) {
		if len(body) > 251 {
			body = body[:251]
		}
		table := append([]byte{17, byte(4 + len(body)), 0x34, 0x12}, body...)
		table = append(table, strs...)
		table = append(table, 0, 0)
		tab, err := smbios.ParseTable(table, v33)
		if tab == nil {
			t.Fatal("nil table")
		}
		// strs may itself hold a double NUL, ending the structure early and
		// turning the rest into more structures or an error; the property
		// below concerns the first structure only.
		mds, errs := tab.MemoryDevices()
		checkDevices(t, mds, errs)
		if len(tab.Structures) == 0 {
			if err == nil {
				t.Fatal("no structure and no error")
			}
			return
		}
		md, err := smbios.DecodeMemoryDevice(&tab.Structures[0])
		var errList []error
		if err != nil {
			errList = []error{err}
		}
		if err == nil || !errors.Is(err, smbios.ErrMalformed) {
			checkDevices(t, []smbios.MemoryDevice{md}, errList)
		}
		short := 4+len(body) < 0x15
		if short != errors.Is(err, smbios.ErrMalformed) {
			t.Fatalf("length %d: error %v", 4+len(body), err)
		}
		if !short && md.Handle != 0x1234 {
			t.Fatalf("handle 0x%04X, want 0x1234", md.Handle)
		}
	})
}
