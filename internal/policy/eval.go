package policy

import (
	"fmt"
	"strings"
	"time"
)

// Part is what the engine needs to know about one installed (or formerly
// installed) part, neutral of the proto and the store.
type Part struct {
	HostID     string
	HostLabels map[string]string
	// Component is "module" for a memory module (checked against rules on
	// its module maker and, separately, its DRAM maker) or "storage" for a
	// drive. "dram" alone checks only the DRAM maker.
	Component string
	// Vendor and VendorParent are slugs of the module or drive maker and of
	// the company owning it; empty when unidentified.
	Vendor, VendorParent string
	// DRAMVendor and DRAMVendorParent: memory modules only.
	DRAMVendor, DRAMVendorParent string
	// PartNumber (modules) and Model (drives) are matched by patterns.
	PartNumber, Model string
	Serial            string
	// Slot is a module's slot or a drive's kernel name, for messages.
	Slot string
	// FirstSeen is when the part was first seen on THIS host: a part moved
	// from another host is a new install here. Zero when unknown: an
	// unknown date never grandfathers a part.
	FirstSeen time.Time
	// RemovedAt is when the part was seen gone; zero while installed.
	RemovedAt time.Time
	// InBaseline is true when the part was in the host's first inventory.
	InBaseline bool
}

// Status is the outcome of one rule for one part.
type Status string

const (
	// StatusViolation: a new install under restrict-new, or any installed
	// match under deny, without an unexpired waiver.
	StatusViolation Status = "violation"
	// StatusWaived: a violation covered by an unexpired waiver.
	StatusWaived Status = "waived"
	// StatusRecorded: an existing install (before the effective date or in
	// the host's baseline), or a match of a rule not yet in force.
	StatusRecorded Status = "recorded"
	// StatusRemoved: a matching part that is no longer installed.
	StatusRemoved Status = "removed"
	// StatusAllowed: matched by an allow rule, or matched by no rule.
	StatusAllowed Status = "allowed"
)

// rank orders statuses from worst (highest) to best.
func (s Status) rank() int {
	switch s {
	case StatusViolation:
		return 5
	case StatusWaived:
		return 4
	case StatusRecorded:
		return 3
	case StatusRemoved:
		return 2
	case StatusAllowed:
		return 1
	}
	return 0
}

// Finding is the outcome of one rule for one part.
type Finding struct {
	// RuleID is empty for the single allowed finding of a part no rule
	// matches.
	RuleID string
	Status Status
	// Component is which maker matched: "module", "dram" or "storage"
	// (when a module's maker and its DRAM maker both match, "module").
	Component string
	// Reason explains the status to a person, with the dates it rests on.
	Reason string
	// Waiver is the waiver that applies (StatusWaived) or the expired one
	// the reason mentions (StatusViolation); nil otherwise. It is a copy.
	Waiver *Waiver
}

// EvalOptions changes how Evaluate judges parts.
type EvalOptions struct {
	// AssumeNew treats every part as installed at the evaluation time and
	// not in any baseline: grandfathering by first-seen date or baseline is
	// ignored. It is the acceptance check for a new server. Rules whose
	// effective date is after the evaluation time are still not in force.
	AssumeNew bool
}

// Evaluate judges one part at time asOf. It returns one Finding per rule
// that matches the part (scope, component, maker, patterns), in rule order,
// or a single Finding with StatusAllowed and no RuleID when none does.
//
// A part removed after asOf counts as installed at asOf; a part first seen
// after asOf was not installed yet, and Evaluate returns nil for it (unless
// opts.AssumeNew). Evaluate does not modify the policy and is safe for
// concurrent use.
func (p *Policy) Evaluate(part Part, asOf time.Time, opts EvalOptions) []Finding {
	if !opts.AssumeNew && !part.FirstSeen.IsZero() && part.FirstSeen.After(asOf) {
		return nil
	}
	removed := !part.RemovedAt.IsZero() && !part.RemovedAt.After(asOf)
	var out []Finding
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.Scope.Matches(part.HostLabels) {
			continue
		}
		comp, ok := r.Match.component(part)
		if !ok {
			continue
		}
		out = append(out, p.judge(r, comp, part, removed, asOf, opts))
	}
	if len(out) == 0 {
		reason := "no policy rule matches " + describe(part, part.Component)
		if removed {
			reason += ", " + removedPhrase(part)
		}
		out = append(out, Finding{Status: StatusAllowed, Component: part.Component, Reason: reason})
	}
	return out
}

