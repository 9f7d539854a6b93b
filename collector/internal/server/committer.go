package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

// ErrCommitterClosed is returned by Submit after Close.
var ErrCommitterClosed = errors.New("committer closed")

// CommitterOptions tune group commit.
type CommitterOptions struct {
	// MaxBatch is the most reports committed in one transaction (default
	// 128: with two committers, smaller batches let one work while the
	// other commits; changed reports went about 5 % faster than at 256).
	MaxBatch int
	// MaxWait is how long the committer waits for more reports after the
	// first one of a batch, when fewer than MaxBatch are queued (default 0:
	// commit what is queued at once). Under load, batches fill while the
	// previous commit runs, so a wait only helps a lightly loaded collector
	// make fewer, larger transactions at the cost of ack latency.
	MaxWait time.Duration
	// QueueSize bounds the reports waiting for a commit (default 4096).
	// Submit blocks while the queue is full: that is the backpressure that
	// reaches the agents through gRPC flow control.
	QueueSize int
	// CommitTimeout bounds one store.Apply call (default 60s).
	CommitTimeout time.Duration
	// Logger receives commit failures; nil discards them.
	Logger *slog.Logger
	// OnCommit, when set, is called after every store.Apply call, once its
	// outcomes are handed out (so it never delays an acknowledgement), with
	// the reports, their outcomes (nil on failure), the time Apply took and
	// its error. It runs on the committer's goroutine: it must not block
	// (metrics, queueing hosts for policy evaluation).
	OnCommit func(reports []store.Report, outcomes []store.Outcome, took time.Duration, err error)
}

