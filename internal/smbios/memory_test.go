package smbios_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
)

// decodeOne builds a table holding md and decodes its only memory device.
func decodeOne(t *testing.T, md smbiostest.MemoryDevice) (smbios.MemoryDevice, []error) {
	t.Helper()
	b := smbiostest.NewBuilder()
	b.AddMemoryDevice(md)
	b.AddEndOfTable()
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatalf("ParseTable: %v", err)
	}
	mds, errs := tab.MemoryDevices()
	if len(mds) != 1 {
		t.Fatalf("got %d memory devices, want 1 (errors: %v)", len(mds), errs)
	}
	return mds[0], errs
}

func TestMemoryDeviceSize(t *testing.T) {
	const mib, gib = 1 << 20, 1 << 30
	tests := []struct {
		name          string
		length        uint8
		size          uint16
		extended      uint32
		wantBytes     uint64
		wantInstalled bool
		wantUnknown   bool
		wantErr       error
	}{
		{"no module installed", 0, 0x0000, 0, 0, false, false, nil},
		{"unknown", 0, 0xFFFF, 0, 0, true, true, nil},
		{"8 GiB in MiB", 0, 8192, 0, 8 * gib, true, false, nil},
		{"32767 MiB is the largest plain value", 0x1C, 0x7FFF, 0, 32767 * mib, true, false, nil},
		{"256 KiB granularity (0x8100)", 0, 0x8100, 0, 256 << 10, true, false, nil},
		{"1 KiB granularity (0x8001)", 0, 0x8001, 0, 1 << 10, true, false, nil},
		{"0x7FFF: extended size 32 GiB", 0, 0x7FFF, 32768, 32 * gib, true, false, nil},
		{"0x7FFF: extended size 2 TiB", 0, 0x7FFF, 2 << 20, 2 << 40, true, false, nil},
		{"0x7FFF: extended size bit 31 reserved", 0, 0x7FFF, 0x8000_8000, 32 * gib, true, false, nil},
		{"0x7FFF: extended size exactly at length 0x20", 0x20, 0x7FFF, 65536, 64 * gib, true, false, nil},
		{"0x7FFF: structure too short for extended size reads 32767 MiB like dmidecode", 0x1F, 0x7FFF, 65536, 32767 * mib, true, false, nil},
		{"0x7FFF: extended size 0 is implausible", 0, 0x7FFF, 0, 0, true, true, smbios.ErrBadValue},
		{"0x8000: zero KiB is implausible", 0, 0x8000, 0, 0, true, true, smbios.ErrBadValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			md, errs := decodeOne(t, smbiostest.MemoryDevice{Length: tc.length, Size: tc.size, ExtendedSize: tc.extended})
			if md.SizeBytes != tc.wantBytes || md.Installed != tc.wantInstalled || md.SizeUnknown != tc.wantUnknown {
				t.Errorf("SizeBytes %d Installed %v SizeUnknown %v; want %d %v %v", md.SizeBytes, md.Installed, md.SizeUnknown, tc.wantBytes, tc.wantInstalled, tc.wantUnknown)
			}
			checkErrs(t, errs, tc.wantErr)
		})
	}
}

func checkErrs(t *testing.T, errs []error, want error) {
	t.Helper()
	if want == nil {
		if len(errs) != 0 {
			t.Errorf("unexpected errors: %v", errs)
		}
		return
	}
	if len(errs) != 1 || !errors.Is(errs[0], want) {
		t.Errorf("errors = %v, want one wrapping %v", errs, want)
	}
}

