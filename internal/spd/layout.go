package spd

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/memledger/memledger/internal/jep106"
)

// family groups memory types that share one SPD byte layout.
type family int

const (
	famDDR3 family = iota // JEDEC 21-C Annex K, 256 bytes
	famDDR4               // Annex L (DDR4) and Annex M (LPDDR3/4/4X), 512 bytes
	famDDR5               // JESD400-5 (DDR5) and JESD406-5 (LPDDR5/5X), 1024 bytes
)

// layout holds the offsets that differ between SPD generations.
type layout struct {
	memoryType string
	family     family
	lowPower   bool // LPDDR: no capacity computed, different module type table

	modMfr, date, serial, partNum, partLen, dramMfr int

	moduleTypes map[byte]string // key: byte 3 bits 3:0
	// block1CRC lists the module types (byte 3 bits 3:0) whose annex defines
	// the CRC of bytes 128-253 (DDR4 family only).
	block1CRC map[byte]bool
}

// DDR3 module types, JEDEC 21-C Annex K byte 3. Codes 8 and 9 follow
// decode-dimms and coreboot (8 = 72b-SO-UDIMM, 9 = 72b-SO-RDIMM); illumos
// libjedec has them the other way round.
var ddr3ModuleTypes = map[byte]string{
	0x1: "RDIMM", 0x2: "UDIMM", 0x3: "SODIMM", 0x4: "MICRO-DIMM",
	0x5: "MINI-RDIMM", 0x6: "MINI-UDIMM", 0x7: "MINI-CDIMM",
	0x8: "72B-SO-UDIMM", 0x9: "72B-SO-RDIMM", 0xa: "72B-SO-CDIMM",
	0xb: "LRDIMM", 0xc: "16B-SO-DIMM", 0xd: "32B-SO-DIMM",
}

// DDR4 module types, Annex L byte 3 (libjedec and decode-dimms agree).
var ddr4ModuleTypes = map[byte]string{
	0x1: "RDIMM", 0x2: "UDIMM", 0x3: "SODIMM", 0x4: "LRDIMM",
	0x5: "MINI-RDIMM", 0x6: "MINI-UDIMM", 0x8: "72B-SO-RDIMM",
	0x9: "72B-SO-UDIMM", 0xc: "16B-SO-DIMM", 0xd: "32B-SO-DIMM",
}

// LPDDR3/4 module types, Annex M byte 3: only the LP-DIMM and the
// soldered-down ("non-DIMM") forms are defined.
var lp4ModuleTypes = map[byte]string{0x7: "LPDIMM", 0xe: "SOLDER"}

// DDR5 and LPDDR5 module types, JESD400-5 / JESD406-5 byte 3.
var ddr5ModuleTypes = map[byte]string{
	0x1: "RDIMM", 0x2: "UDIMM", 0x3: "SODIMM", 0x4: "LRDIMM",
	0x5: "CUDIMM", 0x6: "CSODIMM", 0x7: "MRDIMM", 0x8: "CAMM2",
	0xa: "DDIMM", 0xb: "SOLDER",
}

var ddr3Layout = layout{
	memoryType: "DDR3", family: famDDR3,
	modMfr: 117, date: 120, serial: 122, partNum: 128, partLen: 18, dramMfr: 148,
	moduleTypes: ddr3ModuleTypes,
}

// Every DDR4 annex (UDIMM, RDIMM, LRDIMM) defines the block 1 CRC.
var ddr4Layout = layout{
	memoryType: "DDR4", family: famDDR4,
	modMfr: 320, date: 323, serial: 325, partNum: 329, partLen: 20, dramMfr: 350,
	moduleTypes: ddr4ModuleTypes,
	block1CRC: map[byte]bool{
		0x1: true, 0x2: true, 0x3: true, 0x4: true, 0x5: true, 0x6: true,
		0x8: true, 0x9: true, 0xc: true, 0xd: true,
	},
}

// LPDDR3/4/4X share the DDR4 manufacturing section; only the LP-DIMM annex
// defines a block 1 CRC.
func lp4Layout(memoryType string) *layout {
	return &layout{
		memoryType: memoryType, family: famDDR4, lowPower: true,
		modMfr: 320, date: 323, serial: 325, partNum: 329, partLen: 20, dramMfr: 350,
		moduleTypes: lp4ModuleTypes,
		block1CRC:   map[byte]bool{0x7: true},
	}
}

var ddr5Layout = layout{
	memoryType: "DDR5", family: famDDR5,
	modMfr: 512, date: 515, serial: 517, partNum: 521, partLen: 30, dramMfr: 552,
	moduleTypes: ddr5ModuleTypes,
}

