// Package hexdump turns the EEPROM dumps that people and tools actually
// produce back into bytes, so that an SPD image can be decoded whether it came
// straight from sysfs or was pasted from a terminal.
//
// Accepted inputs (detected automatically, see Detect):
//
//   - raw binary: any input holding a byte that is neither printable ASCII nor
//     whitespace is taken to be the image itself and returned unchanged
//     (input of whitespace bytes only is neither: it is refused with
//     ErrEmpty, naming its bytes);
//   - `hexdump -C` output: "00000010  23 12 ... 00  |#...|" rows, a lone "*"
//     meaning "the previous row repeats until the next offset", and a final
//     bare offset giving the total length;
//   - `i2cdump` output: the "     0  1  2 ... f    0123456789abcdef" header
//     followed by "00: xx xx ..." rows; "XX" (a byte the bus could not read)
//     is an error, never a guessed value;
//   - offset-hex text as used by the illumos libjedec test data: "0000: xx xx
//     ..." rows with '#' comment lines, where a repeated offset overwrites the
//     earlier row;
//   - plain hex bytes, either spaced ("30 11 0c 02") or in runs ("30110c02"),
//     with '#' starting a comment that runs to the end of the line.
//
// The output is bounded: offsets and lengths read from the text are checked
// against a limit (MaxSize, or the one given to DecodeLimit) before anything is
// allocated or written, so hostile input cannot make the decoder allocate more
// than the limit.
package hexdump

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxSize is the default output limit: the largest SPD EEPROM defined by
// JEDEC (DDR5 SPD5118 hub with a 2048-byte option) fits with room to spare.
const MaxSize = 4096

// rowLen is the number of bytes on a full row of every supported dump format.
const rowLen = 16

// Format names a dump format understood by Decode.
type Format int

// The formats Detect can report.
const (
	FormatUnknown   Format = iota // nothing recognisable (empty input)
	FormatRaw                     // binary image, returned as is
	FormatHexdumpC                // `hexdump -C`
	FormatI2CDump                 // `i2cdump` (header line present)
	FormatOffsetHex               // "0000: xx xx ..." rows (illumos, i2cdump rows without header)
	FormatPlainHex                // bare hex bytes or runs
)

// String returns a short human name for the format, used in error messages.
func (f Format) String() string {
	switch f {
	case FormatRaw:
		return "raw binary"
	case FormatHexdumpC:
		return "hexdump -C"
	case FormatI2CDump:
		return "i2cdump"
	case FormatOffsetHex:
		return "offset-hex"
	case FormatPlainHex:
		return "plain hex"
	default:
		return "unknown"
	}
}

// Sentinel errors; every error returned by this package wraps one of them, so
// callers can tell the cases apart with errors.Is.
var (
	// ErrEmpty: the input holds no data bytes at all.
	ErrEmpty = errors.New("no data bytes")
	// ErrTooLarge: the image would exceed the output limit.
	ErrTooLarge = errors.New("image exceeds size limit")
	// ErrUnreadable: the dump marks a byte as unreadable ("XX" in i2cdump).
	ErrUnreadable = errors.New("unreadable byte in dump")
	// ErrSyntax: a line does not follow the detected format.
	ErrSyntax = errors.New("syntax error")
	// ErrGap: an offset-based dump leaves some bytes undefined.
	ErrGap = errors.New("bytes missing from dump")
)

// LineError reports a problem at a given line of a textual dump.
type LineError struct {
	Line   int    // 1-based line number
	Format Format // format the input was read as
	Msg    string // what is wrong, naming offsets and tokens
	Err    error  // one of the sentinel errors above
}

func (e *LineError) Error() string {
	return fmt.Sprintf("hexdump: %s input, line %d: %s", e.Format, e.Line, e.Msg)
}

// Unwrap returns the sentinel error.
func (e *LineError) Unwrap() error { return e.Err }

