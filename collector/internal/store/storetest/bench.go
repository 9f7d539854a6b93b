package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Benchmark shape: batches of BatchSize reports (the group commit a
// collector does), spread over FleetSize hosts, each report a FullHost
// inventory (16 modules + 4 drives). One benchmark iteration is one batch;
// the reports/s metric is what to compare with the 5,000 full and 20,000
// heartbeat reports/s target.
const (
	BatchSize = 64
	FleetSize = 1024
)

type fleet struct {
	ids  []string
	invs []*memledgerv1.Inventory
	seq  []uint64
	next int
}

func newFleet(prefix string, n int) *fleet {
	f := &fleet{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-%05d", prefix, i)
		f.ids = append(f.ids, id)
		f.invs = append(f.invs, FullHost(id))
		f.seq = append(f.seq, 0)
	}
	return f
}

// enroll applies every host's first full inventory.
func (f *fleet) enroll(b *testing.B, s store.Store) {
	b.Helper()
	for start := 0; start < len(f.ids); start += BatchSize {
		var batch []store.Report
		for i := start; i < min(start+BatchSize, len(f.ids)); i++ {
			f.seq[i]++
			batch = append(batch, Full(f.invs[i], f.seq[i], T0))
		}
		mustApply(b, s, batch)
	}
	// Plans cached while the tables were empty would otherwise stay until
	// autovacuum analyzes them, which a benchmark does not wait for.
	if o, ok := s.(store.Optimizer); ok {
		if err := o.Optimize(context.Background()); err != nil {
			b.Fatalf("Optimize: %v", err)
		}
	}
}

// batch builds the next BatchSize reports round-robin over the fleet.
func (f *fleet) batch(at time.Time, mk func(i int, seq uint64) store.Report) []store.Report {
	out := make([]store.Report, 0, BatchSize)
	for len(out) < BatchSize {
		i := f.next
		f.next = (f.next + 1) % len(f.ids)
		f.seq[i]++
		out = append(out, mk(i, f.seq[i]))
	}
	return out
}

func mustApply(b *testing.B, s store.Store, batch []store.Report) {
	b.Helper()
	out, err := s.Apply(context.Background(), batch)
	if err != nil {
		b.Fatalf("Apply: %v", err)
	}
	for i, o := range out {
		if o.Status != store.Committed {
			b.Fatalf("report %d: %v %s", i, o.Status, o.Message)
		}
	}
}

func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*BatchSize)/s, "reports/s")
	}
}

// BenchApplyFull measures full reports in three situations:
//   - enroll: first inventory of new hosts (20 part rows and 21 events each),
//     joining a fleet of FleetSize hosts;
//   - unchanged: the inventory the collector already holds (digest equal:
//     one host row update per report), the common case;
//   - swap: one module replaced per report (diff, one removal, one insert,
//     two events).
func BenchApplyFull(b *testing.B, open Opener) {
	b.Run("enroll", func(b *testing.B) {
		s := open(b)
		newFleet("pre", FleetSize).enroll(b, s) // a fleet already there
		n := 0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			batch := make([]store.Report, BatchSize)
			for j := range batch {
				n++
				batch[j] = Full(FullHost(fmt.Sprintf("enroll-%07d", n)), 1, T0)
			}
			b.StartTimer()
			mustApply(b, s, batch)
		}
		reportRate(b)
	})
	b.Run("unchanged", func(b *testing.B) {
		s := open(b)
		f := newFleet("unch", FleetSize)
		f.enroll(b, s)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			at := T0.Add(time.Duration(i+1) * time.Second)
			batch := f.batch(at, func(h int, seq uint64) store.Report { return Full(f.invs[h], seq, at) })
			b.StartTimer()
			mustApply(b, s, batch)
		}
		reportRate(b)
	})
	b.Run("swap", func(b *testing.B) {
		s := open(b)
		f := newFleet("swap", FleetSize)
		f.enroll(b, s)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			at := T0.Add(time.Duration(i+1) * time.Second)
			batch := f.batch(at, func(h int, seq uint64) store.Report {
				inv := proto.Clone(f.invs[h]).(*memledgerv1.Inventory)
				inv.MemoryModules[int(seq)%16].SerialNumber = fmt.Sprintf("SWAP-%d-%d", h, seq)
				return Full(inv, seq, at)
			})
			b.StartTimer()
			mustApply(b, s, batch)
		}
		reportRate(b)
	})
}

// BenchApplyHeartbeat measures heartbeats carrying the current digest.
func BenchApplyHeartbeat(b *testing.B, open Opener) {
	s := open(b)
	f := newFleet("hb", FleetSize)
	f.enroll(b, s)
	digests := make([]string, len(f.invs))
	for i, inv := range f.invs {
		digests[i] = Digest(b, inv)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		at := T0.Add(time.Duration(i+1) * time.Second)
		batch := f.batch(at, func(h int, seq uint64) store.Report { return Heartbeat(f.ids[h], seq, at, digests[h]) })
		b.StartTimer()
		mustApply(b, s, batch)
	}
	reportRate(b)
}
