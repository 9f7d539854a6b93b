package dmidecode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/memledger/memledger/internal/smbios"
)

// sampleNew is dmidecode 3.x output in the usual layout: a preamble,
// tab-indented records closed by blank lines, records of other types
// between the memory devices, a list property ("Features:"), an empty slot
// cut short by dmidecode's no-module quirk, and trailing padding on a part
// number and a manufacturer (kept in ManufacturerRaw only).
const sampleNew = "# dmidecode 3.3\n" +
	"Getting SMBIOS data from sysfs.\n" +
	"SMBIOS 3.2.0 present.\n" +
	"Table at 0x68E36000.\n" +
	"\n" +
	"Handle 0x0100, DMI type 1, 27 bytes\n" +
	"System Information\n" +
	"\tManufacturer: Dell Inc.\n" +
	"\tProduct Name: PowerEdge R640\n" +
	"\tVersion: Not Specified\n" +
	"\tSerial Number: 6J29H63\n" +
	"\tUUID: 4c4c4544-004a-3210-8039-b6c04f483633\n" +
	"\tWake-up Type: Power Switch\n" +
	"\tSKU Number: SKU=0716;ModelName=PowerEdge R640\n" +
	"\tFamily: PowerEdge\n" +
	"\n" +
	"Handle 0x0200, DMI type 2, 15 bytes\n" +
	"Base Board Information\n" +
	"\tManufacturer: Dell Inc.\n" +
	"\tProduct Name: 0H28RR\n" +
	"\tVersion: A00\n" +
	"\tSerial Number: .6J29H63.CNCMS0006U00VG.\n" +
	"\tAsset Tag: Not Specified\n" +
	"\tFeatures:\n" +
	"\t\tBoard is a hosting board\n" +
	"\t\tBoard is replaceable\n" +
	"\tType: Motherboard\n" +
	"\n" +
	"Handle 0x1000, DMI type 16, 23 bytes\n" +
	"Physical Memory Array\n" +
	"\tLocation: System Board Or Motherboard\n" +
	"\tMaximum Capacity: 3 TB\n" +
	"\tNumber Of Devices: 2\n" +
	"\n" +
	"Handle 0x1100, DMI type 17, 84 bytes\n" +
	"Memory Device\n" +
	"\tArray Handle: 0x1000\n" +
	"\tError Information Handle: Not Provided\n" +
	"\tTotal Width: 72 bits\n" +
	"\tData Width: 64 bits\n" +
	"\tSize: 32 GB\n" +
	"\tForm Factor: DIMM\n" +
	"\tSet: 1\n" +
	"\tLocator: A1\n" +
	"\tBank Locator: Not Specified\n" +
	"\tType: DDR4\n" +
	"\tType Detail: Synchronous Registered (Buffered)\n" +
	"\tSpeed: 3200 MT/s\n" +
	"\tManufacturer: 002C0632002C  \n" +
	"\tSerial Number: F16A7647\n" +
	"\tAsset Tag: 252031D1\n" +
	"\tPart Number: 36ASF4G72PZ-3G2E1   \n" +
	"\tRank: 2\n" +
	"\tConfigured Memory Speed: 2933 MT/s\n" +
	"\tMinimum Voltage: 1.2 V\n" +
	"\tMaximum Voltage: 1.2 V\n" +
	"\tConfigured Voltage: 1.2 V\n" +
	"\tMemory Technology: DRAM\n" +
	"\tMemory Operating Mode Capability: Volatile memory\n" +
	"\tFirmware Version: Not Specified\n" +
	"\tModule Manufacturer ID: Bank 1, Hex 0x2C\n" +
	"\tModule Product ID: 0x4B0A\n" +
	"\tMemory Subsystem Controller Manufacturer ID: Bank 5, Hex 0xB3\n" +
	"\tMemory Subsystem Controller Product ID: Unknown\n" +
	"\tNon-Volatile Size: None\n" +
	"\tVolatile Size: 32 GB\n" +
	"\tCache Size: None\n" +
	"\tLogical Size: None\n" +
	"\n" +
	"Handle 0x1300, DMI type 20, 35 bytes\n" +
	"Memory Device Mapped Address\n" +
	"\tStarting Address: 0x00000000000\n" +
	"\tRange Size: 32 GB\n" +
	"\tPhysical Device Handle: 0x1100\n" +
	"\n" +
	"Handle 0x1101, DMI type 17, 84 bytes\n" +
	"Memory Device\n" +
	"\tArray Handle: 0x1000\n" +
	"\tError Information Handle: Not Provided\n" +
	"\tTotal Width: Unknown\n" +
	"\tData Width: Unknown\n" +
	"\tSize: No Module Installed\n" +
	"\tForm Factor: DIMM\n" +
	"\tSet: 1\n" +
	"\tLocator: A2\n" +
	"\tBank Locator: Not Specified\n" +
	"\tType: Unknown\n" +
	"\tType Detail: None\n" +
	"\n" +
	"Handle 0x7F00, DMI type 127, 4 bytes\n" +
	"End Of Table\n" +
	"\n"

