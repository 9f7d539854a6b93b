package scan

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/maker"
)

// TestSmartctlModelFamilyNamesMaker: smartctl's "Model Family" (text) or
// model_family (JSON) names the maker of a model nothing else names, with
// its own evidence kind; a family named after a controller names nobody,
// and a model rule outweighs a family that disagrees with it.
func TestSmartctlModelFamilyNamesMaker(t *testing.T) {
	text := func(family, model string) string {
		return "smartctl 7.4 2023-08-01 r5530 [x86_64-linux-6.6.0] (local build)\n" +
			"=== START OF INFORMATION SECTION ===\n" +
			"Model Family:     " + family + "\n" +
			"Device Model:     " + model + "\n" +
			"Serial Number:    ZZ12345678\n" +
			"Rotation Rate:    5400 rpm\n"
	}
	jsonOut := func(family, model string) string {
		return fmt.Sprintf(`{
  "json_format_version": [1, 0],
  "smartctl": {"version": [7, 4], "exit_status": 0},
  "device": {"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
  "model_family": %q,
  "model_name": %q,
  "serial_number": "ZZ12345678",
  "rotation_rate": 5400
}
`, family, model)
	}
	for _, tc := range []struct {
		name, family, model string
		vendor              string
		evidence            []string
		warn                string // substring of a vendor warning; "" = none
	}{
		{"family names the maker of a model no rule knows", "Western Digital Red Plus", "XD999ZZZZ-00ABCD0",
			"westerndigital", []string{maker.EvidenceModelFamily}, ""},
		{"family agrees with the model rule", "Western Digital Red Plus", "WDC WD999ZZZZ-00ABCD0",
			"westerndigital", []string{maker.EvidenceModelPrefix, maker.EvidenceModelFamily}, ""},
		{"controller family names nobody", "Phison Driven SSDs", "XD240G SSD",
			"", nil, ""},
		{"model rule beats a disagreeing family", "Western Digital Red Plus", "ST4000DM004-2CV104",
			"seagate", []string{maker.EvidenceModelPrefix}, `smartctl model family "Western Digital Red Plus"`},
	} {
		for format, out := range map[string]string{"text": text(tc.family, tc.model), "json": jsonOut(tc.family, tc.model)} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				devs, warnings, err := readSmartctlFiles([]string{"-"}, strings.NewReader(out))
				if err != nil {
					t.Fatal(err)
				}
				if len(devs) != 1 {
					t.Fatalf("%d drives, want 1", len(devs))
				}
				v := devs[0].GetVendor()
				if v.GetId() != tc.vendor || !slices.Equal(v.GetEvidence(), tc.evidence) {
					t.Errorf("vendor %q %v, want %q %v (warnings %v)", v.GetId(), v.GetEvidence(), tc.vendor, tc.evidence, warnings)
				}
				found := false
				for _, w := range warnings {
					if w.GetSource() == "vendor" {
						found = found || (tc.warn != "" && strings.Contains(w.GetMessage(), tc.warn))
						if tc.warn == "" {
							t.Errorf("unexpected warning %v", w)
						}
					}
				}
				if tc.warn != "" && !found {
					t.Errorf("no vendor warning with %q: %v", tc.warn, warnings)
				}
			})
		}
	}
}
