package scan

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/smartctl/smartctltest"
)

// TestSmartctlModelFamilyNamesMaker: smartctl's "Model Family" (text) or
// model_family (JSON) names the maker of a model nothing else names, with
// its own evidence kind; a family named after a controller names nobody,
// and a model rule outweighs a family that disagrees with it.
func TestSmartctlModelFamilyNamesMaker(t *testing.T) {
	text := func(family, model string) string {
		return "smartctl 7.4 2023-08-01 r5530 [x86_64-linux-6.6.0] (local build)\n" +
			"=== START OF INFORMATION SECTION ===\n" +
			"Model Family:     " + family + "\n" +
			"Device Model:     " + model + "\n" +
			"Serial Number:    ZZ12345678\n" +
			"Rotation Rate:    5400 rpm\n"
	}
	jsonOut := func(family, model string) string {
		return fmt.Sprintf(`{
  "json_format_version": [1, 0],
  "smartctl": {"version": [7, 4], "exit_status": 0},
  "device": {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
  "model_family": %q,
  "model_name": %q,
  "serial_number": "ZZ12345678",
  "rotation_rate": 5400
}
`, family, model)
	}
	for _, tc := range []struct {
		name, family, model string
		vendor              string
		evidence            []string
		warn                string // substring of a vendor warning; "" = none
	}{
		{"family names the maker of a model no rule knows", "Western Digital Red Plus", "XD999ZZZZ-00ABCD0",
			"westerndigital", []string{maker.EvidenceModelFamily}, ""},
		{"family agrees with the model rule", "Western Digital Red Plus", "WDC WD999ZZZZ-00ABCD0",
			"westerndigital", []string{maker.EvidenceModelPrefix, maker.EvidenceModelFamily}, ""},
		{"controller family names nobody", "Phison Driven SSDs", "XD240G SSD",
			"", nil, ""},
		{"model rule beats a disagreeing family", "Western Digital Red Plus", "ST4000DM004-2CV104",
			"seagate", []string{maker.EvidenceModelPrefix}, `smartctl model family "Western Digital Red Plus"`},
	} {
		for format, out := range map[string]string{"text": text(tc.family, tc.model), "json": jsonOut(tc.family, tc.model)} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				devs, warnings, err := readSmartctlFiles([]string{"-"}, strings.NewReader(out))
				if err != nil {
					t.Fatal(err)
				}
				if len(devs) != 1 {
					t.Fatalf("%d drives, want 1", len(devs))
				}
				v := devs[0].GetVendor()
				if v.GetId() != tc.vendor || !slices.Equal(v.GetEvidence(), tc.evidence) {
					t.Errorf("vendor %q %v, want %q %v (warnings %v)", v.GetId(), v.GetEvidence(), tc.vendor, tc.evidence, warnings)
				}
				found := false
				for _, w := range warnings {
					if w.GetSource() == "vendor" {
						found = found || (tc.warn != "" && strings.Contains(w.GetMessage(), tc.warn))
						if tc.warn == "" {
							t.Errorf("unexpected warning %v", w)
						}
					}
				}
				if tc.warn != "" && !found {
					t.Errorf("no vendor warning with %q: %v", tc.warn, warnings)
				}
			})
		}
	}
}

