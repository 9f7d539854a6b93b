package policy

import (
	"strings"
	"testing"
	"time"
)

// day parses a date as policy files write it (midnight UTC).
func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatalf("bad test date %q: %v", s, err)
	}
	return d
}

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), "policy.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// micronModule is a Micron RDIMM on a CII host, first seen on 2024-01-03.
func micronModule(t testing.TB) Part {
	return Part{
		HostID:       "h1",
		HostLabels:   map[string]string{"cii": "true", "site": "sh-1"},
		Component:    ComponentModule,
		Vendor:       "micron",
		VendorParent: "micron",
		PartNumber:   "36ASF8G72PZ-3G2E1",
		Serial:       "1A2B3C4D",
		Slot:         "B2",
		FirstSeen:    day(t, "2024-01-03"),
	}
}

const restrictPolicy = `
rules:
  - id: cac-micron
    title: No new Micron in critical infrastructure
    match:
      vendors: [micron]
    scope:
      cii: "true"
    effective: 2023-05-21
    action: restrict-new
`

const strictPolicy = `
rules:
  - id: cac-micron
    title: No new Micron in critical infrastructure
    match:
      vendors: [micron]
    effective: 2023-05-21
    action: restrict-new
    baseline: strict
`

const denyPolicy = `
rules:
  - id: ndaa-5949
    title: No YMTC or CXMT parts
    match:
      vendors: [micron]
    effective: 2023-05-21
    action: deny
`

const allowPolicy = `
rules:
  - id: approved-micron
    title: Micron is approved
    match:
      vendors: [micron]
    effective: 2020-01-01
    action: allow
`

