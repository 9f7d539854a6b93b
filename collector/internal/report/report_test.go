package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"reflect"
	"strings"
	"testing"
	"time"

	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestBuildAsOf(t *testing.T) {
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	pol := rt.MustPolicy(t, rt.Policy)
	withWaiver := rt.MustPolicy(t, rt.Policy+rt.Waiver)
	tests := []struct {
		name       string
		asOf       time.Time
		waiver     bool
		hosts      int
		parts      int
		want       Counts
		exposed    int
		violations []string // serials
	}{
		{name: "before any report", asOf: fx.At(1), want: Counts{}},
		{name: "rule not in force yet", asOf: fx.At(5), hosts: 3, parts: 5, want: Counts{Recorded: 2}, exposed: 2},
		{name: "in force, baseline grandfathered", asOf: fx.At(11), hosts: 3, parts: 5, want: Counts{Recorded: 2}, exposed: 2},
		{name: "new Micron SSD", asOf: fx.At(13), hosts: 3, parts: 6, want: Counts{Violation: 1, Recorded: 2}, exposed: 2, violations: []string{"MICSSD01"}},
		{name: "Micron DIMM removed", asOf: fx.At(25), hosts: 3, parts: 6, want: Counts{Violation: 1, Recorded: 1, Removed: 1}, exposed: 2, violations: []string{"MICSSD01"}},
		{name: "waived", asOf: fx.At(25), waiver: true, hosts: 3, parts: 6, want: Counts{Waived: 1, Recorded: 1, Removed: 1}, exposed: 2},
		{name: "waiver expired", asOf: fx.At(40), waiver: true, hosts: 3, parts: 6, want: Counts{Violation: 1, Recorded: 1, Removed: 1}, exposed: 2, violations: []string{"MICSSD01"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := pol
			if tc.waiver {
				p = withWaiver
			}
			rep, err := Build(context.Background(), st, p, Options{AsOf: tc.asOf, Now: rt.FixedNow(fx.At(50))})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Totals.Hosts != tc.hosts || rep.Totals.Parts != tc.parts {
				t.Errorf("totals %+v, want %d hosts %d parts", rep.Totals, tc.hosts, tc.parts)
			}
			if len(rep.Rules) != 1 {
				t.Fatalf("%d rules, want 1", len(rep.Rules))
			}
			r := rep.Rules[0]
			if r.Counts != tc.want {
				t.Errorf("counts %+v, want %+v", r.Counts, tc.want)
			}
			if r.HostsExposed != tc.exposed {
				t.Errorf("hosts exposed %d, want %d", r.HostsExposed, tc.exposed)
			}
			var got []string
			for _, v := range rep.Violations {
				got = append(got, v.Serial)
			}
			if !reflect.DeepEqual(got, tc.violations) {
				t.Errorf("violations %v, want %v", got, tc.violations)
			}
		})
	}
}

func TestBuildDetails(t *testing.T) {
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	rep, err := Build(context.Background(), st, rt.MustPolicy(t, rt.Policy), Options{AsOf: fx.At(25), GroupBy: "env", Now: rt.FixedNow(fx.At(50))})
	if err != nil {
		t.Fatal(err)
	}
	wantTotals := Totals{Hosts: 3, HostsWithViolations: 1, Parts: 6, Memory: 4, Drives: 2,
		ByStatus: Counts{Violation: 1, Recorded: 1, Removed: 1, Allowed: 4}}
	if rep.Totals != wantTotals {
		t.Errorf("totals %+v\nwant   %+v", rep.Totals, wantTotals)
	}
	r := rep.Rules[0]
	if r.HostsInViolation != 1 {
		t.Errorf("hosts in violation %d, want 1", r.HostsInViolation)
	}
	checkGroups := func(name string, got []Group, want map[string]Counts) {
		t.Helper()
		m := map[string]Counts{}
		for _, g := range got {
			m[g.Key] = g.Counts
		}
		if !reflect.DeepEqual(m, want) {
			t.Errorf("%s: %v, want %v", name, m, want)
		}
	}
	checkGroups("by vendor", r.ByVendor, map[string]Counts{"micron": {Violation: 1, Recorded: 1, Removed: 1}})
	checkGroups("by component", r.ByComponent, map[string]Counts{
		"storage": {Violation: 1}, "dram": {Recorded: 1}, "module": {Removed: 1}})
	checkGroups("by env", r.ByGroup, map[string]Counts{"prod": {Violation: 1, Removed: 1}, "staging": {Recorded: 1}})
	wantExp := []Point{
		{Date: "2025-03-04", Counts: Counts{Recorded: 2}},
		{Date: "2025-03-13", Counts: Counts{Violation: 1, Recorded: 2}},
		{Date: "2025-03-21", Counts: Counts{Violation: 1, Recorded: 1, Removed: 1}},
	}
	if !reflect.DeepEqual(r.Exposure, wantExp) {
		t.Errorf("exposure %+v\nwant     %+v", r.Exposure, wantExp)
	}
	v := rep.Violations[0]
	if v.HostID != "db-17" || v.Slot != "nvme1n1" || v.PartNumber != "MTFDKCC960TFR" || v.Vendor != "micron" ||
		v.Component != "storage" || !v.FirstSeen.Equal(fx.At(12)) || !strings.Contains(v.Reason, "new Micron") {
		t.Errorf("violation %+v", v)
	}
}

