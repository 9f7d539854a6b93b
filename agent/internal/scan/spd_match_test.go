package scan

import (
	"testing"

	"github.com/memledger/memledger/internal/spd"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// An SPD joins the module whose SMBIOS serial is the same number, however
// firmware wrote it, and never joins on an unset serial.
func TestMatchSPDSerial(t *testing.T) {
	t.Parallel()
	modules := func(serials ...string) []*memledgerv1.MemoryModule {
		var ms []*memledgerv1.MemoryModule
		for _, s := range serials {
			// One part number for all, as in a host of identical DIMMs:
			// only the serial can tell them apart.
			ms = append(ms, &memledgerv1.MemoryModule{SerialNumber: s, PartNumber: "M393A2K43DB3-CWE"})
		}
		return ms
	}
	tests := []struct {
		name   string
		smbios []string
		spd    string
		want   int
	}{
		{"same form", []string{"11111111", "0750174F"}, "0750174F", 1},
		{"0x prefix", []string{"11111111", "0x0750174F"}, "0750174F", 1},
		{"leading zero dropped by firmware", []string{"11111111", "750174F"}, "0750174F", 1},
		{"serial starting with zeros", []string{"000000FE", "000000FF"}, "000000FF", 1},
		{"different number", []string{"11111111", "22222222"}, "0750174F", -1},
		{"unset SPD serial", []string{"00000000", "FFFFFFFF"}, "00000000", -1},
		{"erased SPD serial", []string{"00000000", "FFFFFFFF"}, "FFFFFFFF", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := modules(tc.smbios...)
			got := matchSPD(ms, make([]bool, len(ms)), &spd.Module{SerialNumber: tc.spd, PartNumber: "M393A2K43DB3-CWE"})
			if got != tc.want {
				t.Errorf("SPD serial %q among %q: module %d, want %d", tc.spd, tc.smbios, got, tc.want)
			}
		})
	}
}
