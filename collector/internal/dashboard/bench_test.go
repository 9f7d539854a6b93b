package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/policy"
)

// BenchmarkPages times each page over a seeded ledger named by
// MEMLEDGER_BENCH_DSN (seed one with the report package's BenchmarkBuild,
// docs/benchmarks.md); skipped without it. MEMLEDGER_BENCH_PATHS, space
// separated, picks the pages.
//
//	MEMLEDGER_BENCH_DSN=sqlite:/var/tmp/bench.db \
//	  go test -run '^$' -bench BenchmarkPages -benchtime 3x ./collector/internal/dashboard/
func BenchmarkPages(b *testing.B) {
	dsn := os.Getenv("MEMLEDGER_BENCH_DSN")
	if dsn == "" {
		b.Skip("MEMLEDGER_BENCH_DSN names no seeded ledger")
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pol, err := policy.Parse([]byte(rt.Policy), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	h := New(Options{Store: st, Policy: func() *policy.Policy { return pol }}).Handler()
	paths := []string{
		"/", "/hosts", "/hosts?page=1000", "/hosts?q=bench-0999", "/hosts?label=site%3Dsite-3&sort=last_seen",
		"/hosts?vendor=kingston", "/hosts?status=violation", "/hosts/bench-000050",
		"/parts", "/parts?vendor=micron", "/parts?serial=SWAP-0000", "/parts?page=20000", "/violations",
	}
	if s := os.Getenv("MEMLEDGER_BENCH_PATHS"); s != "" {
		paths = strings.Fields(s)
	}
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