// component returns which of the part's makers the match holds for.
func (m Match) component(part Part) (string, bool) {
	if !m.patternsMatch(part) {
		return "", false
	}
	var checks []string
	switch part.Component {
	case ComponentModule:
		checks = []string{ComponentModule, ComponentDRAM}
	case ComponentDRAM:
		checks = []string{ComponentDRAM}
	case ComponentStorage:
		checks = []string{ComponentStorage}
	}
	for _, c := range checks {
		if !m.hasComponent(c) {
			continue
		}
		maker, parent := part.Vendor, part.VendorParent
		if c == ComponentDRAM {
			maker, parent = part.DRAMVendor, part.DRAMVendorParent
		}
		if m.vendorMatches(maker, parent) {
			return c, true
		}
	}
	return "", false
}

func (m Match) hasComponent(c string) bool {
	for _, have := range m.Components {
		if have == c {
			return true
		}
	}
	return false
}

// vendorMatches: an unidentified maker ("") never matches a vendor list.
// Vendors hold current slugs; a part stored by an older agent may carry a
// former one (currentSlug).
func (m Match) vendorMatches(maker, parent string) bool {
	if len(m.Vendors) == 0 {
		return true
	}
	maker, parent = currentSlug(maker), currentSlug(parent)
	for _, v := range m.Vendors {
		if (maker != "" && v == maker) || (parent != "" && v == parent) {
			return true
		}
	}
	return false
}

func (m Match) patternsMatch(part Part) bool {
	return anyMatch(m.PartNumbers, part.PartNumber) && anyMatch(m.Models, part.Model)
}

// anyMatch: an empty pattern list matches everything.
func anyMatch(pats []Pattern, value string) bool {
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		if p.Match(value) {
			return true
		}
	}
	return false
}

// judge decides one matching rule's finding.
func (p *Policy) judge(r *Rule, comp string, part Part, removed bool, asOf time.Time, opts EvalOptions) Finding {
	f := Finding{RuleID: r.ID, Component: comp}
	desc := describe(part, comp)
	eff := fmtTime(r.Effective)
	switch {
	case removed:
		f.Status = StatusRemoved
		f.Reason = fmt.Sprintf("%s %s", desc, removedPhrase(part))
		return f
	case r.Action == ActionAllow:
		f.Status = StatusAllowed
		f.Reason = fmt.Sprintf("%s is allowed", desc)
		return f
	case asOf.Before(r.Effective):
		f.Status = StatusRecorded
		f.Reason = fmt.Sprintf("%s recorded; the %s rule takes effect %s", desc, r.Action, eff)
		return f
	}
	var reason string
	switch {
	case r.Action == ActionDeny:
		reason = fmt.Sprintf("%s denied since %s", desc, eff)
	case opts.AssumeNew:
		reason = fmt.Sprintf("new %s (assume-new), after rule effective %s", desc, eff)
	case part.InBaseline && r.Baseline != BaselineStrict:
		f.Status = StatusRecorded
		f.Reason = fmt.Sprintf("existing %s in the host's first inventory (first seen %s); recorded under rule effective %s",
			desc, fmtSeen(part.FirstSeen, r.Effective), eff)
		return f
	case !part.FirstSeen.IsZero() && part.FirstSeen.Before(r.Effective):
		f.Status = StatusRecorded
		f.Reason = fmt.Sprintf("existing %s first seen %s, before rule effective %s",
			desc, fmtSeen(part.FirstSeen, r.Effective), eff)
		return f
	case part.FirstSeen.IsZero():
		reason = fmt.Sprintf("%s with no first-seen date and not in the host's baseline counts as new under rule effective %s", desc, eff)
	default:
		when := "after"
		if part.FirstSeen.Equal(r.Effective) {
			when = "on"
		}
		reason = fmt.Sprintf("new %s first seen %s, %s rule effective %s",
			desc, fmtSeen(part.FirstSeen, r.Effective), when, eff)
		if part.InBaseline {
			reason += " (in the host's first inventory, not grandfathered: baseline strict)"
		}
	}
	f.Status = StatusViolation
	f.Reason = reason
	if w := p.waiverFor(r.ID, part, asOf); w != nil {
		f.Waiver = w
		who := ""
		if w.ApprovedBy != "" {
			who = ", approved by " + w.ApprovedBy
		}
		if w.ActiveAt(asOf) {
			f.Status = StatusWaived
			f.Reason = fmt.Sprintf("%s; waived until %s: %s%s", reason, fmtTime(w.Expires), w.Reason, who)
		} else {
			f.Reason = fmt.Sprintf("%s; waiver expired %s (%s%s)", reason, fmtTime(w.Expires), w.Reason, who)
		}
	}
	return f
}

