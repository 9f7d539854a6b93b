package jep106

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

func TestOddParity(t *testing.T) {
	tests := []struct {
		b    byte
		want bool
	}{
		{0x00, false}, {0x01, true}, {0x2C, true}, {0xAD, true}, {0x2D, false},
		{0x9B, true}, {0x1B, false}, {0x7F, true}, {0xFF, false}, {0x80, true},
	}
	for _, tt := range tests {
		if got := OddParity(tt.b); got != tt.want {
			t.Errorf("OddParity(0x%02X) = %v, want %v", tt.b, got, tt.want)
		}
	}
}

func TestWithParity(t *testing.T) {
	tests := []struct{ code, want byte }{
		{0x2C, 0x2C}, {0x2D, 0xAD}, {0x4E, 0xCE}, {0x1B, 0x9B}, {0x18, 0x98}, {0x7E, 0xFE}, {0x00, 0x80}, {0x05, 0x85},
	}
	for _, tt := range tests {
		if got := WithParity(tt.code); got != tt.want {
			t.Errorf("WithParity(0x%02X) = 0x%02X, want 0x%02X", tt.code, got, tt.want)
		}
	}
}

func TestFromBytes(t *testing.T) {
	tests := []struct {
		name       string
		cont, code byte
		want       ID
		wantErr    error
	}{
		{"micron spd", 0x80, 0x2C, ID{1, 0x2C}, nil},
		{"micron count without parity", 0x00, 0x2C, ID{1, 0x2C}, nil},
		{"hynix", 0x80, 0xAD, ID{1, 0x2D}, nil},
		{"samsung", 0x80, 0xCE, ID{1, 0x4E}, nil},
		{"kingston bank 2", 0x01, 0x98, ID{2, 0x18}, nil},
		{"elpida bank 3", 0x02, 0xFE, ID{3, 0x7E}, nil},
		{"kingmax bank 4", 0x83, 0x25, ID{4, 0x25}, nil},
		{"adata bank 5", 0x04, 0xCB, ID{5, 0x4B}, nil},
		{"crucial bank 6", 0x85, 0x9B, ID{6, 0x1B}, nil},
		{"crucial bank 6 count without parity", 0x05, 0x9B, ID{6, 0x1B}, nil},
		{"advantech bank 11", 0x8A, 0xC8, ID{11, 0x48}, nil},
		{"hikstorage bank 12", 0x0B, 0x2C, ID{12, 0x2C}, nil},
		{"id byte bad parity", 0x00, 0x05, ID{}, ErrParity},
		{"id byte parity stripped", 0x80, 0x2D, ID{}, ErrParity},
		{"count byte bad parity", 0x81, 0x2C, ID{}, ErrParity},
		{"id 0x00", 0x00, 0x00, ID{}, ErrInvalidCode},
		{"id 0x80 code 0", 0x80, 0x80, ID{}, ErrInvalidCode},
		{"id 0x7F continuation", 0x00, 0x7F, ID{}, ErrInvalidCode},
		{"id 0xFF unprogrammed", 0x0D, 0xFF, ID{}, ErrInvalidCode},
		{"bank 33", 0x20, 0x01, ID{}, ErrBankRange},
		{"bank 20 (the 1315 string)", 0x13, 0x15, ID{}, ErrBankRange},
		{"count 0x7F", 0x7F, 0x2C, ID{}, ErrBankRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromBytes(tt.cont, tt.code)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("FromBytes(0x%02X, 0x%02X) = %v, %v; want error %v", tt.cont, tt.code, got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "0x") {
					t.Errorf("error %q does not name the offending byte", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FromBytes(0x%02X, 0x%02X) = %v, %v; want %v", tt.cont, tt.code, got, err, tt.want)
			}
		})
	}
}

