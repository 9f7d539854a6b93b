package spd

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/spd/spdtest"
)

// fakeSysfs builds, under a temp root, the layout the kernel creates: device
// directories under sys/devices/..., driver links
// sys/bus/i2c/drivers/<drv>/<dev> -> ../../../../devices/... and, when
// devicesLink is set, sys/bus/i2c/devices/<dev> -> ../../../devices/...
type fakeSysfs struct {
	t    *testing.T
	root string
}

func newFakeSysfs(t *testing.T) *fakeSysfs {
	root := t.TempDir()
	for _, drv := range []string{"at24", "ee1004", "spd5118"} {
		dir := filepath.Join(root, "sys/bus/i2c/drivers", drv)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"bind", "unbind", "uevent"} {
			writeFile(t, filepath.Join(dir, f), nil, 0o200)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "sys/bus/i2c/devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeSysfs{t: t, root: root}
}

// openRoot opens dir as the host root Find reads.
func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

// add creates device dev ("0-0050") on adapter i2c-N behind the SMBus
// controller, bound to drv, with a name attribute and an eeprom file.
func (f *fakeSysfs) add(drv, dev, name string, eeprom []byte, devicesLink bool) string {
	t := f.t
	bus, _, _ := strings.Cut(dev, "-")
	devRel := filepath.Join("devices/pci0000:00/0000:00:1f.4", "i2c-"+bus, dev)
	devDir := filepath.Join(f.root, "sys", devRel)
	if err := os.MkdirAll(devDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(devDir, "name"), []byte(name+"\n"), 0o444)
	if eeprom != nil {
		writeFile(t, filepath.Join(devDir, "eeprom"), eeprom, 0o400)
	}
	if err := os.Symlink(filepath.Join("../../../..", devRel), filepath.Join(f.root, "sys/bus/i2c/drivers", drv, dev)); err != nil {
		t.Fatal(err)
	}
	if devicesLink {
		if err := os.Symlink(filepath.Join("../../..", devRel), filepath.Join(f.root, "sys/bus/i2c/devices", dev)); err != nil {
			t.Fatal(err)
		}
	}
	return devDir
}

func TestFind(t *testing.T) {
	tree := newFakeSysfs(t)
	ddr4 := spdtest.NewDDR4()
	ddr4.ModuleMaker = kingston
	ddr4img := ddr4.Bytes()
	ddr5img := spdtest.NewDDR5().Bytes()
	ddr3img := ddr3Image(true)
	notSPD := bytes.Repeat([]byte{0xaa}, 256)

	tree.add("ee1004", "0-0052", "ee1004", ddr4img, true)
	tree.add("ee1004", "0-0050", "ee1004", ddr4img, true)
	tree.add("spd5118", "1-0051", "spd5118", ddr5img, false) // no devices link: driver path used
	tree.add("at24", "0-0053", "spd", ddr3img, true)
	tree.add("at24", "0-0057", "24c02", notSPD, true) // board EEPROM, not an SPD

	got, errs := Find(openRoot(t, tree.root))
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []EEPROM{
		{Path: "sys/bus/i2c/devices/0-0050/eeprom", Driver: "ee1004", Bus: 0, Address: 0x50, Data: ddr4img},
		{Path: "sys/bus/i2c/devices/0-0052/eeprom", Driver: "ee1004", Bus: 0, Address: 0x52, Data: ddr4img},
		{Path: "sys/bus/i2c/devices/0-0053/eeprom", Driver: "at24", Bus: 0, Address: 0x53, Data: ddr3img},
		{Path: "sys/bus/i2c/drivers/spd5118/1-0051/eeprom", Driver: "spd5118", Bus: 1, Address: 0x51, Data: ddr5img},
	}
	if len(got) != len(want) {
		t.Fatalf("found %d EEPROMs, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Path != w.Path || g.Driver != w.Driver || g.Bus != w.Bus || g.Address != w.Address || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("EEPROM %d = {%s %s %d 0x%x %d bytes}, want {%s %s %d 0x%x %d bytes}",
				i, g.Path, g.Driver, g.Bus, g.Address, len(g.Data), w.Path, w.Driver, w.Bus, w.Address, len(w.Data))
		}
		if _, err := os.Stat(filepath.Join(tree.root, g.Path)); err != nil {
			t.Errorf("reported path %s does not exist under root: %v", g.Path, err)
		}
	}
	// The found images decode; the glue the agent will use works end to end.
	m, err := Decode(got[0].Data)
	if err != nil || m.ModuleManufacturer != kingston {
		t.Errorf("decode of found EEPROM: %+v, %v", m, err)
	}
}

