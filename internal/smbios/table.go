package smbios

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Structure types this package decodes or needs to recognise.
const (
	TypeSystem       uint8 = 1
	TypeBaseboard    uint8 = 2
	TypeMemoryDevice uint8 = 17
	TypeEndOfTable   uint8 = 127
)

// headerLen is the size of the header every structure starts with:
// type (1), length (1), handle (2).
const headerLen = 4

// DefaultRawVersion is the version assumed for a raw structure table that
// comes without an entry point. 3.3.0 is used, as siderolabs/go-smbios does
// for the same input, because every field decoded here is gated by the
// structure's own Length (as dmidecode does), never by the version; the
// version only decides the UUID byte order, and every firmware that ships
// a bare table (Linux sysfs era, SMBIOS >= 2.6) uses the little-endian one.
var DefaultRawVersion = Version{Major: 3, Minor: 3, Revision: 0}

// Structure is one SMBIOS structure, undecoded.
type Structure struct {
	Type   uint8
	Length uint8 // length of the formatted area, header included
	Handle uint16
	// Data is the formatted area including the 4-byte header, so the
	// offsets of DSP0134 index it directly (Data[0x04] is the first field).
	// It aliases the buffer passed to the parser.
	Data []byte
	// Strings is the string set, unmodified (no trimming or filtering).
	// String number n (1-based, as stored in the formatted area) is
	// Strings[n-1]. As in dmidecode, the set ends at the first empty
	// string.
	Strings []string
	// Offset of the structure from the start of the table.
	Offset int
}

// Table is a decoded structure table.
type Table struct {
	// Version comes from the entry point, or is DefaultRawVersion for a
	// raw table.
	Version Version
	// EntryPoint is the decoded entry point; nil for a raw table.
	EntryPoint *EntryPoint
	// Structures in table order, up to and including the end-of-table
	// (type 127) structure when there is one.
	Structures []Structure
}

// ParseTable decodes a raw structure table (such as
// /sys/firmware/dmi/tables/DMI) that follows SMBIOS version v.
//
// It stops after the end-of-table structure (type 127), at the end of b, or
// at zero padding after the last structure. When a structure is broken (a
// length below 4, a formatted area or string set running past the end of b)
// ParseTable returns the structures decoded before it together with an
// error naming the broken structure's offset and handle, so callers can
// warn and carry on with what was read. The returned *Table is never nil.
func ParseTable(b []byte, v Version) (*Table, error) {
	t, err := parseTable(b, v, 0)
	if err != nil {
		return t, fmt.Errorf("smbios: %w", err)
	}
	return t, nil
}

// parseTable is ParseTable that also stops after maxCount structures when
// maxCount > 0 (the count a 2.x entry point announces). Its errors are not
// yet prefixed with the package name.
func parseTable(b []byte, v Version, maxCount int) (*Table, error) {
	t := &Table{Version: v}
	// Real tables average well over 32 bytes per structure; the estimate
	// is bounded by len(b), so a hostile count cannot inflate it.
	t.Structures = make([]Structure, 0, len(b)/32+1)
	// One copy of the table backs every string of every structure, so
	// decoding costs one allocation for all strings instead of one each.
	text := string(b)
	off := 0
	stopped := false // true when the table ended by count, type 127 or padding
	for off+headerLen <= len(b) {
		if maxCount > 0 && len(t.Structures) >= maxCount {
			stopped = true
			break
		}
		typ, length := b[off], int(b[off+1])
		handle := binary.LittleEndian.Uint16(b[off+2:])
		if length < headerLen {
			if allZero(b[off:]) {
				// Zero padding after the last structure (seen in tables
				// without a type-127 terminator): the table is over.
				stopped = true
				break
			}
			return t, fmt.Errorf("structure at offset %d (type %d, handle 0x%04X): %w: length %d is below the 4-byte header, the rest of the table cannot be located", off, typ, handle, ErrMalformed, length)
		}
		if off+length > len(b) {
			return t, fmt.Errorf("structure at offset %d (type %d, handle 0x%04X): %w: formatted area of %d bytes runs past the table end at %d", off, typ, handle, ErrTruncated, length, len(b))
		}
		strStart := off + length
		// The string set ends with a double NUL; a structure without
		// strings is followed directly by the two NULs.
		end := bytes.Index(b[strStart:], []byte{0, 0})
		if end < 0 {
			return t, fmt.Errorf("structure at offset %d (type %d, handle 0x%04X): %w: string set starting at offset %d has no double-NUL terminator before the table end at %d", off, typ, handle, ErrTruncated, strStart, len(b))
		}
		t.Structures = append(t.Structures, Structure{
			Type:    typ,
			Length:  uint8(length),
			Handle:  handle,
			Data:    b[off:strStart:strStart],
			Strings: splitStrings(text[strStart : strStart+end]),
			Offset:  off,
		})
		off = strStart + end + 2
		if typ == TypeEndOfTable {
			stopped = true
			break
		}
	}
	if !stopped && off < len(b) && !allZero(b[off:]) {
		return t, fmt.Errorf("%w: %d stray bytes at offset %d after the last structure are too few for a structure header", ErrTruncated, len(b)-off, off)
	}
	return t, nil
}

