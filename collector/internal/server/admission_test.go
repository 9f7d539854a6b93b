package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestAdmissionLimits(t *testing.T) {
	var logs bytes.Buffer
	refused := map[string]int{}
	lim := HostLimits{ReportsPerHour: 10, FullReportsPerHour: 3, EventsPerDay: 100, LogInterval: time.Hour}
	a := newAdmission(lim, 10, slog.New(slog.NewTextHandler(&logs, nil)), func(l string) { refused[l]++ })
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	admit := func(host string, full bool) error {
		reserved, err := a.admit(t.Context(), host, 1, full, 4, now)
		if err == nil {
			a.settle(host, reserved, 0, now) // committed without events
		}
		return err
	}

	for i := range 3 {
		if err := admit("h1", true); err != nil {
			t.Fatalf("full report %d: %v", i+1, err)
		}
	}
	err := admit("h1", true)
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "--max-full-reports-per-hour") {
		t.Fatalf("fourth full report in the hour: %v, want ResourceExhausted naming the limit", err)
	}
	// Another host is not affected; heartbeats still pass.
	if err := admit("h2", true); err != nil {
		t.Fatalf("another host: %v", err)
	}
	for i := range 6 {
		if err := admit("h1", false); err != nil {
			t.Fatalf("heartbeat %d: %v", i+1, err)
		}
	}
	if err := admit("h1", false); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("eleventh report in the hour: %v, want ResourceExhausted", err)
	}
	// Twenty minutes refill a third of each bucket.
	now = now.Add(20 * time.Minute)
	if err := admit("h1", true); err != nil {
		t.Fatalf("full report after the refill: %v", err)
	}

	// Events: the day's budget spent, full reports are refused and
	// heartbeats accepted until the day is over.
	a.settle("h2", 0, 100, now)
	if err := admit("h2", true); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "--max-events-per-day") {
		t.Fatalf("full report over the events budget: %v", err)
	}
	if err := admit("h2", false); err != nil {
		t.Fatalf("heartbeat over the events budget: %v", err)
	}
	now = now.Add(24 * time.Hour)
	if err := admit("h2", true); err != nil {
		t.Fatalf("full report on the next day: %v", err)
	}

	if want := map[string]int{LimitFullReportsPerHour: 1, LimitReportsPerHour: 1, LimitEventsPerDay: 1}; fmt.Sprint(refused) != fmt.Sprint(want) {
		t.Errorf("refusals counted %v, want %v", refused, want)
	}
	if got := a.refused.Load(); got != 3 {
		t.Errorf("refused = %d, want 3", got)
	}
	if n := strings.Count(logs.String(), "host_over_limit"); n != 3 {
		t.Errorf("%d refusal log lines, want 3:\n%s", n, logs.String())
	}
}