// TestScanSmartctlDriveNames: a drive's name is its slot in the ledger
// (and, without a serial or WWN, its identity): it is never left empty.
func TestScanSmartctlDriveNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	scan := func(t *testing.T, file, stdin string) ([]string, []string, error) {
		t.Helper()
		inv, err := Scan(context.Background(), Options{SmartctlFiles: []string{file}, HostID: "h1", Stdin: strings.NewReader(stdin)})
		var names, warnings []string
		for _, d := range inv.GetStorageDevices() {
			names = append(names, d.GetName())
		}
		for _, w := range inv.GetWarnings() {
			if w.GetSource() == "smartctl" {
				warnings = append(warnings, w.GetSubject()+": "+w.GetMessage())
			}
		}
		return names, warnings, err
	}

	t.Run("smartctl -i alone: file and place", func(t *testing.T) {
		file := writeFile(t, dir, "bundle/smartctl-i.txt", []byte(smartctltest.InfoATA+smartctltest.InfoATA))
		names, warnings, err := scan(t, file, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"smartctl-i.txt#1", "smartctl-i.txt#2"}; !slices.Equal(names, want) {
			t.Errorf("names %q, want %q", names, want)
		}
		second := 1 + strings.Count(smartctltest.InfoATA, "\n")
		if len(warnings) != 2 || !strings.HasPrefix(warnings[0], file+":1: the output names no device for drive \"Samsung SSD 860 EVO 500GB\"") ||
			!strings.HasPrefix(warnings[1], file+":"+strconv.Itoa(second)+": ") || !strings.Contains(warnings[1], `named "smartctl-i.txt#2"`) {
			t.Errorf("warnings %q, want one per drive, at its line, giving the name", warnings)
		}
	})
	t.Run("sosreport file names", func(t *testing.T) {
		sos := writeFile(t, dir, "sos_commands/ata/smartctl_-a_.dev.sda", []byte(smartctltest.InfoATA))
		names, warnings, err := scan(t, sos, "")
		if err != nil || !slices.Equal(names, []string{"sda"}) || len(warnings) != 0 {
			t.Errorf("names %q, warnings %q, err %v; want [sda] and no warning", names, warnings, err)
		}
		// Not a plain kernel name, or two drives in one file: FILE#N.
		odd := writeFile(t, dir, "sos_commands/ata/smartctl_-a_.dev.disk.by-id.x", []byte(smartctltest.InfoATA))
		two := writeFile(t, dir, "sos_commands/ata/smartctl_-a_.dev.sdb", []byte(smartctltest.InfoATA+smartctltest.InfoATA))
		for file, want := range map[string][]string{
			odd: {"smartctl_-a_.dev.disk.by-id.x#1"},
			two: {"smartctl_-a_.dev.sdb#1", "smartctl_-a_.dev.sdb#2"},
		} {
			if names, _, err := scan(t, file, ""); err != nil || !slices.Equal(names, want) {
				t.Errorf("%s: names %q, err %v; want %q", file, names, err, want)
			}
		}
	})
	t.Run("stdin", func(t *testing.T) {
		names, _, err := scan(t, "-", smartctltest.InfoATA)
		if err != nil || !slices.Equal(names, []string{"stdin#1"}) {
			t.Errorf("names %q, err %v; want [stdin#1]", names, err)
		}
	})
	t.Run("command lines name the drives", func(t *testing.T) {
		file := writeFile(t, dir, "named.txt", []byte("# /usr/sbin/smartctl -i /dev/sda\n"+smartctltest.InfoATA+
			"$ smartctl -q noserial -i /dev/nvme0\n"+smartctltest.InfoNVMeNoSerial))
		names, warnings, err := scan(t, file, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"sda", "nvme0"}; !slices.Equal(names, want) || len(warnings) != 1 || !strings.Contains(warnings[0], "no serial number") {
			t.Errorf("names %q, warnings %q; want %q and only the missing serial", names, warnings, want)
		}
	})
	t.Run("neither name nor serial: error", func(t *testing.T) {
		file := writeFile(t, dir, "noserial.txt", []byte(smartctltest.InfoATA+smartctltest.InfoNVMeNoSerial))
		second := 1 + strings.Count(smartctltest.InfoATA, "\n")
		_, _, err := scan(t, file, "")
		if err == nil || !strings.Contains(err.Error(), "smartctl output "+file+`: drive "CT1000P5SSD8" at line `+strconv.Itoa(second)+": no device name, serial number or WWN") {
			t.Errorf("err = %v, want one naming the file, the drive and its line", err)
		}
	})
}
