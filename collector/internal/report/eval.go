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
	ruleIdx  map[string]int
	// waiverExpiries[rule][host] lists the expiries of the waivers there:
	// the instants a violation may turn into a waived or back.
	waiverExpiries map[string]map[string][]time.Time
	// waivedHosts[host] says whether a waiver names the host, and
	// serialWaivers[host] whether one of them names a serial: such parts
	// are not judged alike.
	waivedHosts   map[string]bool
	serialWaivers map[string]bool

	// memo holds the verdicts of alike parts (see verdictKey); instants
	// are the rules' effective dates and asOf, sorted: a verdict depends
	// on a part's dates only through their order among these (and their
	// days, for the exposure). Parts come grouped by host: the host
	// counters compare with the last host counted.
	memo     map[verdictKey]*verdict
	instants []time.Time

	totals       Totals
	lastViolHost string
	rules        []*ruleAcc
	violations   []Violation
}

type ruleAcc struct {
	counts                   Counts
	hostsExp, hostsViol      int
	lastExpHost, lastViolHst string
	byVendor                 map[string]*Counts
	byComponent              map[string]*Counts
	byGroup                  map[string]*Counts
	// deltas[day] is the change of each status's count on that day.
	deltas map[string]*Counts
}

// verdictKey is everything a part's verdict depends on. The serial and
// slot only appear in the reason, which is not memoized. On a host that
// no waiver names, the dates matter only through their order among the
// builder's instants and their days, so parts of hosts enrolled the same
// day share verdicts; on a waived host the host, the exact dates and (for
// serial waivers) the serial are part of the key.
type verdictKey struct {
	unmatchedKey
	host                 string
	serial               string
	first, removed       int64 // order codes, or exact microseconds on a waived host
	firstDay, removedDay int64
	inBaseline           bool
}

// memoLimit bounds the memo; past it the memo starts afresh.
const memoLimit = 1 << 20

// orderCode places t among the sorted instants: 2i when it equals
// instants[i], 2i+1 when it lies between instants[i] and instants[i+1]
// (-1 before the first, as 2*0-1); -2 for the zero time.
func orderCode(instants []time.Time, t time.Time) int64 {
	if t.IsZero() {
		return -2
	}
	i := sort.Search(len(instants), func(i int) bool { return !instants[i].Before(t) })
	if i < len(instants) && instants[i].Equal(t) {
		return int64(2 * i)
	}
	return int64(2*i - 1)
}

func dayOf(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 40
	}
	return t.Unix() / 86400
}

// verdict is the memoized judgement of a part: its findings under the
// selected rules, its worst status, and its exposure deltas.
type verdict struct {
	hits     []hit
	worst    policy.Status
	matched  bool
	exposure []delta
}

type hit struct {
	rule      int
	status    policy.Status
	component string
}

type delta struct {
	rule     int
	day      string
	from, to policy.Status
}

func newBuilder(pol *policy.Policy, selected []bool, asOf time.Time, groupBy string) *builder {
	b := &builder{pol: pol, selected: selected, asOf: asOf, groupBy: groupBy, judge: newJudge(pol),
		ruleIdx: map[string]int{}, waiverExpiries: map[string]map[string][]time.Time{},
		waivedHosts: map[string]bool{}, serialWaivers: map[string]bool{}, memo: map[verdictKey]*verdict{}}
	b.instants = append(b.instants, asOf)
	for i, r := range pol.Rules {
		b.instants = append(b.instants, r.Effective)
		b.ruleIdx[r.ID] = i
		b.rules = append(b.rules, &ruleAcc{byVendor: map[string]*Counts{}, byComponent: map[string]*Counts{},
			byGroup: map[string]*Counts{}, deltas: map[string]*Counts{}})
	}
	sort.Slice(b.instants, func(i, j int) bool { return b.instants[i].Before(b.instants[j]) })
	for _, w := range pol.Waivers {
		m := b.waiverExpiries[w.RuleID]
		if m == nil {
			m = map[string][]time.Time{}
			b.waiverExpiries[w.RuleID] = m
		}
		m[w.HostID] = append(m[w.HostID], w.Expires)
		b.waivedHosts[w.HostID] = true
		if w.Serial != "" {
			b.serialWaivers[w.HostID] = true
		}
	}
	return b
}

