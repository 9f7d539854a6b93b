package maker

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/lazyregexp"
)

// codeString is what a manufacturer string written as a JEP106 code says.
type codeString struct {
	// isCode is true when the string has the shape of a code (hex digits,
	// "JEDEC ID:", "[0x...]", "Bank N, Hex 0xXX"), whether or not it decodes.
	isCode bool
	module jep106.ID // zero when the module id did not decode
	dram   jep106.ID // zero when the string carries no (valid) DRAM id
	// problems say why parts of the string were not believed.
	problems []string
}

var (
	// "JEDEC ID:80 2C", "JEDEC ID: 7F 7F FE"
	jedecLabelRE = lazyregexp.New(`(?i)^jedec\s*id\s*:?\s*(.*)$`)
	// "Unknown - [0x9B85]"
	bracketRE = lazyregexp.New(`\[\s*(?:0[xX])?([0-9A-Fa-f]+)\s*\]`)
	// "Bank 5 0x16", "Bank 6, Hex 0x9B"
	bankRE = lazyregexp.New(`(?i)\bbank\s*(\d{1,3})\s*[,:]?\s*(?:hex\s*)?(?:0x)?([0-9a-f]{2})\b`)
	// "859B", "0x2C00", "7F7FFE0000000000", "80 2C"
	hexRE       = lazyregexp.New(`^(?:0[xX])?([0-9A-Fa-f]+)$`)
	spacedHexRE = lazyregexp.New(`^[0-9A-Fa-f]{2}(?:[\s:-][0-9A-Fa-f]{2})+$`)
)

// parseCodeString recognises the encodings of JEP106 ids that firmware
// writes into SMBIOS manufacturer strings and decodes them, believing an
// interpretation only when its parity is valid, its bank is in the table, the
// id is listed, and no other valid reading of the same digits disagrees.
//
// Each expression runs only when the string has a character it needs, so a
// maker's name ("Kingston") compiles none of them on a scan's start-up path.
func parseCodeString(s string) codeString {
	s = strings.TrimSpace(s)
	if mayBeJEDECLabel(s) {
		if m := jedecLabelRE.FindStringSubmatch(s); m != nil {
			return parseJEDECLabel(s, m[1])
		}
	}
	if mayBeBank(s) {
		if m := bankRE.FindStringSubmatch(s); m != nil {
			return decodeBankHex(s, m[1], m[2])
		}
	}
	if strings.IndexByte(s, '[') >= 0 {
		if m := bracketRE.FindStringSubmatch(s); m != nil {
			return parseBracketed(s, m[1])
		}
	}
	if mayBeHex(s) {
		if m := hexRE.FindStringSubmatch(s); m != nil {
			return parseHexDigits(s, m[1])
		}
	}
	if mayBeSpacedHex(s) && spacedHexRE.MatchString(s) {
		if b, ok := hexBytes(s); ok {
			return decodeIDBytes(s, b, true)
		}
	}
	return codeString{}
}

// parseJEDECLabel decodes the bytes after "JEDEC ID:".
func parseJEDECLabel(s, rest string) codeString {
	b, ok := hexBytes(rest)
	if !ok {
		return codeString{isCode: true, problems: []string{fmt.Sprintf("%q: the bytes after \"JEDEC ID:\" are not hex", s)}}
	}
	return decodeIDBytes(s, b, true)
}

// parseBracketed decodes the hex digits of "Unknown - [0x9B85]".
func parseBracketed(s, digits string) codeString {
	b, ok := hexBytes(digits)
	if !ok {
		return codeString{isCode: true, problems: []string{fmt.Sprintf("%q: bracketed value has an odd number of hex digits", s)}}
	}
	if len(b) == 2 {
		// "[0x9B85]" is the SMBIOS word printed as a number: id byte
		// first, then the continuation count. All 68 bracketed strings
		// of linuxhw-dmi-train read so ("[0x0285]" = 6:0x02 Patriot,
		// not 3:0x05).
		out := codeString{isCode: true}
		id, err := jep106.FromBytes(b[1], b[0])
		if err != nil {
			out.problems = append(out.problems, fmt.Sprintf("%q: SMBIOS word 0x%02X%02X: %v", s, b[0], b[1], err))
			return out
		}
		return believe(out, s, id, []jep106.ID{id})
	}
	return decodeIDBytes(s, b, true)
}

