package snapshot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/memledger/memledger/internal/placeholder"
	"github.com/memledger/memledger/internal/udev"
)

// masker replaces serial numbers by tokens of the same length and shape.
//
// Rules, so that a masked serial still reads like one and every spelling
// of one serial maps to the same token:
//
//   - surrounding white space and NULs, a "0x" prefix and leading zeros are
//     kept, and so is every character that is not an ASCII letter or digit
//     ('-', '.', '_', ' ', ...);
//   - the remaining letters and digits (the "core") are replaced: when the
//     core is all hex digits every one becomes a hex digit (an SPD serial
//     stays 8 hex digits, an SMBIOS copy of it matches it still), otherwise
//     digits become digits and letters letters; the case of each letter is
//     kept;
//   - the replacement is drawn from HMAC-SHA256(key, core in upper case,
//     separators removed), so "32297bc1", "0x32297BC1" and "0032297BC1", or
//     "AB CD" and udev's "AB_CD", get the same token, and the token never
//     equals the original;
//   - placeholders ("Not Specified", "To Be Filled By O.E.M.", all zeros,
//     ...) are not serials and are left alone, so the scan of a scrubbed
//     snapshot reports no serial where the host reports none.
type masker struct {
	key []byte
	// pairs maps every original (trimmed) value masked to its token; it
	// feeds the replacer that masks copies of serials inside other text.
	pairs map[string]string
	// distinct counts distinct masked values by normalised core.
	distinct map[string]bool
}

func newMasker(key []byte) *masker {
	return &masker{key: key, pairs: map[string]string{}, distinct: map[string]bool{}}
}

const trimSet = " \t\r\n\x00"

// serial masks s (see masker). It returns s unchanged for placeholders and
// for values without letters or digits.
func (m *masker) serial(s string) string {
	if placeholder.Is(s) {
		return s
	}
	start := len(s) - len(strings.TrimLeft(s, trimSet))
	end := len(strings.TrimRight(s, trimSet))
	if start >= end {
		return s
	}
	coreStart := start
	if end-coreStart > 2 && s[coreStart] == '0' && (s[coreStart+1] == 'x' || s[coreStart+1] == 'X') {
		coreStart += 2
	}
	for coreStart < end && s[coreStart] == '0' {
		coreStart++
	}
	var norm []byte
	for i := coreStart; i < end; i++ {
		if c := s[i]; isAlnum(c) {
			norm = append(norm, upper(c))
		}
	}
	if len(norm) == 0 {
		return s
	}
	token := m.token("serial", norm)
	core := s[coreStart:end]
	// A digit replaced by a hex letter takes the case the value's own
	// letters have; a letter keeps its own case.
	lowerText := strings.ToLower(core) == core && strings.ToUpper(core) != core
	out := []byte(s)
	j := 0
	for i := coreStart; i < end; i++ {
		c := s[i]
		if !isAlnum(c) {
			continue
		}
		r := token[j]
		j++
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' && lowerText {
			r = lowerByte(r)
		}
		out[i] = r
	}
	m.distinct["serial:"+string(norm)] = true
	masked := string(out)
	m.pairs[s[start:end]] = masked[start:end]
	return masked
}

// uuid masks a UUID's 32 hex digits (dashes and case kept); the same UUID
// in any spelling gets the same token. Reserved values (all zeros, all
// FF) and text that is not a UUID are returned unchanged.
func (m *masker) uuid(s string) string {
	t := strings.Trim(s, trimSet)
	var norm []byte
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '-':
		case isHex(c):
			norm = append(norm, upper(c))
		default:
			return s
		}
	}
	if len(norm) != 32 || strings.Trim(string(norm), "0") == "" || strings.Trim(string(norm), "F") == "" {
		return s
	}
	token := m.token("uuid", norm)
	start := len(s) - len(strings.TrimLeft(s, trimSet))
	lowerText := strings.ToLower(t) == t // the kernel and dmidecode write lower case
	out := []byte(s)
	j := 0
	for i := start; i < start+len(t); i++ {
		if s[i] == '-' {
			continue
		}
		r := token[j]
		j++
		if lowerText {
			r = lowerByte(r)
		}
		out[i] = r
	}
	m.distinct["uuid:"+string(norm)] = true
	masked := string(out)
	m.pairs[t] = masked[start : start+len(t)]
	return masked
}

