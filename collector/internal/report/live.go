package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/policy"
	"github.com/memledger/memledger/internal/suggest"
)

// The live aggregates: the exposure report's counts kept current by the
// Tracker as it evaluates the hosts each commit changed, so that a report
// at the current time sums a few thousand counters instead of reading the
// ledger.
//
// Each host contributes counters (cells: rule, dimension, key, status) to
// fleet-wide sums, and its violation list. Re-evaluating a host subtracts
// its old contribution and adds the new one. A contribution is what
// Build's builder counts for that host's parts alone, so the sums are
// Build's numbers by construction; label groups are kept for every label
// key, so any group_by is answered.
//
// A contribution judged at time T stays true for a report at asOf as long
// as asOf lies in the same epoch (no rule's effective date nor waiver's
// expiry between them: the only instants at which the policy engine's
// verdicts change with time) and after every date of the host's parts
// (a part first seen after asOf was not installed yet). Hosts that fail
// the second test are judged again from the ledger at asOf; a report in
// another epoch, under another policy or before the aggregates were built
// is computed from the ledger by Build.

// cellDim is what a cell counts.
type cellDim uint8

const (
	dimParts          cellDim = iota // fleet: installed parts
	dimMemory                        // fleet: installed modules
	dimDrives                        // fleet: installed drives
	dimHostsViolating                // fleet: hosts with a violation
	dimWorst                         // fleet: parts by worst status
	dimRuleCounts                    // rule: parts by status
	dimHostsExposed                  // rule: hosts exposed
	dimHostsInViol                   // rule: hosts in violation
	dimVendor                        // rule: parts by vendor (key) and status
	dimComponent                     // rule: parts by component (key) and status
	dimLabel                         // rule: parts by label (key "k\x00v") and status
	dimDayDelta                      // rule: change of a status's count on a day (key)
	dimDayMark                       // rule: parts whose status changed on a day (key)
)

type cellKey struct {
	rule   int32 // -1 for fleet totals
	dim    cellDim
	key    string
	status policy.Status
}

type cellCount struct {
	cell int32
	n    int32
}

type keyedCount struct {
	key cellKey
	n   int
}

// hostAgg is one host's contribution.
type hostAgg struct {
	cells []cellCount
	// violations under every rule, ordered by slot then rule.
	violations []Violation
	labelKeys  []string
	firstSeen  int64 // unix microseconds
	// validFrom: the contribution holds for reports at or after this
	// instant (unix microseconds): the latest date of the host's parts,
	// or never when it was judged before that date.
	validFrom int64
}

// aggregates are the fleet sums of every host's contribution under one
// policy and epoch.
type aggregates struct {
	mu    sync.RWMutex
	pol   *policy.Policy // nil: not built
	epoch int
	keys  []cellKey
	index map[cellKey]int32
	sums  []int64
	hosts map[string]*hostAgg
	// labelKeys counts the hosts carrying each label key (group_by checks).
	labelKeys map[string]int
	// violating holds the hosts with violations, so a report lists them
	// without walking the fleet.
	violating map[string]bool
	// recent holds every host whose contribution is valid only from after
	// floor (unix microseconds): the hosts a report at or after floor must
	// judge again, found without walking the fleet.
	recent map[string]int64
	floor  int64
}

// recentKeep is how far before the last evaluation recent keeps hosts:
// reports earlier than that walk the fleet to find them.
const recentKeep = time.Minute

// epochOf counts the policy's instants at or before t: rules' effective
// dates and waivers' expiries, where the engine's verdicts change with
// time alone (a rule is in force from its effective date on, a waiver
// applies before its expiry).
func epochOf(pol *policy.Policy, t time.Time) int {
	n := 0
	for i := range pol.Rules {
		if !pol.Rules[i].Effective.After(t) {
			n++
		}
	}
	for i := range pol.Waivers {
		if !pol.Waivers[i].Expires.After(t) {
			n++
		}
	}
	return n
}

// hostPass collects per-host contributions from a pass over parts grouped
// by host.
type hostPass struct {
	b    *builder
	at   int64 // when the parts are judged (unix microseconds)
	cur  *hostInfo
	max  int64
	out  map[string]hostContribution
	seen map[string]bool
}

type hostContribution struct {
	cells      []keyedCount
	violations []Violation
	labelKeys  []string
	firstSeen  int64
	validFrom  int64
}

func newHostPass(pol *policy.Policy, asOf time.Time) *hostPass {
	sel := make([]bool, len(pol.Rules))
	for i := range sel {
		sel[i] = true
	}
	return &hostPass{b: newBuilder(pol, sel, asOf, ""), at: asOf.UnixMicro(), out: map[string]hostContribution{}, seen: map[string]bool{}}
}

func (hp *hostPass) add(p store.PartBrief, h *hostInfo) {
	if hp.cur != h {
		hp.flush()
		hp.cur = h
	}
	hp.max = max(hp.max, micros(p.FirstSeen), micros(p.RemovedAt))
	hp.b.add(p, h)
}

// flush ends the current host.
func (hp *hostPass) flush() {
	h := hp.cur
	if h == nil {
		return
	}
	hp.cur = nil
	b := hp.b
	c := hostContribution{firstSeen: micros(h.firstSeen)}
	latest := max(hp.max, c.firstSeen)
	c.validFrom = latest
	if latest > hp.at {
		c.validFrom = math.MaxInt64
	}
	add := func(k cellKey, n int) {
		if n != 0 {
			c.cells = append(c.cells, keyedCount{k, n})
		}
	}
	t := b.totals
	add(cellKey{rule: -1, dim: dimParts}, t.Parts)
	add(cellKey{rule: -1, dim: dimMemory}, t.Memory)
	add(cellKey{rule: -1, dim: dimDrives}, t.Drives)
	add(cellKey{rule: -1, dim: dimHostsViolating}, t.HostsWithViolations)
	for _, s := range Statuses {
		add(cellKey{rule: -1, dim: dimWorst, status: s}, t.ByStatus.Get(s))
	}
	for k := range h.labels {
		c.labelKeys = append(c.labelKeys, k)
	}
	for i, r := range b.rules {
		ri := int32(i)
		add(cellKey{rule: ri, dim: dimHostsExposed}, r.hostsExp)
		add(cellKey{rule: ri, dim: dimHostsInViol}, r.hostsViol)
		for _, s := range Statuses {
			n := r.counts.Get(s)
			add(cellKey{rule: ri, dim: dimRuleCounts, status: s}, n)
			for k, v := range h.labels {
				if v != "" { // hosts with an empty value count under "", as hosts without the label
					add(cellKey{rule: ri, dim: dimLabel, key: k + "\x00" + v, status: s}, n)
				}
			}
			for k, cs := range r.byVendor {
				add(cellKey{rule: ri, dim: dimVendor, key: k, status: s}, cs.Get(s))
			}
			for k, cs := range r.byComponent {
				add(cellKey{rule: ri, dim: dimComponent, key: k, status: s}, cs.Get(s))
			}
			for day, cs := range r.deltas {
				add(cellKey{rule: ri, dim: dimDayDelta, key: day, status: s}, cs.Get(s))
			}
		}
		for day := range r.deltas {
			add(cellKey{rule: ri, dim: dimDayMark, key: day}, 1)
		}
	}
	c.violations = append([]Violation(nil), b.violations...)
	sort.Slice(c.violations, func(i, j int) bool {
		x, y := c.violations[i], c.violations[j]
		if x.Slot != y.Slot {
			return x.Slot < y.Slot
		}
		return x.RuleID < y.RuleID
	})
	hp.out[h.id] = c
	hp.seen[h.id] = true
	hp.max = 0
	b.resetHost()
}

// finish ends the pass: hosts without parts contribute their
// existence only.
func (hp *hostPass) finish(hosts *Hosts) {
	hp.flush()
	for _, h := range hosts.byID {
		if !hp.seen[h.id] {
			hp.cur = h
			hp.flush()
		}
	}
}

// resetHost clears what the builder counted, keeping its memo.
func (b *builder) resetHost() {
	b.totals = Totals{}
	b.lastViolHost = ""
	for _, r := range b.rules {
		clear(r.byVendor)
		clear(r.byComponent)
		clear(r.byGroup)
		clear(r.deltas)
		*r = ruleAcc{byVendor: r.byVendor, byComponent: r.byComponent, byGroup: r.byGroup, deltas: r.deltas}
	}
	b.violations = b.violations[:0]
}

