//go:build linux

package storage

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/hosttree"
)

// Drive sizes, multiples of 512 as sysfs counts them.
const (
	size960G  = 960197124096
	size1T    = 1000204886016
	size2T    = 2000398934016
	size480G  = 480103981056
	size500G  = 500107862016
	size100G  = 107374182400
	size64G   = 61530439680
	size1200G = 1200243695616
)

// The drives of the full tree, as hosttree is told to build them.
var (
	micron7450 = hosttree.NVMe{
		Ctrl: "nvme0", Model: "Micron_7450_MTFDKCC960TFR", Serial: "2231390A1B2C", Firmware: "E2MU200",
		SizeBytes: size960G, PCIAddr: "0000:01:00.0",
		Vendor: 0x1344, Device: 0x51c3, SubVendor: 0x1344, SubDevice: 0x2100,
		WWN: "eui.000000000000000100a0751e1a2b3c",
	}
	crucialP5Plus = hosttree.NVMe{
		Ctrl: "nvme1", Model: "CT1000P5PSSD8", Serial: "22193A4B5C6D", Firmware: "P7CR403",
		SizeBytes: size1T, PCIAddr: "0000:02:00.0",
		Vendor: 0xc0a9, Device: 0x5407, SubVendor: 0xc0a9, SubDevice: 0x5407,
	}
	// Native multipath layout, two namespaces.
	samsungPM9A3 = hosttree.NVMe{
		Ctrl: "nvme2", Model: "SAMSUNG MZQL2960HCJR-00A07", Serial: "S64FNE0R123456", Firmware: "GDC5302Q",
		SizeBytes: size960G, PCIAddr: "0000:03:00.0",
		Vendor: 0x144d, Device: 0xa80a, SubVendor: 0x144d, SubDevice: 0xa813,
		WWN: "eui.36344630527001230025384500000001", Multipath: true,
	}
	// Phison controller, Kingston's subsystem vendor id.
	kingstonPhison = hosttree.NVMe{
		Ctrl: "nvme3", Model: "KINGSTON SFYRD2000G", Serial: "50026B7686A1B2C3", Firmware: "EIFK31.6",
		SizeBytes: size2T, PCIAddr: "0000:04:00.0",
		Vendor: 0x1987, Device: 0x5018, SubVendor: 0x2646, SubDevice: 0x5018,
		WWN: "eui.0026b7686a1b2c30",
	}
	// A kernel without the ata_device id attribute: the model must come
	// whole from udev's ID_MODEL_ENC, not from sysfs's 16-character cut.
	micron5300 = hosttree.SATA{
		Name: "sda", Host: 0, Model: "Micron_5300_MTFDDAK480TDS", Serial: "21032C1A2B3C", Firmware: "D3MU001",
		SizeBytes: size480G, PCIAddr: "0000:00:17.0", WWN: 0x500a07512c1a2b3c, NoIdentify: true,
	}
	crucialMX500 = hosttree.SATA{
		Name: "sdb", Host: 1, Model: "CT500MX500SSD1", Serial: "2041E4C1A2B3", Firmware: "M3CR046",
		SizeBytes: size500G, PCIAddr: "0000:00:17.0", WWN: 0x500a0751e4c1a2b3,
	}
	sandiskStick = hosttree.USB{
		Name: "sdc", Host: 6, Vendor: "SanDisk", Model: "Ultra Fit", Rev: "1.00", Serial: "4C530001230814117293",
		IDVendor: 0x0781, IDProduct: 0x5583, Manufacturer: "SanDisk", Product: "Ultra Fit",
		SizeBytes: size64G, Rotational: true, PCIAddr: "0000:00:14.0",
	}
	virtioDisk = hosttree.Virtio{Name: "vda", PCIAddr: "0000:00:05.0", Serial: "vol-0a1b2c3d", SizeBytes: size100G, Rotational: true}
)

