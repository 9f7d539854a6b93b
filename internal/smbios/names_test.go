package smbios_test

import (
	"testing"

	"github.com/memledger/memledger/internal/smbios"
)

// The expected names are dmidecode's (dmidecode.c, dmi_memory_device_type,
// dmi_memory_device_form_factor, dmi_memory_device_type_detail), which the
// text parser elsewhere in memledger sees verbatim.
func TestMemoryTypeName(t *testing.T) {
	tests := []struct {
		code uint8
		want string
	}{
		{0x00, smbios.OutOfSpec},
		{0x01, "Other"},
		{0x02, "Unknown"},
		{0x03, "DRAM"},
		{0x07, "RAM"},
		{0x09, "Flash"},
		{0x0F, "SDRAM"},
		{0x12, "DDR"},
		{0x13, "DDR2"},
		{0x14, "DDR2 FB-DIMM"},
		{0x15, "Reserved"},
		{0x17, "Reserved"},
		{0x18, "DDR3"},
		{0x19, "FBD2"},
		{0x1A, "DDR4"},
		{0x1B, "LPDDR"},
		{0x1C, "LPDDR2"},
		{0x1D, "LPDDR3"},
		{0x1E, "LPDDR4"},
		{0x1F, "Logical non-volatile device"},
		{0x20, "HBM"},
		{0x21, "HBM2"},
		{0x22, "DDR5"},
		{0x23, "LPDDR5"},
		{0x24, "HBM3"},
		{0x25, smbios.OutOfSpec},
		{0xFF, smbios.OutOfSpec},
	}
	for _, tc := range tests {
		if got := smbios.MemoryTypeName(tc.code); got != tc.want {
			t.Errorf("MemoryTypeName(0x%02X) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestFormFactorName(t *testing.T) {
	tests := []struct {
		code uint8
		want string
	}{
		{0x00, smbios.OutOfSpec},
		{0x01, "Other"},
		{0x02, "Unknown"},
		{0x03, "SIMM"},
		{0x08, "Proprietary Card"},
		{0x09, "DIMM"},
		{0x0A, "TSOP"},
		{0x0B, "Row Of Chips"},
		{0x0C, "RIMM"},
		{0x0D, "SODIMM"},
		{0x0E, "SRIMM"},
		{0x0F, "FB-DIMM"},
		{0x10, "Die"},
		{0x11, smbios.OutOfSpec},
	}
	for _, tc := range tests {
		if got := smbios.FormFactorName(tc.code); got != tc.want {
			t.Errorf("FormFactorName(0x%02X) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestTypeDetailString(t *testing.T) {
	tests := []struct {
		code uint16
		want string
	}{
		{0x0000, "None"},
		{0x0001, "None"}, // bit 0 is reserved
		{0x0004, "Unknown"},
		{0x0080, "Synchronous"},
		{0x2080, "Synchronous Registered (Buffered)"},
		{0x4080, "Synchronous Unbuffered (Unregistered)"},
		{0x8080, "Synchronous LRDIMM"},
		{0x1008, "Fast-paged Non-Volatile"},
		{0x0070, "Static Column Pseudo-static RAMBus"},
		{0x0F00, "CMOS EDO Window DRAM Cache DRAM"},
		{0xFFFF, "Other Unknown Fast-paged Static Column Pseudo-static RAMBus Synchronous CMOS EDO Window DRAM Cache DRAM Non-Volatile Registered (Buffered) Unbuffered (Unregistered) LRDIMM"},
	}
	for _, tc := range tests {
		if got := smbios.TypeDetailString(tc.code); got != tc.want {
			t.Errorf("TypeDetailString(0x%04X) = %q, want %q", tc.code, got, tc.want)
		}
	}
}
