package report

import (
	"context"
	"encoding/json"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func policyEvents(t *testing.T, st store.Store, after int64) []store.Event {
	t.Helper()
	evs, err := st.Events(context.Background(), store.EventFilter{Kinds: []store.EventKind{store.EventPolicyStatus}, AfterID: after})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func lastID(evs []store.Event, prev int64) int64 {
	if len(evs) == 0 {
		return prev
	}
	return evs[len(evs)-1].ID
}

// TestTrackerTransitions walks the fleet through time and policy changes
// and checks the policy_status events each evaluation records.
func TestTrackerTransitions(t *testing.T) {
	ctx := context.Background()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 3)
	pol := rt.MustPolicy(t, rt.Policy)
	now := fx.At(5)
	tr := NewTracker(st, func() *policy.Policy { return pol }, TrackerOptions{Now: func() time.Time { return now }})
	var after int64
	steps := []struct {
		name  string
		do    func()
		hosts []string // nil: whole fleet
		want  []string // event messages, in order
	}{
		{name: "first evaluation: recorded parts are silent", want: nil},
		{name: "rule comes into force: baseline stays recorded", do: func() { now = fx.At(11) }, want: nil},
		{name: "new Micron SSD after the effective date", do: func() { seedFleet2(t, st, 12); now = fx.At(12) }, hosts: []string{"db-17"},
			want: []string{"violation: new Micron Technology drive MTFDKCC960TFR serial MICSSD01 at nvme1n1 of host db-17.example.net (rule cii-micron)"}},
		{name: "same again: nothing", hosts: []string{"db-17"}, want: nil},
		{name: "waiver added by policy reload", do: func() { pol = rt.MustPolicy(t, rt.Policy+rt.Waiver) },
			want: []string{"waived: new Micron Technology drive MTFDKCC960TFR serial MICSSD01 at nvme1n1 of host db-17.example.net (rule cii-micron)"}},
		{name: "Micron DIMM removed", do: func() { seedFleet2(t, st, 20); now = fx.At(20) }, hosts: []string{"db-17"},
			want: []string{"removed: Micron Technology DIMM 36ASF8G72PZ-2G3B1 serial MIC-A1 in slot " + fx.SlotOf("A1") + " of host db-17.example.net (rule cii-micron)"}},
		{name: "waiver expires", do: func() { now = fx.At(40) },
			want: []string{"violation: new Micron Technology drive MTFDKCC960TFR serial MICSSD01 at nvme1n1 of host db-17.example.net (rule cii-micron)"}},
		{name: "rule dropped from the policy", do: func() { pol = rt.MustPolicy(t, strings.Replace(rt.Policy, "micron]", "cxmt]", 1)) }, want: nil},
		{name: "rule back: violation is new again", do: func() { pol = rt.MustPolicy(t, rt.Policy) },
			want: []string{"violation: new Micron Technology drive MTFDKCC960TFR serial MICSSD01 at nvme1n1 of host db-17.example.net (rule cii-micron)"}},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		n, err := tr.Evaluate(ctx, s.hosts)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		evs := policyEvents(t, st, after)
		after = lastID(evs, after)
		var got []string
		for _, e := range evs {
			got = append(got, e.Message)
			if e.PartID == 0 || e.HostID != "db-17" || !e.Time.Equal(now) {
				t.Errorf("%s: event %+v: want part, host db-17, time %v", s.name, e, now)
			}
		}
		if n != len(got) || strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Errorf("%s: %d events %q\nwant %q", s.name, n, got, s.want)
		}
	}
	// The last event carries machine-readable details.
	evs, _ := st.Events(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventPolicyStatus}, Newest: true, Limit: 1})
	var d map[string]string
	if err := json.Unmarshal(evs[0].Details, &d); err != nil {
		t.Fatal(err)
	}
	if d["rule"] != "cii-micron" || d["status"] != "violation" || d["component"] != "storage" || d["vendor"] != "micron" || d["serial"] != "MICSSD01" {
		t.Errorf("details %v", d)
	}
}

// seedFleet2 applies the later steps of rt.SeedFleet to a ledger that has the
// earlier ones.
func seedFleet2(t *testing.T, st store.Store, day int) {
	t.Helper()
	cii := map[string]string{"cii": "true", "env": "prod"}
	micA1 := fx.DIMM("A1", fx.Micron, "36ASF8G72PZ-2G3B1", "MIC-A1")
	samA2 := fx.DIMM("A2", fx.Samsung, "M393A4K40DB3-CWE", "SAM-A2")
	drive0 := fx.Drive("nvme0n1", fx.Samsung, "SAMSUNG MZQL2960HCJR-00A07", "SAMDRV0", "GDC5602Q")
	switch day {
	case 12:
		rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory("db-17", []*memledgerv1.MemoryModule{micA1, samA2}, []*memledgerv1.StorageDevice{drive0, rt.Day12Drive}), cii), 2, fx.At(12)))
	case 20:
		rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory("db-17", []*memledgerv1.MemoryModule{samA2}, []*memledgerv1.StorageDevice{drive0, rt.Day12Drive}), cii), 3, fx.At(20)))
	}
}

// TestTrackerRestart: statuses come back from the ledger's events, so a
// restarted collector's full evaluation does not repeat them.
func TestTrackerRestart(t *testing.T) {
	ctx := context.Background()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	pol := rt.MustPolicy(t, rt.Policy)
	src := func() *policy.Policy { return pol }
	opts := TrackerOptions{Now: rt.FixedNow(fx.At(25))}
	first := NewTracker(st, src, opts)
	if n, err := first.Evaluate(ctx, nil); err != nil || n != 1 {
		t.Fatalf("first evaluation: %d events, %v; want 1", n, err)
	}
	second := NewTracker(st, src, opts)
	if err := second.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := second.Evaluate(ctx, nil); err != nil || n != 0 {
		t.Errorf("after restart: %d events, %v; want 0", n, err)
	}
	counts := map[string]int{}
	second.CountBy(func(rule string, e StatusEntry, n int) {
		counts[rule+"/"+string(e.Status)+"/"+e.Component+"/"+e.Vendor] += n
	})
	want := map[string]int{"cii-micron/violation/storage/micron": 1, "cii-micron/recorded/dram/micron": 1, "cii-micron/removed/module/micron": 1}
	if len(counts) != len(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("counts %v, want %v", counts, want)
			break
		}
	}
}

func TestTrackerWithoutPolicy(t *testing.T) {
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 12)
	tr := NewTracker(st, func() *policy.Policy { return nil }, TrackerOptions{})
	if n, err := tr.Evaluate(context.Background(), nil); err != nil || n != 0 {
		t.Errorf("no policy: %d events, %v", n, err)
	}
}

// TestTrackerRun: Run evaluates the fleet at start, then the hosts Notify
// names, and stops with its context.
func TestTrackerRun(t *testing.T) {
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 3)
	pol := rt.MustPolicy(t, rt.Policy)
	tr := NewTracker(st, func() *policy.Policy { return pol }, TrackerOptions{Now: rt.FixedNow(fx.At(25))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		tr.Run(ctx)
		close(done)
	}()
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitUntil("the start's full evaluation", func() bool { return tr.Evaluations() >= 1 })
	if evs := policyEvents(t, st, 0); len(evs) != 0 {
		t.Fatalf("events before the SSD: %v", evs)
	}
	seedFleet2(t, st, 12)
	tr.Notify("db-17")
	waitUntil("the SSD's violation event", func() bool { return len(policyEvents(t, st, 0)) == 1 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}
