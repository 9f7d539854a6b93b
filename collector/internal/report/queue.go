package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

// retryDelay is how long Run waits after a failed evaluation before trying
// again with the same hosts.
const retryDelay = 5 * time.Second

// Notify queues hosts for evaluation by Run; it never blocks, so the
// committer can call it after every batch. Hosts queued while an
// evaluation runs are evaluated next.
func (t *Tracker) Notify(hostIDs ...string) {
	if len(hostIDs) == 0 {
		return
	}
	t.qmu.Lock()
	if t.pending == nil {
		t.pending = map[string]bool{}
	}
	for _, id := range hostIDs {
		t.pending[id] = true
	}
	t.qmu.Unlock()
	t.wake()
}

// RequestFull queues an evaluation of the whole fleet (after a policy
// reload).
func (t *Tracker) RequestFull() {
	t.qmu.Lock()
	t.full = true
	t.qmu.Unlock()
	t.wake()
}

func (t *Tracker) wake() {
	select {
	case t.signal <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (t *Tracker) take() (hosts []string, full bool) {
	t.qmu.Lock()
	defer t.qmu.Unlock()
	full, t.full = t.full, false
	for id := range t.pending {
		hosts = append(hosts, id)
	}
	t.pending = nil
	return hosts, full
}

// requeue puts back work that failed.
func (t *Tracker) requeue(hosts []string, full bool) {
	t.qmu.Lock()
	if full {
		t.full = true
	}
	if t.pending == nil {
		t.pending = map[string]bool{}
	}
	for _, id := range hosts {
		t.pending[id] = true
	}
	t.qmu.Unlock()
}

// Run loads the statuses from the ledger, evaluates the whole fleet (which
// catches up with reports committed before a restart) and then evaluates
// what Notify and RequestFull queue, and the hosts other writers changed
// (followLedger, every PollEvery), until ctx ends. Failed evaluations are
// logged and retried; work still queued when ctx ends is covered by the
// full evaluation of the next start.
func (t *Tracker) Run(ctx context.Context) {
	for {
		err := t.Load(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		t.logger.Error("policy_status_load_failed", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retryDelay):
		}
	}
	// The full evaluation below covers every change up to its start, and
	// sets where the ledger is followed from.
	t.RequestFull()
	tick := time.NewTicker(t.fullEvery)
	defer tick.Stop()
	poll := time.NewTicker(t.pollEvery)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.RequestFull()
			continue
		case <-poll.C:
			if err := t.followLedger(ctx); err != nil && ctx.Err() == nil {
				t.logger.Error("ledger_follow_failed", "error", err)
			}
			continue
		case <-t.signal:
		}
		hosts, full := t.take()
		if !full && len(hosts) == 0 {
			continue
		}
		var ids []string // nil: the whole fleet
		if !full {
			ids = hosts
		}
		began := time.Now()
		n, err := t.Evaluate(ctx, ids)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.logger.Error("policy_evaluation_failed", "hosts", len(hosts), "full", full, "error", err)
			t.requeue(hosts, full)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retryDelay):
				t.wake()
			}
			continue
		}
		t.evaluations.Add(1)
		t.logger.Debug("policy_evaluated", "hosts", len(ids), "full", full, "status_changes", n, "took", time.Since(began))
	}
}

// changeKinds are the events after which a host's parts may be judged
// differently or counted otherwise: its parts or their facts changed
// (a serial clash is the only event of a part a host added with a serial
// another host carries), or its labels (a rule's scope, a report group).
var changeKinds = []store.EventKind{
	store.EventHostEnrolled, store.EventPartAdded, store.EventPartRemoved, store.EventPartReturned,
	store.EventPartMoved, store.EventSerialClash, store.EventIdentityCorrected, store.EventFieldsChanged,
	store.EventLabelsChanged,
}

const (
	// followPage is how many events one query of followLedger reads.
	followPage = 5000
	// followFullAfter: more changed hosts than this in one poll are
	// evaluated as the whole fleet, in one pass.
	followFullAfter = 10000
)

