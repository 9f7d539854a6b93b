package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
	_ "github.com/memledger/memledger/collector/internal/store/alldrivers"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// BenchmarkBuild measures the exposure report over a seeded ledger:
//
//	MEMLEDGER_BENCH_HOSTS  hosts (default 2000); each carries 20 parts
//	                       (storetest.FullHost: 16 modules, 4 drives), so
//	                       100000 gives the 2,000,000-part fleet of the
//	                       target; every 50th host later swaps a module
//	                       (a violation)
//	MEMLEDGER_BENCH_DSN    the ledger (default: a new SQLite file in a
//	                       temporary directory). It is seeded when it holds
//	                       fewer hosts than asked, so a seeded database can
//	                       be reused: sqlite:/var/tmp/bench.db or a
//	                       dedicated, empty PostgreSQL database.
//
// Example (about 2 minutes of seeding on the first run):
//
//	MEMLEDGER_BENCH_HOSTS=100000 MEMLEDGER_BENCH_DSN=sqlite:/var/tmp/bench.db \
//	  go test -run '^$' -bench BenchmarkBuild -benchtime 3x -timeout 60m ./collector/internal/report/
func BenchmarkBuild(b *testing.B) {
	_, st := openBench(b)
	ctx := context.Background()
	pol, err := policy.Parse([]byte(rt.BenchPolicy), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var rep *Report
	for i := 0; i < b.N; i++ {
		rep, err = Build(ctx, st, pol, Options{GroupBy: "cii"})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportMetrics(b, rep)
}

// BenchmarkLiveReport measures Tracker.Report, the report of the serving
// collector, from the live aggregates over the ledger BenchmarkBuild
// seeds (same variables); the whole-fleet evaluation that builds the
// aggregates at start runs before the timer. Each iteration first
// commits a changed inventory of one host (what a busy fleet does
// between two loads) and Notifies the tracker, so the timed report
// includes Sync's evaluation of that host.
//
//	MEMLEDGER_BENCH_HOSTS=100000 MEMLEDGER_BENCH_DSN=sqlite:/var/tmp/bench.db \
//	  go test -run '^$' -bench 'BenchmarkBuild|BenchmarkLiveReport' -benchtime 3x -timeout 60m ./collector/internal/report/
func BenchmarkLiveReport(b *testing.B) {
	hosts, st := openBench(b)
	pol, err := policy.Parse([]byte(rt.BenchPolicy), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tr := NewTracker(st, func() *policy.Policy { return pol }, TrackerOptions{})
	began := time.Now()
	if _, err := tr.Evaluate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("aggregates of %d hosts built in %v", hosts, time.Since(began).Round(time.Millisecond))
	b.ResetTimer()
	var rep *Report
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// A host that is not every 50th (those changed while seeding).
		n := 1 + (i*7919)%hosts
		if n%50 == 0 {
			n++
		}
		inv := benchInventory(n % hosts)
		inv.MemoryModules[1].SerialNumber = fmt.Sprintf("LIVE-%06d-%d", n, time.Now().UnixNano())
		apply(b, st, []store.Report{fx.Full(inv, uint64(time.Now().UnixNano()), time.Now())})
		tr.Notify(inv.Host.HostId)
		b.StartTimer()
		rep, err = tr.Report(ctx, Options{GroupBy: "cii"})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportMetrics(b, rep)
}

func reportMetrics(b *testing.B, rep *Report) {
	b.ReportMetric(float64(rep.Totals.Parts), "parts")
	b.ReportMetric(float64(rep.Totals.Hosts), "hosts")
	b.ReportMetric(float64(len(rep.Violations)), "violations")
}

// openBench opens and seeds the ledger of the benchmarks.
func openBench(b *testing.B) (int, store.Store) {
	hosts := 2000
	if s := os.Getenv("MEMLEDGER_BENCH_HOSTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("MEMLEDGER_BENCH_HOSTS=%q: want a positive number", s)
		}
		hosts = n
	}
	dsn := os.Getenv("MEMLEDGER_BENCH_DSN")
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		b.Fatalf("open %s: %v", store.RedactDSN(dsn), err)
	}
	b.Cleanup(func() { st.Close() })
	seedBench(b, st, hosts)
	return hosts, st
}

func benchID(i int) string { return fmt.Sprintf("bench-%06d", i) }

func benchInventory(i int) *memledgerv1.Inventory {
	inv := fx.FullHost(benchID(i))
	inv.Host.Labels = map[string]string{"cii": strconv.FormatBool(i%2 == 0), "site": fmt.Sprintf("site-%d", i%7)}
	return inv
}

func seedBench(b *testing.B, st store.Store, hosts int) {
	ctx := context.Background()
	have := 0
	if err := st.ForEachHost(ctx, store.HostFilter{}, func(store.HostBrief) error { have++; return nil }); err != nil {
		b.Fatal(err)
	}
	if have >= hosts {
		return
	}
	began := time.Now()
	inv := benchInventory
	const batch = 256
	for start := have; start < hosts; start += batch {
		var reps []store.Report
		for i := start; i < min(start+batch, hosts); i++ {
			reps = append(reps, fx.Full(inv(i), 1, fx.At(0)))
		}
		apply(b, st, reps)
	}
	var reps []store.Report
	for i := have; i < hosts; i += 50 {
		later := proto.Clone(inv(i)).(*memledgerv1.Inventory)
		later.MemoryModules[0].SerialNumber = fmt.Sprintf("SWAP-%06d", i)
		reps = append(reps, fx.Full(later, 2, fx.At(5)))
		if len(reps) == batch {
			apply(b, st, reps)
			reps = nil
		}
	}
	if len(reps) > 0 {
		apply(b, st, reps)
	}
	if o, ok := st.(store.Optimizer); ok {
		if err := o.Optimize(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d hosts in %v", hosts-have, time.Since(began).Round(time.Second))
}

func apply(b *testing.B, st store.Store, reps []store.Report) {
	b.Helper()
	out, err := st.Apply(context.Background(), reps)
	if err != nil {
		b.Fatal(err)
	}
	for i, o := range out {
		if o.Status != store.Committed {
			b.Fatalf("report %d: %v %s", i, o.Status, o.Message)
		}
	}
}
