// Package smbiostest builds synthetic SMBIOS tables, entry points and
// dmidecode --dump-bin images for tests. It writes bytes only and does not
// import the decoder, so tests of any package (the decoder's own included)
// can use it.
//
// Typical use:
//
//	b := smbiostest.NewBuilder()
//	b.AddSystem(smbiostest.System{Manufacturer: "Dell Inc.", ...})
//	b.AddMemoryDevice(smbiostest.MemoryDevice{Size: 16384, Type: 0x1A, ...})
//	b.AddEndOfTable()
//	table := b.Bytes()
//	dump := smbiostest.DumpBin(smbiostest.EntryPoint30(3, 3, 0, uint32(len(table))), table)
package smbiostest

import "encoding/binary"

// Builder accumulates SMBIOS structures. Handles are assigned in order
// starting at 0 unless given explicitly. The zero value is ready to use.
type Builder struct {
	buf        []byte
	nextHandle uint16
	count      int
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{} }

// Bytes returns a copy of the table built so far.
func (b *Builder) Bytes() []byte { return append([]byte(nil), b.buf...) }

// Len returns the table length in bytes so far.
func (b *Builder) Len() int { return len(b.buf) }

// Count returns the number of structures added so far.
func (b *Builder) Count() int { return b.count }

// AddStructure appends a structure with the given type, formatted-area
// body (the bytes after the 4-byte header) and string set, and returns its
// handle. The length byte is 4+len(body); a body longer than 251 bytes is
// a programming error and panics. Strings are written as given, so an
// empty string produces the premature set terminator firmware bugs create;
// no strings produce the bare double NUL.
func (b *Builder) AddStructure(typ uint8, body []byte, strs ...string) uint16 {
	h := b.nextHandle
	b.AddStructureWithHandle(typ, h, body, strs...)
	return h
}

// AddStructureWithHandle is AddStructure with an explicit handle.
func (b *Builder) AddStructureWithHandle(typ uint8, handle uint16, body []byte, strs ...string) {
	if len(body) > 255-4 {
		panic("smbiostest: structure body longer than 251 bytes")
	}
	b.buf = append(b.buf, typ, uint8(4+len(body)))
	b.buf = binary.LittleEndian.AppendUint16(b.buf, handle)
	b.buf = append(b.buf, body...)
	b.buf = append(b.buf, StringSet(strs...)...)
	b.count++
	if handle >= b.nextHandle {
		b.nextHandle = handle + 1
	}
}

// AddRaw appends bytes verbatim (for truncated or corrupt tables). It does
// not count as a structure.
func (b *Builder) AddRaw(p []byte) { b.buf = append(b.buf, p...) }

// AddEndOfTable appends the type-127 end-of-table structure.
func (b *Builder) AddEndOfTable() uint16 { return b.AddStructure(127, nil) }

// StringSet encodes strings as an SMBIOS string set: each string followed
// by NUL, the set followed by one more NUL; an empty set is two NULs.
func StringSet(strs ...string) []byte {
	if len(strs) == 0 {
		return []byte{0, 0}
	}
	var out []byte
	for _, s := range strs {
		out = append(out, s...)
		out = append(out, 0)
	}
	return append(out, 0)
}

// stringTable assigns string numbers: "" gets 0 ("no string"), equal
// strings share a number, as firmware usually does.
type stringTable struct{ strs []string }

// field stores the number of string s at offset off of p when a structure
// of the given length carries that offset; otherwise s is not added.
func (st *stringTable) field(p body, length, off int, s string) {
	if off < length {
		p.u8(off, st.add(s))
	}
}

func (st *stringTable) add(s string) uint8 {
	if s == "" {
		return 0
	}
	for i, have := range st.strs {
		if have == s {
			return uint8(i + 1)
		}
	}
	st.strs = append(st.strs, s)
	return uint8(len(st.strs))
}

// body is a little-endian formatted-area writer addressed by DSP0134
// offsets (which count the 4-byte header).
type body []byte

func newBody(length int) body { return make(body, length-4) }

func (p body) u8(off int, v uint8)   { p[off-4] = v }
func (p body) u16(off int, v uint16) { binary.LittleEndian.PutUint16(p[off-4:], v) }
func (p body) u32(off int, v uint32) { binary.LittleEndian.PutUint32(p[off-4:], v) }
func (p body) u64(off int, v uint64) { binary.LittleEndian.PutUint64(p[off-4:], v) }