func (o CommitterOptions) withDefaults() CommitterOptions {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 128
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Ticket is a submitted report waiting for its outcome.
type Ticket struct {
	report  store.Report
	release func() // called once the report is applied (or failed)
	done    chan struct{}
	outcome store.Outcome
	err     error
}

// Wait returns the report's outcome once its batch is durably committed, or
// the commit error (nothing of the batch was committed), or ctx's error.
func (t *Ticket) Wait(ctx context.Context) (store.Outcome, error) {
	select {
	case <-t.done:
		return t.outcome, t.err
	case <-ctx.Done():
		return store.Outcome{}, ctx.Err()
	}
}

// Done is closed when the outcome is known.
func (t *Ticket) Done() <-chan struct{} { return t.done }

// CommitterStats are counters since the committer started.
type CommitterStats struct {
	// Submitted counts reports accepted by Submit.
	Submitted uint64
	// Batches counts store.Apply calls, Reports the reports they committed.
	Batches  uint64
	Reports  uint64
	Failures uint64 // store.Apply calls that returned an error
	Queued   int    // reports waiting now
}

// Committer is the single writer of a store: it drains a bounded queue of
// reports from all streams into batches and calls store.Apply once per
// batch (group commit), so one fsync covers many reports.
type Committer struct {
	st   store.Store
	opts CommitterOptions

	mu     sync.RWMutex // guards closed against Submit racing Close
	closed bool
	queue  chan *Ticket
	exited chan struct{}

	submitted, batches, reports, failures atomic.Uint64
}

// NewCommitter starts a committer over st. Close it to stop.
func NewCommitter(st store.Store, opts CommitterOptions) *Committer {
	opts = opts.withDefaults()
	c := &Committer{
		st:     st,
		opts:   opts,
		queue:  make(chan *Ticket, opts.QueueSize),
		exited: make(chan struct{}),
	}
	go c.loop()
	return c
}

// Submit queues r for commit, blocking while the queue is full. release,
// when not nil, is called once the report's batch is done (committed or
// failed), after which the committer no longer holds the report.
func (c *Committer) Submit(ctx context.Context, r store.Report, release func()) (*Ticket, error) {
	t := &Ticket{report: r, release: release, done: make(chan struct{})}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, ErrCommitterClosed
	}
	select {
	case c.queue <- t:
		c.submitted.Add(1)
		return t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops accepting reports, commits those already queued and waits for
// the last batch, or for ctx.
func (c *Committer) Close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	select {
	case <-c.exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("committer: waiting for the last batch: %w", ctx.Err())
	}
}

// Stats returns the committer's counters.
func (c *Committer) Stats() CommitterStats {
	return CommitterStats{
		Submitted: c.submitted.Load(),
		Batches:   c.batches.Load(),
		Reports:   c.reports.Load(),
		Failures:  c.failures.Load(),
		Queued:    len(c.queue),
	}
}

func (c *Committer) loop() {
	defer close(c.exited)
	batch := make([]*Ticket, 0, c.opts.MaxBatch)
	var timer *time.Timer
	// A closed queue still yields the reports queued before Close, so this
	// loop commits everything submitted before it ends.
	for first := range c.queue {
		batch = append(batch[:0], first)
		c.fill(&batch, &timer)
		c.commit(batch)
		clear(batch) // drop references to committed reports
	}
}

// fill adds queued reports to batch up to MaxBatch, waiting up to MaxWait
// for more. It returns early when the queue is closed.
func (c *Committer) fill(batch *[]*Ticket, timer **time.Timer) {
	var deadline <-chan time.Time
	if c.opts.MaxWait > 0 {
		if *timer == nil {
			*timer = time.NewTimer(c.opts.MaxWait)
		} else {
			(*timer).Reset(c.opts.MaxWait)
		}
		defer (*timer).Stop()
		deadline = (*timer).C
	}
	for len(*batch) < c.opts.MaxBatch {
		select {
		case t, ok := <-c.queue:
			if !ok {
				return
			}
			*batch = append(*batch, t)
			continue
		default:
		}
		if deadline == nil {
			return
		}
		select {
		case t, ok := <-c.queue:
			if !ok {
				return
			}
			*batch = append(*batch, t)
		case <-deadline:
			return
		}
	}
}

// commit applies batch and hands every ticket its outcome. When the batch
// fails it is split in two and each half retried, so that a report that
// makes the database fail (a poison report) fails alone instead of taking
// every agent of its batch down with it. When both halves fail too, the
// failure is taken as systemic (database down) and splitting stops, which
// bounds the retries of a failed batch to a handful of calls.
func (c *Committer) commit(batch []*Ticket) {
	if err := c.apply(batch); err != nil {
		c.split(batch, err)
	}
}

// split resolves part, whose Apply failed with err.
func (c *Committer) split(part []*Ticket, err error) {
	if len(part) == 1 {
		c.fail(part, err)
		return
	}
	half := len(part) / 2
	a, b := part[:half], part[half:]
	errA := c.apply(a)
	errB := c.apply(b)
	if errA != nil && errB != nil {
		c.fail(a, errA)
		c.fail(b, errB)
		return
	}
	if errA != nil {
		c.split(a, errA)
	}
	if errB != nil {
		c.split(b, errB)
	}
}

// apply calls store.Apply once for part; on success it hands out the
// outcomes, on failure it hands out nothing and returns the error.
func (c *Committer) apply(part []*Ticket) error {
	reports := make([]store.Report, len(part))
	for i, t := range part {
		reports[i] = t.report
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.CommitTimeout)
	began := time.Now()
	outcomes, err := c.st.Apply(ctx, reports)
	took := time.Since(began)
	cancel()
	if c.opts.OnCommit != nil {
		defer func() { c.opts.OnCommit(reports, outcomes, took, err) }()
	}
	c.batches.Add(1)
	if err == nil && len(outcomes) != len(part) {
		err = fmt.Errorf("store returned %d outcomes for %d reports", len(outcomes), len(part))
	}
	if err != nil {
		c.failures.Add(1)
		c.opts.Logger.Error("commit_failed", "reports", len(part), "error", err)
		return fmt.Errorf("commit of %d reports: %w", len(part), err)
	}
	c.reports.Add(uint64(len(part)))
	for i, t := range part {
		t.outcome = outcomes[i]
		c.finish(t)
	}
	return nil
}

func (c *Committer) fail(part []*Ticket, err error) {
	for _, t := range part {
		t.err = err
		c.finish(t)
	}
}

func (c *Committer) finish(t *Ticket) {
	if t.release != nil {
		t.release()
		t.release = nil
	}
	t.report = store.Report{}
	close(t.done)
}

// committerGroup spreads reports over several committers by host, so that
// one committer prepares its batch (digests, part identities: CPU) while
// another's transaction is being written and synced (I/O). Reports of one
// host always go to the same committer, so they are applied in order.
type committerGroup struct {
	cs []*Committer
}

func newCommitterGroup(st store.Store, n int, opts CommitterOptions) *committerGroup {
	if n < 1 {
		n = 1
	}
	g := &committerGroup{cs: make([]*Committer, n)}
	for i := range g.cs {
		g.cs[i] = NewCommitter(st, opts)
	}
	return g
}

// shard picks the committer of host (FNV-1a).
func (g *committerGroup) shard(host string) *Committer {
	if len(g.cs) == 1 {
		return g.cs[0]
	}
	h := uint32(2166136261)
	for i := 0; i < len(host); i++ {
		h ^= uint32(host[i])
		h *= 16777619
	}
	return g.cs[h%uint32(len(g.cs))]
}

// Submit queues r on its host's committer; see Committer.Submit.
func (g *committerGroup) Submit(ctx context.Context, r store.Report, release func()) (*Ticket, error) {
	return g.shard(r.HostID).Submit(ctx, r, release)
}

// Close closes every committer (they drain in parallel).
func (g *committerGroup) Close(ctx context.Context) error {
	errs := make(chan error, len(g.cs))
	for _, c := range g.cs {
		go func() { errs <- c.Close(ctx) }()
	}
	var all []error
	for range g.cs {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// Stats sums the committers' counters.
func (g *committerGroup) Stats() CommitterStats {
	var s CommitterStats
	for _, c := range g.cs {
		cs := c.Stats()
		s.Submitted += cs.Submitted
		s.Batches += cs.Batches
		s.Reports += cs.Reports
		s.Failures += cs.Failures
		s.Queued += cs.Queued
	}
	return s
}
