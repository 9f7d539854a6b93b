package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/golden"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// goldenPolicy restricts new Micron parts (Crucial included, and Micron
// DRAM on other makers' modules) from 2025-03-11, and waives one SSD.
const goldenPolicy = `version: 1
rules:
  - id: no-new-micron
    title: "No new Micron parts from 2025-03-11"
    match: {vendors: [micron]}
    effective: 2025-03-11
    action: restrict-new
waivers:
  - rule: no-new-micron
    host: host-a
    serial: MICSSD01
    reason: "RMA spare, ticket OPS-1"
    expires: 2025-06-01
`

// reportGenerated matches when the report was made (JSON generated_at, the
// HTML page's "generated" line and its embedded data): the one value of a
// report over a fixed ledger, with a fixed --as-of, that varies by run.
var reportGenerated = regexp.MustCompile(`("generated_at": ?"|generated )[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:]+Z?`)

// goldenLedger ingests fixed inventories, collected at fixed times, into a
// new SQLite ledger with "memledger-collector ingest" and returns its DSN:
// host-a (db-17) with parts installed before the rule, then a module
// swapped for a Kingston module on Micron DRAM (a violation) and a Micron
// SSD (waived) added after it; host-b (web-3) installed before the rule.
func goldenLedger(t *testing.T) (dsn, policyPath string) {
	t.Helper()
	dir := t.TempDir()
	dsn = "sqlite:" + filepath.Join(dir, "ledger.db")
	before := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	after := time.Date(2025, 3, 13, 8, 0, 0, 0, time.UTC)
	a2 := hostA(after, "0K1NG002")
	a2.StorageDevices = append(a2.StorageDevices, &memledgerv1.StorageDevice{
		Name: "nvme1n1", Transport: "nvme", Model: "MTFDKCC960TFR", SerialNumber: "MICSSD01", SizeBytes: 960197124096,
		Vendor: &memledgerv1.Vendor{Id: "micron", Name: "Micron Technology", Parent: "micron", Evidence: []string{"pci-vendor"}},
	})
	// host-b's later report could not read its memory: its module stays
	// as last read, and the report names the host.
	b2 := hostB(after)
	b2.MemoryModules, b2.Incomplete = nil, []string{"memory"}
	mustRun(t, dsn, "ingest",
		writeInventory(t, dir, "a1.json", hostA(before, "0K1NG001")),
		writeInventory(t, dir, "b1.json", hostB(before)),
		writeInventory(t, dir, "a2.json", a2),
		writeInventory(t, dir, "b2.json", b2),
	)
	policyPath = filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyPath, []byte(goldenPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	return dsn, policyPath
}

// TestReportGolden runs "memledger-collector report" over goldenLedger in
// every format and compares the output with testdata/report/. After
// reviewing a diff, accept it with
//
//	go test ./collector/internal/cli -run Golden -update
//
// Masked: the time the report was generated (reportGenerated) and the
// test's temporary directory in the policy's path; --as-of fixes the
// fleet's date.
func TestReportGolden(t *testing.T) {
	dsn, pol := goldenLedger(t)
	tmp := []byte(filepath.Dir(pol))
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"table.txt", nil},
		{"violations.txt", []string{"--violations"}},
		{"counts.csv", []string{"--format", "csv"}},
		{"violations.csv", []string{"--format", "csv", "--violations"}},
		{"report.json", []string{"--format", "json"}},
		{"report.html", []string{"--format", "html"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			args := append([]string{"report", "--policy", pol, "--as-of", "2025-03-31", "--group-by", "site"}, tc.args...)
			out := mustRun(t, dsn, args...)
			got := reportGenerated.ReplaceAll([]byte(out), []byte("${1}(report time)"))
			got = bytes.ReplaceAll(got, tmp, []byte("(test dir)"))
			golden.Check(t, filepath.Join("testdata", "report", tc.file), got)
		})
	}
}
