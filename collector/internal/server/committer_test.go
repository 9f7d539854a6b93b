package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

func TestBudget(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	n1, err := b.acquire(ctx, 60)
	if err != nil || n1 != 60 {
		t.Fatalf("acquire 60 = %d, %v", n1, err)
	}
	// Larger than the whole budget: clamped, and waits for the first.
	got := make(chan int64)
	go func() {
		n, err := b.acquire(ctx, 1000)
		if err != nil {
			t.Errorf("acquire 1000: %v", err)
		}
		got <- n
	}()
	// A small request behind it must wait too (FIFO: no starvation).
	small := make(chan int64)
	go func() {
		waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.waiters.Len() == 1 })
		n, _ := b.acquire(ctx, 10)
		small <- n
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.waiters.Len() == 2 })
	select {
	case <-got:
		t.Fatal("acquire of the whole budget succeeded while 60 bytes were held")
	case <-small:
		t.Fatal("a small acquire overtook a waiting large one")
	default:
	}
	b.release(n1)
	if n := <-got; n != 100 {
		t.Fatalf("clamped acquire = %d, want 100", n)
	}
	b.release(100)
	if n := <-small; n != 10 {
		t.Fatalf("small acquire = %d, want 10", n)
	}
	if b.inUse() != 10 {
		t.Fatalf("inUse = %d, want 10", b.inUse())
	}

	// A cancelled waiter leaves and does not hold budget.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error)
	go func() {
		_, err := b.acquire(cctx, 95)
		errc <- err
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.waiters.Len() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled acquire = %v, want context.Canceled", err)
	}
	b.release(10)
	if b.inUse() != 0 {
		t.Fatalf("inUse after all releases = %d, want 0", b.inUse())
	}
}

// waitFor polls cond for up to 5 s; tests use it for goroutines to reach a
// blocking point, never to assert timing.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func submitN(t *testing.T, c *Committer, host string, from, n int) []*Ticket {
	t.Helper()
	var ts []*Ticket
	for i := 0; i < n; i++ {
		tk, err := c.Submit(context.Background(), store.Report{HostID: host, Sequence: uint64(from + i), Inventory: testInventory(host, 1, 0, from+i)}, nil)
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		ts = append(ts, tk)
	}
	return ts
}

