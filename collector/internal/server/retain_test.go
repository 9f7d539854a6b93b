package server

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// TestDecodedReportsAreNotRetained: DecodeReport's strings point into the
// received bytes. Once reports are committed and dropped, nothing may keep
// those bytes alive: not the stream, which decodes them and remembers what
// observing their parts gave, nor the SQLite
// engine's part row cache, which outlives every report.
func TestDecodedReportsAreNotRetained(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var received, freed atomic.Int32
	// One stream per host, as agents have; each lives to the end.
	streams := map[string]*reportStream{}
	apply := func(inv *memledgerv1.Inventory, seq uint64) {
		stream := streams[inv.GetHost().GetHostId()]
		if stream == nil {
			stream = &reportStream{s: &Server{opts: Options{}.withDefaults()}}
			streams[inv.GetHost().GetHostId()] = stream
		}
		req := &memledgerv1.ReportRequest{HostId: inv.GetHost().GetHostId(), Sequence: seq,
			Body: &memledgerv1.ReportRequest_Inventory{Inventory: inv}}
		enc, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		b := bytes.Clone(enc) // an allocation of its own, as the stream's copy is
		received.Add(1)
		runtime.AddCleanup(&b[0], func(struct{}) { freed.Add(1) }, struct{}{})
		rep, err := stream.decode(b)
		if err != nil {
			t.Fatal(err)
		}
		out, err := st.Apply(ctx, []store.Report{rep})
		if err != nil || out[0].Status != store.Committed {
			t.Fatalf("apply: %+v, %v", out, err)
		}
	}
	// Hosts enrol, then change a module and add a drive each round: the
	// cache gains rows observed in every report.
	for round := 1; round <= 5; round++ {
		for h := 0; h < 4; h++ {
			inv := storetest.FullHost(fmt.Sprintf("retain-%d", h))
			if round > 1 {
				inv.MemoryModules[0].SerialNumber = fmt.Sprintf("SWAP%04d", round)
				inv.MemoryModules[0].Locator = fmt.Sprintf("P1-DIMMA1-r%d", round)
				inv.StorageDevices = append(inv.StorageDevices, storetest.Drive(fmt.Sprintf("nvme%dn1", 3+round),
					storetest.Samsung, "SAMSUNG MZQL2960HCJR-00A07", fmt.Sprintf("S64F%d%02d", h, round), "GDC5602Q"))
			}
			apply(inv, uint64(round))
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for freed.Load() < received.Load() && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n, of := freed.Load(), received.Load(); n < of {
		t.Errorf("%d of %d received messages are still reachable after their reports were committed and dropped", of-n, of)
	}
	runtime.KeepAlive(st)
	runtime.KeepAlive(streams)
}

// TestObserveMemoFromSecondChange: a stream keeps no observe memo for the
// one inventory most agents send on connecting, only once its inventory
// changes again, and then only the last inventory's parts.
func TestObserveMemoFromSecondChange(t *testing.T) {
	stream := &reportStream{s: &Server{opts: Options{}.withDefaults()}}
	send := func(inv *memledgerv1.Inventory, seq uint64) {
		t.Helper()
		b, err := proto.Marshal(&memledgerv1.ReportRequest{HostId: inv.GetHost().GetHostId(), Sequence: seq,
			Body: &memledgerv1.ReportRequest_Inventory{Inventory: inv}})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := stream.decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Pre == nil || !rep.Pre.Observed || len(rep.Pre.Parts) != 20 {
			t.Fatalf("sequence %d: not observed ahead of Apply: %+v", seq, rep.Pre)
		}
	}
	inv := storetest.FullHost("memo-host")
	send(inv, 1)
	if n := stream.observed.Len(); n != 0 {
		t.Errorf("after the first inventory the memo holds %d parts, want 0", n)
	}
	inv.MemoryModules[0].SerialNumber = "SWAP0001"
	send(inv, 2)
	inv.MemoryModules[0].SerialNumber = "SWAP0002"
	send(inv, 3)
	if n := stream.observed.Len(); n != 20 {
		t.Errorf("after three inventories the memo holds %d parts, want the last one's 20", n)
	}
}
