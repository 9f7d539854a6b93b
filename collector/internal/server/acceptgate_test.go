package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// The budget is exhausted exactly while a stream waits for it.
func TestBudgetExhausted(t *testing.T) {
	t.Parallel()
	b := newBudget(100)
	held, err := b.acquire(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if b.exhausted() {
		t.Fatal("exhausted with no stream waiting")
	}
	got := make(chan int64)
	go func() {
		n, _ := b.acquire(context.Background(), 10)
		got <- n
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !b.exhausted() {
		if time.Now().After(deadline) {
			t.Fatal("not exhausted while a stream waits")
		}
		time.Sleep(time.Millisecond)
	}
	b.release(held)
	if n := <-got; n != 10 {
		t.Fatalf("waiter got %d", n)
	}
	if b.exhausted() {
		t.Fatal("exhausted after the waiter was served")
	}
}

// While the budget is exhausted a new connection stays in the backlog;
// it is accepted once the budget has room, and a gate closed while it
// waits returns net.ErrClosed.
func TestAcceptGateHoldsWhileExhausted(t *testing.T) {
	t.Parallel()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var full atomic.Bool
	full.Store(true)
	g := newAcceptGate(raw, full.Load, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer g.Close()

	type result struct {
		c   net.Conn
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		c, err := g.Accept()
		accepted <- result{c, err}
	}()
	client, err := net.Dial("tcp", raw.Addr().String()) // completes in the backlog
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	select {
	case r := <-accepted:
		t.Fatalf("accepted while the budget is exhausted: %v, %v", r.c, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	full.Store(false)
	select {
	case r := <-accepted:
		if r.err != nil {
			t.Fatalf("accept after the budget freed: %v", r.err)
		}
		r.c.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("not accepted after the budget freed")
	}
	if g.pauses.Load() != 1 || g.pausedNanos.Load() <= 0 {
		t.Errorf("pauses %d, paused %v; want 1 and some time", g.pauses.Load(), time.Duration(g.pausedNanos.Load()))
	}

	full.Store(true)
	go func() {
		c, err := g.Accept()
		accepted <- result{c, err}
	}()
	time.Sleep(20 * time.Millisecond)
	g.Close()
	select {
	case r := <-accepted:
		if !errors.Is(r.err, net.ErrClosed) {
			t.Fatalf("accept on a closed gate: %v, %v; want net.ErrClosed", r.c, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting Accept did not return when the gate closed")
	}
}
