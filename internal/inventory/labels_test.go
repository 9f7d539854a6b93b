package inventory

import (
	"maps"
	"strings"
	"testing"
)

func TestValidateLabelKey(t *testing.T) {
	for _, k := range []string{"site", "cii", "team.storage/owner", "a-b_c:d", strings.Repeat("k", MaxLabelKey)} {
		if err := ValidateLabelKey(k); err != nil {
			t.Errorf("ValidateLabelKey(%q) = %v, want nil", k, err)
		}
	}
	bad := map[string]string{
		"":                                 "empty label key",
		strings.Repeat("k", MaxLabelKey+1): "longer than 253 bytes",
		"a b":                              `forbidden character ' ' at byte 1`,
		"k\x01":                            `forbidden character '\x01' at byte 1`,
		"\x7fk":                            `forbidden character '\x7f' at byte 0`,
		"a\tb":                             `'\t' at byte 1`,
		"k\x00":                            `'\x00' at byte 1`,
		"a=b":                              `'=' at byte 1`,
		"a,b":                              `',' at byte 1`,
		"!a":                               `'!' at byte 0`,
	}
	for k, want := range bad {
		if err := ValidateLabelKey(k); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateLabelKey(%.20q) = %v, want an error containing %q", k, err, want)
		}
	}
}

func TestParseLabels(t *testing.T) {
	got, err := ParseLabels([]string{"site=fra1", " cii =true", "note=a=b", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"site": "fra1", "cii": "true", "note": "a=b", "empty": ""}; !maps.Equal(got, want) {
		t.Errorf("ParseLabels = %v, want %v", got, want)
	}
	if got, err := ParseLabels(nil); got != nil || err != nil {
		t.Errorf("ParseLabels(nil) = %v, %v", got, err)
	}
	for _, tt := range []struct {
		pairs []string
		want  string
	}{
		{[]string{"site"}, `"site": want KEY=VALUE`},
		{[]string{"=fra1"}, `"=fra1": empty label key`},
		{[]string{"site=fra1", "site=ams2"}, `"site=ams2": key "site" given twice`},
		{[]string{"si\x01te=fra1"}, `forbidden character '\x01'`},
	} {
		if _, err := ParseLabels(tt.pairs); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseLabels(%q) = %v, want an error containing %q", tt.pairs, err, tt.want)
		}
	}
}
