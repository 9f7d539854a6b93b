package report

import (
	"sort"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/policy"
)

// PolicyPart converts a ledger part of a host with these labels into the
// policy engine's neutral Part.
func PolicyPart(p store.PartBrief, labels map[string]string) policy.Part {
	out := policy.Part{
		HostID:           p.HostID,
		HostLabels:       labels,
		Vendor:           p.MakerID,
		VendorParent:     p.MakerParent,
		DRAMVendor:       p.DRAMID,
		DRAMVendorParent: p.DRAMParent,
		Serial:           p.SerialNumber,
		Slot:             p.Slot,
		FirstSeen:        p.FirstSeen,
		RemovedAt:        p.RemovedAt,
		InBaseline:       p.InBaseline,
	}
	if p.Kind == store.KindDrive {
		out.Component = policy.ComponentStorage
		out.Model = p.PartNumber
	} else {
		out.Component = policy.ComponentModule
		out.PartNumber = p.PartNumber
	}
	return out
}

// vendorOf is the slug a finding is grouped under: the parent company of
// the maker the rule matched, else the maker, else "unknown".
func vendorOf(p store.PartBrief, component string) string {
	parent, id := p.MakerParent, p.MakerID
	if component == policy.ComponentDRAM {
		parent, id = p.DRAMParent, p.DRAMID
	}
	switch {
	case parent != "":
		return parent
	case id != "":
		return id
	}
	return "unknown"
}

// unmatchedKey is everything a rule's match and scope look at. A part whose
// key matched no rule once matches none whatever its serial or dates, so
// the engine (which formats a reason for every part) is called once per
// key for the bulk of a fleet that no rule is about.
type unmatchedKey struct {
	labels                  int
	kind                    store.PartKind
	maker, parent, dram, dp string
	partNumber              string
}

// judge evaluates parts with a cache of the combinations no rule matches.
type judge struct {
	pol       *policy.Policy
	unmatched map[unmatchedKey]bool
}

func newJudge(pol *policy.Policy) *judge {
	return &judge{pol: pol, unmatched: map[unmatchedKey]bool{}}
}

// eval returns the part's findings at asOf; matched is false when no rule
// matches it (findings then hold the single allowed finding, or nothing
// when the part was not installed yet).
func (j *judge) eval(p store.PartBrief, h *hostInfo, asOf time.Time) (findings []policy.Finding, matched bool) {
	if !p.FirstSeen.IsZero() && p.FirstSeen.After(asOf) {
		return nil, false
	}
	k := unmatchedKey{h.labelsKey, p.Kind, p.MakerID, p.MakerParent, p.DRAMID, p.DRAMParent, p.PartNumber}
	if j.unmatched[k] {
		return unmatchedFinding, false
	}
	fs := j.pol.Evaluate(PolicyPart(p, h.labels), asOf, policy.EvalOptions{})
	if len(fs) == 1 && fs[0].RuleID == "" {
		j.unmatched[k] = true
		return fs, false
	}
	return fs, true
}

var unmatchedFinding = []policy.Finding{{Status: policy.StatusAllowed}}

// builder accumulates a report over one pass of parts.
type builder struct {
	pol      *policy.Policy
	selected []bool
	asOf     time.Time
	groupBy  string
	judge    *judge
	// waiverExpiries[rule][host] lists the expiries of the waivers there:
	// the instants a violation may turn into a waived or back.
	waiverExpiries map[string]map[string][]time.Time

	totals     Totals
	hostsViol  map[string]bool
	rules      []*ruleAcc
	violations []Violation
}

type ruleAcc struct {
	counts      Counts
	hostsExp    map[string]bool
	hostsViol   map[string]bool
	byVendor    map[string]*Counts
	byComponent map[string]*Counts
	byGroup     map[string]*Counts
	// deltas[day] is the change of each status's count on that day.
	deltas map[string]*Counts
}

func newBuilder(pol *policy.Policy, selected []bool, asOf time.Time, groupBy string) *builder {
	b := &builder{pol: pol, selected: selected, asOf: asOf, groupBy: groupBy, judge: newJudge(pol),
		hostsViol: map[string]bool{}, waiverExpiries: map[string]map[string][]time.Time{}}
	for range pol.Rules {
		b.rules = append(b.rules, &ruleAcc{hostsExp: map[string]bool{}, hostsViol: map[string]bool{},
			byVendor: map[string]*Counts{}, byComponent: map[string]*Counts{}, byGroup: map[string]*Counts{},
			deltas: map[string]*Counts{}})
	}
	for _, w := range pol.Waivers {
		m := b.waiverExpiries[w.RuleID]
		if m == nil {
			m = map[string][]time.Time{}
			b.waiverExpiries[w.RuleID] = m
		}
		m[w.HostID] = append(m[w.HostID], w.Expires)
	}
	return b
}

func bump(m map[string]*Counts, key string, s policy.Status) {
	c := m[key]
	if c == nil {
		c = &Counts{}
		m[key] = c
	}
	c.add(s, 1)
}

// ruleIndex maps a finding's rule id to its index in the policy.
func (b *builder) ruleIndex(id string) int {
	for i := range b.pol.Rules {
		if b.pol.Rules[i].ID == id {
			return i
		}
	}
	return -1
}

