package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// churnPolicy has a restrict-new rule in force from day 10, a deny rule
// from day 30, a host waiver and a serial waiver that expire on days 22
// and 26: reports on days 1-40 cross every kind of instant.
const churnPolicy = `
version: 1
rules:
  - id: cii-micron
    title: "No new Micron in critical infrastructure"
    match: {vendors: [micron]}
    scope: {cii: "true"}
    effective: 2025-03-11
    action: restrict-new
  - id: samsung-drives
    title: "No Samsung drives"
    match: {vendors: [samsung], components: [storage]}
    effective: 2025-03-31
    action: deny
waivers:
  - rule: cii-micron
    host: h-03
    reason: "lab"
    expires: 2025-03-23
  - rule: samsung-drives
    host: h-05
    serial: SD-05-1
    reason: "RMA"
    expires: 2025-03-27
`

// churnFleet sends random reports to a small fleet: parts arrive, leave,
// move between hosts and come back, labels change (in reports and by
// "label"), hosts enrol late.
type churnFleet struct {
	rng   *rand.Rand
	st    store.Store
	seq   map[string]uint64
	parts map[string][]string // host -> part names it carries
}

var churnMakers = []*memledgerv1.Vendor{fx.Micron, fx.Samsung, fx.Kingston, fx.Crucial, fx.Hynix}

func (f *churnFleet) inventory(host string) *memledgerv1.Inventory {
	var mods []*memledgerv1.MemoryModule
	var drives []*memledgerv1.StorageDevice
	for i, name := range f.parts[host] {
		var n int
		fmt.Sscanf(name[1:], "%d", &n)
		maker := churnMakers[n%len(churnMakers)]
		if name[0] == 'd' {
			drives = append(drives, fx.Drive(fmt.Sprintf("nvme%dn1", i), maker, fmt.Sprintf("MODEL-%d", n%3), name, "FW1"))
			continue
		}
		m := fx.DIMM(fmt.Sprintf("A%d", i), maker, fmt.Sprintf("PN-%d", n%4), name)
		if maker == fx.Kingston {
			m.DramVendor = fx.Micron
		}
		mods = append(mods, m)
	}
	inv := fx.Inventory(host, mods, drives)
	labels := map[string]string{}
	switch f.rng.IntN(4) {
	case 0:
		labels["cii"] = "true"
	case 1:
		labels["cii"] = "false"
	case 2:
		labels["cii"] = ""
	}
	if f.rng.IntN(2) == 0 {
		labels["env"] = []string{"prod", "staging"}[f.rng.IntN(2)]
	}
	inv.Host.Labels = labels
	return inv
}

