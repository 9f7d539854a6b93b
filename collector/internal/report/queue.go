package report

import (
	"context"
	"time"
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
// what Notify and RequestFull queue, until ctx ends. Failed evaluations
// are logged and retried; work still queued when ctx ends is covered by
// the full evaluation of the next start.
func (t *Tracker) Run(ctx context.Context) {
	for {
		err := t.Load(ctx)
		if err == nil {
			break
		}
		t.logger.Error("policy_status_load_failed", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retryDelay):
		}
	}
	t.RequestFull()
	tick := time.NewTicker(t.fullEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.RequestFull()
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

// Evaluations counts the evaluations Run completed (for tests and metrics).
func (t *Tracker) Evaluations() uint64 { return t.evaluations.Load() }
