package udev

import (
	"strings"
	"testing"
)

func TestEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Ultra Fit/x\\y", `Ultra\x20Fit\x2fx\x5cy`},
		{"Samsung SSD 860 EVO 500GB", `Samsung\x20SSD\x20860\x20EVO\x20500GB`},
		{"#+-.:=@_09AZaz", "#+-.:=@_09AZaz"},
		{"\xff\x00é", `\xff\x00\xc3\xa9`},
		{"", ""},
	} {
		if got := Encode(tc.in); got != tc.want {
			t.Errorf("Encode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: `Micron_5300_MTFDDAK480TDS\x20\x20\x20`, want: "Micron_5300_MTFDDAK480TDS   "},
		{in: `Samsung\x20SSD\x20860\x20EVO\x20500GB`, want: "Samsung SSD 860 EVO 500GB"},
		{in: `a\x5cb\x2fc`, want: `a\b/c`},
		{in: `\xff\x00`, want: "\xff\x00"},
		{in: `\xAb`, want: "\xab"},
		{in: "plain", want: "plain"},
		{in: "", want: ""},
		{in: `abc\`, wantErr: "byte 3"},
		{in: `ab\x2`, wantErr: "byte 2"},
		{in: `ab\y20`, wantErr: "byte 2"},
		{in: `\xg0`, wantErr: "byte 0"},
		{in: `ok\x20\x2`, wantErr: "byte 6"},
	}
	for _, tc := range tests {
		got, err := Unescape(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Unescape(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestReplace(t *testing.T) {
	for _, tc := range []struct{ in, whitespace, replace string }{
		{"  Samsung SSD   860 EVO  ", "Samsung_SSD_860_EVO", "Samsung_SSD_860_EVO"},
		{"WD Blue/SN570 (1TB)", "WD_Blue/SN570_(1TB)", "WD_Blue_SN570__1TB_"},
		{"S/N é", "S/N_é", "S_N__"},
		{"", "", ""},
	} {
		if got := ReplaceWhitespace(tc.in); got != tc.whitespace {
			t.Errorf("ReplaceWhitespace(%q) = %q, want %q", tc.in, got, tc.whitespace)
		}
		if got := Replace(tc.in); got != tc.replace {
			t.Errorf("Replace(%q) = %q, want %q", tc.in, got, tc.replace)
		}
	}
}

func FuzzUnescape(f *testing.F) {
	f.Add(`Micron_5300_MTFDDAK480TDS\x20\x20\x20`)
	f.Add(`INTEL\x20SSDSC2KB96`)
	f.Add(`a\x5cb`)
	f.Add(`\`)
	f.Add(`\x`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Unescape(s)
		if err != nil {
			return
		}
		if len(got) > len(s) {
			t.Fatalf("Unescape(%q) = %q grew", s, got)
		}
		// What udev would write for the decoded bytes decodes to them again.
		again, err := Unescape(Encode(got))
		if err != nil || again != got {
			t.Fatalf("round trip of %q through Encode: %q, %v", got, again, err)
		}
	})
}