func TestMemoryDeviceSpeed(t *testing.T) {
	tests := []struct {
		name                string
		length              uint8
		speed, conf         uint16
		extSpeed, extConf   uint32
		wantSpeed, wantConf uint32
	}{
		{"plain speeds", 0, 3200, 2933, 0, 0, 3200, 2933},
		{"unknown speeds", 0, 0, 0, 0, 0, 0, 0},
		{"extended speeds (SMBIOS 3.3)", 0x5C, 0xFFFF, 0xFFFF, 70000, 68000, 70000, 68000},
		{"extended speed with reserved bit 31 set", 0x5C, 0xFFFF, 0, 0x8001_1170, 0, 70000, 0},
		{"0xFFFF with extended speed 0 is unknown", 0x5C, 0xFFFF, 0xFFFF, 0, 0, 0, 0},
		{"0xFFFF in a structure without extended fields is unknown", 0x54, 0xFFFF, 0xFFFF, 70000, 68000, 0, 0},
		{"extended fields ignored when the word is not 0xFFFF", 0x5C, 4800, 4400, 70000, 68000, 4800, 4400},
		{"SMBIOS 2.3 layout: speed but no configured speed", 0x1B, 1333, 1333, 0, 0, 1333, 0},
		{"configured speed needs length 0x22", 0x21, 1333, 1066, 0, 0, 1333, 0},
		{"configured speed present at length 0x22", 0x22, 1333, 1066, 0, 0, 1333, 1066},
		{"SMBIOS 2.1 layout: no speed at all", 0x15, 1333, 1333, 0, 0, 0, 0},
		{"speed present at length 0x17", 0x17, 1333, 1333, 0, 0, 1333, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			md, errs := decodeOne(t, smbiostest.MemoryDevice{
				Length: tc.length, Size: 1024, Speed: tc.speed, ConfiguredSpeed: tc.conf,
				ExtendedSpeed: tc.extSpeed, ExtendedConfiguredSpeed: tc.extConf,
			})
			if md.SpeedMTs != tc.wantSpeed || md.ConfiguredSpeedMTs != tc.wantConf {
				t.Errorf("speeds %d/%d, want %d/%d", md.SpeedMTs, md.ConfiguredSpeedMTs, tc.wantSpeed, tc.wantConf)
			}
			checkErrs(t, errs, nil)
		})
	}
}

// fullDevice is a DDR5 RDIMM as a SMBIOS 3.3 BIOS describes it.
var fullDevice = smbiostest.MemoryDevice{
	ArrayHandle:                       0x1000,
	ErrorHandle:                       0xFFFE,
	TotalWidth:                        80,
	DataWidth:                         64,
	Size:                              0x7FFF,
	ExtendedSize:                      65536,
	FormFactor:                        0x09,
	Locator:                           "P0 CHANNEL A",
	BankLocator:                       "BANK 0",
	Type:                              0x22,
	TypeDetail:                        0x2080,
	Speed:                             4800,
	Manufacturer:                      "Micron Technology",
	SerialNumber:                      "3A1B2C3D",
	AssetTag:                          "P0_DIMM_A1_AssetTag",
	PartNumber:                        "MTC40F2046S1RC48BA1     ",
	Attributes:                        0x02,
	ConfiguredSpeed:                   4400,
	MinVoltage:                        1100,
	MaxVoltage:                        1100,
	ConfVoltage:                       1100,
	Technology:                        0x03,
	OperatingModeCapability:           0x08,
	FirmwareVersion:                   "Not Specified",
	ModuleManufacturerID:              0x2C80,
	ModuleProductID:                   0x1234,
	SubsystemControllerManufacturerID: 0x3286,
	SubsystemControllerProductID:      0x5678,
}

func TestMemoryDeviceAllFields(t *testing.T) {
	md, errs := decodeOne(t, fullDevice)
	checkErrs(t, errs, nil)
	want := smbios.MemoryDevice{
		Handle:                            0,
		ArrayHandle:                       0x1000,
		Locator:                           "P0 CHANNEL A",
		BankLocator:                       "BANK 0",
		SizeBytes:                         64 << 30,
		Installed:                         true,
		TypeCode:                          0x22,
		Type:                              "DDR5",
		FormFactorCode:                    0x09,
		FormFactor:                        "DIMM",
		TypeDetail:                        0x2080,
		TypeDetailString:                  "Synchronous Registered (Buffered)",
		SpeedMTs:                          4800,
		ConfiguredSpeedMTs:                4400,
		Manufacturer:                      "Micron Technology",
		ManufacturerRaw:                   "Micron Technology",
		SerialNumber:                      "3A1B2C3D",
		AssetTag:                          "P0_DIMM_A1_AssetTag",
		PartNumber:                        "MTC40F2046S1RC48BA1",
		Rank:                              2,
		DataWidth:                         64,
		TotalWidth:                        80,
		ModuleManufacturerID:              0x2C80,
		ModuleProductID:                   0x1234,
		SubsystemControllerManufacturerID: 0x3286,
		SubsystemControllerProductID:      0x5678,
		HasModuleIDs:                      true,
	}
	if md != want {
		t.Errorf("decoded\n %+v\nwant\n %+v", md, want)
	}
	bank, code, ok := md.ModuleManufacturerBank()
	if !ok || bank != 1 || code != 0x2C {
		t.Errorf("ModuleManufacturerBank() = %d, 0x%02X, %v; want 1, 0x2C, true (Micron)", bank, code, ok)
	}
}

