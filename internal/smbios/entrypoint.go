package smbios

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors; every error returned by this package wraps one of them
// (test with errors.Is) and adds what and where.
var (
	// ErrNoEntryPoint: the bytes do not start with an SMBIOS anchor.
	ErrNoEntryPoint = errors.New("no SMBIOS entry point anchor")
	// ErrChecksum: an entry point checksum does not add up to zero.
	ErrChecksum = errors.New("bad checksum")
	// ErrTruncated: the input ends before a structure it announces.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: a length or offset field is impossible.
	ErrMalformed = errors.New("malformed")
	// ErrBadStringIndex: a structure refers to a string it does not carry.
	ErrBadStringIndex = errors.New("string index beyond string set")
	// ErrBadValue: a field holds a value no real device has.
	ErrBadValue = errors.New("implausible field value")
)

// Entry point anchors (DSP0134 5.2).
var (
	anchor21     = []byte("_SM_")
	anchor30     = []byte("_SM3_")
	anchorLegacy = []byte("_DMI_")
)

// Entry point sizes.
const (
	entryPoint21Len     = 0x1F // 31 bytes; 0x1E is accepted in the length field (SMBIOS 2.1 erratum)
	entryPoint30Len     = 0x18 // 24 bytes
	entryPointLegacyLen = 0x0F // 15 bytes, the bare _DMI_ structure
)

// Version is an SMBIOS specification version. Revision (the "docrev") is
// only carried by SMBIOS 3.x entry points and is 0 otherwise.
type Version struct{ Major, Minor, Revision uint8 }

// String renders the version as "3.2.0".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Revision) }

// AtLeast reports whether v is major.minor or later (Revision ignored).
func (v Version) AtLeast(major, minor uint8) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// EntryPoint is a decoded SMBIOS entry point structure.
type EntryPoint struct {
	// Version of the SMBIOS specification the table follows, after the
	// fix-ups dmidecode applies to known-bad BIOS values (2.31 and 2.33 are
	// read as 2.3, 2.51 as 2.6).
	Version Version
	// TableAddress is the physical address of the structure table; in a
	// dmidecode --dump-bin file it is the file offset of the table (0x20).
	TableAddress uint64
	// TableLength is the table length in bytes. For SMBIOS 3.x (Is64Bit) it
	// is only the maximum length: the table ends at the type-127 structure.
	TableLength uint32
	// StructureCount is the number of structures announced by a 2.x or
	// legacy entry point; 0 for 3.x, which does not announce one.
	StructureCount uint16
	// Is64Bit is true for the SMBIOS 3.x "_SM3_" entry point.
	Is64Bit bool
	// Length is the entry point's own length in bytes.
	Length int
}

// ParseEntryPoint decodes the entry point at the start of b: a 2.1 "_SM_"
// entry point (31 bytes, with its "_DMI_" intermediate structure), a 3.x
// "_SM3_" entry point (24 bytes) or a legacy bare "_DMI_" structure (15
// bytes). All checksums are verified; a bad one yields an error that wraps
// ErrChecksum and names the checksum. Trailing bytes after the entry point
// are ignored.
func ParseEntryPoint(b []byte) (EntryPoint, error) {
	ep, err := parseEntryPoint(b)
	if err != nil {
		return EntryPoint{}, fmt.Errorf("smbios: %w", err)
	}
	return ep, nil
}

// parseEntryPoint is ParseEntryPoint with errors not yet prefixed, for
// callers that add their own context.
func parseEntryPoint(b []byte) (EntryPoint, error) {
	switch {
	case bytes.HasPrefix(b, anchor30):
		return parseEntryPoint30(b)
	case bytes.HasPrefix(b, anchor21):
		return parseEntryPoint21(b)
	case bytes.HasPrefix(b, anchorLegacy):
		return parseEntryPointLegacy(b)
	}
	n := min(len(b), 5)
	return EntryPoint{}, fmt.Errorf("entry point at offset 0: %w (found %q, want _SM_, _SM3_ or _DMI_)", ErrNoEntryPoint, b[:n])
}

// hasEntryPointAnchor reports whether b starts with one of the anchors.
func hasEntryPointAnchor(b []byte) bool {
	return bytes.HasPrefix(b, anchor30) || bytes.HasPrefix(b, anchor21) || bytes.HasPrefix(b, anchorLegacy)
}

// checksum returns the 8-bit sum of b; valid SMBIOS checksummed areas sum to 0.
func checksum(b []byte) uint8 {
	var s uint8
	for _, c := range b {
		s += c
	}
	return s
}

