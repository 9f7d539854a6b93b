package render

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/internal/termsafe"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// A host's strings reach the scan table escaped: no ESC, C1 or bidi
// control from firmware or a hostile host drives the terminal.
func TestTableEscapesControlCharacters(t *testing.T) {
	inv := &memledgerv1.Inventory{
		Host: &memledgerv1.Host{
			HostId: "h1", Hostname: "db-17\x1b]0;owned\x07", SystemManufacturer: "Dell\x1b[8m",
			SystemProduct: "R650\u009b2J", SystemSerial: "SN\r\nFAKE", Labels: map[string]string{"site\x1b[1m": "fra1\x1b[0m"},
		},
		MemoryModules: []*memledgerv1.MemoryModule{{
			Locator: "A1\x1b[2K", PartNumber: "36ASF8G72PZ\x1b[1A\x1b[2K", SerialNumber: "12\u202e34", SizeBytes: 32 << 30,
			ManufacturerRaw: "\xffBad\x7f",
		}},
		StorageDevices: []*memledgerv1.StorageDevice{{Name: "nvme0n1", Model: "SSD\x1b[31m", SerialNumber: "S\x00N"}},
		Warnings:       []*memledgerv1.Warning{{Source: "spd", Message: "cannot read\x1b[2J", Subject: "/sys/\x1bx"}},
	}
	orig := proto.Clone(inv)
	var buf bytes.Buffer
	if err := Table(&buf, inv); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, line := range strings.Split(out, "\n") {
		if !termsafe.Safe(strings.ReplaceAll(line, "\t", " ")) {
			t.Errorf("unsafe line %q", line)
		}
	}
	for _, want := range []string{`db-17\x1b]0;owned\x07`, `36ASF8G72PZ\x1b[1A\x1b[2K`, `12\u202e34`, `SN\r\nFAKE`, `\xffBad\x7f`, `SSD\x1b[31m`, `S\x00N`, `cannot read\x1b[2J`, `R650\u009b2J`} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks the escaped %s:\n%s", want, out)
		}
	}
	if !proto.Equal(inv, orig) {
		t.Error("Table changed the inventory it was given")
	}
	// Safe inventories are printed as they are, not copied.
	if got := terminalSafe(orig.(*memledgerv1.Inventory)); got == orig {
		t.Error("an unsafe inventory was not copied")
	}
	clean := &memledgerv1.Inventory{Host: &memledgerv1.Host{HostId: "h1", Labels: map[string]string{"site": "fra1"}}}
	if terminalSafe(clean) != clean {
		t.Error("a safe inventory was copied")
	}
	esc := terminalSafe(inv)
	if k := esc.GetHost().GetLabels(); k[`site\x1b[1m`] != `fra1\x1b[0m` || len(k) != 1 {
		t.Errorf("labels %q: want key and value escaped", k)
	}
}