// LPDDR5/5X use the DDR5 common, CRC and manufacturing sections.
func lp5Layout(memoryType string) *layout {
	l := ddr5Layout
	l.memoryType, l.lowPower = memoryType, true
	return &l
}

// SDRAM die density in Mbit by code, DDR3/DDR4/LPDDR4 byte 4 bits 3:0.
var ddr4DensityMbit = map[byte]uint64{
	0: 256, 1: 512, 2: 1 << 10, 3: 2 << 10, 4: 4 << 10, 5: 8 << 10,
	6: 16 << 10, 7: 32 << 10, 8: 12 << 10, 9: 24 << 10,
}

// DDR5 die density in Gbit by code, byte 4 bits 4:0.
var ddr5DensityGbit = map[byte]uint64{1: 4, 2: 8, 3: 12, 4: 16, 5: 24, 6: 32, 7: 48, 8: 64}

// DDR5 dies per package by code, byte 4 bits 7:5. Code 1 ("DDP", not 3DS)
// is left out on purpose: whether its dies count again on top of the package
// ranks is not settled by the sources, so no capacity is claimed for it.
var ddr5DiesPerPackage = map[byte]uint64{0: 1, 2: 2, 3: 4, 4: 8, 5: 16}

// decoder carries one Decode call.
type decoder struct {
	b       []byte
	l       *layout
	m       *Module
	missing []Region
}

// have reports whether bytes start..end (inclusive) are present, recording
// the named region as missing when they are not.
func (d *decoder) have(name string, start, end int) bool {
	if end < len(d.b) {
		return true
	}
	d.missing = append(d.missing, Region{Name: name, Start: start, End: end})
	return false
}

func (d *decoder) decode() {
	b, m, l := d.b, d.m, d.l
	d.sizes(b[0])
	m.Revision = fmt.Sprintf("%X.%X", b[1]>>4, b[1]&0xf)

	var modType byte
	haveType := d.have("module type", 3, 3)
	if haveType {
		modType = b[3] & 0x0f
		if name, ok := l.moduleTypes[modType]; ok {
			m.ModuleType = name
		} else {
			m.warnf("byte 3 (module type) holds unknown %s module type 0x%x", l.memoryType, modType)
		}
		if l.family != famDDR3 && b[3]&0x80 != 0 {
			m.warnf("byte 3 marks a hybrid (NVDIMM) module, media code 0x%x", (b[3]>>4)&0x7)
		}
	}

	switch l.family {
	case famDDR3:
		d.sizeDDR3()
		cover := 125
		if b[0]&0x80 != 0 { // byte 0 bit 7: CRC covers bytes 0-116 only
			cover = 116
		}
		d.crc("base and manufacturing", 0, cover, 126)
	case famDDR4:
		if !l.lowPower {
			d.sizeDDR4()
		}
		d.crc("base configuration", 0, 125, 126)
		if haveType && l.block1CRC[modType] {
			d.crc("module specific (block 1)", 128, 253, 254)
		}
	case famDDR5:
		if !l.lowPower {
			d.sizeDDR5()
		}
		d.crc("base, common and module specific", 0, 509, 510)
	}

	d.manufacturing()
}

// sizes decodes the EEPROM size fields of byte 0.
func (d *decoder) sizes(b0 byte) {
	m := d.m
	used, total := b0&0x0f, (b0>>4)&0x7
	// Undefined and reserved codes read as 0.
	switch d.l.family {
	case famDDR3:
		m.BytesUsed = [16]int{1: 128, 2: 176, 3: 256}[used]
		m.BytesTotal = [8]int{1: 256}[total]
	case famDDR4:
		m.BytesUsed = [16]int{1: 128, 2: 256, 3: 384, 4: 512}[used]
		m.BytesTotal = [8]int{1: 256, 2: 512}[total]
	case famDDR5:
		m.BytesTotal = [8]int{1: 256, 2: 512, 3: 1024, 4: 2048}[total]
	}
}

// crc checks bytes start..end against the little-endian CRC stored at at.
func (d *decoder) crc(name string, start, end, at int) {
	if !d.have(fmt.Sprintf("CRC-covered %s block with its CRC", name), start, at+1) {
		return
	}
	d.m.CRCs = append(d.m.CRCs, CRC{
		Name:     name,
		Start:    start,
		End:      end,
		Stored:   uint16(d.b[at]) | uint16(d.b[at+1])<<8,
		Computed: CRC16(d.b[start : end+1]),
	})
}

