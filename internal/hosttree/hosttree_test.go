package hosttree

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// resolve follows rel's symlinks inside root and returns the result relative
// to root.
func resolve(t *testing.T, root, rel string) string {
	t.Helper()
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	p, err := filepath.EvalSymlinks(filepath.Join(root, rel))
	if err != nil {
		t.Errorf("resolve %s: %v", rel, err)
		return ""
	}
	r, err := filepath.Rel(realRoot, p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(r)
}

func readTree(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Errorf("read %s: %v", rel, err)
		return ""
	}
	return string(b)
}

func TestLayout(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	b := New(root)
	b.MachineID("4f1b2c3d4e5f60718293a4b5c6d7e8f9")
	b.Hostname("db1")
	b.OSRelease("ubuntu", "24.04", `Ubuntu 24.04.1 LTS "Noble"`)
	b.Kernel("6.8.0-45-generic")
	b.DMI([]byte("_SM3_\x00"), []byte{1, 2, 3})
	b.DMIID(map[string]string{"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R650"})
	b.UdevDMI([]string{"E:MEMORY_DEVICE_0_MANUFACTURER=Micron Technology", "E:MEMORY_DEVICE_0_PART_NUMBER=36ASF4G72PZ-3G2E1"})
	b.AddNVMe(NVMe{Ctrl: "nvme0", Model: "Micron_7450_MTFDKCC960TFR", Serial: "2231390A1B2C", Firmware: "E2MU200",
		SizeBytes: 1 << 30, PCIAddr: "0000:01:00.0", Vendor: 0x1344, Device: 0x51c3, SubVendor: 0x1344, SubDevice: 0x2100})
	b.AddPartitions("nvme0n1", 1<<20, 2<<20)
	b.AddNVMe(NVMe{Ctrl: "nvme1", Model: "SAMSUNG MZQL2960HCJR-00A07", Serial: "S64F", Firmware: "GDC5302Q",
		SizeBytes: 1 << 30, PCIAddr: "0000:02:00.0", Vendor: 0x144d, Device: 0xa80a, Multipath: true, WWN: "eui.3634463052700123"})
	b.AddSATA(SATA{Name: "sda", Host: 0, Model: "Micron_5300_MTFDDAK480TDS", Serial: "21032C1A2B3C", Firmware: "D3MU001",
		SizeBytes: 1 << 30, PCIAddr: "0000:00:17.0", WWN: 0x500a07512c1a2b3c})
	b.AddPartitions("sda", 1<<20)
	b.AddUSB(USB{Name: "sdb", Host: 6, Vendor: "SanDisk", Model: "Ultra Fit", Rev: "1.00", Serial: "4C53", IDVendor: 0x0781,
		IDProduct: 0x5583, SizeBytes: 1 << 30, PCIAddr: "0000:00:14.0"})
	b.AddVirtio(Virtio{Name: "vda", PCIAddr: "0000:00:05.0", Serial: "vol1", SizeBytes: 1 << 30})
	b.AddLoop("loop0", 1<<20, "/x.img")
	b.AddDM("dm-0", "vg0-root", 1<<20, "sda1")
	b.AddEEPROM("ee1004", 0, 0x50, []byte{0x23, 0x11, 0x0c})
	b.AddEEPROM("spd5118", 1, 0x51, []byte{0x30, 0x10, 0x12})
	b.AddEEPROM("at24", 0, 0x52, []byte{0x92, 0x10, 0x0b})
	if err := b.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}

	const (
		nvme0  = "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"
		ahci   = "sys/devices/pci0000:00/0000:00:17.0"
		sdaDev = ahci + "/ata1/host0/target0:0:0/0:0:0:0"
	)
	links := []struct{ link, want string }{
		{"sys/block/nvme0n1", nvme0 + "/nvme/nvme0/nvme0n1"},
		{"sys/class/block/nvme0n1p2", nvme0 + "/nvme/nvme0/nvme0n1/nvme0n1p2"},
		{"sys/dev/block/259:0", nvme0 + "/nvme/nvme0/nvme0n1"},
		{"sys/dev/block/259:2", nvme0 + "/nvme/nvme0/nvme0n1/nvme0n1p2"},
		{"sys/block/nvme0n1/device", nvme0 + "/nvme/nvme0"},
		{"sys/class/nvme/nvme0", nvme0 + "/nvme/nvme0"},
		{"sys/class/nvme/nvme0/device", nvme0},
		{"sys/bus/pci/devices/0000:01:00.0", nvme0},
		{"sys/class/nvme-subsystem/nvme-subsys0/nvme0", nvme0 + "/nvme/nvme0"},
		{"sys/block/nvme1n1", "sys/devices/virtual/nvme-subsystem/nvme-subsys1/nvme1n1"},
		{"sys/block/nvme1n1/device", "sys/devices/virtual/nvme-subsystem/nvme-subsys1"},
		{"sys/devices/virtual/nvme-subsystem/nvme-subsys1/nvme1/device", "sys/devices/pci0000:00/0000:00:01.1/0000:02:00.0"},
		{"sys/block/sda", sdaDev + "/block/sda"},
		{"sys/block/sda/device", sdaDev},
		{"sys/dev/block/8:0", sdaDev + "/block/sda"},
		{"sys/dev/block/8:1", sdaDev + "/block/sda/sda1"},
		{"sys/class/ata_device/dev1.0", ahci + "/ata1/link1/dev1.0/ata_device/dev1.0"},
		{"sys/block/sdb", "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb"},
		{"sys/dev/block/8:16", "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb"},
		{"sys/block/vda", "sys/devices/pci0000:00/0000:00:05.0/virtio0/block/vda"},
		{"sys/block/vda/device", "sys/devices/pci0000:00/0000:00:05.0/virtio0"},
		{"sys/block/loop0", "sys/devices/virtual/block/loop0"},
		{"sys/block/dm-0/slaves/sda1", sdaDev + "/block/sda/sda1"},
		{"sys/class/block/sda1/holders/dm-0", "sys/devices/virtual/block/dm-0"},
		{"sys/bus/i2c/drivers/ee1004/0-0050", "sys/devices/pci0000:00/0000:00:1f.4/i2c-0/0-0050"},
		{"sys/bus/i2c/drivers/spd5118/1-0051", "sys/devices/pci0000:00/0000:00:1f.4/i2c-1/1-0051"},
		{"sys/bus/i2c/devices/0-0052", "sys/devices/pci0000:00/0000:00:1f.4/i2c-0/0-0052"},
		{"sys/bus/i2c/devices/0-0052/driver", "sys/bus/i2c/drivers/at24"},
		{"sys/class/dmi/id", "sys/devices/virtual/dmi/id"},
		{"etc/os-release", "usr/lib/os-release"},
	}
	for _, l := range links {
		if got := resolve(t, root, l.link); got != l.want {
			t.Errorf("%s resolves to %s, want %s", l.link, got, l.want)
		}
	}
	// Links are relative, as sysfs's are.
	if text, err := os.Readlink(filepath.Join(root, "sys/block/sda")); err != nil || text != "../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda" {
		t.Errorf("sys/block/sda link text = %q, %v", text, err)
	}
	for link, want := range map[string]string{
		"sys/block/nvme0n1/device":                   "../../nvme0",
		"sys/class/nvme/nvme0/device":                "../../../0000:01:00.0",
		"sys/block/sda/device":                       "../../../0:0:0:0",
		"sys/bus/i2c/drivers/ee1004/0-0050":          "../../../../devices/pci0000:00/0000:00:1f.4/i2c-0/0-0050",
		"sys/class/block/sda1/holders/dm-0":          "../../../../../../../../../../virtual/block/dm-0",
		"sys/devices/virtual/block/dm-0/slaves/sda1": "../../../../pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1",
		"etc/os-release":                             "../usr/lib/os-release",
	} {
		if text, err := os.Readlink(filepath.Join(root, link)); err != nil || text != want {
			t.Errorf("%s link text = %q, %v; want %q", link, text, err, want)
		}
	}

	files := []struct{ path, want string }{
		{"etc/machine-id", "4f1b2c3d4e5f60718293a4b5c6d7e8f9\n"},
		{"etc/hostname", "db1\n"},
		{"proc/sys/kernel/hostname", "db1\n"},
		{"usr/lib/os-release", "PRETTY_NAME=\"Ubuntu 24.04.1 LTS \\\"Noble\\\"\"\nID=\"ubuntu\"\nVERSION_ID=\"24.04\"\n"},
		{"proc/sys/kernel/osrelease", "6.8.0-45-generic\n"},
		{"sys/firmware/dmi/tables/smbios_entry_point", "_SM3_\x00"},
		{"sys/firmware/dmi/tables/DMI", "\x01\x02\x03"},
		{"sys/class/dmi/id/sys_vendor", "Dell Inc.\n"},
		{"sys/class/dmi/id/product_name", "PowerEdge R650\n"},
		{"run/udev/data/+dmi:id", "E:MEMORY_DEVICE_0_MANUFACTURER=Micron Technology\nE:MEMORY_DEVICE_0_PART_NUMBER=36ASF4G72PZ-3G2E1\n"},
		{"sys/block/nvme0n1/dev", "259:0\n"},
		{"sys/block/nvme0n1/size", "2097152\n"},
		{"sys/block/nvme0n1/queue/rotational", "0\n"},
		{"sys/class/block/nvme0n1p1/partition", "1\n"},
		{"sys/class/block/nvme0n1p1/start", "2048\n"},
		{"sys/class/block/nvme0n1p2/start", "4096\n"},
		{"sys/class/block/nvme0n1p2/size", "4096\n"},
		{"sys/class/nvme/nvme0/model", "Micron_7450_MTFDKCC960TFR               \n"},
		{"sys/class/nvme/nvme0/serial", "2231390A1B2C        \n"},
		{"sys/class/nvme/nvme0/firmware_rev", "E2MU200 \n"},
		{"sys/class/nvme/nvme0/device/vendor", "0x1344\n"},
		{"sys/class/nvme/nvme0/device/device", "0x51c3\n"},
		{"sys/class/nvme/nvme0/device/subsystem_vendor", "0x1344\n"},
		{"sys/class/nvme/nvme0/device/subsystem_device", "0x2100\n"},
		{"sys/block/nvme0n1/wwid", "nvme.1344-323233313339304131423243-4d6963726f6e5f373435305f4d5446444b4343393630544652-00000001\n"},
		{"sys/block/nvme1n1/wwid", "eui.3634463052700123\n"},
		{"sys/block/nvme1n1/dev", "259:3\n"},
		{"sys/block/sda/dev", "8:0\n"},
		{"sys/block/sda/device/vendor", "ATA     \n"},
		{"sys/block/sda/device/model", "Micron_5300_MTFD\n"},
		{"sys/block/sda/device/rev", "001 \n"},
		{"sys/block/sda/device/wwid", "naa.500a07512c1a2b3c\n"},
		{"sys/class/block/sda1/dev", "8:1\n"},
		{"sys/block/sdb/device/vendor", "SanDisk \n"},
		{"sys/block/sdb/device/model", "Ultra Fit       \n"},
		{"sys/block/sdb/removable", "1\n"},
		{"sys/bus/usb/devices/2-1/idVendor", "0781\n"},
		{"sys/block/vda/serial", "vol1\n"},
		{"sys/block/vda/dev", "252:0\n"},
		{"sys/block/loop0/dev", "7:0\n"},
		{"sys/block/loop0/loop/backing_file", "/x.img\n"},
		{"sys/block/dm-0/dm/name", "vg0-root\n"},
		{"sys/bus/i2c/devices/0-0050/name", "ee1004\n"},
		{"sys/bus/i2c/devices/0-0050/eeprom", "\x23\x11\x0c"},
		{"sys/bus/i2c/devices/1-0051/name", "spd5118\n"},
		{"sys/bus/i2c/devices/0-0052/name", "spd\n"},
		{"sys/bus/i2c/devices/0-0052/eeprom", "\x92\x10\x0b"},
	}
	for _, f := range files {
		if got := readTree(t, root, f.path); got != f.want {
			t.Errorf("%s = %q, want %q", f.path, got, f.want)
		}
	}

	udev := []struct{ dev, line string }{
		{"b259:0", "E:ID_MODEL=Micron_7450_MTFDKCC960TFR\n"},
		{"b259:0", "E:ID_SERIAL_SHORT=2231390A1B2C\n"},
		{"b259:0", "E:ID_REVISION=E2MU200\n"},
		{"b259:0", "E:ID_PART_TABLE_TYPE=gpt\n"},
		{"b259:1", "E:ID_PART_ENTRY_NUMBER=1\n"},
		{"b259:1", "E:ID_MODEL=Micron_7450_MTFDKCC960TFR\n"},
		{"b259:3", "E:ID_MODEL=SAMSUNG MZQL2960HCJR-00A07\n"}, // NVMe: udev copies the attribute, spaces kept
		{"b259:3", "E:ID_SERIAL=SAMSUNG_MZQL2960HCJR-00A07_S64F\n"},
		{"b8:0", "E:ID_BUS=ata\n"},
		{"b8:0", "E:ID_MODEL=Micron_5300_MTFDDAK480TDS\n"},
		{"b8:0", "E:ID_MODEL_ENC=Micron_5300_MTFDDAK480TDS" + strings.Repeat(`\x20`, 15) + "\n"},
		{"b8:0", "E:ID_SERIAL=Micron_5300_MTFDDAK480TDS_21032C1A2B3C\n"},
		{"b8:0", "E:ID_WWN=0x500a07512c1a2b3c\n"},
		{"b8:0", "E:ID_REVISION=D3MU001\n"},
		{"b8:16", "E:ID_BUS=usb\n"},
		{"b8:16", "E:ID_MODEL_ENC=Ultra\\x20Fit\\x20\\x20\\x20\\x20\\x20\\x20\\x20\n"},
		{"b8:16", "E:ID_SERIAL_SHORT=4C53\n"},
		{"b252:0", "E:ID_SERIAL=vol1\n"},
		{"b253:0", "E:DM_NAME=vg0-root\n"},
	}
	for _, u := range udev {
		if rec := readTree(t, root, "run/udev/data/"+u.dev); !strings.Contains(rec, u.line) {
			t.Errorf("run/udev/data/%s lacks %q:\n%s", u.dev, u.line, rec)
		}
	}
	for _, p := range []string{"run/udev/data/b8:0", "run/udev/data/b259:0"} {
		if rec := readTree(t, root, p); !strings.HasSuffix(rec, "G:systemd\nQ:systemd\nV:1\n") || !strings.HasPrefix(rec, "S:") {
			t.Errorf("%s is not laid out as udevd writes it:\n%s", p, rec)
		}
	}
}

