package scan

import (
	"cmp"
	"strings"

	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/smbios"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// nonRAMTypes are type-17 records that describe firmware storage rather than
// system memory (HP workstations list their "SYSTEM ROM" this way). They are
// neither slots nor modules.
var nonRAMTypes = map[string]bool{
	"ROM": true, "Flash": true, "EEPROM": true, "FEPROM": true, "EPROM": true,
}

// memoryModules turns SMBIOS memory device records into inventory modules,
// identifying their makers. It returns the installed modules, the number of
// memory slots (populated or not), and warnings about doubtful makers.
func memoryModules(devices []smbios.MemoryDevice, source string) ([]*memledgerv1.MemoryModule, uint32, []*memledgerv1.Warning) {
	var (
		modules  []*memledgerv1.MemoryModule
		slots    uint32
		warnings []*memledgerv1.Warning
	)
	for i := range devices {
		d := &devices[i]
		if nonRAMTypes[d.Type] {
			continue
		}
		slots++
		if !d.Installed {
			continue
		}
		m, w := memoryModule(d, source)
		modules = append(modules, m)
		warnings = append(warnings, w...)
	}
	return modules, slots, warnings
}

func memoryModule(d *smbios.MemoryDevice, source string) (*memledgerv1.MemoryModule, []*memledgerv1.Warning) {
	part, decoded := maker.CleanPartNumber(unset(d.PartNumber))
	m := &memledgerv1.MemoryModule{
		Locator:            unset(d.Locator),
		BankLocator:        unset(d.BankLocator),
		SizeBytes:          d.SizeBytes,
		MemoryType:         d.Type,
		FormFactor:         d.FormFactor,
		SpeedMts:           d.SpeedMTs,
		ConfiguredSpeedMts: d.ConfiguredSpeedMTs,
		ManufacturerRaw:    cmp.Or(d.ManufacturerRaw, d.Manufacturer),
		PartNumber:         part,
		SerialNumber:       unset(d.SerialNumber),
		AssetTag:           unset(d.AssetTag),
		Source:             source,
		TypeDetail:         d.TypeDetailString,
		Rank:               uint32(d.Rank),
		DataWidthBits:      uint32(d.DataWidth),
		TotalWidthBits:     uint32(d.TotalWidth),
	}
	if decoded {
		m.PartNumberRaw = d.PartNumber
	}
	if d.ModuleManufacturerID != 0 {
		if id, err := jep106.FromSMBIOSWord(d.ModuleManufacturerID); err == nil {
			m.ModuleManufacturerId = id.String()
		}
	}
	res := maker.IdentifyModule(maker.ModuleFacts{
		ManufacturerRaw:      d.Manufacturer,
		ModuleManufacturerID: d.ModuleManufacturerID,
		PartNumber:           d.PartNumber,
	})
	m.ModuleVendor = inventory.VendorProto(res.Module)
	m.DramVendor = inventory.VendorProto(res.DRAM)
	if m.DramVendor != nil && m.DramVendor.Jep106 != "" {
		m.DramManufacturerId = m.DramVendor.Jep106
	}
	var warnings []*memledgerv1.Warning
	for _, w := range res.Warnings {
		warnings = append(warnings, warning("vendor", w, inventory.Slot(m)))
	}
	return m, warnings
}

// unset maps dmidecode's rendering of an absent string ("Not Specified") to
// empty, so dmidecode text and binary tables describe a module alike. The
// manufacturer is the exception: it is kept exactly as given.
func unset(s string) string {
	s = strings.TrimSpace(s)
	if s == "Not Specified" {
		return ""
	}
	return s
}
