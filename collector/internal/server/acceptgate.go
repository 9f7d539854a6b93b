package server

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// acceptGate holds new connections in the kernel's listen backlog while
// the in-flight budget is exhausted, that is while streams already wait to
// put their reports in it because the ledger commits more slowly than
// agents report. An agent accepted then would only wait for the same
// commits, holding a TLS connection, its goroutines and its report in the
// collector's memory (about 85 KiB: docs/benchmarks.md), and the CPU of a
// handshake that the commits need; in the backlog it costs the collector
// nothing, and its dial times out and retries from its spool if the wait
// is long. Connections already open are not held.
type acceptGate struct {
	net.Listener
	full   func() bool // the budget has waiters
	logger *slog.Logger

	closed    chan struct{}
	closeOnce sync.Once

	// pauses counts the times Accept waited; pausedNanos sums the waits.
	pauses      atomic.Uint64
	pausedNanos atomic.Int64
	lastLog     time.Time // Accept runs in one goroutine (grpc.Server.Serve)
}

// acceptLogEvery bounds the accept_paused warnings: under sustained
// overload the gate opens and closes with every commit.
const acceptLogEvery = time.Minute

// acceptPoll is how often a held Accept looks at the budget again.
const acceptPoll = 5 * time.Millisecond

func newAcceptGate(lis net.Listener, full func() bool, logger *slog.Logger) *acceptGate {
	return &acceptGate{Listener: lis, full: full, logger: logger, closed: make(chan struct{})}
}

// Accept waits while the budget is exhausted, then accepts. It returns
// net.ErrClosed when the gate is closed while waiting.
func (g *acceptGate) Accept() (net.Conn, error) {
	if g.full() {
		if err := g.wait(); err != nil {
			return nil, err
		}
	}
	return g.Listener.Accept()
}

func (g *acceptGate) wait() error {
	began := time.Now()
	n := g.pauses.Add(1)
	if began.Sub(g.lastLog) >= acceptLogEvery {
		g.lastLog = began
		g.logger.Warn("accept_paused", "pauses", n, "paused_total", time.Duration(g.pausedNanos.Load()).Round(time.Millisecond),
			"reason", "the in-flight budget is exhausted (--max-inflight-bytes): the ledger commits more slowly than agents report; new agents wait in the listen backlog")
	}
	t := time.NewTicker(acceptPoll)
	defer t.Stop()
	defer func() { g.pausedNanos.Add(int64(time.Since(began))) }()
	for g.full() {
		select {
		case <-g.closed:
			return net.ErrClosed
		case <-t.C:
		}
	}
	return nil
}

// Close ends a waiting Accept and closes the listener.
func (g *acceptGate) Close() error {
	g.closeOnce.Do(func() { close(g.closed) })
	return g.Listener.Close()
}