// parseIdentify reads libata's id text back into words.
func parseIdentify(t *testing.T, text string) [256]uint16 {
	t.Helper()
	var w [256]uint16
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 32 {
		t.Fatalf("identify text has %d lines, want 32", len(lines))
	}
	for i, l := range lines {
		f := strings.Split(l, " ")
		if len(f) != 8 {
			t.Fatalf("identify line %d has %d words, want 8: %q", i+1, len(f), l)
		}
		for j, h := range f {
			v, err := strconv.ParseUint(h, 16, 16)
			if err != nil || len(h) != 4 {
				t.Fatalf("identify line %d word %d: %q", i+1, j, h)
			}
			w[i*8+j] = uint16(v)
		}
	}
	return w
}

func ataString(w []uint16) string {
	var b []byte
	for _, v := range w {
		b = append(b, byte(v>>8), byte(v))
	}
	return string(b)
}

func TestATAIdentify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sata    SATA
		rot     uint16
		wwnWord uint16
	}{
		{SATA{Name: "sda", Model: "Micron_5300_MTFDDAK480TDS", Serial: "21032C1A2B3C", Firmware: "D3MU001", SizeBytes: 480103981056, WWN: 0x500a07512c1a2b3c}, 1, 0x4100},
		{SATA{Name: "sda", Model: "WDC WD40EFRX-68N32N0", Serial: "WD-WCC7K0000000", Firmware: "82.00A82", SizeBytes: 4000787030016, Rotational: true, RPM: 5400}, 5400, 0x4000},
		{SATA{Name: "sda", Model: "ST4000DM004-2CV104", Serial: "ZFN0AAAA", Firmware: "0001", SizeBytes: 4000787030016, Rotational: true}, 7200, 0x4000},
	}
	for _, tc := range tests {
		root := t.TempDir()
		b := New(root)
		tc.sata.PCIAddr = "0000:00:17.0"
		b.AddSATA(tc.sata)
		if err := b.Err(); err != nil {
			t.Fatal(err)
		}
		text := readTree(t, root, "sys/class/ata_device/dev1.0/id")
		w := parseIdentify(t, text)
		if got, want := ataString(w[27:47]), pad(tc.sata.Model, 40); got != want {
			t.Errorf("model words = %q, want %q", got, want)
		}
		if got, want := ataString(w[10:20]), pad(tc.sata.Serial, 20); got != want {
			t.Errorf("serial words = %q, want %q", got, want)
		}
		if got, want := ataString(w[23:27]), pad(tc.sata.Firmware, 8); got != want {
			t.Errorf("firmware words = %q, want %q", got, want)
		}
		if w[217] != tc.rot {
			t.Errorf("%s: rotation word = %d, want %d", tc.sata.Model, w[217], tc.rot)
		}
		if w[87] != tc.wwnWord {
			t.Errorf("%s: word 87 = %#04x, want %#04x", tc.sata.Model, w[87], tc.wwnWord)
		}
		if wwn := uint64(w[108])<<48 | uint64(w[109])<<32 | uint64(w[110])<<16 | uint64(w[111]); wwn != tc.sata.WWN {
			t.Errorf("%s: WWN words = %#x, want %#x", tc.sata.Model, wwn, tc.sata.WWN)
		}
		sectors := uint64(w[100]) | uint64(w[101])<<16 | uint64(w[102])<<32 | uint64(w[103])<<48
		if sectors*512 != tc.sata.SizeBytes {
			t.Errorf("%s: LBA48 capacity = %d sectors, want %d bytes", tc.sata.Model, sectors, tc.sata.SizeBytes)
		}
		// Integrity word: signature A5h, and the 512 bytes sum to zero.
		var sum byte
		for _, v := range w {
			sum += byte(v) + byte(v>>8)
		}
		if byte(w[255]) != 0xa5 || sum != 0 {
			t.Errorf("%s: integrity word %#04x, byte sum %#02x; want signature a5 and sum 0", tc.sata.Model, w[255], sum)
		}
	}
}

