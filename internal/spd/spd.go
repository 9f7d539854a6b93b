// Package spd decodes JEDEC Serial Presence Detect (SPD) EEPROM images of
// DDR3, DDR4, LPDDR3/4/4X, DDR5 and LPDDR5/5X memory, and finds the SPD
// EEPROMs Linux exposes under sysfs (see Find).
//
// SMBIOS names only the module maker, and often badly; the SPD names both the
// module maker and the maker of the DRAM dies on it, which is how a Kingston
// or HPE module built on Micron dies is recognised as carrying Micron
// products.
//
// Byte layouts follow JEDEC 21-C Annex K (DDR3), Annex L (DDR4), Annex M
// (LPDDR3/4), JESD400-5 (DDR5) and JESD406-5 (LPDDR5), as implemented by
// illumos libjedec (libjedec_spd_*.c), Linux i2c-tools decode-dimms and
// coreboot. Where those sources disagree the choice is commented in place.
//
// Decode is pure: it reads only the byte slice it is given.
package spd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/memledger/memledger/internal/jep106"
)

// Key byte 2 (DRAM device type) values, shared by every SPD generation.
const (
	typeDDR3    = 0x0b
	typeDDR4    = 0x0c
	typeLPDDR3  = 0x0f
	typeLPDDR4  = 0x10
	typeLPDDR4X = 0x11
	typeDDR5    = 0x12
	typeLPDDR5  = 0x13
	typeLPDDR5X = 0x15
)

// keyByte is the offset of the DRAM device type byte.
const keyByte = 2

// unsupportedTypes names device types that are recognised but whose SPD
// layout this package does not decode, so that the error says what it is.
var unsupportedTypes = map[byte]string{
	0x01: "FPM DRAM", 0x02: "EDO", 0x03: "pipelined nibble", 0x04: "SDR SDRAM",
	0x05: "ROM", 0x06: "DDR SGRAM", 0x07: "DDR SDRAM", 0x08: "DDR2 SDRAM",
	0x09: "DDR2 FB-DIMM", 0x0a: "DDR2 FB-DIMM probe", 0x0e: "DDR4E SDRAM",
	0x14: "DDR5 NVDIMM-P",
}

// Errors wrapped by Decode; test with errors.Is.
var (
	// ErrTooShort: the image is too short to hold even the key byte.
	ErrTooShort = errors.New("spd: image too short")
	// ErrUnknownType: byte 2 names no memory type this package decodes.
	ErrUnknownType = errors.New("spd: unsupported memory type")
	// ErrTruncated: the image stops before the end of its layout; Decode
	// still returns what it could read (see TruncatedError).
	ErrTruncated = errors.New("spd: image truncated")
)

// MinImageBytes is the shortest input taken for an SPD image rather than a
// fragment of one. Every EEPROM of the generations decoded here holds at
// least 256 bytes (DDR3 256, DDR4 512, DDR5 1024), drivers that expose only
// part of one (at24 on a DDR4) give its first 256, and the first 128 hold
// the base configuration of every generation. Decode reads any prefix that
// holds the key byte, since a partial read still says what it can (see
// TruncatedError); callers given a file said to be an SPD image refuse one
// shorter than this, which is noise or a mistyped dump, not a module.
const MinImageBytes = 128

// Region is a named byte range of an SPD image; End is inclusive, as the
// JEDEC tables write ranges.
type Region struct {
	Name       string
	Start, End int
}

func (r Region) String() string { return fmt.Sprintf("%s (bytes %d-%d)", r.Name, r.Start, r.End) }

// TruncatedError is returned, together with a partially filled Module, when
// an image ends before fields its layout defines (for example a DDR4 EEPROM
// read through the at24 driver, which exposes only the first 256 of its 512
// bytes). Fields in Missing are left at their zero values.
type TruncatedError struct {
	MemoryType string
	Len        int      // bytes present in the image
	Missing    []Region // fields that lie (partly) beyond Len
}

func (e *TruncatedError) Error() string {
	names := make([]string, len(e.Missing))
	for i, r := range e.Missing {
		names[i] = r.String()
	}
	return fmt.Sprintf("spd: %s image has only %d bytes; missing %s", e.MemoryType, e.Len, strings.Join(names, ", "))
}

// Unwrap returns ErrTruncated.
func (e *TruncatedError) Unwrap() error { return ErrTruncated }

// CRC is one CRC-16 check of an SPD region. Start and End (inclusive) bound
// the bytes covered; the stored value sits, least significant byte first, in
// the two bytes after End.
type CRC struct {
	Name             string
	Start, End       int
	Stored, Computed uint16
}

// OK reports whether the stored CRC matches the computed one.
func (c CRC) OK() bool { return c.Stored == c.Computed }