// TestEvaluateTransitions covers every status each action can give, with
// the dates that decide it.
func TestEvaluateTransitions(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		edit   func(p *Part)
		asOf   string
		opts   EvalOptions
		want   Status
		// reason holds substrings the reason must contain.
		reason []string
	}{
		{name: "restrict-new: first seen after effective is a violation", policy: restrictPolicy,
			asOf: "2024-06-01", want: StatusViolation,
			reason: []string{"new Micron Technology module 36ASF8G72PZ-3G2E1 serial 1A2B3C4D in slot B2 first seen 2024-01-03, after rule effective 2023-05-21"}},
		{name: "restrict-new: first seen before effective is recorded", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen = day(t, "2022-11-30") },
			asOf: "2024-06-01", want: StatusRecorded, reason: []string{"first seen 2022-11-30, before rule effective 2023-05-21"}},
		{name: "restrict-new: first seen exactly at effective is a violation", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen = day(t, "2023-05-21") },
			asOf: "2024-06-01", want: StatusViolation, reason: []string{"first seen 2023-05-21T00:00:00Z, on rule effective"}},
		{name: "restrict-new: one nanosecond before effective is recorded", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen = day(t, "2023-05-21").Add(-time.Nanosecond) },
			asOf: "2024-06-01", want: StatusRecorded},
		{name: "restrict-new: in the host's baseline is recorded", policy: restrictPolicy,
			edit: func(p *Part) { p.InBaseline = true },
			asOf: "2024-06-01", want: StatusRecorded, reason: []string{"first inventory"}},
		{name: "restrict-new: unknown first-seen date not in baseline is a violation", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen = time.Time{} },
			asOf: "2024-06-01", want: StatusViolation, reason: []string{"no first-seen date"}},
		{name: "restrict-new: unknown first-seen date in baseline is recorded", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen, p.InBaseline = time.Time{}, true },
			asOf: "2024-06-01", want: StatusRecorded},
		{name: "restrict-new: rule not yet in force is recorded", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen = day(t, "2023-01-03") },
			asOf: "2023-05-20", want: StatusRecorded, reason: []string{"takes effect 2023-05-21"}},
		{name: "restrict-new: removed part is removed", policy: restrictPolicy,
			edit: func(p *Part) { p.RemovedAt = day(t, "2024-03-01") },
			asOf: "2024-06-01", want: StatusRemoved, reason: []string{"removed 2024-03-01 (first seen 2024-01-03)"}},
		{name: "restrict-new: removed exactly at as-of is removed", policy: restrictPolicy,
			edit: func(p *Part) { p.RemovedAt = day(t, "2024-06-01") },
			asOf: "2024-06-01", want: StatusRemoved},
		{name: "restrict-new: as-of before removal counts as installed", policy: restrictPolicy,
			edit: func(p *Part) { p.RemovedAt = day(t, "2024-03-01") },
			asOf: "2024-02-01", want: StatusViolation},
		{name: "restrict-new: recorded part later removed, as of before removal", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen, p.RemovedAt = day(t, "2021-01-01"), day(t, "2024-03-01") },
			asOf: "2023-12-31", want: StatusRecorded},
		{name: "moved part: a new install on its new host", policy: restrictPolicy,
			// Installed on another host in 2021 (recorded there); on this
			// host the ledger gives the move date as first seen.
			edit: func(p *Part) { p.HostID, p.FirstSeen = "h2", day(t, "2024-02-10") },
			asOf: "2024-06-01", want: StatusViolation, reason: []string{"first seen 2024-02-10"}},
		{name: "assume-new: a baseline part is a violation", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen, p.InBaseline = day(t, "2020-01-01"), true },
			asOf: "2024-06-01", opts: EvalOptions{AssumeNew: true}, want: StatusViolation, reason: []string{"assume-new"}},
		{name: "assume-new: a part first seen after as-of is still judged", policy: restrictPolicy,
			edit: func(p *Part) { p.FirstSeen = day(t, "2030-01-01") },
			asOf: "2024-06-01", opts: EvalOptions{AssumeNew: true}, want: StatusViolation},
		{name: "assume-new: rule not in force yet is recorded", policy: restrictPolicy,
			asOf: "2023-05-01", opts: EvalOptions{AssumeNew: true}, edit: func(p *Part) { p.FirstSeen = time.Time{} },
			want: StatusRecorded, reason: []string{"takes effect"}},
		{name: "baseline strict: baseline part first seen after effective is a violation", policy: strictPolicy,
			edit: func(p *Part) { p.InBaseline = true },
			asOf: "2024-06-01", want: StatusViolation, reason: []string{"baseline strict"}},
		{name: "baseline strict: baseline part first seen before effective is recorded", policy: strictPolicy,
			edit: func(p *Part) { p.InBaseline, p.FirstSeen = true, day(t, "2023-01-01") },
			asOf: "2024-06-01", want: StatusRecorded},
		{name: "baseline strict: baseline part with no date is a violation", policy: strictPolicy,
			edit: func(p *Part) { p.InBaseline, p.FirstSeen = true, time.Time{} },
			asOf: "2024-06-01", want: StatusViolation},
		{name: "deny: installed before effective is a violation once in force", policy: denyPolicy,
			edit: func(p *Part) { p.FirstSeen, p.InBaseline = day(t, "2020-01-01"), true },
			asOf: "2024-06-01", want: StatusViolation, reason: []string{"denied since 2023-05-21"}},
		{name: "deny: before effective is recorded", policy: denyPolicy,
			edit: func(p *Part) { p.FirstSeen = day(t, "2020-01-01") },
			asOf: "2023-01-01", want: StatusRecorded, reason: []string{"deny rule takes effect 2023-05-21"}},
		{name: "deny: removed is removed", policy: denyPolicy,
			edit: func(p *Part) { p.RemovedAt = day(t, "2024-02-01") },
			asOf: "2024-06-01", want: StatusRemoved},
		{name: "allow: a match is allowed", policy: allowPolicy,
			asOf: "2024-06-01", want: StatusAllowed, reason: []string{"is allowed"}},
		{name: "allow: a removed match is removed", policy: allowPolicy,
			edit: func(p *Part) { p.RemovedAt = day(t, "2024-02-01") },
			asOf: "2024-06-01", want: StatusRemoved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := mustParse(t, tc.policy)
			part := micronModule(t)
			if tc.edit != nil {
				tc.edit(&part)
			}
			got := pol.Evaluate(part, day(t, tc.asOf), tc.opts)
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(got), got)
			}
			f := got[0]
			if f.Status != tc.want || f.RuleID != pol.Rules[0].ID || f.Component != ComponentModule {
				t.Errorf("got %s/%s/%s, want %s/%s/module (reason %q)", f.RuleID, f.Status, f.Component, pol.Rules[0].ID, tc.want, f.Reason)
			}
			for _, s := range tc.reason {
				if !strings.Contains(f.Reason, s) {
					t.Errorf("reason %q lacks %q", f.Reason, s)
				}
			}
		})
	}
}

