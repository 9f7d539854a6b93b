package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	"github.com/memledger/memledger/internal/spd/spdtest"
	"github.com/memledger/memledger/internal/testcorpus"
)

// kitchenSink builds a host with every kind of device the scan knows and
// the block devices it must leave out: NVMe with native multipath and two
// namespaces, NVMe with partitions, SATA on libata with sg3_utils' udev
// rules, SATA and SAS behind a SAS HBA, USB, virtio, eMMC with boot areas,
// an optical drive, loop, zram, device-mapper and md; an ee1004 SPD, an
// at24 SPD cut to 256 bytes, and an at24 EEPROM that is not an SPD.
func kitchenSink(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	b := hosttree.New(dir)
	b.MachineID("c0ffee00c0ffee00c0ffee00c0ffee00")
	b.Hostname("edge-3")
	b.OSRelease("debian", "12", "Debian GNU/Linux 12 (bookworm)")
	b.Kernel("6.1.0-18-amd64")

	table := smbiostest.NewBuilder()
	table.AddSystem(smbiostest.System{Manufacturer: "Supermicro", ProductName: "SYS-1029U-TRT", SerialNumber: "S123456X9",
		UUID: [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}})
	table.AddBaseboard(smbiostest.Baseboard{Manufacturer: "Supermicro", Product: "X11DPU", SerialNumber: "WM19AS001234"})
	table.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x5C, TotalWidth: 72, DataWidth: 64, Size: 8192, FormFactor: 0x09,
		Locator: "P1-DIMMA1", Type: hostfixture.TypeDDR4, Speed: 2666, Manufacturer: "Micron", SerialNumber: "1A2B3C4D", PartNumber: "9ASF1G72PZ-2G6E1"})
	table.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x5C, TotalWidth: 72, DataWidth: 64, Size: 8192, FormFactor: 0x09,
		Locator: "P1-DIMMB1", Type: hostfixture.TypeDDR4, Speed: 2666, Manufacturer: "Kingston", SerialNumber: "0B2B0D87", PartNumber: "KSM26RS8/8HDI"})
	table.AddEndOfTable()
	raw := table.Bytes()
	b.DMI(smbiostest.EntryPoint30(3, 2, 0, uint32(len(raw))), raw)
	b.DMIID(map[string]string{
		"sys_vendor": "Supermicro", "product_name": "SYS-1029U-TRT", "product_serial": "S123456X9",
		"product_uuid": "33221100-5544-7766-8899-aabbccddeeff", "board_vendor": "Supermicro", "board_name": "X11DPU",
		"board_serial": "WM19AS001234", "chassis_serial": "C819UAH12A34567",
	})
	micron := spdtest.NewDDR4()
	micron.ModuleMaker, micron.DRAMMaker, micron.PartNumber, micron.Serial, micron.ModuleType = hostfixture.Micron, hostfixture.Micron, "9ASF1G72PZ-2G6E1", 0x1A2B3C4D, "RDIMM"
	b.AddEEPROM("ee1004", 0, 0x50, micron.Bytes())
	kingston := spdtest.NewDDR4()
	kingston.ModuleMaker, kingston.DRAMMaker, kingston.PartNumber, kingston.Serial, kingston.ModuleType = hostfixture.Kingston, hostfixture.Micron, "KSM26RS8/8HDI", 0x0B2B0D87, "RDIMM"
	b.AddEEPROM("at24", 0, 0x51, kingston.Bytes()[:256]) // at24 shows only the first 256 bytes of a DDR4 SPD
	b.AddEEPROM("at24", 0, 0x57, []byte("BOARD-FRU-EEPROM-NOT-AN-SPD"))
	b.WriteFile("sys/devices/pci0000:00/0000:00:1f.4/i2c-0/0-0057/name", []byte("24c02\n"))

	b.AddNVMe(hosttree.NVMe{Ctrl: "nvme0", Model: "SAMSUNG MZQL2960HCJR-00A07", Serial: "S64FNE0R123456", Firmware: "GDC5302Q",
		SizeBytes: 960197124096, PCIAddr: "0000:03:00.0", Vendor: 0x144d, Device: 0xa80a, SubVendor: 0x144d, SubDevice: 0xa813,
		WWN: "eui.36344630527001230025384500000001", NGUID: "36344630527001230025384500000001", EUI64: "002538a51b2c3d4e", Multipath: true})
	b.AddNVMeNamespace("nvme0", 100<<30, "")
	b.AddNVMe(hosttree.NVMe{Ctrl: "nvme1", Model: "Micron_7450_MTFDKBG960TFR", Serial: "2245393A1B2C", Firmware: "E2MU200",
		SizeBytes: 960197124096, PCIAddr: "0000:04:00.0", Vendor: 0x1344, Device: 0x51c3, SubVendor: 0x1344, SubDevice: 0x2100})
	b.AddPartitions("nvme1n1", 1<<30, 100<<30)
	b.AddSATA(hosttree.SATA{Name: "sda", Host: 0, Model: "Micron_5300_MTFDDAK480TDS", Serial: "21032C1A2B3C", Firmware: "D3MU001",
		SizeBytes: 480103981056, PCIAddr: "0000:00:17.0", WWN: 0x500a07512c1a2b3c, SG3Udev: true})
	b.AddPartitions("sda", 1<<30, 400<<30)
	b.AddSATA(hosttree.SATA{Name: "sdb", Host: 3, Model: "ST4000NM0035-1V4107", Serial: "ZC1A2B3C", Firmware: "TNC3",
		SizeBytes: 4000787030016, Rotational: true, PCIAddr: "0000:05:00.0", OnSASHBA: true})
	b.AddSAS(hosttree.SAS{Name: "sdc", Host: 4, Vendor: "SEAGATE", Model: "ST1200MM0009", Rev: "N003", Serial: "WFK0A1B20000E8210C3D",
		SizeBytes: 1200243695616, Rotational: true, PCIAddr: "0000:05:00.0", WWN: 0x5000c500a1b2c3d4})
	b.AddUSB(hosttree.USB{Name: "sdd", Host: 6, Vendor: "SanDisk", Model: "Ultra Fit", Rev: "1.00", Serial: "4C530001230814117293",
		IDVendor: 0x0781, IDProduct: 0x5583, Manufacturer: "SanDisk", Product: "Ultra Fit", SizeBytes: 61530439680, Rotational: true, PCIAddr: "0000:00:14.0"})
	b.AddVirtio(hosttree.Virtio{Name: "vda", PCIAddr: "0000:00:06.0", Serial: "vol-0a1b2c3d", SizeBytes: 100 << 30})
	b.AddMMC(hosttree.MMC{Name: "mmcblk0", Controller: "fe310000.mmc", Host: "mmc0", Type: "MMC", CardName: "Q2J55L",
		Serial: 0x1a2b3c4d, ManfID: 0x13, OEMID: 0x014e, FwRev: 0x2, SizeBytes: 7818182656, BootPartitions: true})
	b.AddOptical(hosttree.Optical{Name: "sr0", Host: 2, Vendor: "HL-DT-ST", Model: "DVD+-RW GHB0N", Rev: "A1C0", PCIAddr: "0000:00:17.0"})
	b.AddLoop("loop0", 64<<20, "/var/lib/snapd/snaps/core22_1380.snap")
	b.AddZram("zram0", 8<<30)
	b.AddDM("dm-0", "vg0-root", 400<<30, "sda2")
	b.AddMD("md0", "raid1", 100<<30, "nvme1n1p2", "sda1")
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// udevOnlyHost is a host whose SMBIOS tables are not exported (the scan
// falls back to udev's dmi_memory_id record and sys/class/dmi/id).
func udevOnlyHost(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	b := hosttree.New(dir)
	b.MachineID("0123456789abcdef0123456789abcdef")
	b.Hostname("vm-7")
	b.OSRelease("rocky", "9.3", "Rocky Linux 9.3 (Blue Onyx)")
	b.UdevDMI([]string{
		"I:1000000",
		"E:MEMORY_DEVICE_0_PRESENT=1", "E:MEMORY_DEVICE_0_SIZE=17179869184", "E:MEMORY_DEVICE_0_LOCATOR=DIMM 0",
		"E:MEMORY_DEVICE_0_TYPE=DDR4", "E:MEMORY_DEVICE_0_MANUFACTURER=Micron Technology",
		"E:MEMORY_DEVICE_0_SERIAL_NUMBER=2E41A9C7", "E:MEMORY_DEVICE_0_PART_NUMBER=18ASF2G72PDZ-2G6E1",
		"E:MEMORY_DEVICE_1_PRESENT=0", "E:MEMORY_DEVICE_1_LOCATOR=DIMM 1",
	})
	b.DMIID(map[string]string{
		"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)", "product_serial": "QM00001-VM7",
		"product_uuid": "8a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "board_vendor": "QEMU", "board_name": "Q35",
	})
	b.AddVirtio(hosttree.Virtio{Name: "vda", PCIAddr: "0000:00:04.0", Serial: "vol-77aa", SizeBytes: 40 << 30})
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestScanOfSnapshotEqualsScanOfTree is the capture set's completeness
// proof: for each host, the inventory scanned from the unpacked snapshot is
// the inventory scanned from the tree itself.
func TestScanOfSnapshotEqualsScanOfTree(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		root    func(t testing.TB) string
		modules int
		drives  int
	}{
		{"two-socket server", func(t testing.TB) string { return buildHost(t, hostfixture.TwoSocketServer()) }, 8, 5},
		{"workstation", func(t testing.TB) string { return buildHost(t, hostfixture.Workstation()) }, 2, 2},
		{"large server 24x8", func(t testing.TB) string { return buildHost(t, hostfixture.LargeServer(24, 8)) }, 24, 8},
		// The at24 SPD shows 256 of 512 bytes, without serial or part
		// number to match its SMBIOS record: it is a module of its own.
		{"every device kind", kitchenSink, 3, 8},
		{"no SMBIOS tables: udev fallback", udevOnlyHost, 1, 1},
		{"examples/workstation (committed tree)", func(t testing.TB) string {
			return filepath.Join(testcorpus.RepoRoot(t), "examples", "workstation")
		}, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tc.root(t)
			want := scanRoot(t, root)
			if len(want.GetMemoryModules()) != tc.modules || len(want.GetStorageDevices()) != tc.drives {
				t.Fatalf("fixture scans as %d modules and %d drives, want %d and %d: the test host is not what it should be",
					len(want.GetMemoryModules()), len(want.GetStorageDevices()), tc.modules, tc.drives)
			}
			archive, st := writeSnapshot(t, Options{Root: root})
			got := scanRoot(t, extractSnapshot(t, archive))
			sameInventory(t, want, got)
			if st.Files == 0 || st.Symlinks == 0 || st.Dirs == 0 || st.Bytes == 0 {
				t.Errorf("stats %+v: want files, links, directories and bytes counted", st)
			}
			for _, s := range st.Skipped {
				t.Errorf("unexpected skip on a readable tree: %s: %s", s.Path, s.Reason)
			}
		})
	}
}

