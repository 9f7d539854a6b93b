package smbios

import (
	"errors"
	"fmt"
	"strings"
)

// Type 17 (Memory Device, DSP0134 7.18) field offsets and the structure
// lengths from which dmidecode reads each group of fields.
const (
	md21MinLen          = 0x15 // SMBIOS 2.1: everything up to Type Detail
	mdSpeedMinLen       = 0x17 // 2.3: Speed
	mdStringsMinLen     = 0x1B // 2.3: Manufacturer, Serial, Asset Tag, Part Number
	mdRankMinLen        = 0x1C // 2.6: Attributes (rank)
	mdExtSizeMinLen     = 0x20 // 2.7: Extended Size
	mdConfSpeedMinLen   = 0x22 // 2.7: Configured Memory Speed
	mdModuleIDsMinLen   = 0x34 // 3.2: module and subsystem controller ids
	mdExtSpeedMinLen    = 0x5C // 3.3: Extended Speed, Extended Configured Speed
	mdOffArrayHandle    = 0x04
	mdOffTotalWidth     = 0x08
	mdOffDataWidth      = 0x0A
	mdOffSize           = 0x0C
	mdOffFormFactor     = 0x0E
	mdOffLocator        = 0x10
	mdOffBankLocator    = 0x11
	mdOffType           = 0x12
	mdOffTypeDetail     = 0x13
	mdOffSpeed          = 0x15
	mdOffManufacturer   = 0x17
	mdOffSerial         = 0x18
	mdOffAssetTag       = 0x19
	mdOffPartNumber     = 0x1A
	mdOffAttributes     = 0x1B
	mdOffExtendedSize   = 0x1C
	mdOffConfSpeed      = 0x20
	mdOffModuleMfrID    = 0x2C
	mdOffModuleProdID   = 0x2E
	mdOffSubsysMfrID    = 0x30
	mdOffSubsysProdID   = 0x32
	mdOffExtSpeed       = 0x54
	mdOffExtConfSpeed   = 0x58
	sizeNotInstalled    = 0x0000
	sizeUnknown         = 0xFFFF
	sizeUseExtended     = 0x7FFF
	sizeKBGranularity   = 0x8000
	speedUseExtended    = 0xFFFF
	widthUnknown        = 0xFFFF
	extendedValueMask   = 0x7FFFFFFF // bit 31 of Extended Size/Speed is reserved
	mebibyte            = 1 << 20
	kibibyte            = 1 << 10
	attributesRankMask  = 0x0F
	moduleIDUnknownWord = 0
)

// MemoryDevice is a decoded type-17 Memory Device structure: one memory
// slot, populated or not. Fields the structure is too short to carry are
// zero/empty. Strings are rendered as Structure.String does: "" for "no
// string" (dmidecode: "Not Specified"), BadIndex for a broken reference,
// trailing spaces trimmed.
//
// The dmidecode-text parser elsewhere in memledger fills the same struct
// from dmidecode output, so names and units here follow dmidecode.
type MemoryDevice struct {
	Handle      uint16
	ArrayHandle uint16 // handle of the type-16 Physical Memory Array holding this slot

	Locator, BankLocator string

	// SizeBytes is the module size; 0 when no module is installed or the
	// size is unknown. Encodings: size word 0 = no module installed;
	// 0xFFFF = unknown; 0x7FFF with a structure long enough for it
	// (SMBIOS 2.7+) = use the Extended Size dword (MiB, bit 31 reserved);
	// bit 15 set = the other 15 bits count KiB, else MiB.
	SizeBytes uint64
	// Installed is false only for the "No Module Installed" encoding (0).
	Installed bool
	// SizeUnknown is true for the 0xFFFF encoding and for the zero sizes
	// no real module has (extended size 0, 0 KiB); those also yield an
	// ErrBadValue error.
	SizeUnknown bool

	TypeCode uint8
	Type     string // MemoryTypeName(TypeCode)

	FormFactorCode uint8
	FormFactor     string // FormFactorName(FormFactorCode)

	TypeDetail       uint16
	TypeDetailString string // TypeDetailString(TypeDetail)

	// SpeedMTs and ConfiguredSpeedMTs are in MT/s, 0 = unknown (or absent).
	// A word value of 0xFFFF defers to the SMBIOS 3.3 Extended Speed
	// dwords (bit 31 reserved) when the structure carries them.
	SpeedMTs, ConfiguredSpeedMTs uint32

	Manufacturer, SerialNumber, AssetTag, PartNumber string
	// ManufacturerRaw is the Manufacturer string exactly as stored in the
	// table (no trimming, no replacement of unprintable bytes): evidence
	// for people who must see what the firmware really wrote.
	ManufacturerRaw string

	Rank uint8 // 0 = unknown

	// DataWidth and TotalWidth in bits; 0 = unknown (0xFFFF in the table).
	DataWidth, TotalWidth uint16

	// SMBIOS 3.2 ids, 0 = unknown. A manufacturer id holds the JEDEC
	// JEP106 code as dmidecode reads it: the low byte is the number of
	// continuation codes (0x7F bank bits, with odd parity in bit 7) and
	// the high byte the manufacturer code; dmidecode prints
	// "Bank (low&0x7F)+1, Hex 0x(high)".
	ModuleManufacturerID, ModuleProductID                           uint16
	SubsystemControllerManufacturerID, SubsystemControllerProductID uint16
	// HasModuleIDs is true when the structure is long enough (0x34 bytes,
	// SMBIOS 3.2) to carry the four ids above, even if they are 0.
	HasModuleIDs bool
}