// splitStrings splits a string set (without its final double NUL) into its
// strings. It stops at the first empty string, as dmidecode's string lookup
// does, so what it returns is exactly what dmidecode can reach.
func splitStrings(set string) []string {
	if len(set) == 0 || set[0] == 0 {
		return nil
	}
	out := make([]string, 0, strings.Count(set, "\x00")+1)
	for len(set) > 0 {
		i := strings.IndexByte(set, 0)
		if i == 0 {
			break // empty string: the set ends here
		}
		if i < 0 {
			out = append(out, set)
			break
		}
		out = append(out, set[:i])
		set = set[i+1:]
	}
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// ParseDumpBin decodes a `dmidecode --dump-bin` file: an entry point at
// offset 0 and the structure table at the file offset the entry point
// gives (0x20 in every dump dmidecode writes). A table shorter than the
// entry point announces is decoded as far as it goes; for SMBIOS 3.x that
// is normal, since the announced length is only a maximum. A 2.x table
// length is exact: a 2.x table that ends before it, short of the
// announced structure count and of an end-of-table structure, gives its
// structures and an error wrapping ErrTruncated. For a 2.x entry point
// decoding also stops after the announced structure count.
//
// The result is nil only when the entry point is unusable; a broken table
// gives the structures before the break plus an error, as ParseTable.
func ParseDumpBin(b []byte) (*Table, error) {
	ep, err := parseEntryPoint(b)
	if err != nil {
		return nil, fmt.Errorf("smbios: dump-bin: %w", err)
	}
	if ep.TableAddress > uint64(len(b)) {
		return nil, fmt.Errorf("smbios: dump-bin: %w: entry point puts the table at offset %d, beyond the %d-byte file", ErrTruncated, ep.TableAddress, len(b))
	}
	if ep.TableAddress < uint64(ep.Length) {
		return nil, fmt.Errorf("smbios: dump-bin: %w: entry point puts the table at offset %d, inside the %d-byte entry point", ErrMalformed, ep.TableAddress, ep.Length)
	}
	table := b[ep.TableAddress:]
	if uint64(len(table)) > uint64(ep.TableLength) {
		table = table[:ep.TableLength]
	}
	return withEntryPoint(ep, table, "dump-bin")
}

// ParseSysfs decodes the pair of files Linux exports under
// /sys/firmware/dmi/tables: smbios_entry_point (entry) and DMI (table).
// The table is cut to the length the entry point announces, as dmidecode
// does.
func ParseSysfs(entry, table []byte) (*Table, error) {
	ep, err := parseEntryPoint(entry)
	if err != nil {
		return nil, fmt.Errorf("smbios: sysfs smbios_entry_point: %w", err)
	}
	if uint64(len(table)) > uint64(ep.TableLength) {
		table = table[:ep.TableLength]
	}
	return withEntryPoint(ep, table, "sysfs DMI")
}

func withEntryPoint(ep EntryPoint, table []byte, what string) (*Table, error) {
	t, err := parseTable(table, ep.Version, int(ep.StructureCount))
	t.EntryPoint = &ep
	if err == nil && !ep.Is64Bit && uint64(len(table)) < uint64(ep.TableLength) &&
		len(t.Structures) < int(ep.StructureCount) && !endsTable(t) {
		// A 2.x table length is exact: a table that ends early, even
		// between two structures, was cut short.
		err = fmt.Errorf("%w: the table ends at byte %d of the %d the entry point announces, after %d of its %d structures",
			ErrTruncated, len(table), ep.TableLength, len(t.Structures), ep.StructureCount)
	}
	if err != nil {
		return t, fmt.Errorf("smbios: %s table (SMBIOS %s): %w", what, ep.Version, err)
	}
	return t, nil
}

// endsTable reports whether t's last structure is the end-of-table one.
func endsTable(t *Table) bool {
	n := len(t.Structures)
	return n > 0 && t.Structures[n-1].Type == TypeEndOfTable
}

// Parse decodes b whatever its kind: when b starts with an entry point
// anchor it is taken as a dmidecode --dump-bin file (ParseDumpBin),
// otherwise as a raw structure table with DefaultRawVersion (see there for
// why 3.3.0 is a safe assumption).
func Parse(b []byte) (*Table, error) {
	if hasEntryPointAnchor(b) {
		return ParseDumpBin(b)
	}
	return ParseTable(b, DefaultRawVersion)
}

// StructuresOfType returns the structures of type typ, in table order.
func (t *Table) StructuresOfType(typ uint8) []*Structure {
	var out []*Structure
	for i := range t.Structures {
		if t.Structures[i].Type == typ {
			out = append(out, &t.Structures[i])
		}
	}
	return out
}

// first returns the first structure of type typ, or nil.
func (t *Table) first(typ uint8) *Structure {
	for i := range t.Structures {
		if t.Structures[i].Type == typ {
			return &t.Structures[i]
		}
	}
	return nil
}

// Has reports whether the formatted area holds n bytes from offset off, i.e.
// whether the structure is long enough to carry a field there.
func (s *Structure) Has(off, n int) bool { return off >= 0 && n >= 0 && off+n <= len(s.Data) }

// Byte returns the byte at offset off of the formatted area, 0 when the
// structure is too short to carry it.
func (s *Structure) Byte(off int) uint8 {
	if !s.Has(off, 1) {
		return 0
	}
	return s.Data[off]
}

// Word returns the little-endian uint16 at offset off, 0 when absent.
func (s *Structure) Word(off int) uint16 {
	if !s.Has(off, 2) {
		return 0
	}
	return binary.LittleEndian.Uint16(s.Data[off:])
}

// DWord returns the little-endian uint32 at offset off, 0 when absent.
func (s *Structure) DWord(off int) uint32 {
	if !s.Has(off, 4) {
		return 0
	}
	return binary.LittleEndian.Uint32(s.Data[off:])
}

// BadIndex is what a string reference beyond the string set decodes to, the
// marker dmidecode prints in the same case.
const BadIndex = "<BAD INDEX>"

// String returns string number index of the structure, rendered as
// dmidecode renders it: bytes outside printable ASCII replaced by '.', and
// (unlike dmidecode's full output) trailing spaces trimmed, since BIOSes pad
// fixed-width fields with them. Index 0 means "no string" (dmidecode prints
// "Not Specified") and yields "". An index beyond the string set yields
// BadIndex and an error wrapping ErrBadStringIndex.
func (s *Structure) String(index uint8) (string, error) {
	v, ok := s.lookupString(index)
	if !ok {
		return v, fmt.Errorf("smbios: structure at offset %d (type %d, handle 0x%04X): %w: string %d requested, %d present", s.Offset, s.Type, s.Handle, ErrBadStringIndex, index, len(s.Strings))
	}
	return v, nil
}

// lookupString is String without the error: ok is false for an index
// beyond the string set (the value is then BadIndex).
func (s *Structure) lookupString(index uint8) (string, bool) {
	if index == 0 {
		return "", true
	}
	if int(index) > len(s.Strings) {
		return BadIndex, false
	}
	return cleanString(s.Strings[index-1]), true
}

// stringField is lookupString for the string number stored at offset off
// of the formatted area; a structure too short for the field yields "".
func (s *Structure) stringField(off int) string {
	if !s.Has(off, 1) {
		return ""
	}
	v, _ := s.lookupString(s.Data[off])
	return v
}

// cleanString filters non-printable bytes to '.' (dmidecode's ascii_filter)
// and trims trailing spaces. It allocates only when it has to filter.
func cleanString(s string) string {
	printable := true
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] >= 127 {
			printable = false
			break
		}
	}
	if !printable {
		b := []byte(s)
		for i, c := range b {
			if c < 32 || c >= 127 {
				b[i] = '.'
			}
		}
		s = string(b)
	}
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		end--
	}
	return s[:end]
}