func lineErr(f Format, line int, sentinel error, format string, args ...any) error {
	return &LineError{Line: line, Format: f, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// Decode reads an EEPROM image in any supported format, with the output
// limited to MaxSize bytes.
func Decode(b []byte) ([]byte, error) {
	return DecodeLimit(b, MaxSize)
}

// DecodeLimit is Decode with an explicit output limit in bytes (limit <= 0
// means MaxSize). The result is always a fresh slice, never aliasing b.
func DecodeLimit(b []byte, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = MaxSize
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("hexdump: empty input: %w", ErrEmpty)
	}
	if !isText(b) {
		if len(b) > limit {
			return nil, fmt.Errorf("hexdump: raw binary input of %d bytes exceeds limit of %d: %w", len(b), limit, ErrTooLarge)
		}
		return append([]byte(nil), b...), nil
	}
	if len(bytes.TrimSpace(b)) == 0 {
		// Whitespace bytes count as text, so such input would be reported
		// as blank lines; but a file of one form feed or a few CRs was
		// never typed as a dump either, and the user should hear what the
		// file holds.
		return nil, fmt.Errorf("hexdump: %d-byte input holds only whitespace (%s): as text it has no hex bytes, and no EEPROM image is whitespace only: %w",
			len(b), strconv.Quote(clip(string(b))), ErrEmpty)
	}
	lines := splitLines(string(b))
	switch f := detectText(lines); f {
	case FormatHexdumpC:
		return parseHexdumpC(lines, limit)
	case FormatI2CDump, FormatOffsetHex:
		return parseOffsetRows(lines, f, limit)
	case FormatPlainHex:
		return parsePlain(lines, limit)
	default:
		return nil, fmt.Errorf("hexdump: input holds only blank or comment lines: %w", ErrEmpty)
	}
}

// Detect reports the format Decode would read b as, without decoding it.
func Detect(b []byte) Format {
	if len(b) == 0 {
		return FormatUnknown
	}
	if !isText(b) {
		return FormatRaw
	}
	return detectText(splitLines(string(b)))
}

// isText reports whether every byte is printable ASCII or whitespace; anything
// else means the input is the binary image itself.
func isText(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= 0x20 && c <= 0x7e:
		case c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
		default:
			return false
		}
	}
	return true
}

// splitLines splits on LF, CRLF or a lone CR, so dumps saved on any system
// read the same and line numbers match what an editor shows.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			lines = append(lines, s[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// meaningful reports whether a line carries data (not blank, not a comment).
func meaningful(line string) bool {
	t := strings.TrimSpace(line)
	return t != "" && t[0] != '#'
}

func detectText(lines []string) Format {
	for _, l := range lines {
		if isI2CHeader(l) {
			return FormatI2CDump
		}
	}
	for _, l := range lines {
		if !meaningful(l) {
			continue
		}
		t := strings.TrimSpace(l)
		fields := strings.Fields(t)
		first := fields[0]
		if i := strings.IndexByte(first, ':'); i > 0 && isHex(first[:i]) {
			return FormatOffsetHex
		}
		// hexdump -C always prints the |ascii| column, which plain hex never
		// has (outside a '#' comment); requiring it keeps a plain run such
		// as "00000000 23 12" from being misread as an offset.
		bar, hash := strings.IndexByte(t, '|'), strings.IndexByte(t, '#')
		if len(first) >= 7 && isHex(first) && bar > 0 && (hash < 0 || bar < hash) {
			return FormatHexdumpC
		}
		if first == "*" {
			return FormatHexdumpC
		}
		return FormatPlainHex
	}
	return FormatUnknown
}