func TestEvaluateNotYetInstalled(t *testing.T) {
	pol := mustParse(t, restrictPolicy)
	part := micronModule(t) // first seen 2024-01-03
	if got := pol.Evaluate(part, day(t, "2024-01-02"), EvalOptions{}); got != nil {
		t.Errorf("part first seen after as-of: got %+v, want nil", got)
	}
	if got := pol.Evaluate(part, part.FirstSeen, EvalOptions{}); len(got) != 1 || got[0].Status != StatusViolation {
		t.Errorf("as-of equal to first seen: got %+v, want one violation", got)
	}
}

const waiverPolicy = `
rules:
  - id: cac-micron
    title: No new Micron in critical infrastructure
    match: {vendors: [micron]}
    effective: 2023-05-21
    action: restrict-new
  - id: other
    title: Another rule
    match: {vendors: [samsung]}
    effective: 2023-05-21
    action: restrict-new
waivers:
  - rule: cac-micron
    host: h1
    reason: spare pool exhausted, ticket OPS-1
    approved_by: compliance@example.com
    expires: 2024-07-01
  - rule: cac-micron
    host: h3
    serial: SERIAL-A
    reason: one DIMM only
    expires: 2025-01-01
  - rule: cac-micron
    host: h4
    reason: first waiver
    expires: 2024-03-01
  - rule: cac-micron
    host: h4
    reason: renewed
    expires: 2024-09-01
  - rule: other
    host: h5
    reason: wrong rule
    expires: 2030-01-01
`

func TestEvaluateWaivers(t *testing.T) {
	pol := mustParse(t, waiverPolicy)
	expiry := day(t, "2024-07-01")
	tests := []struct {
		name       string
		host       string
		serial     string
		firstSeen  string
		asOf       time.Time
		want       Status
		wantWaiver string // reason of the waiver in the finding, "" for none
		reason     string
	}{
		{name: "active waiver", host: "h1", asOf: day(t, "2024-06-01"), want: StatusWaived, wantWaiver: "spare pool exhausted, ticket OPS-1",
			reason: "; waived until 2024-07-01: spare pool exhausted, ticket OPS-1, approved by compliance@example.com"},
		{name: "one nanosecond before expiry", host: "h1", asOf: expiry.Add(-time.Nanosecond), want: StatusWaived, wantWaiver: "spare pool exhausted, ticket OPS-1"},
		{name: "at expiry the waiver has lapsed", host: "h1", asOf: expiry, want: StatusViolation, wantWaiver: "spare pool exhausted, ticket OPS-1",
			reason: "; waiver expired 2024-07-01 (spare pool exhausted"},
		{name: "after expiry", host: "h1", asOf: day(t, "2025-01-01"), want: StatusViolation, wantWaiver: "spare pool exhausted, ticket OPS-1"},
		{name: "waiver does not touch a recorded part", host: "h1", firstSeen: "2022-01-01", asOf: day(t, "2024-06-01"), want: StatusRecorded},
		{name: "other host", host: "h2", asOf: day(t, "2024-06-01"), want: StatusViolation},
		{name: "serial waiver, that serial", host: "h3", serial: "SERIAL-A", asOf: day(t, "2024-06-01"), want: StatusWaived, wantWaiver: "one DIMM only"},
		{name: "serial waiver, another serial", host: "h3", serial: "SERIAL-B", asOf: day(t, "2024-06-01"), want: StatusViolation},
		{name: "renewed waiver: the later one applies", host: "h4", asOf: day(t, "2024-06-01"), want: StatusWaived, wantWaiver: "renewed"},
		{name: "renewed waiver, both expired: the last one is named", host: "h4", asOf: day(t, "2024-10-01"), want: StatusViolation, wantWaiver: "renewed"},
		{name: "waiver of another rule", host: "h5", asOf: day(t, "2024-06-01"), want: StatusViolation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			part := micronModule(t)
			part.HostID = tc.host
			if tc.serial != "" {
				part.Serial = tc.serial
			}
			if tc.firstSeen != "" {
				part.FirstSeen = day(t, tc.firstSeen)
			}
			got := pol.Evaluate(part, tc.asOf, EvalOptions{})
			if len(got) != 1 {
				t.Fatalf("got %d findings, want 1: %+v", len(got), got)
			}
			f := got[0]
			if f.Status != tc.want {
				t.Errorf("status %s, want %s (reason %q)", f.Status, tc.want, f.Reason)
			}
			switch {
			case tc.wantWaiver == "" && f.Waiver != nil:
				t.Errorf("waiver %+v, want none", *f.Waiver)
			case tc.wantWaiver != "" && (f.Waiver == nil || f.Waiver.Reason != tc.wantWaiver):
				t.Errorf("waiver %+v, want the one with reason %q", f.Waiver, tc.wantWaiver)
			}
			if tc.reason != "" && !strings.Contains(f.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", f.Reason, tc.reason)
			}
		})
	}
}

