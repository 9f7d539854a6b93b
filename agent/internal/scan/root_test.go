package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/smbios"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// escape is a file of a host tree replaced by a link leading out of it
// (hosttree.LinkOut), and what the file outside says instead.
type escape struct {
	rel     string
	outside func(tree []byte) []byte
}

func text(s string) func([]byte) []byte { return func([]byte) []byte { return []byte(s) } }

// garbage is a binary file's outside copy: as long, all 0xFF.
func garbage(tree []byte) []byte { return bytes.Repeat([]byte{0xff}, len(tree)) }

// scanAt scans root at a fixed time.
func scanAt(t *testing.T, root string) *memledgerv1.Inventory {
	t.Helper()
	inv, err := Scan(context.Background(), Options{Root: root, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatalf("Scan(%s): %v", root, err)
	}
	return inv
}

// linkOut replaces every file of escapes with a link out of the tree whose
// target, chrooted, holds the file's own content.
func linkOut(t *testing.T, root, outside string, absolute bool, escapes []escape) {
	t.Helper()
	b := hosttree.New(root)
	for _, e := range escapes {
		data, err := os.ReadFile(filepath.Join(root, e.rel))
		if err != nil {
			t.Fatal(err)
		}
		b.LinkOut(e.rel, absolute, outside, data, e.outside(data))
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
}

// A captured tree's links, absolute ("/usr/lib/os-release") or climbing
// with "..", lead where they lead on that host: to the tree's own files,
// never to the files of the machine the scan runs on. Every file the scan
// reads is replaced by such a link, whose target holds, in the tree, the
// file's content and, outside it, something else: the inventory must be
// the one of the tree without links.
func TestScanRootLinksResolveInsideRoot(t *testing.T) {
	t.Parallel()
	hostFiles := []escape{
		{"etc/machine-id", text("ffffffffffffffffffffffffffffffff\n")},
		{"etc/hostname", text("outside-host\n")},
		{"etc/os-release", text("ID=outside\nVERSION_ID=9\n")},
		{"proc/sys/kernel/osrelease", text("9.9.9-outside\n")},
	}
	drives := []escape{
		{"sys/block/sda/size", text("2\n")},
		{"sys/block/sda/device/vendor", text("OUTSIDE \n")},
		{"run/udev/data/b8:0", text("not a udev record\n")},
		{"sys/block/nvme0n1/size", text("2\n")},
		{"sys/block/nvme0n1/device/model", text("OUTSIDE\n")},
		{"sys/block/nvme0n1/device/device/subsystem_vendor", text("0x144d\n")},
	}
	variants := []struct {
		name    string
		prepare func(t *testing.T, root string)
		escapes []escape
	}{
		{
			name: "smbios",
			escapes: append(append([]escape{
				{"proc/sys/kernel/hostname", text("outside-host\n")},
				{sysEntryPointPath, garbage},
				{sysDMITablePath, garbage},
				{"sys/bus/i2c/devices/0-0050/eeprom", garbage},
				{"sys/bus/i2c/drivers/spd5118/0-0051/eeprom", garbage},
			}, hostFiles...), drives...),
		},
		{
			// No SMBIOS tables: udev's copy and sys/class/dmi/id are read,
			// and the host name from etc/hostname.
			name: "udev",
			prepare: func(t *testing.T, root string) {
				for _, rel := range []string{sysEntryPointPath, sysDMITablePath, "proc/sys/kernel/hostname"} {
					if err := os.Remove(filepath.Join(root, rel)); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(filepath.Join(root, udevDMIPath), []byte(udevSample), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			escapes: append(append([]escape{
				{udevDMIPath, text(strings.ReplaceAll(udevSample, "HMA84GR7CJR4N-XN", "OUTSIDE"))},
				{"sys/class/dmi/id/sys_vendor", text("Outside Inc.\n")},
				{"sys/class/dmi/id/product_name", text("Outside Product\n")},
				{"sys/class/dmi/id/board_name", text("Outside Board\n")},
			}, hostFiles...), drives...),
		},
	}
	for _, v := range variants {
		for _, absolute := range []bool{true, false} {
			name := v.name + "/climbing"
			if absolute {
				name = v.name + "/absolute"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				base := t.TempDir()
				root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
				h := hostfixture.Workstation()
				if err := hostfixture.Build(root, h); err != nil {
					t.Fatal(err)
				}
				if v.prepare != nil {
					v.prepare(t, root)
				}
				want := scanAt(t, root)
				linkOut(t, root, outside, absolute, v.escapes)
				got := scanAt(t, root)
				if id, name := got.GetHost().GetHostId(), got.GetHost().GetHostname(); id != h.MachineID || name != h.Hostname {
					t.Errorf("host %q named %q, want the tree's %q named %q", id, name, h.MachineID, h.Hostname)
				}
				if !proto.Equal(got, want) {
					t.Errorf("inventory with links out of the tree differs from the tree's own:\ngot:\n%s\nwant:\n%s", prototext.Format(got), prototext.Format(want))
				}
			})
		}
	}
}

// A link that is a loop once read inside the root (etc/machine-id ->
// /etc/machine-id, as a tree captured with absolute links has it) is a
// file that cannot be read: a warning, never this machine's file, and
// never a hang.
func TestScanRootLinkLoops(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := hostfixture.Build(root, hostfixture.Workstation()); err != nil {
		t.Fatal(err)
	}
	for rel, target := range map[string]string{
		"etc/machine-id":           "/etc/machine-id",
		"etc/hostname":             "../../../../../../../../etc/hostname",
		"proc/sys/kernel/hostname": "/proc/sys/kernel/hostname",
		"etc/os-release":           "/etc/os-release",
		"sys/block/sda":            "/sys/block/sda",
	} {
		p := filepath.Join(root, rel)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan *memledgerv1.Inventory, 1)
	go func() { done <- scanAt(t, root) }()
	var inv *memledgerv1.Inventory
	select {
	case inv = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Scan did not end on a tree with link loops")
	}
	h := inv.GetHost()
	if h.GetHostId() != "" || h.GetHostname() != "" {
		t.Errorf("host id %q, name %q: want none (each is a link loop in the tree)", h.GetHostId(), h.GetHostname())
	}
	if h.GetOs() != "ubuntu 24.04" {
		t.Errorf("os %q, want ubuntu 24.04 from usr/lib/os-release, read when etc/os-release cannot be", h.GetOs())
	}
	var idWarning, loopWarning bool
	for _, w := range inv.GetWarnings() {
		idWarning = idWarning || strings.Contains(w.GetMessage(), "no machine id found")
		loopWarning = loopWarning || (w.GetSubject() == "sda" && strings.Contains(w.GetMessage(), "too many levels of symbolic links"))
	}
	if !idWarning || !loopWarning {
		t.Errorf("warnings %v: want the missing machine id and sda's link loop", inv.GetWarnings())
	}
	// sda is still listed, by its name: only how it is attached is unknown.
	if n := len(inv.GetStorageDevices()); n != 2 {
		t.Errorf("%d drives, want 2", n)
	}
}

// The platform identity from sys/class/dmi/id, or the device tree on boards
// without DMI, is read inside the root as well.
func TestReadDMIID(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")

	dmi := filepath.Join(base, "dmi")
	b := hosttree.New(dmi)
	b.DMIID(map[string]string{
		"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R750", "product_serial": "7XK2QJ3",
		"product_uuid": "4c4c4544-0058-4b10-8032-b7c04f514a33", "board_vendor": "Dell Inc.", "board_name": "0PJ9XH",
	})
	b.LinkOut("sys/class/dmi/id/product_name", true, outside, []byte("PowerEdge R750\n"), []byte("Outside\n"))
	b.LinkOut("sys/class/dmi/id/board_name", false, outside, []byte("0PJ9XH\n"), []byte("Outside\n"))

	dt := filepath.Join(base, "dt")
	b2 := hosttree.New(dt)
	b2.WriteFile(deviceTreeDir+"/model", []byte("Raspberry Pi 4 Model B Rev 1.4\x00"))
	b2.WriteFile(deviceTreeDir+"/serial-number", []byte("10000000a1b2c3d4\x00"))
	b2.WriteFile(deviceTreeDir+"/compatible", []byte("raspberrypi,4-model-b\x00brcm,bcm2711\x00"))
	b2.LinkOut(deviceTreeDir+"/compatible", true, outside, []byte("raspberrypi,4-model-b\x00brcm,bcm2711\x00"), []byte("outside,board\x00"))
	for _, err := range []error{b.Err(), b2.Err()} {
		if err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		dir     string
		wantSys smbios.SystemInfo
		wantBB  smbios.BaseboardInfo
	}{
		{dmi,
			smbios.SystemInfo{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R750", SerialNumber: "7XK2QJ3", UUID: "4c4c4544-0058-4b10-8032-b7c04f514a33"},
			smbios.BaseboardInfo{Manufacturer: "Dell Inc.", Product: "0PJ9XH"}},
		{dt,
			smbios.SystemInfo{Manufacturer: "raspberrypi", ProductName: "Raspberry Pi 4 Model B Rev 1.4", SerialNumber: "10000000a1b2c3d4"},
			smbios.BaseboardInfo{Manufacturer: "raspberrypi", Product: "Raspberry Pi 4 Model B Rev 1.4", SerialNumber: "10000000a1b2c3d4"}},
	}
	for _, tc := range tests {
		tree, err := os.OpenRoot(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		sys, bb := readDMIID(tree)
		tree.Close()
		if sys == nil || *sys != tc.wantSys || bb == nil || *bb != tc.wantBB {
			t.Errorf("readDMIID(%s) = %+v, %+v; want %+v, %+v", filepath.Base(tc.dir), sys, bb, tc.wantSys, tc.wantBB)
		}
	}
	empty, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if sys, bb := readDMIID(empty); sys != nil || bb != nil {
		t.Errorf("readDMIID of an empty tree = %+v, %+v; want nothing", sys, bb)
	}
}