// isI2CHeader matches the column header i2cdump prints before its rows:
// "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef".
func isI2CHeader(line string) bool {
	t := strings.TrimSpace(line)
	if len(t) < 2*rowLen-1 || t[0] != '0' || (t[1] != ' ' && t[1] != '\t') {
		return false // cheap rejection of data rows before splitting
	}
	f := strings.Fields(t)
	if len(f) != rowLen && len(f) != rowLen+1 {
		return false
	}
	for i := 0; i < rowLen; i++ {
		if f[i] != strconv.FormatInt(int64(i), 16) {
			return false
		}
	}
	return len(f) == rowLen || strings.EqualFold(f[rowLen], "0123456789abcdef")
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if hexVal(s[i]) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseOffset reads a hex offset, refusing anything that cannot fit below
// limit (so it never overflows and never drives an allocation).
func parseOffset(s string, limit int) (int, bool) {
	if !isHex(s) || len(s) > 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || v > uint64(limit) {
		return 0, false
	}
	return int(v), true
}

// image accumulates bytes written at offsets, remembering which line wrote
// each byte so that gaps can be reported against a line.
type image struct {
	limit int
	data  []byte
	line  []int32 // line that last wrote each byte; 0 = never written
}

// put writes c at off; the caller has already checked off < limit.
func (im *image) put(off int, c byte, line int) {
	if off >= len(im.data) {
		n := off + 1
		if n > cap(im.data) {
			// Grow geometrically, never past the limit the caller checked.
			c := min(max(n, 2*cap(im.data), 256), im.limit)
			im.data = append(make([]byte, 0, c), im.data...)
			im.line = append(make([]int32, 0, c), im.line...)
		}
		// Bytes between the old length and off were never written and are
		// still zero in the backing arrays.
		im.data, im.line = im.data[:n], im.line[:n]
	}
	im.data[off] = c
	im.line[off] = int32(line)
}

// finish returns the image, or ErrGap naming the first run of bytes no line
// defined and the line that follows it.
func (im *image) finish(f Format) ([]byte, error) {
	if len(im.data) == 0 {
		return nil, fmt.Errorf("hexdump: %s input has no data rows: %w", f, ErrEmpty)
	}
	for i := 0; i < len(im.line); i++ {
		if im.line[i] != 0 {
			continue
		}
		j := i
		for j < len(im.line) && im.line[j] == 0 {
			j++
		}
		// j < len(im.line) always: the last byte was written by someone.
		return nil, lineErr(f, int(im.line[j]), ErrGap,
			"row at offset 0x%x leaves bytes 0x%x-0x%x undefined (no row covers them)", j, i, j-1)
	}
	return im.data, nil
}

// parseOffsetRows reads "OFFSET: xx xx ..." rows: the illumos offset-hex
// text, and i2cdump output (whose header line, and anything before it, is
// skipped).
func parseOffsetRows(lines []string, f Format, limit int) ([]byte, error) {
	im := &image{limit: limit}
	inBody := f != FormatI2CDump
	for i, raw := range lines {
		lineNo := i + 1
		if !inBody {
			// i2cdump prints warnings and prompts before its header; they
			// carry no data.
			inBody = isI2CHeader(raw)
			continue
		}
		if !meaningful(raw) {
			continue
		}
		line := strings.TrimSpace(raw)
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return nil, lineErr(f, lineNo, ErrSyntax, "expected \"OFFSET: xx xx ...\", got %q", clip(line))
		}
		offTok := line[:colon]
		off, ok := parseOffset(offTok, limit)
		if !ok {
			if isHex(offTok) {
				return nil, lineErr(f, lineNo, ErrTooLarge, "offset 0x%s is beyond the %d-byte limit", clip(offTok), limit)
			}
			return nil, lineErr(f, lineNo, ErrSyntax, "offset %q is not hexadecimal", clip(offTok))
		}
		n, err := scanRowBytes(line[colon+1:], f, lineNo, off, im)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, lineErr(f, lineNo, ErrSyntax, "row at offset 0x%x has no bytes", off)
		}
	}
	return im.finish(f)
}