// ModuleManufacturerBank returns the JEP106 bank (1-based) and the
// manufacturer code (parity bit included) of ModuleManufacturerID, as
// dmidecode prints them, and ok=false when the id is unknown.
func (m *MemoryDevice) ModuleManufacturerBank() (bank int, code uint8, ok bool) {
	if !m.HasModuleIDs || m.ModuleManufacturerID == moduleIDUnknownWord {
		return 0, 0, false
	}
	return int(m.ModuleManufacturerID&0x7F) + 1, uint8(m.ModuleManufacturerID >> 8), true
}

// MemoryDevices decodes every type-17 structure of the table, in table
// order, whether a module is installed or not. Problems are reported per
// record in the second result and do not stop the others: a record too
// short to be a memory device (length below 0x15) is left out, a record
// with a bad string reference is kept with BadIndex in that field.
func (t *Table) MemoryDevices() ([]MemoryDevice, []error) {
	var out []MemoryDevice
	var errs []error
	for i := range t.Structures {
		s := &t.Structures[i]
		if s.Type != TypeMemoryDevice {
			continue
		}
		md, err := DecodeMemoryDevice(s)
		if err != nil {
			errs = append(errs, err)
			if errors.Is(err, ErrMalformed) {
				continue
			}
		}
		out = append(out, md)
	}
	return out, errs
}