func TestMemoryDeviceLengthGates(t *testing.T) {
	tests := []struct {
		length      uint8
		wantStrings bool // Manufacturer..Part Number
		wantRank    bool
		wantIDs     bool
	}{
		{0x15, false, false, false},
		{0x1A, false, false, false},
		{0x1B, true, false, false},
		{0x1C, true, true, false},
		{0x28, true, true, false},
		{0x33, true, true, false},
		{0x34, true, true, true},
		{0x54, true, true, true},
	}
	for _, tc := range tests {
		dev := fullDevice
		dev.Length = tc.length
		dev.Size = 4096
		md, errs := decodeOne(t, dev)
		checkErrs(t, errs, nil)
		if got := md.Manufacturer != ""; got != tc.wantStrings {
			t.Errorf("length 0x%02X: Manufacturer %q present = %v, want %v", tc.length, md.Manufacturer, got, tc.wantStrings)
		}
		if got := md.PartNumber != "" && md.SerialNumber != "" && md.AssetTag != ""; got != tc.wantStrings {
			t.Errorf("length 0x%02X: serial/asset/part present = %v, want %v", tc.length, got, tc.wantStrings)
		}
		if got := md.Rank != 0; got != tc.wantRank {
			t.Errorf("length 0x%02X: Rank %d present = %v, want %v", tc.length, md.Rank, got, tc.wantRank)
		}
		if md.HasModuleIDs != tc.wantIDs || (md.ModuleManufacturerID != 0) != tc.wantIDs || (md.SubsystemControllerProductID != 0) != tc.wantIDs {
			t.Errorf("length 0x%02X: HasModuleIDs %v ids %#x/%#x, want present %v", tc.length, md.HasModuleIDs, md.ModuleManufacturerID, md.SubsystemControllerProductID, tc.wantIDs)
		}
		// Fields of SMBIOS 2.1 are always there.
		if md.Locator != "P0 CHANNEL A" || md.Type != "DDR5" || md.SizeBytes != 4<<30 || md.DataWidth != 64 {
			t.Errorf("length 0x%02X: 2.1 fields lost: %+v", tc.length, md)
		}
	}
}

func TestMemoryDeviceWidthsAndIDs(t *testing.T) {
	tests := []struct {
		name                string
		total, data         uint16
		wantTotal, wantData uint16
		mfr                 uint16
		wantOK              bool
		wantBank            int
		wantCode            uint8
	}{
		{"ECC widths, Samsung", 72, 64, 72, 64, 0xCE00, true, 1, 0xCE},
		{"unknown widths", 0xFFFF, 0xFFFF, 0, 0, 0, false, 0, 0},
		{"Kingston, bank 2", 64, 64, 64, 64, 0x9801, true, 2, 0x98},
		{"Crucial (Micron), bank 6 with parity bit", 64, 64, 64, 64, 0x9B85, true, 6, 0x9B},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			md, _ := decodeOne(t, smbiostest.MemoryDevice{Size: 1024, TotalWidth: tc.total, DataWidth: tc.data, ModuleManufacturerID: tc.mfr})
			if md.TotalWidth != tc.wantTotal || md.DataWidth != tc.wantData {
				t.Errorf("widths %d/%d, want %d/%d", md.TotalWidth, md.DataWidth, tc.wantTotal, tc.wantData)
			}
			bank, code, ok := md.ModuleManufacturerBank()
			if ok != tc.wantOK || bank != tc.wantBank || code != tc.wantCode {
				t.Errorf("ModuleManufacturerBank() = %d, 0x%02X, %v; want %d, 0x%02X, %v", bank, code, ok, tc.wantBank, tc.wantCode, tc.wantOK)
			}
		})
	}
}

func TestMemoryDeviceStrings(t *testing.T) {
	// Strings: 1 "DIMM_A1", 2 "    " (blank), 3 a manufacturer with a
	// control byte and a trailing space, 4 the part number. The serial and
	// asset tag indexes are then patched to point beyond the set.
	body, strs := smbiostest.MemoryDeviceLayout(smbiostest.MemoryDevice{
		Size: 1024, Locator: "DIMM_A1", BankLocator: "    ", Manufacturer: "Sam\tsung ", PartNumber: "M393A4K40DB3-CWE",
	})
	const offSerial, offAssetTag = 0x18, 0x19
	body[offSerial-4] = 9     // beyond the 4-string set
	body[offAssetTag-4] = 200 // far beyond
	b := smbiostest.NewBuilder()
	b.AddStructureWithHandle(17, 0x0042, body, strs...)
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	mds, errs := tab.MemoryDevices()
	if len(mds) != 1 {
		t.Fatalf("got %d devices", len(mds))
	}
	md := mds[0]
	if md.Locator != "DIMM_A1" || md.BankLocator != "" || md.Manufacturer != "Sam.sung" || md.PartNumber != "M393A4K40DB3-CWE" {
		t.Errorf("strings: %q %q %q %q", md.Locator, md.BankLocator, md.Manufacturer, md.PartNumber)
	}
	if md.SerialNumber != smbios.BadIndex || md.AssetTag != smbios.BadIndex {
		t.Errorf("bad indexes decoded as %q / %q, want %q", md.SerialNumber, md.AssetTag, smbios.BadIndex)
	}
	if len(errs) != 1 || !errors.Is(errs[0], smbios.ErrBadStringIndex) {
		t.Fatalf("errors = %v, want one ErrBadStringIndex", errs)
	}
	for _, s := range []string{"handle 0x0042", "Serial Number (offset 0x18) refers to string 9 of 4", "Asset Tag (offset 0x19) refers to string 200 of 4"} {
		if !strings.Contains(errs[0].Error(), s) {
			t.Errorf("error %q does not mention %q", errs[0], s)
		}
	}
}