// sampleNewDump is what sampleNew parses to, written out by hand.
var sampleNewDump = Dump{
	SMBIOSVersion: "3.2.0",
	System: &smbios.SystemInfo{Handle: 0x0100, Manufacturer: "Dell Inc.", ProductName: "PowerEdge R640",
		Version: "Not Specified", SerialNumber: "6J29H63", UUID: "4c4c4544-004a-3210-8039-b6c04f483633",
		SKUNumber: "SKU=0716;ModelName=PowerEdge R640", Family: "PowerEdge"},
	Baseboard: &smbios.BaseboardInfo{Handle: 0x0200, Manufacturer: "Dell Inc.", Product: "0H28RR",
		Version: "A00", SerialNumber: ".6J29H63.CNCMS0006U00VG.", AssetTag: "Not Specified"},
	MemoryDevices: []smbios.MemoryDevice{
		{
			Handle: 0x1100, ArrayHandle: 0x1000, Locator: "A1", BankLocator: "Not Specified",
			SizeBytes: 32 << 30, Installed: true,
			TypeCode: 0x1A, Type: "DDR4", FormFactorCode: 0x09, FormFactor: "DIMM",
			TypeDetail: 0x2080, TypeDetailString: "Synchronous Registered (Buffered)",
			SpeedMTs: 3200, ConfiguredSpeedMTs: 2933,
			Manufacturer: "002C0632002C", ManufacturerRaw: "002C0632002C  ",
			SerialNumber: "F16A7647", AssetTag: "252031D1", PartNumber: "36ASF4G72PZ-3G2E1",
			Rank: 2, DataWidth: 64, TotalWidth: 72,
			ModuleManufacturerID: 0x2C00, ModuleProductID: 0x4B0A,
			SubsystemControllerManufacturerID: 0xB304, HasModuleIDs: true,
		},
		{
			Handle: 0x1101, ArrayHandle: 0x1000, Locator: "A2", BankLocator: "Not Specified",
			TypeCode: 0x02, Type: "Unknown", FormFactorCode: 0x09, FormFactor: "DIMM",
			TypeDetailString: "None",
			// 84 bytes reach the SMBIOS 3.2 id fields although dmidecode
			// printed none of them for the empty slot.
			HasModuleIDs: true,
		},
	},
}

// sampleOld is the dmidecode 2.6 layout: "Handle" and "DMI type" on
// separate lines, titles indented, no blank lines, space indentation,
// "MHz (ns)" speeds, empty string values.
const sampleOld = "# dmidecode 2.6\n" +
	"SMBIOS 2.3 present.\n" +
	"82 structures occupying 3043 bytes.\n" +
	"Table at 0x000FA4C0.\n" +
	"Handle 0x0100\n" +
	"        DMI type 1, 25 bytes.\n" +
	"        System Information\n" +
	"                Manufacturer: Dell Computer Corporation\n" +
	"                Product Name: PowerEdge 1800\n" +
	"                Version: Not Specified\n" +
	"                Serial Number: 2K1012J\n" +
	"                UUID: 44454C4C-4B00-1031-8030-B2C04F31324A\n" +
	"                Wake-up Type: Power Switch\n" +
	"Handle 0x1100\n" +
	"        DMI type 17, 27 bytes.\n" +
	"        Memory Device\n" +
	"                Array Handle: 0x1000\n" +
	"                Error Information Handle: Not Provided\n" +
	"                Total Width: 72 bits\n" +
	"                Data Width: 64 bits\n" +
	"                Size: 512 MB\n" +
	"                Form Factor: DIMM\n" +
	"                Set: 1\n" +
	"                Locator: DIMM1_A\n" +
	"                Bank Locator: Not Specified\n" +
	"                Type: <OUT OF SPEC>\n" +
	"                Type Detail: Synchronous\n" +
	"                Speed: 400 MHz (2.5 ns)\n" +
	"                Manufacturer: CE00000000000000\n" +
	"                Serial Number: 50075483\n" +
	"                Asset Tag: 010552\n" +
	"                Part Number: M3 93T6450FZ0-CCC\n" +
	"Handle 0x1102\n" +
	"        DMI type 17, 27 bytes.\n" +
	"        Memory Device\n" +
	"                Array Handle: 0x1000\n" +
	"                Error Information Handle: Not Provided\n" +
	"                Total Width: 72 bits\n" +
	"                Data Width: 64 bits\n" +
	"                Size: No Module Installed\n" +
	"                Form Factor: DIMM\n" +
	"                Set: 2\n" +
	"                Locator: DIMM2_A\n" +
	"                Bank Locator: Not Specified\n" +
	"                Type: <OUT OF SPEC>\n" +
	"                Type Detail: Synchronous\n" +
	"                Speed: 400 MHz (2.5 ns)\n" +
	"                Manufacturer:\n" +
	"                Serial Number:\n" +
	"                Asset Tag:\n" +
	"                Part Number:\n" +
	"Handle 0x7F00\n" +
	"        DMI type 127, 4 bytes.\n" +
	"        End Of Table\n"