func TestEvaluateWaiverIsACopy(t *testing.T) {
	pol := mustParse(t, waiverPolicy)
	f := pol.Evaluate(micronModule(t), day(t, "2024-06-01"), EvalOptions{})
	if f[0].Waiver == nil {
		t.Fatal("no waiver")
	}
	f[0].Waiver.Reason = "changed"
	if pol.Waivers[0].Reason == "changed" {
		t.Error("changing a finding's waiver changed the policy")
	}
}

func TestEvaluateScope(t *testing.T) {
	pol := mustParse(t, `
rules:
  - id: scoped
    title: Scoped rule
    match: {vendors: [micron]}
    scope:
      cii: "true"
      site: [sh-1, bj-2]
      rack: "*"
    effective: 2023-05-21
    action: restrict-new
`)
	tests := []struct {
		name   string
		labels map[string]string
		match  bool
	}{
		{"all selectors hold", map[string]string{"cii": "true", "site": "sh-1", "rack": "r7"}, true},
		{"second value of a list", map[string]string{"cii": "true", "site": "bj-2", "rack": "r1"}, true},
		{"wildcard matches an empty value", map[string]string{"cii": "true", "site": "sh-1", "rack": ""}, true},
		{"extra labels are ignored", map[string]string{"cii": "true", "site": "sh-1", "rack": "r7", "team": "db"}, true},
		{"value not in list", map[string]string{"cii": "true", "site": "us-1", "rack": "r7"}, false},
		{"exact match is case-sensitive", map[string]string{"cii": "True", "site": "sh-1", "rack": "r7"}, false},
		{"wildcard needs the label", map[string]string{"cii": "true", "site": "sh-1"}, false},
		{"missing label", map[string]string{"site": "sh-1", "rack": "r7"}, false},
		{"no labels", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			part := micronModule(t)
			part.HostLabels = tc.labels
			got := pol.Evaluate(part, day(t, "2024-06-01"), EvalOptions{})
			matched := len(got) == 1 && got[0].RuleID == "scoped"
			if matched != tc.match {
				t.Errorf("matched=%v, want %v: %+v", matched, tc.match, got)
			}
			if !tc.match && (len(got) != 1 || got[0].Status != StatusAllowed || got[0].RuleID != "") {
				t.Errorf("out of scope: got %+v, want a single allowed finding without rule", got)
			}
		})
	}
	// The scope of the CAC example: unquoted `cii: true` reads as "true".
	pol2 := mustParse(t, strings.Replace(restrictPolicy, `cii: "true"`, `cii: true`, 1))
	if got := pol2.Evaluate(micronModule(t), day(t, "2024-06-01"), EvalOptions{}); got[0].RuleID != "cac-micron" {
		t.Errorf("unquoted true in scope: got %+v", got)
	}
}

