package scan

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smartctl/smartctltest"
)

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