// System holds the type-1 fields the decoder reads. Length 0 means 0x1B
// (SMBIOS 2.4+, with SKU Number and Family).
type System struct {
	Length                                           uint8
	Manufacturer, ProductName, Version, SerialNumber string
	UUID                                             [16]byte // as stored in the table
	WakeUpType                                       uint8
	SKUNumber, Family                                string
}

// AddSystem appends a type-1 System Information structure; fields beyond
// Length are cut off and their strings not added.
func (b *Builder) AddSystem(s System) uint16 {
	length := int(s.Length)
	if length == 0 {
		length = 0x1B
	}
	full := newBody(0x1B)
	var st stringTable
	st.field(full, length, 0x04, s.Manufacturer)
	st.field(full, length, 0x05, s.ProductName)
	st.field(full, length, 0x06, s.Version)
	st.field(full, length, 0x07, s.SerialNumber)
	copy(full[0x08-4:], s.UUID[:])
	full.u8(0x18, s.WakeUpType)
	st.field(full, length, 0x19, s.SKUNumber)
	st.field(full, length, 0x1A, s.Family)
	return b.AddStructure(1, fit(full, length), st.strs...)
}

// Baseboard holds the type-2 fields the decoder reads. Length 0 means 0x0F
// (the usual length with no contained object handles).
type Baseboard struct {
	Length                                       uint8
	Manufacturer, Product, Version, SerialNumber string
	AssetTag                                     string
}

// AddBaseboard appends a type-2 Baseboard Information structure.
func (b *Builder) AddBaseboard(bb Baseboard) uint16 {
	length := int(bb.Length)
	if length == 0 {
		length = 0x0F
	}
	full := newBody(0x0F)
	var st stringTable
	st.field(full, length, 0x04, bb.Manufacturer)
	st.field(full, length, 0x05, bb.Product)
	st.field(full, length, 0x06, bb.Version)
	st.field(full, length, 0x07, bb.SerialNumber)
	st.field(full, length, 0x08, bb.AssetTag)
	full.u8(0x0D, 0x0A) // board type: Motherboard
	return b.AddStructure(2, fit(full, length), st.strs...)
}

// MemoryDevice holds raw type-17 field values, exactly as stored in the
// table (no unit conversion). Length selects the SMBIOS revision layout:
// 0x15 (2.1), 0x1B (2.3), 0x1C (2.6), 0x22 (2.7), 0x28 (2.8), 0x54 (3.2),
// 0x5C (3.3), 0x64 (3.7); 0 means 0x5C. Fields beyond Length are cut off
// and their strings not added. Empty strings are stored as string number 0.
type MemoryDevice struct {
	Length                                 uint8
	ArrayHandle, ErrorHandle               uint16
	TotalWidth, DataWidth                  uint16
	Size                                   uint16
	FormFactor, DeviceSet                  uint8
	Locator, BankLocator                   string
	Type                                   uint8
	TypeDetail                             uint16
	Speed                                  uint16
	Manufacturer, SerialNumber             string
	AssetTag, PartNumber                   string
	Attributes                             uint8
	ExtendedSize                           uint32
	ConfiguredSpeed                        uint16
	MinVoltage, MaxVoltage, ConfVoltage    uint16
	Technology                             uint8
	OperatingModeCapability                uint16
	FirmwareVersion                        string
	ModuleManufacturerID, ModuleProductID  uint16
	SubsystemControllerManufacturerID      uint16
	SubsystemControllerProductID           uint16
	NonVolatileSize, VolatileSize          uint64
	CacheSize, LogicalSize                 uint64
	ExtendedSpeed, ExtendedConfiguredSpeed uint32
	PMIC0ManufacturerID, PMIC0Revision     uint16
	RCDManufacturerID, RCDRevision         uint16
}

