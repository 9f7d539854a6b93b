// Package hostfixture builds complete synthetic hosts — SMBIOS tables, SPD
// EEPROMs, drives, identity files — laid out as a real Linux host's /sys,
// /run and /etc. Tests, benchmarks and the examples/ snapshots all use it, so
// every one of them runs the agent's real code over the same kind of tree a
// live host has.
package hostfixture

import (
	"fmt"

	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	"github.com/memledger/memledger/internal/spd/spdtest"
)

// SMBIOS type-17 codes used here.
const (
	TypeDDR4 = 0x1A
	TypeDDR5 = 0x22
)

// DIMM is one memory module as both SMBIOS and its SPD EEPROM describe it.
type DIMM struct {
	Locator, BankLocator string
	SizeMiB              uint32
	Type                 uint8 // TypeDDR4 or TypeDDR5
	SpeedMTs             uint16
	// Manufacturer is the SMBIOS manufacturer string as the BIOS writes it
	// (a name, a hex id, "Unknown", ...).
	Manufacturer string
	// ModuleIDWord is the SMBIOS 3.2 Module Manufacturer ID word; 0 = none.
	ModuleIDWord uint16
	PartNumber   string
	Serial       uint32
	// SPD: when ModuleMaker is set, an SPD EEPROM is exposed for the module
	// (ee1004 for DDR4, spd5118 for DDR5) naming these makers.
	ModuleMaker, DRAMMaker jep106.ID
	ModuleType             string // "RDIMM", "UDIMM", "SODIMM"
}

// Host is a whole synthetic machine.
type Host struct {
	Hostname, MachineID     string
	OSID, OSVersion, OSName string
	Kernel                  string
	System                  smbiostest.System
	Baseboard               smbiostest.Baseboard
	DIMMs                   []DIMM
	EmptySlots              []string
	NVMe                    []hosttree.NVMe
	SATA                    []hosttree.SATA
	Virtio                  []hosttree.Virtio
	USB                     []hosttree.USB
}

// Build lays the host out under dir.
func Build(dir string, h Host) error {
	b := hosttree.New(dir)
	b.MachineID(h.MachineID)
	b.Hostname(h.Hostname)
	b.OSRelease(h.OSID, h.OSVersion, h.OSName)
	b.Kernel(h.Kernel)

	table := smbiostest.NewBuilder()
	table.AddSystem(h.System)
	table.AddBaseboard(h.Baseboard)
	for i, d := range h.DIMMs {
		size, ext := uint16(d.SizeMiB), uint32(0)
		if d.SizeMiB >= 0x7FFF {
			size, ext = 0x7FFF, d.SizeMiB
		}
		table.AddMemoryDevice(smbiostest.MemoryDevice{
			Length: 0x5C, TotalWidth: 72, DataWidth: 64, Size: size, ExtendedSize: ext,
			FormFactor: 0x09, Locator: d.Locator, BankLocator: d.BankLocator, Type: d.Type,
			TypeDetail: 0x2080, Speed: d.SpeedMTs, ConfiguredSpeed: d.SpeedMTs,
			Manufacturer: d.Manufacturer, SerialNumber: fmt.Sprintf("%08X", d.Serial),
			PartNumber: d.PartNumber, Attributes: 2, ModuleManufacturerID: d.ModuleIDWord,
		})
		if d.ModuleMaker != (jep106.ID{}) {
			img, driver, err := spdImage(d)
			if err != nil {
				return fmt.Errorf("hostfixture: SPD of %s: %w", d.Locator, err)
			}
			b.AddEEPROM(driver, i/8, 0x50+i%8, img)
		}
	}
	for _, loc := range h.EmptySlots {
		table.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x5C, FormFactor: 0x09, Locator: loc, Type: 0x02})
	}
	table.AddEndOfTable()
	raw := table.Bytes()
	b.DMI(smbiostest.EntryPoint30(3, 3, 0, uint32(len(raw))), raw)
	b.DMIID(map[string]string{
		"sys_vendor": h.System.Manufacturer, "product_name": h.System.ProductName,
		"board_vendor": h.Baseboard.Manufacturer, "board_name": h.Baseboard.Product,
	})
	for _, n := range h.NVMe {
		b.AddNVMe(n)
	}
	for _, s := range h.SATA {
		b.AddSATA(s)
	}
	for _, v := range h.Virtio {
		b.AddVirtio(v)
	}
	for _, u := range h.USB {
		b.AddUSB(u)
	}
	if err := b.Err(); err != nil {
		return fmt.Errorf("hostfixture: %w", err)
	}
	return nil
}

func spdImage(d DIMM) ([]byte, string, error) {
	var (
		sb     *spdtest.Builder
		driver string
	)
	switch d.Type {
	case TypeDDR5:
		sb, driver = spdtest.NewDDR5(), "spd5118"
	default:
		sb, driver = spdtest.NewDDR4(), "ee1004"
	}
	sb.ModuleMaker, sb.DRAMMaker = d.ModuleMaker, d.DRAMMaker
	sb.PartNumber, sb.Serial = d.PartNumber, d.Serial
	sb.Date = spdtest.Date{Year: 2022, Week: 14}
	if d.ModuleType != "" {
		sb.ModuleType = d.ModuleType
	}
	img, err := sb.Build()
	return img, driver, err
}

// JEP106 ids of the makers the fixtures use.
var (
	Micron   = jep106.ID{Bank: 1, Code: 0x2C}
	Samsung  = jep106.ID{Bank: 1, Code: 0x4E}
	SKHynix  = jep106.ID{Bank: 1, Code: 0x2D}
	Kingston = jep106.ID{Bank: 2, Code: 0x18}
	Crucial  = jep106.ID{Bank: 6, Code: 0x1B}
)

// smbiosWord is the SMBIOS 3.2 Module Manufacturer ID word of id.
func smbiosWord(id jep106.ID) uint16 {
	return uint16(jep106.WithParity(id.Code))<<8 | uint16(jep106.WithParity(id.Bank-1))
}