// sizeDDR3: capacity = die density / 8 * bus width / device width * ranks
// (Annex K; decode-dimms computes the same).
func (d *decoder) sizeDDR3() {
	if !d.have("SDRAM density and module organisation", 4, 8) {
		return
	}
	b, m := d.b, d.m
	density, ok := ddr4DensityMbit[b[4]&0x0f]
	if !ok {
		m.warnf("byte 4 holds reserved SDRAM density code 0x%x", b[4]&0x0f)
		return
	}
	// Rank code 4 means 8 ranks (Annex K; libjedec agrees).
	ranks, ok := map[byte]uint64{0: 1, 1: 2, 2: 3, 3: 4, 4: 8}[(b[7]>>3)&0x7]
	if !ok {
		m.warnf("byte 7 holds reserved rank count code 0x%x", (b[7]>>3)&0x7)
		return
	}
	width, bus, ok := widths(m, b[7]&0x7, b[8]&0x7, 7, 8)
	if !ok {
		return
	}
	m.SizeBytes = density << 20 / 8 * (bus / width) * ranks
}

// sizeDDR4: capacity = die density / 8 * bus width / device width * logical
// ranks, where logical ranks = package ranks * dies per package for 3DS
// packages only (Annex L; decode-dimms computes the same). Asymmetric modules
// would need the secondary package fields and are not computed.
func (d *decoder) sizeDDR4() {
	if !d.have("SDRAM density, package and module organisation", 4, 13) {
		return
	}
	b, m := d.b, d.m
	if b[12]&0x40 != 0 {
		m.warnf("byte 12 marks an asymmetric (mixed rank) module; capacity not computed")
		return
	}
	density, ok := ddr4DensityMbit[b[4]&0x0f]
	if !ok {
		m.warnf("byte 4 holds reserved SDRAM density code 0x%x", b[4]&0x0f)
		return
	}
	ranks := uint64((b[12]>>3)&0x7) + 1
	if b[6]&0x3 == 0x2 { // signal loading "single load stack": 3DS
		ranks *= uint64((b[6]>>4)&0x7) + 1
	}
	width, bus, ok := widths(m, b[12]&0x7, b[13]&0x7, 12, 13)
	if !ok {
		return
	}
	m.SizeBytes = density << 20 / 8 * (bus / width) * ranks
}

// widths decodes the SDRAM device width (4 << code) and primary bus width
// (8 << code) codes shared by DDR3, DDR4 and DDR5; codes above 3 are
// reserved.
func widths(m *Module, wcode, bcode byte, woff, boff int) (width, bus uint64, ok bool) {
	if wcode > 3 {
		m.warnf("byte %d holds reserved SDRAM device width code 0x%x", woff, wcode)
		return 0, 0, false
	}
	if bcode > 3 {
		m.warnf("byte %d holds reserved primary bus width code 0x%x", boff, bcode)
		return 0, 0, false
	}
	return 4 << wcode, 8 << bcode, true
}

// sizeDDR5: capacity = sub-channels * (sub-channel bus width / device
// width) * dies per package * die density / 8 * package ranks per
// sub-channel (JESD400-5 "module capacity" formula).
func (d *decoder) sizeDDR5() {
	okPkg := d.have("first SDRAM density, package and width", 4, 6)
	okOrg := d.have("module organisation and bus width", 234, 235)
	if !okPkg || !okOrg {
		return
	}
	b, m := d.b, d.m
	if b[234]&0x40 != 0 {
		m.warnf("byte 234 marks an asymmetric (mixed rank) module; capacity not computed")
		return
	}
	density, ok := ddr5DensityGbit[b[4]&0x1f]
	if !ok {
		m.warnf("byte 4 holds reserved or undefined SDRAM density code 0x%x", b[4]&0x1f)
		return
	}
	dies, ok := ddr5DiesPerPackage[b[4]>>5]
	if !ok {
		m.warnf("byte 4 holds die-per-package code 0x%x; capacity not computed", b[4]>>5)
		return
	}
	channels := uint64((b[235]>>5)&0x3) + 1
	if channels > 2 {
		m.warnf("byte 235 holds reserved sub-channel count code 0x%x", (b[235]>>5)&0x3)
		return
	}
	width, bus, ok := widths(m, (b[6]>>5)&0x7, b[235]&0x7, 6, 235)
	if !ok {
		return
	}
	ranks := uint64((b[234]>>3)&0x7) + 1
	m.SizeBytes = channels * (bus / width) * dies * (density << 30 / 8) * ranks
}

