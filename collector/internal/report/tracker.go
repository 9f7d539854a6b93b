package report

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/policy"
)

// PolicySource returns the policy in force (nil: none). policy.Holder's
// Policy method is one.
type PolicySource func() *policy.Policy

// StatusKey names one part under one rule.
type StatusKey struct {
	PartID int64
	RuleID string
}

// StatusEntry is the last known status of a part under a rule, with what
// the metrics label it by.
type StatusEntry struct {
	Status    policy.Status
	Component string
	// Vendor is the parent slug of the matched maker ("unknown" when
	// unidentified).
	Vendor string
}

// eventDetails is the Details object of a policy_status event.
type eventDetails struct {
	Rule     string `json:"rule"`
	Status   string `json:"status"`
	Previous string `json:"previous,omitempty"`
	// Component and Vendor let a restart rebuild the metrics' labels.
	Component string `json:"component"`
	Vendor    string `json:"vendor"`
	Serial    string `json:"serial,omitempty"`
	Slot      string `json:"slot,omitempty"`
	Reason    string `json:"reason"`
}

// Tracker keeps the last known policy status of every (part, rule) and
// records a policy_status event in the ledger when it changes.
//
// The first time a part is judged under a rule an event is recorded only
// for a violation or a waiver: a fleet's first evaluation would otherwise
// write one event per part. The statuses are rebuilt from the ledger's
// policy_status events on start (Load), so a restart does not repeat them;
// the caller then runs a full evaluation, which catches up with anything
// committed but not evaluated before the restart.
//
// Evaluations are serialized; the ledger is read outside the lock only.
type Tracker struct {
	st     store.Store
	policy PolicySource
	logger *slog.Logger
	now    func() time.Time
	// fullEvery, pollEvery: see TrackerOptions.
	fullEvery, pollEvery time.Duration

	evalMu sync.Mutex // one evaluation at a time
	mu     sync.RWMutex
	last   map[StatusKey]StatusEntry
	// agg: the live aggregates of the report (live.go); fullRunning is
	// set while a whole-fleet evaluation runs.
	agg         aggregates
	fullRunning atomic.Bool
	// followMu guards follow, the id of the last event followLedger has
	// seen (-1: not known yet).
	followMu sync.Mutex
	follow   int64

	// The queue of Run (queue.go).
	qmu         sync.Mutex
	pending     map[string]bool
	full        bool
	signal      chan struct{}
	evaluations atomic.Uint64
}

// TrackerOptions configure a Tracker.
type TrackerOptions struct {
	// Logger receives evaluation errors and summaries; nil discards them.
	Logger *slog.Logger
	// Now is the evaluation time (default time.Now).
	Now func() time.Time
	// FullEvery is how often Run evaluates the whole fleet even when no
	// report changed anything, so that statuses that change with time
	// alone (a rule's effective date, a waiver's expiry) become events
	// (default 1h).
	FullEvery time.Duration
	// PollEvery is how often Run looks for changes that other writers
	// made to the ledger ("memledger-collector ingest" and "label",
	// collectors sharing a PostgreSQL database), so that the metrics and
	// events follow them as they follow this process's commits (default
	// 10s).
	PollEvery time.Duration
}

// NewTracker returns a tracker of st's parts under the policies src gives.
func NewTracker(st store.Store, src PolicySource, opts TrackerOptions) *Tracker {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FullEvery <= 0 {
		opts.FullEvery = time.Hour
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 10 * time.Second
	}
	return &Tracker{fullEvery: opts.FullEvery, pollEvery: opts.PollEvery, st: st, policy: src, logger: opts.Logger, now: opts.Now, last: map[StatusKey]StatusEntry{},
		signal: make(chan struct{}, 1), follow: -1}
}