// followLedger queues for evaluation the hosts with change events after
// the last event it has seen. The ledger's writers all record events
// (reports, "memledger-collector ingest" and "label", other collectors on
// the same PostgreSQL database), so this makes the statuses, their events,
// the metrics and the live aggregates follow every write path, not only
// this process's commits. Hosts this process committed are queued again,
// at most once per poll. Without a policy, or before the first
// whole-fleet evaluation (which sets where to follow from), it does
// nothing.
func (t *Tracker) followLedger(ctx context.Context) error {
	if t.policy() == nil {
		return nil
	}
	t.followMu.Lock()
	defer t.followMu.Unlock()
	after := t.follow
	if after < 0 {
		return nil
	}
	hosts := map[string]bool{}
	for {
		evs, err := t.st.Events(ctx, store.EventFilter{Kinds: changeKinds, AfterID: after, Limit: followPage})
		if err != nil {
			return fmt.Errorf("follow the ledger: %w", err)
		}
		for _, ev := range evs {
			after = ev.ID
			hosts[ev.HostID] = true
		}
		if len(evs) < followPage {
			break
		}
	}
	t.follow = after
	if len(hosts) > followFullAfter {
		t.RequestFull()
		return nil
	}
	ids := make([]string, 0, len(hosts))
	for id := range hosts {
		ids = append(ids, id)
	}
	t.Notify(ids...)
	return nil
}

// advanceFollow moves where followLedger reads from to id, unless it is
// past it already.
func (t *Tracker) advanceFollow(id int64) {
	t.followMu.Lock()
	t.follow = max(t.follow, id)
	t.followMu.Unlock()
}

// newestEventID is the id of the ledger's newest event (0: none).
func (t *Tracker) newestEventID(ctx context.Context) (int64, error) {
	evs, err := t.st.Events(ctx, store.EventFilter{Newest: true, Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("read the newest event: %w", err)
	}
	if len(evs) == 0 {
		return 0, nil
	}
	return evs[0].ID, nil
}

// Evaluations counts the evaluations Run completed (for tests and metrics).
func (t *Tracker) Evaluations() uint64 { return t.evaluations.Load() }

// errFullRunning: a whole-fleet evaluation holds the evaluation lock (for
// tens of seconds on a large fleet); Report does not wait for it.
var errFullRunning = errors.New("a whole-fleet evaluation is running")

// Sync brings the live aggregates up to date with the ledger: it follows
// the ledger's change events and evaluates the hosts queued since the last
// evaluation, now rather than at Run's next turn.
func (t *Tracker) Sync(ctx context.Context) error {
	if err := t.followLedger(ctx); err != nil {
		return err
	}
	if t.fullRunning.Load() {
		return errFullRunning
	}
	t.evalMu.Lock()
	defer t.evalMu.Unlock()
	hosts, full := t.take()
	if full {
		// Whole-fleet work is Run's (Report answers from the ledger
		// meanwhile).
		t.requeue(hosts, full)
		t.wake()
		return nil
	}
	if len(hosts) == 0 {
		return nil
	}
	if _, err := t.evaluateLocked(ctx, hosts); err != nil {
		t.requeue(hosts, false)
		t.wake()
		return err
	}
	return nil
}

// Report is Build of the policy in force, answered from the live
// aggregates when they cover opts (after Sync): a report at the current
// time, or at a time since the last rule's effective date or waiver's
// expiry that precedes no part's date on more than a few hosts. Other
// reports (the past, before the first whole-fleet evaluation, during one
// after a policy reload, without a policy: totals only) are computed from
// the ledger by Build. Both give the same report.
//
// A GroupBy no host's labels carry is an error wrapping store.ErrInvalid
// that names the close matches.
func (t *Tracker) Report(ctx context.Context, opts Options) (*Report, error) {
	pol := t.policy()
	fromLedger := func() (*Report, error) {
		if opts.GroupBy != "" {
			if err := store.CheckLabelKeys(ctx, t.st, opts.GroupBy); err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
		}
		return Build(ctx, t.st, pol, opts)
	}
	if err := t.Sync(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !errors.Is(err, errFullRunning) {
			t.logger.Warn("report_sync_failed", "error", err)
		}
		return fromLedger()
	}
	if pol == nil {
		return fromLedger() // totals only
	}
	rep := newReport(pol, opts)
	ok, err := t.agg.report(ctx, t.st, pol, rep, opts)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if !ok {
		return fromLedger()
	}
	if err := ledgerLists(ctx, t.st, rep); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return rep, nil
}