var sampleOldDump = Dump{
	SMBIOSVersion: "2.3",
	System: &smbios.SystemInfo{Handle: 0x0100, Manufacturer: "Dell Computer Corporation", ProductName: "PowerEdge 1800",
		Version: "Not Specified", SerialNumber: "2K1012J", UUID: "44454C4C-4B00-1031-8030-B2C04F31324A"},
	MemoryDevices: []smbios.MemoryDevice{
		{
			Handle: 0x1100, ArrayHandle: 0x1000, Locator: "DIMM1_A", BankLocator: "Not Specified",
			SizeBytes: 512 << 20, Installed: true,
			Type: smbios.OutOfSpec, FormFactorCode: 0x09, FormFactor: "DIMM",
			TypeDetail: 0x0080, TypeDetailString: "Synchronous", SpeedMTs: 400,
			Manufacturer: "CE00000000000000", ManufacturerRaw: "CE00000000000000", SerialNumber: "50075483", AssetTag: "010552", PartNumber: "M3 93T6450FZ0-CCC",
			DataWidth: 64, TotalWidth: 72,
		},
		{
			Handle: 0x1102, ArrayHandle: 0x1000, Locator: "DIMM2_A", BankLocator: "Not Specified",
			Type: smbios.OutOfSpec, FormFactorCode: 0x09, FormFactor: "DIMM",
			TypeDetail: 0x0080, TypeDetailString: "Synchronous", SpeedMTs: 400,
			DataWidth: 64, TotalWidth: 72,
		},
	},
}

// sampleQuiet is `dmidecode -q -t 17` of dmidecode 3.0: no preamble, no
// "Handle" lines, "MHz" speeds and the older "Configured Clock Speed".
const sampleQuiet = "Memory Device\n" +
	"\tTotal Width: 64 bits\n" +
	"\tData Width: 64 bits\n" +
	"\tSize: 8192 MB\n" +
	"\tForm Factor: SODIMM\n" +
	"\tLocator: ChannelA-DIMM0\n" +
	"\tBank Locator: BANK 0\n" +
	"\tType: DDR3\n" +
	"\tType Detail: Synchronous\n" +
	"\tSpeed: 1600 MHz\n" +
	"\tManufacturer: 859B\n" +
	"\tSerial Number: A40C03AC\n" +
	"\tAsset Tag: 9876543210\n" +
	"\tPart Number: CT102464BF160B.C16\n" +
	"\tRank: 2\n" +
	"\tConfigured Clock Speed: 1600 MHz\n" +
	"\n"

var sampleQuietDump = Dump{
	MemoryDevices: []smbios.MemoryDevice{{
		Locator: "ChannelA-DIMM0", BankLocator: "BANK 0", SizeBytes: 8192 << 20, Installed: true,
		TypeCode: 0x18, Type: "DDR3", FormFactorCode: 0x0D, FormFactor: "SODIMM",
		TypeDetail: 0x0080, TypeDetailString: "Synchronous", SpeedMTs: 1600, ConfiguredSpeedMTs: 1600,
		Manufacturer: "859B", ManufacturerRaw: "859B", SerialNumber: "A40C03AC", AssetTag: "9876543210", PartNumber: "CT102464BF160B.C16",
		Rank: 2, DataWidth: 64, TotalWidth: 64,
	}},
}

// lineNumber is the 1-based line of s on which marker first starts.
func lineNumber(s, marker string) int {
	return strings.Count(s[:strings.Index(s, marker)], "\n") + 1
}