// buildFullTree builds a host with eight drives and the block devices a
// scan must leave out.
func buildFullTree(tb testing.TB, dir string) {
	tb.Helper()
	b := hosttree.New(dir)
	b.AddNVMe(micron7450)
	b.AddPartitions("nvme0n1", 1<<30, 100<<30, 200<<30)
	b.AddNVMe(crucialP5Plus)
	b.AddPartitions("nvme1n1", 500<<30)
	b.AddNVMe(samsungPM9A3)
	b.AddNVMeNamespace("nvme2", 100<<30, "")
	b.AddNVMe(kingstonPhison)
	b.AddSATA(micron5300)
	b.AddSATA(crucialMX500)
	b.AddPartitions("sdb", 1<<30, 400<<30)
	b.AddUSB(sandiskStick)
	b.AddVirtio(virtioDisk)
	b.AddPartitions("vda", 50<<30)
	// Not drives:
	b.AddOptical(hosttree.Optical{Name: "sr0", Host: 2, Vendor: "HL-DT-ST", Model: "DVD+-RW GHB0N", Rev: "A1C0", PCIAddr: "0000:00:17.0"})
	b.AddLoop("loop0", 64<<20, "/var/lib/snapd/snaps/core22_1380.snap")
	b.AddZram("zram0", 8<<30)
	b.AddDM("dm-0", "vg0-root", 400<<30, "sdb2")
	b.AddMD("md0", "raid1", 200<<30, "nvme0n1p3", "nvme1n1p1")
	if err := b.Err(); err != nil {
		tb.Fatalf("build host tree: %v", err)
	}
}

func kernelNVMeWWID(n hosttree.NVMe, nsid int) string {
	return fmt.Sprintf("nvme.%04x-%s-%s-%08x", n.Vendor, hex.EncodeToString([]byte(n.Serial)), hex.EncodeToString([]byte(n.Model)), nsid)
}

func TestScanFullTree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	buildFullTree(t, dir)

	drives, warnings, err := Scan(context.Background(), openRoot(t, dir))
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	want := []Drive{
		{
			Name: "nvme0n1", Namespaces: []string{"nvme0n1"}, Transport: TransportNVMe,
			Model: "Micron_7450_MTFDKCC960TFR", ModelSource: ModelFromNVMe, SerialNumber: "2231390A1B2C", Firmware: "E2MU200",
			SizeBytes: size960G, WWN: "eui.000000000000000100a0751e1a2b3c",
			PCIVendor: 0x1344, PCIDevice: 0x51c3, PCISubsystemVendor: 0x1344, PCISubsystemDevice: 0x2100,
		},
		{
			Name: "nvme1n1", Namespaces: []string{"nvme1n1"}, Transport: TransportNVMe,
			Model: "CT1000P5PSSD8", ModelSource: ModelFromNVMe, SerialNumber: "22193A4B5C6D", Firmware: "P7CR403",
			SizeBytes: size1T, WWN: kernelNVMeWWID(crucialP5Plus, 1),
			PCIVendor: 0xc0a9, PCIDevice: 0x5407, PCISubsystemVendor: 0xc0a9, PCISubsystemDevice: 0x5407,
		},
		{
			Name: "nvme2n1", Namespaces: []string{"nvme2n1", "nvme2n2"}, Transport: TransportNVMe,
			Model: "SAMSUNG MZQL2960HCJR-00A07", ModelSource: ModelFromNVMe, SerialNumber: "S64FNE0R123456", Firmware: "GDC5302Q",
			SizeBytes: size960G + 100<<30, WWN: "eui.36344630527001230025384500000001",
			PCIVendor: 0x144d, PCIDevice: 0xa80a, PCISubsystemVendor: 0x144d, PCISubsystemDevice: 0xa813,
		},
		{
			Name: "nvme3n1", Namespaces: []string{"nvme3n1"}, Transport: TransportNVMe,
			Model: "KINGSTON SFYRD2000G", ModelSource: ModelFromNVMe, SerialNumber: "50026B7686A1B2C3", Firmware: "EIFK31.6",
			SizeBytes: size2T, WWN: "eui.0026b7686a1b2c30",
			PCIVendor: 0x1987, PCIDevice: 0x5018, PCISubsystemVendor: 0x2646, PCISubsystemDevice: 0x5018,
		},
		{
			Name: "sda", Transport: TransportSATA,
			Model: "Micron_5300_MTFDDAK480TDS", ModelSource: ModelFromUdev, SerialNumber: "21032C1A2B3C", Firmware: "D3MU001",
			SizeBytes: size480G, WWN: "naa.500a07512c1a2b3c", VendorRaw: "ATA",
		},
		{
			Name: "sdb", Transport: TransportSATA,
			Model: "CT500MX500SSD1", ModelSource: ModelFromATAIdentify, SerialNumber: "2041E4C1A2B3", Firmware: "M3CR046",
			SizeBytes: size500G, WWN: "naa.500a0751e4c1a2b3", VendorRaw: "ATA",
		},
		{
			Name: "sdc", Transport: TransportUSB,
			Model: "Ultra Fit", ModelSource: ModelFromUdev, SerialNumber: "4C530001230814117293", Firmware: "1.00",
			SizeBytes: size64G, Rotational: true, VendorRaw: "SanDisk",
		},
		{
			Name: "vda", Transport: TransportVirtio, SerialNumber: "vol-0a1b2c3d",
			SizeBytes: size100G, Rotational: true,
		},
	}
	assertDrives(t, drives, want)
	if len(warnings) != 0 {
		t.Errorf("warnings = %+v, want none", warnings)
	}
}