func parseEntryPoint30(b []byte) (EntryPoint, error) {
	if len(b) < entryPoint30Len {
		return EntryPoint{}, fmt.Errorf("_SM3_ entry point: %w: %d bytes, need %d", ErrTruncated, len(b), entryPoint30Len)
	}
	epLen := int(b[0x06])
	if epLen < entryPoint30Len {
		return EntryPoint{}, fmt.Errorf("_SM3_ entry point: %w: length field (offset 0x06) is %d, minimum %d", ErrMalformed, epLen, entryPoint30Len)
	}
	if epLen > len(b) {
		return EntryPoint{}, fmt.Errorf("_SM3_ entry point: %w: length field (offset 0x06) is %d but only %d bytes given", ErrTruncated, epLen, len(b))
	}
	if s := checksum(b[:epLen]); s != 0 {
		return EntryPoint{}, fmt.Errorf("_SM3_ entry point: %w: entry point checksum (offset 0x05, over %d bytes) sums to 0x%02X, want 0", ErrChecksum, epLen, s)
	}
	return EntryPoint{
		Version:      Version{Major: b[0x07], Minor: b[0x08], Revision: b[0x09]},
		TableLength:  binary.LittleEndian.Uint32(b[0x0C:]),
		TableAddress: binary.LittleEndian.Uint64(b[0x10:]),
		Is64Bit:      true,
		Length:       epLen,
	}, nil
}

func parseEntryPoint21(b []byte) (EntryPoint, error) {
	// The intermediate _DMI_ structure ends at 0x1F whatever the length
	// field says, so 31 bytes are needed in every case.
	if len(b) < entryPoint21Len {
		return EntryPoint{}, fmt.Errorf("_SM_ entry point: %w: %d bytes, need %d", ErrTruncated, len(b), entryPoint21Len)
	}
	epLen := int(b[0x05])
	// 0x1E is accepted because SMBIOS 2.1 itself documented that value.
	if epLen < 0x1E {
		return EntryPoint{}, fmt.Errorf("_SM_ entry point: %w: length field (offset 0x05) is %d, minimum 30", ErrMalformed, epLen)
	}
	if epLen > len(b) {
		return EntryPoint{}, fmt.Errorf("_SM_ entry point: %w: length field (offset 0x05) is %d but only %d bytes given", ErrTruncated, epLen, len(b))
	}
	if s := checksum(b[:epLen]); s != 0 {
		return EntryPoint{}, fmt.Errorf("_SM_ entry point: %w: entry point checksum (offset 0x04, over %d bytes) sums to 0x%02X, want 0", ErrChecksum, epLen, s)
	}
	if !bytes.Equal(b[0x10:0x15], anchorLegacy) {
		return EntryPoint{}, fmt.Errorf("_SM_ entry point: %w: intermediate anchor at offset 0x10 is %q, want \"_DMI_\"", ErrMalformed, b[0x10:0x15])
	}
	if s := checksum(b[0x10:0x1F]); s != 0 {
		return EntryPoint{}, fmt.Errorf("_SM_ entry point: %w: intermediate _DMI_ checksum (offset 0x15, over 15 bytes) sums to 0x%02X, want 0", ErrChecksum, s)
	}
	return EntryPoint{
		Version:        fixupVersion(Version{Major: b[0x06], Minor: b[0x07]}),
		TableLength:    uint32(binary.LittleEndian.Uint16(b[0x16:])),
		TableAddress:   uint64(binary.LittleEndian.Uint32(b[0x18:])),
		StructureCount: binary.LittleEndian.Uint16(b[0x1C:]),
		Length:         epLen,
	}, nil
}

func parseEntryPointLegacy(b []byte) (EntryPoint, error) {
	if len(b) < entryPointLegacyLen {
		return EntryPoint{}, fmt.Errorf("legacy _DMI_ entry point: %w: %d bytes, need %d", ErrTruncated, len(b), entryPointLegacyLen)
	}
	if s := checksum(b[:entryPointLegacyLen]); s != 0 {
		return EntryPoint{}, fmt.Errorf("legacy _DMI_ entry point: %w: checksum (offset 0x05, over 15 bytes) sums to 0x%02X, want 0", ErrChecksum, s)
	}
	bcd := b[0x0E] // BCD revision: 0x21 is DMI 2.1
	return EntryPoint{
		Version:        Version{Major: bcd >> 4, Minor: bcd & 0x0F},
		TableLength:    uint32(binary.LittleEndian.Uint16(b[0x06:])),
		TableAddress:   uint64(binary.LittleEndian.Uint32(b[0x08:])),
		StructureCount: binary.LittleEndian.Uint16(b[0x0C:]),
		Length:         entryPointLegacyLen,
	}, nil
}

// fixupVersion corrects SMBIOS versions that some BIOSes report wrongly,
// exactly as dmidecode does (dmi_fixup_version): 2.31 and 2.33 mean 2.3,
// 2.51 means 2.6.
func fixupVersion(v Version) Version {
	switch {
	case v.Major == 2 && (v.Minor == 0x1F || v.Minor == 0x21):
		v.Minor = 3
	case v.Major == 2 && v.Minor == 0x33:
		v.Minor = 6
	}
	return v
}
