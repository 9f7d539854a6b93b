package scan

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/hostfixture"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func scanFixture(t *testing.T, h hostfixture.Host) *memledgerv1.Inventory {
	t.Helper()
	root := t.TempDir()
	if err := hostfixture.Build(root, h); err != nil {
		t.Fatal(err)
	}
	inv, err := Scan(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatalf("Scan(%s): %v", root, err)
	}
	return inv
}

// TestScanWholeServerTree runs the real scan over a synthetic host tree laid
// out as real sysfs: SMBIOS tables, SPD EEPROMs under ee1004, NVMe drives
// behind their PCI functions, SATA disks that sysfs calls "ATA", a USB stick.
func TestScanWholeServerTree(t *testing.T) {
	t.Parallel()
	inv := scanFixture(t, hostfixture.TwoSocketServer())

	h := inv.GetHost()
	if h.GetHostId() != "5f2a9c1e8b7d4e6fa1b2c3d4e5f60718" || h.GetHostname() != "db-17" || h.GetKernel() != "5.14.0-427.13.1.el9_4.x86_64" {
		t.Errorf("host identity: id %q name %q kernel %q", h.GetHostId(), h.GetHostname(), h.GetKernel())
	}
	if h.GetSystemProduct() != "PowerEdge R750" || h.GetMemorySlots() != 10 || h.GetOs() == "" {
		t.Errorf("platform: product %q slots %d os %q", h.GetSystemProduct(), h.GetMemorySlots(), h.GetOs())
	}
	if got := inv.GetSources(); len(got) != 3 || got[0] != "smbios" || got[1] != "spd" || got[2] != "sysfs" {
		t.Errorf("sources = %v, want [smbios spd sysfs]", got)
	}

	mods := map[string]*memledgerv1.MemoryModule{}
	for _, m := range inv.GetMemoryModules() {
		mods[m.GetLocator()] = m
	}
	if len(mods) != 8 {
		t.Fatalf("%d modules, want 8 (every SPD matched to its slot, none listed twice)", len(inv.GetMemoryModules()))
	}
	for loc, want := range map[string]struct{ module, parent, dram string }{
		"A1": {"micron", "micron", "micron"},
		"B1": {"samsung", "samsung", "samsung"},
		"B4": {"kingston", "kingston", "micron"}, // Micron DRAM on a Kingston module: only the SPD says so
	} {
		m := mods[loc]
		if m.GetModuleVendor().GetId() != want.module || m.GetModuleVendor().GetParent() != want.parent || m.GetDramVendor().GetId() != want.dram {
			t.Errorf("%s: module %v dram %v, want %s/%s dram %s", loc, m.GetModuleVendor(), m.GetDramVendor(), want.module, want.parent, want.dram)
		}
		if m.GetSpd() == nil || !m.GetSpd().GetCrcOk() || m.GetSpd().GetModuleType() != "RDIMM" {
			t.Errorf("%s: SPD info %v", loc, m.GetSpd())
		}
	}
	if ev := mods["B4"].GetDramVendor().GetEvidence(); len(ev) != 1 || ev[0] != "spd-dram-id" {
		t.Errorf("B4 DRAM evidence %v, want [spd-dram-id]", ev)
	}
	if ev := mods["A1"].GetModuleVendor().GetEvidence(); !contains(ev, "jep106-code-in-string") || !contains(ev, "spd-module-id") {
		t.Errorf("A1 module evidence %v: want the hex string and the SPD both recorded", ev)
	}

	drives := map[string]*memledgerv1.StorageDevice{}
	for _, d := range inv.GetStorageDevices() {
		drives[d.GetName()] = d
	}
	for name, want := range map[string]struct{ vendor, parent, evidence, transport, controller string }{
		"nvme0n1": {"micron", "micron", "pci-subsystem-vendor", "nvme", ""},
		"nvme1n1": {"samsung", "samsung", "pci-subsystem-vendor", "nvme", ""},
		"nvme2n1": {"kingston", "kingston", "pci-subsystem-vendor", "nvme", "phison"},
		"sda":     {"micron", "micron", "model-prefix", "sata", ""},
		"sdb":     {"sandisk", "sandisk", "scsi-vendor", "usb", ""},
	} {
		d := drives[name]
		if d == nil {
			t.Errorf("drive %s missing; have %v", name, keys(drives))
			continue
		}
		v := d.GetVendor()
		if v.GetId() != want.vendor || v.GetParent() != want.parent || d.GetTransport() != want.transport || !contains(v.GetEvidence(), want.evidence) {
			t.Errorf("%s: vendor %v transport %q; want %s/%s by %s over %s", name, v, d.GetTransport(), want.vendor, want.parent, want.evidence, want.transport)
		}
		if d.GetControllerVendor().GetId() != want.controller {
			t.Errorf("%s: controller %v, want %q", name, d.GetControllerVendor(), want.controller)
		}
	}
	if d := drives["sda"]; d.GetModel() != "Micron_5300_MTFDDAK480TDS" || d.GetVendorRaw() != "ATA" {
		t.Errorf("sda: model %q (want the full model, not sysfs's 16 characters), vendor_raw %q", d.GetModel(), d.GetVendorRaw())
	}
	if d := drives["nvme0n1"]; d.GetPciVendorId() != "1344" || d.GetPciSubsystemVendorId() != "1344" || d.GetSerialNumber() != "22393A1B2C3D" {
		t.Errorf("nvme0n1 PCI/serial: %v", d)
	}
}

