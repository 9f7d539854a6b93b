package spdtest

import (
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/jep106"
)

func TestCRC16CheckValue(t *testing.T) {
	// CRC-16/XMODEM check value from the CRC catalogue; spd.CRC16 is tested
	// against the same value, so the two implementations agree.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16 = %#04x, want 0x31C3", got)
	}
}

func TestBuildLayout(t *testing.T) {
	b := NewDDR4()
	b.ModuleMaker = jep106.ID{Bank: 2, Code: 0x18} // Kingston: 01 98
	b.DRAMMaker = jep106.ID{Bank: 1, Code: 0x2C}   // Micron: 80 2C
	b.PartNumber = "KSM32RD8/16MEI"
	b.Serial = 0x32297BC1
	b.Date = Date{Year: 2021, Week: 43}
	img := b.Bytes()
	checks := []struct {
		off  int
		want []byte
	}{
		{2, []byte{0x0c}},
		{320, []byte{0x01, 0x98}},
		{323, []byte{0x21, 0x43}},
		{325, []byte{0x32, 0x29, 0x7b, 0xc1}},
		{329, []byte("KSM32RD8/16MEI      ")},
		{350, []byte{0x80, 0x2c}},
	}
	for _, c := range checks {
		if got := img[c.off : c.off+len(c.want)]; string(got) != string(c.want) {
			t.Errorf("DDR4 bytes at %d = % X, want % X", c.off, got, c.want)
		}
	}
	if len(img) != 512 {
		t.Errorf("DDR4 image length %d", len(img))
	}
	if c := crc16(img[:126]); img[126] != byte(c) || img[127] != byte(c>>8) {
		t.Errorf("base CRC not stored little-endian at 126")
	}

	b5 := NewDDR5()
	b5.ModuleMaker = jep106.ID{Bank: 5, Code: 0x4B} // A-DATA: 04 CB
	img5 := b5.Bytes()
	if len(img5) != 1024 || img5[2] != 0x12 || img5[512] != 0x04 || img5[513] != 0xcb {
		t.Errorf("DDR5 image: len %d type %#x maker % X", len(img5), img5[2], img5[512:514])
	}
	if c := crc16(img5[:510]); img5[510] != byte(c) || img5[511] != byte(c>>8) {
		t.Errorf("DDR5 CRC not stored at 510")
	}
	if lp := NewLPDDR5().Bytes(); lp[2] != 0x13 || lp[3] != 0x0b {
		t.Errorf("LPDDR5 type/module bytes = %#x/%#x", lp[2], lp[3])
	}
}

func TestBuildSetAppliesBeforeCRC(t *testing.T) {
	b := NewDDR5()
	b.Set = map[int]byte{3: 0x0f}
	img := b.Bytes()
	if img[3] != 0x0f {
		t.Fatalf("override not applied")
	}
	if c := crc16(img[:510]); img[510] != byte(c) || img[511] != byte(c>>8) {
		t.Fatalf("CRC computed before the override")
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Builder)
		want   string
	}{
		{"long part number", func(b *Builder) { b.PartNumber = strings.Repeat("X", 21) }, "longer than 20"},
		{"non-ASCII part number", func(b *Builder) { b.PartNumber = "KVR\x01" }, "not printable"},
		{"bad module type", func(b *Builder) { b.ModuleType = "SOLDER" }, "module type"},
		{"bad width", func(b *Builder) { b.DeviceWidth = 6 }, "device width"},
		{"bad density", func(b *Builder) { b.DieDensityGbit = 3 }, "density"},
		{"bad ranks", func(b *Builder) { b.Ranks = 0 }, "ranks"},
		{"bad date", func(b *Builder) { b.Date = Date{Year: 1999, Week: 1} }, "date"},
		{"bad override", func(b *Builder) { b.Set = map[int]byte{512: 0} }, "outside"},
		{"bad generation", func(b *Builder) { b.Generation = 0 }, "generation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewDDR4()
			tc.modify(b)
			_, err := b.Build()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build error = %v, want mention of %q", err, tc.want)
			}
			defer func() {
				if recover() == nil {
					t.Error("Bytes did not panic on a misconfigured builder")
				}
			}()
			b.Bytes()
		})
	}
}
