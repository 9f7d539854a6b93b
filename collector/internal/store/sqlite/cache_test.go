package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// The engine caches each host's part rows between Apply calls on SQLite.
// Another process writing the same database must invalidate that cache:
// here two stores (two writer connections) take turns on one host, each
// diffing against what the other committed.
func TestPartCacheSeesOtherWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	open := func() store.Store {
		s, err := store.Open(context.Background(), "sqlite:"+path)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	inv := storetest.FullHost("shared")
	apply := func(s store.Store, name string, seq uint64, swapSlot int, serial string, wantEvents int) {
		t.Helper()
		if swapSlot >= 0 {
			inv = proto.Clone(inv).(*memledgerv1.Inventory)
			inv.MemoryModules[swapSlot].SerialNumber = serial
		}
		out, err := s.Apply(context.Background(), []store.Report{storetest.Full(inv, seq, storetest.At(int(seq)))})
		if err != nil {
			t.Fatalf("%s: Apply seq %d: %v", name, seq, err)
		}
		if out[0].Status != store.Committed || out[0].Events != wantEvents {
			t.Fatalf("%s: seq %d: outcome %v %q with %d events, want committed with %d", name, seq, out[0].Status, out[0].Message, out[0].Events, wantEvents)
		}
	}
	apply(a, "a", 1, -1, "", 21)         // enrolled + 20 parts added; a caches the rows
	apply(b, "b", 2, 0, "OTHER-0001", 2) // b swaps slot 0
	apply(a, "a", 3, 1, "OTHER-0002", 2) // a must see b's swap, not re-add OTHER-0001
	apply(b, "b", 4, 0, "OTHER-0003", 2) // and b must see a's
	apply(a, "a", 5, -1, "", 0)          // unchanged inventory: nothing to do
	apply(a, "a", 6, 2, "OTHER-0004", 2) // a's own cache after its own commits
	apply(b, "b", 7, 2, "OTHER-0005", 2) // b's cached rows are stale since seq 4

	parts, err := a.Parts(context.Background(), store.PartFilter{HostIDs: []string{"shared"}, Removed: store.IncludeRemoved})
	if err != nil {
		t.Fatalf("Parts: %v", err)
	}
	var active, removed []string
	for _, p := range parts {
		if p.RemovedAt == nil {
			active = append(active, p.SerialNumber)
		} else {
			removed = append(removed, p.SerialNumber)
		}
	}
	sort.Strings(removed)
	if len(active) != 20 {
		t.Errorf("%d active parts, want 20: %v", len(active), active)
	}
	base := storetest.FullHost("shared").GetMemoryModules()
	want := []string{base[0].GetSerialNumber(), base[1].GetSerialNumber(), base[2].GetSerialNumber(), "OTHER-0001", "OTHER-0004"}
	sort.Strings(want)
	if len(removed) != len(want) {
		t.Fatalf("removed parts %v, want %v", removed, want)
	}
	for i := range want {
		if removed[i] != want[i] {
			t.Fatalf("removed parts %v, want %v", removed, want)
		}
	}
}

// A transaction changes the cached rows as it goes; when it fails, the
// cache must not keep those changes. Here a trigger fails the insert of a
// swapped-in module after the swapped-out one was marked removed in the
// cache: the next report must be diffed against what was committed.
func TestPartCacheForgetsFailedTransaction(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	// The trigger is created before the first report, so the cache is not
	// reset by another connection's commit afterwards.
	if _, err := db.Exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON parts WHEN NEW.serial_number = 'BOOM'
 BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`); err != nil {
		t.Fatal(err)
	}
	base := storetest.FullHost("fail")
	swapped := func(serial string) *memledgerv1.Inventory {
		inv := proto.Clone(base).(*memledgerv1.Inventory)
		inv.MemoryModules[0].SerialNumber = serial
		return inv
	}
	if out, err := s.Apply(ctx, []store.Report{storetest.Full(base, 1, storetest.At(1))}); err != nil || out[0].Status != store.Committed {
		t.Fatalf("enroll: %+v, %v", out, err)
	}
	if _, err := s.Apply(ctx, []store.Report{storetest.Full(swapped("BOOM"), 2, storetest.At(2))}); err == nil {
		t.Fatal("Apply of the refused part succeeded")
	}
	out, err := s.Apply(ctx, []store.Report{storetest.Full(swapped("FINE-0001"), 2, storetest.At(3))})
	if err != nil || out[0].Status != store.Committed || out[0].Events != 2 {
		t.Fatalf("swap after the failure: %+v, %v; want committed with 2 events (removed, added)", out, err)
	}
	parts, err := s.Parts(ctx, store.PartFilter{HostIDs: []string{"fail"}, Removed: store.IncludeRemoved})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]bool{}
	for _, p := range parts {
		state[p.SerialNumber] = p.RemovedAt == nil
	}
	if active, ok := state[base.MemoryModules[0].GetSerialNumber()]; !ok || active {
		t.Errorf("swapped-out module: recorded %v, active %v; want recorded and removed", ok, active)
	}
	if !state["FINE-0001"] {
		t.Errorf("swapped-in module not active: %v", state)
	}
	if _, ok := state["BOOM"]; ok {
		t.Errorf("refused module recorded")
	}
}

// The cache keeps a bounded number of a host's removed rows; a part whose
// row it no longer keeps must still return (reopen its row), not be added
// again.
func TestPartCacheReturnOfOldPart(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	base := storetest.FullHost("lab")
	withSerial := func(serial string) *memledgerv1.Inventory {
		inv := proto.Clone(base).(*memledgerv1.Inventory)
		inv.MemoryModules[0].SerialNumber = serial
		return inv
	}
	apply := func(inv *memledgerv1.Inventory, seq uint64, wantEvents int) {
		t.Helper()
		out, err := s.Apply(ctx, []store.Report{storetest.Full(inv, seq, storetest.At(int(seq)))})
		if err != nil || out[0].Status != store.Committed || out[0].Events != wantEvents {
			t.Fatalf("seq %d: %+v, %v; want committed with %d events", seq, out, err, wantEvents)
		}
	}
	apply(base, 1, 21)
	const swaps = 100 // more than the cache keeps per host
	for i := 1; i <= swaps; i++ {
		apply(withSerial(fmt.Sprintf("LAB-%04d", i)), uint64(i+1), 2)
	}
	apply(withSerial("LAB-0001"), swaps+2, 2) // LAB-0100 removed, LAB-0001 returned
	evs, err := s.Events(ctx, store.EventFilter{HostID: "lab", Newest: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[store.EventKind]bool{}
	for _, ev := range evs {
		kinds[ev.Kind] = true
	}
	if !kinds[store.EventPartReturned] || !kinds[store.EventPartRemoved] {
		t.Errorf("last events %+v, want part_removed and part_returned", evs)
	}
	parts, err := s.Parts(ctx, store.PartFilter{HostIDs: []string{"lab"}, Removed: store.IncludeRemoved})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range parts {
		if p.SerialNumber == "LAB-0001" {
			n++
			if p.RemovedAt != nil {
				t.Errorf("returned part still removed: %+v", p)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d rows of LAB-0001, want 1", n)
	}
}