// A refusal is logged once per host and limit per LogInterval, however
// many reports are refused.
func TestAdmissionLogsOncePerInterval(t *testing.T) {
	var logs bytes.Buffer
	a := newAdmission(HostLimits{ReportsPerHour: -1, FullReportsPerHour: 1, EventsPerDay: -1, LogInterval: time.Minute}, 10, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		_, _ = a.admit(t.Context(), "h1", uint64(i+1), true, 1, now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := strings.Count(logs.String(), "host_over_limit"); n != 1 {
		t.Fatalf("%d log lines for 999 refusals within a minute, want 1", n)
	}
	_, _ = a.admit(t.Context(), "h1", 2000, true, 1, now.Add(2*time.Minute))
	if n := strings.Count(logs.String(), "host_over_limit"); n != 2 {
		t.Fatalf("%d log lines after the interval, want 2", n)
	}
}

// Full reports in flight reserve the most events they can make, so a
// host pipelining reports cannot overshoot its day; what a committed
// report did not use is given back.
func TestAdmissionReservesEventsInFlight(t *testing.T) {
	a := newAdmission(HostLimits{ReportsPerHour: -1, FullReportsPerHour: -1, EventsPerDay: 100}, 10, slog.New(slog.DiscardHandler), nil)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Each report of 10 parts may make 2×10+10+2 = 32 events.
	var held []int
	for i := range 3 {
		r, err := a.admit(t.Context(), "h1", uint64(i+1), true, 10, now)
		if err != nil {
			t.Fatalf("report %d in flight: %v", i+1, err)
		}
		held = append(held, r)
	}
	if _, err := a.admit(t.Context(), "h1", 4, true, 10, now); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("fourth report while 96 events are reserved: %v, want ResourceExhausted", err)
	}
	// The first made 11 events (enrolled, 10 parts added), the others
	// none (duplicates): the day has 89 events to go.
	a.settle("h1", held[0], 11, now)
	a.settle("h1", held[1], 0, now)
	a.settle("h1", held[2], 0, now)
	for i := range 2 {
		r, err := a.admit(t.Context(), "h1", uint64(10+i), true, 10, now)
		if err != nil {
			t.Fatalf("report after settling, %d: %v", i+1, err)
		}
		a.settle("h1", r, 30, now)
	}
	if _, err := a.admit(t.Context(), "h1", 20, true, 10, now); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("report after 71 events: %v, want ResourceExhausted (71+32 > 100)", err)
	}
}

func TestAdmissionOff(t *testing.T) {
	a := newAdmission(noHostLimits, 1024, slog.New(slog.DiscardHandler), nil)
	now := time.Now()
	for i := range 10000 {
		reserved, err := a.admit(t.Context(), "h1", uint64(i+1), true, 1024, now)
		if err != nil {
			t.Fatal(err)
		}
		a.settle("h1", reserved, 1000, now)
	}
}

func TestPeekReport(t *testing.T) {
	inv := testInventory("host-7", 3, 1, 0)
	for _, req := range []*memledgerv1.ReportRequest{
		fullReport("host-7", 12345, inv),
		heartbeat("host-7", 1<<62, strings.Repeat("a", 64)),
		{HostId: "x", Sequence: 1},
	} {
		b, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		p := peekReport(b)
		if p.host != req.GetHostId() || p.seq != req.GetSequence() || p.full != (req.GetInventory() != nil) || p.items != inventoryItems(req) {
			t.Errorf("peek = %+v, want %q %d %v %d items", p, req.GetHostId(), req.GetSequence(), req.GetInventory() != nil, inventoryItems(req))
		}
	}
}

func inventoryItems(req *memledgerv1.ReportRequest) int {
	inv := req.GetInventory()
	return len(inv.GetMemoryModules()) + len(inv.GetStorageDevices()) + len(inv.GetWarnings())
}

// FuzzPeekReport: on any input peekReport neither panics nor disagrees
// with the full decoder about a report the decoder accepts.
func FuzzPeekReport(f *testing.F) {
	for _, req := range []*memledgerv1.ReportRequest{
		fullReport("h1", 7, testInventory("h1", 2, 1, 0)),
		heartbeat("h1", 8, strings.Repeat("0", 64)),
	} {
		b, _ := proto.Marshal(req)
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0xff})
	f.Add([]byte{0x1a, 0x00, 0x22, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := peekReport(b)
		var req memledgerv1.ReportRequest
		if proto.Unmarshal(b, &req) != nil {
			return
		}
		if p.host != req.GetHostId() || p.seq != req.GetSequence() || p.full != (req.GetInventory() != nil) || p.items != inventoryItems(&req) {
			t.Fatalf("peek = %+v, decoder says %q %d %v %d items", p, req.GetHostId(), req.GetSequence(), req.GetInventory() != nil, inventoryItems(&req))
		}
	})
}

