package hexdump

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

// sample is a 64-byte image with a run of identical rows (so hexdump -C
// prints a "*") and bytes that are printable, '|' and '#' in the ASCII column.
func sample() []byte {
	b := make([]byte, 64)
	copy(b, []byte{0x23, 0x12, 0x0c, 0x01, 0x86, 0x31, 0x00, 0x08, 0x00, 0x60, 0x00, 0x03, 0x08, 0x0b, 0x80, 0x00})
	// rows 1 and 2 identical -> "*"
	for i := 16; i < 48; i++ {
		b[i] = 0x00
	}
	copy(b[48:], []byte("|#M393B4G70 x\xff\x7f\x01"))
	return b
}

// hexdumpC renders b the way util-linux `hexdump -C` does, including the "*"
// line for repeated rows and the closing length line.
func hexdumpC(b []byte, eol string) string {
	var sb strings.Builder
	var prev []byte
	starred := false
	for off := 0; off < len(b); off += 16 {
		end := min(off+16, len(b))
		row := b[off:end]
		if prev != nil && len(row) == 16 && bytes.Equal(row, prev) {
			if !starred {
				sb.WriteString("*" + eol)
				starred = true
			}
			continue
		}
		starred = false
		fmt.Fprintf(&sb, "%08x ", off)
		for i := 0; i < 16; i++ {
			if i == 8 {
				sb.WriteByte(' ')
			}
			if i < len(row) {
				fmt.Fprintf(&sb, " %02x", row[i])
			} else {
				sb.WriteString("   ")
			}
		}
		sb.WriteString("  |")
		for _, c := range row {
			if c >= 0x20 && c < 0x7f {
				sb.WriteByte(c)
			} else {
				sb.WriteByte('.')
			}
		}
		sb.WriteString("|" + eol)
		prev = row
	}
	fmt.Fprintf(&sb, "%08x%s", len(b), eol)
	return sb.String()
}

