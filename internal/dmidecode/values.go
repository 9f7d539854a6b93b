package dmidecode

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/memledger/memledger/internal/smbios"
)

// Value renderings dmidecode uses for fields it cannot or need not decode.
const (
	valUnknown      = "Unknown"
	valNoModule     = "No Module Installed" // size word 0 (every dmidecode version)
	valNotInstalled = "Not Installed"       // seen in ports and other DMI tools
	valNone         = "None"                // Type Detail with no bit set
)

// errValue is wrapped by every value-decoding error so that callers can
// tell a malformed value from other failures.
var errValue = errors.New("unrecognised value")

// sizeUnits are the units dmidecode prints sizes in; dmidecode's kB, MB, GB
// ... are binary multiples (dmi_print_memory_size shifts by 10).
var sizeUnits = map[string]uint{
	"bytes": 0,
	"kB":    10,
	"MB":    20,
	"GB":    30,
	"TB":    40,
	"PB":    50,
	"EB":    60,
	"ZB":    70,
}

// memSize is a decoded "Size:" value of a Memory Device record.
type memSize struct {
	bytes     uint64
	installed bool
	unknown   bool
}

// parseSize decodes a Memory Device "Size:" value: "16384 MB", "8 GB",
// "512 kB", "No Module Installed", "Not Installed" or "Unknown". The flags
// follow smbios.MemoryDevice: Installed is false only for an empty slot,
// and an unknown size is an installed module of unknown size (word 0xFFFF).
func parseSize(v string) (memSize, error) {
	switch v {
	case valNoModule, valNotInstalled:
		return memSize{}, nil
	case valUnknown:
		return memSize{installed: true, unknown: true}, nil
	}
	num, unit, ok := strings.Cut(v, " ")
	shift, known := sizeUnits[unit]
	if !ok || !known {
		return memSize{}, fmt.Errorf("%w %q: want \"<number> <bytes|kB|MB|GB|TB|PB|EB|ZB>\", %q or %q", errValue, v, valNoModule, valUnknown)
	}
	n, err := parseDecimal(num, 64)
	if err != nil {
		return memSize{}, fmt.Errorf("%w %q: %w", errValue, v, err)
	}
	if n == 0 {
		// No real module has 0 bytes; smbios reads an extended size of 0
		// (which dmidecode prints as "0 MB") as installed, size unknown.
		return memSize{installed: true, unknown: true}, nil
	}
	if shift >= 64 || n > math.MaxUint64>>shift {
		return memSize{}, fmt.Errorf("%w %q: more bytes than fit in 64 bits", errValue, v)
	}
	return memSize{bytes: n << shift, installed: true}, nil
}

// parseSpeed decodes "Speed:" and "Configured ... Speed:" values:
// "2400 MT/s" (dmidecode 3.2+), "1333 MHz" (older versions, same SMBIOS
// field and number), "400 MHz (2.5 ns)" (dmidecode 2.x) or "Unknown" (0).
func parseSpeed(v string) (uint32, error) {
	if v == valUnknown {
		return 0, nil
	}
	num, rest, ok := strings.Cut(v, " ")
	if ok {
		switch {
		case rest == "MT/s", rest == "MHz":
		case strings.HasPrefix(rest, "MHz (") && strings.HasSuffix(rest, " ns)"):
		default:
			ok = false
		}
	}
	if !ok {
		return 0, fmt.Errorf("%w %q: want \"<number> MT/s\", \"<number> MHz\" or %q", errValue, v, valUnknown)
	}
	n, err := parseDecimal(num, 32)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", errValue, v, err)
	}
	return uint32(n), nil
}

// parseWidth decodes "Total Width:"/"Data Width:" values: "64 bits" or
// "Unknown" (0, as smbios stores the 0xFFFF encoding).
func parseWidth(v string) (uint16, error) {
	if v == valUnknown {
		return 0, nil
	}
	num, ok := strings.CutSuffix(v, " bits")
	if !ok {
		return 0, fmt.Errorf("%w %q: want \"<number> bits\" or %q", errValue, v, valUnknown)
	}
	n, err := parseDecimal(num, 16)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", errValue, v, err)
	}
	return uint16(n), nil
}

// parseRank decodes "Rank:" values: a number or "Unknown" (0).
func parseRank(v string) (uint8, error) {
	if v == valUnknown {
		return 0, nil
	}
	n, err := parseDecimal(v, 8)
	if err != nil {
		return 0, fmt.Errorf("%w %q: want a number or %q: %w", errValue, v, valUnknown, err)
	}
	return uint8(n), nil
}