func TestSG3Udev(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	b := New(root)
	b.AddSATA(SATA{Name: "sda", Model: "INTEL SSDSC2KB960G8", Serial: "PHYF0001", Firmware: "XCV10132",
		SizeBytes: 1 << 30, PCIAddr: "0000:00:17.0", SG3Udev: true, NoIdentify: true})
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	rec := readTree(t, root, "run/udev/data/b8:0")
	for _, line := range []string{
		"E:ID_MODEL=INTEL_SSDSC2KB96\n",
		"E:ID_MODEL_ENC=INTEL\\x20SSDSC2KB96\n",
		"E:ID_REVISION=0132\n",
		"E:ID_SERIAL=INTEL_SSDSC2KB960G8_PHYF0001\n",
		"E:SCSI_IDENT_SERIAL=PHYF0001\n",
	} {
		if !strings.Contains(rec, line) {
			t.Errorf("sg3_utils-style record lacks %q:\n%s", line, rec)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "sys/class/ata_device")); !os.IsNotExist(err) {
		t.Errorf("NoIdentify left an ata_device class entry (stat error %v)", err)
	}
}

func TestEEPROMMode(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	b := New(root)
	img := bytes.Repeat([]byte{0xa5}, 512)
	b.AddEEPROM("ee1004", 3, 0x53, img)
	b.AddEEPROM("ee1004", 3, 0x53, img[:256]) // rewriting a read-only file works
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "sys/bus/i2c/drivers/ee1004/3-0053/eeprom")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o444 || fi.Size() != 256 {
		t.Errorf("eeprom mode %v size %d, want -r--r--r-- and 256", fi.Mode().Perm(), fi.Size())
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Parallel()
	nvme := NVMe{Ctrl: "nvme0", Model: "M", Serial: "S", Firmware: "F", SizeBytes: 1 << 20, PCIAddr: "0000:01:00.0"}
	sata := SATA{Name: "sda", Model: "M", Serial: "S", Firmware: "F", SizeBytes: 1 << 20, PCIAddr: "0000:00:17.0"}
	tests := []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"bad controller name", func(b *Builder) { n := nvme; n.Ctrl = "nvme"; b.AddNVMe(n) }, `controller name "nvme"`},
		{"controller twice", func(b *Builder) { b.AddNVMe(nvme); b.AddNVMe(nvme) }, "nvme0 added twice"},
		{"model too long", func(b *Builder) { n := nvme; n.Model = strings.Repeat("x", 41); b.AddNVMe(n) }, "longer than the 40 bytes"},
		{"newline in serial", func(b *Builder) { s := sata; s.Serial = "a\nb"; b.AddSATA(s) }, "newline or NUL"},
		{"size not sectors", func(b *Builder) { n := nvme; n.SizeBytes = 1000; b.AddNVMe(n) }, "not a multiple of 512"},
		{"bad PCI address", func(b *Builder) { n := nvme; n.PCIAddr = "01:00.0"; b.AddNVMe(n) }, `PCI address "01:00.0"`},
		{"upper-case PCI address", func(b *Builder) { n := nvme; n.PCIAddr = "0000:0A:00.0"; b.AddNVMe(n) }, "PCI address"},
		{"bad sd name", func(b *Builder) { s := sata; s.Name = "hda"; b.AddSATA(s) }, "not sd<letters>"},
		{"SCSI host twice", func(b *Builder) { b.AddSATA(sata); s := sata; s.Name = "sdb"; b.AddSATA(s) }, "SCSI host 0 is already used by sda"},
		{"disk twice", func(b *Builder) { b.AddSATA(sata); s := sata; s.Host = 1; b.AddSATA(s) }, "block device sda added twice"},
		{"partitions of nothing", func(b *Builder) { b.AddPartitions("sdz", 1<<20) }, "no disk sdz"},
		{"namespace of nothing", func(b *Builder) { b.AddNVMeNamespace("nvme9", 1<<20, "") }, "no controller nvme9"},
		{"unknown eeprom driver", func(b *Builder) { b.AddEEPROM("eeprom", 0, 0x50, nil) }, `unknown driver "eeprom"`},
		{"eeprom address", func(b *Builder) { b.AddEEPROM("ee1004", 0, 0x80, nil) }, "outside 0x03..0x77"},
		{"dmi key", func(b *Builder) { b.DMIID(map[string]string{"../x": "y"}) }, `key "../x"`},
		{"escaping WriteFile", func(b *Builder) { b.WriteFile("../outside", []byte("x")) }, "not a relative path inside the tree"},
		{"absolute Symlink", func(b *Builder) { b.Symlink("/etc/x", "etc/y") }, "not a relative path inside the tree"},
		{"LinkOut to inside", func(b *Builder) {
			b.MachineID("x")
			b.LinkOut("etc/machine-id", true, filepath.Join(b.Root(), "x"), nil, nil)
		}, "is not outside the tree"},
		{"LinkOut of nothing", func(b *Builder) { b.LinkOut("etc/none/x", true, "/nonexistent", nil, nil) }, "LinkOut"},
		{"dm over missing", func(b *Builder) { b.AddDM("dm-0", "v", 1<<20, "sdq1") }, "lower device sdq1"},
		{"loop name", func(b *Builder) { b.AddLoop("loopy", 1<<20, "") }, `name "loopy"`},
		{"usb port", func(b *Builder) {
			b.AddUSB(USB{Name: "sdb", Port: "0", SizeBytes: 1 << 20, PCIAddr: "0000:00:14.0"})
		}, `USB port "0"`},
		{"mmc type", func(b *Builder) {
			b.AddMMC(MMC{Name: "mmcblk0", Host: "mmc0", Controller: "x.mmc", Type: "CF"})
		}, `type "CF"`},
		{"empty root", nil, "root directory must not be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var b *Builder
			if tc.build == nil {
				b = New("")
			} else {
				b = New(dir)
				tc.build(b)
			}
			err := b.Err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Err() = %v, want one containing %q", err, tc.want)
			}
			// The first error sticks and later calls write nothing.
			b.Hostname("later")
			if b.Err() != err {
				t.Errorf("Err() changed to %v after a later call", b.Err())
			}
			if _, statErr := os.Stat(filepath.Join(dir, "etc/hostname")); !os.IsNotExist(statErr) {
				t.Errorf("a call after the error wrote etc/hostname (stat: %v)", statErr)
			}
		})
	}
}