// manufacturing decodes the module and DRAM makers, date, serial and part
// number, each only when its bytes are present.
func (d *decoder) manufacturing() {
	b, m, l := d.b, d.m, d.l
	if d.have("module manufacturer ID", l.modMfr, l.modMfr+1) {
		m.ModuleManufacturerBytes = [2]byte{b[l.modMfr], b[l.modMfr+1]}
		m.ModuleManufacturer, m.ModuleManufacturerOK = d.jedecID("module manufacturer", l.modMfr)
	}
	if d.have("manufacturing date", l.date, l.date+1) {
		d.manufactureDate(l.date)
	}
	if d.have("module serial number", l.serial, l.serial+3) {
		s := b[l.serial : l.serial+4]
		if !allBytes(s, 0x00) && !allBytes(s, 0xff) {
			m.SerialNumber = fmt.Sprintf("%02X%02X%02X%02X", s[0], s[1], s[2], s[3])
		}
	}
	if d.have("module part number", l.partNum, l.partNum+l.partLen-1) {
		d.partNumber(l.partNum, l.partLen)
	}
	if d.have("DRAM manufacturer ID", l.dramMfr, l.dramMfr+1) {
		m.DRAMManufacturerBytes = [2]byte{b[l.dramMfr], b[l.dramMfr+1]}
		m.DRAMManufacturer, m.DRAMManufacturerOK = d.jedecID("DRAM manufacturer", l.dramMfr)
	}
}

// jedecID decodes the JEP106 id at off: a continuation count (bits 6:0,
// odd parity in bit 7) and an id byte with odd parity.
func (d *decoder) jedecID(what string, off int) (jep106.ID, bool) {
	cont, code := d.b[off], d.b[off+1]
	if (cont == 0 && code == 0) || (cont == 0xff && code == 0xff) {
		return jep106.ID{}, false // unset or erased: unknown, not an error
	}
	// libjedec and decode-dimms read the bank from bits 6:0 and ignore the
	// continuation parity bit, which real modules and the illumos test data
	// get wrong; the id byte parity is still checked by jep106.FromBytes.
	count := cont & 0x7f
	fixed := count
	if bits.OnesCount8(count)%2 == 0 {
		fixed |= 0x80
	}
	if fixed != cont {
		d.m.warnf("%s continuation byte 0x%02x at offset %d has a wrong parity bit; bank taken from bits 6:0", what, cont, off)
	}
	id, err := jep106.FromBytes(fixed, code)
	if err != nil {
		d.m.warnf("%s bytes %02X %02X at offset %d are not a valid JEP106 id: %v", what, cont, code, off, err)
		return jep106.ID{}, false
	}
	return id, true
}

// manufactureDate decodes the BCD year (years since 2000) and week.
func (d *decoder) manufactureDate(off int) {
	year, week := d.b[off], d.b[off+1]
	if (year == 0 && week == 0) || (year == 0xff && week == 0xff) {
		return // unset
	}
	if y, ok := fromBCD(year); ok {
		d.m.ManufactureYear = 2000 + y
	} else {
		d.m.warnf("manufacturing year byte 0x%02x at offset %d is not BCD", year, off)
	}
	if w, ok := fromBCD(week); ok && w >= 1 && w <= 53 {
		d.m.ManufactureWeek = w
	} else {
		d.m.warnf("manufacturing week byte 0x%02x at offset %d is not a BCD week 01-53", week, off+1)
	}
}

func fromBCD(v byte) (int, bool) {
	hi, lo := v>>4, v&0xf
	if hi > 9 || lo > 9 {
		return 0, false
	}
	return int(hi)*10 + int(lo), true
}

// partNumber reads the space-padded ASCII part number. Any non-printable
// byte inside it makes the whole field unknown rather than half-trusted.
//
// The padding is trimmed byte by byte: a string cutset is read as runes, so
// "\xff" in one would match every invalid UTF-8 byte (0x80, 0xFE, 0xC3, ...)
// and hide it from the printable check below.
func (d *decoder) partNumber(off, n int) {
	raw := d.b[off : off+n]
	end := len(raw)
	for end > 0 && isPartNumberPad(raw[end-1]) {
		end--
	}
	s := strings.TrimLeft(string(raw[:end]), " ")
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			d.m.warnf("part number (bytes %d-%d) has non-printable byte 0x%02x; field ignored (raw % X)", off, off+n-1, s[i], raw)
			return
		}
	}
	d.m.PartNumber = s
}

// isPartNumberPad reports whether b pads a part number: space as JEDEC
// specifies, NUL and the erased-EEPROM 0xFF as modules in the field use.
func isPartNumberPad(b byte) bool { return b == ' ' || b == 0x00 || b == 0xff }

func allBytes(b []byte, v byte) bool {
	for _, c := range b {
		if c != v {
			return false
		}
	}
	return true
}

// CRC16 computes the SPD CRC: CRC-16/XMODEM (polynomial 0x1021, initial value
// 0, no reflection), as JEDEC 21-C and JESD400-5 define it.
func CRC16(data []byte) uint16 {
	var crc uint16
	for _, c := range data {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