// TestArchiveHoldsOnlyTheCaptureSet plants files a scan never reads next
// to the ones it does and checks none of them reaches the archive, and
// that every entry is a clean relative path under the expected roots.
func TestArchiveHoldsOnlyTheCaptureSet(t *testing.T) {
	t.Parallel()
	root := kitchenSink(t)
	pciNVMe, err := filepath.EvalSymlinks(filepath.Join(root, "sys/bus/pci/devices/0000:04:00.0"))
	if err != nil {
		t.Fatal(err)
	}
	sda, err := filepath.EvalSymlinks(filepath.Join(root, "sys/block/sda"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "DECOY-7f3a9"
	decoys := []string{
		"home/alice/.ssh/id_ed25519", "root/.bash_history", "etc/shadow", "var/log/syslog",
		"sys/kernel/debug/tracing/trace", "sys/kernel/security/lsm", "proc/kcore-like",
		"run/udev/data/c10:200", "run/udev/data/n3", "run/secret/token",
		"sys/devices/virtual/dmi/id/modalias",
		mustRel(t, root, filepath.Join(pciNVMe, "config")), mustRel(t, root, filepath.Join(pciNVMe, "resource0")),
		mustRel(t, root, filepath.Join(pciNVMe, "rom")), mustRel(t, root, filepath.Join(pciNVMe, "power", "control")),
		mustRel(t, root, filepath.Join(sda, "trace", "enable")), mustRel(t, root, filepath.Join(sda, "stat")),
		mustRel(t, root, filepath.Join(sda, "power", "runtime_status")),
	}
	for _, d := range decoys {
		p := filepath.Join(root, d)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(marker+" "+d+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// init's environment: only container= may be kept.
	if err := os.MkdirAll(filepath.Join(root, "proc/1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc/1/environ"), []byte("HOME=/\x00container=lxc\x00API_TOKEN="+marker+"\x00"), 0o644); err != nil {
		t.Fatal(err)
	}

	archive, _ := writeSnapshot(t, Options{Root: root})
	entries := readArchive(t, archive)
	if entries[0].name != ManifestName {
		t.Errorf("first entry %q, want %s", entries[0].name, ManifestName)
	}
	allowed := []string{ManifestName, "etc/", "proc/", "run/udev/data/", "sys/", "usr/lib/os-release", "var/lib/dbus/"}
	neverFile := map[string]bool{"config": true, "rom": true, "resource0": true, "control": true, "enable": true, "stat": true, "runtime_status": true, "modalias": true, "uevent": true}
	got := treeOf(entries)
	for _, e := range entries {
		name := strings.TrimSuffix(e.name, "/")
		if path.IsAbs(e.name) || path.Clean(name) != name || strings.Contains(name, "..") {
			t.Errorf("entry %q is not a clean relative path", e.name)
		}
		ok := false
		for _, a := range allowed {
			ok = ok || name == strings.TrimSuffix(a, "/") || strings.HasPrefix(name, a) || strings.HasPrefix(a, name+"/")
		}
		if !ok {
			t.Errorf("entry %q is outside the capture set", e.name)
		}
		if e.typ == '0' && neverFile[path.Base(name)] {
			t.Errorf("entry %q: the scan never reads %s files", e.name, path.Base(name))
		}
		if bytes.Contains(e.data, []byte(marker)) || bytes.Contains(e.data, []byte("BOARD-FRU")) {
			t.Errorf("entry %q holds decoy content %q", e.name, e.data)
		}
		if e.typ == '2' {
			if err := checkLink(got, name, e.link); err != nil {
				t.Errorf("link %s -> %s: %v", name, e.link, err)
			}
		}
	}
	env := got["proc/1/environ"]
	if env == nil || string(env.data) != "container=lxc\x00" {
		t.Errorf("proc/1/environ = %+v, want only container=lxc", env)
	}
	for _, want := range []string{"sys/block/sda", "sys/class/dmi/id", "etc/os-release", "sys/bus/i2c/drivers/ee1004/0-0050", "sys/bus/i2c/devices/0-0051"} {
		if e := got[want]; e == nil || e.kind != kindLink {
			t.Errorf("%s: want it stored as a symbolic link, got %+v", want, e)
		}
	}
	if e := got["sys/devices/pci0000:00/0000:00:1f.4/i2c-0/0-0057/name"]; e == nil {
		t.Errorf("the name of the at24 device must be captured: it is what tells it is no SPD")
	}
	if e := got["sys/devices/pci0000:00/0000:00:1f.4/i2c-0/0-0057/eeprom"]; e != nil {
		t.Errorf("the eeprom of an at24 device not named spd was captured")
	}
	// The scan reads an NVMe namespace's eui and nguid (the maker's IEEE
	// company id): a snapshot must carry them.
	for _, attr := range []string{"eui", "nguid"} {
		p := "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1/" + attr
		if e := got[p]; e == nil || e.kind == kindLink {
			t.Errorf("%s not captured as a file: %+v", p, e)
		}
	}
}

func mustRel(t testing.TB, root, p string) string {
	t.Helper()
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(rootReal, p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// treeOf rebuilds a tree from archive entries, for link checks.
func treeOf(entries []archiveEntry) tree {
	t := tree{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.name, "/")
		switch e.typ {
		case '5':
			t[name] = &entry{kind: kindDir}
		case '2':
			t[name] = &entry{kind: kindLink, target: e.link}
		default:
			t[name] = &entry{kind: kindFile, data: e.data}
		}
	}
	return t
}

func TestManifest(t *testing.T) {
	t.Parallel()
	root := buildHost(t, hostfixture.Workstation())
	archive, st := writeSnapshot(t, Options{Root: root})
	var m manifest
	if err := json.Unmarshal(readArchive(t, archive)[0].data, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Format != FormatName || m.MemledgerVersion == "" || m.Created != "2025-03-14T09:26:53Z" || m.Root != root {
		t.Errorf("manifest header %+v", m)
	}
	if m.Files != st.Files || m.Symlinks != st.Symlinks || m.Dirs != st.Dirs || m.Bytes != st.Bytes || m.ScrubbedSerials || m.Scrub != "" {
		t.Errorf("manifest counts %+v, stats %+v", m, st)
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	t.Parallel()
	root := buildHost(t, hostfixture.TwoSocketServer())
	a, _ := writeSnapshot(t, Options{Root: root})
	b, _ := writeSnapshot(t, Options{Root: root})
	if !bytes.Equal(a, b) {
		t.Error("two snapshots of the same tree at the same time differ")
	}
	key := []byte("test key")
	c, _ := writeSnapshot(t, Options{Root: root, ScrubSerials: true, ScrubKey: key})
	d, _ := writeSnapshot(t, Options{Root: root, ScrubSerials: true, ScrubKey: key})
	if !bytes.Equal(c, d) {
		t.Error("two scrubbed snapshots with the same key differ")
	}
	e, _ := writeSnapshot(t, Options{Root: root, ScrubSerials: true})
	f, _ := writeSnapshot(t, Options{Root: root, ScrubSerials: true})
	if bytes.Equal(e, f) {
		t.Error("scrubbed snapshots without a key are equal: the key must be drawn per snapshot")
	}
}

func TestWriteHonoursContext(t *testing.T) {
	t.Parallel()
	root := buildHost(t, hostfixture.LargeServer(24, 8))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if _, err := Write(ctx, &buf, Options{Root: root}); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Write with a cancelled context wrote %d bytes", buf.Len())
	}
}

func TestWriteRootErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ root, want string }{
		{filepath.Join(t.TempDir(), "missing"), "no such file"},
		{file, "not a directory"},
	} {
		var buf bytes.Buffer
		_, err := Write(context.Background(), &buf, Options{Root: tc.root})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(root %s) = %v, want an error containing %q", tc.root, err, tc.want)
		}
	}
}

// TestAwkwardFiles covers what a live host can hold where the scan looks:
// files that must not be read (FIFO), files too large to capture whole,
// absolute links and links that climb above the root.
func TestAwkwardFiles(t *testing.T) {
	t.Parallel()
	root := buildHost(t, hostfixture.Workstation())
	// etc/machine-id as an absolute link (as on images that keep it in /run).
	if err := os.MkdirAll(filepath.Join(root, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(root, "etc/machine-id"), filepath.Join(root, "run/machine-id")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run/machine-id", filepath.Join(root, "etc/machine-id")); err != nil {
		t.Fatal(err)
	}
	// etc/hostname climbing far above the root: a chrooted reader lands on
	// hostname-file at the root.
	if err := os.WriteFile(filepath.Join(root, "hostname-file"), []byte("ws-042\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "etc/hostname")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../hostname-file", filepath.Join(root, "etc/hostname")); err != nil {
		t.Fatal(err)
	}
	// A FIFO where a file is expected: opening it for reading would block.
	if err := syscall.Mkfifo(filepath.Join(root, "proc/modules"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file over the bound.
	if err := os.WriteFile(filepath.Join(root, "proc/cpuinfo"), bytes.Repeat([]byte("x"), MaxFileBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}

	archive, st := writeSnapshot(t, Options{Root: root})
	got := treeOf(readArchive(t, archive))
	reasons := map[string]string{}
	for _, s := range st.Skipped {
		reasons[s.Path] = s.Reason
	}
	for p, want := range map[string]string{
		"proc/modules":   "not a regular file",
		"proc/cpuinfo":   "larger than",
		"etc/machine-id": "leads out of the root",
		"etc/hostname":   "leads out of the root",
	} {
		if !strings.Contains(reasons[p], want) {
			t.Errorf("skip reason for %s = %q, want it to say %q (all: %v)", p, reasons[p], want, reasons)
		}
	}
	if got["proc/modules"] != nil || got["proc/cpuinfo"] != nil {
		t.Error("a FIFO or an oversized file reached the archive")
	}
	if e := got["etc/machine-id"]; e == nil || e.kind != kindLink || e.target != "../run/machine-id" {
		t.Errorf("etc/machine-id = %+v, want a link rewritten to ../run/machine-id", e)
	}
	if e := got["etc/hostname"]; e == nil || e.kind != kindLink || e.target != "../hostname-file" {
		t.Errorf("etc/hostname = %+v, want a link rewritten to ../hostname-file", e)
	}
	dir := extractSnapshot(t, archive)
	inv := scanRoot(t, dir)
	if inv.GetHost().GetHostId() != "0b9d6a4c2e1f4a3b8c7d6e5f4a3b2c1d" || inv.GetHost().GetHostname() != "ws-042" {
		t.Errorf("host %v: identity files behind rewritten links not captured", inv.GetHost())
	}
	var m manifest
	if err := json.Unmarshal(readArchive(t, archive)[0].data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != len(st.Skipped) {
		t.Errorf("manifest lists %d skips, stats %d", len(m.Skipped), len(st.Skipped))
	}
}

func TestStatsString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		st   Stats
		want string
	}{
		{Stats{Files: 3, Dirs: 2, Symlinks: 1, Bytes: 512}, "3 files (512 bytes), 1 symlinks, 2 directories"},
		{Stats{Files: 300, Bytes: 3 << 20, Masked: 4, Skipped: []Skip{{"a", "b"}}},
			"300 files (3.0 MiB), 0 symlinks, 0 directories; 4 serial numbers/UUIDs masked; 1 left out or changed (see MANIFEST.json)"},
	} {
		if got := tc.st.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