// parseHexDigits decodes a string of hex digits ("859B", "0x2C00").
func parseHexDigits(s, digits string) codeString {
	prefixed := len(digits) != len(s)
	if len(digits)%2 != 0 {
		if prefixed {
			return codeString{isCode: true, problems: []string{fmt.Sprintf("%q: odd number of hex digits", s)}}
		}
		return codeString{} // e.g. "123": not a code shape
	}
	if !prefixed && !strings.ContainsAny(digits, "0123456789") {
		return codeString{} // a word made of the letters A-F ("ACE", "FACADE") is not a code
	}
	b, _ := hex.DecodeString(digits)
	return decodeIDBytes(s, b, prefixed)
}

// The prefilters of parseCodeString: each holds for every string its
// expression matches (FuzzCodePrefilters), and is far cheaper than
// compiling the expression.

// mayBeJEDECLabel: jedecLabelRE matches only strings starting with
// "jedec" in any case (none of its letters folds outside ASCII).
func mayBeJEDECLabel(s string) bool {
	return len(s) >= 5 && strings.EqualFold(s[:5], "jedec")
}

// mayBeBank: bankRE needs "bank" in any case; its k also folds to the
// Kelvin sign, so only "ban" is looked for.
func mayBeBank(s string) bool {
	for i := 0; i+3 <= len(s); i++ {
		if strings.EqualFold(s[i:i+3], "ban") {
			return true
		}
	}
	return false
}

// mayBeHex: hexRE matches non-empty strings of hex digits after an
// optional 0x.
func mayBeHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) && s[i] != 'x' && s[i] != 'X' {
			return false
		}
	}
	return s != ""
}