// MemoryDeviceLayout returns the formatted-area body (after the header)
// and the string set of a type-17 structure, for tests that corrupt them
// before calling AddStructure.
func MemoryDeviceLayout(md MemoryDevice) (body []byte, strs []string) {
	length := int(md.Length)
	if length == 0 {
		length = 0x5C
	}
	full := newBody(0x64)
	var st stringTable
	full.u16(0x04, md.ArrayHandle)
	full.u16(0x06, md.ErrorHandle)
	full.u16(0x08, md.TotalWidth)
	full.u16(0x0A, md.DataWidth)
	full.u16(0x0C, md.Size)
	full.u8(0x0E, md.FormFactor)
	full.u8(0x0F, md.DeviceSet)
	st.field(full, length, 0x10, md.Locator)
	st.field(full, length, 0x11, md.BankLocator)
	full.u8(0x12, md.Type)
	full.u16(0x13, md.TypeDetail)
	full.u16(0x15, md.Speed)
	st.field(full, length, 0x17, md.Manufacturer)
	st.field(full, length, 0x18, md.SerialNumber)
	st.field(full, length, 0x19, md.AssetTag)
	st.field(full, length, 0x1A, md.PartNumber)
	full.u8(0x1B, md.Attributes)
	full.u32(0x1C, md.ExtendedSize)
	full.u16(0x20, md.ConfiguredSpeed)
	full.u16(0x22, md.MinVoltage)
	full.u16(0x24, md.MaxVoltage)
	full.u16(0x26, md.ConfVoltage)
	full.u8(0x28, md.Technology)
	full.u16(0x29, md.OperatingModeCapability)
	st.field(full, length, 0x2B, md.FirmwareVersion)
	full.u16(0x2C, md.ModuleManufacturerID)
	full.u16(0x2E, md.ModuleProductID)
	full.u16(0x30, md.SubsystemControllerManufacturerID)
	full.u16(0x32, md.SubsystemControllerProductID)
	full.u64(0x34, md.NonVolatileSize)
	full.u64(0x3C, md.VolatileSize)
	full.u64(0x44, md.CacheSize)
	full.u64(0x4C, md.LogicalSize)
	full.u32(0x54, md.ExtendedSpeed)
	full.u32(0x58, md.ExtendedConfiguredSpeed)
	full.u16(0x5C, md.PMIC0ManufacturerID)
	full.u16(0x5E, md.PMIC0Revision)
	full.u16(0x60, md.RCDManufacturerID)
	full.u16(0x62, md.RCDRevision)
	return fit(full, length), st.strs
}

// AddMemoryDevice appends a type-17 Memory Device structure.
func (b *Builder) AddMemoryDevice(md MemoryDevice) uint16 {
	p, strs := MemoryDeviceLayout(md)
	return b.AddStructure(17, p, strs...)
}

// fit cuts or zero-extends a body to a structure length (header included).
func fit(full body, length int) []byte {
	if length < 4 {
		length = 4
	}
	out := make([]byte, length-4)
	copy(out, full)
	return out
}

// EntryPoint21 returns a valid 31-byte SMBIOS 2.1 "_SM_" entry point (both
// checksums correct) announcing version major.minor, a table of tableLen
// bytes holding count structures at address 0x20, where DumpBin puts it.
func EntryPoint21(major, minor uint8, tableLen, count uint16) []byte {
	ep := make([]byte, 0x1F)
	copy(ep, "_SM_")
	ep[0x05] = 0x1F
	ep[0x06], ep[0x07] = major, minor
	binary.LittleEndian.PutUint16(ep[0x08:], 0x100) // max structure size
	copy(ep[0x10:], "_DMI_")
	binary.LittleEndian.PutUint16(ep[0x16:], tableLen)
	binary.LittleEndian.PutUint32(ep[0x18:], 0x20)
	binary.LittleEndian.PutUint16(ep[0x1C:], count)
	ep[0x1E] = major<<4 | minor&0x0F
	ep[0x15] = -sum(ep[0x10:0x1F])
	ep[0x04] = -sum(ep[:0x1F])
	return ep
}

// EntryPoint30 returns a valid 24-byte SMBIOS 3.x "_SM3_" entry point
// announcing version major.minor.docrev and a table of at most tableMaxLen
// bytes at address 0x20.
func EntryPoint30(major, minor, docrev uint8, tableMaxLen uint32) []byte {
	ep := make([]byte, 0x18)
	copy(ep, "_SM3_")
	ep[0x06] = 0x18
	ep[0x07], ep[0x08], ep[0x09] = major, minor, docrev
	ep[0x0A] = 0x01 // entry point revision 3.0
	binary.LittleEndian.PutUint32(ep[0x0C:], tableMaxLen)
	binary.LittleEndian.PutUint64(ep[0x10:], 0x20)
	ep[0x05] = -sum(ep)
	return ep
}

// DumpBin lays out a dmidecode --dump-bin image: the entry point at 0,
// zero padding to 0x20, the table at 0x20.
func DumpBin(entryPoint, table []byte) []byte {
	out := make([]byte, 0x20, 0x20+len(table))
	copy(out, entryPoint)
	return append(out, table...)
}

func sum(p []byte) uint8 {
	var s uint8
	for _, c := range p {
		s += c
	}
	return s
}