func assertDrives(t *testing.T, got, want []Drive) {
	t.Helper()
	if len(got) != len(want) {
		var names []string
		for _, d := range got {
			names = append(names, d.Name)
		}
		t.Fatalf("Scan found %d drives %q, want %d", len(got), names, len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("drive %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// wantWarning is a warning expected by subject and message fragment.
type wantWarning struct{ subject, contains string }

func assertWarnings(t *testing.T, got []Warning, want []wantWarning) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("warnings = %+v, want %d like %+v", got, len(want), want)
	}
	for i, w := range want {
		if got[i].Subject != w.subject || !strings.Contains(got[i].Message, w.contains) {
			t.Errorf("warning %d = %+v, want subject %q containing %q", i, got[i], w.subject, w.contains)
		}
	}
}

func TestScanScenarios(t *testing.T) {
	t.Parallel()
	// crucialMX500 is on SCSI host 1, ATA port 2.
	idPath := "sys/devices/pci0000:00/0000:00:17.0/ata2/link2/dev2.0/ata_device/dev2.0/id"
	tests := []struct {
		name     string
		build    func(t *testing.T, b *hosttree.Builder)
		want     []Drive
		warnings []wantWarning
	}{
		{
			name: "ATA identify wins over udev cut by sg3_utils",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddSATA(hosttree.SATA{Name: "sda", Model: "INTEL SSDSC2KB960G8", Serial: "PHYF000000001P9DGN", Firmware: "XCV10132",
					SizeBytes: size960G, PCIAddr: "0000:00:17.0", SG3Udev: true})
			},
			want: []Drive{{Name: "sda", Transport: TransportSATA, Model: "INTEL SSDSC2KB960G8", ModelSource: ModelFromATAIdentify,
				SerialNumber: "PHYF000000001P9DGN", Firmware: "XCV10132", SizeBytes: size960G, VendorRaw: "ATA"}},
		},
		{
			name: "sg3_utils cut, model rebuilt exactly from ID_SERIAL",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddSATA(hosttree.SATA{Name: "sda", Model: "INTEL SSDSC2KB960G8", Serial: "PHYF000000001P9DGN", Firmware: "XCV10132",
					SizeBytes: size960G, PCIAddr: "0000:00:17.0", SG3Udev: true, NoIdentify: true})
			},
			want: []Drive{{Name: "sda", Transport: TransportSATA, Model: "INTEL SSDSC2KB960G8", ModelSource: ModelFromUdev,
				SerialNumber: "PHYF000000001P9DGN", Firmware: "0132", SizeBytes: size960G, VendorRaw: "ATA"}},
			warnings: []wantWarning{{"sda", `firmware "0132" is the 4-character SCSI INQUIRY revision`}},
		},
		{
			name: "sg3_utils cut at a space: udev's spelling kept",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddSATA(hosttree.SATA{Name: "sda", Model: "Samsung SSD 860 EVO 500GB", Serial: "S3Z1NB0K123456A", Firmware: "RVT04B6Q",
					SizeBytes: size500G, PCIAddr: "0000:00:17.0", SG3Udev: true, NoIdentify: true})
			},
			want: []Drive{{Name: "sda", Transport: TransportSATA, Model: "Samsung_SSD_860_EVO_500GB", ModelSource: ModelFromUdevSerial,
				SerialNumber: "S3Z1NB0K123456A", Firmware: "4B6Q", SizeBytes: size500G, VendorRaw: "ATA"}},
			warnings: []wantWarning{
				{"sda", `model "Samsung_SSD_860_EVO_500GB" taken from ID_SERIAL`},
				{"sda", `firmware "4B6Q"`},
			},
		},
		{
			name: "no identify, no udev record: sysfs cut, said so",
			build: func(t *testing.T, b *hosttree.Builder) {
				s := micron5300
				s.NoUdev = true
				b.AddSATA(s)
				b.AddSATA(crucialMX500) // keeps the udev database present
			},
			want: []Drive{
				{Name: "sda", Transport: TransportSATA, Model: "Micron_5300_MTFD", ModelSource: ModelFromSysfs,
					Firmware: "001", SizeBytes: size480G, WWN: "naa.500a07512c1a2b3c", VendorRaw: "ATA"},
				{Name: "sdb", Transport: TransportSATA, Model: "CT500MX500SSD1", ModelSource: ModelFromATAIdentify,
					SerialNumber: "2041E4C1A2B3", Firmware: "M3CR046", SizeBytes: size500G, WWN: "naa.500a0751e4c1a2b3", VendorRaw: "ATA"},
			},
			warnings: []wantWarning{
				{"sda", `model "Micron_5300_MTFD" is the 16-character SCSI INQUIRY product and may be cut (udev has no record run/udev/data/b8:0)`},
				{"sda", `firmware "001" is the 4-character SCSI revision`},
			},
		},
		{
			name: "no udev database at all",
			build: func(t *testing.T, b *hosttree.Builder) {
				n := kingstonPhison
				n.NoUdev = true
				b.AddNVMe(n)
				s := crucialMX500
				s.NoUdev = true
				b.AddSATA(s)
			},
			want: []Drive{
				{Name: "nvme3n1", Namespaces: []string{"nvme3n1"}, Transport: TransportNVMe,
					Model: "KINGSTON SFYRD2000G", ModelSource: ModelFromNVMe, SerialNumber: "50026B7686A1B2C3", Firmware: "EIFK31.6",
					SizeBytes: size2T, WWN: "eui.0026b7686a1b2c30",
					PCIVendor: 0x1987, PCIDevice: 0x5018, PCISubsystemVendor: 0x2646, PCISubsystemDevice: 0x5018},
				{Name: "sdb", Transport: TransportSATA, Model: "CT500MX500SSD1", ModelSource: ModelFromATAIdentify,
					SerialNumber: "2041E4C1A2B3", Firmware: "M3CR046", SizeBytes: size500G, WWN: "naa.500a0751e4c1a2b3", VendorRaw: "ATA"},
			},
			warnings: []wantWarning{{"udev", "no udev database"}},
		},
		{
			name: "NVMe eui and nguid attributes are read beside the wwid",
			build: func(t *testing.T, b *hosttree.Builder) {
				n := samsungPM9A3
				n.WWN = "uuid.1b4e28ba-2fa1-11d2-883f-0016d3cca427" // a UUID hides the NGUID from the wwid
				n.NGUID = "36344630527001230025384500000001"
				n.EUI64 = "002538a51b2c3d4e"
				n.Multipath = false
				b.AddNVMe(n)
				m := micron7450
				m.WWN = ""
				m.EUI64 = "00A0751E1A2B3C4D" // upper case in, lower case out; the wwid is derived from it
				b.AddNVMe(m)
			},
			want: []Drive{
				{Name: "nvme0n1", Namespaces: []string{"nvme0n1"}, Transport: TransportNVMe,
					Model: "Micron_7450_MTFDKCC960TFR", ModelSource: ModelFromNVMe, SerialNumber: "2231390A1B2C", Firmware: "E2MU200",
					SizeBytes: size960G, WWN: "eui.00a0751e1a2b3c4d", EUI64: "00a0751e1a2b3c4d",
					PCIVendor: 0x1344, PCIDevice: 0x51c3, PCISubsystemVendor: 0x1344, PCISubsystemDevice: 0x2100},
				{Name: "nvme2n1", Namespaces: []string{"nvme2n1"}, Transport: TransportNVMe,
					Model: "SAMSUNG MZQL2960HCJR-00A07", ModelSource: ModelFromNVMe, SerialNumber: "S64FNE0R123456", Firmware: "GDC5302Q",
					SizeBytes: size960G, WWN: "uuid.1b4e28ba-2fa1-11d2-883f-0016d3cca427",
					EUI64: "002538a51b2c3d4e", NGUID: "36344630527001230025384500000001",
					PCIVendor: 0x144d, PCIDevice: 0xa80a, PCISubsystemVendor: 0x144d, PCISubsystemDevice: 0xa813},
			},
		},
		{
			name: "SATA disk behind a SAS HBA",
			build: func(t *testing.T, b *hosttree.Builder) {
				s := micron5300
				s.NoIdentify = false // there is no libata: nothing to read anyway
				s.OnSASHBA = true
				s.PCIAddr = "0000:02:00.0"
				b.AddSATA(s)
			},
			want: []Drive{{Name: "sda", Transport: TransportSATA, Model: "Micron_5300_MTFDDAK480TDS", ModelSource: ModelFromUdev,
				SerialNumber: "21032C1A2B3C", Firmware: "D3MU001", SizeBytes: size480G, WWN: "naa.500a07512c1a2b3c", VendorRaw: "ATA"}},
		},
		{
			name: "SAS disk: VPD serial, not the WWN-derived ID_SERIAL_SHORT",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddSAS(hosttree.SAS{Name: "sda", Vendor: "SEAGATE", Model: "ST1200MM0009", Rev: "N003", Serial: "WFK0A1B20000E8210C3D",
					SizeBytes: size1200G, Rotational: true, PCIAddr: "0000:02:00.0", WWN: 0x5000c500a1b2c3d4})
			},
			want: []Drive{{Name: "sda", Transport: TransportSAS, Model: "ST1200MM0009", ModelSource: ModelFromUdev,
				SerialNumber: "WFK0A1B20000E8210C3D", Firmware: "N003", SizeBytes: size1200G, Rotational: true,
				WWN: "naa.5000c500a1b2c3d4", VendorRaw: "SEAGATE"}},
		},
		{
			name: "eMMC with boot areas",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddMMC(hosttree.MMC{Name: "mmcblk0", Controller: "fe310000.mmc", Host: "mmc0", Type: "MMC", CardName: "Q2J55L",
					Serial: 0x1a2b3c4d, ManfID: 0x13, OEMID: 0x014e, FwRev: 0x2, SizeBytes: 7818182656, BootPartitions: true})
				b.AddPartitions("mmcblk0", 256<<20, 4<<30)
			},
			want: []Drive{{Name: "mmcblk0", Transport: TransportMMC, Model: "Q2J55L", ModelSource: ModelFromMMC,
				SerialNumber: "0x1a2b3c4d", Firmware: "0x2", SizeBytes: 7818182656, VendorRaw: "0x000013"}},
		},
		{
			name: "virtio disk without udev: serial from sysfs",
			build: func(t *testing.T, b *hosttree.Builder) {
				v := virtioDisk
				v.NoUdev = true
				b.AddVirtio(v)
				b.AddSATA(crucialMX500)
			},
			want: []Drive{
				{Name: "sdb", Transport: TransportSATA, Model: "CT500MX500SSD1", ModelSource: ModelFromATAIdentify,
					SerialNumber: "2041E4C1A2B3", Firmware: "M3CR046", SizeBytes: size500G, WWN: "naa.500a0751e4c1a2b3", VendorRaw: "ATA"},
				{Name: "vda", Transport: TransportVirtio, SerialNumber: "vol-0a1b2c3d", SizeBytes: size100G, Rotational: true},
			},
		},
		{
			name: "corrupt PCI id: PCI ids left zero, said so",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddNVMe(micron7450)
				b.WriteFile("sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/subsystem_vendor", []byte("micron\n"))
			},
			want: []Drive{{Name: "nvme0n1", Namespaces: []string{"nvme0n1"}, Transport: TransportNVMe,
				Model: "Micron_7450_MTFDKCC960TFR", ModelSource: ModelFromNVMe, SerialNumber: "2231390A1B2C", Firmware: "E2MU200",
				SizeBytes: size960G, WWN: "eui.000000000000000100a0751e1a2b3c"}},
			warnings: []wantWarning{{"nvme0n1", `subsystem_vendor: PCI id "micron" is not 0x`}},
		},
		{
			name: "corrupt identify data: udev used, said so",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddSATA(crucialMX500)
				b.WriteFile(idPath, []byte("0040 zzzz\n"))
			},
			want: []Drive{{Name: "sdb", Transport: TransportSATA, Model: "CT500MX500SSD1", ModelSource: ModelFromUdev,
				SerialNumber: "2041E4C1A2B3", Firmware: "M3CR046", SizeBytes: size500G, WWN: "naa.500a0751e4c1a2b3", VendorRaw: "ATA"}},
			warnings: []wantWarning{{"sdb", "line 1, word 1"}},
		},
		{
			name: "corrupt udev record: ignored, said so",
			build: func(t *testing.T, b *hosttree.Builder) {
				s := micron5300
				b.AddSATA(s)
				b.WriteFile("run/udev/data/b8:0", []byte("E:ID_MODEL=x\n\x00garbage\n"))
			},
			want: []Drive{{Name: "sda", Transport: TransportSATA, Model: "Micron_5300_MTFD", ModelSource: ModelFromSysfs,
				Firmware: "001", SizeBytes: size480G, WWN: "naa.500a07512c1a2b3c", VendorRaw: "ATA"}},
			warnings: []wantWarning{
				{"sda", "run/udev/data/b8:0 not used: udev record line 2"},
				{"sda", "may be cut (run/udev/data/b8:0 is corrupt)"},
				{"sda", `firmware "001"`},
			},
		},
		{
			name: "hostile udev escape: ID_MODEL used instead",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddSATA(micron5300)
				rec, err := os.ReadFile(filepath.Join(b.Root(), "run/udev/data/b8:0"))
				if err != nil {
					t.Fatal(err)
				}
				b.WriteFile("run/udev/data/b8:0", []byte(strings.Replace(string(rec), `\x20`, `\q20`, 1)))
			},
			want: []Drive{{Name: "sda", Transport: TransportSATA, Model: "Micron_5300_MTFDDAK480TDS", ModelSource: ModelFromUdevID,
				SerialNumber: "21032C1A2B3C", Firmware: "D3MU001", SizeBytes: size480G, WWN: "naa.500a07512c1a2b3c", VendorRaw: "ATA"}},
			warnings: []wantWarning{{"sda", "ID_MODEL_ENC not used: udev escape at byte 25"}},
		},
		{
			name: "NVMe model attribute missing: udev's copy used",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddNVMe(kingstonPhison)
				if err := os.Remove(filepath.Join(b.Root(), "sys/class/nvme/nvme3/model")); err != nil {
					t.Fatal(err)
				}
			},
			want: []Drive{{Name: "nvme3n1", Namespaces: []string{"nvme3n1"}, Transport: TransportNVMe,
				Model: "KINGSTON SFYRD2000G", ModelSource: ModelFromUdev, SerialNumber: "50026B7686A1B2C3", Firmware: "EIFK31.6",
				SizeBytes: size2T, WWN: "eui.0026b7686a1b2c30",
				PCIVendor: 0x1987, PCIDevice: 0x5018, PCISubsystemVendor: 0x2646, PCISubsystemDevice: 0x5018}},
			warnings: []wantWarning{{"nvme3n1", "NVMe model unreadable"}},
		},
		{
			name: "size attribute missing or not a count: size 0, said so",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddNVMe(kingstonPhison)
				b.AddSATA(crucialMX500)
				if err := os.Remove(filepath.Join(b.Root(), "sys/block/nvme3n1/size")); err != nil {
					t.Fatal(err)
				}
				b.WriteFile("sys/block/sdb/size", []byte("lots\n"))
			},
			want: []Drive{
				{Name: "nvme3n1", Namespaces: []string{"nvme3n1"}, Transport: TransportNVMe,
					Model: "KINGSTON SFYRD2000G", ModelSource: ModelFromNVMe, SerialNumber: "50026B7686A1B2C3", Firmware: "EIFK31.6",
					WWN: "eui.0026b7686a1b2c30", PCIVendor: 0x1987, PCIDevice: 0x5018, PCISubsystemVendor: 0x2646, PCISubsystemDevice: 0x5018},
				{Name: "sdb", Transport: TransportSATA, Model: "CT500MX500SSD1", ModelSource: ModelFromATAIdentify,
					SerialNumber: "2041E4C1A2B3", Firmware: "M3CR046", WWN: "naa.500a0751e4c1a2b3", VendorRaw: "ATA"},
			},
			warnings: []wantWarning{
				{"nvme3n1", "size unknown: open /sys/block/nvme3n1/size: no such file or directory"},
				{"sdb", `size unknown: size attribute "lots" is not a sector count`},
			},
		},
		{
			name: "only devices that are not drives",
			build: func(t *testing.T, b *hosttree.Builder) {
				b.AddLoop("loop0", 1<<20, "")
				b.AddZram("zram0", 1<<30)
				b.AddOptical(hosttree.Optical{Name: "sr0", Vendor: "HL-DT-ST", Model: "DVD+-RW GHB0N", Rev: "A1C0", PCIAddr: "0000:00:17.0"})
			},
			want: []Drive{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			b := hosttree.New(dir)
			tc.build(t, b)
			if err := b.Err(); err != nil {
				t.Fatalf("build host tree: %v", err)
			}
			drives, warnings, err := Scan(context.Background(), openRoot(t, dir))
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			assertDrives(t, drives, tc.want)
			assertWarnings(t, warnings, tc.warnings)
		})
	}
}