// i2cdump renders b like `i2cdump -y 0 0x50 b`, including the preamble.
func i2cdump(b []byte, unreadable int) string {
	var sb strings.Builder
	sb.WriteString("No size specified (using byte-data access)\n")
	sb.WriteString("     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n")
	for off := 0; off < len(b); off += 16 {
		fmt.Fprintf(&sb, "%02x: ", off)
		for i := off; i < off+16; i++ {
			if i == unreadable {
				sb.WriteString("XX ")
			} else {
				fmt.Fprintf(&sb, "%02x ", b[i])
			}
		}
		sb.WriteString("   ")
		for i := off; i < off+16; i++ {
			if b[i] >= 0x20 && b[i] < 0x7f {
				sb.WriteByte(b[i])
			} else {
				sb.WriteByte('.')
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// offsetHex renders b like the illumos libjedec test data.
func offsetHex(b []byte) string {
	var sb strings.Builder
	sb.WriteString("#\n# Example module\n#\n")
	for off := 0; off < len(b); off += 16 {
		fmt.Fprintf(&sb, "%04x:", off)
		for _, c := range b[off:min(off+16, len(b))] {
			fmt.Fprintf(&sb, " %02x", c)
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func TestDecodeFormats(t *testing.T) {
	want := sample()
	starText := hexdumpC(want, "\n")
	if !strings.Contains(starText, "\n*\n") {
		t.Fatalf("test fixture broken: hexdump -C text has no '*' line:\n%s", starText)
	}
	var plainRuns strings.Builder
	plainRuns.WriteString("# SPD bytes as one run per row\n")
	for off := 0; off < len(want); off += 16 {
		fmt.Fprintf(&plainRuns, "%x  # row %d\n", want[off:off+16], off/16)
	}
	var plainSpaced strings.Builder
	for i, c := range want {
		fmt.Fprintf(&plainSpaced, "%02X", c)
		if i%8 == 7 {
			plainSpaced.WriteString("\r\n")
		} else {
			plainSpaced.WriteString(" ")
		}
	}
	overwrite := offsetHex(want[:32]) + "0010: " + strings.Repeat("ff ", 16) + "\n"
	wantOverwrite := append(append([]byte(nil), want[:16]...), bytes.Repeat([]byte{0xff}, 16)...)

	short := append([]byte(nil), want[:40]...) // last row short
	tests := []struct {
		name   string
		in     string
		format Format
		want   []byte
	}{
		{"hexdump -C with star", starText, FormatHexdumpC, want},
		{"hexdump -C with star and CRLF", hexdumpC(want, "\r\n"), FormatHexdumpC, want},
		{"hexdump -C with CR only", hexdumpC(want, "\r"), FormatHexdumpC, want},
		{"hexdump -C short last row", hexdumpC(short, "\n"), FormatHexdumpC, short},
		{"hexdump -C star to end", hexdumpC(make([]byte, 256), "\n"), FormatHexdumpC, make([]byte, 256)},
		{"i2cdump", i2cdump(want, -1), FormatI2CDump, want},
		{"i2cdump CRLF", strings.ReplaceAll(i2cdump(want, -1), "\n", "\r\n"), FormatI2CDump, want},
		{"offset-hex", offsetHex(want), FormatOffsetHex, want},
		{"offset-hex repeated offset overwrites", overwrite, FormatOffsetHex, wantOverwrite},
		{"offset-hex out of order", "0010: " + strings.Repeat("11 ", 16) + "\n0000: " + strings.Repeat("22 ", 16) + "\n",
			FormatOffsetHex, append(bytes.Repeat([]byte{0x22}, 16), bytes.Repeat([]byte{0x11}, 16)...)},
		{"xxd grouped", "00000000: 2312 0c01 8631 0008 0060 0003 080b 8000  #....1...`......\n", FormatOffsetHex, want[:16]},
		{"plain runs with comments", plainRuns.String(), FormatPlainHex, want},
		{"plain spaced uppercase CRLF", plainSpaced.String(), FormatPlainHex, want},
		{"plain single byte", "ff", FormatPlainHex, []byte{0xff}},
		{"raw binary", string(want), FormatRaw, want},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detect([]byte(tc.in)); got != tc.format {
				t.Errorf("Detect = %v, want %v", got, tc.format)
			}
			got, err := Decode([]byte(tc.in))
			if err != nil {
				t.Fatalf("Decode: %v\ninput:\n%s", err, tc.in)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("Decode mismatch\n got %x\nwant %x", got, tc.want)
			}
		})
	}
}

func TestDecodeRawIsCopied(t *testing.T) {
	in := []byte{0x30, 0x10, 0x12, 0x02}
	out, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	out[0] = 0
	if in[0] != 0x30 {
		t.Fatal("Decode returned a slice aliasing its input")
	}
}

func TestDecodeErrors(t *testing.T) {
	row := func(off int, v byte) string {
		return fmt.Sprintf("%04x: %s\n", off, strings.TrimSpace(strings.Repeat(fmt.Sprintf("%02x ", v), 16)))
	}
	tests := []struct {
		name     string
		in       string
		limit    int
		sentinel error
		line     int    // 0: no line expected
		contains string // text the message must mention
	}{
		{"empty", "", 0, ErrEmpty, 0, "empty"},
		{"only comments", "# nothing\n\n   \n# here\n", 0, ErrEmpty, 0, "blank or comment lines"},
		// Whitespace control bytes count as text; alone they are neither
		// a dump nor an image, and the message shows them.
		{"form feed", "\f", 0, ErrEmpty, 0, `1-byte input holds only whitespace ("\f")`},
		{"vertical tab", "\v", 0, ErrEmpty, 0, `("\v")`},
		{"carriage return", "\r", 0, ErrEmpty, 0, `("\r")`},
		{"mixed whitespace", "\t\n\v\f\r \n", 0, ErrEmpty, 0, `7-byte input holds only whitespace ("\t\n\v\f\r \n")`},
		{"i2cdump unreadable byte", i2cdump(sample(), 0x13), 0, ErrUnreadable, 4, "0x13"},
		{"offset-hex XX", "0000: 23 12 XX 01\n", 0, ErrUnreadable, 1, "0x2"},
		{"offset-hex gap", row(0, 1) + row(0x20, 2), 0, ErrGap, 2, "0x10-0x1f"},
		{"offset-hex first row missing", row(0x10, 1), 0, ErrGap, 1, "0x0-0xf"},
		{"offset-hex beyond limit", row(0, 1) + row(0x1000, 2), 0, ErrTooLarge, 2, "0x1000"},
		{"offset-hex huge offset", "ffffffffffffffffffff: 00\n", 0, ErrTooLarge, 1, "beyond"},
		{"offset-hex row crosses small limit", row(0, 1), 8, ErrTooLarge, 1, "0x8"},
		{"offset-hex bad token", "0000: 23 12 zz 01\n", 0, ErrSyntax, 1, "zz"},
		{"offset-hex 17 bytes", "0000:" + strings.Repeat(" 00", 17) + "\n", 0, ErrSyntax, 1, "more than 16"},
		{"offset-hex bad offset", "0000: 00\nxyz: 00\n", 0, ErrSyntax, 2, "xyz"},
		{"offset-hex missing colon", "0000: 00\n0010 00\n", 0, ErrSyntax, 2, "OFFSET"},
		{"offset-hex empty row", "0000:\n", 0, ErrSyntax, 1, "no bytes"},
		{"plain odd digits", "30 11 0c 2\n", 0, ErrSyntax, 1, "odd number"},
		{"plain bad char", "30 11\n0c 0g\n", 0, ErrSyntax, 2, "0g"},
		{"plain too large", strings.Repeat("00", 9), 8, ErrTooLarge, 1, "8-byte"},
		{"od-style words", "0000000 1223 010c 3186 0800\n", 0, ErrSyntax, 1, "hexdump -C"},
		{"od-style bytes", "# od -A x -t x1\n000000 23 12 0c 01 86 31 00 08 00 60 00 03 08 0b 80 00\n000010\n", 0, ErrSyntax, 2, "offset column"},
		{"hexdump -C star without end", "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n", 0, ErrSyntax, 2, "not followed"},
		{"hexdump -C star first", "*\n00000010\n", 0, ErrSyntax, 1, "before any data"},
		{"hexdump -C star misaligned", "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000018\n", 0, ErrSyntax, 3, "0x18"},
		{"hexdump -C hole", "00000000  01 02  |..|\n00000010  03  |.|\n", 0, ErrSyntax, 2, "expected 0x2"},
		{"hexdump -C data after end", "00000000  01 02  |..|\n00000002\n00000002  03  |.|\n", 0, ErrSyntax, 3, "after the closing"},
		{"hexdump -C bad byte", "00000000  01 0x2  |..|\n", 0, ErrSyntax, 1, "0x2"},
		{"hexdump -C star beyond limit", "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00100000\n", 0, ErrTooLarge, 3, "beyond"},
		{"raw too large", strings.Repeat("\x00", 65), 64, ErrTooLarge, 0, "65 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := DecodeLimit([]byte(tc.in), tc.limit)
			if err == nil {
				t.Fatalf("no error, got %d bytes %x", len(out), out)
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("error %q does not wrap %v", err, tc.sentinel)
			}
			var le *LineError
			if tc.line != 0 {
				if !errors.As(err, &le) {
					t.Fatalf("error %q is not a *LineError", err)
				}
				if le.Line != tc.line {
					t.Errorf("line = %d, want %d (%v)", le.Line, tc.line, err)
				}
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

// TestDecodeCorpus reads every illumos SPD text file and checks the result
// against an independent, deliberately naive reading of the same rows.
func TestDecodeCorpus(t *testing.T) {
	dir := testcorpus.Dir(t, "corpus", "illumos-libjedec-spd")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.spd"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("corpus not found at %s: no *.spd files", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(text)
			if err != nil {
				t.Fatalf("Decode(%s): %v", path, err)
			}
			want := naiveOffsetHex(t, string(text))
			if !bytes.Equal(got, want) {
				t.Fatalf("mismatch with naive reading\n got %x\nwant %x", got, want)
			}
			if len(got) != 256 && len(got) != 512 && len(got) != 1024 {
				t.Errorf("unexpected image size %d", len(got))
			}
		})
	}
}

func naiveOffsetHex(t *testing.T, text string) []byte {
	t.Helper()
	img := map[int]byte{}
	end := 0
	for _, l := range strings.Split(text, "\n") {
		var off int
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		head, rest, _ := strings.Cut(l, ":")
		if _, err := fmt.Sscanf(head, "%x", &off); err != nil {
			t.Fatalf("naive parse of %q: %v", l, err)
		}
		for i, f := range strings.Fields(rest) {
			var v int
			if _, err := fmt.Sscanf(f, "%x", &v); err != nil {
				t.Fatalf("naive parse of %q: %v", l, err)
			}
			img[off+i] = byte(v)
			end = max(end, off+i+1)
		}
	}
	out := make([]byte, end)
	for k, v := range img {
		out[k] = v
	}
	return out
}

func FuzzDecode(f *testing.F) {
	s := sample()
	f.Add([]byte(hexdumpC(s, "\n")))
	f.Add([]byte(hexdumpC(s, "\r\n")))
	f.Add([]byte(i2cdump(s, -1)))
	f.Add([]byte(i2cdump(s, 5)))
	f.Add([]byte(offsetHex(s)))
	f.Add([]byte("30 10 12 02 04 00 20 62 # ddr5\n"))
	f.Add([]byte("30100c02\n"))
	f.Add([]byte("0000000 1223 010c\n"))
	f.Add(s)
	f.Add([]byte("*\n0000ffff\n"))
	f.Add([]byte("0000: 00\nffff: 00\n"))
	f.Add([]byte("\f")) // whitespace only: refused, not blank text
	f.Add([]byte("\r\v\t \n"))
	if dir := testcorpus.SharedDir(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "corpus", "illumos-libjedec-spd", "*", "*.spd"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1024
		out, err := DecodeLimit(in, limit)
		if err != nil {
			if out != nil {
				t.Fatalf("error %v with non-nil output", err)
			}
			var le *LineError
			if errors.As(err, &le) && le.Line < 1 {
				t.Fatalf("line error with line %d", le.Line)
			}
			return
		}
		if len(out) == 0 || len(out) > limit {
			t.Fatalf("output length %d outside (0, %d]", len(out), limit)
		}
		if Detect(in) == FormatRaw && !bytes.Equal(out, in) {
			t.Fatal("raw input not returned as is")
		}
		// Decoding is deterministic and re-encoding as plain hex round-trips.
		again, err := DecodeLimit([]byte(fmt.Sprintf("%x", out)), limit)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("plain-hex round trip failed: %v", err)
		}
	})
}

func BenchmarkDecodeHexdumpC(b *testing.B) {
	img := make([]byte, 1024)
	for i := range img {
		img[i] = byte(i * 7)
	}
	text := []byte(hexdumpC(img, "\n"))
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}