// ParseManufacturerID decodes a "Module Manufacturer ID:" or "Memory
// Subsystem Controller Manufacturer ID:" value (dmidecode's rendering, which
// systemd's udev dmi_memory_id builtin uses too), "Bank 2, Hex 0x98", back into the
// SMBIOS word dmidecode printed it from: low byte = bank-1 (the number of
// JEP106 continuation codes), high byte = the manufacturer code. dmidecode
// masks the low byte's parity bit before printing, so it is 0 here.
// "Unknown" is the word 0.
func ParseManufacturerID(v string) (uint16, error) {
	if v == valUnknown {
		return 0, nil
	}
	bankText, hexText, ok := strings.Cut(v, ", ")
	bankText, ok1 := strings.CutPrefix(bankText, "Bank ")
	hexText, ok2 := strings.CutPrefix(hexText, "Hex 0x")
	if !ok || !ok1 || !ok2 || len(hexText) == 0 || len(hexText) > 2 {
		return 0, fmt.Errorf("%w %q: want \"Bank <1-128>, Hex 0x<XX>\" or %q", errValue, v, valUnknown)
	}
	bank, err := parseDecimal(bankText, 8)
	if err != nil || bank < 1 || bank > 128 {
		return 0, fmt.Errorf("%w %q: bank must be 1 to 128", errValue, v)
	}
	code, err := strconv.ParseUint(hexText, 16, 8)
	if err != nil {
		return 0, fmt.Errorf("%w %q: bad manufacturer code: %w", errValue, v, err)
	}
	return uint16(bank-1) | uint16(code)<<8, nil
}

// ParseProductID decodes "Module Product ID:"-style values (dmidecode's
// and udev's rendering): "0x1234" or
// "Unknown" (0).
func ParseProductID(v string) (uint16, error) {
	if v == valUnknown {
		return 0, nil
	}
	h, ok := strings.CutPrefix(v, "0x")
	if !ok || len(h) == 0 || len(h) > 4 {
		return 0, fmt.Errorf("%w %q: want \"0x<hex word>\" or %q", errValue, v, valUnknown)
	}
	n, err := strconv.ParseUint(h, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", errValue, v, err)
	}
	return uint16(n), nil
}

// parseHandle decodes a "0x1100" handle reference.
func parseHandle(v string) (uint16, error) {
	h, ok := strings.CutPrefix(v, "0x")
	if !ok || len(h) == 0 || len(h) > 4 {
		return 0, fmt.Errorf("%w %q: want \"0x<hex word>\"", errValue, v)
	}
	n, err := strconv.ParseUint(h, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", errValue, v, err)
	}
	return uint16(n), nil
}

// parseDecimal is strconv.ParseUint limited to plain ASCII digits (no sign,
// no underscores, no base prefix), which is all dmidecode prints.
func parseDecimal(s string, bitSize int) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, bitSize)
	if err != nil {
		return 0, fmt.Errorf("%q does not fit in %d bits", s, bitSize)
	}
	return n, nil
}

// typeDetailBits maps each Type Detail bit name, as smbios.TypeDetailString
// (and dmidecode) renders it, to its bit.
// It is built on first use: no work at package init (internal/lazyregexp).
var typeDetailBits = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, 15)
	for bit := 1; bit <= 15; bit++ {
		m[smbios.TypeDetailString(1<<bit)] = 1 << bit
	}
	return m
})

// parseTypeDetail recovers the Type Detail word from dmidecode's rendering:
// the names of the set bits joined by single spaces, or "None". Names
// themselves contain spaces ("Registered (Buffered)"), so the text is
// consumed by longest matching name. ok is false when some part of the
// text is not a known name; the word is then 0 (unknown), never a guess.
func parseTypeDetail(v string) (word uint16, ok bool) {
	if v == valNone {
		return 0, true
	}
	bits := typeDetailBits()
	rest := v
	for rest != "" {
		best := ""
		for name := range bits {
			if len(name) > len(best) && strings.HasPrefix(rest, name) &&
				(len(rest) == len(name) || rest[len(name)] == ' ') {
				best = name
			}
		}
		if best == "" {
			return 0, false
		}
		word |= bits[best]
		rest = strings.TrimPrefix(rest[len(best):], " ")
	}
	return word, word != 0
}

// reverseNames inverts an smbios enumeration-name function over all codes,
// keeping only names that belong to exactly one code (so OutOfSpec and the
// repeated "Reserved" map to nothing).
func reverseNames(name func(uint8) string) map[string]uint8 {
	m := make(map[string]uint8)
	dup := make(map[string]bool)
	for c := 0; c <= 0xFF; c++ {
		n := name(uint8(c))
		if _, seen := m[n]; seen {
			dup[n] = true
		}
		m[n] = uint8(c)
	}
	for n := range dup {
		delete(m, n)
	}
	return m
}

// memoryTypeCodes and formFactorCodes are built on first use, only when a
// dmidecode text is parsed.
var (
	memoryTypeCodes = sync.OnceValue(func() map[string]uint8 { return reverseNames(smbios.MemoryTypeName) })
	formFactorCodes = sync.OnceValue(func() map[string]uint8 { return reverseNames(smbios.FormFactorName) })
)