// replace puts the contributions of a pass judged at evaluated in place
// of the hosts' old ones. full: the pass covered the whole fleet, which
// replaces everything.
func (a *aggregates) replace(pol *policy.Policy, epoch int, evaluated time.Time, out map[string]hostContribution, full bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if full {
		a.pol, a.epoch = pol, epoch
		a.keys, a.index, a.sums = nil, map[cellKey]int32{}, nil
		a.hosts = make(map[string]*hostAgg, len(out))
		a.labelKeys = map[string]int{}
		a.violating = map[string]bool{}
		a.recent = map[string]int64{}
		a.floor = 0
	} else if a.pol != pol || a.epoch != epoch {
		// Judged under another policy or epoch: the sums would mix
		// verdicts. Wait for the full evaluation the caller requests.
		a.pol = nil
		return
	}
	for id, c := range out {
		if old := a.hosts[id]; old != nil {
			for _, cc := range old.cells {
				a.sums[cc.cell] -= int64(cc.n)
			}
			for _, k := range old.labelKeys {
				if a.labelKeys[k]--; a.labelKeys[k] == 0 {
					delete(a.labelKeys, k)
				}
			}
		}
		h := &hostAgg{violations: c.violations, labelKeys: c.labelKeys, firstSeen: c.firstSeen, validFrom: c.validFrom}
		if len(c.cells) > 0 {
			h.cells = make([]cellCount, len(c.cells))
		}
		for i, kc := range c.cells {
			idx := a.intern(kc.key)
			h.cells[i] = cellCount{idx, int32(kc.n)}
			a.sums[idx] += int64(kc.n)
		}
		for _, k := range c.labelKeys {
			a.labelKeys[k]++
		}
		a.hosts[id] = h
		delete(a.violating, id)
		if len(h.violations) > 0 {
			a.violating[id] = true
		}
		delete(a.recent, id)
		if h.validFrom > a.floor {
			a.recent[id] = h.validFrom
		}
	}
	// Forget hosts valid long enough; reports before the new floor walk
	// the fleet.
	if floor := evaluated.Add(-recentKeep).UnixMicro(); floor > a.floor {
		a.floor = floor
		for id, v := range a.recent {
			if v <= floor {
				delete(a.recent, id)
			}
		}
	}
}

func (a *aggregates) intern(k cellKey) int32 {
	if i, ok := a.index[k]; ok {
		return i
	}
	i := int32(len(a.keys))
	a.keys = append(a.keys, k)
	a.sums = append(a.sums, 0)
	a.index[k] = i
	return i
}

// stale says whether aggregates of this policy and epoch are not the ones
// kept.
func (a *aggregates) stale(pol *policy.Policy, epoch int) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.pol != pol || a.epoch != epoch
}

// maxRejudged bounds the hosts a live report judges again from the
// ledger (those with parts dated after its as-of); past it the report is
// computed from the ledger.
const maxRejudged = 2000

