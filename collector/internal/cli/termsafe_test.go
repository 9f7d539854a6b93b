package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/termsafe"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Strings an agent sent reach the tables escaped: an ESC sequence in a
// hostname, label, part number or serial cannot drive the terminal.
func TestTablesEscapeControlCharacters(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	t0 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	inv := hostA(t0, "0K1NG001")
	inv.Host.Hostname = "db-17\x1b[2J\x1b[H"
	inv.Host.Labels = map[string]string{"site": "fra1\x1b]0;owned\x07"}
	inv.MemoryModules[0].PartNumber = "CT32G4\x1b[1A\x1b[2K"
	inv.MemoryModules[0].SerialNumber = "E1A2\u009b31m"
	inv.MemoryModules[1].Locator = "DIMM_A2\u202e"
	mustRun(t, db, "ingest", writeInventory(t, dir, "evil.json", inv))
	mustRun(t, db, "label", "host-a", "note=x\x1b[5m")

	outputs := map[string]string{
		"hosts":   mustRun(t, db, "hosts"),
		"parts":   mustRun(t, db, "parts"),
		"history": mustRun(t, db, "history"),
		"label":   mustRun(t, db, "label", "host-a"),
	}
	dsn, pol := reportLedger(t)
	evil := hostA(time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC), "0K1NG009")
	evil.Host.HostId, evil.Host.Hostname = "db-66", "db-66\x1b[8m"
	evil.Host.Labels = map[string]string{"cii": "true", "env": "prod\x1b[31m"}
	evil.MemoryModules = []*memledgerv1.MemoryModule{module("A1\x1b[2K", micron, micron, "MT\x1b[1A", "S\x1b[2K")}
	evil.StorageDevices = nil
	mustRun(t, dsn, "ingest", writeInventory(t, dir, "db-66.json", evil))
	mustRun(t, dsn, "ingest", writeInventory(t, dir, "db-66b.json", func() *memledgerv1.Inventory {
		later := hostA(time.Date(2025, 3, 21, 0, 0, 0, 0, time.UTC), "0K1NG009")
		later.Host = evil.Host
		later.StorageDevices = nil
		later.MemoryModules = append(evil.MemoryModules, module("A2\x1b[2K", micron, micron, "MT\x1b[1A", "S2\x1b[2K"))
		return later
	}()))
	outputs["report"] = mustRun(t, dsn, "report", "--policy", pol, "--group-by", "env")

	for name, out := range outputs {
		for _, line := range strings.Split(out, "\n") {
			if !termsafe.Safe(strings.ReplaceAll(line, "\t", " ")) { // label separates with a tab
				t.Errorf("%s prints the raw control characters of %q", name, line)
			}
		}
	}
	for name, want := range map[string]string{
		"hosts":   `db-17\x1b[2J\x1b[H`,
		"parts":   `CT32G4\x1b[1A\x1b[2K`,
		"history": `db-17\x1b[2J\x1b[H`,
		"label":   `note=x\x1b[5m`,
		"report":  `db-66\x1b[8m`,
	} {
		if !strings.Contains(outputs[name], want) {
			t.Errorf("%s lacks the escaped %s:\n%s", name, want, outputs[name])
		}
	}
	for _, want := range []string{`E1A2\u009b31m`, `DIMM_A2\u202e`} {
		if !strings.Contains(outputs["parts"], want) {
			t.Errorf("parts lacks the escaped %s:\n%s", want, outputs["parts"])
		}
	}
	if !strings.Contains(outputs["report"], `prod\x1b[31m`) {
		t.Errorf("report's group keys are not escaped:\n%s", outputs["report"])
	}
}
