package scan

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/internal/hexdump"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	"github.com/memledger/memledger/internal/spd"
	"github.com/memledger/memledger/internal/spd/spdtest"
	"github.com/memledger/memledger/internal/testcorpus"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// syntheticTable builds an SMBIOS 3.2 table of a small server: two Micron
// RDIMMs named only by a hex string, a Crucial module named by its SMBIOS
// 3.2 module id, a Kingston module with Micron DRAM, an empty slot and the
// system ROM (not a memory slot).
func syntheticTable() []byte {
	b := smbiostest.NewBuilder()
	b.AddSystem(smbiostest.System{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R640", SerialNumber: "ABC1234",
		UUID: [16]byte{0x44, 0x45, 0x4c, 0x4c, 0x31, 0, 0x10, 0x35, 0x80, 0x4b, 0xb2, 0xc0, 0x4f, 0x4e, 0x31, 0x32}})
	b.AddBaseboard(smbiostest.Baseboard{Manufacturer: "Dell Inc.", Product: "0H28RR"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 16384, FormFactor: 0x09, Type: 0x1A, Locator: "A1",
		Speed: 2666, ConfiguredSpeed: 2400, Manufacturer: "002C00B3002C", SerialNumber: "12BDC045", PartNumber: "18ASF2G72PDZ-2G3B1"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 16384, FormFactor: 0x09, Type: 0x1A, Locator: "A2",
		Manufacturer: "Unknown", SerialNumber: "E8FBFFE2", PartNumber: "CT16G4RFD8266.M18FD", ModuleManufacturerID: 0x9B05})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 0x7FFF, ExtendedSize: 32768, FormFactor: 0x09, Type: 0x1A, Locator: "B1",
		Manufacturer: "01980000802C", SerialNumber: "0B2B0D87", PartNumber: "KSM26RD4/32HDI"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 0, FormFactor: 0x09, Type: 0x02, Locator: "B2"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 0x8800, FormFactor: 0x01, Type: 0x09, Locator: "SYSTEM ROM"})
	b.AddEndOfTable()
	return b.Bytes()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanSMBIOSFile(t *testing.T) {
	t.Parallel()
	table := syntheticTable()
	dump := smbiostest.DumpBin(smbiostest.EntryPoint30(3, 2, 0, uint32(len(table))), table)
	file := writeFile(t, t.TempDir(), "dump.bin", dump)

	inv, err := Scan(context.Background(), Options{SMBIOSFile: file})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	h := inv.GetHost()
	if h.GetMemorySlots() != 4 {
		t.Errorf("memory slots = %d, want 4 (the system ROM is not a slot)", h.GetMemorySlots())
	}
	if h.GetSystemProduct() != "PowerEdge R640" || h.GetSystemSerial() != "ABC1234" || h.GetBaseboardProduct() != "0H28RR" {
		t.Errorf("platform facts wrong: %+v", h)
	}
	if !strings.HasPrefix(h.GetHostId(), "smbios-uuid:") {
		t.Errorf("host id %q: want one derived from the dump's system UUID, not this machine's", h.GetHostId())
	}
	if h.GetHostname() != "" || h.GetKernel() != "" {
		t.Errorf("facts of the scanning machine leaked into a dump's inventory: %+v", h)
	}
	if got := inv.GetSources(); len(got) != 1 || got[0] != "smbios" {
		t.Errorf("sources = %v", got)
	}

	want := []struct {
		locator, module, moduleParent, dram string
		size                                uint64
	}{
		{"A1", "micron", "micron", "micron", 16 << 30},
		{"A2", "crucial", "micron", "", 16 << 30},
		{"B1", "kingston", "kingston", "micron", 32 << 30},
	}
	mods := inv.GetMemoryModules()
	if len(mods) != len(want) {
		t.Fatalf("got %d modules, want %d: %v", len(mods), len(want), mods)
	}
	for i, w := range want {
		m := mods[i]
		if m.GetLocator() != w.locator || m.GetSizeBytes() != w.size || m.GetSource() != "smbios" || m.GetMemoryType() != "DDR4" {
			t.Errorf("module %d: %s %d %s %s", i, m.GetLocator(), m.GetSizeBytes(), m.GetSource(), m.GetMemoryType())
		}
		if m.GetModuleVendor().GetId() != w.module || m.GetModuleVendor().GetParent() != w.moduleParent {
			t.Errorf("%s: module vendor %v, want %s (parent %s)", w.locator, m.GetModuleVendor(), w.module, w.moduleParent)
		}
		if m.GetDramVendor().GetId() != w.dram {
			t.Errorf("%s: DRAM vendor %v, want %q", w.locator, m.GetDramVendor(), w.dram)
		}
	}
	if e := mods[1].GetModuleVendor().GetEvidence(); len(e) == 0 || e[0] != "smbios-module-id" {
		t.Errorf("A2 evidence %v: the SMBIOS 3.2 module id must come first", e)
	}
	if mods[1].GetModuleManufacturerId() != "6:0x1B" {
		t.Errorf("A2 module manufacturer id = %q, want 6:0x1B", mods[1].GetModuleManufacturerId())
	}
	if mods[0].GetSpeedMts() != 2666 || mods[0].GetConfiguredSpeedMts() != 2400 || mods[0].GetManufacturerRaw() != "002C00B3002C" {
		t.Errorf("A1 fields: %v", mods[0])
	}
}

func TestScanSMBIOSFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	table := syntheticTable()
	dump := smbiostest.DumpBin(smbiostest.EntryPoint30(3, 2, 0, uint32(len(table))), table)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"truncated":  {dump[:len(dump)-60], "truncated"},
		"entry only": {dump[:0x20], "truncated: the entry point announces a"},
		"2.x cut between structures": {smbiostest.DumpBin(smbiostest.EntryPoint21(2, 8, uint16(len(table)), 8),
			table[:bytes.LastIndex(table, []byte{0, 0, 17})+2]), "truncated"},
		"not smbios": {[]byte("hello, this is not a table\n"), "dump.bin"},
		"empty":      {nil, "dump.bin"},
		"bad anchor": {append([]byte("_SM3_"), make([]byte, 40)...), "entry point"},
	} {
		file := writeFile(t, dir, name+"/dump.bin", tc.data)
		_, err := Scan(context.Background(), Options{SMBIOSFile: file})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: err = %v; want an error naming %s and mentioning %q", name, err, file, tc.want)
		}
	}
	if _, err := Scan(context.Background(), Options{SMBIOSFile: filepath.Join(dir, "missing.bin")}); err == nil || !strings.Contains(err.Error(), "missing.bin") {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestScanSPDFileErrors feeds --spd files that hold no SPD image: each must
// be an error naming the file and saying why, never a module in the
// inventory. Whitespace-only files used to read as blank hex text, and
// short images as truncated modules with only a memory type.
func TestScanSPDFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ddr4 := spdtest.NewDDR4().Bytes()
	for name, tc := range map[string]struct {
		data    []byte
		wantIs  error
		wantMsg string
	}{
		"empty":           {nil, hexdump.ErrEmpty, "empty input"},
		"form feed":       {[]byte("\f"), hexdump.ErrEmpty, `1-byte input holds only whitespace ("\f")`},
		"vertical tab":    {[]byte("\v"), hexdump.ErrEmpty, `("\v")`},
		"carriage return": {[]byte("\r"), hexdump.ErrEmpty, `("\r")`},
		"CRLF and spaces": {[]byte("  \r\n\r\n"), hexdump.ErrEmpty, "6-byte input holds only whitespace"},
		"comments only":   {[]byte("# SPD of DIMM A1\n"), hexdump.ErrEmpty, "blank or comment lines"},
		"one binary byte": {[]byte{0x1c}, spd.ErrTooShort, "a 1-byte binary image, fewer than the 128 bytes"},
		"DDR4 key byte":   {[]byte{0x23, 0x11, 0x0c}, spd.ErrTooShort, "a 3-byte binary image"},
		"hex DDR4 key":    {[]byte("23 11 0c\n"), spd.ErrTooShort, "plain hex text giving a 3-byte image"},
		"one short":       {ddr4[:spd.MinImageBytes-1], spd.ErrTooShort, "a 127-byte binary image"},
	} {
		file := writeFile(t, dir, name+"/a1.spd", tc.data)
		inv, err := Scan(context.Background(), Options{SPDFiles: []string{file}})
		if !errors.Is(err, tc.wantIs) || !strings.Contains(err.Error(), tc.wantMsg) ||
			!strings.Contains(err.Error(), "SPD file "+file+": not an SPD image") {
			t.Errorf("%s: err = %v (inventory %v); want one naming %s, saying it is not an SPD image, mentioning %q, wrapping %v",
				name, err, inv, file, tc.wantMsg, tc.wantIs)
		}
	}
	// From the floor on, a partial image is still a module, with a warning.
	file := writeFile(t, dir, "partial/a1.spd", ddr4[:spd.MinImageBytes])
	inv, err := Scan(context.Background(), Options{SPDFiles: []string{file}})
	if err != nil {
		t.Fatalf("%d-byte DDR4 image: %v", spd.MinImageBytes, err)
	}
	if mods := inv.GetMemoryModules(); len(mods) != 1 || mods[0].GetMemoryType() != "DDR4" {
		t.Errorf("%d-byte DDR4 image: modules %v, want one DDR4", spd.MinImageBytes, mods)
	}
}

// zeros is an input that never ends.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// An input on stdin is bounded as a named file is: one that never ends is
// refused after maxInputBytes, not read until memory runs out.
func TestScanStdinTooLarge(t *testing.T) {
	t.Parallel()
	_, err := Scan(context.Background(), Options{DmidecodeFile: "-", Stdin: zeros{}})
	if err == nil || err.Error() != "reading dmidecode text (stdin): read stdin: larger than 64 MiB" {
		t.Errorf("err = %v, want the stdin input refused as larger than 64 MiB", err)
	}
}

