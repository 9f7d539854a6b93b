package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/report"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/policy"
)

// BenchmarkPages times each page as a serving collector answers it: the
// fleet report from the policy Tracker's live aggregates (built before
// the timer) under rt.BenchPolicy (2,000 violations at 100,000 hosts),
// over a seeded ledger named by MEMLEDGER_BENCH_DSN (seed one with the
// report package's BenchmarkBuild, docs/benchmarks.md); skipped without
// it. MEMLEDGER_BENCH_PATHS, space separated, picks the pages; {host} and
// {part} in a path stand for the cursors of host bench-050000 in hostname
// order and of its first part (the middle of the lists).
//
//	MEMLEDGER_BENCH_DSN=sqlite:/var/tmp/pages-bench.db \
//	  go test -run '^$' -bench BenchmarkPages -benchtime 3x ./collector/internal/dashboard/
func BenchmarkPages(b *testing.B) {
	dsn := os.Getenv("MEMLEDGER_BENCH_DSN")
	if dsn == "" {
		b.Skip("MEMLEDGER_BENCH_DSN names no seeded ledger")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pol, err := policy.Parse([]byte(rt.BenchPolicy), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	polFn := func() *policy.Policy { return pol }
	tr := report.NewTracker(st, polFn, report.TrackerOptions{})
	began := time.Now()
	if _, err := tr.Evaluate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	rep, err := tr.Report(ctx, report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("live aggregates of %d hosts built in %v: %d violations", rep.Totals.Hosts, time.Since(began).Round(time.Millisecond), len(rep.Violations))
	h := New(Options{Store: st, Policy: polFn, Report: tr.Report}).Handler()

	const mid = "bench-050000"
	hosts, err := st.Hosts(ctx, store.HostFilter{IDs: []string{mid}})
	if err != nil || len(hosts) != 1 {
		b.Fatalf("host %s: %v", mid, err)
	}
	parts, err := st.Parts(ctx, store.PartFilter{HostIDs: []string{mid}, Limit: 1})
	if err != nil || len(parts) != 1 {
		b.Fatalf("parts of %s: %v", mid, err)
	}
	cursors := strings.NewReplacer("{host}", url.QueryEscape(cursorString(hosts[0].Key(store.HostsByHostname))),
		"{part}", url.QueryEscape(cursorString(parts[0].Key())))
	paths := []string{
		"/", "/hosts", "/hosts?after={host}", "/hosts?before={host}", "/hosts?q=bench-0999", "/hosts?label=site%3Dsite-3&sort=last_seen",
		"/hosts?vendor=kingston", "/hosts?status=violation", "/hosts?status=violation&after={host}", "/hosts?status=clean&after={host}",
		"/hosts/bench-000050", "/parts", "/parts?vendor=micron", "/parts?serial=SWAP-0000", "/parts?part=36ASF",
		"/parts?after={part}", "/parts?before={part}", "/violations",
	}
	if s := os.Getenv("MEMLEDGER_BENCH_PATHS"); s != "" {
		paths = strings.Fields(s)
	}
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			target := cursors.Replace(path)
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", target, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