// scanRowBytes reads up to 16 byte tokens of one offset row and writes them
// at off. Tokens may be single bytes ("0c") or even-length runs ("0c02", as
// xxd groups them). After a full row, anything separated by two or more
// spaces is the ASCII column and is ignored; a short row may be followed by
// an ASCII column or a '#' comment only after such a gap.
func scanRowBytes(rest string, f Format, lineNo, off int, im *image) (int, error) {
	n := 0
	pos := 0
	for pos < len(rest) {
		gap := 0
		for pos < len(rest) && (rest[pos] == ' ' || rest[pos] == '\t') {
			pos++
			gap++
		}
		if pos >= len(rest) {
			break
		}
		end := pos
		for end < len(rest) && rest[end] != ' ' && rest[end] != '\t' {
			end++
		}
		tok := rest[pos:end]
		if tok[0] == '#' {
			return n, nil // trailing comment
		}
		if n > 0 && gap >= 2 && (n == rowLen || !isHex(tok)) {
			return n, nil // ASCII column
		}
		if n == rowLen {
			return n, lineErr(f, lineNo, ErrSyntax, "more than %d bytes on the row at offset 0x%x (extra token %q)", rowLen, off, clip(tok))
		}
		if strings.EqualFold(tok, "XX") {
			return n, lineErr(f, lineNo, ErrUnreadable, "byte at offset 0x%x is %q: the bus could not read it", off+n, tok)
		}
		if !isHex(tok) || len(tok)%2 != 0 {
			return n, lineErr(f, lineNo, ErrSyntax, "invalid byte token %q at offset 0x%x", clip(tok), off+n)
		}
		for k := 0; k < len(tok); k += 2 {
			if n == rowLen {
				return n, lineErr(f, lineNo, ErrSyntax, "more than %d bytes on the row at offset 0x%x", rowLen, off)
			}
			if off+n >= im.limit {
				return n, lineErr(f, lineNo, ErrTooLarge, "byte at offset 0x%x is beyond the %d-byte limit", off+n, im.limit)
			}
			im.put(off+n, byte(hexVal(tok[k])<<4|hexVal(tok[k+1])), lineNo)
			n++
		}
		pos = end
	}
	return n, nil
}

// parseHexdumpC reads `hexdump -C` output. Rows must follow each other
// without holes; a "*" row stands for copies of the previous row up to the
// next offset, and a final bare offset gives the total length.
func parseHexdumpC(lines []string, limit int) ([]byte, error) {
	const f = FormatHexdumpC
	im := &image{limit: limit}
	var prev []byte // bytes of the previous data row
	next := 0       // offset the next row must start at
	repeat := false // a "*" row is pending
	repeatLine := 0
	ended := false // the closing bare offset has been seen
	for i, raw := range lines {
		lineNo := i + 1
		if !meaningful(raw) {
			continue
		}
		line := strings.TrimSpace(raw)
		if ended {
			return nil, lineErr(f, lineNo, ErrSyntax, "data after the closing offset line: %q", clip(line))
		}
		if line == "*" {
			if prev == nil {
				return nil, lineErr(f, lineNo, ErrSyntax, "\"*\" repeat marker before any data row")
			}
			if repeat {
				return nil, lineErr(f, lineNo, ErrSyntax, "two \"*\" repeat markers in a row")
			}
			if len(prev) != rowLen {
				return nil, lineErr(f, lineNo, ErrSyntax, "\"*\" follows a short row of %d bytes; only full rows repeat", len(prev))
			}
			repeat, repeatLine = true, lineNo
			continue
		}
		hexPart := line
		if bar := strings.IndexByte(line, '|'); bar >= 0 {
			hexPart = line[:bar]
		}
		fields := strings.Fields(hexPart)
		if len(fields) == 0 {
			return nil, lineErr(f, lineNo, ErrSyntax, "row has no offset: %q", clip(line))
		}
		off, ok := parseOffset(fields[0], limit)
		if !ok {
			if isHex(fields[0]) {
				return nil, lineErr(f, lineNo, ErrTooLarge, "offset 0x%s is beyond the %d-byte limit", clip(fields[0]), limit)
			}
			return nil, lineErr(f, lineNo, ErrSyntax, "offset %q is not hexadecimal", clip(fields[0]))
		}
		if repeat {
			if off < next || (off-next)%rowLen != 0 {
				return nil, lineErr(f, lineNo, ErrSyntax,
					"offset 0x%x does not close the \"*\" at line %d (previous row ended at 0x%x)", off, repeatLine, next)
			}
			for o := next; o < off; o += rowLen {
				for k, c := range prev {
					im.put(o+k, c, lineNo)
				}
			}
			next, repeat = off, false
		}
		if off != next {
			return nil, lineErr(f, lineNo, ErrSyntax, "row at offset 0x%x, expected 0x%x (rows must be contiguous)", off, next)
		}
		if len(fields) == 1 {
			ended = true // closing total-length line
			continue
		}
		if len(fields)-1 > rowLen {
			return nil, lineErr(f, lineNo, ErrSyntax, "%d bytes on the row at offset 0x%x, at most %d allowed", len(fields)-1, off, rowLen)
		}
		if prev != nil && len(prev) != rowLen {
			return nil, lineErr(f, lineNo, ErrSyntax, "row at offset 0x%x follows a short row; only the last row may be short", off)
		}
		row := make([]byte, 0, rowLen)
		for _, tok := range fields[1:] {
			if len(tok) != 2 || !isHex(tok) {
				return nil, lineErr(f, lineNo, ErrSyntax, "invalid byte token %q at offset 0x%x", clip(tok), off+len(row))
			}
			if off+len(row) >= limit {
				return nil, lineErr(f, lineNo, ErrTooLarge, "byte at offset 0x%x is beyond the %d-byte limit", off+len(row), limit)
			}
			c := byte(hexVal(tok[0])<<4 | hexVal(tok[1]))
			im.put(off+len(row), c, lineNo)
			row = append(row, c)
		}
		prev = row
		next = off + len(row)
	}
	if repeat {
		return nil, lineErr(f, repeatLine, ErrSyntax, "\"*\" repeat marker is not followed by an offset line")
	}
	return im.finish(f)
}

