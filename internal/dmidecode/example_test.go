package dmidecode_test

import (
	"fmt"
	"strings"

	"github.com/memledger/memledger/internal/dmidecode"
)

func ExampleParse() {
	const out = `# dmidecode 3.3
SMBIOS 3.2.0 present.

Handle 0x0016, DMI type 17, 92 bytes
Memory Device
	Size: 32 GB
	Locator: DIMM 0
	Type: DDR5
	Type Detail: Synchronous Unbuffered (Unregistered)
	Speed: 4800 MT/s
	Manufacturer: Crucial Technology
	Part Number: CT32G48C40U5.C16A1
	Module Manufacturer ID: Bank 6, Hex 0x9B

Handle 0x0017, DMI type 17, 92 bytes
Memory Device
	Size: No Module Installed
	Locator: DIMM 1
	Type: Unknown
	Type Detail: None

`
	d, err := dmidecode.Parse(strings.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("SMBIOS", d.SMBIOSVersion)
	for _, md := range d.MemoryDevices {
		bank, code, _ := md.ModuleManufacturerBank()
		fmt.Printf("%s: installed=%v %d GiB %s %d MT/s %q %q module id bank %d code %#02x\n",
			md.Locator, md.Installed, md.SizeBytes>>30, md.Type, md.SpeedMTs, md.Manufacturer, md.PartNumber, bank, code)
	}
	fmt.Println(d.Warnings)
	// Output:
	// SMBIOS 3.2.0
	// DIMM 0: installed=true 32 GiB DDR5 4800 MT/s "Crucial Technology" "CT32G48C40U5.C16A1" module id bank 6 code 0x9b
	// DIMM 1: installed=false 0 GiB Unknown 0 MT/s "" "" module id bank 0 code 0x00
	// []
}