func TestBuildRuleSelectionAndNoPolicy(t *testing.T) {
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 12)
	ctx := context.Background()
	if _, err := Build(ctx, st, rt.MustPolicy(t, rt.Policy), Options{Rules: []string{"nope"}}); err == nil ||
		!strings.Contains(err.Error(), `unknown rule "nope"`) || !strings.Contains(err.Error(), "cii-micron") ||
		strings.Count(err.Error(), "unknown rule") != 1 {
		t.Errorf("unknown rule: err %v", err)
	}
	two := rt.MustPolicy(t, rt.Policy+`
  - id: deny-samsung-drives
    title: "no Samsung drives"
    match: {vendors: [samsung], components: [storage]}
    effective: 2025-01-01
    action: deny
`)
	rep, err := Build(ctx, st, two, Options{Rules: []string{"deny-samsung-drives"}, AsOf: fx.At(13)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rules) != 1 || rep.Rules[0].ID != "deny-samsung-drives" || rep.Rules[0].Counts != (Counts{Violation: 1}) {
		t.Errorf("selected rules %+v", rep.Rules)
	}
	if len(rep.Violations) != 1 || rep.Violations[0].Serial != "SAMDRV0" {
		t.Errorf("violations of the selected rule only: %+v", rep.Violations)
	}
	// Totals judge every rule: both violations count.
	if rep.Totals.ByStatus.Violation != 2 {
		t.Errorf("fleet violations %d, want 2", rep.Totals.ByStatus.Violation)
	}
	rep, err = Build(ctx, st, nil, Options{AsOf: fx.At(13)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Policy != "" || len(rep.Rules) != 0 || rep.Totals.Parts != 6 || rep.Totals.ByStatus.Allowed != 6 {
		t.Errorf("no policy: %+v", rep)
	}
}

func TestRenderers(t *testing.T) {
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	rep, err := Build(context.Background(), st, rt.MustPolicy(t, rt.Policy), Options{AsOf: fx.At(25), GroupBy: "env", Now: rt.FixedNow(fx.At(50))})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format     string
		violations bool
		check      func(t *testing.T, out string)
	}{
		{"json", false, func(t *testing.T, out string) {
			var back Report
			if err := json.Unmarshal([]byte(out), &back); err != nil {
				t.Fatal(err)
			}
			if back.Rules[0].Counts != rep.Rules[0].Counts || len(back.Violations) != 1 {
				t.Errorf("round trip: %+v", back)
			}
		}},
		{"csv", false, func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"cii-micron", "rule", "", "2", "1", "0", "1", "1", "0"}
			if !reflect.DeepEqual(rows[2], want) {
				t.Errorf("rule row %q, want %q", rows[2], want)
			}
		}},
		{"csv", true, func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || rows[1][1] != "db-17" || rows[1][8] != "MICSSD01" || rows[1][9] != "2025-03-13T08:00:00Z" {
				t.Errorf("violation rows %q", rows)
			}
		}},
		{"table", false, func(t *testing.T, out string) {
			for _, want := range []string{"3 hosts (1 with violations)", "Rule cii-micron", "hosts exposed 2", "MICSSD01", "staging"} {
				if !strings.Contains(out, want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
		}},
		{"html", false, func(t *testing.T, out string) {
			// Both charts are drawn on the server: the SVG is in the file,
			// with the rule's counts, and there is no script to strip.
			for _, want := range []string{`<svg class="chart-bars"`, `<svg class="chart-exposure"`,
				`<rect class="bar violation" data-status="violation" data-count="1"`,
				`<path class="line-violation" data-status="violation" data-last="1" d="M`,
				`data-rule="cii-micron"`, "<td>MICSSD01</td>"} {
				if !strings.Contains(out, want) {
					t.Errorf("html lacks %q", want)
				}
			}
			if strings.Contains(out, "<script") {
				t.Errorf("html carries a script")
			}
			if strings.Contains(strings.ReplaceAll(out, `"http://www.w3.org/2000/svg"`, ""), "http://") || strings.Contains(out, "<link") || strings.Contains(out, "src=") {
				t.Errorf("html references external assets")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, rep, tc.format, tc.violations); err != nil {
				t.Fatal(err)
			}
			tc.check(t, buf.String())
		})
	}
	if err := Write(&bytes.Buffer{}, rep, "pdf", false); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestHTMLEscapesHostileValues(t *testing.T) {
	rep := &Report{Rules: []Rule{}, Violations: []Violation{{RuleID: "r", HostID: "</script><script>alert(1)</script>", Serial: "<b>x"}}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script>alert(1)") || strings.Contains(buf.String(), "<b>x") {
		t.Errorf("hostile value not escaped:\n%s", buf.String())
	}
}

// The table writes what agents sent (host ids, slots, part identities)
// with control characters made visible, serial clashes included.
func TestTableEscapesTerminalControls(t *testing.T) {
	esc := "\x1b]0;owned\x07\x1b[2J"
	rep := &Report{Rules: []Rule{},
		Violations:    []Violation{{RuleID: "r", HostID: "h" + esc, Slot: esc, Serial: esc}},
		SerialClashes: []SerialClash{{HostID: "a" + esc, Slot: esc, OtherHostID: "b" + esc, OtherSlot: esc, Identity: "memory|" + esc}}}
	for _, violations := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, rep, "table", violations); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(buf.String(), "\x1b\x07") {
			t.Errorf("violations=%v: terminal control reached the table:\n%q", violations, buf.String())
		}
	}
}