// Load rebuilds the last known statuses from the ledger's policy_status
// events, in the order they were recorded.
func (t *Tracker) Load(ctx context.Context) error {
	t.evalMu.Lock()
	defer t.evalMu.Unlock()
	last := map[StatusKey]StatusEntry{}
	var after int64
	for {
		evs, err := t.st.Events(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventPolicyStatus}, AfterID: after, Limit: 10000})
		if err != nil {
			return fmt.Errorf("load policy statuses: %w", err)
		}
		for _, ev := range evs {
			after = ev.ID
			var d eventDetails
			if err := json.Unmarshal(ev.Details, &d); err != nil || ev.PartID == 0 || d.Rule == "" {
				// Written by someone else: not ours to interpret.
				continue
			}
			last[StatusKey{ev.PartID, d.Rule}] = StatusEntry{Status: policy.Status(d.Status), Component: d.Component, Vendor: d.Vendor}
		}
		if len(evs) < 10000 {
			break
		}
	}
	t.mu.Lock()
	t.last = last
	t.mu.Unlock()
	return nil
}

// Snapshot returns a copy of the last known statuses.
func (t *Tracker) Snapshot() map[StatusKey]StatusEntry {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[StatusKey]StatusEntry, len(t.last))
	for k, v := range t.last {
		out[k] = v
	}
	return out
}

// CountBy calls fn for each (rule, status, component, vendor) with its
// number of parts, for metrics.
func (t *Tracker) CountBy(fn func(rule string, e StatusEntry, n int)) {
	counts := map[StatusKey]map[StatusEntry]int{}
	t.mu.RLock()
	for k, e := range t.last {
		rk := StatusKey{RuleID: k.RuleID}
		m := counts[rk]
		if m == nil {
			m = map[StatusEntry]int{}
			counts[rk] = m
		}
		m[e]++
	}
	t.mu.RUnlock()
	for rk, m := range counts {
		for e, n := range m {
			fn(rk.RuleID, e, n)
		}
	}
}

// Evaluate judges the parts of hostIDs (every host when hostIDs is nil)
// under the policy in force, records an event for each status change and
// puts the hosts' counts in the live aggregates (Report). It returns the
// number of events recorded. Without a policy it does nothing (a report
// without one, totals only, is Build's). Statuses of rules no longer in
// the policy are forgotten on a whole-fleet evaluation.
func (t *Tracker) Evaluate(ctx context.Context, hostIDs []string) (int, error) {
	if hostIDs != nil && len(hostIDs) == 0 {
		return 0, nil
	}
	t.evalMu.Lock()
	defer t.evalMu.Unlock()
	return t.evaluateLocked(ctx, hostIDs)
}

func (t *Tracker) evaluateLocked(ctx context.Context, hostIDs []string) (int, error) {
	pol := t.policy()
	if pol == nil {
		return 0, nil
	}
	asOf := t.now().UTC()
	var newest int64
	if hostIDs == nil {
		t.fullRunning.Store(true)
		defer t.fullRunning.Store(false)
		// The ledger is followed from here once this evaluation stands.
		var err error
		if newest, err = t.newestEventID(ctx); err != nil {
			return 0, fmt.Errorf("evaluate: %w", err)
		}
	}
	hosts, err := loadHosts(ctx, t.st, store.HostFilter{IDs: hostIDs})
	if err != nil {
		return 0, fmt.Errorf("evaluate: %w", err)
	}
	j := newJudge(pol)
	pass := newHostPass(pol, asOf)
	seen := map[StatusKey]StatusEntry{}
	streamed := map[int64]bool{}
	var events []store.Event
	t.mu.RLock()
	err = t.st.ForEachPart(ctx, store.PartFilter{HostIDs: hostIDs, Removed: store.IncludeRemoved}, func(p store.PartBrief) error {
		h := hosts.get(p.HostID)
		if h == nil {
			return nil
		}
		pass.add(p, h)
		if hostIDs != nil {
			streamed[p.ID] = true
		}
		fs, matched := j.eval(p, h, asOf)
		if !matched {
			return nil
		}
		for _, f := range fs {
			if f.RuleID == "" {
				continue
			}
			k := StatusKey{p.ID, f.RuleID}
			e := StatusEntry{Status: f.Status, Component: f.Component, Vendor: vendorOf(p, f.Component)}
			seen[k] = e
			prev, known := t.last[k]
			if known && prev.Status == e.Status {
				continue
			}
			if !known && e.Status != policy.StatusViolation && e.Status != policy.StatusWaived {
				continue
			}
			events = append(events, statusEvent(p, h, f, e, prev.Status, asOf))
		}
		return nil
	})
	t.mu.RUnlock()
	if err != nil {
		return 0, fmt.Errorf("evaluate: %w", err)
	}
	if len(events) > 0 {
		if err := t.st.AppendEvents(ctx, events); err != nil {
			return 0, fmt.Errorf("evaluate: record %d status changes: %w", len(events), err)
		}
	}
	pass.finish(hosts)
	epoch := epochOf(pol, asOf)
	t.agg.replace(pol, epoch, asOf, pass.out, hostIDs == nil)
	if hostIDs == nil {
		t.advanceFollow(newest)
	} else if t.agg.stale(pol, epoch) {
		// A rule came into force or a waiver expired since the last full
		// evaluation: the aggregates are rebuilt by the next.
		t.RequestFull()
	}
	t.mu.Lock()
	if hostIDs == nil {
		t.last = seen
	} else {
		// Forget what was known of the streamed parts (a rule may no longer
		// match them), then put back what is true now.
		for id := range streamed {
			for i := range pol.Rules {
				delete(t.last, StatusKey{id, pol.Rules[i].ID})
			}
		}
		for k, e := range seen {
			t.last[k] = e
		}
	}
	t.mu.Unlock()
	return len(events), nil
}

