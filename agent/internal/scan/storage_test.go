//go:build linux

package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/maker"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// TestScanDriveIdentifiers runs the scan over a host tree holding what the
// drive identification issue is about: an HPE-labelled Micron SATA SSD
// whose only maker evidence is Micron's OUI in its WWN, a Samsung NVMe
// whose NGUID is read beside a UUID wwid, and a Smart Array logical volume.
func TestScanDriveIdentifiers(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	b := hosttree.New(root)
	b.AddSATA(hosttree.SATA{Name: "sda", Model: "MK000480GWUGF", Serial: "19232A1B2C3D", Firmware: "HPG3",
		SizeBytes: 480103981056, PCIAddr: "0000:00:17.0", WWN: 0x500a07512c1a2b3c})
	b.AddNVMe(hosttree.NVMe{Ctrl: "nvme0", Model: "Dell Ent NVMe PM1735a MU 1.6TB", Serial: "S6UVNE0R900001", Firmware: "2.1.0",
		SizeBytes: 1600321314816, PCIAddr: "0000:01:00.0", Vendor: 0x144d, Device: 0xa824, SubVendor: 0x1028, SubDevice: 0x2106,
		WWN: "uuid.1b4e28ba-2fa1-11d2-883f-0016d3cca427", NGUID: "36344630527001230025384500000001"})
	b.AddSAS(hosttree.SAS{Name: "sdb", Host: 3, Vendor: "HP", Model: "LOGICAL VOLUME", Rev: "7.00", Serial: "PDNMF0ARH9Z1A2",
		SizeBytes: 1200243695616, PCIAddr: "0000:5c:00.0", WWN: 0x600508b1001c2d3e})
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	inv, err := Scan(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	drives := map[string]*memledgerv1.StorageDevice{}
	for _, d := range inv.GetStorageDevices() {
		drives[d.GetName()] = d
	}
	for name, want := range map[string]struct {
		kind        memledgerv1.DriveKind
		vendor, oem string
		evidence    string // one kind of evidence the maker must have
	}{
		"sda":     {memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL, "micron", "hpe", "wwn-oui"},
		"nvme0n1": {memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL, "samsung", "dell", "wwn-oui"}, // PCI vendor 144d and the NGUID agree
		"sdb":     {memledgerv1.DriveKind_DRIVE_KIND_RAID_VOLUME, "", "", ""},
	} {
		d := drives[name]
		if d == nil {
			t.Errorf("%s missing; have %v", name, keys(drives))
			continue
		}
		if d.GetKind() != want.kind || d.GetVendor().GetId() != want.vendor || d.GetOemVendor().GetId() != want.oem ||
			(want.evidence != "" && !contains(d.GetVendor().GetEvidence(), want.evidence)) {
			t.Errorf("%s: kind %v vendor %v oem %v; want %v %q (evidence %q) oem %q",
				name, d.GetKind(), d.GetVendor(), d.GetOemVendor(), want.kind, want.vendor, want.evidence, want.oem)
		}
	}
	var raidWarning bool
	for _, w := range inv.GetWarnings() {
		raidWarning = raidWarning || (w.GetSubject() == "sdb" && strings.Contains(w.GetMessage(), "not visible to the scan"))
	}
	if !raidWarning {
		t.Errorf("no warning that the drives behind the RAID controller are not visible: %v", inv.GetWarnings())
	}
}

func TestDriveKindMatchesProto(t *testing.T) {
	for k, want := range map[maker.DriveKind]memledgerv1.DriveKind{
		maker.DriveKindUnspecified: memledgerv1.DriveKind_DRIVE_KIND_UNSPECIFIED,
		maker.DriveKindPhysical:    memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL,
		maker.DriveKindRAIDVolume:  memledgerv1.DriveKind_DRIVE_KIND_RAID_VOLUME,
		maker.DriveKindVirtual:     memledgerv1.DriveKind_DRIVE_KIND_VIRTUAL,
	} {
		if got := driveKindProto(k); got != want {
			t.Errorf("driveKindProto(%d) = %v, want %v", k, got, want)
		}
	}
}

func TestDriveMedia(t *testing.T) {
	for _, tc := range []struct {
		d    storage.Drive
		want string
	}{
		{storage.Drive{Transport: storage.TransportNVMe}, "ssd"},
		{storage.Drive{Transport: storage.TransportSAS, Rotational: true}, "hdd"},
		{storage.Drive{Transport: storage.TransportSATA}, "ssd"},
		{storage.Drive{Transport: storage.TransportUSB}, ""},
		{storage.Drive{Transport: storage.TransportVirtio}, ""},
	} {
		if got := driveMedia(&tc.d); got != tc.want {
			t.Errorf("driveMedia(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
