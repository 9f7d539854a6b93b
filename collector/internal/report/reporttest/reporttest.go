// Package reporttest is the small test fleet the report, HTTP API and CLI
// tests share: three hosts, one Micron rule, a new Micron SSD after the
// rule's effective date.
package reporttest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	_ "github.com/memledger/memledger/collector/internal/store/postgres" // OpenStores
	"github.com/memledger/memledger/collector/internal/store/postgres/pgtest"
	_ "github.com/memledger/memledger/collector/internal/store/sqlite"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// The test fleet (days are storetest.At days; the rule is effective on
// 2025-03-11, day 10):
//
//	db-17 (cii=true, env=prod):    day 3 Micron DIMM A1 (baseline), Samsung
//	                               DIMM A2, Samsung drive nvme0n1; day 12 a
//	                               Micron SSD nvme1n1 arrives (violation);
//	                               day 20 the Micron DIMM A1 is removed.
//	db-18 (cii=true, env=staging): day 3 Kingston DIMM with Micron DRAM
//	                               (baseline: recorded, component dram).
//	web-1 (env=prod):              day 3 Micron DIMM, day 15 Crucial DIMM:
//	                               out of the rule's scope, allowed.
//
// Policy is the test policy.
const Policy = `
version: 1
rules:
  - id: cii-micron
    title: "No new Micron in critical infrastructure"
    match: {vendors: [micron]}
    scope: {cii: "true"}
    effective: 2025-03-11
    action: restrict-new
`

// BenchPolicy is the benchmarks' policy (BenchmarkBuild, BenchmarkPages). It
// matches every part of storetest.FullHost (Micron, Crucial,
// Kingston with Micron dies) on half the hosts, and Samsung drives on all.
const BenchPolicy = `
rules:
  - id: cii-micron
    title: "No new Micron in critical infrastructure"
    match: {vendors: [micron]}
    scope: {cii: "true"}
    effective: 2025-03-01
    action: restrict-new
  - id: samsung-drives
    title: "Samsung drives recorded"
    match: {vendors: [samsung], components: [storage]}
    effective: 2030-01-01
    action: deny
`

// Waiver waives the Micron SSD on db-17 until 2025-04-01; append it to
// Policy.
const Waiver = `
waivers:
  - rule: cii-micron
    host: db-17
    serial: MICSSD01
    reason: "RMA spare, ticket OPS-1"
    expires: 2025-04-01
`

// The Micron SSD that arrives on db-17 on day 12.
var (
	MicronSSD  = &memledgerv1.Vendor{Id: "micron", Name: "Micron", Parent: "micron", Evidence: []string{"pci-vendor"}}
	Day12Drive = fx.Drive("nvme1n1", MicronSSD, "MTFDKCC960TFR", "MICSSD01", "E2MU200")
)

// WithLabels sets the inventory's host labels.
func WithLabels(inv *memledgerv1.Inventory, labels map[string]string) *memledgerv1.Inventory {
	inv.Host.Labels = labels
	return inv
}

// OpenStore opens an empty SQLite ledger in a temporary directory.
func OpenStore(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Apply commits reports, failing t unless all are committed.
func Apply(t testing.TB, st store.Store, reps ...store.Report) {
	t.Helper()
	out, err := st.Apply(context.Background(), reps)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for i, o := range out {
		if o.Status != store.Committed {
			t.Fatalf("report %d: %v %s", i, o.Status, o.Message)
		}
	}
}

// SeedFleet builds the test fleet up to day upTo (3, 12, 15 or 20).
func SeedFleet(t testing.TB, st store.Store, upTo int) {
	t.Helper()
	cii := map[string]string{"cii": "true", "env": "prod"}
	micA1 := fx.DIMM("A1", fx.Micron, "36ASF8G72PZ-2G3B1", "MIC-A1")
	samA2 := fx.DIMM("A2", fx.Samsung, "M393A4K40DB3-CWE", "SAM-A2")
	drive0 := fx.Drive("nvme0n1", fx.Samsung, "SAMSUNG MZQL2960HCJR-00A07", "SAMDRV0", "GDC5602Q")
	king := fx.DIMM("B1", fx.Kingston, "KSM32RD4/32MRR", "KING-B1")
	king.DramVendor = fx.Micron
	webA := fx.DIMM("A1", fx.Micron, "36ASF8G72PZ-2G3B1", "WEB-A1")
	webB := fx.DIMM("A2", fx.Crucial, "CT32G4RFD4293", "WEB-A2")
	Apply(t, st,
		fx.Full(WithLabels(fx.Inventory("db-17", []*memledgerv1.MemoryModule{micA1, samA2}, []*memledgerv1.StorageDevice{drive0}), cii), 1, fx.At(3)),
		fx.Full(WithLabels(fx.Inventory("db-18", []*memledgerv1.MemoryModule{king}, nil), map[string]string{"cii": "true", "env": "staging"}), 1, fx.At(3)),
		fx.Full(WithLabels(fx.Inventory("web-1", []*memledgerv1.MemoryModule{webA}, nil), map[string]string{"env": "prod"}), 1, fx.At(3)),
	)
	if upTo >= 12 {
		Apply(t, st, fx.Full(WithLabels(fx.Inventory("db-17", []*memledgerv1.MemoryModule{micA1, samA2},
			[]*memledgerv1.StorageDevice{drive0, Day12Drive}), cii), 2, fx.At(12)))
	}
	if upTo >= 15 {
		Apply(t, st, fx.Full(WithLabels(fx.Inventory("web-1", []*memledgerv1.MemoryModule{webA, webB}, nil), map[string]string{"env": "prod"}), 2, fx.At(15)))
	}
	if upTo >= 20 {
		Apply(t, st, fx.Full(WithLabels(fx.Inventory("db-17", []*memledgerv1.MemoryModule{samA2},
			[]*memledgerv1.StorageDevice{drive0, Day12Drive}), cii), 3, fx.At(20)))
	}
}

// MustPolicy parses a policy, failing t on error.
func MustPolicy(t testing.TB, text string) *policy.Policy {
	t.Helper()
	pol, err := policy.Parse([]byte(text), "policy.yaml")
	if err != nil {
		t.Fatalf("parse policy: %v", err)
	}
	return pol
}

// FixedNow is a clock stopped at t.
func FixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

// EnvPostgres names a PostgreSQL server for the PostgreSQL variants of the
// report tests, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvPostgres = "MEMLEDGER_TEST_POSTGRES"

// OpenStores returns openers of an empty ledger per driver: SQLite always,
// PostgreSQL (a schema of its own, dropped at cleanup) when EnvPostgres
// is set.
func OpenStores(t *testing.T) map[string]func(t *testing.T) store.Store {
	m := map[string]func(t *testing.T) store.Store{"sqlite": func(t *testing.T) store.Store { return OpenStore(t) }}
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Logf("PostgreSQL variant skipped: set %s to run it", EnvPostgres)
		return m
	}
	m["postgres"] = func(t *testing.T) store.Store {
		t.Helper()
		schemaDSN := pgtest.FreshSchema(t, dsn)
		st, err := store.Open(context.Background(), schemaDSN)
		if err != nil {
			t.Fatalf("open %s: %v", store.RedactDSN(schemaDSN), err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	return m
}