// round sends one report for each of n random hosts at day, and now and
// then relabels one with SetLabels.
func (f *churnFleet) round(t *testing.T, n int, at time.Time) []string {
	t.Helper()
	var reps []store.Report
	var hosts []string
	picked := map[string]bool{}
	for range n {
		host := fmt.Sprintf("h-%02d", f.rng.IntN(12))
		if picked[host] {
			continue
		}
		picked[host] = true
		ps := f.parts[host]
		switch f.rng.IntN(5) {
		case 0: // a part leaves
			if len(ps) > 0 {
				i := f.rng.IntN(len(ps))
				ps = append(ps[:i:i], ps[i+1:]...)
			}
		case 1, 2: // a part arrives: new, or one another host carries or carried
			name := fmt.Sprintf("%c%d", "md"[f.rng.IntN(2)], f.rng.IntN(60))
			if name == "d1" && host == "h-05" {
				name = "SD-05-1" // the waived serial
			}
			ps = append(ps, name)
		}
		f.parts[host] = ps
		f.seq[host]++
		inv := f.inventory(host)
		// Now and then a host's memory or drives go unread (the report
		// lists the host; its parts stay as last read), then are read.
		switch f.seq[host] % 7 {
		case 2:
			inv.Incomplete = []string{"memory"}
		case 3:
			inv.Incomplete = []string{"memory", "storage"}
		}
		reps = append(reps, fx.Full(inv, f.seq[host], at))
		hosts = append(hosts, host)
	}
	rt.Apply(t, f.st, reps...)
	if f.rng.IntN(3) == 0 {
		host := hosts[0]
		if err := f.st.SetLabels(context.Background(), host, map[string]string{"cii": "true"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return hosts
}

func reportJSON(t *testing.T, rep *Report) string {
	t.Helper()
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLiveReportEqualsRecomputation churns a fleet at random and compares
// the report of the live aggregates with Build's full recomputation after
// every round, at the current time and before the last commits, with
// every group_by and rule selection, on both drivers.
func TestLiveReportEqualsRecomputation(t *testing.T) {
	for name, open := range rt.OpenStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			pol := rt.MustPolicy(t, churnPolicy)
			var now time.Time
			tr := NewTracker(st, func() *policy.Policy { return pol }, TrackerOptions{Now: func() time.Time { return now }})
			f := &churnFleet{rng: rand.New(rand.NewPCG(20, 3)), st: st, seq: map[string]uint64{}, parts: map[string][]string{}}
			live, fellBack, withUnread := 0, 0, 0
			for day := 1; day <= 40; day++ {
				// Two rounds a day, a minute apart.
				for r := range 2 {
					at := fx.At(day).Add(time.Duration(r) * time.Minute)
					now = at.Add(time.Second)
					hosts := f.round(t, 4, at)
					switch {
					case day == 1 && r == 0:
						if _, err := tr.Evaluate(ctx, nil); err != nil {
							t.Fatal(err)
						}
					case r == 0:
						tr.Notify(hosts...) // the collector's own commits
					}
					// Otherwise (and for SetLabels) Sync finds the hosts
					// by following the ledger's events.
					if err := tr.Sync(ctx); err != nil {
						t.Fatal(err)
					}
					if take, full := tr.take(); full {
						// An epoch passed: Run would evaluate the fleet.
						if _, err := tr.Evaluate(ctx, nil); err != nil {
							t.Fatal(err)
						}
					} else {
						tr.requeue(take, false)
					}
					// Now; just before the last commit (its hosts are judged
					// again); before the aggregates' recent window (the
					// fleet is walked for such hosts).
					for _, asOf := range []time.Time{now, at.Add(-time.Microsecond), at.Add(-recentKeep - time.Minute)} {
						for _, opts := range []Options{{}, {GroupBy: "cii"}, {GroupBy: "env"}, {Rules: []string{"samsung-drives"}}} {
							opts.AsOf, opts.Now = asOf, rt.FixedNow(now)
							want, err := Build(ctx, st, pol, opts)
							if err != nil {
								t.Fatal(err)
							}
							got := newReport(pol, opts)
							ok, err := tr.agg.report(ctx, st, pol, got, opts)
							if err != nil {
								t.Fatal(err)
							}
							if !ok {
								fellBack++
								continue
							}
							live++
							got.SerialClashes = want.SerialClashes // read alike from the events
							got.UnreadHosts = want.UnreadHosts     // and the hosts
							if len(want.UnreadHosts) > 0 {
								withUnread++
							}
							if g, w := reportJSON(t, got), reportJSON(t, want); g != w {
								t.Fatalf("day %d round %d, as of %s, %+v: live report differs from recomputation:\nlive:\n%s\nrecomputed:\n%s", day, r, asOf, opts, g, w)
							}
							// Through the public entry point too.
							pub, err := tr.Report(ctx, opts)
							if err != nil {
								t.Fatal(err)
							}
							if g, w := reportJSON(t, pub), reportJSON(t, want); g != w {
								t.Fatalf("day %d round %d: Tracker.Report differs from Build:\n%s\n%s", day, r, g, w)
							}
						}
					}
				}
			}
			// Reports before the last commit re-judge a few hosts; a report
			// falls back only right after an epoch passed.
			if live < 800 {
				t.Errorf("the aggregates answered %d reports (fell back %d times), want most of 960", live, fellBack)
			}
			if withUnread < live/4 {
				t.Errorf("%d of %d reports name unread hosts, want the churn to leave some in many", withUnread, live)
			}
			t.Logf("%d reports from the aggregates, %d from the ledger, %d with unread hosts", live, fellBack, withUnread)
		})
	}
}

// TestLiveReportGroupByUnknown: a group_by no host carries is ErrInvalid
// with the close matches, as Build's callers check it.
func TestLiveReportGroupByUnknown(t *testing.T) {
	ctx := context.Background()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	pol := rt.MustPolicy(t, rt.Policy)
	tr := NewTracker(st, func() *policy.Policy { return pol }, TrackerOptions{Now: rt.FixedNow(fx.At(21))})
	if _, err := tr.Evaluate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err := tr.Report(ctx, Options{GroupBy: "ciii", Now: rt.FixedNow(fx.At(21))})
	if err == nil || !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "did you mean cii") {
		t.Fatalf("err = %v, want ErrInvalid naming cii", err)
	}
}

// TestLiveReportDuringFullEvaluation: while a whole-fleet evaluation runs
// (and holds the evaluation lock), a report does not wait for it, nor
// answer from aggregates that lack the latest commit: it is Build's.
func TestLiveReportDuringFullEvaluation(t *testing.T) {
	ctx := context.Background()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 15)
	pol := rt.MustPolicy(t, rt.Policy)
	now := fx.At(16)
	tr := NewTracker(st, func() *policy.Policy { return pol }, TrackerOptions{Now: func() time.Time { return now }})
	if _, err := tr.Evaluate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// Day 20 of the test fleet: db-17's Micron DIMM leaves.
	samA2 := fx.DIMM("A2", fx.Samsung, "M393A4K40DB3-CWE", "SAM-A2")
	drive0 := fx.Drive("nvme0n1", fx.Samsung, "SAMSUNG MZQL2960HCJR-00A07", "SAMDRV0", "GDC5602Q")
	rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory("db-17", []*memledgerv1.MemoryModule{samA2},
		[]*memledgerv1.StorageDevice{drive0, rt.Day12Drive}), map[string]string{"cii": "true", "env": "prod"}), 3, fx.At(20)))
	now = fx.At(21)
	tr.Notify("db-17")
	// What a running whole-fleet evaluation holds.
	tr.evalMu.Lock()
	defer tr.evalMu.Unlock()
	tr.fullRunning.Store(true)
	opts := Options{Now: rt.FixedNow(now)}
	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := tr.Report(ctx, opts)
		done <- result{rep, err}
	}()
	var got *Report
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		got = r.rep
	case <-time.After(time.Minute): // a deadlock guard, not a timing
		t.Fatal("Report waited for the whole-fleet evaluation")
	}
	want, err := Build(ctx, st, pol, opts)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := reportJSON(t, got), reportJSON(t, want); g != w {
		t.Fatalf("report during a full evaluation:\n%s\nwant Build's:\n%s", g, w)
	}
	if got.Rules[0].Counts.Removed != 1 {
		t.Fatalf("counts %+v: want the removal committed after the last evaluation", got.Rules[0].Counts)
	}
}