func TestFindPerDeviceErrors(t *testing.T) {
	tree := newFakeSysfs(t)
	good := spdtest.NewDDR4().Bytes()
	tree.add("ee1004", "0-0050", "ee1004", good, true)
	dir := tree.add("ee1004", "0-0051", "ee1004", nil, true)
	if err := os.Mkdir(filepath.Join(dir, "eeprom"), 0o755); err != nil { // unreadable as a file
		t.Fatal(err)
	}
	tree.add("ee1004", "0-0052", "ee1004", bytes.Repeat([]byte{0}, maxEEPROMRead+1), true)
	tree.add("ee1004", "0-0053", "ee1004", []byte{}, true)
	tree.add("at24", "0-0054", "spd", nil, true) // no eeprom file at all
	// A device with no name file cannot be classified.
	noName := tree.add("at24", "0-0055", "spd", good, true)
	if err := os.Remove(filepath.Join(noName, "name")); err != nil {
		t.Fatal(err)
	}

	got, errs := Find(openRoot(t, tree.root))
	if len(got) != 5 {
		t.Fatalf("found %d devices, want 5 (all but the nameless one): %+v", len(got), got)
	}
	if got[0].Address != 0x50 || !bytes.Equal(got[0].Data, good) {
		t.Errorf("good device not read: %+v", got[0])
	}
	for _, e := range got[1:] {
		if e.Data != nil {
			t.Errorf("device %s has data despite a read error", e.Path)
		}
	}
	wantErrs := []string{"0-0051/eeprom", "0-0052/eeprom", "larger than 4 KiB", "0-0053/eeprom", "empty", "0-0054/eeprom", "0-0055"}
	joined := ""
	for _, err := range errs {
		joined += err.Error() + "\n"
	}
	for _, w := range wantErrs {
		if !strings.Contains(joined, w) {
			t.Errorf("errors do not mention %q:\n%s", w, joined)
		}
	}
	if len(errs) != 5 {
		t.Errorf("got %d errors, want 5:\n%s", len(errs), joined)
	}
	missing := false
	for _, err := range errs {
		missing = missing || errors.Is(err, fs.ErrNotExist)
	}
	if !missing {
		t.Errorf("missing eeprom file error does not wrap fs.ErrNotExist:\n%s", joined)
	}
}

func TestFindPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: file permissions do not deny reads")
	}
	tree := newFakeSysfs(t)
	dir := tree.add("ee1004", "0-0050", "ee1004", spdtest.NewDDR4().Bytes(), true)
	if err := os.Chmod(filepath.Join(dir, "eeprom"), 0o000); err != nil {
		t.Fatal(err)
	}
	got, errs := Find(openRoot(t, tree.root))
	if len(got) != 1 || got[0].Data != nil {
		t.Fatalf("got %+v, want one listed device without data", got)
	}
	if len(errs) != 1 || !errors.Is(errs[0], os.ErrPermission) {
		t.Fatalf("errs = %v, want one permission error", errs)
	}
}

func TestFindNoDrivers(t *testing.T) {
	root := t.TempDir() // no sys at all: drivers not loaded, nothing to report
	got, errs := Find(openRoot(t, root))
	if len(got) != 0 || len(errs) != 0 {
		t.Fatalf("Find on empty root = %v, %v", got, errs)
	}
}