// report computes the report at asOf from the aggregates; ok is false when
// they cannot answer it (see the package comment of this file).
func (a *aggregates) report(ctx context.Context, st store.Store, pol *policy.Policy, rep *Report, opts Options) (ok bool, err error) {
	asOf := rep.AsOf
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.pol == nil || a.pol != pol || a.epoch != epochOf(pol, asOf) {
		return false, nil
	}
	selected, err := selectRules(pol, opts.Rules)
	if err != nil {
		return false, err
	}
	if opts.GroupBy != "" && a.labelKeys[opts.GroupBy] == 0 {
		names := make([]string, 0, len(a.labelKeys))
		for k := range a.labelKeys {
			names = append(names, k)
		}
		sort.Strings(names)
		return false, fmt.Errorf("no host in the ledger has a label %q%s: %w", opts.GroupBy, suggest.Hint(opts.GroupBy, names), store.ErrInvalid)
	}
	at := asOf.UnixMicro()
	var stale []string
	candidates := a.recent
	if at < a.floor {
		candidates = nil // walk the fleet
	}
	rep.Totals.Hosts = len(a.hosts)
	check := func(id string, h *hostAgg) bool {
		if h.firstSeen > at {
			// Its contribution is valid from its first sighting at the
			// earliest, so it is among the stale hosts.
			rep.Totals.Hosts--
		}
		if h.validFrom > at {
			stale = append(stale, id)
		}
		return len(stale) <= maxRejudged
	}
	if candidates != nil {
		for id := range candidates {
			if !check(id, a.hosts[id]) {
				return false, nil
			}
		}
	} else {
		for id, h := range a.hosts {
			if !check(id, h) {
				return false, nil
			}
		}
	}
	sums := a.sums
	fresh := map[string]hostContribution{}
	if len(stale) > 0 {
		// Parts dated after the as-of time (reports committed within the
		// second a report is truncated to): judge those hosts again at it.
		sort.Strings(stale)
		hosts, err := loadHosts(ctx, st, store.HostFilter{IDs: stale})
		if err != nil {
			return false, err
		}
		hp := newHostPass(pol, asOf)
		err = st.ForEachPart(ctx, store.PartFilter{HostIDs: stale, Removed: store.IncludeRemoved}, func(p store.PartBrief) error {
			if h := hosts.get(p.HostID); h != nil && !h.firstSeen.After(asOf) {
				hp.add(p, h)
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		hp.finish(hosts)
		sums = append([]int64(nil), a.sums...)
		extra := map[cellKey]int64{}
		for _, id := range stale {
			for _, cc := range a.hosts[id].cells {
				sums[cc.cell] -= int64(cc.n)
			}
			c := hp.out[id] // no cells for a host first seen after asOf
			fresh[id] = c
			for _, kc := range c.cells {
				if i, ok := a.index[kc.key]; ok {
					sums[i] += int64(kc.n)
				} else {
					extra[kc.key] += int64(kc.n)
				}
			}
		}
		a.fill(rep, pol, selected, opts.GroupBy, sums, extra, fresh)
		return true, nil
	}
	a.fill(rep, pol, selected, opts.GroupBy, sums, nil, fresh)
	return true, nil
}

// fill turns the sums into the report's sections through the builder's
// finish, so both paths shape a report alike.
func (a *aggregates) fill(rep *Report, pol *policy.Policy, selected []bool, groupBy string, sums []int64, extra map[cellKey]int64, fresh map[string]hostContribution) {
	b := newBuilder(pol, selected, rep.AsOf, groupBy)
	prefix := groupBy + "\x00"
	labelled := make([]Counts, len(b.rules))
	apply := func(k cellKey, n int64) {
		if n == 0 {
			return
		}
		v := int(n)
		if k.rule < 0 {
			switch k.dim {
			case dimParts:
				b.totals.Parts += v
			case dimMemory:
				b.totals.Memory += v
			case dimDrives:
				b.totals.Drives += v
			case dimHostsViolating:
				b.totals.HostsWithViolations += v
			case dimWorst:
				b.totals.ByStatus.add(k.status, v)
			}
			return
		}
		r := b.rules[k.rule]
		switch k.dim {
		case dimRuleCounts:
			r.counts.add(k.status, v)
		case dimHostsExposed:
			r.hostsExp += v
		case dimHostsInViol:
			r.hostsViol += v
		case dimVendor:
			bumpN(r.byVendor, k.key, k.status, v)
		case dimComponent:
			bumpN(r.byComponent, k.key, k.status, v)
		case dimLabel:
			if groupBy != "" && strings.HasPrefix(k.key, prefix) {
				value := k.key[len(prefix):]
				bumpN(r.byGroup, value, k.status, v)
				labelled[k.rule].add(k.status, v)
			}
		case dimDayDelta:
			bumpN(r.deltas, k.key, k.status, v)
		case dimDayMark:
			// A day on which some part's status changed is a point of
			// the exposure even when its changes cancel out.
			if r.deltas[k.key] == nil {
				r.deltas[k.key] = &Counts{}
			}
		}
	}
	for i, n := range sums {
		apply(a.keys[i], n)
	}
	for k, n := range extra {
		apply(k, n)
	}
	if groupBy != "" {
		// Hosts without the label (or with an empty value) count under "".
		for i, r := range b.rules {
			var rest Counts
			for _, s := range Statuses {
				rest.add(s, r.counts.Get(s)-labelled[i].Get(s))
			}
			if rest != (Counts{}) {
				r.byGroup[""] = &rest
			}
		}
	}
	// Violations: every host's list, hosts in id order.
	ids := make([]string, 0, len(a.violating)+len(fresh))
	for id := range a.violating {
		if _, ok := fresh[id]; !ok {
			ids = append(ids, id)
		}
	}
	for id, c := range fresh {
		if len(c.violations) > 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		vs := a.hosts[id].violations
		if c, ok := fresh[id]; ok {
			vs = c.violations
		}
		for _, v := range vs {
			if i, ok := b.ruleIdx[v.RuleID]; ok && selected[i] {
				b.violations = append(b.violations, v)
			}
		}
	}
	b.finish(rep)
}
