package smbios

import "fmt"

// UUID renderings for the two reserved UUID values, as dmidecode prints them.
const (
	// UUIDNotPresent: all bytes 0xFF, the system has no UUID.
	UUIDNotPresent = "Not Present"
	// UUIDNotSettable: all bytes 0x00, a UUID can exist but is not set.
	UUIDNotSettable = "Not Settable"
)

// SystemInfo is the decoded type-1 System Information structure. Strings
// are rendered as Structure.String does ("" for no string).
type SystemInfo struct {
	Handle       uint16
	Manufacturer string
	ProductName  string
	Version      string
	SerialNumber string
	// UUID is formatted as dmidecode formats it: lower-case
	// 8-4-4-4-12 hex, with the first three fields read little-endian when
	// the table version is 2.6 or later (the SMBIOS 2.6 rule) and in
	// network order before; UUIDNotPresent / UUIDNotSettable for the
	// reserved all-0xFF / all-0x00 values; "" when the structure is too
	// short to carry a UUID (before SMBIOS 2.1).
	UUID      string
	SKUNumber string // SMBIOS 2.4+, "" when absent
	Family    string // SMBIOS 2.4+, "" when absent
}

// BaseboardInfo is the decoded type-2 Baseboard (Module) Information
// structure.
type BaseboardInfo struct {
	Handle       uint16
	Manufacturer string
	Product      string
	Version      string
	SerialNumber string
	AssetTag     string // "" when absent
}

// System decodes the first type-1 structure. ok is false when the table has
// none or it is shorter than the 8 bytes that carry the four basic strings
// (dmidecode prints nothing for it either). String references beyond the
// string set read as BadIndex.
func (t *Table) System() (SystemInfo, bool) {
	s := t.first(TypeSystem)
	if s == nil || len(s.Data) < 0x08 {
		return SystemInfo{}, false
	}
	si := SystemInfo{
		Handle:       s.Handle,
		Manufacturer: s.stringField(0x04),
		ProductName:  s.stringField(0x05),
		Version:      s.stringField(0x06),
		SerialNumber: s.stringField(0x07),
	}
	if len(s.Data) >= 0x19 { // UUID and Wake-up Type, SMBIOS 2.1
		si.UUID = FormatUUID(s.Data[0x08:0x18], t.Version)
	}
	if len(s.Data) >= 0x1B {
		si.SKUNumber = s.stringField(0x19)
		si.Family = s.stringField(0x1A)
	}
	return si, true
}

// Baseboard decodes the first type-2 structure; ok is false when there is
// none or it is shorter than 8 bytes.
func (t *Table) Baseboard() (BaseboardInfo, bool) {
	s := t.first(TypeBaseboard)
	if s == nil || len(s.Data) < 0x08 {
		return BaseboardInfo{}, false
	}
	return BaseboardInfo{
		Handle:       s.Handle,
		Manufacturer: s.stringField(0x04),
		Product:      s.stringField(0x05),
		Version:      s.stringField(0x06),
		SerialNumber: s.stringField(0x07),
		AssetTag:     s.stringField(0x08),
	}, true
}

// FormatUUID renders a 16-byte SMBIOS UUID field as dmidecode does (see
// SystemInfo.UUID). It returns "" when p is not 16 bytes long.
func FormatUUID(p []byte, v Version) string {
	if len(p) != 16 {
		return ""
	}
	allFF, all00 := true, true
	for _, c := range p {
		allFF = allFF && c == 0xFF
		all00 = all00 && c == 0x00
	}
	switch {
	case allFF:
		return UUIDNotPresent
	case all00:
		return UUIDNotSettable
	}
	// SMBIOS 2.6 made the first three fields little-endian, which was what
	// most BIOSes did anyway; dmidecode swaps only from 2.6 on because some
	// older BIOSes followed RFC 4122 network order.
	if v.AtLeast(2, 6) {
		return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			p[3], p[2], p[1], p[0], p[5], p[4], p[7], p[6],
			p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15])
	}
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
		p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15])
}