func parseString(t *testing.T, in string) *Dump {
	t.Helper()
	d, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

// assertDump compares the parts of a Dump field by field so that a
// mismatch names the device and field.
func assertDump(t *testing.T, got *Dump, want Dump) {
	t.Helper()
	if got.SMBIOSVersion != want.SMBIOSVersion {
		t.Errorf("SMBIOSVersion = %q, want %q", got.SMBIOSVersion, want.SMBIOSVersion)
	}
	if !reflect.DeepEqual(got.System, want.System) {
		t.Errorf("System = %+v, want %+v", got.System, want.System)
	}
	if !reflect.DeepEqual(got.Baseboard, want.Baseboard) {
		t.Errorf("Baseboard = %+v, want %+v", got.Baseboard, want.Baseboard)
	}
	if len(got.MemoryDevices) != len(want.MemoryDevices) {
		t.Fatalf("%d memory devices, want %d: %+v", len(got.MemoryDevices), len(want.MemoryDevices), got.MemoryDevices)
	}
	for i := range want.MemoryDevices {
		if got.MemoryDevices[i] != want.MemoryDevices[i] {
			t.Errorf("memory device %d:\n got %+v\nwant %+v", i, got.MemoryDevices[i], want.MemoryDevices[i])
		}
	}
	if !reflect.DeepEqual(got.Warnings, want.Warnings) {
		t.Errorf("Warnings = %q, want %q", got.Warnings, want.Warnings)
	}
}

func TestParseLayouts(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	tests := []struct {
		name string
		in   string
		want Dump
	}{
		{"dmidecode 3.x", sampleNew, sampleNewDump},
		{"dmidecode 3.x CRLF", crlf(sampleNew), sampleNewDump},
		{"dmidecode 3.x spaces for tabs", strings.ReplaceAll(sampleNew, "\t", "        "), sampleNewDump},
		{"dmidecode 3.x no blank lines", strings.ReplaceAll(sampleNew, "\n\n", "\n"), sampleNewDump},
		{"dmidecode 3.x UTF-8 BOM", "\xEF\xBB\xBF" + sampleNew, sampleNewDump},
		{"dmidecode 3.x no final blank line", strings.TrimSuffix(sampleNew, "\n"), sampleNewDump},
		{"dmidecode 2.6 old layout", sampleOld, sampleOldDump},
		{"dmidecode 2.6 old layout CRLF", crlf(sampleOld), sampleOldDump},
		{"dmidecode 2.6 old layout tabs", strings.ReplaceAll(sampleOld, "        ", "\t"), sampleOldDump},
		{"dmidecode -q", sampleQuiet, sampleQuietDump},
		{
			"dmidecode -q without blank lines",
			strings.TrimSuffix(sampleQuiet, "\n") + strings.Replace(sampleQuiet, "ChannelA-DIMM0", "ChannelB-DIMM0", 1),
			Dump{MemoryDevices: []smbios.MemoryDevice{sampleQuietDump.MemoryDevices[0], func() smbios.MemoryDevice {
				md := sampleQuietDump.MemoryDevices[0]
				md.Locator = "ChannelB-DIMM0"
				return md
			}()}},
		},
		{"whole output indented", "  " + strings.ReplaceAll(strings.TrimSuffix(sampleNew, "\n"), "\n", "\n  ") + "\n", sampleNewDump},
		{"surrounded by other text", "=== sos_commands/hardware/dmidecode ===\n\n" + sampleNew + "\n=== end ===\n", sampleNewDump},
		{
			"dmidecode -t 17",
			"# dmidecode 3.3\nGetting SMBIOS data from sysfs.\nSMBIOS 3.2.0 present.\n\n" +
				sampleNew[strings.Index(sampleNew, "Handle 0x1100"):strings.Index(sampleNew, "Handle 0x1300")],
			Dump{SMBIOSVersion: "3.2.0", MemoryDevices: sampleNewDump.MemoryDevices[:1]},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertDump(t, parseString(t, tt.in), tt.want)
		})
	}
}

func TestParseDeclaredLengthGatesModuleIDs(t *testing.T) {
	block := func(length int) string {
		return fmt.Sprintf("Handle 0x0040, DMI type 17, %d bytes\nMemory Device\n\tSize: No Module Installed\n\tType Detail: None\n\n", length)
	}
	tests := []struct {
		in   string
		want bool
	}{
		{block(40), false},
		{block(0x33), false},
		{block(0x34), true},
		{block(92), true},
		// Printed ids count even without a header (dmidecode -q).
		{"Memory Device\n\tSize: 8 GB\n\tType Detail: None\n\tModule Manufacturer ID: Unknown\n\n", true},
	}
	for _, tt := range tests {
		d := parseString(t, tt.in)
		if len(d.MemoryDevices) != 1 || d.MemoryDevices[0].HasModuleIDs != tt.want {
			t.Errorf("Parse(%q): devices %+v, want one with HasModuleIDs %v", tt.in, d.MemoryDevices, tt.want)
		}
	}
}