func TestScanWorkstationTree(t *testing.T) {
	t.Parallel()
	inv := scanFixture(t, hostfixture.Workstation())
	for _, m := range inv.GetMemoryModules() {
		if m.GetModuleVendor().GetId() != "crucial" || m.GetModuleVendor().GetParent() != "micron" || m.GetDramVendor().GetId() != "micron" {
			t.Errorf("%s: module %v dram %v", m.GetLocator(), m.GetModuleVendor(), m.GetDramVendor())
		}
		if m.GetMemoryType() != "DDR5" {
			t.Errorf("%s: type %q", m.GetLocator(), m.GetMemoryType())
		}
	}
	for _, d := range inv.GetStorageDevices() {
		if d.GetVendor().GetId() != "crucial" || d.GetVendor().GetParent() != "micron" {
			t.Errorf("%s (%s): vendor %v, want crucial (micron)", d.GetName(), d.GetModel(), d.GetVendor())
		}
	}
	if len(inv.GetStorageDevices()) != 2 || len(inv.GetMemoryModules()) != 2 {
		t.Errorf("%d drives, %d modules", len(inv.GetStorageDevices()), len(inv.GetMemoryModules()))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestScanTreeWithNamedPipes scans a captured tree whose files are named
// pipes nobody writes: each reads as empty, and the scan ends with what
// the rest of the tree tells instead of blocking forever in open(2).
func TestScanTreeWithNamedPipes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := hostfixture.Build(root, hostfixture.Workstation()); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"etc/machine-id", "etc/os-release", "sys/firmware/dmi/tables/smbios_entry_point"} {
		p := filepath.Join(root, rel)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	type result struct {
		inv *memledgerv1.Inventory
		err error
	}
	done := make(chan result, 1)
	go func() {
		inv, err := Scan(context.Background(), Options{Root: root})
		done <- result{inv, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Scan: %v", r.err)
		}
		if got := r.inv.GetHost().GetHostname(); got != "ws-042" {
			t.Errorf("hostname %q, want ws-042 from the rest of the tree", got)
		}
		if len(r.inv.GetStorageDevices()) != 2 {
			t.Errorf("%d drives, want 2", len(r.inv.GetStorageDevices()))
		}
	case <-time.After(time.Minute):
		t.Fatal("Scan blocked on a named pipe in the host tree")
	}
}
