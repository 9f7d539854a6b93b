package placeholder

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestIs is the one table of placeholder values: every filler the issue
// and the three former classifiers (scan, ledger, snapshot masker) named,
// the patterns behind them, and real values on the edge of each pattern.
func TestIs(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		// Empty, spaces, NUL padding, no letter or digit at all.
		{"", true}, {"   ", true}, {"\t \r\n", true}, {"\x00\x00", true}, {"--", true}, {"- -", true},
		{"----------------", true}, {"...", true}, {"????", true}, {"**", true}, {"\u3000", true},
		// Runs of one character (case-insensitive, separators ignored).
		{"0", true}, {"00", true}, {"00000000", true}, {"0000000000000000", true}, {"FFFFFFFF", true},
		{"ffffffff", true}, {"FfFf", true}, {"XXXXXXXX", true}, {"AA", true}, {"11111111", true},
		{"00-00-00-00", true}, {"00:00:00:00", true}, {"0000 0000", true}, {"  00000000\x00", true},
		// 0x-zero forms.
		{"0x0", true}, {"0x0000", true}, {"0x00000000", true}, {"0X00000000", true}, {"0xFFFFFFFF", true}, {"0x", true},
		// Indexed template names.
		{"SerNum0", true}, {"SerNum00", true}, {"SerNum1", true}, {"SerNum12", true}, {"SerNum15", true},
		{"SerNum 0", true}, {"SERNUM 12", true}, {"SerNum", true}, {"Manufacturer00", true}, {"Manufacturer0", true},
		{"Manufacturer11", true}, {"PartNum1", true}, {"PartNum3", true}, {"PartNum01", true},
		{"ModulePartNumber01", true}, {"Array1_PartNumber0", true}, {"Array1_Manufacturer2", true},
		{"DIMM3_SerialNumber", true}, {"Dimm0_SerNum", true}, {"SerialNumber", true}, {"Serial Number", true},
		{"Part Number", true}, {"AssetTag2", true}, {"Asset Tag", true}, {"Manufacturer", true},
		// Filler words (and their spellings).
		{"Not Specified", true}, {"NOT SPECIFIED ", true}, {"not specified", true}, {"To Be Filled By O.E.M.", true},
		{"To be filled by O.E.M", true}, {"Default string", true}, {"Default String", true}, {"Undefined", true},
		{"Undefined    ", true}, {"Unknown", true}, {"UNKNOWN", true}, {"N/A", true}, {"n/a", true}, {"NA", true},
		{"None", true}, {"None Specified", true}, {"NULL", true}, {"Empty", true}, {"NO DIMM", true},
		{"No Module Installed", true}, {"Not Installed", true}, {"Not Available", true}, {"Not Applicable", true},
		{"Not Provided", true}, {"Not Set", true}, {"Not Present", true}, {"Invalid", true}, {"Reserved", true},
		{"<BAD INDEX>", true}, {"<OUT OF SPEC>", true}, {"OEM", true}, {"O.E.M.", true},
		{"System Serial Number", true}, {"Base Board Serial Number", true}, {"Chassis Serial Number", true},
		{"System manufacturer", true}, {"System Product Name", true}, {"Unknown Manufacturer", true},
		{"NoName", true}, {"JEDEC ID:", true}, {"Unknown Serial", true}, {"No Serial", true},
		// Vendor defaults: counting instead of a serial.
		{"0123456789", true}, {"123456789", true}, {"1234567890", true},

		// Real values.
		{"12345678", false}, {"1C2D3E4F", false}, {"S64FNE0R123456", false}, {"SerNumber7A", false},
		{"0x1234ABCD", false}, {"0x0001", false}, {"E0000001", false}, {"CE00000000000000", false},
		{"AB", false}, {"K", false}, {"1", false}, {"F", false}, {"Samsung", false}, {"859B", false},
		{"1315", false}, {"0B2C", false}, {"Unknown - [0x9B85]", false}, {"Micron_Technolog", false},
		{"SMART", false}, {"Manufacturing Co", false}, {"F3-12800CL9-2GBXL", false},
		{"36ASF8G72PZ-2G3B1", false}, {"M393A4K40DB3-CWE", false}, {"SerNum0A", false}, {"XSerNum0", false},
		{"Array_PartNumber0", false}, {"01234567", false}, {"Undefined1", false},
		{strings.Repeat("A", 200) + "B", false}, {strings.Repeat("0", 200), true},
		{"Ünknown", false}, {"ＳＥＲＮＵＭ０", false},
	}
	for _, tc := range tests {
		if got := Is(tc.in); got != tc.want {
			t.Errorf("Is(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzIs checks that the classifier never panics and that what it ignores
// (surrounding spaces and NULs, ASCII case, separators) never changes its
// answer.
func FuzzIs(f *testing.F) {
	for _, s := range []string{"", "0", "00000000", "0x00000000", "SerNum0", "Manufacturer00", "Array1_PartNumber0",
		"Not Specified", "To Be Filled By O.E.M.", "<BAD INDEX>", "12345678", "--", "\x00", "\xff\xfe", "Ünknown", "sernum٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Is(s)
		if Is("  "+s+"\t\x00") != got {
			t.Fatalf("surrounding space changes the verdict for %q", s)
		}
		if Is(strings.ToUpper(s)) != Is(strings.ToLower(s)) && isASCII(s) {
			t.Fatalf("ASCII case changes the verdict for %q", s)
		}
		// (Only valid UTF-8: dropping a byte may join two invalid ones
		// into a letter.)
		if utf8.ValidString(s) && Is(strings.ReplaceAll(s, "-", "")) != Is(strings.ReplaceAll(s, "-", " ")) {
			t.Fatalf("a separator changes the verdict for %q", s)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// BenchmarkIs classifies the values the ledger sees for every part of a
// changed report: mostly real serials, some fillers.
func BenchmarkIs(b *testing.B) {
	values := []string{"36ASF8G72PZ", "S64FNE0R123456", "1C2D3E4F", "00000000", "Not Specified", "SerNum3", "To Be Filled By O.E.M.", "E0000001"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Is(values[i%len(values)])
	}
}

// TestTablesFitShortcuts checks the bounds Is relies on to skip its tables:
// every filler word is at most maxWord long and is recognised, and every
// indexed name ends in a letter the shortcut lets through.
func TestTablesFitShortcuts(t *testing.T) {
	for w := range words {
		if len(w) > maxWord {
			t.Errorf("filler word %q is longer than maxWord (%d)", w, maxWord)
		}
		if !Is(w) {
			t.Errorf("filler word %q is not recognised", w)
		}
	}
	for _, name := range indexedNames {
		if !Is(name+"0") || !Is(name) {
			t.Errorf("indexed name %q is not recognised", name)
		}
	}
}