func (b *builder) add(p store.PartBrief, h *hostInfo) {
	fs, matched := b.judge.eval(p, h, b.asOf)
	if len(fs) == 0 {
		return
	}
	installed := p.RemovedAt.IsZero() || p.RemovedAt.After(b.asOf)
	if installed {
		b.totals.Parts++
		if p.Kind == store.KindDrive {
			b.totals.Drives++
		} else {
			b.totals.Memory++
		}
	}
	if !matched {
		if installed {
			b.totals.ByStatus.add(policy.StatusAllowed, 1)
		}
		return
	}
	worst := policy.Worst(fs)
	b.totals.ByStatus.add(worst, 1)
	if worst == policy.StatusViolation {
		b.hostsViol[p.HostID] = true
	}
	var idx []int
	for _, f := range fs {
		i := b.ruleIndex(f.RuleID)
		if i < 0 || !b.selected[i] {
			continue
		}
		idx = append(idx, i)
		r := b.rules[i]
		r.counts.add(f.Status, 1)
		switch f.Status {
		case policy.StatusViolation:
			r.hostsViol[p.HostID] = true
			r.hostsExp[p.HostID] = true
			b.violations = append(b.violations, Violation{
				RuleID: f.RuleID, HostID: p.HostID, Hostname: h.hostname, Slot: p.Slot, Kind: string(p.Kind),
				Component: f.Component, Vendor: vendorOf(p, f.Component), PartNumber: p.PartNumber,
				Serial: p.SerialNumber, FirstSeen: p.FirstSeen, Reason: f.Reason,
			})
		case policy.StatusWaived, policy.StatusRecorded:
			r.hostsExp[p.HostID] = true
		}
		bump(r.byVendor, vendorOf(p, f.Component), f.Status)
		bump(r.byComponent, f.Component, f.Status)
		if b.groupBy != "" {
			bump(r.byGroup, h.labels[b.groupBy], f.Status)
		}
	}
	if len(idx) > 0 && !p.FirstSeen.IsZero() {
		b.exposure(p, h, idx)
	}
}

// exposure records, for each selected rule matching the part, how its
// status changed over time up to asOf. A status can only change at the
// part's arrival or removal, a rule's effective date or a waiver's expiry,
// so the engine is asked at those instants only.
func (b *builder) exposure(p store.PartBrief, h *hostInfo, idx []int) {
	times := []time.Time{p.FirstSeen}
	if !p.RemovedAt.IsZero() {
		times = append(times, p.RemovedAt)
	}
	for _, i := range idx {
		r := &b.pol.Rules[i]
		times = append(times, r.Effective)
		times = append(times, b.waiverExpiries[r.ID][p.HostID]...)
	}
	sort.Slice(times, func(x, y int) bool { return times[x].Before(times[y]) })
	prev := make([]policy.Status, len(idx))
	var last time.Time
	for _, t := range times {
		if t.Before(p.FirstSeen) || t.After(b.asOf) || t.Equal(last) {
			continue
		}
		last = t
		fs, _ := b.judge.eval(p, h, t)
		day := t.UTC().Format(time.DateOnly)
		for k, i := range idx {
			var now policy.Status
			for _, f := range fs {
				if f.RuleID == b.pol.Rules[i].ID {
					now = f.Status
					break
				}
			}
			if now == prev[k] {
				continue
			}
			d := b.rules[i].deltas[day]
			if d == nil {
				d = &Counts{}
				b.rules[i].deltas[day] = d
			}
			d.add(prev[k], -1)
			d.add(now, 1)
			prev[k] = now
		}
	}
}

func groups(m map[string]*Counts) []Group {
	out := make([]Group, 0, len(m))
	for k, c := range m {
		out = append(out, Group{Key: k, Counts: *c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Counts.Violation != out[j].Counts.Violation {
			return out[i].Counts.Violation > out[j].Counts.Violation
		}
		if out[i].Counts.Total() != out[j].Counts.Total() {
			return out[i].Counts.Total() > out[j].Counts.Total()
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func (b *builder) finish(rep *Report) {
	hosts := rep.Totals.Hosts
	rep.Totals = b.totals
	rep.Totals.Hosts = hosts
	rep.Totals.HostsWithViolations = len(b.hostsViol)
	for i := range b.pol.Rules {
		if !b.selected[i] {
			continue
		}
		r, acc := &b.pol.Rules[i], b.rules[i]
		out := Rule{
			ID: r.ID, Title: r.Title, Action: string(r.Action), Effective: r.Effective.UTC(),
			HostsExposed: len(acc.hostsExp), HostsInViolation: len(acc.hostsViol), Counts: acc.counts,
			ByVendor: groups(acc.byVendor), ByComponent: groups(acc.byComponent), Exposure: []Point{},
		}
		if b.groupBy != "" {
			out.ByGroup = groups(acc.byGroup)
		}
		days := make([]string, 0, len(acc.deltas))
		for d := range acc.deltas {
			days = append(days, d)
		}
		sort.Strings(days)
		var cum Counts
		for _, d := range days {
			delta := acc.deltas[d]
			for _, s := range Statuses {
				cum.add(s, delta.Get(s))
			}
			out.Exposure = append(out.Exposure, Point{Date: d, Counts: cum})
		}
		rep.Rules = append(rep.Rules, out)
	}
	sort.Slice(b.violations, func(i, j int) bool {
		x, y := b.violations[i], b.violations[j]
		if x.HostID != y.HostID {
			return x.HostID < y.HostID
		}
		if x.Slot != y.Slot {
			return x.Slot < y.Slot
		}
		return x.RuleID < y.RuleID
	})
	rep.Violations = b.violations
}
