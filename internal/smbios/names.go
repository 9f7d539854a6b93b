package smbios

import "strings"

// OutOfSpec is the name of an enumeration value that the specification
// does not define, as dmidecode prints it.
const OutOfSpec = "<OUT OF SPEC>"

// memoryTypes are dmidecode's names for the Memory Device Type field
// (DSP0134 7.18.2), indexed by code-1 (dmidecode.c dmi_memory_device_type).
var memoryTypes = [...]string{
	"Other", // 0x01
	"Unknown",
	"DRAM",
	"EDRAM",
	"VRAM",
	"SRAM",
	"RAM",
	"ROM",
	"Flash",
	"EEPROM",
	"FEPROM",
	"EPROM",
	"CDRAM",
	"3DRAM",
	"SDRAM",
	"SGRAM",
	"RDRAM",
	"DDR",
	"DDR2",
	"DDR2 FB-DIMM", // 0x14
	"Reserved",
	"Reserved",
	"Reserved",
	"DDR3", // 0x18
	"FBD2",
	"DDR4",
	"LPDDR",
	"LPDDR2",
	"LPDDR3",
	"LPDDR4",
	"Logical non-volatile device",
	"HBM",
	"HBM2",
	"DDR5", // 0x22
	"LPDDR5",
	"HBM3", // 0x24
}

// MemoryTypeName returns dmidecode's name for a Memory Device Type code
// ("DDR4", "LPDDR5", ...), or OutOfSpec for codes the specification does
// not define (0 and above 0x24).
func MemoryTypeName(code uint8) string {
	if code >= 1 && int(code) <= len(memoryTypes) {
		return memoryTypes[code-1]
	}
	return OutOfSpec
}

// formFactors are dmidecode's names for the Memory Device Form Factor
// field (DSP0134 7.18.1), indexed by code-1.
var formFactors = [...]string{
	"Other", // 0x01
	"Unknown",
	"SIMM",
	"SIP",
	"Chip",
	"DIP",
	"ZIP",
	"Proprietary Card",
	"DIMM",
	"TSOP",
	"Row Of Chips",
	"RIMM",
	"SODIMM",
	"SRIMM",
	"FB-DIMM",
	"Die", // 0x10
}

// FormFactorName returns dmidecode's name for a Memory Device Form Factor
// code ("DIMM", "SODIMM", "Row Of Chips", ...), or OutOfSpec.
func FormFactorName(code uint8) string {
	if code >= 1 && int(code) <= len(formFactors) {
		return formFactors[code-1]
	}
	return OutOfSpec
}

// typeDetails are dmidecode's names for the Type Detail bits 1..15
// (DSP0134 7.18.3), indexed by bit-1. Bit 0 is reserved.
var typeDetails = [...]string{
	"Other", // bit 1
	"Unknown",
	"Fast-paged",
	"Static Column",
	"Pseudo-static",
	"RAMBus",
	"Synchronous",
	"CMOS",
	"EDO",
	"Window DRAM",
	"Cache DRAM",
	"Non-Volatile",
	"Registered (Buffered)",
	"Unbuffered (Unregistered)",
	"LRDIMM", // bit 15
}

// TypeDetailString renders the Type Detail bit field as dmidecode does:
// the names of the set bits in bit order joined by single spaces
// ("Synchronous Registered (Buffered)"), or "None" when no bit other than
// the reserved bit 0 is set.
func TypeDetailString(code uint16) string {
	if code&0xFFFE == 0 {
		return "None"
	}
	var sb strings.Builder
	for bit := 1; bit <= 15; bit++ {
		if code&(1<<bit) == 0 {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(typeDetails[bit-1])
	}
	return sb.String()
}
