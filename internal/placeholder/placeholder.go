// Package placeholder answers one question for the whole project: is this
// serial number, part number or manufacturer string a real value, or one
// of the fillers firmware writes when it has nothing to say?
//
// The scan (internal/maker), the collector's ledger (part identity) and
// the agent's snapshot masker all ask it here, so that a value is real to
// all of them or to none: a serial that the ledger trusts while the scan
// calls it a filler is how two identical servers end up "swapping" modules.
//
// The classifier is pure and allocation-free: the ledger asks it for every
// part of every changed report.
package placeholder

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// words are filler values, compared after normalisation (letters and digits
// only, lower case): "To Be Filled By O.E.M." is "tobefilledbyoem".
var words = map[string]bool{
	// SMBIOS / dmidecode fillers.
	"notspecified": true, "tobefilledbyoem": true, "defaultstring": true, "undefined": true,
	"unknown": true, "notavailable": true, "notprovided": true, "notapplicable": true,
	"notset": true, "notpresent": true, "notinstalled": true, "nomoduleinstalled": true,
	"nodimm": true, "na": true, "none": true, "nonespecified": true, "null": true, "nil": true,
	"empty": true, "invalid": true, "reserved": true, "noname": true, "oem": true,
	"outofspec": true, // dmidecode "<OUT OF SPEC>"
	"badindex":  true, // dmidecode "<BAD INDEX>"
	// Template strings left in board firmware (the field's own name).
	"systemserialnumber": true, "systemserial": true, "baseboardserialnumber": true,
	"chassisserialnumber": true, "unknownserial": true, "noserial": true,
	"systemmanufacturer": true, "unknownmanufacturer": true, "systemproductname": true,
	"jedecid": true, // "JEDEC ID:" with no id after it
	// Vendor defaults: counting digits instead of a serial.
	"0123456789": true, "123456789": true, "1234567890": true,
}

// indexedNames are the field names that firmware templates print with an
// index: "SerNum0", "Manufacturer00", "PartNum1", "Array1_PartNumber0",
// "DIMM3_SerialNumber", "ModulePartNumber01", "AssetTag2".
var indexedNames = []string{"serialnumber", "partnumber", "manufacturer", "assettag", "partnum", "sernum", "serial", "asset"}

// maxWord is the length of the longest filler word.
const maxWord = len("baseboardserialnumber")

// maxKey bounds the normalised form that can still be a filler word or an
// indexed name; longer values are checked for runs only.
const maxKey = 64

// Is reports whether s is a placeholder rather than a real value:
//   - empty, or without a single letter or digit ("", "   ", "--", "\x00");
//   - one letter or digit repeated, ignoring everything else and a "0x"
//     prefix ("00000000", "FFFFFFFF", "0x0000", "00-00-00-00", "XXXX");
//     a lone character only when it is "0" ("K" is a maker's initial);
//   - a filler word ("Not Specified", "To Be Filled By O.E.M.", "Default
//     string", "Undefined", "Unknown", "N/A", "<BAD INDEX>", "<OUT OF
//     SPEC>", "System Serial Number", "0123456789", ...);
//   - an indexed template name ("SerNum0".."SerNum15", "Manufacturer00",
//     "PartNum1", "Array1_PartNumber0", "SerialNumber").
//
// Case, surrounding spaces and NUL padding, and any character that is not
// a letter or digit are ignored: "N/A", "n a" and "NA" are one value.
func Is(s string) bool {
	var buf [maxKey]byte
	key := buf[:0]
	long := false
	var first rune = -1
	sameRune, runes := true, 0
	for i := 0; i < len(s); {
		r := rune(s[i])
		if r < utf8.RuneSelf {
			i++
			switch {
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			default:
				continue
			}
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			i += n
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
			r = unicode.ToLower(r)
		}
		// "0x" as the first letter and digit is a hex prefix, not part of
		// a run or a word.
		if runes == 1 && first == '0' && r == 'x' {
			first, runes = -1, 0
			key = key[:0]
			continue
		}
		if first == -1 {
			first = r
		} else if r != first {
			sameRune = false
		}
		runes++
		switch {
		case long:
		case r < utf8.RuneSelf && len(key) < maxKey:
			key = append(key, byte(r))
		case len(key)+utf8.RuneLen(r) <= maxKey:
			key = utf8.AppendRune(key, r)
		default:
			long = true
		}
	}
	switch {
	case runes == 0:
		return true
	case sameRune && (runes > 1 || first == '0'):
		return true
	case long:
		return false
	}
	// No filler word or template name starts with "0x", so the key
	// without that prefix answers for both.
	return len(key) <= maxWord && words[string(key)] || indexed(key)
}

// indexed reports whether key (normalised) is an indexed template name:
// [array<digits>][dimm<digits>][module]<name><digits>.
func indexed(key []byte) bool {
	end := len(key)
	for end > 0 && key[end-1] >= '0' && key[end-1] <= '9' {
		end--
	}
	// Every indexed name ends in one of these letters: most real values
	// are rejected here.
	if end == 0 || !strings.ContainsRune("rmglt", rune(key[end-1])) {
		return false
	}
	k := string(key[:end])
	for _, name := range indexedNames {
		if len(k) >= len(name) && k[len(k)-len(name):] == name {
			return templatePrefix(k[:len(k)-len(name)])
		}
	}
	return false
}

// templatePrefix reports whether p is [array<digits>][dimm<digits>][module].
func templatePrefix(p string) bool {
	p = cutWordDigits(p, "array", true)
	p = cutWordDigits(p, "dimm", false)
	if len(p) >= 6 && p[:6] == "module" {
		p = p[6:]
	}
	return p == ""
}

// cutWordDigits removes word and the digits after it from the start of p
// (at least one digit when needDigit); p is returned unchanged otherwise.
func cutWordDigits(p, word string, needDigit bool) string {
	if len(p) < len(word) || p[:len(word)] != word {
		return p
	}
	rest := p[len(word):]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if needDigit && n == 0 {
		return p
	}
	return rest[n:]
}
