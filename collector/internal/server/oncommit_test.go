package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

// TestOnCommit: the hook sees every Apply call with its reports and
// outcomes, after the tickets are answered, and failed calls with their
// error.
func TestOnCommit(t *testing.T) {
	st := newFakeStore()
	type call struct {
		hosts    []string
		statuses []store.Status
		err      error
	}
	var mu sync.Mutex
	var calls []call
	c := NewCommitter(st, CommitterOptions{MaxBatch: 8, OnCommit: func(reps []store.Report, outs []store.Outcome, took time.Duration, err error) {
		cl := call{err: err}
		for _, r := range reps {
			cl.hosts = append(cl.hosts, r.HostID)
		}
		for _, o := range outs {
			cl.statuses = append(cl.statuses, o.Status)
		}
		if took < 0 {
			t.Errorf("negative commit time %v", took)
		}
		mu.Lock()
		calls = append(calls, cl)
		mu.Unlock()
	}})
	ctx := context.Background()
	full := store.Report{HostID: "h1", Sequence: 1, Inventory: testInventory("h1", 1, 0, 0)}
	tk, err := c.Submit(ctx, full, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := tk.Wait(ctx); err != nil || out.Status != store.Committed {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	st.mu.Lock()
	st.fail = func([]store.Report) error { return errors.New("disk full") }
	st.mu.Unlock()
	dup := full
	dup.Sequence = 2
	tk, err = c.Submit(ctx, dup, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Wait(ctx); err == nil {
		t.Fatal("commit against a failing store succeeded")
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("%d hook calls, want 2: %+v", len(calls), calls)
	}
	if calls[0].err != nil || len(calls[0].hosts) != 1 || calls[0].hosts[0] != "h1" || calls[0].statuses[0] != store.Committed {
		t.Errorf("first call %+v", calls[0])
	}
	if calls[1].err == nil || calls[1].statuses != nil {
		t.Errorf("failed call %+v, want its error and no outcomes", calls[1])
	}
}
