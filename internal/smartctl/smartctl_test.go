package smartctl

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smartctl/smartctltest"
)

const banner = "smartctl 7.2 2020-12-30 r5155 [x86_64-linux-5.10.0-21-amd64] (local build)\n" +
	"Copyright (C) 2002-20, Bruce Allen, Christian Franke, www.smartmontools.org\n\n"

// ataText is `smartctl -x` of an ATA drive: the information section
// laid out as ataprint.cpp prints it, then some of the SMART data.
func ataText(family, model, serial, wwn, fw, capacity, rotation string) string {
	var b strings.Builder
	b.WriteString("=== START OF INFORMATION SECTION ===\n")
	if family != "" {
		fmt.Fprintf(&b, "Model Family:     %s\n", family)
	}
	fmt.Fprintf(&b, "Device Model:     %s\n", model)
	fmt.Fprintf(&b, "Serial Number:    %s\n", serial)
	if wwn != "" {
		fmt.Fprintf(&b, "LU WWN Device Id: %s\n", wwn)
	}
	fmt.Fprintf(&b, "Firmware Version: %s\n", fw)
	fmt.Fprintf(&b, "User Capacity:    %s\n", capacity)
	b.WriteString("Sector Sizes:     512 bytes logical, 4096 bytes physical\n")
	if rotation != "" {
		fmt.Fprintf(&b, "Rotation Rate:    %s\n", rotation)
	}
	b.WriteString("Form Factor:      2.5 inches\n")
	b.WriteString("Device is:        In smartctl database [for details use: -P show]\n")
	b.WriteString("ATA Version is:   ACS-3 T13/2161-D revision 5\n")
	b.WriteString("SATA Version is:  SATA 3.2, 6.0 Gb/s (current: 6.0 Gb/s)\n")
	b.WriteString("Local Time is:    Mon Mar  4 10:11:12 2024 UTC\n")
	b.WriteString("SMART support is: Available - device has SMART capability.\n")
	b.WriteString("SMART support is: Enabled\n\n")
	b.WriteString("=== START OF READ SMART DATA SECTION ===\n")
	b.WriteString("SMART overall-health self-assessment test result: PASSED\n\n")
	b.WriteString("ID# ATTRIBUTE_NAME          FLAGS    VALUE WORST THRESH FAIL RAW_VALUE\n")
	b.WriteString("  9 Power_On_Hours          -O--CK   099   099   000    -    4231\n")
	b.WriteString("Device Statistics (GP Log 0x04)\n")
	b.WriteString("Page  Offset Size        Value Flags Description\n\n")
	return b.String()
}

func nvmeText(model, serial, fw, pci, oui, eui string) string {
	var b strings.Builder
	b.WriteString("=== START OF INFORMATION SECTION ===\n")
	fmt.Fprintf(&b, "Model Number:                       %s\n", model)
	fmt.Fprintf(&b, "Serial Number:                      %s\n", serial)
	fmt.Fprintf(&b, "Firmware Version:                   %s\n", fw)
	b.WriteString(pci)
	fmt.Fprintf(&b, "IEEE OUI Identifier:                %s\n", oui)
	b.WriteString("Total NVM Capacity:                 1,000,204,886,016 [1.00 TB]\n")
	b.WriteString("Unallocated NVM Capacity:           0\n")
	b.WriteString("Controller ID:                      4\n")
	b.WriteString("NVMe Version:                       1.3\n")
	b.WriteString("Number of Namespaces:               1\n")
	b.WriteString("Namespace 1 Size/Capacity:          1,000,204,886,016 [1.00 TB]\n")
	b.WriteString("Namespace 1 Formatted LBA Size:     512\n")
	if eui != "" {
		fmt.Fprintf(&b, "Namespace 1 IEEE EUI-64:            %s\n", eui)
	}
	b.WriteString("Local Time is:                      Mon Mar  4 10:11:12 2024 UTC\n")
	b.WriteString("Firmware Updates (0x16):            3 Slots, no Reset required\n\n")
	b.WriteString("Supported Power States\n")
	b.WriteString("St Op     Max   Active     Idle   RL RT WL WT  Ent_Lat  Ex_Lat\n")
	b.WriteString(" 0 +     7.80W       -        -    0  0  0  0        0       0\n\n")
	return b.String()
}

