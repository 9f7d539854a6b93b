// Package spdtest builds synthetic SPD EEPROM images for tests and examples:
// DDR4 (512 bytes), DDR5 and LPDDR5 (1024 bytes), with the manufacturing
// fields a test cares about and correct CRCs.
//
// The images carry plausible but minimal base configurations (timings are not
// filled in); they decode with spd.Decode to the fields set here. The CRC is
// computed by this package's own CRC-16 routine, independent of package spd,
// so that tests of spd check one implementation against another.
//
// Typical use:
//
//	b := spdtest.NewDDR4()
//	b.ModuleMaker = jep106.ID{Bank: 2, Code: 0x18} // Kingston
//	b.DRAMMaker = jep106.ID{Bank: 1, Code: 0x2C}   // Micron
//	b.PartNumber = "KSM32RD8/16MEI"
//	img := b.Bytes()
package spdtest

import (
	"fmt"

	"github.com/memledger/memledger/internal/jep106"
)

// Generation selects the SPD layout and the memory type byte.
type Generation int

// Supported generations.
const (
	DDR4   Generation = iota + 1 // JEDEC Annex L, 512 bytes, key byte 0x0C
	DDR5                         // JESD400-5, 1024 bytes, key byte 0x12
	LPDDR5                       // JESD406-5, 1024 bytes, key byte 0x13 (DDR5 layout)
)

func (g Generation) String() string {
	switch g {
	case DDR4:
		return "DDR4"
	case DDR5:
		return "DDR5"
	case LPDDR5:
		return "LPDDR5"
	}
	return fmt.Sprintf("Generation(%d)", int(g))
}

// Date is a manufacturing date; the zero value is written as unset (00 00).
type Date struct {
	Year int // 2000-2099
	Week int // 1-53
}

// Builder describes an SPD image. Start from NewDDR4, NewDDR5 or NewLPDDR5,
// which fill in a plausible single-rank module, and change the fields the test
// is about.
type Builder struct {
	Generation Generation

	// ModuleMaker and DRAMMaker are written with JEP106 parity; the zero ID
	// writes 00 00 (unset).
	ModuleMaker, DRAMMaker jep106.ID
	PartNumber             string // ASCII, space padded to the field length
	Serial                 uint32 // written big-endian: 0x32297BC1 -> "32297BC1"
	Date                   Date
	// ModuleType is the form factor name as spd.Module reports it:
	// DDR4 "RDIMM", "UDIMM", "SODIMM", "LRDIMM", "MINI-RDIMM", "MINI-UDIMM",
	// "72B-SO-RDIMM", "72B-SO-UDIMM", "16B-SO-DIMM", "32B-SO-DIMM";
	// DDR5/LPDDR5 "RDIMM", "UDIMM", "SODIMM", "LRDIMM", "CUDIMM", "CSODIMM",
	// "MRDIMM", "CAMM2", "DDIMM", "SOLDER".
	ModuleType string

	// Geometry, which sets the capacity: die density in Gbit, package ranks
	// (per sub-channel on DDR5), SDRAM I/O width in bits, ECC bus extension.
	// DDR5 modules always have two 32-bit sub-channels here.
	DieDensityGbit int
	Ranks          int
	DeviceWidth    int
	ECC            bool

	// Set overrides raw bytes (offset -> value) after every field above is
	// written and before the CRCs are computed, for tests of odd encodings
	// that should still carry valid CRCs.
	Set map[int]byte
}

// NewDDR4 returns a builder for an 8 GiB single-rank x8 DDR4 UDIMM
// (8 Gbit dies, 64-bit bus).
func NewDDR4() *Builder {
	return &Builder{Generation: DDR4, ModuleType: "UDIMM", DieDensityGbit: 8, Ranks: 1, DeviceWidth: 8}
}

// NewDDR5 returns a builder for a 16 GiB single-rank x8 DDR5 UDIMM
// (16 Gbit dies, two 32-bit sub-channels).
func NewDDR5() *Builder {
	return &Builder{Generation: DDR5, ModuleType: "UDIMM", DieDensityGbit: 16, Ranks: 1, DeviceWidth: 8}
}

