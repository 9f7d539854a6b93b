package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// benchIngest streams b.N reports from agents hosts over loopback into a
// SQLite ledger (acks after commit) and reports reports/s. heartbeat
// (heartbeats) selects heartbeats (after one full report per host) instead of full
// 16-module, 4-drive inventories. The client side runs in this process
// too, so the numbers are a floor for the server alone.
func benchIngest(b *testing.B, heartbeats bool, committers int) {
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := New(st, Options{Committers: committers})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	defer func() {
		cancel()
		<-served
	}()

	const agents, window = 64, 8
	type agent struct {
		host   string
		inv    *memledgerv1.Inventory
		digest string
		s      reportClient
	}
	var as []*agent
	for i := 0; i < agents; i++ {
		host := fmt.Sprintf("bench-%03d", i)
		inv := testInventory(host, 16, 4, i)
		a := &agent{host: host, inv: inv, digest: mustDigest(b, inv), s: openStream(b, dial(b, lis.Addr().String()))}
		// Enrol the host with one full report.
		if err := a.s.Send(fullReport(host, 1, inv)); err != nil {
			b.Fatal(err)
		}
		if _, err := a.s.Recv(); err != nil {
			b.Fatal(err)
		}
		as = append(as, a)
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, a := range as {
		n := b.N / agents
		if i < b.N%agents {
			n++
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := 0; k < n; k++ {
				seq := uint64(k + 2)
				var req *memledgerv1.ReportRequest
				if heartbeats {
					req = heartbeat(a.host, seq, a.digest)
				} else {
					req = fullReport(a.host, seq, a.inv)
				}
				if err := a.s.Send(req); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for k := 0; k < n; k++ {
				ack, err := a.s.Recv()
				if err != nil {
					b.Error(err)
					return
				}
				if ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
					b.Errorf("ack %v", ack)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	st2 := srv.Stats().Committer
	if st2.Batches > 0 {
		b.ReportMetric(float64(st2.Reports)/float64(st2.Batches), "reports/batch")
	}
}

func BenchmarkIngestFullSQLite(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("committers=%d", n), func(b *testing.B) { benchIngest(b, false, n) })
	}
}

func BenchmarkIngestHeartbeatSQLite(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("committers=%d", n), func(b *testing.B) { benchIngest(b, true, n) })
	}
}