func TestOrderCode(t *testing.T) {
	in := []time.Time{fx.At(10), fx.At(20)}
	tests := []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, -2},
		{fx.At(5), -1},
		{fx.At(10), 0},
		{fx.At(15), 1},
		{fx.At(20), 2},
		{fx.At(25), 3},
	}
	for _, tc := range tests {
		if got := orderCode(in, tc.t); got != tc.want {
			t.Errorf("orderCode(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
}

// TestVerdictsSharedAcrossHosts: hosts enrolled the same day share
// verdicts, yet each host's violations keep their own serial and reason.
func TestVerdictsSharedAcrossHosts(t *testing.T) {
	st := rt.OpenStore(t)
	cii := map[string]string{"cii": "true"}
	for i, host := range []string{"h1", "h2", "h3"} {
		mods := []*memledgerv1.MemoryModule{fx.DIMM("A1", fx.Micron, "36ASF8G72PZ-2G3B1", "BASE-"+host)}
		rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory(host, mods, nil), cii), 1, fx.At(3).Add(time.Duration(i)*time.Hour)))
		mods = append(mods, fx.DIMM("A2", fx.Micron, "36ASF8G72PZ-2G3B1", "NEW-"+host))
		rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory(host, mods, nil), cii), 2, fx.At(12).Add(time.Duration(i)*time.Hour)))
	}
	rep, err := Build(context.Background(), st, rt.MustPolicy(t, rt.Policy), Options{AsOf: fx.At(30)})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Rules[0].Counts; c != (Counts{Violation: 3, Recorded: 3}) {
		t.Errorf("counts %+v", c)
	}
	for i, v := range rep.Violations {
		host := []string{"h1", "h2", "h3"}[i]
		if v.HostID != host || v.Serial != "NEW-"+host || !strings.Contains(v.Reason, "serial NEW-"+host) {
			t.Errorf("violation %d: %+v", i, v)
		}
	}
	if n := len(rep.Rules[0].Exposure); n != 2 {
		t.Errorf("exposure %+v, want the two days", rep.Rules[0].Exposure)
	}
}

