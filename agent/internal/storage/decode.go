package storage

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UdevRecord is the content of one udev database entry
// (/run/udev/data/b<major>:<minor>), the file systemd-udevd writes per device.
type UdevRecord struct {
	// Properties holds the E: lines (ID_MODEL, ID_SERIAL_SHORT, ...). A key
	// given twice keeps its last value.
	Properties map[string]string
	// Symlinks holds the S: lines (paths relative to /dev).
	Symlinks []string
	// Tags holds the G: lines.
	Tags []string
}

// ParseUdevRecord decodes a udev database entry. Each non-empty line is
// "<type>:<value>" with an upper-case ASCII type letter; E: values are
// "KEY=value". Types other than E, S and G (I, Q, V, L, W, ...) are accepted
// and ignored. An error names the line.
func ParseUdevRecord(data []byte) (UdevRecord, error) {
	rec := UdevRecord{Properties: map[string]string{}}
	for lineNo := 1; len(data) > 0; lineNo++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			continue
		}
		if len(line) < 2 || line[1] != ':' || line[0] < 'A' || line[0] > 'Z' {
			return UdevRecord{}, fmt.Errorf("udev record line %d: %s is not <type letter>:<value>", lineNo, quoteShort(line))
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return UdevRecord{}, fmt.Errorf("udev record line %d: NUL byte in %s", lineNo, quoteShort(line))
		}
		value := string(line[2:])
		switch line[0] {
		case 'E':
			key, val, ok := strings.Cut(value, "=")
			if !ok || key == "" {
				return UdevRecord{}, fmt.Errorf("udev record line %d: property %s is not KEY=value", lineNo, quoteShort(line[2:]))
			}
			rec.Properties[key] = val
		case 'S':
			rec.Symlinks = append(rec.Symlinks, value)
		case 'G':
			rec.Tags = append(rec.Tags, value)
		}
	}
	return rec, nil
}

// quoteShort quotes b for an error message, cut to 64 bytes.
func quoteShort(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "..."
	}
	return strconv.Quote(string(b))
}

// ATAIdentity is what ParseATAIdentify extracts from IDENTIFY DEVICE data.
type ATAIdentity struct {
	Model    string // words 27-46, trimmed
	Serial   string // words 10-19, trimmed
	Firmware string // words 23-26, trimmed
	// WWN is the world wide name of words 108-111, or 0 when word 87 does
	// not mark it valid.
	WWN uint64
	// RotationRate is word 217: 1 for non-rotating media, 0x0401-0xfffe a
	// nominal rpm, 0 when not reported.
	RotationRate uint16
	// Words is the full data, for callers that need more.
	Words [256]uint16
}

// ParseATAIdentify decodes the text of libata's ata_device "id" attribute:
// the 256 IDENTIFY DEVICE words, each as four hex digits, separated by
// white space (the kernel prints eight per line). Anything else, including
// the empty text the kernel gives for a port multiplier, is an error naming
// the line and word.
func ParseATAIdentify(text []byte) (ATAIdentity, error) {
	var id ATAIdentity
	n := 0
	line := 1
	for i := 0; i < len(text); {
		c := text[i]
		if c == '\n' {
			line++
			i++
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			i++
			continue
		}
		j := i
		for j < len(text) && text[j] != ' ' && text[j] != '\n' && text[j] != '\t' && text[j] != '\r' {
			j++
		}
		tok := text[i:j]
		if n == len(id.Words) {
			return ATAIdentity{}, fmt.Errorf("ata identify: line %d: more than %d words", line, len(id.Words))
		}
		if len(tok) != 4 {
			return ATAIdentity{}, fmt.Errorf("ata identify: line %d, word %d: %s is not 4 hex digits", line, n, quoteShort(tok))
		}
		v, err := strconv.ParseUint(string(tok), 16, 16)
		if err != nil {
			return ATAIdentity{}, fmt.Errorf("ata identify: line %d, word %d: %s is not 4 hex digits", line, n, quoteShort(tok))
		}
		id.Words[n] = uint16(v)
		n++
		i = j
	}
	if n != len(id.Words) {
		return ATAIdentity{}, fmt.Errorf("ata identify: %d words, want %d", n, len(id.Words))
	}
	w := &id.Words
	id.Serial = ataString(w[10:20])
	id.Firmware = ataString(w[23:27])
	id.Model = ataString(w[27:47])
	// Word 87 bits 15:14 = 01 mark the word valid; bit 8: WWN present.
	if w[87]&0xc000 == 0x4000 && w[87]&0x0100 != 0 {
		id.WWN = uint64(w[108])<<48 | uint64(w[109])<<32 | uint64(w[110])<<16 | uint64(w[111])
	}
	id.RotationRate = w[217]
	return id, nil
}

// ataString decodes an ATA string: two characters per word, the first in
// the high byte.
func ataString(words []uint16) string {
	b := make([]byte, 0, 2*len(words))
	for _, w := range words {
		b = append(b, byte(w>>8), byte(w))
	}
	return CleanText(string(b))
}

// CleanText trims white space and NUL padding and replaces invalid UTF-8
// and control characters with U+FFFD, so that hostile or corrupt device
// strings stay printable and valid for protobuf string fields.
func CleanText(s string) string {
	s = strings.Trim(s, " \t\r\n\x00")
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var out strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			out.WriteRune(utf8.RuneError)
		} else {
			out.WriteRune(r)
		}
		i += size
	}
	return out.String()
}

// parsePCIID parses a PCI id attribute ("0x1344").
func parsePCIID(s string) (uint16, error) {
	t := strings.TrimSpace(s)
	hexDigits, ok := strings.CutPrefix(t, "0x")
	if !ok || len(hexDigits) == 0 || len(hexDigits) > 4 {
		return 0, fmt.Errorf("PCI id %q is not 0x followed by 1-4 hex digits", t)
	}
	v, err := strconv.ParseUint(hexDigits, 16, 16)
	if err != nil {
		return 0, fmt.Errorf("PCI id %q is not 0x followed by 1-4 hex digits", t)
	}
	return uint16(v), nil
}

// normalizeWWN turns udev's "0x5000c500..." (an NAA identifier, as ata_id
// and scsi_id write it) into the kernel's "naa.5000c500..." notation and
// lower-cases hex; kernel wwids ("naa.", "eui.", "nvme.", "uuid.") pass
// through. It returns "" for T10 vendor identifiers and empty input.
func normalizeWWN(s string) string {
	s = CleanText(s)
	switch {
	case s == "" || strings.HasPrefix(s, "t10."):
		return ""
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		return "naa." + strings.ToLower(s[2:])
	case strings.HasPrefix(s, "naa.") || strings.HasPrefix(s, "eui."):
		return strings.ToLower(s)
	}
	return s
}

// normalizeNVMeID turns an NVMe namespace eui ("00 25 38 8b 91 b2 c3 d4",
// the kernel's %8ph) or nguid attribute ("36344630-5270-0123-0025-
// 384500000001", %pU) into lower-case hex without separators; "" when it
// is not size bytes of hex or is all zeros.
func normalizeNVMeID(s string, size int) string {
	s = strings.ToLower(strings.NewReplacer(" ", "", "-", "", ":", "").Replace(strings.TrimSpace(s)))
	if len(s) != 2*size || strings.Trim(s, "0") == "" {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return s
}