// NewLPDDR5 returns a builder for a soldered-down LPDDR5 memory (16 Gbit
// dies, x16).
func NewLPDDR5() *Builder {
	return &Builder{Generation: LPDDR5, ModuleType: "SOLDER", DieDensityGbit: 16, Ranks: 1, DeviceWidth: 16}
}

var ddr4Types = map[string]byte{
	"RDIMM": 0x1, "UDIMM": 0x2, "SODIMM": 0x3, "LRDIMM": 0x4, "MINI-RDIMM": 0x5,
	"MINI-UDIMM": 0x6, "72B-SO-RDIMM": 0x8, "72B-SO-UDIMM": 0x9,
	"16B-SO-DIMM": 0xc, "32B-SO-DIMM": 0xd,
}

var ddr5Types = map[string]byte{
	"RDIMM": 0x1, "UDIMM": 0x2, "SODIMM": 0x3, "LRDIMM": 0x4, "CUDIMM": 0x5,
	"CSODIMM": 0x6, "MRDIMM": 0x7, "CAMM2": 0x8, "DDIMM": 0xa, "SOLDER": 0xb,
}

// DDR4 byte 4 density codes (Annex L).
var ddr4Density = map[int]byte{1: 2, 2: 3, 4: 4, 8: 5, 16: 6, 32: 7, 12: 8, 24: 9}

// DDR5 byte 4 density codes (JESD400-5).
var ddr5Density = map[int]byte{4: 1, 8: 2, 12: 3, 16: 4, 24: 5, 32: 6, 48: 7, 64: 8}

// LPDDR5 byte 4 density codes (JESD406-5).
var lp5Density = map[int]byte{1: 2, 2: 3, 4: 4, 8: 5, 16: 6, 32: 7, 12: 8, 24: 9, 3: 10, 6: 11}

var widthCode = map[int]byte{4: 0, 8: 1, 16: 2, 32: 3}

// Bytes is Build for tests: it panics when the builder is misconfigured,
// which is a bug in the calling test, never a property of decoded data.
func (b *Builder) Bytes() []byte {
	img, err := b.Build()
	if err != nil {
		panic("spdtest: " + err.Error())
	}
	return img
}