// The in-flight budget counts decodedFactor times a report's encoded size:
// what a received report holds once decoded and prepared must not exceed
// it, for any shape the limits allow (many parts with short strings cost
// the most per byte; long strings stay in the encoded buffer).
func TestInflightCostCoversDecodedReport(t *testing.T) {
	long := func(inv *memledgerv1.Inventory) *memledgerv1.Inventory {
		for _, m := range inv.GetMemoryModules() {
			m.PartNumber = strings.Repeat("P", 1000)
			m.ManufacturerRaw = strings.Repeat("M", 1000)
		}
		return inv
	}
	tiny := func(inv *memledgerv1.Inventory) *memledgerv1.Inventory {
		for _, m := range inv.GetMemoryModules() {
			*m = memledgerv1.MemoryModule{SerialNumber: m.GetSerialNumber()}
		}
		for _, d := range inv.GetStorageDevices() {
			*d = memledgerv1.StorageDevice{SerialNumber: d.GetSerialNumber()}
		}
		return inv
	}
	manyWarnings := func(inv *memledgerv1.Inventory) *memledgerv1.Inventory {
		for range 1024 {
			inv.Warnings = append(inv.Warnings, &memledgerv1.Warning{Message: "w"})
		}
		inv.Sources = make([]string, 64)
		return inv
	}
	emptyEvidence := func(inv *memledgerv1.Inventory) *memledgerv1.Inventory {
		for _, m := range inv.GetMemoryModules() {
			*m = memledgerv1.MemoryModule{SerialNumber: m.GetSerialNumber(), ModuleVendor: &memledgerv1.Vendor{Evidence: make([]string, 64)}}
		}
		return inv
	}
	for name, inv := range map[string]*memledgerv1.Inventory{
		"many warnings":   manyWarnings(testInventory("h1", 0, 0, 0)),
		"empty evidence":  emptyEvidence(testInventory("h1", 1024, 0, 0)),
		"heartbeat-sized": testInventory("h1", 0, 0, 0),
		"typical":         testInventory("h1", 16, 4, 0),
		"max parts":       testInventory("h1", 512, 512, 0),
		"long strings":    long(testInventory("h1", 512, 0, 0)),
		"tiny parts":      tiny(testInventory("h1", 512, 512, 0)),
	} {
		b, err := proto.Marshal(fullReport("h1", 1, inv))
		if err != nil {
			t.Fatal(err)
		}
		const k = 16
		keep := make([]any, 0, 2*k)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range k {
			c := append([]byte(nil), b...) // the stream's copy of the message
			req, err := DecodeReport(c, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			rep := ToStoreReport(req, time.Now())
			if pre, err := store.Precompute(rep, store.KnownValidUTF8); err == nil && pre != nil {
				pre.Observe(rep, nil)
				rep.Pre = pre
			}
			keep = append(keep, rep, c)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(keep)
		held := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / k
		t.Logf("%s: %d bytes encoded, %d held (×%.1f), cost %d", name, len(b), held, float64(held)/float64(len(b)), inflightCost(len(b), peekReport(b).items))
		cost := inflightCost(len(b), peekReport(b).items)
		if held > cost {
			t.Errorf("%s: a report of %d bytes holds %d bytes, more than its budget cost %d", name, len(b), held, cost)
		}
	}
}

// fakeCounter answers CountRecentEvents with rec, or err.
type fakeCounter struct {
	rec   store.RecentEvents
	err   error
	calls int
}

func (f *fakeCounter) CountRecentEvents(context.Context, string, time.Duration, int) (store.RecentEvents, error) {
	f.calls++
	return f.rec, f.err
}

// A host first met after a restart starts with the events its reports
// made in its last day, read once from the ledger: its day began with
// the first of them, or now when the host's times lag the clock.
func TestAdmissionSeedsDayFromLedger(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &fakeCounter{rec: store.RecentEvents{LastSeen: now.Add(-time.Hour), Count: 100, First: now.Add(-23 * time.Hour)}}
	a := newAdmission(HostLimits{ReportsPerHour: -1, FullReportsPerHour: -1, EventsPerDay: 100}, 10, slog.New(slog.DiscardHandler), nil)
	a.ledger = c
	admit := func(host string, full bool, at time.Time) error {
		r, err := a.admit(t.Context(), host, 1, full, 4, at)
		if err == nil {
			a.settle(host, r, 0, at)
		}
		return err
	}
	if err := admit("h1", false, now); err != nil || c.calls != 0 {
		t.Fatalf("heartbeat: %v, %d ledger reads, want admitted without one", err, c.calls)
	}
	for i := range 2 {
		if err := admit("h1", true, now); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "--max-events-per-day") {
			t.Fatalf("full report %d after the restart: %v, want refused over the events budget", i+1, err)
		}
	}
	if c.calls != 1 {
		t.Errorf("%d ledger reads for one host, want 1", c.calls)
	}
	if err := admit("h1", true, now.Add(time.Hour+time.Second)); err != nil {
		t.Fatalf("full report once the day that began 23 h ago is over: %v", err)
	}

	// A failed read admits the day's first report and is tried again.
	c.err = errors.New("database down")
	if err := admit("h2", true, now); err != nil {
		t.Fatalf("full report while the ledger fails: %v", err)
	}
	c.err = nil
	if err := admit("h2", true, now); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("full report once the ledger answers: %v, want refused", err)
	}

	// A host whose recorded times lag the clock by more than a day: its
	// day begins now.
	c.rec.LastSeen, c.rec.First = now.Add(-40*time.Hour), now.Add(-60*time.Hour)
	if err := admit("h3", true, now); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("lagging host: %v, want refused", err)
	}
	if err := admit("h3", true, now.Add(23*time.Hour)); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("lagging host 23 h later: %v, want refused", err)
	}
	if err := admit("h3", true, now.Add(24*time.Hour)); err != nil {
		t.Fatalf("lagging host a day later: %v", err)
	}
}

