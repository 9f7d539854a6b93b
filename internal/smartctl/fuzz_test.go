package smartctl

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smartctl/smartctltest"
)

// FuzzParse checks that no input makes Parse panic, that its only error
// is ErrNoDrive, that every drive it keeps has a model, a line inside the
// input and a WWN in the kernel's notation, and that text output reads
// the same with CRLF line ends.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		banner + ataSSD,
		banner + nvmeDrive + banner + sasHDD,
		dellMicron + ataHDD,
		"Device: /dev/sda\n" + banner + dellNVMe,
		"# smartctl -i -d megaraid,3 /dev/bus/0\n" + smartctltest.InfoATA,
		"$ smartctl -a /dev/sda 2>&1 | tee -d\n$ smartctl --device /dev/sdb\n" + ataHDD,
		banner + "Smartctl open device: /dev/sdz failed: No such device\n",
		ataSSD[:len(ataSSD)/2],
		jsonATA(f) + jsonNVMe(f),
		jsonSAS(f)[:200],
		`{"model_name":"M","wwn":{"naa":5,"oui":1,"id":1},"nvme_namespaces":[{"eui64":{"oui":1,"ext_id":2}}]}`,
		"",
		"{",
		"LU WWN Device Id: 5 0 0\nDevice Model: X\n",
		"PCI Vendor/Subsystem ID: 0x\nModel Number: \xff\x1b\n",
		"\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		drives, warnings, err := Parse(data)
		if err != nil && !errors.Is(err, ErrNoDrive) {
			t.Fatalf("error %v is not ErrNoDrive", err)
		}
		lines := bytes.Count(data, []byte{'\n'}) + 1
		for _, d := range drives {
			if d.Model == "" {
				t.Errorf("drive without a model kept: %+v", d)
			}
			if d.Line < 1 || d.Line > lines {
				t.Errorf("drive line %d outside the input's %d lines", d.Line, lines)
			}
			if !strings.HasPrefix(d.WWN, "naa.") && d.WWN != "" {
				t.Errorf("WWN %q is not in the kernel's naa. notation", d.WWN)
			}
		}
		for _, w := range warnings {
			if w.Line < 1 || w.Line > lines {
				t.Errorf("warning line %d outside the input's %d lines: %+v", w.Line, lines, w)
			}
		}
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); (len(t) > 0 && t[0] == '{') || bytes.IndexByte(data, '\r') >= 0 {
			return
		}
		crlf, _, _ := Parse([]byte(strings.ReplaceAll(string(data), "\n", "\r\n")))
		if !reflect.DeepEqual(crlf, drives) {
			t.Errorf("CRLF changes the result:\n  LF %+v\nCRLF %+v", drives, crlf)
		}
	})
}