// A LinkOut link leads out of the tree from this machine's root and to
// the tree's own copy when resolved as a chrooted process would.
func TestLinkOut(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	b := New(root)
	b.OSRelease("debian", "12", "Debian GNU/Linux 12 (bookworm)")
	b.AddSATA(SATA{Name: "sda", Model: "M", Serial: "S", Firmware: "F", SizeBytes: 1 << 20, PCIAddr: "0000:00:17.0"})
	b.LinkOut("etc/os-release", true, outside, []byte("tree os"), []byte("outside os"))
	b.LinkOut("sys/block/sda/size", false, outside, []byte("tree size"), []byte("outside size"))
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	sizeDir := resolve(t, root, "sys/block/sda")
	for _, tc := range []struct {
		rel, text, inTree string
	}{
		{"etc/os-release", filepath.Join(outside, "etc/os-release"), filepath.Join(strings.TrimPrefix(outside, "/"), "etc/os-release")},
		{sizeDir + "/size", strings.Repeat("../", strings.Count(sizeDir, "/")+1) + "../outside/" + sizeDir + "/size", "outside/" + sizeDir + "/size"},
	} {
		text, err := os.Readlink(filepath.Join(root, tc.rel))
		if err != nil || text != tc.text {
			t.Errorf("%s -> %q (%v), want -> %q", tc.rel, text, err, tc.text)
		}
		if got := readTree(t, root, tc.rel); !strings.HasPrefix(got, "outside ") {
			t.Errorf("%s followed from this machine's root reads %q, want the outside copy", tc.rel, got)
		}
		if got := readTree(t, root, tc.inTree); !strings.HasPrefix(got, "tree ") {
			t.Errorf("%s, where %s leads chrooted, reads %q, want the tree's copy", tc.inTree, tc.rel, got)
		}
	}
}