func sasText(vendor, product, rev, capacity, rotation, luid, serial string) string {
	var b strings.Builder
	b.WriteString("=== START OF INFORMATION SECTION ===\n")
	fmt.Fprintf(&b, "Vendor:               %s\n", vendor)
	fmt.Fprintf(&b, "Product:              %s\n", product)
	fmt.Fprintf(&b, "Revision:             %s\n", rev)
	b.WriteString("Compliance:           SPC-4\n")
	fmt.Fprintf(&b, "User Capacity:        %s\n", capacity)
	b.WriteString("Logical block size:   512 bytes\n")
	fmt.Fprintf(&b, "Rotation Rate:        %s\n", rotation)
	b.WriteString("Form Factor:          2.5 inches\n")
	fmt.Fprintf(&b, "Logical Unit id:      %s\n", luid)
	fmt.Fprintf(&b, "Serial number:        %s\n", serial)
	b.WriteString("Device type:          disk\n")
	b.WriteString("Transport protocol:   SAS (SPL-4)\n")
	b.WriteString("Local Time is:        Mon Mar  4 10:11:12 2024 UTC\n\n")
	b.WriteString("=== START OF READ SMART DATA SECTION ===\n")
	b.WriteString("SMART Health Status: OK\n\n")
	b.WriteString("Vendor (Seagate Cache) information\n")
	b.WriteString("  Blocks sent to initiator = 1234\n")
	b.WriteString("    SAS address = 0x5000c500a1b2c3d5\n\n")
	return b.String()
}

var (
	ataSSD = ataText("Samsung based SSDs", "Samsung SSD 860 EVO 500GB", "S3Z2NB0K123456A", "5 002538 e70005ab2",
		"RVT03B6Q", "500,107,862,016 bytes [500 GB]", "Solid State Device")
	ataHDD = ataText("Seagate BarraCuda 3.5", "ST4000DM004-2CV104", "ZFN0ABCD", "5 000c50 0a1b2c3d4",
		"0001", "4,000,787,030,016 bytes [4.00 TB]", "5425 rpm")
	dellMicron = ataText("Micron 5100 Pro / 52xx / 5300 SSDs", "MTFDDAK960TDS", "18231C1A2B3C", "5 00a075 11c1a2b3c",
		"D3DJ004", "960,197,124,096 bytes [960 GB]", "Solid State Device")
	nvmeDrive = nvmeText("Samsung SSD 970 EVO Plus 1TB", "S4EWNX0N123456", "2B2QEXM7",
		"PCI Vendor/Subsystem ID:            0x144d\n", "0x002538", "002538 5a91b2c3d4")
	dellNVMe = nvmeText("Dell Ent NVMe CM6 RI 1.92TB", "Y0A0A01BTJ8F", "2.1.8",
		"PCI Vendor ID:                      0x1e0f\nPCI Vendor Subsystem ID:            0x1028\n", "0x8ce38e", "")
	sasHDD = sasText("SEAGATE", "ST600MM0208", "N003", "600,127,266,816 bytes [600 GB]", "10000 rpm",
		"0x5000c500a1b2c3d4", "W0M1ABCD0000E8231A2B")
)

