package server

import (
	"container/list"
	"context"
	"sync"
)

// budget is a weighted FIFO semaphore counting bytes of received reports not
// yet committed. A stream that cannot get budget stops reading, so gRPC flow
// control pushes back on its agent instead of the collector buffering without
// bound. FIFO order keeps a large report from being starved by small ones.
type budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters list.List // of *budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

// What a received report holds in memory once decoded and prepared (the
// encoded copy, the decoded messages, the digest and part identities), as
// TestInflightCostCoversDecodedReport measures it for every shape the
// limits allow: about 7 times its encoded size for typical inventories,
// up to 15 times for lists of empty strings (a 16-byte string header and
// slice growth for 2 bytes on the wire), about 500 bytes per module,
// drive or warning with few or short fields, and 1.4 KiB per report.
// The budget counts this, not the encoded size, so that it bounds the
// memory it stands for whatever the reports' size and shape.
const (
	decodedFactor = 12
	itemCost      = 1024
	reportCost    = 2048
)

// inflightCost is what a received report of n encoded bytes listing items
// modules, drives and warnings (peekReport) takes from the budget.
func inflightCost(n, items int) int64 {
	return int64(n)*decodedFactor + int64(items)*itemCost + reportCost
}

func newBudget(size int64) *budget {
	return &budget{size: size}
}

// clamp bounds a request to the budget's size, so that one report larger
// than the whole budget can still pass (alone).
func (b *budget) clamp(n int64) int64 {
	if n > b.size {
		return b.size
	}
	if n < 1 {
		return 1
	}
	return n
}

// acquire takes n bytes (clamped), waiting while they are not available. It
// returns the amount taken, to be handed back to release, or ctx's error.
func (b *budget) acquire(ctx context.Context, n int64) (int64, error) {
	n = b.clamp(n)
	b.mu.Lock()
	if b.used+n <= b.size && b.waiters.Len() == 0 {
		b.used += n
		b.mu.Unlock()
		return n, nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	elem := b.waiters.PushBack(w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return n, nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted while we were giving up: hand it back.
			b.used -= n
			b.grantLocked()
		default:
			b.waiters.Remove(elem)
			// Removing the head may let the next waiters through.
			b.grantLocked()
		}
		b.mu.Unlock()
		return 0, ctx.Err()
	}
}

// release returns n bytes taken by acquire.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	if b.used < 0 {
		panic("server: budget released more than acquired")
	}
	b.grantLocked()
	b.mu.Unlock()
}

// grantLocked wakes waiters in order while they fit.
func (b *budget) grantLocked() {
	for {
		front := b.waiters.Front()
		if front == nil {
			return
		}
		w := front.Value.(*budgetWaiter)
		if b.used+w.n > b.size {
			return
		}
		b.used += w.n
		b.waiters.Remove(front)
		close(w.ready)
	}
}

// exhausted reports whether streams wait for budget.
func (b *budget) exhausted() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiters.Len() > 0
}

// inUse returns the bytes currently held.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