func TestCommitterGroupsReportsIntoBatches(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	c := NewCommitter(st, CommitterOptions{MaxBatch: 8, QueueSize: 64})
	// The first report is taken alone and blocks on the gate; the next 20
	// queue up behind it and must be committed in batches of at most 8.
	first := submitN(t, c, "h1", 1, 1)
	waitFor(t, func() bool { return st.atGate.Load() == 1 })
	tickets := append(first, submitN(t, c, "h1", 2, 20)...)
	close(st.gate)
	for i, tk := range tickets {
		out, err := tk.Wait(context.Background())
		if err != nil || out.Status != store.Committed {
			t.Fatalf("report %d: %+v, %v", i+1, out, err)
		}
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var sizes []int
	for _, call := range st.calls {
		sizes = append(sizes, len(call))
		if len(call) > 8 {
			t.Errorf("batch of %d reports, want at most MaxBatch 8", len(call))
		}
	}
	if len(st.calls) > 5 {
		t.Errorf("21 reports took %d Apply calls %v, want them grouped (at most 5)", len(st.calls), sizes)
	}
	if got := st.appliedSeqsLocked("h1"); fmt.Sprint(got) != fmt.Sprint(seqRange(1, 21)) {
		t.Errorf("applied sequences %v, want 1..21 in order", got)
	}
}

func (f *fakeStore) appliedSeqsLocked(host string) []uint64 {
	var seqs []uint64
	for _, r := range f.applied {
		if r.HostID == host {
			seqs = append(seqs, r.Sequence)
		}
	}
	return seqs
}

func seqRange(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestCommitterMaxWaitCollectsABatch(t *testing.T) {
	st := newFakeStore()
	c := NewCommitter(st, CommitterOptions{MaxBatch: 4, MaxWait: time.Hour})
	defer c.Close(context.Background())
	// With a long MaxWait the committer holds the batch until it is full.
	tickets := submitN(t, c, "h1", 1, 4)
	for _, tk := range tickets {
		if _, err := tk.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.numCalls(); n != 1 {
		t.Fatalf("4 reports with MaxBatch 4 and a long MaxWait took %d Apply calls, want 1", n)
	}
}

func TestCommitterIsolatesPoisonReport(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	// The database chokes on any batch holding host "poison".
	st.fail = func(reports []store.Report) error {
		for _, r := range reports {
			if r.HostID == "poison" {
				return errors.New("disk I/O error")
			}
		}
		return nil
	}
	c := NewCommitter(st, CommitterOptions{MaxBatch: 64})
	first := submitN(t, c, "h0", 1, 1) // held at the gate
	waitFor(t, func() bool { return st.atGate.Load() == 1 })
	var tickets []*Ticket
	for i := 0; i < 16; i++ {
		host := fmt.Sprint("h", i+1)
		if i == 9 {
			host = "poison"
		}
		tickets = append(tickets, submitN(t, c, host, 1, 1)...)
	}
	close(st.gate)
	if _, err := first[0].Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, tk := range tickets {
		out, err := tk.Wait(context.Background())
		if i == 9 {
			if err == nil || !strings.Contains(err.Error(), "disk I/O error") {
				t.Errorf("poison report: %+v, %v; want the store's error", out, err)
			}
			continue
		}
		if err != nil || out.Status != store.Committed {
			t.Errorf("report %d beside the poison one: %+v, %v; want committed", i, out, err)
		}
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Reports != 16 || s.Failures == 0 {
		t.Errorf("stats %+v, want 16 reports committed and some failures", s)
	}
}

func TestCommitterSystemicFailureStopsSplitting(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	st.fail = func([]store.Report) error { return errors.New("connection refused") }
	c := NewCommitter(st, CommitterOptions{MaxBatch: 256})
	first := submitN(t, c, "h0", 1, 1)
	waitFor(t, func() bool { return st.atGate.Load() == 1 })
	tickets := submitN(t, c, "h1", 1, 64)
	close(st.gate)
	if _, err := first[0].Wait(context.Background()); err == nil {
		t.Fatal("first report committed on a failing store")
	}
	for _, tk := range tickets {
		if _, err := tk.Wait(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("report on a failing store: %v, want connection refused", err)
		}
	}
	c.Close(context.Background())
	// 1 (first) + 1 (batch of 64) + 2 (its halves) = 4 calls; splitting
	// further would hammer a database that is down.
	if n := st.numCalls(); n != 4 {
		t.Errorf("Apply calls = %d, want 4", n)
	}
}

func TestCommitterCloseCommitsQueuedAndRefusesNew(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	c := NewCommitter(st, CommitterOptions{MaxBatch: 4})
	tickets := submitN(t, c, "h1", 1, 10)
	closed := make(chan error)
	go func() { closed <- c.Close(context.Background()) }()
	waitFor(t, func() bool {
		_, err := c.Submit(context.Background(), store.Report{}, nil)
		return errors.Is(err, ErrCommitterClosed)
	})
	close(st.gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for i, tk := range tickets {
		select {
		case <-tk.Done():
		default:
			t.Fatalf("report %d not resolved after Close returned", i+1)
		}
		if out, err := tk.Wait(context.Background()); err != nil || out.Status != store.Committed {
			t.Fatalf("report %d: %+v, %v", i+1, out, err)
		}
	}
}

func TestCommitterSubmitBlocksWhenQueueFull(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	c := NewCommitter(st, CommitterOptions{MaxBatch: 1, QueueSize: 2})
	defer func() {
		close(st.gate)
		c.Close(context.Background())
	}()
	// One report held at the gate, two in the queue: the queue is full.
	submitN(t, c, "h1", 1, 1)
	waitFor(t, func() bool { return st.atGate.Load() == 1 })
	submitN(t, c, "h1", 2, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Submit(ctx, store.Report{HostID: "h1", Sequence: 9}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit on a full queue = %v, want it to block until the context ends", err)
	}
}

func TestCommitterReleasesAfterCommit(t *testing.T) {
	st := newFakeStore()
	c := NewCommitter(st, CommitterOptions{})
	defer c.Close(context.Background())
	var mu sync.Mutex
	released := 0
	var tickets []*Ticket
	for i := 1; i <= 5; i++ {
		tk, err := c.Submit(context.Background(), store.Report{HostID: "h", Sequence: uint64(i), HeartbeatDigest: strings.Repeat("0", 64)},
			func() { mu.Lock(); released++; mu.Unlock() })
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk)
	}
	for _, tk := range tickets {
		out, err := tk.Wait(context.Background())
		if err != nil || out.Status != store.NeedFull {
			t.Fatalf("heartbeat from an unknown host: %+v, %v; want NeedFull", out, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if released != 5 {
		t.Fatalf("release called %d times, want 5", released)
	}
}