func TestParseText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Drive
	}{
		{"ATA SSD with banner", banner + ataSSD, []Drive{{
			Line: 1, Protocol: "ATA", Transport: "sata", ModelFamily: "Samsung based SSDs", Model: "Samsung SSD 860 EVO 500GB",
			SerialNumber: "S3Z2NB0K123456A", Firmware: "RVT03B6Q", SizeBytes: 500107862016, Media: "ssd",
			FormFactor: "2.5 inches", WWN: "naa.5002538e70005ab2",
		}}},
		{"ATA HDD without banner", ataHDD, []Drive{{
			Line: 1, Protocol: "ATA", Transport: "sata", ModelFamily: "Seagate BarraCuda 3.5", Model: "ST4000DM004-2CV104",
			SerialNumber: "ZFN0ABCD", Firmware: "0001", SizeBytes: 4000787030016, Media: "hdd",
			FormFactor: "2.5 inches", WWN: "naa.5000c500a1b2c3d4",
		}}},
		{"Dell-labelled Micron SATA SSD", banner + dellMicron, []Drive{{
			Line: 1, Protocol: "ATA", Transport: "sata", ModelFamily: "Micron 5100 Pro / 52xx / 5300 SSDs", Model: "MTFDDAK960TDS",
			SerialNumber: "18231C1A2B3C", Firmware: "D3DJ004", SizeBytes: 960197124096, Media: "ssd",
			FormFactor: "2.5 inches", WWN: "naa.500a07511c1a2b3c",
		}}},
		{"NVMe", banner + nvmeDrive, []Drive{{
			Line: 1, Protocol: "NVMe", Transport: "nvme", Model: "Samsung SSD 970 EVO Plus 1TB",
			SerialNumber: "S4EWNX0N123456", Firmware: "2B2QEXM7", SizeBytes: 1000204886016, Media: "ssd",
			PCIVendor: 0x144d, PCISubsystemVendor: 0x144d, IEEEOUI: "002538", EUI64: "0025385a91b2c3d4",
		}}},
		{"NVMe with a subsystem vendor of its own", dellNVMe, []Drive{{
			Line: 1, Protocol: "NVMe", Transport: "nvme", Model: "Dell Ent NVMe CM6 RI 1.92TB",
			SerialNumber: "Y0A0A01BTJ8F", Firmware: "2.1.8", SizeBytes: 1000204886016, Media: "ssd",
			PCIVendor: 0x1e0f, PCISubsystemVendor: 0x1028, IEEEOUI: "8ce38e",
		}}},
		{"SAS HDD", banner + sasHDD, []Drive{{
			Line: 1, Protocol: "SCSI", Transport: "sas", Vendor: "SEAGATE", Model: "ST600MM0208",
			SerialNumber: "W0M1ABCD0000E8231A2B", Firmware: "N003", SizeBytes: 600127266816, Media: "hdd",
			FormFactor: "2.5 inches", WWN: "naa.5000c500a1b2c3d4",
		}}},
		{"SATA drive read through SCSI translation", "Vendor:               ATA\nProduct:              MTFDDAK960TDS\nRevision:             J004\nSerial number:        18231C1A2B3C\n",
			[]Drive{{Line: 1, Protocol: "SCSI", Transport: "sata", Vendor: "ATA", Model: "MTFDDAK960TDS", Firmware: "J004", SerialNumber: "18231C1A2B3C"}}},
		{"-i only: no rotation rate, masked serial field absent", "Device Model:     ST4000DM004-2CV104\nSerial Number:    ZFN0ABCD\n",
			[]Drive{{Line: 1, Protocol: "ATA", Transport: "sata", Model: "ST4000DM004-2CV104", SerialNumber: "ZFN0ABCD"}}},
		{"Device: line names the drive", "Device: /dev/sdb [SAT]\n" + banner + ataHDD, []Drive{{
			Line: 1, Name: "/dev/sdb", Protocol: "ATA", Transport: "sata", ModelFamily: "Seagate BarraCuda 3.5", Model: "ST4000DM004-2CV104",
			SerialNumber: "ZFN0ABCD", Firmware: "0001", SizeBytes: 4000787030016, Media: "hdd",
			FormFactor: "2.5 inches", WWN: "naa.5000c500a1b2c3d4",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseNoWarnings(t, tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			crlf, _, err := Parse([]byte(strings.ReplaceAll(tt.in, "\n", "\r\n")))
			if err != nil || !reflect.DeepEqual(crlf, got) {
				t.Errorf("CRLF: got %+v, %v; want the LF result", crlf, err)
			}
		})
	}
}

// parseNoWarnings parses in, which must give drives and no warning.
func parseNoWarnings(t *testing.T, in string) []Drive {
	t.Helper()
	got, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	return got
}

// models lists the drives' models and first lines.
func models(drives []Drive) []string {
	var out []string
	for _, d := range drives {
		out = append(out, fmt.Sprintf("%d %s %s %s", d.Line, d.Name, d.Transport, d.Model))
	}
	return out
}

func lineCount(s string) int { return strings.Count(s, "\n") }

func TestParseSeveralDrives(t *testing.T) {
	t.Run("banners", func(t *testing.T) {
		in := banner + ataSSD + banner + nvmeDrive + banner + sasHDD + banner + dellMicron
		got, warnings, err := Parse([]byte(in))
		if err != nil || len(warnings) != 0 {
			t.Fatalf("err %v, warnings %v", err, warnings)
		}
		l2 := 1 + lineCount(banner+ataSSD)
		l3 := l2 + lineCount(banner+nvmeDrive)
		l4 := l3 + lineCount(banner+sasHDD)
		want := []string{
			"1  sata Samsung SSD 860 EVO 500GB",
			fmt.Sprintf("%d  nvme Samsung SSD 970 EVO Plus 1TB", l2),
			fmt.Sprintf("%d  sas ST600MM0208", l3),
			fmt.Sprintf("%d  sata MTFDDAK960TDS", l4),
		}
		if g := models(got); !reflect.DeepEqual(g, want) {
			t.Errorf("got %q\nwant %q", g, want)
		}
		if got[3].SerialNumber != "18231C1A2B3C" || got[2].WWN != "naa.5000c500a1b2c3d4" {
			t.Errorf("fields crossed between drives: %+v", got)
		}
	})
	t.Run("no banners, no section headers", func(t *testing.T) {
		strip := func(s string) string {
			return strings.Replace(s, "=== START OF INFORMATION SECTION ===\n", "", 1)
		}
		in := strip(ataSSD) + strip(sasHDD) + strip(ataHDD) + strip(nvmeDrive)
		got, warnings, err := Parse([]byte(in))
		if err != nil || len(warnings) != 0 {
			t.Fatalf("err %v, warnings %v", err, warnings)
		}
		want := []string{
			"1  sata Samsung SSD 860 EVO 500GB",
			fmt.Sprintf("%d  sas ST600MM0208", 1+lineCount(strip(ataSSD))),
			fmt.Sprintf("%d  sata ST4000DM004-2CV104", 1+lineCount(strip(ataSSD)+strip(sasHDD))),
			fmt.Sprintf("%d  nvme Samsung SSD 970 EVO Plus 1TB", 1+lineCount(strip(ataSSD)+strip(sasHDD)+strip(ataHDD))),
		}
		if g := models(got); !reflect.DeepEqual(g, want) {
			t.Errorf("got %q\nwant %q", g, want)
		}
		if got[1].Vendor != "SEAGATE" || got[0].Vendor != "" || got[2].ModelFamily != "Seagate BarraCuda 3.5" || got[0].ModelFamily != "Samsung based SSDs" {
			t.Errorf("fields crossed between drives: %+v", got)
		}
	})
	t.Run("Device lines", func(t *testing.T) {
		in := "Device: /dev/sda\n" + banner + ataSSD + "Device: /dev/nvme0\n" + banner + nvmeDrive
		got, _, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1 /dev/sda sata Samsung SSD 860 EVO 500GB", fmt.Sprintf("%d /dev/nvme0 nvme Samsung SSD 970 EVO Plus 1TB", 2+lineCount(banner+ataSSD))}
		if g := models(got); !reflect.DeepEqual(g, want) {
			t.Errorf("got %q\nwant %q", g, want)
		}
	})
}

func TestParseTextSkips(t *testing.T) {
	failed := banner + "Smartctl open device: /dev/sdz failed: No such device\n"
	truncated := banner + "=== START OF INFORMATION SECTION ===\nModel Family:     Samsung based SSDs\n"
	in := failed + banner + ataSSD + truncated
	got, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if g := models(got); len(g) != 1 || !strings.HasSuffix(g[0], "Samsung SSD 860 EVO 500GB") {
		t.Fatalf("drives %q, want the one complete drive", g)
	}
	truncLine := 1 + lineCount(failed+banner+ataSSD)
	want := []Warning{
		{1, `smartctl output names no drive (smartctl said "Smartctl open device: /dev/sdz failed: No such device"): skipped`},
		{truncLine, "smartctl output names no drive model (Device Model, Model Number or Product): output truncated or not a drive: skipped"},
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings\n got %+v\nwant %+v", warnings, want)
	}
}

func TestParseTextFieldWarnings(t *testing.T) {
	in := "Device Model:     MTFDDAK960TDS\n" +
		"Serial Number:    18231C1A2B3C\n" +
		"LU WWN Device Id: 5 00a075 zz\n" +
		"User Capacity:    lots bytes\n" +
		"Rotation Rate:    Unknown (0x0401)\n"
	got, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].WWN != "" || got[0].SizeBytes != 0 || got[0].Media != "" {
		t.Errorf("drives %+v: the bad fields must be left empty", got)
	}
	if len(warnings) != 2 || warnings[0].Line != 3 || warnings[1].Line != 4 ||
		!strings.Contains(warnings[0].Message, "LU WWN") || !strings.Contains(warnings[1].Message, "User Capacity") {
		t.Errorf("warnings %+v: want the LU WWN (line 3) and User Capacity (line 4)", warnings)
	}

	_, warnings, _ = Parse([]byte("Model Number:    X\nPCI Vendor/Subsystem ID: 0x1234567\nNamespace 1 IEEE EUI-64: 00 11\n"))
	if len(warnings) != 3 || warnings[0].Line != 2 || warnings[1].Line != 3 || !strings.Contains(warnings[2].Message, "no serial number") {
		t.Errorf("warnings %+v: want the PCI id (line 2), the EUI-64 (line 3) and the missing serial", warnings)
	}
}

