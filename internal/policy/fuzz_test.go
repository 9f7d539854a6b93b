package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, every
// error must be a *ParseError naming the file, and a policy it accepts must
// be consistent and evaluable.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fullPolicy, restrictPolicy, strictPolicy, denyPolicy, allowPolicy, waiverPolicy,
		"", "rules: []\n", "- a\n", "rules:\n  - id: [unclosed\n",
		"rules:\n  - &a {id: x, title: y, match: {vendors: [micron]}, effective: 2023-05-21, action: deny}\n  - *a\n",
		"rules:\n  - id: a\n    title: b\n    match: {part_numbers: [\"re:(\"]}\n    effective: 2023-05-21T00:00:00+08:00\n    action: deny\n",
		"waivers:\n  - {rule: a, host: h, reason: r, expires: 2024-01-01}\n",
		"a: &x [*x]\n",
		"---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	asOf := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	parts := []Part{
		{HostID: "h", HostLabels: map[string]string{"cii": "true"}, Component: ComponentModule, Vendor: "kingston", VendorParent: "kingston",
			DRAMVendor: "micron", DRAMVendorParent: "micron", PartNumber: "36ASF8G72PZ", Serial: "s", FirstSeen: asOf.AddDate(-1, 0, 0)},
		{HostID: "h", Component: ComponentStorage, Vendor: "ymtc", VendorParent: "ymtc", Model: "ZHITAI TiPro7000", InBaseline: true},
		{Component: "gpu"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			var errs []error
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			} else {
				errs = []error{err}
			}
			for _, e := range errs {
				var pe *ParseError
				if !errors.As(e, &pe) || !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("error %q (%T) is not a ParseError naming the file", e, e)
				}
			}
			return
		}
		if len(p.Rules) == 0 {
			t.Fatal("accepted a policy without rules")
		}
		ids := map[string]Action{}
		for _, r := range p.Rules {
			if _, dup := ids[r.ID]; dup || r.ID == "" || r.Title == "" || r.Effective.IsZero() || len(r.Match.Components) == 0 {
				t.Fatalf("accepted an invalid rule %+v", r)
			}
			ids[r.ID] = r.Action
		}
		for _, w := range p.Waivers {
			if a, ok := ids[w.RuleID]; !ok || a == ActionAllow || w.HostID == "" || w.Expires.IsZero() {
				t.Fatalf("accepted an invalid waiver %+v", w)
			}
		}
		for _, part := range parts {
			for _, opts := range []EvalOptions{{}, {AssumeNew: true}} {
				fs := p.Evaluate(part, asOf, opts)
				if len(fs) == 0 {
					t.Fatalf("no finding for installed part %+v", part)
				}
				for _, f := range fs {
					if f.Status.rank() == 0 || f.Reason == "" {
						t.Fatalf("bad finding %+v", f)
					}
				}
			}
		}
	})
}