// mayBeSpacedHex: spacedHexRE matches at least two separated pairs of hex
// digits.
func mayBeSpacedHex(s string) bool {
	return len(s) >= 5 && isHexDigit(s[0]) && isHexDigit(s[1])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// hexBytes decodes hex digits, ignoring spaces, colons and dashes between
// bytes.
func hexBytes(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == ':' || r == '-' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" || len(s)%2 != 0 {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// decodeBankHex decodes dmidecode's "Bank N, Hex 0xXX" rendering; the byte
// may carry its parity bit or not.
func decodeBankHex(s, bankStr, codeStr string) codeString {
	out := codeString{isCode: true}
	bank, err1 := strconv.Atoi(bankStr)
	code, err2 := strconv.ParseUint(codeStr, 16, 8)
	if err1 != nil || err2 != nil || bank < 1 || bank > jep106.NumBanks {
		out.problems = append(out.problems, fmt.Sprintf("%q: bank %s is outside 1..%d", s, bankStr, jep106.NumBanks))
		return out
	}
	c := byte(code)
	if c&0x80 != 0 && !jep106.OddParity(c) {
		out.problems = append(out.problems, fmt.Sprintf("%q: id byte 0x%02X has bad parity", s, c))
		return out
	}
	id := jep106.ID{Bank: uint8(bank), Code: c & 0x7F}
	if !id.Valid() {
		out.problems = append(out.problems, fmt.Sprintf("%q: 0x%02X is not an id code", s, c))
		return out
	}
	return believe(out, s, id, []jep106.ID{id})
}

// decodeIDBytes interprets the bytes of a code string by their number:
//
//   - 1 byte (only when labelled or 0x-prefixed): an id byte in bank 1.
//   - 2 bytes: (continuation count, id) as written ("859B", "0B2C", "0416"),
//     which wins when valid; otherwise, when the second byte is no id byte,
//     the 16-bit SMBIOS word printed as a number, i.e. byte-swapped ("2C00";
//     always so in brackets, "[0x9B85]"), or continuation codes ("7F98",
//     "CE00").
//   - 6 bytes: module (count, id), two bytes we cannot interpret, DRAM
//     (count, id), as Dell and HP firmware write it ("002C00B3002C",
//     "01980000802C", "80AD000080AD").
//   - other lengths: continuation codes then padding ("7F7FFE0000000000",
//     "CE00000000000000"), or a (count, id) pair followed by zero padding.
func decodeIDBytes(s string, b []byte, labelled bool) codeString {
	out := codeString{isCode: true}
	if len(b) == 0 {
		out.problems = append(out.problems, fmt.Sprintf("%q holds no bytes", s))
		return out
	}
	if allBytes(b, 0x00) || allBytes(b, 0xFF) {
		out.problems = append(out.problems, fmt.Sprintf("%q holds no id (all 0x%02X)", s, b[0]))
		return out
	}
	var cands []jep106.ID
	add := func(id jep106.ID, err error) {
		if err == nil {
			cands = append(cands, id)
		}
	}
	switch len(b) {
	case 1:
		if !labelled {
			return codeString{}
		}
		add(jep106.FromBytes(0, b[0]))
	case 2:
		pair, errPair := jep106.FromBytes(b[0], b[1])
		if errPair == nil {
			// Firmware writes two bytes as (count, id) far more often than
			// as the byte-swapped SMBIOS word: of the 1,267 reports of
			// linuxhw-dmi-train with a valid reading of four bare hex
			// digits, 1,266 read as (count, id), and all 51 whose digits
			// read validly both ways ("8502", "830B", "0B85") are the
			// (count, id) reading. So that reading wins, and the other is
			// named in a warning.
			if word, err := jep106.FromBytes(b[1], b[0]); err == nil && word != pair {
				out.problems = append(out.problems, fmt.Sprintf("%q also reads as JEP106 %s as a byte-swapped word; the (count, id) reading %s is taken", s, word, pair))
			}
			return believe(out, s, pair, []jep106.ID{pair})
		}
		// The byte-swapped word is read only when the second byte cannot
		// be an id ("2C00", "2C80"). When it can, the string has the
		// (count, id) form with a count past the last bank: a garbage
		// word copied in that order, as in the linuxhw-dmi-train reports
		// whose "0x7301" and "0x5846" sit beside module ids of banks 116
		// and 89. Swapping it would name whoever holds the first byte in
		// bank 2 ("0x7301" as 2:0x73 Digital Microwave).
		if _, err := jep106.FromBytes(0, b[1]); err != nil {
			add(jep106.FromBytes(b[1], b[0]))
		}
		add(jep106.FromContinuationBytes(b))
	case 6:
		if b[0] == 0x7F {
			add(jep106.FromContinuationBytes(b))
			break
		}
		mod, errM := jep106.FromBytes(b[0], b[1])
		if errM != nil && (b[0] != 0 || b[1] != 0) { // 00 00: module id not given
			out.problems = append(out.problems, fmt.Sprintf("%q: module id bytes %02X %02X: %v", s, b[0], b[1], errM))
		}
		if b[4] != 0 || b[5] != 0 {
			dram, errD := jep106.FromBytes(b[4], b[5])
			switch {
			case errD != nil:
				out.problems = append(out.problems, fmt.Sprintf("%q: DRAM id bytes %02X %02X: %v", s, b[4], b[5], errD))
			default:
				if _, ok := dram.Name(); ok {
					out.dram = dram
				} else {
					out.problems = append(out.problems, fmt.Sprintf("%q: DRAM id %s is not in the JEP106 table", s, dram))
				}
			}
		}
		if errM != nil {
			return out
		}
		return believe(out, s, mod, []jep106.ID{mod})
	default:
		add(jep106.FromContinuationBytes(b))
		if len(b) > 2 && allBytes(b[2:], 0x00) {
			add(jep106.FromBytes(b[0], b[1]))
		}
	}
	if len(cands) == 0 {
		out.problems = append(out.problems, fmt.Sprintf("%q is not a valid JEP106 code (parity or bank out of range in every reading)", s))
		return out
	}
	return believe(out, s, cands[0], cands)
}

// believe accepts id when every valid reading agrees and the id is listed.
func believe(out codeString, s string, id jep106.ID, cands []jep106.ID) codeString {
	for _, c := range cands[1:] {
		if c != id {
			out.problems = append(out.problems, fmt.Sprintf("%q reads as JEP106 %s or %s: ambiguous, ignored", s, id, c))
			return out
		}
	}
	if _, ok := id.Name(); !ok {
		out.problems = append(out.problems, fmt.Sprintf("%q decodes to JEP106 %s, which the table does not list", s, id))
		return out
	}
	out.module = id
	return out
}

func allBytes(b []byte, v byte) bool {
	for _, x := range b {
		if x != v {
			return false
		}
	}
	return true
}