func TestMemoryDevicesSkipsBrokenRecords(t *testing.T) {
	b := smbiostest.NewBuilder()
	b.AddMemoryDevice(smbiostest.MemoryDevice{Locator: "A", Size: 4096})
	b.AddStructureWithHandle(17, 0x0077, make([]byte, 0x14-4), "B") // 0x14 < 0x15
	b.AddMemoryDevice(smbiostest.MemoryDevice{Locator: "C"})        // empty slot
	b.AddEndOfTable()
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	mds, errs := tab.MemoryDevices()
	if len(mds) != 2 || mds[0].Locator != "A" || mds[1].Locator != "C" || mds[1].Installed {
		t.Errorf("devices = %+v, want A (installed) and C (empty)", mds)
	}
	if len(errs) != 1 || !errors.Is(errs[0], smbios.ErrMalformed) || !strings.Contains(errs[0].Error(), "handle 0x0077") || !strings.Contains(errs[0].Error(), "length 20") {
		t.Errorf("errors = %v, want one ErrMalformed naming handle 0x0077 and length 20", errs)
	}
}

func TestDecodeMemoryDeviceWrongType(t *testing.T) {
	s := &smbios.Structure{Type: 16, Length: 0x17, Data: make([]byte, 0x17)}
	if _, err := smbios.DecodeMemoryDevice(s); !errors.Is(err, smbios.ErrMalformed) {
		t.Errorf("error = %v, want ErrMalformed", err)
	}
}

func TestMemoryDeviceSeveralProblemsInOneError(t *testing.T) {
	body, strs := smbiostest.MemoryDeviceLayout(smbiostest.MemoryDevice{Size: 0x7FFF, ExtendedSize: 0, Locator: "A1"})
	body[0x11-4] = 5 // Bank Locator beyond the one-string set
	b := smbiostest.NewBuilder()
	b.AddStructure(17, body, strs...)
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	mds, errs := tab.MemoryDevices()
	if len(mds) != 1 || mds[0].Locator != "A1" || mds[0].BankLocator != smbios.BadIndex {
		t.Fatalf("devices = %+v", mds)
	}
	if len(errs) != 1 || !errors.Is(errs[0], smbios.ErrBadStringIndex) || !errors.Is(errs[0], smbios.ErrBadValue) {
		t.Fatalf("errors = %v, want one error wrapping both ErrBadStringIndex and ErrBadValue", errs)
	}
	if msg := errs[0].Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "Bank Locator (offset 0x11)") || !strings.Contains(msg, "Extended Size (offset 0x1C) is 0") {
		t.Errorf("error %q should be one line naming both fields", msg)
	}
}

// The raw manufacturer keeps what the firmware wrote; the display form
// trims and filters it as dmidecode does.
func TestMemoryDeviceManufacturerRaw(t *testing.T) {
	b := smbiostest.NewBuilder()
	b.AddMemoryDevice(smbiostest.MemoryDevice{Size: 8192, Manufacturer: "Samsung\x01   "})
	tab, err := smbios.ParseTable(b.Bytes(), smbios.Version{Major: 3, Minor: 2})
	if err != nil {
		t.Fatal(err)
	}
	devs, _ := tab.MemoryDevices()
	if len(devs) != 1 {
		t.Fatalf("got %d devices", len(devs))
	}
	if devs[0].ManufacturerRaw != "Samsung\x01   " || devs[0].Manufacturer != "Samsung." {
		t.Errorf("raw %q display %q", devs[0].ManufacturerRaw, devs[0].Manufacturer)
	}
}