// A host that reports another host's Micron SSD (same maker, model and
// serial, copied from a support snapshot) does not take it: the victim,
// whose later heartbeats carry its unchanged digest, keeps the part and its
// violation, and the report lists the clash naming both hosts.
func TestHijackedPartKeepsItsViolation(t *testing.T) {
	ctx := context.Background()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	pol := rt.MustPolicy(t, rt.Policy)
	opts := Options{AsOf: fx.At(25), Now: rt.FixedNow(fx.At(50))}
	before, err := Build(ctx, st, pol, opts)
	if err != nil {
		t.Fatal(err)
	}
	victim, err := st.Host(ctx, "db-17")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		copyInv := rt.WithLabels(fx.Inventory("intruder", nil, []*memledgerv1.StorageDevice{rt.Day12Drive}), map[string]string{"cii": "true"})
		copyInv.Host.Kernel = fmt.Sprintf("6.1.0-%d-amd64", i)
		rt.Apply(t, st, fx.Full(copyInv, uint64(i+1), fx.At(21+i)))
		rt.Apply(t, st, fx.Heartbeat("db-17", uint64(4+i), fx.At(21+i).Add(time.Hour), victim.InventoryDigest))
	}
	after, err := Build(ctx, st, pol, opts)
	if err != nil {
		t.Fatal(err)
	}
	var victimBefore, victimAfter []Violation
	for _, v := range before.Violations {
		if v.HostID == "db-17" {
			victimBefore = append(victimBefore, v)
		}
	}
	for _, v := range after.Violations {
		if v.HostID == "db-17" {
			victimAfter = append(victimAfter, v)
		}
	}
	if len(victimBefore) != 1 || !reflect.DeepEqual(victimAfter, victimBefore) {
		t.Errorf("victim's violations before %+v, after %+v", victimBefore, victimAfter)
	}
	if len(after.SerialClashes) != 1 {
		t.Fatalf("serial clashes %+v, want 1", after.SerialClashes)
	}
	if c := after.SerialClashes[0]; c.HostID != "intruder" || c.OtherHostID != "db-17" || !strings.Contains(c.Identity, "MICSSD01") {
		t.Errorf("clash %+v", c)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "Serial clashes (1)") || !strings.Contains(table.String(), "intruder") {
		t.Errorf("table shows no clash:\n%s", table.String())
	}
}

// TestCSVIsFormulaSafe: a serial or host name an agent sent that starts
// with a formula trigger reaches the CSV escaped (internal/csvsafe).
func TestCSVIsFormulaSafe(t *testing.T) {
	rep := &Report{Violations: []Violation{{RuleID: "r", HostID: "=HYPERLINK(\"http://x\")", Serial: "@SUM(1)", PartNumber: "-1+2"}}}
	var buf bytes.Buffer
	if err := WriteViolationsCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[1]; got[1] != `'=HYPERLINK("http://x")` || got[7] != "'-1+2" || got[8] != "'@SUM(1)" {
		t.Errorf("violation row %q not escaped", got)
	}
}

// TestUnreadHosts: the report names the hosts whose memory or drives are
// unread now, by host id, with since when, whatever AsOf; the table and
// the HTML say so, and a host read again leaves the list.
func TestUnreadHosts(t *testing.T) {
	ctx := context.Background()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	web := fx.Inventory("web-1", nil, nil)
	web.Incomplete = []string{"memory", "storage"}
	db := fx.Inventory("db-18", nil, nil)
	db.Incomplete = []string{"storage"}
	rt.Apply(t, st, fx.Full(web, 3, fx.At(21)), fx.Full(db, 2, fx.At(22)))
	rep, err := Build(ctx, st, rt.MustPolicy(t, rt.Policy), Options{AsOf: fx.At(10), Now: rt.FixedNow(fx.At(50))})
	if err != nil {
		t.Fatal(err)
	}
	day21, day22 := fx.At(21).UTC(), fx.At(22).UTC()
	want := []UnreadHost{
		{HostID: "db-18", Hostname: "db-18.example.net", StorageUnreadSince: &day22},
		{HostID: "web-1", Hostname: "web-1.example.net", MemoryUnreadSince: &day21, StorageUnreadSince: &day21},
	}
	if g, w := fmt.Sprintf("%+v", deref(rep.UnreadHosts)), fmt.Sprintf("%+v", deref(want)); g != w {
		t.Errorf("unread hosts %s, want %s", g, w)
	}
	var table, html bytes.Buffer
	if err := WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Hosts not read completely (2): their parts are counted as last read",
		"drives since " + day22.Format("2006-01-02 15:04"),
		"memory since " + day21.Format("2006-01-02 15:04") + ", drives since " + day21.Format("2006-01-02 15:04")} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(html.String(), `<table id="unread-hosts">`) || !strings.Contains(html.String(), "<td>db-18</td>") {
		t.Errorf("html lacks the unread hosts:\n%s", html.String())
	}

	rt.Apply(t, st, fx.Full(fx.Inventory("db-18", nil, nil), 3, fx.At(23)))
	rep, err = Build(ctx, st, nil, Options{Now: rt.FixedNow(fx.At(50))})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.UnreadHosts) != 1 || rep.UnreadHosts[0].HostID != "web-1" {
		t.Errorf("after db-18 is read again: unread hosts %+v, want web-1 only", deref(rep.UnreadHosts))
	}
}

// deref shows the times of unread hosts, not their pointers.
func deref(us []UnreadHost) []string {
	var out []string
	for _, u := range us {
		out = append(out, fmt.Sprintf("%s %q memory %s storage %s", u.HostID, u.Hostname, fmtMinute(u.MemoryUnreadSince), fmtMinute(u.StorageUnreadSince)))
	}
	return out
}