func TestPathHelpers(t *testing.T) {
	t.Parallel()
	if got, want := pathTag("pci-0000:02:00.0-nvme-1"), "pci-0000_02_00_0-nvme-1"; got != want {
		t.Errorf("pathTag = %q, want %q", got, want)
	}
	for _, tc := range []struct{ addr, want string }{
		{"0000:01:00.0", "0000:00:01.0"},
		{"0000:02:00.0", "0000:00:01.1"},
		{"0000:09:00.0", "0000:00:02.0"},
		{"0000:00:17.0", ""},
	} {
		if got := defaultBridge(tc.addr); got != tc.want {
			t.Errorf("defaultBridge(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name      string
		maj, min  int
		wantValid bool
	}{{"sda", 8, 0, true}, {"sdp", 8, 240, true}, {"sdq", 65, 0, true}, {"sdaa", 65, 160, true}, {"sdfv", 131, 16, true}, {"sdiw", 0, 0, false}} {
		idx, ok := sdIndex(tc.name)
		maj, min, ok2 := sdDevNum(idx)
		if ok && ok2 != tc.wantValid || tc.wantValid && (maj != tc.maj || min != tc.min) {
			t.Errorf("%s: index %d -> %d:%d (%v), want %d:%d (%v)", tc.name, idx, maj, min, ok2, tc.maj, tc.min, tc.wantValid)
		}
	}
}
