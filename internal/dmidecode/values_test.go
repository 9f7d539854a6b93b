package dmidecode

import (
	"errors"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    memSize
		wantErr bool
	}{
		{in: "16384 MB", want: memSize{bytes: 16384 << 20, installed: true}},
		{in: "8 GB", want: memSize{bytes: 8 << 30, installed: true}},
		{in: "2 MB", want: memSize{bytes: 2 << 20, installed: true}},
		{in: "512 kB", want: memSize{bytes: 512 << 10, installed: true}},
		{in: "1 TB", want: memSize{bytes: 1 << 40, installed: true}},
		{in: "3 bytes", want: memSize{bytes: 3, installed: true}},
		{in: "15 EB", want: memSize{bytes: 15 << 60, installed: true}},
		{in: "No Module Installed", want: memSize{}},
		{in: "Not Installed", want: memSize{}},
		{in: "Unknown", want: memSize{installed: true, unknown: true}},
		{in: "0 MB", want: memSize{installed: true, unknown: true}},
		{in: "16 EB", wantErr: true}, // 2^64 bytes
		{in: "1 ZB", wantErr: true},
		{in: "99999999999999999999 MB", wantErr: true},
		{in: "8GB", wantErr: true},
		{in: "8 gb", wantErr: true},
		{in: "8 GiB", wantErr: true},
		{in: "-8 GB", wantErr: true},
		{in: "+8 GB", wantErr: true},
		{in: "8 GB extra", wantErr: true},
		{in: " GB", wantErr: true},
		{in: "", wantErr: true},
		{in: "lots", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseSize(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, errValue) {
				t.Errorf("parseSize(%q) error %v does not wrap errValue", tt.in, err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("parseSize(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseSpeed(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{in: "2400 MT/s", want: 2400},
		{in: "1333 MHz", want: 1333},
		{in: "400 MHz (2.5 ns)", want: 400},
		{in: "Unknown", want: 0},
		{in: "4294967295 MT/s", want: 1<<32 - 1},
		{in: "4294967296 MT/s", wantErr: true},
		{in: "2400 MT", wantErr: true},
		{in: "2400", wantErr: true},
		{in: "MT/s", wantErr: true},
		{in: "2400 MT/s (0.4 ns)", wantErr: true}, // dmidecode never printed ns with MT/s
		{in: "400 MHz (2.5", wantErr: true},
		{in: "fast", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSpeed(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSpeed(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseWidthRank(t *testing.T) {
	widths := []struct {
		in      string
		want    uint16
		wantErr bool
	}{
		{in: "64 bits", want: 64},
		{in: "72 bits", want: 72},
		{in: "Unknown", want: 0},
		{in: "65536 bits", wantErr: true},
		{in: "64", wantErr: true},
		{in: "64 bytes", wantErr: true},
	}
	for _, tt := range widths {
		got, err := parseWidth(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseWidth(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	ranks := []struct {
		in      string
		want    uint8
		wantErr bool
	}{
		{in: "1", want: 1},
		{in: "2", want: 2},
		{in: "Unknown", want: 0},
		{in: "256", wantErr: true},
		{in: "two", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range ranks {
		got, err := parseRank(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseRank(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseJEDECID(t *testing.T) {
	tests := []struct {
		in      string
		want    uint16
		wantErr bool
	}{
		// The word dmidecode printed it from: low byte bank-1, high byte code.
		{in: "Bank 2, Hex 0x98", want: 0x9801}, // Kingston
		{in: "Bank 1, Hex 0x2C", want: 0x2C00}, // Micron
		{in: "Bank 6, Hex 0x9B", want: 0x9B05}, // Crucial
		{in: "Bank 12, Hex 0x2C", want: 0x2C0B},
		{in: "Bank 128, Hex 0xFF", want: 0xFF7F},
		{in: "Bank 1, Hex 0xad", want: 0xAD00},
		{in: "Unknown", want: 0},
		{in: "Bank 0, Hex 0x98", wantErr: true},
		{in: "Bank 129, Hex 0x98", wantErr: true},
		{in: "Bank 2, Hex 0x198", wantErr: true},
		{in: "Bank 2, Hex 0x", wantErr: true},
		{in: "Bank 2, Hex 98", wantErr: true},
		{in: "Bank 2,Hex 0x98", wantErr: true},
		{in: "Bank two, Hex 0x98", wantErr: true},
		{in: "0x9801", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseManufacturerID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseManufacturerID(%q) = %#04x, %v; want %#04x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	// Round trip through the binary decoder's own reading of the word.
	md := smbios.MemoryDevice{HasModuleIDs: true}
	md.ModuleManufacturerID, _ = ParseManufacturerID("Bank 6, Hex 0x9B")
	if bank, code, ok := md.ModuleManufacturerBank(); !ok || bank != 6 || code != 0x9B {
		t.Errorf("ModuleManufacturerBank() of parsed \"Bank 6, Hex 0x9B\" = %d, %#02x, %v", bank, code, ok)
	}
}

func TestParseHexWords(t *testing.T) {
	tests := []struct {
		in      string
		want    uint16
		wantErr bool
	}{
		{in: "0x1234", want: 0x1234},
		{in: "0x00FF", want: 0x00FF},
		{in: "0xabcd", want: 0xABCD},
		{in: "0x12345", wantErr: true},
		{in: "0x", wantErr: true},
		{in: "1234", wantErr: true},
		{in: "0xZZ", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseProductID(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseProductID(%q) = %#x, %v; want %#x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		got, err = parseHandle(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseHandle(%q) = %#x, %v; want %#x, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if got, err := ParseProductID("Unknown"); err != nil || got != 0 {
		t.Errorf("ParseProductID(Unknown) = %d, %v; want 0, nil", got, err)
	}
	if _, err := parseHandle("Unknown"); err == nil {
		t.Error("parseHandle(Unknown) succeeded; a handle is never Unknown")
	}
}

func TestParseTypeDetail(t *testing.T) {
	tests := []struct {
		in     string
		want   uint16
		wantOK bool
	}{
		{in: "None", want: 0, wantOK: true},
		{in: "Synchronous", want: 1 << 7, wantOK: true},
		{in: "Synchronous Registered (Buffered)", want: 1<<7 | 1<<13, wantOK: true},
		{in: "Synchronous Unbuffered (Unregistered)", want: 1<<7 | 1<<14, wantOK: true},
		{in: "Non-Volatile", want: 1 << 12, wantOK: true},
		{in: "Unknown", want: 1 << 2, wantOK: true},
		{in: "Fast-paged Static Column Pseudo-static RAMBus", want: 1<<3 | 1<<4 | 1<<5 | 1<<6, wantOK: true},
		{in: "Synchronous LRDIMM", want: 1<<7 | 1<<15, wantOK: true},
		{in: "Synchronous Turbo", want: 0, wantOK: false},
		{in: "Registered", want: 0, wantOK: false}, // only part of a name
		{in: "SynchronousCMOS", want: 0, wantOK: false},
		{in: "", want: 0, wantOK: false},
	}
	for _, tt := range tests {
		got, ok := parseTypeDetail(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseTypeDetail(%q) = %#04x, %v; want %#04x, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
		// What parses must render back to the same text.
		if ok && smbios.TypeDetailString(got) != tt.in {
			t.Errorf("TypeDetailString(parseTypeDetail(%q)) = %q", tt.in, smbios.TypeDetailString(got))
		}
	}
}

func TestReverseNames(t *testing.T) {
	tests := []struct {
		table map[string]uint8
		name  string
		code  uint8
		found bool
	}{
		{memoryTypeCodes(), "DDR4", 0x1A, true},
		{memoryTypeCodes(), "DDR5", 0x22, true},
		{memoryTypeCodes(), "DDR3", 0x18, true},
		{memoryTypeCodes(), "Flash", 0x09, true},
		{memoryTypeCodes(), "Unknown", 0x02, true},
		{memoryTypeCodes(), "Reserved", 0, false},       // several codes
		{memoryTypeCodes(), smbios.OutOfSpec, 0, false}, // many codes
		{memoryTypeCodes(), "DDR6", 0, false},
		{formFactorCodes(), "DIMM", 0x09, true},
		{formFactorCodes(), "SODIMM", 0x0D, true},
		{formFactorCodes(), "Chip", 0x05, true},
		{formFactorCodes(), "Row Of Chips", 0x0B, true},
		{formFactorCodes(), smbios.OutOfSpec, 0, false},
	}
	for _, tt := range tests {
		code, found := tt.table[tt.name]
		if code != tt.code || found != tt.found {
			t.Errorf("code of %q = %#02x, %v; want %#02x, %v", tt.name, code, found, tt.code, tt.found)
		}
	}
}