func TestFromSMBIOSWord(t *testing.T) {
	tests := []struct {
		w       uint16
		want    ID
		wantErr error
	}{
		{0x0000, ID{}, ErrUnset},
		{0x2C80, ID{1, 0x2C}, nil},
		{0x2C00, ID{1, 0x2C}, nil}, // count written without its parity bit
		{0x9B85, ID{6, 0x1B}, nil}, // dmidecode "Bank 6, Hex 0x9B"
		{0x9801, ID{2, 0x18}, nil},
		{0x2C0B, ID{12, 0x2C}, nil},
		{0x1604, ID{5, 0x16}, nil},
		{0xFFFF, ID{}, ErrInvalidCode},
		{0x0080, ID{}, ErrInvalidCode},
		{0x1513, ID{}, ErrBankRange},
	}
	for _, tt := range tests {
		got, err := FromSMBIOSWord(tt.w)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("FromSMBIOSWord(0x%04X) = %v, %v; want error %v", tt.w, got, err, tt.wantErr)
			} else if !strings.Contains(err.Error(), "0x") {
				t.Errorf("FromSMBIOSWord(0x%04X) error %q does not name the word", tt.w, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FromSMBIOSWord(0x%04X) = %v, %v; want %v", tt.w, got, err, tt.want)
		}
	}
}