// waiverFor returns a copy of the waiver covering this rule and part: the
// active one lasting longest, else the one that expired last; nil if none.
func (p *Policy) waiverFor(ruleID string, part Part, asOf time.Time) *Waiver {
	var best *Waiver
	for i := range p.Waivers {
		w := &p.Waivers[i]
		if !w.covers(ruleID, part) {
			continue
		}
		if best == nil || w.Expires.After(best.Expires) {
			best = w
		}
	}
	if best == nil {
		return nil
	}
	c := *best
	return &c
}

// describe names a part for people: "Micron Technology module 36ASF8G72PZ
// serial X in slot B2", "Kingston Technology module KSM32RD4/32MEI with
// Micron Technology DRAM ...", "YMTC drive ZHITAI TiPro7000 serial Y at
// nvme0n1", "module M393A4K40DB3-CWE (maker unidentified)".
func describe(part Part, comp string) string {
	var b strings.Builder
	maker := vendorName(part.Vendor)
	if maker != "" {
		b.WriteString(maker + " ")
	}
	if comp == ComponentStorage {
		b.WriteString("drive")
		if m := strings.TrimSpace(part.Model); m != "" {
			b.WriteString(" " + m)
		}
	} else {
		b.WriteString("module")
		if pn := strings.TrimSpace(part.PartNumber); pn != "" {
			b.WriteString(" " + pn)
		}
	}
	if maker == "" {
		b.WriteString(" (maker unidentified)")
	}
	if comp == ComponentDRAM {
		if dram := vendorName(part.DRAMVendor); dram != "" {
			b.WriteString(" with " + dram + " DRAM")
		} else {
			b.WriteString(" with DRAM of unidentified maker")
		}
	}
	if part.Serial != "" {
		b.WriteString(" serial " + part.Serial)
	}
	if part.Slot != "" {
		if comp == ComponentStorage {
			b.WriteString(" at " + part.Slot)
		} else {
			b.WriteString(" in slot " + part.Slot)
		}
	}
	return b.String()
}

func removedPhrase(part Part) string {
	seen := "first seen date unknown"
	if !part.FirstSeen.IsZero() {
		seen = "first seen " + fmtTime(part.FirstSeen)
	}
	return fmt.Sprintf("removed %s (%s)", fmtTime(part.RemovedAt), seen)
}

// fmtTime prints a date when t is midnight UTC (how policy dates are
// usually written), else the full UTC timestamp.
func fmtTime(t time.Time) string {
	u := t.UTC()
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0 {
		return u.Format(time.DateOnly)
	}
	return u.Format(time.RFC3339)
}

// fmtSeen prints a first-seen time as a date, or in full when it falls on
// the effective date's day, where the date alone would not say which side
// of the rule the part is on.
func fmtSeen(seen, effective time.Time) string {
	if seen.IsZero() {
		return "unknown"
	}
	s := seen.UTC()
	if s.Format(time.DateOnly) == effective.UTC().Format(time.DateOnly) {
		return s.Format(time.RFC3339)
	}
	return s.Format(time.DateOnly)
}

// Worst returns the worst status among findings (violation, waived,
// recorded, removed, allowed, in that order), the part's overall status;
// "" when there are none.
func Worst(findings []Finding) Status {
	var worst Status
	for _, f := range findings {
		if f.Status.rank() > worst.rank() {
			worst = f.Status
		}
	}
	return worst
}