// statusEvent builds the policy_status event of one change, e.g.
// "violation: new Micron Technology DIMM 36ASF8G72PZ serial X in slot B2
// of host db-17 (rule micron-ban)".
func statusEvent(p store.PartBrief, h *hostInfo, f policy.Finding, e StatusEntry, prev policy.Status, at time.Time) store.Event {
	d := eventDetails{Rule: f.RuleID, Status: string(f.Status), Previous: string(prev), Component: e.Component,
		Vendor: e.Vendor, Serial: p.SerialNumber, Slot: p.Slot, Reason: f.Reason}
	raw, _ := json.Marshal(d) // plain strings: cannot fail
	return store.Event{
		Time: at, HostID: p.HostID, PartID: p.ID, Kind: store.EventPolicyStatus,
		Message: statusMessage(p, h, f), Details: raw,
	}
}

func statusMessage(p store.PartBrief, h *hostInfo, f policy.Finding) string {
	var b strings.Builder
	b.WriteString(string(f.Status))
	b.WriteString(": ")
	// The engine's reason says whether the part counts as a new install.
	if strings.HasPrefix(f.Reason, "new ") {
		b.WriteString("new ")
	}
	if name := makerName(p.MakerID); name != "" {
		b.WriteString(name + " ")
	}
	if p.Kind == store.KindDrive {
		b.WriteString("drive")
	} else {
		b.WriteString("DIMM")
	}
	if pn := strings.TrimSpace(p.PartNumber); pn != "" {
		b.WriteString(" " + pn)
	}
	if f.Component == policy.ComponentDRAM {
		if dram := makerName(p.DRAMID); dram != "" {
			b.WriteString(" with " + dram + " DRAM")
		}
	}
	if p.SerialNumber != "" {
		b.WriteString(" serial " + p.SerialNumber)
	}
	if p.Slot != "" {
		if p.Kind == store.KindDrive {
			b.WriteString(" at " + p.Slot)
		} else {
			b.WriteString(" in slot " + p.Slot)
		}
	}
	host := h.hostname
	if host == "" {
		host = h.id
	}
	b.WriteString(" of host " + host + " (rule " + f.RuleID + ")")
	return b.String()
}

// makerName is the catalogue's display name of a maker slug; the slug when
// the catalogue lacks it; "" when unidentified (never guessed).
func makerName(slug string) string {
	if slug == "" {
		return ""
	}
	if m, ok := maker.BySlug(slug); ok && m.Name != "" {
		return m.Name
	}
	return slug
}