// A collector restarted mid-day still refuses a host whose day's events
// budget is spent: the day is read back from the ledger.
func TestAdmissionSurvivesRestart(t *testing.T) {
	st := openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	opts := Options{HostLimits: HostLimits{ReportsPerHour: -1, FullReportsPerHour: -1, EventsPerDay: 10}}
	seq := uint64(time.Now().UnixMicro())
	report := func(host string, modules int) *memledgerv1.ReportRequest {
		seq++
		inv := testInventory(host, modules, 0, 0)
		inv.CollectedAt = timestamppb.Now()
		return fullReport(host, seq, inv)
	}
	send := func(ts *testServer, req *memledgerv1.ReportRequest) error {
		t.Helper()
		s := openStream(t, dial(t, ts.addr))
		if err := s.Send(req); err != nil {
			t.Fatal(err)
		}
		_, err := s.Recv()
		return err
	}
	refused := func(err error) bool {
		return status.Code(err) == codes.ResourceExhausted && strings.Contains(err.Error(), "--max-events-per-day")
	}

	first := startServer(t, st, opts)
	// The day's first report is admitted: enrolled + 12 modules added.
	if err := send(first, report("h1", 12)); err != nil {
		t.Fatalf("first report: %v", err)
	}
	if err := send(first, report("h1", 11)); !refused(err) {
		t.Fatalf("second report, 13 events into a day of 10: %v, want refused", err)
	}
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, st, opts)
	if err := send(second, report("h1", 11)); !refused(err) {
		t.Fatalf("report after the restart: %v, want refused (the day is in the ledger)", err)
	}
	hb := heartbeat("h1", seq+1, mustDigest(t, testInventory("h1", 12, 0, 0)))
	if err := send(second, hb); err != nil {
		t.Fatalf("heartbeat after the restart: %v", err)
	}
	if err := send(second, report("h2", 12)); err != nil {
		t.Fatalf("another host after the restart: %v", err)
	}
}