// Build returns the SPD image, or an error naming the field that cannot be
// encoded.
func (b *Builder) Build() ([]byte, error) {
	wc, ok := widthCode[b.DeviceWidth]
	if !ok {
		return nil, fmt.Errorf("device width %d not one of 4, 8, 16, 32", b.DeviceWidth)
	}
	if b.Ranks < 1 || b.Ranks > 8 {
		return nil, fmt.Errorf("ranks %d outside 1-8", b.Ranks)
	}
	var (
		img     []byte
		mfg     int // start of the manufacturing section
		partLen int
		types   map[string]byte
	)
	switch b.Generation {
	case DDR4:
		dc, ok := ddr4Density[b.DieDensityGbit]
		if !ok {
			return nil, fmt.Errorf("DDR4 die density %d Gbit has no code", b.DieDensityGbit)
		}
		img = make([]byte, 512)
		img[0] = 0x23 // 384 bytes used, 512 total
		img[1] = 0x11 // SPD revision 1.1
		img[2] = 0x0c
		img[4] = 0x80 | dc // 4 bank groups, 4 banks per group
		img[5] = 0x19      // 16 row, 10 column address bits
		img[6] = 0x00      // monolithic
		img[11] = 0x03     // 1.2 V operable and endurant
		img[12] = byte(b.Ranks-1)<<3 | wc
		img[13] = 0x03 // 64-bit primary bus
		if b.ECC {
			img[13] |= 0x08
		}
		img[17] = 0x00 // MTB 125 ps, FTB 1 ps
		mfg, partLen, types = 320, 20, ddr4Types
	case DDR5, LPDDR5:
		img = make([]byte, 1024)
		img[0] = 0x30 // 1024-byte SPD5118 hub
		img[1] = 0x10 // SPD revision 1.0
		if b.Generation == DDR5 {
			dc, ok := ddr5Density[b.DieDensityGbit]
			if !ok {
				return nil, fmt.Errorf("DDR5 die density %d Gbit has no code", b.DieDensityGbit)
			}
			img[2] = 0x12
			img[4] = dc // monolithic
			img[5] = 0x00
			img[6] = wc << 5
		} else {
			dc, ok := lp5Density[b.DieDensityGbit]
			if !ok {
				return nil, fmt.Errorf("LPDDR5 die density %d Gbit has no code", b.DieDensityGbit)
			}
			img[2] = 0x13
			img[4] = 0x10 | dc
			img[6] = 0x00
			img[12] = byte(b.Ranks-1)<<3 | wc
			img[13] = 0x01 // 16-bit sub-channel
		}
		img[234] = byte(b.Ranks-1) << 3
		img[235] = 0x1<<5 | 0x02 // two 32-bit sub-channels
		if b.ECC {
			img[235] |= 0x2 << 3 // 8-bit extension per sub-channel
		}
		mfg, partLen, types = 512, 30, ddr5Types
	default:
		return nil, fmt.Errorf("unknown generation %v", b.Generation)
	}

	tc, ok := types[b.ModuleType]
	if !ok {
		return nil, fmt.Errorf("module type %q not defined for %v", b.ModuleType, b.Generation)
	}
	img[3] = tc

	img[mfg], img[mfg+1] = idBytes(b.ModuleMaker)
	if err := putDate(img[mfg+3:mfg+5], b.Date); err != nil {
		return nil, err
	}
	img[mfg+5] = byte(b.Serial >> 24)
	img[mfg+6] = byte(b.Serial >> 16)
	img[mfg+7] = byte(b.Serial >> 8)
	img[mfg+8] = byte(b.Serial)
	if len(b.PartNumber) > partLen {
		return nil, fmt.Errorf("part number %q longer than %d bytes", b.PartNumber, partLen)
	}
	for i := range partLen {
		c := byte(' ')
		if i < len(b.PartNumber) {
			c = b.PartNumber[i]
			if c < 0x20 || c > 0x7e {
				return nil, fmt.Errorf("part number byte %d (0x%02x) is not printable ASCII", i, c)
			}
		}
		img[mfg+9+i] = c
	}
	// The module revision code byte sits between the part number and the
	// DRAM manufacturer id.
	dram := mfg + 9 + partLen + 1
	img[dram], img[dram+1] = idBytes(b.DRAMMaker)

	for off, v := range b.Set {
		if off < 0 || off >= len(img) {
			return nil, fmt.Errorf("offset %d in Builder.Set is outside the %d-byte image", off, len(img))
		}
		img[off] = v
	}

	if b.Generation == DDR4 {
		putCRC(img, 0, 126)   // base configuration, bytes 0-125
		putCRC(img, 128, 254) // module specific block 1, bytes 128-253
	} else {
		putCRC(img, 0, 510) // bytes 0-509
	}
	return img, nil
}

// idBytes encodes a JEP106 id as SPD stores it: continuation count and id
// byte, each with odd parity.
func idBytes(id jep106.ID) (byte, byte) {
	if id == (jep106.ID{}) {
		return 0, 0
	}
	return jep106.WithParity(id.Bank - 1), jep106.WithParity(id.Code)
}

func putDate(dst []byte, d Date) error {
	if d == (Date{}) {
		return nil
	}
	if d.Year < 2000 || d.Year > 2099 || d.Week < 1 || d.Week > 53 {
		return fmt.Errorf("date %d week %d outside 2000-2099 / 1-53", d.Year, d.Week)
	}
	y := d.Year - 2000
	dst[0] = byte(y/10)<<4 | byte(y%10)
	dst[1] = byte(d.Week/10)<<4 | byte(d.Week%10)
	return nil
}

// putCRC stores, little-endian at at, the CRC of img[start:at].
func putCRC(img []byte, start, at int) {
	c := crc16(img[start:at])
	img[at] = byte(c)
	img[at+1] = byte(c >> 8)
}

// crc16 is CRC-16/XMODEM, written out independently of spd.CRC16. It is
// checked against the standard check value ("123456789" -> 0x31C3) in the
// tests.
func crc16(data []byte) uint16 {
	crc := uint16(0)
	for _, c := range data {
		x := byte(crc>>8) ^ c
		x ^= x >> 4
		crc = crc<<8 ^ uint16(x)<<12 ^ uint16(x)<<5 ^ uint16(x)
	}
	return crc
}
