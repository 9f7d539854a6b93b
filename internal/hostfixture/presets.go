package hostfixture

import (
	"fmt"

	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
)

// TwoSocketServer is a two-socket database server: Micron RDIMMs on
// socket 1 (one named only by a Dell-style hex string, as PowerEdge BIOSes
// do), Samsung RDIMMs on socket 2, a Kingston RDIMM built on Micron DRAM,
// an empty slot per socket, Micron 7450 and Samsung PM9A3 NVMe drives, a
// Micron 5300 SATA boot SSD, a Kingston DC1500M (Phison controller) and a
// USB stick.
func TwoSocketServer() Host {
	h := Host{
		Hostname: "db-17", MachineID: "5f2a9c1e8b7d4e6fa1b2c3d4e5f60718",
		OSID: "rhel", OSVersion: "9.4", OSName: "Red Hat Enterprise Linux 9.4 (Plow)", Kernel: "5.14.0-427.13.1.el9_4.x86_64",
		System: smbiostest.System{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R750", SerialNumber: "7XK2Q33",
			UUID: [16]byte{0x4c, 0x4c, 0x45, 0x44, 0x00, 0x58, 0x4b, 0x10, 0x80, 0x32, 0xb7, 0xc0, 0x4f, 0x51, 0x33, 0x33}},
		Baseboard:  smbiostest.Baseboard{Manufacturer: "Dell Inc.", Product: "0PJ0J3", SerialNumber: ".7XK2Q33.CNFCP0034200E1."},
		EmptySlots: []string{"A8", "B8"},
	}
	for i := range 4 {
		h.DIMMs = append(h.DIMMs, DIMM{
			Locator: fmt.Sprintf("A%d", i+1), SizeMiB: 65536, Type: TypeDDR4, SpeedMTs: 3200,
			Manufacturer: "002C069D002C", PartNumber: "36ASF8G72PZ-3G2E1", Serial: 0x32297BC1 + uint32(i),
			ModuleMaker: Micron, DRAMMaker: Micron, ModuleType: "RDIMM",
		})
	}
	for i := range 3 {
		h.DIMMs = append(h.DIMMs, DIMM{
			Locator: fmt.Sprintf("B%d", i+1), SizeMiB: 65536, Type: TypeDDR4, SpeedMTs: 3200,
			Manufacturer: "00CE063200CE", ModuleIDWord: smbiosWord(Samsung), PartNumber: "M393A8G40BB4-CWE",
			Serial: 0x0A1B2C30 + uint32(i), ModuleMaker: Samsung, DRAMMaker: Samsung, ModuleType: "RDIMM",
		})
	}
	h.DIMMs = append(h.DIMMs, DIMM{
		Locator: "B4", SizeMiB: 32768, Type: TypeDDR4, SpeedMTs: 3200,
		Manufacturer: "Kingston", PartNumber: "KSM32RD4/32MRR", Serial: 0x5E6F7A8B,
		ModuleMaker: Kingston, DRAMMaker: Micron, ModuleType: "RDIMM",
	})
	h.NVMe = []hosttree.NVMe{
		{Ctrl: "nvme0", Model: "Micron_7450_MTFDKCC3T8TFR", Serial: "22393A1B2C3D", Firmware: "E2MU200",
			SizeBytes: 3840755982336, PCIAddr: "0000:65:00.0", Vendor: 0x1344, Device: 0x51c3, SubVendor: 0x1344, SubDevice: 0x4000},
		{Ctrl: "nvme1", Model: "SAMSUNG MZQL23T8HCLS-00A07", Serial: "S64HNE0T123456", Firmware: "GDC5602Q",
			SizeBytes: 3840755982336, PCIAddr: "0000:66:00.0", Vendor: 0x144d, Device: 0xa80a, SubVendor: 0x144d, SubDevice: 0xa812},
		{Ctrl: "nvme2", Model: "KINGSTON SEDC1500M1920G", Serial: "50026B7282A1B2C3", Firmware: "S67F0103",
			SizeBytes: 1920383410176, PCIAddr: "0000:67:00.0", Vendor: 0x1987, Device: 0x5012, SubVendor: 0x2646, SubDevice: 0x5012},
	}
	h.SATA = []hosttree.SATA{
		{Name: "sda", Host: 0, Model: "Micron_5300_MTFDDAK480TDS", Serial: "2131312AB9C1", Firmware: "D3MU001",
			SizeBytes: 480103981056, PCIAddr: "0000:00:17.0", WWN: 0x500a0751312ab9c1},
	}
	h.USB = []hosttree.USB{
		{Name: "sdb", Host: 6, Vendor: "SanDisk", Model: "Ultra Fit", Rev: "1.00", Serial: "4C530001230512108392",
			IDVendor: 0x0781, IDProduct: 0x5583, Manufacturer: "SanDisk", Product: "Ultra Fit", SizeBytes: 61530439680, PCIAddr: "0000:00:14.0"},
	}
	return h
}