func TestScanLiveTreeSources(t *testing.T) {
	t.Parallel()
	table := syntheticTable()

	t.Run("kernel tables", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFile(t, root, sysEntryPointPath, smbiostest.EntryPoint30(3, 2, 0, uint32(len(table))))
		writeFile(t, root, sysDMITablePath, table)
		writeFile(t, root, "etc/machine-id", []byte("0123456789abcdef0123456789abcdef\n"))
		inv, err := Scan(context.Background(), Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if inv.GetSources()[0] != "smbios" || len(inv.GetMemoryModules()) != 3 || inv.GetHost().GetHostId() != "0123456789abcdef0123456789abcdef" {
			t.Errorf("sources %v, %d modules, host id %q", inv.GetSources(), len(inv.GetMemoryModules()), inv.GetHost().GetHostId())
		}
		if inv.GetHost().GetSmbiosVersion() != "3.2.0" {
			t.Errorf("smbios version %q", inv.GetHost().GetSmbiosVersion())
		}
	})

	t.Run("udev fallback", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeFile(t, root, udevDMIPath, []byte(udevSample))
		inv, err := Scan(context.Background(), Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if inv.GetSources()[0] != "udev" {
			t.Fatalf("sources = %v, want udev first", inv.GetSources())
		}
		if len(inv.GetMemoryModules()) != 2 || inv.GetHost().GetMemorySlots() != 3 {
			t.Errorf("%d modules in %d slots, want 2 in 3", len(inv.GetMemoryModules()), inv.GetHost().GetMemorySlots())
		}
		if v := inv.GetMemoryModules()[1].GetModuleVendor(); v.GetId() != "crucial" || v.GetEvidence()[0] != "smbios-module-id" {
			t.Errorf("B1 vendor %v: want crucial from the module id udev kept", v)
		}
		if !hasWarning(inv, "smbios", "not present") {
			t.Errorf("no warning saying why the SMBIOS tables were not used: %v", inv.GetWarnings())
		}
	})

	t.Run("virtual machine", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		inv, err := Scan(context.Background(), Options{Root: root})
		if err != nil {
			t.Fatalf("a host without SMBIOS must still scan: %v", err)
		}
		if len(inv.GetMemoryModules()) != 0 || len(inv.GetSources()) != 0 {
			t.Errorf("modules %v, sources %v", inv.GetMemoryModules(), inv.GetSources())
		}
		if !hasWarning(inv, "smbios", "no memory module information") {
			t.Errorf("missing VM warning: %v", inv.GetWarnings())
		}
		if !hasWarning(inv, "host", "machine id") {
			t.Errorf("missing machine-id warning: %v", inv.GetWarnings())
		}
	})
}

func hasWarning(inv *memledgerv1.Inventory, source, text string) bool {
	for _, w := range inv.GetWarnings() {
		if w.GetSource() == source && strings.Contains(w.GetMessage(), text) {
			return true
		}
	}
	return false
}

// TestScanCorpusDumpMatchesItsDmidecodeText scans each u-root binary dump
// and GNU dmidecode's rendering of the same dump: two independent decoders
// (ours of the bytes, dmidecode's of the text) must give the same modules and
// the same makers.
func TestScanCorpusDumpMatchesItsDmidecodeText(t *testing.T) {
	dir := testcorpus.Dir(t, "corpus", "smbios-binary-dumps", "u-root-smbios")
	bins, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	if len(bins) == 0 {
		t.Skipf("no .bin dumps in %s", dir)
	}
	for _, bin := range bins {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			t.Parallel()
			fromBin, err := Scan(context.Background(), Options{SMBIOSFile: bin, HostID: "h"})
			if err != nil {
				t.Fatal(err)
			}
			txt := strings.TrimSuffix(bin, ".bin") + ".orig.txt"
			fromText, err := Scan(context.Background(), Options{DmidecodeFile: txt, HostID: "h"})
			if err != nil {
				t.Fatal(err)
			}
			a, b := fromBin.GetMemoryModules(), fromText.GetMemoryModules()
			if len(a) != len(b) || fromBin.GetHost().GetMemorySlots() != fromText.GetHost().GetMemorySlots() {
				t.Fatalf("binary: %d modules in %d slots; dmidecode text: %d in %d", len(a), fromBin.GetHost().GetMemorySlots(), len(b), fromText.GetHost().GetMemorySlots())
			}
			if len(a) == 0 {
				t.Fatalf("no modules decoded from %s", bin)
			}
			for i := range a {
				x, y := proto.Clone(a[i]).(*memledgerv1.MemoryModule), proto.Clone(b[i]).(*memledgerv1.MemoryModule)
				x.Source, y.Source = "", ""
				// dmidecode prints type detail flags and the raw string after
				// its own filtering; compare what both sources carry.
				x.ManufacturerRaw, y.ManufacturerRaw = "", ""
				if !proto.Equal(x, y) {
					t.Errorf("module %d differs:\n binary: %v\n text:   %v", i, x, y)
				}
			}
		})
	}
}