func bumpN(m map[string]*Counts, key string, s policy.Status, n int) {
	c := m[key]
	if c == nil {
		c = &Counts{}
		m[key] = c
	}
	c.add(s, n)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// verdictOf judges a part, from the memo when an alike part of the same
// host was judged already. nil: not installed yet at asOf.
func (b *builder) verdictOf(p store.PartBrief, h *hostInfo) *verdict {
	if !p.FirstSeen.IsZero() && p.FirstSeen.After(b.asOf) {
		return nil
	}
	uk := unmatchedKey{h.labelsKey, p.Kind, p.MakerID, p.MakerParent, p.DRAMID, p.DRAMParent, p.PartNumber}
	if b.judge.unmatched[uk] {
		return unmatchedVerdict
	}
	k := verdictKey{unmatchedKey: uk, inBaseline: p.InBaseline, firstDay: dayOf(p.FirstSeen), removedDay: dayOf(p.RemovedAt)}
	if b.waivedHosts[p.HostID] {
		k.host, k.first, k.removed = p.HostID, micros(p.FirstSeen), micros(p.RemovedAt)
		if b.serialWaivers[p.HostID] {
			k.serial = p.SerialNumber
		}
	} else {
		k.first, k.removed = orderCode(b.instants, p.FirstSeen), orderCode(b.instants, p.RemovedAt)
	}
	if v := b.memo[k]; v != nil {
		return v
	}
	if len(b.memo) >= memoLimit {
		clear(b.memo)
	}
	fs, matched := b.judge.eval(p, h, b.asOf)
	if !matched {
		return unmatchedVerdict
	}
	v := &verdict{matched: true, worst: policy.Worst(fs)}
	for _, f := range fs {
		i, ok := b.ruleIdx[f.RuleID]
		if !ok || !b.selected[i] {
			continue
		}
		v.hits = append(v.hits, hit{rule: i, status: f.Status, component: f.Component})
	}
	if len(v.hits) > 0 && !p.FirstSeen.IsZero() {
		v.exposure = b.exposure(p, h, v.hits)
	}
	b.memo[k] = v
	return v
}

var unmatchedVerdict = &verdict{worst: policy.StatusAllowed}

// add counts one part and lists its violations.
func (b *builder) add(p store.PartBrief, h *hostInfo) {
	v := b.verdictOf(p, h)
	if v == nil {
		return
	}
	b.count(p, h, v, 1)
	b.listViolations(p, h, v)
}

// addGroup counts a group of alike parts; it reports whether the group
// holds violations, whose parts the caller must then list (addViolations).
func (b *builder) addGroup(g store.PartGroup, h *hostInfo) bool {
	p := store.PartBrief{HostID: g.HostID, Kind: g.Kind, MakerID: g.MakerID, MakerParent: g.MakerParent,
		DRAMID: g.DRAMID, DRAMParent: g.DRAMParent, PartNumber: g.PartNumber, FirstSeen: g.FirstSeen,
		RemovedAt: g.RemovedAt, InBaseline: g.InBaseline}
	v := b.verdictOf(p, h)
	if v == nil {
		return false
	}
	b.count(p, h, v, g.Count)
	for _, ht := range v.hits {
		if ht.status == policy.StatusViolation {
			return true
		}
	}
	return false
}

// addViolations lists the violations of one part whose group was counted.
func (b *builder) addViolations(p store.PartBrief, h *hostInfo) {
	if v := b.verdictOf(p, h); v != nil {
		b.listViolations(p, h, v)
	}
}

// count adds n parts judged v.
func (b *builder) count(p store.PartBrief, h *hostInfo, v *verdict, n int) {
	installed := p.RemovedAt.IsZero() || p.RemovedAt.After(b.asOf)
	if installed {
		b.totals.Parts += n
		if p.Kind == store.KindDrive {
			b.totals.Drives += n
		} else {
			b.totals.Memory += n
		}
	}
	if !v.matched {
		if installed {
			b.totals.ByStatus.add(policy.StatusAllowed, n)
		}
		return
	}
	b.totals.ByStatus.add(v.worst, n)
	if v.worst == policy.StatusViolation && b.lastViolHost != p.HostID {
		b.lastViolHost = p.HostID
		b.totals.HostsWithViolations++
	}
	for _, ht := range v.hits {
		r := b.rules[ht.rule]
		r.counts.add(ht.status, n)
		switch ht.status {
		case policy.StatusViolation:
			if r.lastViolHst != p.HostID {
				r.lastViolHst = p.HostID
				r.hostsViol++
			}
			fallthrough
		case policy.StatusWaived, policy.StatusRecorded:
			if r.lastExpHost != p.HostID {
				r.lastExpHost = p.HostID
				r.hostsExp++
			}
		}
		bumpN(r.byVendor, vendorOf(p, ht.component), ht.status, n)
		bumpN(r.byComponent, ht.component, ht.status, n)
		if b.groupBy != "" {
			bumpN(r.byGroup, h.labels[b.groupBy], ht.status, n)
		}
	}
	for _, d := range v.exposure {
		acc := b.rules[d.rule].deltas[d.day]
		if acc == nil {
			acc = &Counts{}
			b.rules[d.rule].deltas[d.day] = acc
		}
		acc.add(d.from, -n)
		acc.add(d.to, n)
	}
}

// listViolations appends the part's violations, with the engine's reason
// for this very part (it names the serial and slot).
func (b *builder) listViolations(p store.PartBrief, h *hostInfo, v *verdict) {
	var reasons []policy.Finding
	for _, ht := range v.hits {
		if ht.status != policy.StatusViolation {
			continue
		}
		if reasons == nil {
			reasons = b.pol.Evaluate(PolicyPart(p, h.labels), b.asOf, policy.EvalOptions{})
		}
		ruleID := b.pol.Rules[ht.rule].ID
		reason := ""
		for _, f := range reasons {
			if f.RuleID == ruleID {
				reason = f.Reason
			}
		}
		b.violations = append(b.violations, Violation{
			RuleID: ruleID, HostID: p.HostID, Hostname: h.hostname, Slot: p.Slot, Kind: string(p.Kind),
			Component: ht.component, Vendor: vendorOf(p, ht.component), PartNumber: p.PartNumber,
			Serial: p.SerialNumber, FirstSeen: p.FirstSeen, Reason: reason,
		})
	}
}

// exposure returns how the part's status under each hit rule changed over
// time up to asOf. A status can only change at the part's arrival or
// removal, a rule's effective date or a waiver's expiry, so the engine is
// asked at those instants only.
func (b *builder) exposure(p store.PartBrief, h *hostInfo, hits []hit) []delta {
	times := []time.Time{p.FirstSeen}
	if !p.RemovedAt.IsZero() {
		times = append(times, p.RemovedAt)
	}
	for _, ht := range hits {
		r := &b.pol.Rules[ht.rule]
		times = append(times, r.Effective)
		times = append(times, b.waiverExpiries[r.ID][p.HostID]...)
	}
	sort.Slice(times, func(x, y int) bool { return times[x].Before(times[y]) })
	prev := make([]policy.Status, len(hits))
	var out []delta
	var last time.Time
	for _, t := range times {
		if t.Before(p.FirstSeen) || t.After(b.asOf) || t.Equal(last) {
			continue
		}
		last = t
		fs, _ := b.judge.eval(p, h, t)
		day := t.UTC().Format(time.DateOnly)
		for k, ht := range hits {
			var now policy.Status
			for _, f := range fs {
				if f.RuleID == b.pol.Rules[ht.rule].ID {
					now = f.Status
					break
				}
			}
			if now != prev[k] {
				out = append(out, delta{rule: ht.rule, day: day, from: prev[k], to: now})
				prev[k] = now
			}
		}
	}
	return out
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
	for i := range b.pol.Rules {
		if !b.selected[i] {
			continue
		}
		r, acc := &b.pol.Rules[i], b.rules[i]
		out := Rule{
			ID: r.ID, Title: r.Title, Action: string(r.Action), Effective: r.Effective.UTC(),
			HostsExposed: acc.hostsExp, HostsInViolation: acc.hostsViol, Counts: acc.counts,
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