func TestParseWarnings(t *testing.T) {
	const head = "# dmidecode 3.3\n\nHandle 0x0040, DMI type 17, 28 bytes\nMemory Device\n"
	tests := []struct {
		name         string
		in           string
		wantDevices  int
		check        func(t *testing.T, md smbios.MemoryDevice)
		wantWarnings []string
	}{
		{
			// Real: linuxhw's masking replaced an "Asset Tag: ..." line of
			// an HP Z800 report by a bare hash.
			name:        "line without a name",
			in:          head + "\tSize: 8 GB\n\tType Detail: Synchronous\n\tSerial Number: --\n\t3D153A129FECFD993684B5FCC9BF367A\n\tPart Number: X\n\n",
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				if md.PartNumber != "X" || md.AssetTag != "" || md.SerialNumber != "--" {
					t.Errorf("device = %+v", md)
				}
			},
			wantWarnings: []string{`line 8: Memory Device record at line 3 (handle 0x0040): line "3D153A129FECFD993684B5FCC9BF367A" is not "Name: value", skipped`},
		},
		{
			name:        "repeated field keeps the first",
			in:          head + "\tSize: 8 GB\n\tType Detail: Synchronous\n\tPart Number: FIRST\n\tPart Number: SECOND\n\n",
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				if md.PartNumber != "FIRST" {
					t.Errorf("PartNumber = %q, want FIRST", md.PartNumber)
				}
			},
			wantWarnings: []string{`line 8: Memory Device record at line 3 (handle 0x0040): second "Part Number" line ignored`},
		},
		{
			name:        "Type Detail with unknown words",
			in:          head + "\tSize: 8 GB\n\tType Detail: Synchronous Turbo\n\n",
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				if md.TypeDetail != 0 || md.TypeDetailString != "Synchronous Turbo" {
					t.Errorf("TypeDetail = %#x %q, want 0 and the text kept", md.TypeDetail, md.TypeDetailString)
				}
			},
			wantWarnings: []string{`line 6: Memory Device record at line 3 (handle 0x0040): Type Detail "Synchronous Turbo" has words dmidecode does not print; bits left 0`},
		},
		{
			name: "second System Information",
			in: "# dmidecode 3.3\n\nHandle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: A\n\n" +
				"Handle 0x0002, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: B\n\n",
			wantWarnings: []string{"line 7: second System Information record ignored (the binary decoder also uses the first)"},
		},
		{
			// dmidecode -u: no title, raw bytes only. The slot is kept,
			// with nothing claimed about it beyond its handle.
			name: "dmidecode -u",
			in: "# dmidecode 3.3\n\nHandle 0x0040, DMI type 17, 40 bytes\n\tHeader and Data:\n\t\t11 28 40 00 3E 00 FE FF 48 00 40 00 00 40 09 00\n" +
				"\tStrings:\n\t\tDIMM 0\n\t\tP0 CHANNEL A\n\n",
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				want := smbios.MemoryDevice{Handle: 0x0040, Installed: true, SizeUnknown: true}
				if md != want {
					t.Errorf("device = %+v, want %+v", md, want)
				}
			},
			wantWarnings: []string{"line 3: Memory Device record (handle 0x0040) has no usable Size line; taken as installed, size unknown"},
		},
		{
			// The damaged header ends the record before it; the title
			// that follows starts a record without a handle.
			name:        "damaged header",
			in:          "# dmidecode 3.3\n\nHandle 0x0040, DMI type 17, forty bytes\nMemory Device\n\tSize: 8 GB\n\tType Detail: None\n\tPart Number: X\n\n",
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				want := smbios.MemoryDevice{SizeBytes: 8 << 30, Installed: true, TypeDetailString: "None", PartNumber: "X"}
				if md != want {
					t.Errorf("device = %+v, want %+v", md, want)
				}
			},
			wantWarnings: []string{`line 3: "Handle 0x0040, DMI type 17, forty bytes" is not a record header as dmidecode prints them ("Handle 0x0000, DMI type N, N bytes"); the record that follows has no handle`},
		},
		{
			name:         "no SMBIOS data",
			in:           "# dmidecode 3.3\n# No SMBIOS nor DMI entry point found, sorry.\n",
			wantWarnings: []string{"line 2: dmidecode found no SMBIOS data: # No SMBIOS nor DMI entry point found, sorry."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := parseString(t, tt.in)
			if len(d.MemoryDevices) != tt.wantDevices {
				t.Fatalf("%d devices, want %d", len(d.MemoryDevices), tt.wantDevices)
			}
			if tt.check != nil {
				tt.check(t, d.MemoryDevices[0])
			}
			if !reflect.DeepEqual(d.Warnings, tt.wantWarnings) {
				t.Errorf("Warnings = %q\nwant %q", d.Warnings, tt.wantWarnings)
			}
		})
	}
}

