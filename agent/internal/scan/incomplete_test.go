//go:build linux

package scan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// TestScanIncomplete: the inventory names the domains the scan could not
// read completely (a failed drive listing, SMBIOS unreadable or damaged),
// and only those: a host without drives, or whose memory came from udev's
// copy of the tables, is read completely. The warnings stay.
func TestScanIncomplete(t *testing.T) {
	t.Parallel()
	table := syntheticTable()
	ep := smbiostest.EntryPoint30(3, 2, 0, uint32(len(table)))
	// The table cut inside the string set of its third memory device
	// (B1): A1 and A2 are decoded, the rest of the table cannot be
	// located.
	b1 := bytes.Index(table, []byte("\x00B1\x00"))
	if b1 < 0 {
		t.Fatal("B1 not found in the synthetic table")
	}
	damaged := table[:b1+2]
	// An SMBIOS 2.x table (whose length is exact) cut between two
	// structures, before B1.
	ep21 := smbiostest.EntryPoint21(2, 8, uint16(len(table)), 8)
	cut := table[:bytes.LastIndex(table[:b1], []byte{0, 0, 17})+2]
	shortTable := shortRecordTable()

	sata := hosttree.SATA{Name: "sda", Model: "MK000480GWUGF", Serial: "19232A1B2C3D", Firmware: "HPG3",
		SizeBytes: 480103981056, PCIAddr: "0000:00:17.0", WWN: 0x500a07512c1a2b3c}
	for _, tc := range []struct {
		name  string
		build func(b *hosttree.Builder)
		// sysBlock creates an empty /sys/block (a host without drives).
		sysBlock bool
		want     []string
		modules  int
		warn     string // the source of a warning that must stay
	}{
		{"everything read", func(b *hosttree.Builder) { b.DMI(ep, table); b.AddSATA(sata) }, false, nil, 3, ""},
		{"no drives", func(b *hosttree.Builder) { b.DMI(ep, table) }, true, nil, 3, ""},
		{"drive listing failed", func(b *hosttree.Builder) { b.DMI(ep, table) }, false, []string{inventory.IncompleteStorage}, 3, "storage"},
		{"udev's copy of the tables", func(b *hosttree.Builder) { b.WriteFile(udevDMIPath, []byte(udevSample)); b.AddSATA(sata) }, false, nil, 2, "smbios"},
		{"no SMBIOS, no udev", func(b *hosttree.Builder) { b.AddSATA(sata) }, false, []string{inventory.IncompleteMemory}, 0, "smbios"},
		{"damaged table", func(b *hosttree.Builder) { b.DMI(ep, damaged); b.AddSATA(sata) }, false, []string{inventory.IncompleteMemory}, 2, "smbios"},
		{"2.x table cut short", func(b *hosttree.Builder) { b.DMI(ep21, cut); b.AddSATA(sata) }, false, []string{inventory.IncompleteMemory}, 2, "smbios"},
		{"memory device left out", func(b *hosttree.Builder) {
			b.DMI(smbiostest.EntryPoint30(3, 2, 0, uint32(len(shortTable))), shortTable)
			b.AddSATA(sata)
		}, false, []string{inventory.IncompleteMemory}, 1, "smbios"},
		{"nothing read", func(b *hosttree.Builder) {}, false, []string{inventory.IncompleteMemory, inventory.IncompleteStorage}, 0, "storage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			b := hosttree.New(root)
			b.MachineID("0123456789abcdef0123456789abcdef")
			tc.build(b)
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
			if tc.sysBlock {
				if err := os.MkdirAll(filepath.Join(root, "sys", "block"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			inv, err := Scan(context.Background(), Options{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			if got := inv.GetIncomplete(); !slices.Equal(got, tc.want) {
				t.Errorf("incomplete %q, want %q (warnings %v)", got, tc.want, inv.GetWarnings())
			}
			if n := len(inv.GetMemoryModules()); n != tc.modules {
				t.Errorf("%d modules, want %d (warnings %v)", n, tc.modules, inv.GetWarnings())
			}
			if tc.warn != "" && !slices.ContainsFunc(inv.GetWarnings(), func(w *memledgerv1.Warning) bool { return w.GetSource() == tc.warn }) {
				t.Errorf("no %s warning: %v", tc.warn, inv.GetWarnings())
			}
		})
	}
}

// TestScanSMBIOSFileIncomplete: a dump whose memory device record cannot
// be decoded (left out of the modules) is incomplete memory; an intact
// one is complete memory. A dump reads no drive: storage is incomplete
// unless smartctl output gives the drives, and smartctl output alone
// reads no module. (A dump cut short is refused: TestScanSMBIOSFileErrors.)
func TestScanSMBIOSFileIncomplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	smartctl := writeFile(t, dir, "smartctl.txt", []byte("Device Model:     MTFDDAK960TDS\nSerial Number:    1234567890AB\n"))
	for name, tc := range map[string]struct {
		table    []byte
		smartctl bool
		want     []string
	}{
		"intact":                    {syntheticTable(), false, []string{inventory.IncompleteStorage}},
		"record left out":           {shortRecordTable(), false, []string{inventory.IncompleteMemory, inventory.IncompleteStorage}},
		"intact, smartctl":          {syntheticTable(), true, nil},
		"record left out, smartctl": {shortRecordTable(), true, []string{inventory.IncompleteMemory}},
		"smartctl alone":            {nil, true, []string{inventory.IncompleteMemory}},
	} {
		var opts Options
		if tc.table != nil {
			opts.SMBIOSFile = writeFile(t, dir, name+"/dump.bin", smbiostest.DumpBin(smbiostest.EntryPoint30(3, 2, 0, uint32(len(tc.table))), tc.table))
		}
		if tc.smartctl {
			opts.SmartctlFiles, opts.HostID = []string{smartctl}, "h1"
		}
		inv, err := Scan(context.Background(), opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := inv.GetIncomplete(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: incomplete %q, want %q (warnings %v)", name, got, tc.want, inv.GetWarnings())
		}
	}
}

// shortRecordTable is a table of one module (A1) and a memory device
// record too short to decode (length 0x10), which is left out.
func shortRecordTable() []byte {
	b := smbiostest.NewBuilder()
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 16384, FormFactor: 0x09, Type: 0x1A, Locator: "A1",
		Manufacturer: "002C00B3002C", SerialNumber: "12BDC045", PartNumber: "18ASF2G72PDZ-2G3B1"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x10, Locator: "A2"})
	b.AddEndOfTable()
	return b.Bytes()
}