func TestParseNoDrive(t *testing.T) {
	for _, in := range []string{
		"", "\n\n", "hello\n", banner, banner + "Smartctl open device: /dev/sdz failed: No such device\n",
		"# dmidecode 3.3\nHandle 0x0040, DMI type 17, 40 bytes\n",
		`{"json_format_version":[1,0],"smartctl":{"version":[7,2],"exit_status":2,"messages":[{"string":"Smartctl open device: /dev/sdz failed: No such device","severity":"error"}]}}`,
		"{\"a\":",
	} {
		drives, _, err := Parse([]byte(in))
		if !errors.Is(err, ErrNoDrive) || drives != nil {
			t.Errorf("Parse(%q) = %v, %v; want ErrNoDrive", in, drives, err)
		}
	}
}

// TestParseTextCommandLines: smartctl's text never names the device it
// read; the command line a support tool echoes before the output does.
func TestParseTextCommandLines(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantNames []string // Name and Type of each drive
		wantLines []int
	}{
		{"smartctl -i alone names nothing", smartctltest.InfoATA, []string{" "}, []int{1}},
		{"supportconfig header", "#==[ Command ]======================================#\n# /usr/sbin/smartctl -i /dev/sda\n" + smartctltest.InfoATA,
			[]string{"/dev/sda "}, []int{2}},
		{"shell prompt, RAID type", "root@db-17:~# smartctl -i -d megaraid,3 /dev/bus/0\n" + smartctltest.InfoATA,
			[]string{"/dev/bus/0 megaraid,3"}, []int{1}},
		{"sudo, --device=, redirect", "$ sudo /usr/sbin/smartctl --device=sat -i /dev/sdb 2>/dev/null\n" + smartctltest.InfoATA,
			[]string{"/dev/sdb sat"}, []int{1}},
		{"sh -x trace, -dTYPE", "+ smartctl -dnvme -i /dev/nvme0\n" + nvmeDrive, []string{"/dev/nvme0 nvme"}, []int{1}},
		{"two commands, two drives", "$ smartctl -i /dev/sda\n" + smartctltest.InfoATA + "$ smartctl -i /dev/sdb\n" + banner + ataHDD,
			[]string{"/dev/sda ", "/dev/sdb "}, []int{1, 2 + lineCount(smartctltest.InfoATA)}},
		{"command then Device: line of the same device", "# smartctl -i /dev/sda\nDevice: /dev/sda [SAT]\n" + smartctltest.InfoATA,
			[]string{"/dev/sda "}, []int{1}},
		{"shell loop names no device", "for d in /dev/sd?; do smartctl -i $d; done\n" + smartctltest.InfoATA, []string{" "}, []int{2}},
		{"first of two chained commands", "smartctl -i /dev/sda; smartctl -i /dev/sdb\n" + smartctltest.InfoATA, []string{"/dev/sda "}, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseNoWarnings(t, tt.in)
			var names []string
			var lines []int
			for _, d := range got {
				names = append(names, d.Name+" "+d.Type)
				lines = append(lines, d.Line)
			}
			if !reflect.DeepEqual(names, tt.wantNames) || !reflect.DeepEqual(lines, tt.wantLines) {
				t.Errorf("names %q at lines %v, want %q at %v", names, lines, tt.wantNames, tt.wantLines)
			}
			if got[0].Model == "" || got[0].SerialNumber == "" {
				t.Errorf("drive %+v lost its fields", got[0])
			}
		})
	}
	t.Run("failed command", func(t *testing.T) {
		in := "$ smartctl -i /dev/sdz\n" + banner + "Smartctl open device: /dev/sdz failed: No such device\n" + "$ smartctl -i /dev/sda\n" + smartctltest.InfoATA
		got, warnings, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != "/dev/sda" {
			t.Errorf("drives %+v, want /dev/sda only", got)
		}
		if len(warnings) != 1 || warnings[0].Line != 1 || !strings.Contains(warnings[0].Message, "/dev/sdz failed") {
			t.Errorf("warnings %+v, want the failed /dev/sdz at line 1", warnings)
		}
	})
}

// smartctl groups a capacity's digits with the locale's thousands
// separator.
func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"960,197,124,096 bytes [960 GB]":                        960197124096,
		"960.197.124.096 bytes [960 GB]":                        960197124096, // de_DE
		"960'197'124'096 bytes [960 GB]":                        960197124096, // de_CH
		"1,000,204,886,016 [1.00 TB]":                           1000204886016,
		"1 000 204 886 016 bytes [1,00 TB]":                     1000204886016, // fr_FR
		"1\u202f000\u202f204\u202f886\u202f016 bytes [1,00 TB]": 1000204886016, // narrow no-break space
		"1\u00a0000\u00a0204\u00a0886\u00a0016 [1,00 TB]":       1000204886016,
		"1.00 TB":                          0,
		"  500107862016 bytes [500 GB]":    500107862016,
		"lots bytes":                       0,
		"0 bytes":                          0,
		"18,446,744,073,709,551,616 bytes": 0, // 2^64
	} {
		got, err := parseSize(in)
		if got != want || (err != nil) != (want == 0) {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