func TestParseTruncated(t *testing.T) {
	// cutAfter returns sampleNew up to and including the first occurrence
	// of marker.
	cutAfter := func(marker string) string {
		i := strings.Index(sampleNew, marker)
		if i < 0 {
			t.Fatalf("marker %q not in sampleNew", marker)
		}
		return sampleNew[:i+len(marker)]
	}
	lineOf := func(s string) int { return strings.Count(s, "\n") + 1 }
	tests := []struct {
		name        string
		in          string
		wantDevices int
		check       func(t *testing.T, last smbios.MemoryDevice)
		// wantWarning must be contained in the single warning.
		wantWarning string
	}{
		{
			name:        "inside a string value",
			in:          cutAfter("Part Number: 36ASF4G"),
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				if md.PartNumber != "36ASF4G" || md.SizeBytes != 32<<30 {
					t.Errorf("device = %+v", md)
				}
			},
			wantWarning: fmt.Sprintf(`line %d: "Memory Device" record at line %d (handle 0x1100) may be cut off by the end of the input: the last line has no line end; it is not closed by a blank line as the records before it are`,
				lineOf(cutAfter("Part Number: 36ASF4G")), lineOf(cutAfter("Handle 0x1100"))),
		},
		{
			name:        "after a full line, before the blank line",
			in:          cutAfter("Rank: 2\n"),
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				if md.Rank != 2 || md.ConfiguredSpeedMTs != 0 {
					t.Errorf("device = %+v", md)
				}
			},
			wantWarning: "may be cut off by the end of the input: it is not closed by a blank line as the records before it are",
		},
		{
			name:        "inside a number",
			in:          cutAfter("\tSize: 3"),
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				if md.SizeBytes != 0 || !md.SizeUnknown || !md.Installed || md.Locator != "" || md.TotalWidth != 72 {
					t.Errorf("device = %+v", md)
				}
			},
			wantWarning: "the last line has no line end; it is not closed by a blank line as the records before it are; it stops before the Type Detail line every memory device has",
		},
		{
			name:        "after the header",
			in:          cutAfter("Handle 0x1100, DMI type 17, 84 bytes\n"),
			wantDevices: 1,
			check: func(t *testing.T, md smbios.MemoryDevice) {
				want := smbios.MemoryDevice{Handle: 0x1100, Installed: true, SizeUnknown: true, HasModuleIDs: true}
				if md != want {
					t.Errorf("device = %+v, want %+v", md, want)
				}
			},
			wantWarning: "it stops before the Type Detail line every memory device has; it has a header and nothing else",
		},
		{
			name:        "old layout before Type Detail",
			in:          sampleOld[:strings.Index(sampleOld, "                Type Detail")],
			wantDevices: 1,
			wantWarning: `line 26: "Memory Device" record at line 14 (handle 0x1100) may be cut off by the end of the input: it stops before the Type Detail line every memory device has`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := parseString(t, tt.in)
			if len(d.MemoryDevices) != tt.wantDevices {
				t.Fatalf("%d devices, want %d", len(d.MemoryDevices), tt.wantDevices)
			}
			if tt.check != nil {
				tt.check(t, d.MemoryDevices[len(d.MemoryDevices)-1])
			}
			found := false
			for _, w := range d.Warnings {
				found = found || strings.Contains(w, tt.wantWarning)
			}
			if !found {
				t.Errorf("Warnings = %q, want one containing %q", d.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const head = "# dmidecode 3.3\n\nHandle 0x0040, DMI type 17, 40 bytes\nMemory Device\n"
	tests := []struct {
		name    string
		in      string
		wantErr error
		// wantMsg are substrings the message must contain: what was
		// wrong and where.
		wantMsg []string
	}{
		{"empty", "", ErrNotDmidecode, []string{"empty input"}},
		{"blank lines only", "\n\r\n  \n", ErrNotDmidecode, []string{"in 3 lines", "only blank lines"}},
		{"plain text", "hello\nworld\nthree\nfour\n", ErrNotDmidecode,
			[]string{`first lines "hello", "world", "three"`}},
		{"lshw output", "host\n    description: Computer\n    *-memory\n          size: 16GiB\n", ErrNotDmidecode,
			[]string{`"host", "description: Computer", "*-memory"`}},
		{"permission denied", "/dev/mem: Permission denied\n", ErrNotDmidecode, []string{`"/dev/mem: Permission denied"`}},
		{"binary garbage", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\n\x00\x01\xff\xfe", ErrNotDmidecode,
			[]string{`"\x7fELF\x02\x01\x01\x00\x00\x00\x00"`}},
		{"UTF-16LE with byte-order mark", "\xff\xfe" + utf16Text(sampleNew, false), ErrNotDmidecode,
			[]string{"line 1", `UTF-16LE text (byte-order mark "\xff\xfe")`, "iconv -f UTF-16LE -t UTF-8"}},
		{"UTF-16BE with byte-order mark", "\xfe\xff" + utf16Text(sampleNew, true), ErrNotDmidecode,
			[]string{"line 1", `UTF-16BE text (byte-order mark "\xfe\xff")`, "iconv -f UTF-16BE -t UTF-8"}},
		{"UTF-16LE without byte-order mark", utf16Text(sampleNew, false), ErrNotDmidecode,
			[]string{"line 1", "UTF-16LE text (without a byte-order mark", "iconv -f UTF-16LE -t UTF-8"}},
		{"UTF-16BE without byte-order mark", utf16Text(sampleNew, true), ErrNotDmidecode,
			[]string{"line 1", "UTF-16BE text (without a byte-order mark", "iconv -f UTF-16BE -t UTF-8"}},
		// PowerShell's Out-File: CRLF line ends, and here a blank first
		// line, so that the text of line 2 starts at an odd offset.
		{"UTF-16LE CRLF, blank first line", utf16Text("\r\n"+strings.ReplaceAll(sampleNew, "\n", "\r\n"), false), ErrNotDmidecode,
			[]string{"UTF-16LE text (without a byte-order mark", "iconv -f UTF-16LE"}},
		{"UTF-16LE, two characters", utf16Text("#\n", false), ErrNotDmidecode, []string{"UTF-16LE"}},
		// NULs are no proof of UTF-16: binary data passed as dmidecode
		// text keeps the error that quotes it.
		{"SMBIOS table as text", "\x00\x1a\x00\x00\x01\x02\x00\xf0\x03\xff\x80\x98\xfbw\x01\x00\x00\x00\x03\r\x05\x11\xff\xff\x10\x00American Megatrends\x00\x00", ErrNotDmidecode,
			[]string{`first lines "\x00\x1a\x00\x00\x01\x02`}},
		{"SMBIOS dump-bin as text", "_SM3_g\x18\x03\x05\x00\x01\x00\xb1\x16\x00\x00 \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x1a\x00\x00\x01", ErrNotDmidecode,
			[]string{`first lines "_SM3_g`}},
		{"16-bit numbers", "\x01\x00\x02\x00\x03\x00\x04\x00\n", ErrNotDmidecode, []string{`first lines "\x01\x00\x02\x00`}},
		{"NULs only", "\x00\x00\x00\x00\x00\x00\n", ErrNotDmidecode, []string{`first lines "\x00\x00`}},
		{"bad size", head + "\tSize: lots\n\n", ErrMalformed,
			[]string{"line 5", "record at line 3 (handle 0x0040)", `Size: unrecognised value "lots"`}},
		{"bad speed", head + "\tSize: 8 GB\n\tSpeed: 2400 Mbps\n\n", ErrMalformed, []string{"line 6", "Speed", `"2400 Mbps"`}},
		{"bad rank", head + "\tRank: 2.5\n\n", ErrMalformed, []string{"line 5", "Rank"}},
		{"bad width", head + "\tData Width: 64\n\n", ErrMalformed, []string{"line 5", "Data Width"}},
		{"bad module id", head + "\tModule Manufacturer ID: Bank 0, Hex 0x98\n\n", ErrMalformed,
			[]string{"line 5", "Module Manufacturer ID", "bank must be 1 to 128"}},
		{"bad product id", head + "\tModule Product ID: 12\n\n", ErrMalformed, []string{"line 5", "Module Product ID"}},
		{"bad array handle", head + "\tArray Handle: none\n\n", ErrMalformed, []string{"line 5", "Array Handle"}},
		{"bad configured speed, old name", head + "\tConfigured Clock Speed: fast\n\n", ErrMalformed,
			[]string{"line 5", "Configured Clock Speed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse error = %v (dump %+v), want %v", err, d, tt.wantErr)
			}
			if d != nil {
				t.Errorf("Parse returned a dump with its error: %+v", d)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
			if isUTF16 := strings.HasPrefix(tt.name, "UTF-16"); strings.Contains(err.Error(), "UTF-16") != isUTF16 {
				t.Errorf("error %q: mentions UTF-16 = %v, want %v", err, !isUTF16, isUTF16)
			}
		})
	}
}

// utf16Text encodes s, which must be ASCII, as UTF-16 without a byte-order
// mark.
func utf16Text(s string, bigEndian bool) string {
	var b strings.Builder
	for i := range len(s) {
		if bigEndian {
			b.WriteByte(0)
		}
		b.WriteByte(s[i])
		if !bigEndian {
			b.WriteByte(0)
		}
	}
	return b.String()
}

func TestParseReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(sampleNew[:200]), iotest.ErrReader(boom))
	_, err := Parse(r)
	if !errors.Is(err, boom) {
		t.Fatalf("Parse error = %v, want it to wrap %v", err, boom)
	}
	if want := fmt.Sprintf("reading line %d", strings.Count(sampleNew[:200], "\n")+1); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the line (%q)", err, want)
	}
}

