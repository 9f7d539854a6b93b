package cli

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	db := "sqlite:" + path
	if _, _, err := runCLI(t, nil, "", "check", "--db", db); err == nil || !strings.Contains(err.Error(), "no ledger at") {
		t.Fatalf("check without a ledger: %v, want 'no ledger at'", err)
	}
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	mustRun(t, db, "ingest", writeInventory(t, dir, "a1.json", hostA(t0, "0K1NG001")))
	mustRun(t, db, "ingest", writeInventory(t, dir, "a2.json", hostA(t0.Add(time.Minute), "0K1NG002")))
	if out := mustRun(t, db, "check"); !strings.Contains(out, "every rule holds") || !strings.Contains(out, "serial clashes: 0 parts") {
		t.Fatalf("check of a ledger written by the collector: %q", out)
	}
	// Host B reports host A's Micron module too: a clash, which check lists.
	b := hostB(t0)
	b.MemoryModules = append(b.MemoryModules, hostA(t0, "0K1NG001").MemoryModules[1])
	mustRun(t, db, "ingest", writeInventory(t, dir, "b1.json", b))
	if out := mustRun(t, db, "check"); !strings.Contains(out, "every rule holds") ||
		!strings.Contains(out, "serial clashes: 1 parts active on more than one host") || !strings.Contains(out, "2C0FFEE1 on host-a, host-b") {
		t.Fatalf("check of a ledger with a serial clash: %q", out)
	}

	// An event naming a host that does not exist, written behind the
	// collector's back (a plain connection enforces no foreign keys).
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO events (at, host_id, kind, message, details) VALUES (?, 'ghost', 'x', '', '{}')`, t0); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, nil, "", "check", "--db", db)
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 1 || !strings.Contains(err.Error(), "every event is on an existing host: 1 rows break it") {
		t.Fatalf("check of a broken ledger: %v (stdout %q), want exit 1 naming the rule", err, out)
	}
}