func TestScanErrors(t *testing.T) {
	t.Parallel()
	full := t.TempDir()
	buildFullTree(t, full)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		root    *os.Root
		wantErr string
		is      error
	}{
		{name: "no root", ctx: context.Background(), root: nil, wantErr: "no root directory"},
		{name: "no sys/block", ctx: context.Background(), root: openRoot(t, t.TempDir()), wantErr: "list block devices", is: fs.ErrNotExist},
		{name: "canceled", ctx: canceled, root: openRoot(t, full), is: context.Canceled},
	}
	for _, tc := range tests {
		drives, _, err := Scan(tc.ctx, tc.root)
		if err == nil {
			t.Errorf("%s: Scan returned %d drives and no error", tc.name, len(drives))
			continue
		}
		if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.wantErr)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: error %v is not %v", tc.name, err, tc.is)
		}
	}
}

// The scanned tree is the one under root, whatever the working directory.
func TestScanRelativeRoot(t *testing.T) {
	dir := t.TempDir()
	buildFullTree(t, dir)
	t.Chdir(dir)
	drives, _, err := Scan(context.Background(), openRoot(t, "."))
	if err != nil {
		t.Fatalf("Scan(.): %v", err)
	}
	if len(drives) != 8 {
		t.Errorf("Scan(.) found %d drives, want 8", len(drives))
	}
}

// openRoot opens dir as the host root a scan reads.
func openRoot(tb testing.TB, dir string) *os.Root {
	tb.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

func BenchmarkScan(b *testing.B) {
	dir := b.TempDir()
	buildFullTree(b, dir)
	root := openRoot(b, dir)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		drives, _, err := Scan(ctx, root)
		if err != nil || len(drives) != 8 {
			b.Fatalf("Scan: %d drives, %v", len(drives), err)
		}
	}
}

func TestScannerReadLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), []byte(strings.Repeat("x", maxAttrBytes+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ok"), []byte("0x1344\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &scanner{tree: openRoot(t, dir)}
	if _, err := s.read("big"); err == nil || err.Error() != "read /big: larger than 64 KiB" {
		t.Errorf("read of %d bytes: error = %v, want a size error naming /big", maxAttrBytes+1, err)
	}
	if b, err := s.read("ok"); err != nil || string(b) != "0x1344\n" {
		t.Errorf("read(ok) = %q, %v", b, err)
	}
}