// TestEvaluateMatching covers which parts a rule's match selects: makers,
// parents, the DRAM maker, components and patterns.
func TestEvaluateMatching(t *testing.T) {
	const pol = `
rules:
  - id: micron-any
    title: Micron anywhere
    match: {vendors: [micron]}
    effective: 2023-05-21
    action: deny
  - id: micron-dram-only
    title: Micron DRAM dies
    match: {vendors: [micron], components: [dram]}
    effective: 2023-05-21
    action: deny
  - id: micron-storage-only
    title: Micron drives
    match: {vendors: [micron], components: [storage]}
    effective: 2023-05-21
    action: deny
  - id: pn-glob
    title: 36ASF modules of any maker
    match: {part_numbers: ["36asf*"], components: [module]}
    effective: 2023-05-21
    action: deny
  - id: model-regex
    title: MTFD drives
    match: {models: ["re:^MTFD"]}
    effective: 2023-05-21
    action: deny
  - id: kingston-pn
    title: One Kingston part
    match: {vendors: [kingston], part_numbers: ["KSM32RD4/32*"]}
    effective: 2023-05-21
    action: deny
`
	p := mustParse(t, pol)
	base := Part{HostID: "h", FirstSeen: day(t, "2024-01-01")}
	tests := []struct {
		name string
		part func(Part) Part
		// want is "rule/component" per finding in order; "/" alone for the
		// single allowed finding.
		want []string
	}{
		{"Micron module with Micron DRAM", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent, p.DRAMVendor, p.DRAMVendorParent = "module", "micron", "micron", "micron", "micron"
			p.PartNumber = "36ASF8G72PZ-3G2E1"
			return p
		}, []string{"micron-any/module", "micron-dram-only/dram", "pn-glob/module"}},
		{"Crucial module matches micron by parent", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent, p.PartNumber = "module", "crucial", "micron", "CT16G4DFRA32A.M16FF"
			return p
		}, []string{"micron-any/module"}},
		{"Kingston module with Micron DRAM matches by its DRAM maker", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent, p.DRAMVendor, p.DRAMVendorParent = "module", "kingston", "kingston", "micron", "micron"
			p.PartNumber = "KSM32RD4/32MEI"
			return p
		}, []string{"micron-any/dram", "micron-dram-only/dram", "kingston-pn/module"}},
		{"unidentified maker matches no vendor rule", func(p Part) Part {
			p.Component, p.PartNumber = "module", "M393A4K40DB3-CWE"
			return p
		}, []string{"/"}},
		{"part-number glob matches an unidentified maker, case-insensitively", func(p Part) Part {
			p.Component, p.PartNumber = "module", "36asf8g72pz-3g2e1  "
			return p
		}, []string{"pn-glob/module"}},
		{"glob crosses '/'", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent, p.PartNumber = "module", "kingston", "kingston", "KSM32RD4/32HDR"
			return p
		}, []string{"kingston-pn/module"}},
		{"Kingston part number pattern not matching", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent, p.PartNumber = "module", "kingston", "kingston", "KSM26RD4/32MEI"
			return p
		}, []string{"/"}},
		{"Micron drive", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent, p.Model = "storage", "micron", "micron", "Micron_7450_MTFDKCC1T9TFR"
			return p
		}, []string{"micron-any/storage", "micron-storage-only/storage"}},
		{"model regex on an unidentified drive", func(p Part) Part {
			p.Component, p.Model = "storage", "MTFDDAK480TDS"
			return p
		}, []string{"model-regex/storage"}},
		{"DRAM component alone", func(p Part) Part {
			p.Component, p.DRAMVendor, p.DRAMVendorParent = "dram", "micron", "micron"
			return p
		}, []string{"micron-any/dram", "micron-dram-only/dram"}},
		{"unknown component matches nothing", func(p Part) Part {
			p.Component, p.Vendor, p.VendorParent = "gpu", "micron", "micron"
			return p
		}, []string{"/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := p.Evaluate(tc.part(base), day(t, "2024-06-01"), EvalOptions{})
			var ids []string
			for _, f := range got {
				ids = append(ids, f.RuleID+"/"+f.Component)
				if f.RuleID == "" {
					ids[len(ids)-1] = "/"
					if f.Status != StatusAllowed {
						t.Errorf("unmatched part: status %s, want allowed", f.Status)
					}
				}
			}
			if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
				t.Errorf("findings %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestEvaluateAllowDoesNotCancelRestriction(t *testing.T) {
	p := mustParse(t, `
rules:
  - id: approved
    title: Micron approved
    match: {vendors: [micron]}
    effective: 2020-01-01
    action: allow
  - id: cac-micron
    title: No new Micron in CII
    match: {vendors: [micron]}
    scope: {cii: "true"}
    effective: 2023-05-21
    action: restrict-new
`)
	got := p.Evaluate(micronModule(t), day(t, "2024-06-01"), EvalOptions{})
	if len(got) != 2 || got[0].RuleID != "approved" || got[0].Status != StatusAllowed ||
		got[1].RuleID != "cac-micron" || got[1].Status != StatusViolation {
		t.Fatalf("got %+v, want approved/allowed then cac-micron/violation", got)
	}
	if w := Worst(got); w != StatusViolation {
		t.Errorf("Worst = %s, want violation", w)
	}
}

func TestWorst(t *testing.T) {
	f := func(ss ...Status) []Finding {
		var out []Finding
		for _, s := range ss {
			out = append(out, Finding{Status: s})
		}
		return out
	}
	tests := []struct {
		in   []Finding
		want Status
	}{
		{nil, ""},
		{f(StatusAllowed), StatusAllowed},
		{f(StatusAllowed, StatusRemoved), StatusRemoved},
		{f(StatusRemoved, StatusRecorded), StatusRecorded},
		{f(StatusRecorded, StatusWaived, StatusAllowed), StatusWaived},
		{f(StatusWaived, StatusViolation, StatusRecorded), StatusViolation},
	}
	for _, tc := range tests {
		if got := Worst(tc.in); got != tc.want {
			t.Errorf("Worst(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSummary(t *testing.T) {
	pol := mustParse(t, waiverPolicy)
	asOf := day(t, "2024-06-01")
	var s Summary
	parts := []Part{
		micronModule(t), // h1: waived
		func() Part { p := micronModule(t); p.HostID = "h2"; return p }(),                                                          // violation
		func() Part { p := micronModule(t); p.HostID = "h2"; p.FirstSeen = day(t, "2020-01-01"); return p }(),                      // recorded
		func() Part { p := micronModule(t); p.HostID = "h2"; p.RemovedAt = day(t, "2024-02-01"); return p }(),                      // removed
		{HostID: "h2", Component: ComponentStorage, Vendor: "kingston", VendorParent: "kingston", FirstSeen: day(t, "2024-01-01")}, // allowed
		func() Part { p := micronModule(t); p.FirstSeen = day(t, "2025-01-01"); return p }(),                                       // not yet installed
	}
	for _, p := range parts {
		s.Add(pol.Evaluate(p, asOf, EvalOptions{}))
	}
	wantParts := Counts{StatusWaived: 1, StatusViolation: 1, StatusRecorded: 1, StatusRemoved: 1, StatusAllowed: 1}
	if len(s.Parts) != len(wantParts) {
		t.Errorf("Parts = %v, want %v", s.Parts, wantParts)
	}
	for k, v := range wantParts {
		if s.Parts[k] != v {
			t.Errorf("Parts[%s] = %d, want %d", k, s.Parts[k], v)
		}
	}
	if got := s.ByRule["cac-micron"][StatusViolation]; got != 1 {
		t.Errorf("ByRule[cac-micron][violation] = %d, want 1", got)
	}
	if got := s.ByRule[""][StatusAllowed]; got != 1 {
		t.Errorf("ByRule[\"\"][allowed] = %d, want 1", got)
	}
	if s.Violations() != 1 {
		t.Errorf("Violations() = %d, want 1", s.Violations())
	}
}

func TestRuleIDs(t *testing.T) {
	pol := mustParse(t, waiverPolicy)
	if got := strings.Join(pol.RuleIDs(), ","); got != "cac-micron,other" {
		t.Errorf("RuleIDs = %s", got)
	}
	if r, ok := pol.Rule("other"); !ok || r.Title != "Another rule" {
		t.Errorf("Rule(other) = %+v, %v", r, ok)
	}
	if _, ok := pol.Rule("nope"); ok {
		t.Error("Rule(nope) found")
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		part Part
		comp string
		want string
	}{
		{"module", Part{Vendor: "crucial", PartNumber: " CT16G4DFRA32A.M16FF ", Serial: "E1", Slot: "DIMM_A1"}, ComponentModule,
			"Crucial module CT16G4DFRA32A.M16FF serial E1 in slot DIMM_A1"},
		{"DRAM maker", Part{Vendor: "kingston", DRAMVendor: "micron", PartNumber: "KSM32RD4/32MEI"}, ComponentDRAM,
			"Kingston Technology module KSM32RD4/32MEI with Micron Technology DRAM"},
		{"unidentified module maker", Part{PartNumber: "M393A4K40DB3-CWE", Slot: "A1"}, ComponentModule,
			"module M393A4K40DB3-CWE (maker unidentified) in slot A1"},
		{"unidentified DRAM maker", Part{Vendor: "kingston", PartNumber: "X"}, ComponentDRAM,
			"Kingston Technology module X with DRAM of unidentified maker"},
		{"drive", Part{Vendor: "ymtc", Model: "ZHITAI TiPro7000", Serial: "S1", Slot: "nvme0n1"}, ComponentStorage,
			"YMTC drive ZHITAI TiPro7000 serial S1 at nvme0n1"},
		{"bare drive", Part{}, ComponentStorage, "drive (maker unidentified)"},
	}
	for _, tc := range tests {
		if got := describe(tc.part, tc.comp); got != tc.want {
			t.Errorf("%s: describe = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestDocsCACWorkedExample checks the table of the CAC worked example in
// docs/policy.md.
func TestDocsCACWorkedExample(t *testing.T) {
	pol := mustParse(t, `
rules:
  - id: cac-2023-micron
    title: CAC
    match:
      vendors: [micron]
      components: [module, dram, storage]
    scope:
      cii: "true"
    effective: 2023-05-21T00:00:00+08:00
    action: restrict-new
`)
	host := func(p Part) Part {
		p.HostID, p.HostLabels = "cii-host", map[string]string{"cii": "true"}
		return p
	}
	tests := []struct {
		name      string
		part      Part
		want      Status
		component string
	}{
		{"Micron before the ruling", host(Part{Component: "module", Vendor: "micron", VendorParent: "micron",
			PartNumber: "36ASF8G72PZ-3G2E1", Slot: "A1", FirstSeen: day(t, "2022-09-14")}), StatusRecorded, "module"},
		{"Crucial in the first inventory", host(Part{Component: "module", Vendor: "crucial", VendorParent: "micron",
			PartNumber: "CT32G4RFD432A", Slot: "A2", FirstSeen: day(t, "2024-01-10"), InBaseline: true}), StatusRecorded, "module"},
		{"Kingston with Micron dies added later", host(Part{Component: "module", Vendor: "kingston", VendorParent: "kingston",
			DRAMVendor: "micron", DRAMVendorParent: "micron", PartNumber: "KSM32RD4/32MEI", Slot: "B2", FirstSeen: day(t, "2024-03-02")}), StatusViolation, "dram"},
		{"Micron moved in", host(Part{Component: "module", Vendor: "micron", VendorParent: "micron",
			Slot: "B3", FirstSeen: day(t, "2024-04-20")}), StatusViolation, "module"},
		{"Micron SSD removed", host(Part{Component: "storage", Vendor: "micron", VendorParent: "micron",
			Model: "Micron_7450_MTFDKCC1T9TFR", FirstSeen: day(t, "2021-05-03"), RemovedAt: day(t, "2024-02-01")}), StatusRemoved, "storage"},
		{"Samsung", host(Part{Component: "module", Vendor: "samsung", VendorParent: "samsung",
			PartNumber: "M393A4K40DB3-CWE", FirstSeen: day(t, "2024-03-02")}), StatusAllowed, "module"},
	}
	for _, tc := range tests {
		got := pol.Evaluate(tc.part, day(t, "2024-06-01"), EvalOptions{})
		if len(got) != 1 || got[0].Status != tc.want || got[0].Component != tc.component {
			t.Errorf("%s: got %+v, want one %s finding on %s", tc.name, got, tc.want, tc.component)
		}
	}
}

// A maker slug the catalogue renamed (wilkelektroniksa -> goodram) is
// accepted in policy files, and rules and stored parts match across the
// rename both ways.
func TestEvaluateFormerSlugs(t *testing.T) {
	p := mustParse(t, `
rules:
  - id: goodram-new
    title: Goodram by its current slug
    match: {vendors: [goodram]}
    effective: 2023-05-21
    action: deny
  - id: wilk-old
    title: Goodram by its former slug
    match: {vendors: [wilkelektroniksa]}
    effective: 2023-05-21
    action: deny
`)
	if got := p.Rules[1].Match.Vendors; len(got) != 1 || got[0] != "goodram" {
		t.Errorf("former slug in a policy file resolves to %v, want [goodram]", got)
	}
	for _, stored := range []string{"wilkelektroniksa", "goodram"} {
		part := Part{HostID: "h", FirstSeen: day(t, "2024-01-01"), Component: "module", Vendor: stored, VendorParent: stored, PartNumber: "GR3200D464L22/16G"}
		var ids []string
		for _, f := range p.Evaluate(part, day(t, "2024-06-01"), EvalOptions{}) {
			ids = append(ids, f.RuleID)
		}
		if strings.Join(ids, " ") != "goodram-new wilk-old" {
			t.Errorf("part stored as %s: findings %v, want both rules", stored, ids)
		}
	}
}