// parsePlain reads whitespace-separated hex bytes or even-length hex runs,
// with '#' starting a comment.
func parsePlain(lines []string, limit int) ([]byte, error) {
	const f = FormatPlainHex
	var out []byte
	for i, raw := range lines {
		lineNo := i + 1
		line := raw
		if h := strings.IndexByte(line, '#'); h >= 0 {
			line = line[:h]
		}
		fields := strings.Fields(line)
		if looksLikeOffsetColumn(fields) {
			// `od -A x -t x1` and similar print "000010 23 12 ...": reading
			// the offset as data would silently shift every byte.
			return nil, lineErr(f, lineNo, ErrSyntax,
				"first token %q looks like an offset column (od-style dump); use `hexdump -C` or plain bytes", clip(fields[0]))
		}
		for _, tok := range fields {
			if !isHex(tok) {
				return nil, lineErr(f, lineNo, ErrSyntax, "invalid hex token %q", clip(tok))
			}
			if len(tok)%2 != 0 {
				if len(tok) == 7 {
					// `hexdump`/`od -x` print 7-digit offsets and 16-bit
					// words whose byte order depends on the host.
					return nil, lineErr(f, lineNo, ErrSyntax,
						"token %q looks like a `hexdump`/`od` offset; their 16-bit words have host byte order, use `hexdump -C`", tok)
				}
				return nil, lineErr(f, lineNo, ErrSyntax, "odd number of hex digits in token %q", clip(tok))
			}
			if len(out)+len(tok)/2 > limit {
				return nil, lineErr(f, lineNo, ErrTooLarge, "data exceeds the %d-byte limit", limit)
			}
			for k := 0; k < len(tok); k += 2 {
				out = append(out, byte(hexVal(tok[k])<<4|hexVal(tok[k+1])))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("hexdump: plain hex input has no bytes: %w", ErrEmpty)
	}
	return out, nil
}

// looksLikeOffsetColumn reports a line whose first token is a longer hex
// run followed only by single-byte tokens, the shape of an offset column.
func looksLikeOffsetColumn(fields []string) bool {
	if len(fields) < 2 || len(fields[0]) <= 2 || !isHex(fields[0]) {
		return false
	}
	for _, tok := range fields[1:] {
		if len(tok) != 2 {
			return false
		}
	}
	return true
}

// clip shortens a token quoted in an error so that hostile input cannot make
// error messages arbitrarily long.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
