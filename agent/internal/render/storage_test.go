package render

import (
	"bytes"
	"strings"
	"testing"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// TestStorageKindAndLabels: the storage table shows each device's kind,
// never shows a controller or an OEM label as the maker, and CycloneDX
// carries the kind and the label as properties.
func TestStorageKindAndLabels(t *testing.T) {
	micron := &memledgerv1.Vendor{Id: "micron", Name: "Micron Technology", Parent: "micron", Evidence: []string{"wwn-oui"}}
	inv := &memledgerv1.Inventory{StorageDevices: []*memledgerv1.StorageDevice{
		{Name: "sda", Transport: "sata", Model: "MK000480GWUGF", Kind: memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL, Vendor: micron,
			OemVendor: &memledgerv1.Vendor{Id: "hpe", Name: "Hewlett Packard Enterprise", Parent: "hpe"}},
		{Name: "nvme0n1", Transport: "nvme", Model: "PHISON ESR01TBTLCG-EAC-4", Kind: memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL,
			ControllerVendor: &memledgerv1.Vendor{Id: "phison", Name: "Phison Electronics", Parent: "phison"}},
		{Name: "sdb", Transport: "sas", Model: "LOGICAL VOLUME", VendorRaw: "HP", Kind: memledgerv1.DriveKind_DRIVE_KIND_RAID_VOLUME},
		{Name: "sdc", Transport: "sata", Model: "OLD AGENT DISK"},
	}}
	var b bytes.Buffer
	if err := Table(&b, inv); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	for name, want := range map[string][]string{
		"sda":     {"drive", "Micron Technology, Hewlett Packard Enterprise label"},
		"nvme0n1": {"drive", "unknown, controller Phison Electronics"},
		"sdb":     {"raid-volume", "unknown [HP]"},
		"sdc":     {" - "},
	} {
		for _, w := range want {
			if !strings.Contains(lines[name], w) {
				t.Errorf("%s: line %q lacks %q", name, lines[name], w)
			}
		}
	}

	b.Reset()
	if err := CycloneDX(&b, inv); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"memledger:drive_kind"`, `"physical"`, `"raid_volume"`, `"memledger:oem_vendor`} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("CycloneDX lacks %s", w)
		}
	}
}