// token draws a replacement for norm (upper-case letters and digits) of the
// same length: hex digits when norm is all hex, else digits for digits and
// letters for letters. It never returns norm itself.
func (m *masker) token(domain string, norm []byte) []byte {
	allHex := true
	for _, c := range norm {
		if !isHex(c) {
			allHex = false
			break
		}
	}
	const (
		hexDigits = "0123456789ABCDEF"
		digits    = "0123456789"
		letters   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	)
	out := make([]byte, len(norm))
	for attempt := uint32(0); ; attempt++ {
		stream := m.stream(domain, norm, attempt, len(norm))
		for i, c := range norm {
			alphabet := letters
			switch {
			case allHex:
				alphabet = hexDigits
			case c >= '0' && c <= '9':
				alphabet = digits
			}
			out[i] = alphabet[int(stream[i])%len(alphabet)]
		}
		// Equal to the original only by chance (likely only for one or two
		// characters); draw again. 64 attempts cannot all fail in practice.
		if string(out) != string(norm) || attempt == 63 {
			return out
		}
	}
}

// stream expands HMAC-SHA256(key, domain, norm, attempt, block) to n bytes.
func (m *masker) stream(domain string, norm []byte, attempt uint32, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	var ctr [8]byte
	for block := uint32(0); len(out) < n; block++ {
		mac := hmac.New(sha256.New, m.key)
		mac.Write([]byte(domain))
		mac.Write([]byte{0})
		mac.Write(norm)
		binary.BigEndian.PutUint32(ctr[:4], attempt)
		binary.BigEndian.PutUint32(ctr[4:], block)
		mac.Write(ctr[:])
		out = mac.Sum(out)
	}
	return out[:n]
}

// replacer masks copies of every masked value inside other text: the value
// itself, as udev spells it in ID_SERIAL and /dev/disk/by-id names (white
// space and unsafe characters as '_'), and hex-encoded as in the NVMe
// kernel's fallback wwid ("nvme.<vid>-<serial hex>-<model hex>-<nsid>").
// Values with fewer than minReplaceAlnum letters and digits are left out:
// replacing them inside arbitrary text would hit unrelated numbers.
func (m *masker) replacer() *strings.Replacer {
	type pair struct{ old, new string }
	seen := map[string]bool{}
	var pairs []pair
	add := func(old, new string) {
		if old == new || seen[old] {
			return
		}
		seen[old] = true
		pairs = append(pairs, pair{old, new})
	}
	for old, new := range m.pairs {
		if alnumCount(old) < minReplaceAlnum || len(old) != len(new) {
			continue
		}
		add(old, new)
		add(udev.ReplaceWhitespace(old), udev.ReplaceWhitespace(new))
		add(udev.Replace(old), udev.Replace(new))
		add(hex.EncodeToString([]byte(old)), hex.EncodeToString([]byte(new)))
		add(strings.ToUpper(hex.EncodeToString([]byte(old))), strings.ToUpper(hex.EncodeToString([]byte(new))))
	}
	// Longest first: the Replacer tries its pairs in order at each
	// position, and a serial may contain a shorter one (a baseboard serial
	// holding the system's service tag).
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].old) != len(pairs[j].old) {
			return len(pairs[i].old) > len(pairs[j].old)
		}
		return pairs[i].old < pairs[j].old
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.old, p.new)
	}
	return strings.NewReplacer(args...)
}

// minReplaceAlnum is the fewest letters and digits a value needs to be
// replaced inside other text, rather than only where it is a whole field.
const minReplaceAlnum = 6

func alnumCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isAlnum(s[i]) {
			n++
		}
	}
	return n
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