// DecodeMemoryDevice decodes one type-17 structure. An error wrapping
// ErrMalformed means the structure is not a usable memory device and the
// returned value is empty; any other error (a bad string index, an
// impossible extended size) comes with a decoded record.
func DecodeMemoryDevice(s *Structure) (MemoryDevice, error) {
	where := func() string {
		return fmt.Sprintf("smbios: memory device at offset %d (handle 0x%04X, length 0x%02X)", s.Offset, s.Handle, s.Length)
	}
	if s.Type != TypeMemoryDevice {
		return MemoryDevice{}, fmt.Errorf("%s: %w: structure type is %d, not %d", where(), ErrMalformed, s.Type, TypeMemoryDevice)
	}
	if len(s.Data) < md21MinLen {
		return MemoryDevice{}, fmt.Errorf("%s: %w: length %d is below the 0x%02X bytes of an SMBIOS 2.1 memory device", where(), ErrMalformed, len(s.Data), md21MinLen)
	}
	// Problems that still leave a usable record are collected and
	// reported together, each naming its field and offset.
	var badIndex, badValue []string
	str := func(off int, field string) string {
		if !s.Has(off, 1) {
			return ""
		}
		v, ok := s.lookupString(s.Data[off])
		if !ok {
			badIndex = append(badIndex, fmt.Sprintf("%s (offset 0x%02X) refers to string %d of %d", field, off, s.Data[off], len(s.Strings)))
		}
		return v
	}
	n := len(s.Data)
	md := MemoryDevice{
		Handle:         s.Handle,
		ArrayHandle:    s.Word(mdOffArrayHandle),
		TotalWidth:     width(s.Word(mdOffTotalWidth)),
		DataWidth:      width(s.Word(mdOffDataWidth)),
		FormFactorCode: s.Byte(mdOffFormFactor),
		Locator:        str(mdOffLocator, "Locator"),
		BankLocator:    str(mdOffBankLocator, "Bank Locator"),
		TypeCode:       s.Byte(mdOffType),
		TypeDetail:     s.Word(mdOffTypeDetail),
	}
	md.FormFactor = FormFactorName(md.FormFactorCode)
	md.Type = MemoryTypeName(md.TypeCode)
	md.TypeDetailString = TypeDetailString(md.TypeDetail)

	// Size (offset 0x0C); the extended dword is only consulted when the
	// structure carries it, as in dmidecode (a short 0x7FFF reads 32767 MiB).
	switch size := s.Word(mdOffSize); {
	case size == sizeNotInstalled:
	case size == sizeUnknown:
		md.Installed, md.SizeUnknown = true, true
	case size == sizeUseExtended && n >= mdExtSizeMinLen:
		md.Installed = true
		ext := s.DWord(mdOffExtendedSize) & extendedValueMask
		md.SizeBytes = uint64(ext) * mebibyte
		if ext == 0 {
			md.SizeUnknown = true
			badValue = append(badValue, fmt.Sprintf("Size (offset 0x%02X) is 0x7FFF but Extended Size (offset 0x%02X) is 0", mdOffSize, mdOffExtendedSize))
		}
	case size&sizeKBGranularity != 0:
		md.Installed = true
		md.SizeBytes = uint64(size&^sizeKBGranularity) * kibibyte
		if md.SizeBytes == 0 {
			md.SizeUnknown = true
			badValue = append(badValue, fmt.Sprintf("Size (offset 0x%02X) is 0x8000, zero KiB", mdOffSize))
		}
	default:
		md.Installed = true
		md.SizeBytes = uint64(size) * mebibyte
	}

	if n >= mdSpeedMinLen {
		md.SpeedMTs = speed(s.Word(mdOffSpeed), s, mdOffExtSpeed)
	}
	if n >= mdStringsMinLen {
		md.Manufacturer = str(mdOffManufacturer, "Manufacturer")
		if i := int(s.Byte(mdOffManufacturer)); i >= 1 && i <= len(s.Strings) {
			md.ManufacturerRaw = s.Strings[i-1]
		}
		md.SerialNumber = str(mdOffSerial, "Serial Number")
		md.AssetTag = str(mdOffAssetTag, "Asset Tag")
		md.PartNumber = str(mdOffPartNumber, "Part Number")
	}
	if n >= mdRankMinLen {
		md.Rank = s.Byte(mdOffAttributes) & attributesRankMask
	}
	if n >= mdConfSpeedMinLen {
		md.ConfiguredSpeedMTs = speed(s.Word(mdOffConfSpeed), s, mdOffExtConfSpeed)
	}
	if n >= mdModuleIDsMinLen {
		md.HasModuleIDs = true
		md.ModuleManufacturerID = s.Word(mdOffModuleMfrID)
		md.ModuleProductID = s.Word(mdOffModuleProdID)
		md.SubsystemControllerManufacturerID = s.Word(mdOffSubsysMfrID)
		md.SubsystemControllerProductID = s.Word(mdOffSubsysProdID)
	}
	idx, val := strings.Join(badIndex, "; "), strings.Join(badValue, "; ")
	switch {
	case idx != "" && val != "":
		return md, fmt.Errorf("%s: %w: %s; %w: %s", where(), ErrBadStringIndex, idx, ErrBadValue, val)
	case idx != "":
		return md, fmt.Errorf("%s: %w: %s", where(), ErrBadStringIndex, idx)
	case val != "":
		return md, fmt.Errorf("%s: %w: %s", where(), ErrBadValue, val)
	}
	return md, nil
}

// speed decodes a Speed/Configured Speed word, falling back to the SMBIOS
// 3.3 extended dword at extOff when the word is 0xFFFF and the structure is
// long enough; 0 means unknown.
func speed(word uint16, s *Structure, extOff int) uint32 {
	if word != speedUseExtended {
		return uint32(word)
	}
	if len(s.Data) < mdExtSpeedMinLen {
		return 0
	}
	return s.DWord(extOff) & extendedValueMask
}

func width(w uint16) uint16 {
	if w == widthUnknown {
		return 0
	}
	return w
}