func TestFromContinuationBytes(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    ID
		wantErr error
	}{
		{"elpida ddr2", []byte{0x7F, 0x7F, 0xFE, 0, 0, 0, 0, 0}, ID{3, 0x7E}, nil},
		{"samsung ddr2", []byte{0xCE, 0, 0, 0, 0, 0, 0, 0}, ID{1, 0x4E}, nil},
		{"kingston ddr2", []byte{0x7F, 0x98, 0, 0, 0, 0, 0, 0}, ID{2, 0x18}, nil},
		{"ff padding", []byte{0x7F, 0x98, 0xFF, 0xFF}, ID{2, 0x18}, nil},
		{"all zero", []byte{0, 0, 0, 0}, ID{}, ErrInvalidCode},
		{"only continuations", []byte{0x7F, 0x7F}, ID{}, ErrInvalidCode},
		{"empty", nil, ID{}, ErrInvalidCode},
		{"junk after id", []byte{0xCE, 0x00, 0x2C}, ID{}, ErrSyntax},
		{"bad parity id", []byte{0x7F, 0x18, 0x00}, ID{}, ErrParity},
		{"too many continuations", []byte{0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x2C}, ID{}, ErrBankRange},
	}
	for _, tt := range tests {
		got, err := FromContinuationBytes(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: FromContinuationBytes(% X) = %v, %v; want error %v", tt.name, tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: FromContinuationBytes(% X) = %v, %v; want %v", tt.name, tt.in, got, err, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		id     ID
		want   string
		wantOK bool
	}{
		{ID{1, 0x2C}, "Micron Technology", true},
		{ID{6, 0x1B}, "Crucial Technology", true},
		{ID{2, 0x45}, "Micron CMS", true},
		{ID{3, 0x7E}, "Elpida", true},
		{ID{13, 0x44}, "uFound", true},                            // supplement
		{ID{14, 0x0A}, "Aerospace Science Memory Shenzhen", true}, // supplement
		{ID{14, 0x01}, "", false},                                 // valid but unlisted here
		{ID{0, 0x2C}, "", false},
		{ID{NumBanks + 1, 0x01}, "", false},
		{ID{1, 0x00}, "", false},
		{ID{1, 0xFF}, "", false},
	}
	for _, tt := range tests {
		got, ok := tt.id.Name()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%v.Name() = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestStringParseRoundTrip(t *testing.T) {
	entries := Entries()
	if len(entries) < 1500 {
		t.Fatalf("Entries() = %d ids, want the whole table (>1500)", len(entries))
	}
	for _, e := range entries {
		s := e.ID.String()
		got, err := ParseID(s)
		if err != nil || got != e.ID {
			t.Fatalf("ParseID(%q) = %v, %v; want %v", s, got, err, e.ID)
		}
		if !e.ID.Valid() {
			t.Errorf("listed id %v (%s) is not Valid", e.ID, e.Name)
		}
		if n, ok := e.ID.Name(); !ok || n != e.Name {
			t.Errorf("%v.Name() = %q, %v; Entries says %q", e.ID, n, ok, e.Name)
		}
		cont, code := e.ID.Bytes()
		if back, err := FromBytes(cont, code); err != nil || back != e.ID {
			t.Errorf("FromBytes(Bytes(%v)) = %v, %v", e.ID, back, err)
		}
	}
	if got := (ID{1, 0x2C}).String(); got != "1:0x2C" {
		t.Errorf("String() = %q, want 1:0x2C", got)
	}
}

func TestParseIDErrors(t *testing.T) {
	good := map[string]ID{"1:0x2C": {1, 0x2C}, "6:0x1b": {6, 0x1B}, "2:18": {2, 0x18}, "3:0X7E": {3, 0x7E}}
	for s, want := range good {
		if got, err := ParseID(s); err != nil || got != want {
			t.Errorf("ParseID(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "1", "1:", ":0x2C", "0:0x2C", "17:0x01", "x:0x2C", "1:0x", "1:0xZZ", "1:0x123", "1:0x00", "1:0x7F", "1:0xAD", "-1:0x2C", "1:0x2C:3"} {
		if got, err := ParseID(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseID(%q) = %v, %v; want ErrSyntax", s, got, err)
		}
	}
}

// TestLibjedecVectors checks every (continuation count, id byte) vector of
// illumos' libjedec_vendors.c, including the three that must fail.
func TestLibjedecVectors(t *testing.T) {
	path := filepath.Join(testcorpus.Dir(t, "corpus", "illumos-libjedec-spd"), "jep106_vectors.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("corpus not found at %s: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, checked, failing := 0, 0, 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			t.Fatalf("%s:%d: %d fields, want >= 3", path, line, len(fields))
		}
		cont, err1 := strconv.ParseUint(fields[0], 0, 8)
		code, err2 := strconv.ParseUint(fields[1], 0, 8)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s:%d: bad bytes %q %q", path, line, fields[0], fields[1])
		}
		want := fields[2]
		id, err := FromBytes(byte(cont), byte(code))
		checked++
		if want == "(lookup must fail)" {
			failing++
			if err == nil {
				name, _ := id.Name()
				t.Errorf("%s:%d: FromBytes(0x%02X, 0x%02X) = %v (%q), want an error", path, line, cont, code, id, name)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s:%d: FromBytes(0x%02X, 0x%02X): %v, want %q", path, line, cont, code, err, want)
			continue
		}
		name, ok := id.Name()
		if !ok || comparable(name) != comparable(want) {
			t.Errorf("%s:%d: %v.Name() = %q, %v; want %q", path, line, id, name, ok, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked < 30 || failing != 3 {
		t.Errorf("checked %d vectors (%d must-fail); want >= 30 with 3 must-fail", checked, failing)
	}
}

var parenthetical = regexp.MustCompile(`\s*\([^)]*\)`)

// comparable reduces the spelling differences between decode-dimms' and
// libjedec's tables ("(former ...)" notes, a trailing full stop, case).
func comparable(s string) string {
	s = parenthetical.ReplaceAllString(s, "")
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}

func FuzzFromBytes(f *testing.F) {
	seeds := [][2]byte{{0x80, 0x2C}, {0x85, 0x9B}, {0x01, 0x98}, {0x0B, 0x2C}, {0x00, 0x05}, {0x0D, 0xFF}, {0x20, 0x01}, {0x7F, 0x7F}, {0x8A, 0xC8}}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, cont, code byte) {
		id, err := FromBytes(cont, code)
		if err != nil {
			if id != (ID{}) {
				t.Fatalf("FromBytes(0x%02X, 0x%02X) returned %v with error %v", cont, code, id, err)
			}
			return
		}
		if !id.Valid() || !OddParity(code) || id.Code != code&0x7F {
			t.Fatalf("FromBytes(0x%02X, 0x%02X) = %v: invalid result accepted", cont, code, id)
		}
		back, err := ParseID(id.String())
		if err != nil || back != id {
			t.Fatalf("ParseID(%q) = %v, %v", id.String(), back, err)
		}
		w := uint16(cont) | uint16(code)<<8
		if got, err := FromSMBIOSWord(w); err != nil || got != id {
			t.Fatalf("FromSMBIOSWord(0x%04X) = %v, %v; FromBytes gave %v", w, got, err, id)
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1:0x2C", "6:0x1B", "13:0x44", "0:0x00", "1:", "99:0xFF", "1:0x2c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		if !id.Valid() {
			t.Fatalf("ParseID(%q) = %v: not Valid", s, id)
		}
		if again, err := ParseID(id.String()); err != nil || again != id {
			t.Fatalf("ParseID(String(%v)) = %v, %v", id, again, err)
		}
	})
}

func BenchmarkFromSMBIOSWordName(b *testing.B) {
	for b.Loop() {
		id, err := FromSMBIOSWord(0x9B85)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := id.Name(); !ok {
			b.Fatal("unlisted")
		}
	}
}
