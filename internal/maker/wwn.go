package maker

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

//go:generate go test -run TableIsCurrent -update-tables .

// IEEE company ids (OUIs) in world wide identifiers.
//
// A drive's world wide name, EUI-64 or NGUID carries the IEEE company id of
// whoever assigned it, which for a drive is the drive's maker: an
// HPE-labelled Micron SSD keeps Micron's 00-A0-75 in "naa.500a075...".
// Where the company id sits depends on the format:
//
//   - NAA 5 (IEEE Registered) and NAA 6 (IEEE Registered Extended), SPC-4
//     7.8.6.6: the 24 bits after the NAA nibble.
//   - NAA 2 (IEEE Extended) and NAA 1 (IEEE 48-bit, obsolete): the 24 bits
//     after the NAA nibble and 12 vendor-specific (or reserved) bits.
//   - NAA 3 is locally assigned and carries no company id; other NAA values
//     are reserved.
//   - EUI-64 (NVMe namespace EUI64, "eui." + 16 hex digits): the first 24
//     bits.
//   - NGUID (NVMe namespace NGUID, "eui." + 32 hex digits as the kernel
//     prints it): NVMe Base Specification, "Namespace Globally Unique
//     Identifier": bytes 0-7 are a vendor-specific extension identifier,
//     bytes 8-15 the IEEE EUI-64, so the company id is bytes 8-10.
//   - The kernel's fallback "nvme.<vid>-..." carries a PCI vendor id, not a
//     company id, and "uuid." none.

// wwnCompanyID returns the IEEE company id a world wide identifier carries
// and the format it was read from ("naa5", "eui64", "nguid", ...), or an
// error saying why there is none. id is a wwid as the kernel prints it
// ("naa.5000c500a1b2c3d4", "eui.0025388b91b2c3d4"), udev's "0x5000..."
// form, or the bare hex of an NVMe eui/nguid attribute, with or without
// the spaces and dashes sysfs prints.
func wwnCompanyID(id string) (oui uint32, format string, err error) {
	s := strings.ToLower(strings.TrimSpace(id))
	var kind string
	switch {
	case s == "":
		return 0, "", fmt.Errorf("empty identifier")
	case strings.HasPrefix(s, "naa."):
		kind, s = "naa", s[4:]
	case strings.HasPrefix(s, "0x"):
		kind, s = "naa", s[2:]
	case strings.HasPrefix(s, "eui."):
		kind, s = "eui", s[4:]
	case strings.HasPrefix(s, "nvme."):
		return 0, "", fmt.Errorf("wwid %q is the kernel's fallback: it carries a PCI vendor id, not an IEEE company id", id)
	case strings.HasPrefix(s, "uuid."), strings.HasPrefix(s, "t10."):
		return 0, "", fmt.Errorf("wwid %q carries no IEEE company id", id)
	default:
		kind = "eui" // bare eui/nguid attribute
	}
	s = strings.NewReplacer(" ", "", "-", "", ":", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, "", fmt.Errorf("identifier %q is not hex: %w", id, err)
	}
	if allZero(b) {
		return 0, "", fmt.Errorf("identifier %q is all zeros", id)
	}
	if kind == "eui" {
		switch len(b) {
		case 8:
			return be24(b), "eui64", nil
		case 16:
			if allZero(b[8:]) {
				return 0, "", fmt.Errorf("NGUID %q has no EUI-64 in bytes 8-15", id)
			}
			return be24(b[8:]), "nguid", nil
		}
		return 0, "", fmt.Errorf("identifier %q is %d bytes, neither an EUI-64 (8) nor an NGUID (16)", id, len(b))
	}
	if len(b) != 8 && len(b) != 16 {
		return 0, "", fmt.Errorf("NAA name %q is %d bytes, want 8 or 16", id, len(b))
	}
	// The company id starts at bit 4 (NAA 5/6) or bit 16 (NAA 1/2) of the
	// big-endian name.
	hi := uint64(0)
	for _, c := range b[:8] {
		hi = hi<<8 | uint64(c)
	}
	switch naa := b[0] >> 4; naa {
	case 5, 6:
		return uint32(hi>>36) & 0xffffff, fmt.Sprintf("naa%d", naa), nil
	case 1, 2:
		return uint32(hi>>24) & 0xffffff, fmt.Sprintf("naa%d", naa), nil
	case 3:
		return 0, "", fmt.Errorf("NAA name %q is locally assigned (NAA 3): no company id", id)
	default:
		return 0, "", fmt.Errorf("NAA name %q has reserved NAA type %d", id, naa)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// ouiMaker is one row of the generated OUI table (oui_gen.go).
type ouiMaker struct {
	oui  uint32
	slug string
}

// makerByOUI returns the catalogue maker the IEEE registry assigned oui to,
// if the table lists it.
func makerByOUI(oui uint32) (string, bool) {
	i := sort.Search(len(ouiMakers), func(i int) bool { return ouiMakers[i].oui >= oui })
	if i < len(ouiMakers) && ouiMakers[i].oui == oui {
		return ouiMakers[i].slug, true
	}
	return "", false
}

// parseOUI reads a bare IEEE company id, 6 hex digits with or without
// "0x" (an NVMe controller's IEEE OUI Identifier); zero is no id. It
// answers as wwnCompanyID does, so that companyIDClaims reads every
// identifier one way; the format is always "NVMe controller OUI".
func parseOUI(s string) (oui uint32, format string, err error) {
	h := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	if len(h) != 6 {
		return 0, "", fmt.Errorf("IEEE OUI %q is not 6 hex digits", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return 0, "", fmt.Errorf("IEEE OUI %q is not hex: %w", s, err)
	}
	if allZero(b) {
		return 0, "", fmt.Errorf("IEEE OUI %q is all zeros", s)
	}
	return be24(b), "NVMe controller OUI", nil
}

// be24 is the big-endian 24-bit company id in b's first three bytes.
func be24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }
