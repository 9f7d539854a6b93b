package scan

import (
	"strings"
	"testing"
)

// A +dmi:id record as systemd-udevd writes it (shortened): two populated
// slots, one empty, plus properties that are not about memory devices.
const udevSample = `I:1234567
E:ID_VENDOR=Dell Inc.
E:MEMORY_ARRAY_LOCATION=System Board Or Motherboard
E:MEMORY_ARRAY_NUM_DEVICES=3
E:MEMORY_DEVICE_0_TOTAL_WIDTH=72
E:MEMORY_DEVICE_0_DATA_WIDTH=64
E:MEMORY_DEVICE_0_SIZE=34359738368
E:MEMORY_DEVICE_0_FORM_FACTOR=DIMM
E:MEMORY_DEVICE_0_LOCATOR=A1
E:MEMORY_DEVICE_0_BANK_LOCATOR=Not Specified
E:MEMORY_DEVICE_0_TYPE=DDR4
E:MEMORY_DEVICE_0_TYPE_DETAIL=Synchronous Registered (Buffered)
E:MEMORY_DEVICE_0_SPEED_MTS=3200
E:MEMORY_DEVICE_0_MANUFACTURER=00AD063200AD
E:MEMORY_DEVICE_0_SERIAL_NUMBER=3A2B1C0D
E:MEMORY_DEVICE_0_ASSET_TAG=01213061
E:MEMORY_DEVICE_0_PART_NUMBER=HMA84GR7CJR4N-XN
E:MEMORY_DEVICE_0_RANK=2
E:MEMORY_DEVICE_0_CONFIGURED_SPEED_MTS=2933
E:MEMORY_DEVICE_0_MODULE_MANUFACTURER_ID=Bank 1, Hex 0xAD
E:MEMORY_DEVICE_0_MODULE_PRODUCT_ID=0x0000
E:MEMORY_DEVICE_1_PRESENT=0
E:MEMORY_DEVICE_1_LOCATOR=A2
E:MEMORY_DEVICE_1_TYPE=Unknown
E:MEMORY_DEVICE_2_SIZE=17179869184
E:MEMORY_DEVICE_2_LOCATOR=B1
E:MEMORY_DEVICE_2_TYPE=DDR4
E:MEMORY_DEVICE_2_MANUFACTURER=Crucial Technology
E:MEMORY_DEVICE_2_PART_NUMBER=CT16G4RFD8266.M18FD
E:MEMORY_DEVICE_2_MODULE_MANUFACTURER_ID=Bank 6, Hex 0x9B
`

func TestParseUdevDMI(t *testing.T) {
	t.Parallel()
	devs, err := parseUdevDMI([]byte(udevSample))
	if err != nil {
		t.Fatalf("parseUdevDMI: %v", err)
	}
	if len(devs) != 3 {
		t.Fatalf("got %d devices, want 3", len(devs))
	}
	a1, a2, b1 := devs[0], devs[1], devs[2]
	if !a1.Installed || a1.SizeBytes != 32<<30 || a1.Locator != "A1" || a1.Type != "DDR4" ||
		a1.SpeedMTs != 3200 || a1.ConfiguredSpeedMTs != 2933 || a1.Rank != 2 ||
		a1.Manufacturer != "00AD063200AD" || a1.PartNumber != "HMA84GR7CJR4N-XN" ||
		a1.SerialNumber != "3A2B1C0D" || a1.DataWidth != 64 || a1.TotalWidth != 72 ||
		a1.FormFactor != "DIMM" || a1.TypeDetailString != "Synchronous Registered (Buffered)" {
		t.Errorf("A1 decoded wrong: %+v", a1)
	}
	// Bank 1 = no continuation code; 0xAD is SK hynix's id byte with parity.
	if !a1.HasModuleIDs || a1.ModuleManufacturerID != 0xAD00 {
		t.Errorf("A1 module manufacturer id = %#04x (has %v), want 0xad00", a1.ModuleManufacturerID, a1.HasModuleIDs)
	}
	if a2.Installed || a2.Locator != "A2" {
		t.Errorf("A2 should be an empty slot: %+v", a2)
	}
	if !b1.Installed || b1.ModuleManufacturerID != 0x9B05 || b1.SizeBytes != 16<<30 {
		t.Errorf("B1 decoded wrong: %+v", b1)
	}
}

func TestParseUdevDMIErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, want string }{
		"no equals":        {"E:MEMORY_DEVICE_0_SIZE\n", "line 1"},
		"bad size":         {"E:MEMORY_DEVICE_0_SIZE=12x\n", "MEMORY_DEVICE_0_SIZE"},
		"bad id":           {"E:X=1\nE:MEMORY_DEVICE_0_MODULE_MANUFACTURER_ID=Samsung\n", "line 2"},
		"huge index":       {"E:MEMORY_DEVICE_99999999_SIZE=1\n", "out of range"},
		"bank out of spec": {"E:MEMORY_DEVICE_0_MODULE_MANUFACTURER_ID=Bank 0, Hex 0x2C\n", "bank must be 1 to 128"},
	} {
		_, err := parseUdevDMI([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tc.want)
		}
	}
}

func TestParseUdevDMIIgnoresOtherRecords(t *testing.T) {
	t.Parallel()
	devs, err := parseUdevDMI([]byte("I:1\nE:ID_VENDOR=x\nG:foo\n"))
	if err != nil || len(devs) != 0 {
		t.Fatalf("got %v, %v; want no devices and no error", devs, err)
	}
}

func FuzzParseUdevDMI(f *testing.F) {
	f.Add([]byte(udevSample))
	f.Add([]byte("E:MEMORY_DEVICE_0_MODULE_MANUFACTURER_ID=Bank 255, Hex 0xFFF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		devs, err := parseUdevDMI(data)
		if err == nil && len(devs) > maxUdevDevices {
			t.Fatalf("%d devices exceed the bound", len(devs))
		}
	})
}