// A read error within the bytes looked at for UTF-16 is reported as any
// other: wrapped, with the line it stopped in.
func TestParseReaderErrorAtStart(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Parse(io.MultiReader(strings.NewReader("# dmidecode 3.3\nSMB"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("Parse error = %v, want it to wrap %v", err, boom)
	}
	if !strings.Contains(err.Error(), "reading line 2") {
		t.Errorf("error %q does not name line 2", err)
	}
}

func TestParseLongLines(t *testing.T) {
	long := strings.Repeat("A", MaxLineBytes+10)
	t.Run("skipped with a warning", func(t *testing.T) {
		// An over-long line inside a record we do not decode and one in a
		// memory device: both skipped, everything else intact.
		in := strings.Replace(sampleNew, "\tMaximum Capacity: 3 TB\n", "\tMaximum Capacity: "+long+"\n", 1)
		in = strings.Replace(in, "\tSet: 1\n\tLocator: A1\n", "\tSet: "+long+"\n\tLocator: A1\n", 1)
		d := parseString(t, in)
		want := sampleNewDump
		want.Warnings = []string{
			fmt.Sprintf("line %d: longer than %d bytes, skipped (dmidecode prints no such lines)", lineNumber(sampleNew, "\tMaximum Capacity"), MaxLineBytes),
			fmt.Sprintf("line %d: longer than %d bytes, skipped (dmidecode prints no such lines)", lineNumber(sampleNew, "\tSet: 1\n\tLocator: A1"), MaxLineBytes),
		}
		assertDump(t, d, want)
	})
	t.Run("exactly at the limit", func(t *testing.T) {
		// MaxLineBytes-1 bytes plus '\n' still fit; one more does not.
		fits := "\tAsset Tag: " + strings.Repeat("B", MaxLineBytes-1-len("\tAsset Tag: "))
		d := parseString(t, strings.Replace(sampleNew, "\tAsset Tag: 252031D1", fits, 1))
		if len(d.Warnings) != 0 || len(d.MemoryDevices[0].AssetTag) != MaxLineBytes-1-len("\tAsset Tag: ") {
			t.Errorf("line of %d bytes: warnings %q, asset tag of %d bytes", MaxLineBytes-1, d.Warnings, len(d.MemoryDevices[0].AssetTag))
		}
		d = parseString(t, strings.Replace(sampleNew, "\tAsset Tag: 252031D1", fits+"B", 1))
		if len(d.Warnings) != 1 || d.MemoryDevices[0].AssetTag != "" {
			t.Errorf("line of %d bytes: warnings %q, asset tag of %d bytes", MaxLineBytes, d.Warnings, len(d.MemoryDevices[0].AssetTag))
		}
	})
	t.Run("last line without line end", func(t *testing.T) {
		d := parseString(t, sampleNew+long)
		if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "longer than") {
			t.Errorf("Warnings = %q", d.Warnings)
		}
	})
	t.Run("warnings are bounded", func(t *testing.T) {
		in := sampleNew + strings.Repeat(long+"\n", maxWarnings+5)
		d := parseString(t, in)
		if len(d.Warnings) != maxWarnings+1 || d.Warnings[maxWarnings] != "5 more warnings not shown" {
			t.Errorf("%d warnings, last %q", len(d.Warnings), d.Warnings[len(d.Warnings)-1])
		}
	})
}

// endlessByte is a reader of n copies of one byte, produced on the fly so
// that the test itself holds no large buffer.
type endlessByte struct {
	c byte
	n int
}

func (r *endlessByte) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.c
	}
	r.n -= k
	return k, nil
}

func TestParseBoundedMemory(t *testing.T) {
	const inputBytes = 32 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Parse(&endlessByte{c: 0xAA, n: inputBytes})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrNotDmidecode) {
		t.Fatalf("Parse of one %d-byte line: error %v, want ErrNotDmidecode", inputBytes, err)
	}
	if !strings.Contains(err.Error(), `"\xaa\xaa\xaa`) {
		t.Errorf("error %q does not show the start of the input", err)
	}
	// The line buffer is capped at MaxLineBytes; allow generous slack for
	// the runtime, but far less than the input.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*MaxLineBytes {
		t.Errorf("Parse allocated %d bytes for a %d-byte input; want under %d", alloc, inputBytes, 8*MaxLineBytes)
	}
}

func TestParseCRLFLineNumbers(t *testing.T) {
	// The line numbers in messages count '\n'; a lone '\r' is not a line end.
	in := "# dmidecode 3.3\r\n\r\nHandle 0x0040, DMI type 17, 40 bytes\r\nMemory Device\r\n\tSize: 8 GB\r\n\tRank: x\r\n"
	_, err := Parse(bytes.NewReader([]byte(in)))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "line 6:") {
		t.Errorf("Parse error = %v, want ErrMalformed at line 6", err)
	}
}