// Module is what an SPD image says about a memory module.
type Module struct {
	// MemoryType uses the SMBIOS/dmidecode spelling: "DDR3", "DDR4",
	// "LPDDR3", "LPDDR4", "LPDDR4X", "DDR5", "LPDDR5", "LPDDR5X".
	MemoryType string
	// ModuleType is the form factor: "RDIMM", "UDIMM", "SODIMM", "LRDIMM",
	// "SOLDER" (soldered down), "MINI-RDIMM", "CUDIMM", "CAMM2", ... It is ""
	// when the byte holds a value this package does not know (see Warnings).
	ModuleType string

	// ModuleManufacturer and DRAMManufacturer are the JEP106 ids of the
	// module maker and of the maker of the DRAM dies. They are only
	// meaningful when the matching ...OK field is true: false means the
	// bytes are unset (00 00, FF FF), carry a bad id-byte parity or name a
	// bank beyond JEP106; never a guess. As in libjedec and decode-dimms the
	// parity bit of the continuation byte is not enforced (bits 6:0 give the
	// bank; real modules and the illumos test data get it wrong), which is
	// noted in Warnings when it happens.
	ModuleManufacturer, DRAMManufacturer     jep106.ID
	ModuleManufacturerOK, DRAMManufacturerOK bool
	// Raw manufacturer bytes as stored (continuation byte, id byte), kept
	// as evidence.
	ModuleManufacturerBytes, DRAMManufacturerBytes [2]byte

	// PartNumber is the ASCII part number with trailing spaces, NULs and
	// 0xFF padding removed; "" when absent or not printable ASCII.
	PartNumber string
	// SerialNumber is the 4 serial bytes as 8 uppercase hex digits, as
	// illumos prints them ("32297BC1"); "" when all bytes are 00 or FF.
	SerialNumber string
	// ManufactureYear (e.g. 2018) and ManufactureWeek (1-53) come from the
	// BCD date bytes; 0 when unset or not valid BCD.
	ManufactureYear, ManufactureWeek int

	// SizeBytes is the module capacity computed from die density, package
	// ranks, device and bus widths (and 3DS die count); 0 when the fields
	// are missing or hold reserved values, for asymmetric (mixed-rank)
	// modules, and for LPDDR types, whose per-channel/per-die geometry this
	// package does not turn into a capacity.
	SizeBytes uint64

	// Revision is the SPD revision from byte 1, e.g. "1.1".
	Revision string
	// BytesUsed and BytesTotal are the EEPROM sizes declared in byte 0
	// (0 when undefined; DDR5/LPDDR5 declare no "used" size).
	BytesUsed, BytesTotal int

	// CRCs lists every CRC region present in the image and checked. A
	// mismatch is not a decoding error: callers decide how to warn.
	CRCs []CRC

	// Warnings lists oddities found while decoding (bad BCD date, unknown
	// module type value, wrong continuation parity, ...), for logs and
	// evidence. They never change what the other fields claim.
	Warnings []string
}

// CRCOK reports whether at least one CRC was checked and every checked CRC
// matches. A truncated image whose CRC bytes are missing is not "OK".
func (m *Module) CRCOK() bool {
	if len(m.CRCs) == 0 {
		return false
	}
	for _, c := range m.CRCs {
		if !c.OK() {
			return false
		}
	}
	return true
}

func (m *Module) warnf(format string, args ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...))
}

// Decode decodes an SPD image.
//
// It returns an error wrapping ErrTooShort when the image cannot hold the key
// byte, and ErrUnknownType when byte 2 names a memory type it does not decode
// (the message names the byte and, where known, the type). When the image is
// shorter than its layout it returns the Module filled from the bytes present
// together with a *TruncatedError (wrapping ErrTruncated) listing the missing
// fields, so callers can still report the module. A CRC mismatch is not an
// error: it shows in Module.CRCs and CRCOK.
func Decode(b []byte) (*Module, error) {
	if len(b) <= keyByte {
		return nil, fmt.Errorf("spd: image of %d bytes has no key byte at offset %d: %w", len(b), keyByte, ErrTooShort)
	}
	var l *layout
	switch b[keyByte] {
	case typeDDR3:
		l = &ddr3Layout
	case typeDDR4:
		l = &ddr4Layout
	case typeLPDDR3:
		l = lp4Layout("LPDDR3")
	case typeLPDDR4:
		l = lp4Layout("LPDDR4")
	case typeLPDDR4X:
		l = lp4Layout("LPDDR4X")
	case typeDDR5:
		l = &ddr5Layout
	case typeLPDDR5:
		l = lp5Layout("LPDDR5")
	case typeLPDDR5X:
		l = lp5Layout("LPDDR5X")
	default:
		if name, ok := unsupportedTypes[b[keyByte]]; ok {
			return nil, fmt.Errorf("spd: byte %d (memory type) is 0x%02x (%s), whose SPD layout is not decoded: %w", keyByte, b[keyByte], name, ErrUnknownType)
		}
		return nil, fmt.Errorf("spd: byte %d (memory type) holds unknown value 0x%02x: %w", keyByte, b[keyByte], ErrUnknownType)
	}
	d := &decoder{b: b, l: l, m: &Module{MemoryType: l.memoryType}}
	d.decode()
	if len(d.missing) > 0 {
		return d.m, &TruncatedError{MemoryType: l.memoryType, Len: len(b), Missing: d.missing}
	}
	return d.m, nil
}
