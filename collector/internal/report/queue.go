package report

import (
	"context"
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
	// The full evaluation below covers every change up to now; the ledger
	// is followed from here on.
	watermark, err := t.newestEventID(ctx)
	if err != nil {
		watermark = -1 // followLedger starts over
		if ctx.Err() == nil {
			t.logger.Error("ledger_follow_failed", "error", err)
		}
	}
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
			if watermark, err = t.followLedger(ctx, watermark); err != nil && ctx.Err() == nil {
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
// differently: its parts or their facts changed, or its labels (a rule's
// scope).
var changeKinds = []store.EventKind{
	store.EventHostEnrolled, store.EventPartAdded, store.EventPartRemoved, store.EventPartReturned,
	store.EventPartMoved, store.EventFieldsChanged, store.EventLabelsChanged,
}

const (
	// followPage is how many events one query of followLedger reads.
	followPage = 5000
	// followFullAfter: more changed hosts than this in one poll are
	// evaluated as the whole fleet, in one pass.
	followFullAfter = 10000
)

// followLedger queues for evaluation the hosts with change events after
// the event id after, and returns the last id it read (after < 0: the
// newest id is not known yet). The ledger's
// writers all record events (reports, "memledger-collector ingest" and
// "label", other collectors on the same PostgreSQL database), so this
// makes the statuses, their events and the metrics follow every write
// path, not only this process's commits. Hosts this process committed are
// queued again, at most once per poll; without a policy nothing is read.
func (t *Tracker) followLedger(ctx context.Context, after int64) (int64, error) {
	if t.policy() == nil {
		return after, nil
	}
	if after < 0 {
		// The start-up query failed: begin from the newest event, after a
		// full evaluation that covers what came before.
		newest, err := t.newestEventID(ctx)
		if err != nil {
			return -1, err
		}
		t.RequestFull()
		return newest, nil
	}
	hosts := map[string]bool{}
	for {
		evs, err := t.st.Events(ctx, store.EventFilter{Kinds: changeKinds, AfterID: after, Limit: followPage})
		if err != nil {
			return after, fmt.Errorf("follow the ledger: %w", err)
		}
		for _, ev := range evs {
			after = ev.ID
			hosts[ev.HostID] = true
		}
		if len(evs) < followPage {
			break
		}
	}
	if len(hosts) > followFullAfter {
		t.RequestFull()
		return after, nil
	}
	ids := make([]string, 0, len(hosts))
	for id := range hosts {
		ids = append(ids, id)
	}
	t.Notify(ids...)
	return after, nil
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
