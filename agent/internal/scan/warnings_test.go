package scan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/hosttree"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Eight EEPROMs that cannot be read make one warning naming their paths,
// not eight identical lines naming none.
func TestUnreadableEEPROMsMakeOneWarningNamingThePaths(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	b := hosttree.New(root)
	for i := range 8 {
		b.AddEEPROM("ee1004", 0, 0x50+i, make([]byte, 512))
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	// An eeprom attribute that is a directory fails to read as a file
	// does (root reads everything, so permission cannot be denied here).
	for i := range 8 {
		p := filepath.Join(root, "sys/devices/pci0000:00/0000:00:1f.4/i2c-0", fmt.Sprintf("0-%04x", 0x50+i), "eeprom")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := Scan(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	var spd []*memledgerv1.Warning
	for _, w := range inv.GetWarnings() {
		if w.GetSource() == "spd" {
			spd = append(spd, w)
		}
	}
	if len(spd) != 1 {
		t.Fatalf("%d spd warnings, want 1: %v", len(spd), spd)
	}
	want := "/sys/bus/i2c/devices/0-0050/eeprom, /sys/bus/i2c/devices/0-0051/eeprom, /sys/bus/i2c/devices/0-0052/eeprom, /sys/bus/i2c/devices/0-0053/eeprom and 4 more"
	if spd[0].GetSubject() != want {
		t.Errorf("subject %q, want %q", spd[0].GetSubject(), want)
	}
	if msg := spd[0].GetMessage(); !strings.HasPrefix(msg, "cannot read an SPD EEPROM: ") || strings.Contains(msg, root) {
		t.Errorf("message %q: want the failure without the path", msg)
	}
}

func TestMergeWarnings(t *testing.T) {
	w := func(src, msg, subj string) *memledgerv1.Warning {
		return &memledgerv1.Warning{Source: src, Message: msg, Subject: subj}
	}
	denied := "cannot read an SPD EEPROM: permission denied (run as root, or grant CAP_DAC_READ_SEARCH as the packaged systemd unit does)"
	got := mergeWarnings([]*memledgerv1.Warning{
		w("spd", denied, "/sys/a"), w("smbios", "no tables", ""), w("spd", denied, "/sys/b"), w("spd", denied, "/sys/a"), w("smbios", "no tables", ""),
	})
	if len(got) != 2 || got[0].GetSubject() != "/sys/a, /sys/b" || got[1].GetSource() != "smbios" || got[1].GetSubject() != "" {
		t.Errorf("merged: %v", got)
	}
	err := fmt.Errorf("spd: read x: %w", &fs.PathError{Op: "open", Path: "/sys/bus/i2c/drivers/ee1004/0-0050/eeprom", Err: fs.ErrPermission})
	if p := errorPath(err); p != "/sys/bus/i2c/drivers/ee1004/0-0050/eeprom" {
		t.Errorf("errorPath = %q", p)
	}
	if msg := explainReadError("cannot read an SPD EEPROM", err); msg != denied {
		t.Errorf("explainReadError = %q", msg)
	}
}