// Workstation is a desktop with Crucial DDR5 UDIMMs (SMBIOS says "Crucial
// Technology" and carries the 3.2 module id) and a Crucial P5 Plus NVMe.
func Workstation() Host {
	h := Host{
		Hostname: "ws-042", MachineID: "0b9d6a4c2e1f4a3b8c7d6e5f4a3b2c1d",
		OSID: "ubuntu", OSVersion: "24.04", OSName: "Ubuntu 24.04.1 LTS", Kernel: "6.8.0-45-generic",
		System: smbiostest.System{Manufacturer: "ASUS", ProductName: "System Product Name", SerialNumber: "System Serial Number",
			UUID: [16]byte{0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09}},
		Baseboard:  smbiostest.Baseboard{Manufacturer: "ASUSTeK COMPUTER INC.", Product: "PRIME B650-PLUS", SerialNumber: "230412345678901"},
		EmptySlots: []string{"DIMM_A1", "DIMM_B1"},
	}
	for i, loc := range []string{"DIMM_A2", "DIMM_B2"} {
		h.DIMMs = append(h.DIMMs, DIMM{
			Locator: loc, SizeMiB: 16384, Type: TypeDDR5, SpeedMTs: 4800,
			Manufacturer: "Crucial Technology", ModuleIDWord: smbiosWord(Crucial), PartNumber: "CT16G48C40U5.M8A1",
			Serial: 0xE8FBFF00 + uint32(i), ModuleMaker: Crucial, DRAMMaker: Micron, ModuleType: "UDIMM",
		})
	}
	h.NVMe = []hosttree.NVMe{
		{Ctrl: "nvme0", Model: "CT2000P5PSSD8", Serial: "22113A4B5C6D", Firmware: "P7CR403",
			SizeBytes: 2000398934016, PCIAddr: "0000:01:00.0", Vendor: 0xc0a9, Device: 0x5407, SubVendor: 0xc0a9, SubDevice: 0x5407},
	}
	h.SATA = []hosttree.SATA{
		{Name: "sda", Host: 0, Model: "CT1000MX500SSD1", Serial: "2219E5A1B2C3", Firmware: "M3CR045",
			SizeBytes: 1000204886016, PCIAddr: "0000:00:17.0"},
	}
	return h
}

// LargeServer is a benchmark host: dimms SK hynix and Micron RDIMMs with
// SPD EEPROMs, and drives NVMe drives.
func LargeServer(dimms, drives int) Host {
	h := TwoSocketServer()
	h.DIMMs, h.NVMe, h.SATA, h.USB, h.EmptySlots = nil, nil, nil, nil, nil
	for i := range dimms {
		d := DIMM{
			Locator: fmt.Sprintf("CPU%d_DIMM_%c%d", i%2+1, 'A'+(i/2)%12, i/24+1), SizeMiB: 65536, Type: TypeDDR5, SpeedMTs: 4800,
			Serial: 0x80000000 + uint32(i), ModuleType: "RDIMM",
		}
		if i%2 == 0 {
			d.Manufacturer, d.PartNumber, d.ModuleMaker, d.DRAMMaker = "SK Hynix", "HMCG94AEBRA109N", SKHynix, SKHynix
		} else {
			d.Manufacturer, d.PartNumber, d.ModuleMaker, d.DRAMMaker = "Micron Technology", "MTC40F2046S1RC48BA1", Micron, Micron
		}
		h.DIMMs = append(h.DIMMs, d)
	}
	for i := range drives {
		h.NVMe = append(h.NVMe, hosttree.NVMe{
			Ctrl: fmt.Sprintf("nvme%d", i), Model: "Micron_7450_MTFDKCC3T8TFR", Serial: fmt.Sprintf("2239%08X", i),
			Firmware: "E2MU200", SizeBytes: 3840755982336, PCIAddr: fmt.Sprintf("0000:%02x:00.0", 0x40+i),
			Vendor: 0x1344, Device: 0x51c3, SubVendor: 0x1344, SubDevice: 0x4000,
		})
	}
	return h
}

// Examples are the hosts written to examples/ (name -> host).
func Examples() map[string]Host {
	return map[string]Host{
		"two-socket-server": TwoSocketServer(),
		"workstation":       Workstation(),
	}
}
