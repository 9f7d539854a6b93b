package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/pki"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Opener returns a fresh, empty store for one test; it registers its own
// cleanup (close, drop) with t.Cleanup.
type Opener func(t testing.TB) store.Store

// Run runs the conformance suite against a driver.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, *harness)
	}{
		{"Enrollment", testEnrollment},
		{"DuplicateAndStaleSequence", testDuplicateSequence},
		{"PoisonedSequence", testPoisonedSequence},
		{"CountRecentEvents", testCountRecentEvents},
		{"Heartbeat", testHeartbeat},
		{"SameInventoryAgain", testSameInventoryAgain},
		{"ModuleSwap", testModuleSwap},
		{"ReceivedOutOfOrder", testReceivedOutOfOrder},
		{"ShuffledTimes", testShuffledTimes},
		{"RemovalInBatch", testRemovalInBatch},
		{"SlotMove", testSlotMove},
		{"ReturnedPart", testReturnedPart},
		{"MovedBetweenHosts", testMovedBetweenHosts},
		{"MovedAfterRemoval", testMovedAfterRemoval},
		{"MovesWithinOneBatch", testMovesWithinOneBatch},
		{"AddedAndGoneInOneBatch", testAddedAndGoneInOneBatch},
		{"PlaceholderSerials", testPlaceholderSerials},
		{"PlaceholderFleet", testPlaceholderFleet},
		{"SerialHijack", testSerialHijack},
		{"MakerReidentified", testMakerReidentified},
		{"SerialForms", testSerialForms},
		{"MemoryUnread", testMemoryUnread},
		{"Incomplete", testIncomplete},
		{"UnreadSince", testUnreadSince},
		{"RetiredHost", testRetiredHost},
		{"FieldsChanged", testFieldsChanged},
		{"HostFactsChanged", testHostFactsChanged},
		{"Labels", testLabels},
		{"AsOf", testAsOf},
		{"ForEachPart", testForEachPart},
		{"ForEachPartGroup", testForEachPartGroup},
		{"ForEachHost", testForEachHost},
		{"VendorFilter", testVendorFilter},
		{"PartSearchAndPaging", testPartSearchAndPaging},
		{"HostFilter", testHostFilter},
		{"HostListPages", testHostListPages},
		{"CommonPrefixPages", testCommonPrefixPages},
		{"EventFilter", testEventFilter},
		{"AppendEvents", testAppendEvents},
		{"RejectedReports", testRejected},
		{"ConcurrentDifferentHosts", testConcurrentDifferentHosts},
		{"ConcurrentSameHost", testConcurrentSameHost},
		{"HostileValues", testHostileValues},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checked := func(t testing.TB) store.Store {
				s := open(t)
				checkIntegrityAtEnd(t, s)
				return s
			}
			tc.fn(t, &harness{t: t, s: checked(t), ctx: context.Background(), open: checked})
		})
	}
}

// integrityChecker is implemented by drivers that can verify the ledger's
// cross-table rules (engine.Engine.CheckIntegrity).
type integrityChecker interface {
	CheckIntegrity(ctx context.Context) error
}

// checkIntegrityAtEnd checks s's ledger when the test ends, before the
// store is closed (cleanups run last registered first): whatever a case
// did, no row may name a host or part that does not exist.
func checkIntegrityAtEnd(t testing.TB, s store.Store) {
	c, ok := s.(integrityChecker)
	if !ok {
		t.Fatalf("%T does not implement CheckIntegrity", s)
	}
	t.Cleanup(func() {
		err := c.CheckIntegrity(context.Background())
		if err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("after the test: %v", err)
		}
	})
}

type harness struct {
	t   *testing.T
	s   store.Store
	ctx context.Context
	// open opens another, empty store of the same driver.
	open Opener
}

func (h *harness) apply(reps ...store.Report) []store.Outcome {
	h.t.Helper()
	out, err := h.s.Apply(h.ctx, reps)
	if err != nil {
		h.t.Fatalf("Apply: %v", err)
	}
	if len(out) != len(reps) {
		h.t.Fatalf("Apply returned %d outcomes for %d reports", len(out), len(reps))
	}
	return out
}

// expect applies reports and checks their statuses.
func (h *harness) expect(want []store.Status, reps ...store.Report) []store.Outcome {
	h.t.Helper()
	out := h.apply(reps...)
	for i, o := range out {
		if o.Status != want[i] {
			h.t.Fatalf("report %d (host %q seq %d): status %v (%s), want %v", i, reps[i].HostID, reps[i].Sequence, o.Status, o.Message, want[i])
		}
	}
	return out
}

func (h *harness) committed(reps ...store.Report) []store.Outcome {
	h.t.Helper()
	want := make([]store.Status, len(reps))
	for i := range want {
		want[i] = store.Committed
	}
	return h.expect(want, reps...)
}

func (h *harness) host(id string) store.Host {
	h.t.Helper()
	host, err := h.s.Host(h.ctx, id)
	if err != nil {
		h.t.Fatalf("Host(%q): %v", id, err)
	}
	return host
}

func (h *harness) parts(f store.PartFilter) []store.Part {
	h.t.Helper()
	ps, err := h.s.Parts(h.ctx, f)
	if err != nil {
		h.t.Fatalf("Parts(%+v): %v", f, err)
	}
	return ps
}

func (h *harness) events(f store.EventFilter) []store.Event {
	h.t.Helper()
	evs, err := h.s.Events(h.ctx, f)
	if err != nil {
		h.t.Fatalf("Events(%+v): %v", f, err)
	}
	return evs
}

// lastEventID is the id of the newest event (0 when none).
func (h *harness) lastEventID() int64 {
	h.t.Helper()
	evs := h.events(store.EventFilter{Newest: true, Limit: 1})
	if len(evs) == 0 {
		return 0
	}
	return evs[0].ID
}

// kindsSince lists the kinds of a host's events after id.
func (h *harness) kindsSince(hostID string, after int64) []store.EventKind {
	h.t.Helper()
	var out []store.EventKind
	for _, ev := range h.events(store.EventFilter{HostID: hostID, AfterID: after}) {
		out = append(out, ev.Kind)
	}
	return out
}

func (h *harness) wantKinds(hostID string, after int64, want ...store.EventKind) []store.Event {
	h.t.Helper()
	evs := h.events(store.EventFilter{HostID: hostID, AfterID: after})
	var got []store.EventKind
	for _, ev := range evs {
		got = append(got, ev.Kind)
	}
	if !reflect.DeepEqual(got, want) {
		var msgs []string
		for _, ev := range evs {
			msgs = append(msgs, string(ev.Kind)+": "+ev.Message)
		}
		h.t.Fatalf("events of %s after %d: %v, want %v\n%s", hostID, after, got, want, strings.Join(msgs, "\n"))
	}
	return evs
}

func bySerial(ps []store.Part) map[string]store.Part {
	out := map[string]store.Part{}
	for _, p := range ps {
		out[p.SerialNumber] = p
	}
	return out
}

func serials(ps []store.Part) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.SerialNumber)
	}
	sort.Strings(out)
	return out
}

func details(t *testing.T, ev store.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(ev.Details, &m); err != nil {
		t.Fatalf("event %d details %q: %v", ev.ID, ev.Details, err)
	}
	return m
}

func testEnrollment(t *testing.T, h *harness) {
	inv := Inventory("host-a",
		[]*memledgerv1.MemoryModule{DIMM("B2", Micron, "36ASF8G72PZ-2G3B1", "12345678"), DIMM("B1", Micron, "36ASF8G72PZ-2G3B1", "12345679")},
		[]*memledgerv1.StorageDevice{Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "S64FNE0R123456", "GDC5602Q")})
	out := h.committed(Full(inv, 1, At(0)))
	if out[0].Digest != Digest(t, inv) {
		t.Errorf("outcome digest %q, want %q", out[0].Digest, Digest(t, inv))
	}
	if out[0].Events != 4 {
		t.Errorf("outcome events %d, want 4 (enrolled + 3 added)", out[0].Events)
	}

	host := h.host("host-a")
	if host.Hostname != "host-a.example.net" || host.OS != "debian 12.5" || host.Kernel != "6.1.0-18-amd64" ||
		host.SystemManufacturer != "Supermicro" || host.SystemProduct != "SYS-1029P-WTR" || host.SystemSerial != "Shost-a" ||
		host.AgentVersion != "0.1.0" {
		t.Errorf("host facts: %+v", host)
	}
	if !host.FirstSeen.Equal(At(0)) || !host.LastSeen.Equal(At(0)) || !host.LastReportAt.Equal(At(0)) || !host.InventorySeenAt.Equal(At(0)) {
		t.Errorf("host times first %v last %v report %v inv %v, want all %v", host.FirstSeen, host.LastSeen, host.LastReportAt, host.InventorySeenAt, At(0))
	}
	if host.LastSequence != 1 || host.InventoryDigest != Digest(t, inv) || host.ActiveParts != 3 {
		t.Errorf("host seq %d digest %q active %d", host.LastSequence, host.InventoryDigest, host.ActiveParts)
	}
	if want := map[string]string{"env": "prod", "rack": "r1"}; !reflect.DeepEqual(host.Labels, want) || !reflect.DeepEqual(host.AgentLabels, want) {
		t.Errorf("labels %v agent %v, want %v", host.Labels, host.AgentLabels, want)
	}
	if !proto.Equal(host.Platform, inv.Host) {
		t.Errorf("platform %v, want %v", host.Platform, inv.Host)
	}
	if _, err := h.s.Host(h.ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Host(unknown): %v, want ErrNotFound", err)
	}

	ps := h.parts(store.PartFilter{HostIDs: []string{"host-a"}})
	if len(ps) != 3 {
		t.Fatalf("parts: %d, want 3", len(ps))
	}
	// Ordered by host, kind ("drive" < "memory"), slot.
	if ps[0].Kind != store.KindDrive || ps[1].Slot != SlotOf("B1") || ps[2].Slot != SlotOf("B2") {
		t.Errorf("part order: %s/%s, %s/%s, %s/%s", ps[0].Kind, ps[0].Slot, ps[1].Kind, ps[1].Slot, ps[2].Kind, ps[2].Slot)
	}
	p := ps[2]
	if !p.RealSerial || p.Maker.ID != "micron" || p.Maker.Parent != "micron" || p.Maker.Name != "Micron" ||
		!reflect.DeepEqual(p.Maker.Evidence, []string{"smbios-module-id"}) || p.Maker.JEP106 != "1:0x2C" ||
		p.PartNumber != "36ASF8G72PZ-2G3B1" || p.SerialNumber != "12345678" || p.SizeBytes != 32<<30 ||
		p.MemoryType != "DDR4" || p.FormFactor != "DIMM" || p.SpeedMTs != 3200 || p.HostID != "host-a" {
		t.Errorf("memory part: %+v", p)
	}
	if !proto.Equal(p.Memory, inv.MemoryModules[0]) || p.Drive != nil {
		t.Errorf("memory record %v, want %v", p.Memory, inv.MemoryModules[0])
	}
	if !p.FirstSeen.Equal(At(0)) || !p.LastSeen.Equal(At(0)) || !p.Active() {
		t.Errorf("memory part times: first %v last %v removed %v", p.FirstSeen, p.LastSeen, p.RemovedAt)
	}
	d := ps[0]
	if d.Firmware != "GDC5602Q" || d.Transport != "nvme" || d.Slot != "nvme0n1" || d.Maker.ID != "samsung" || !proto.Equal(d.Drive, inv.StorageDevices[0]) {
		t.Errorf("drive part: %+v", d)
	}

	evs := h.wantKinds("host-a", 0, store.EventHostEnrolled, store.EventPartAdded, store.EventPartAdded, store.EventPartAdded)
	if evs[0].PartID != 0 || !evs[0].Time.Equal(At(0)) {
		t.Errorf("enrolled event: %+v", evs[0])
	}
	if want := "part added: Micron DIMM 36ASF8G72PZ-2G3B1 serial 12345678 in slot " + SlotOf("B2"); evs[1].Message != want {
		t.Errorf("message %q, want %q", evs[1].Message, want)
	}
	if evs[1].PartID != p.ID {
		t.Errorf("part_added event part %d, want %d", evs[1].PartID, p.ID)
	}
	if m := details(t, evs[1]); m["slot"] != SlotOf("B2") {
		t.Errorf("details %v", m)
	}
}

func testDuplicateSequence(t *testing.T, h *harness) {
	inv := FullHost("h1")
	h.committed(Full(inv, 5, At(0)))
	before := h.lastEventID()

	changed := FullHost("h1")
	changed.MemoryModules = changed.MemoryModules[1:]
	out := h.expect([]store.Status{store.Duplicate, store.Duplicate, store.Duplicate},
		Full(changed, 5, At(1)), Full(changed, 3, At(1)), Heartbeat("h1", 4, At(1), Digest(t, inv)))
	if out[0].Message == "" || out[0].Digest != Digest(t, inv) {
		t.Errorf("duplicate outcome: %+v", out[0])
	}
	host := h.host("h1")
	if host.LastSequence != 5 || !host.LastSeen.Equal(At(0)) || host.ActiveParts != 20 {
		t.Errorf("after duplicates: seq %d last seen %v active %d", host.LastSequence, host.LastSeen, host.ActiveParts)
	}
	if id := h.lastEventID(); id != before {
		t.Errorf("duplicates produced events (%d -> %d)", before, id)
	}
	// Within one batch, the second report with the same sequence is a duplicate.
	h.expect([]store.Status{store.Committed, store.Duplicate}, Full(changed, 6, At(2)), Full(inv, 6, At(2)))
	if host := h.host("h1"); host.ActiveParts != 19 || host.InventoryDigest != Digest(t, changed) {
		t.Errorf("batch with duplicate: active %d", host.ActiveParts)
	}
}

// A host whose last sequence lies far in the future (2^63-1, committed
// by a collector before reports were checked against its clock) is not
// frozen: a report within the collector's bound (Report.MaxSequence)
// replaces it, and exactly-once holds again from there. A host whose last
// sequence is within the bound keeps the plain duplicate rule.
func testPoisonedSequence(t *testing.T, h *harness) {
	const poison = math.MaxInt64
	inv := FullHost("poisoned")
	// As an old collector wrote it: no bound.
	h.committed(Full(inv, poison, At(0)))
	if got := h.host("poisoned").LastSequence; got != poison {
		t.Fatalf("seeded last sequence %d, want %d", got, uint64(poison))
	}
	bounded := func(r store.Report) store.Report {
		r.MaxSequence = uint64(r.ReceivedAt.Add(5 * time.Minute).UnixMicro())
		return r
	}
	seq := func(days int) uint64 { return uint64(At(days).UnixMicro()) }

	// Without a bound the poison still holds.
	changed := FullHost("poisoned")
	changed.MemoryModules = changed.MemoryModules[1:]
	h.expect([]store.Status{store.Duplicate}, Full(changed, seq(1), At(1)))

	before := h.lastEventID()
	out := h.committed(bounded(Full(changed, seq(1), At(1))))
	if out[0].PoisonedSequence != poison {
		t.Errorf("outcome names poisoned sequence %d, want %d", out[0].PoisonedSequence, uint64(poison))
	}
	h.wantKinds("poisoned", before, store.EventPartRemoved)
	host := h.host("poisoned")
	if host.LastSequence != seq(1) || host.ActiveParts != 19 || !host.LastSeen.Equal(At(1)) {
		t.Errorf("after the recovery: last sequence %d (want %d), active %d, last seen %v", host.LastSequence, seq(1), host.ActiveParts, host.LastSeen)
	}
	// Exactly once again: the same report, and older ones, are duplicates.
	out = h.expect([]store.Status{store.Duplicate, store.Duplicate, store.Committed},
		bounded(Full(inv, seq(1), At(1))), bounded(Heartbeat("poisoned", seq(1)-1, At(1), Digest(t, inv))),
		bounded(Heartbeat("poisoned", seq(1)+1, At(1), Digest(t, changed))))
	for i, o := range out {
		if o.PoisonedSequence != 0 {
			t.Errorf("report %d after the recovery names poisoned sequence %d", i, o.PoisonedSequence)
		}
	}

	// A report beyond its own bound does not clear anything either (the
	// server refuses such a report before the store sees it).
	h.committed(Full(FullHost("poisoned2"), poison, At(0)))
	over := bounded(Heartbeat("poisoned2", seq(1), At(1), Digest(t, FullHost("poisoned2"))))
	over.Sequence = over.MaxSequence + 1
	h.expect([]store.Status{store.Duplicate}, over)

	// A normal host: a bound changes nothing.
	normal := FullHost("normal")
	h.committed(bounded(Full(normal, seq(2), At(2))))
	normalChanged := FullHost("normal")
	normalChanged.StorageDevices = nil
	out = h.expect([]store.Status{store.Duplicate, store.Duplicate},
		bounded(Full(normalChanged, seq(2), At(2))), bounded(Heartbeat("normal", seq(2)-5, At(2), Digest(t, normal))))
	if out[0].PoisonedSequence != 0 || h.host("normal").LastSequence != seq(2) {
		t.Errorf("normal host: outcome %+v, last sequence %d", out[0], h.host("normal").LastSequence)
	}
}

// CountRecentEvents counts what a host's reports recorded in a window
// before its last sighting, policy statuses aside, within the host's last
// limit events.
func testCountRecentEvents(t *testing.T, h *harness) {
	c, ok := h.s.(store.EventCounter)
	if !ok {
		t.Fatalf("%T does not implement store.EventCounter", h.s)
	}
	inv := FullHost("counted")
	h.committed(Full(inv, 1, At(0)), Full(FullHost("other"), 1, At(0))) // enrolled + 20 parts each
	changed := FullHost("counted")
	changed.MemoryModules = changed.MemoryModules[2:]
	h.committed(Full(changed, 2, At(1))) // 2 removals
	if err := h.s.AppendEvents(h.ctx, []store.Event{{Time: At(1), HostID: "counted", Kind: store.EventPolicyStatus, Message: "host status changed"}}); err != nil {
		t.Fatal(err)
	}
	// A host whose reports claim times long past (spooled, or lying):
	// counted from its last sighting, not from the collector's clock.
	h.committed(Full(FullHost("lagging"), 1, At(-30)))
	day := 24 * time.Hour
	for _, tc := range []struct {
		name   string
		host   string
		window time.Duration
		limit  int
		want   store.RecentEvents
	}{
		{"the last hour", "counted", time.Hour, 100, store.RecentEvents{LastSeen: At(1), Count: 2, First: At(1)}},
		{"the last day", "counted", day, 100, store.RecentEvents{LastSeen: At(1), Count: 23, First: At(0)}},
		// 1 policy status, 2 removals, 2 additions.
		{"the last events only", "counted", day, 5, store.RecentEvents{LastSeen: At(1), Count: 4, First: At(0)}},
		{"lagging host", "lagging", day, 100, store.RecentEvents{LastSeen: At(-30), Count: 21, First: At(-30)}},
		{"unknown host", "nobody", day, 100, store.RecentEvents{}},
	} {
		got, err := c.CountRecentEvents(h.ctx, tc.host, tc.window, tc.limit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got.Count != tc.want.Count || !got.First.Equal(tc.want.First) || !got.LastSeen.Equal(tc.want.LastSeen) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func testHeartbeat(t *testing.T, h *harness) {
	inv := FullHost("hb")
	digest := Digest(t, inv)
	h.committed(Full(inv, 1, At(0)))
	before := h.lastEventID()

	out := h.committed(Heartbeat("hb", 2, At(1), digest))
	if out[0].Digest != digest || out[0].Events != 0 {
		t.Errorf("heartbeat outcome %+v", out[0])
	}
	host := h.host("hb")
	if !host.LastSeen.Equal(At(1)) || !host.InventorySeenAt.Equal(At(1)) || !host.LastReportAt.Equal(At(0)) || host.LastSequence != 2 {
		t.Errorf("after known heartbeat: last %v inv %v report %v seq %d", host.LastSeen, host.InventorySeenAt, host.LastReportAt, host.LastSequence)
	}
	for _, p := range h.parts(store.PartFilter{HostIDs: []string{"hb"}}) {
		if !p.LastSeen.Equal(At(1)) || !p.FirstSeen.Equal(At(0)) {
			t.Fatalf("part %s last seen %v first %v, want %v %v", p.Slot, p.LastSeen, p.FirstSeen, At(1), At(0))
		}
	}

	other := strings.Repeat("ab", 32)
	out = h.expect([]store.Status{store.NeedFull}, Heartbeat("hb", 3, At(2), other))
	if out[0].Message == "" || out[0].Digest != digest {
		t.Errorf("need-full outcome %+v", out[0])
	}
	host = h.host("hb")
	if !host.LastSeen.Equal(At(2)) || !host.InventorySeenAt.Equal(At(1)) || host.LastSequence != 3 || host.InventoryDigest != digest {
		t.Errorf("after unknown heartbeat: last %v inv %v seq %d digest %q", host.LastSeen, host.InventorySeenAt, host.LastSequence, host.InventoryDigest)
	}
	if got := h.kindsSince("hb", before); len(got) != 0 {
		t.Errorf("heartbeats produced events %v", got)
	}

	// A heartbeat from a host never seen enrolls it and asks for a full report.
	h.expect([]store.Status{store.NeedFull}, Heartbeat("newcomer", 1, At(3), digest))
	host = h.host("newcomer")
	if host.InventoryDigest != "" || !host.FirstSeen.Equal(At(3)) || !host.InventorySeenAt.IsZero() || host.ActiveParts != 0 {
		t.Errorf("host enrolled by heartbeat: %+v", host)
	}
	h.wantKinds("newcomer", 0, store.EventHostEnrolled)
	// Its full report then adds its parts without a second enrollment.
	inv2 := FullHost("newcomer")
	h.committed(Full(inv2, 2, At(3)), Heartbeat("newcomer", 3, At(4), Digest(t, inv2)))
	if host := h.host("newcomer"); host.ActiveParts != 20 || !host.InventorySeenAt.Equal(At(4)) {
		t.Errorf("newcomer after full + heartbeat: %+v", host)
	}
}

func testSameInventoryAgain(t *testing.T, h *harness) {
	inv := FullHost("same")
	h.committed(Full(inv, 1, At(0)))
	before := h.lastEventID()
	partsBefore := h.parts(store.PartFilter{HostIDs: []string{"same"}})

	again := FullHost("same")
	again.CollectedAt = nil // collected_at is outside the digest
	out := h.committed(Full(again, 2, At(1)))
	if out[0].Events != 0 || out[0].Digest != Digest(t, inv) {
		t.Errorf("same inventory outcome %+v", out[0])
	}
	if id := h.lastEventID(); id != before {
		t.Errorf("same inventory produced events")
	}
	partsAfter := h.parts(store.PartFilter{HostIDs: []string{"same"}})
	if len(partsAfter) != len(partsBefore) {
		t.Fatalf("parts %d -> %d", len(partsBefore), len(partsAfter))
	}
	for i := range partsAfter {
		if partsAfter[i].ID != partsBefore[i].ID || !partsAfter[i].LastSeen.Equal(At(1)) {
			t.Errorf("part %d: id %d->%d last seen %v", i, partsBefore[i].ID, partsAfter[i].ID, partsAfter[i].LastSeen)
		}
	}
	if host := h.host("same"); !host.LastReportAt.Equal(At(1)) {
		t.Errorf("last report at %v", host.LastReportAt)
	}
}

func testModuleSwap(t *testing.T, h *harness) {
	old := DIMM("B2", Micron, "36ASF8G72PZ-2G3B1", "OLD00001")
	keep := DIMM("B1", Micron, "36ASF8G72PZ-2G3B1", "KEEP0001")
	h.committed(Full(Inventory("swap", []*memledgerv1.MemoryModule{keep, old}, nil), 1, At(0)))
	before := h.lastEventID()

	repl := DIMM("B2", Samsung, "M393A4K40DB3-CWE", "NEW00001")
	out := h.committed(Full(Inventory("swap", []*memledgerv1.MemoryModule{keep, repl}, nil), 2, At(1)))
	if out[0].Events != 2 {
		t.Errorf("swap events %d, want 2", out[0].Events)
	}
	evs := h.wantKinds("swap", before, store.EventPartRemoved, store.EventPartAdded)
	if want := "part removed: Micron DIMM 36ASF8G72PZ-2G3B1 serial OLD00001 in slot " + SlotOf("B2"); evs[0].Message != want {
		t.Errorf("removed message %q, want %q", evs[0].Message, want)
	}

	active := h.parts(store.PartFilter{HostIDs: []string{"swap"}})
	if got := serials(active); !reflect.DeepEqual(got, []string{"KEEP0001", "NEW00001"}) {
		t.Errorf("active serials %v", got)
	}
	removed := h.parts(store.PartFilter{HostIDs: []string{"swap"}, Removed: store.OnlyRemoved})
	if len(removed) != 1 || removed[0].SerialNumber != "OLD00001" {
		t.Fatalf("removed parts %v", serials(removed))
	}
	r := removed[0]
	if r.RemovedAt == nil || !r.RemovedAt.Equal(At(1)) || !r.LastSeen.Equal(At(0)) || !r.FirstSeen.Equal(At(0)) {
		t.Errorf("removed part times: first %v last %v removed %v", r.FirstSeen, r.LastSeen, r.RemovedAt)
	}
	if evs[0].PartID != r.ID {
		t.Errorf("removed event part %d, want %d", evs[0].PartID, r.ID)
	}
	if all := h.parts(store.PartFilter{HostIDs: []string{"swap"}, Removed: store.IncludeRemoved}); len(all) != 3 {
		t.Errorf("include removed: %d parts, want 3", len(all))
	}
	// Part history by part id.
	if pe := h.events(store.EventFilter{PartID: r.ID}); len(pe) != 2 || pe[0].Kind != store.EventPartAdded || pe[1].Kind != store.EventPartRemoved {
		t.Errorf("events of removed part: %+v", pe)
	}
}

// testRemovalInBatch: a heartbeat and a removal of the same host in one
// batch: the removed part was last seen at the heartbeat.
func testRemovalInBatch(t *testing.T, h *harness) {
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "BATCH001")
	b := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "BATCH002")
	inv := Inventory("inbatch", []*memledgerv1.MemoryModule{a, b}, nil)
	h.committed(Full(inv, 1, At(0)))
	h.committed(Heartbeat("inbatch", 2, At(1), Digest(t, inv)), Full(Inventory("inbatch", []*memledgerv1.MemoryModule{a}, nil), 3, At(2)))
	removed := h.parts(store.PartFilter{HostIDs: []string{"inbatch"}, Removed: store.OnlyRemoved})
	if len(removed) != 1 || !removed[0].LastSeen.Equal(At(1)) || !removed[0].RemovedAt.Equal(At(2)) {
		t.Fatalf("removed part: %+v", removed)
	}
	if host := h.host("inbatch"); !host.InventorySeenAt.Equal(At(2)) || host.LastSequence != 3 {
		t.Errorf("host: inventory seen %v seq %d", host.InventorySeenAt, host.LastSequence)
	}
}

func testSlotMove(t *testing.T, h *harness) {
	m := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MOVE0001")
	h.committed(Full(Inventory("slots", []*memledgerv1.MemoryModule{m}, nil), 1, At(0)))
	id := h.parts(store.PartFilter{HostIDs: []string{"slots"}})[0].ID
	before := h.lastEventID()

	moved := proto.Clone(m).(*memledgerv1.MemoryModule)
	moved.Locator = "C3"
	h.committed(Full(Inventory("slots", []*memledgerv1.MemoryModule{moved}, nil), 2, At(1)))
	evs := h.wantKinds("slots", before, store.EventPartMoved)
	if want := "part moved: Micron DIMM 36ASF8G72PZ-2G3B1 serial MOVE0001 from slot " + SlotOf("A1") + " to slot " + SlotOf("C3"); evs[0].Message != want {
		t.Errorf("message %q, want %q", evs[0].Message, want)
	}
	ps := h.parts(store.PartFilter{HostIDs: []string{"slots"}, Removed: store.IncludeRemoved})
	if len(ps) != 1 || ps[0].ID != id || ps[0].Slot != SlotOf("C3") || !ps[0].Active() || ps[0].Memory.GetLocator() != "C3" {
		t.Errorf("after slot move: %+v", ps)
	}
	if d := details(t, evs[0]); d["from_slot"] != SlotOf("A1") || d["to_slot"] != SlotOf("C3") {
		t.Errorf("details %v", d)
	}
}

func testReturnedPart(t *testing.T, h *harness) {
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "RET00001")
	b := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "RET00002")
	both := Inventory("ret", []*memledgerv1.MemoryModule{a, b}, nil)
	h.committed(Full(both, 1, At(0)))
	id := bySerial(h.parts(store.PartFilter{HostIDs: []string{"ret"}}))["RET00002"].ID

	h.committed(Full(Inventory("ret", []*memledgerv1.MemoryModule{a}, nil), 2, At(2)))
	before := h.lastEventID()
	h.committed(Full(both, 3, At(5)))
	evs := h.wantKinds("ret", before, store.EventPartReturned)
	if evs[0].PartID != id {
		t.Errorf("returned event part %d, want %d", evs[0].PartID, id)
	}
	p := bySerial(h.parts(store.PartFilter{HostIDs: []string{"ret"}}))["RET00002"]
	if p.ID != id || !p.Active() || !p.FirstSeen.Equal(At(0)) || !p.LastSeen.Equal(At(5)) {
		t.Errorf("returned part: %+v", p)
	}
	// History: present, absent during the gap, present again.
	for _, c := range []struct {
		day  int
		want []string
	}{
		{-1, nil},
		{1, []string{"RET00001", "RET00002"}},
		{3, []string{"RET00001"}},
		{5, []string{"RET00001", "RET00002"}},
		{9, []string{"RET00001", "RET00002"}},
	} {
		got := serials(h.parts(store.PartFilter{HostIDs: []string{"ret"}, AsOf: At(c.day)}))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("AsOf day %d: %v, want %v", c.day, got, c.want)
		}
	}
}

func testMovedBetweenHosts(t *testing.T, h *harness) {
	traveller := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "TRAV0001")
	stay := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "STAY0001")
	h.committed(Full(Inventory("mv-a", []*memledgerv1.MemoryModule{traveller, stay}, nil), 1, At(0)))
	idA := bySerial(h.parts(store.PartFilter{HostIDs: []string{"mv-a"}}))["TRAV0001"].ID
	before := h.lastEventID()

	// Host B reports the module while host A still carries it (A has not
	// reported since): a serial clash, not a move. A keeps its part.
	onB := proto.Clone(traveller).(*memledgerv1.MemoryModule)
	onB.Locator = "B4"
	h.committed(Full(Inventory("mv-b", []*memledgerv1.MemoryModule{onB}, nil), 1, At(1)))
	evA := h.wantKinds("mv-a", before, store.EventSerialClash)
	evB := h.wantKinds("mv-b", before, store.EventHostEnrolled, store.EventSerialClash)
	if evA[0].PartID != idA {
		t.Errorf("clash event on A about part %d, want %d", evA[0].PartID, idA)
	}
	for _, ev := range []store.Event{evA[0], evB[1]} {
		if d := details(t, ev); d["host_id"] != "mv-b" || d["other_host_id"] != "mv-a" || d["other_part_id"] != float64(idA) {
			t.Errorf("clash details on %s: %v", ev.HostID, d)
		}
	}
	if onA := bySerial(h.parts(store.PartFilter{HostIDs: []string{"mv-a"}}))["TRAV0001"]; onA.ID != idA || !onA.Active() {
		t.Errorf("part on A after B reported it: %+v", onA)
	}
	pB := h.parts(store.PartFilter{HostIDs: []string{"mv-b"}})
	if len(pB) != 1 || pB[0].ID == idA || pB[0].Slot != SlotOf("B4") || !pB[0].FirstSeen.Equal(At(1)) {
		t.Fatalf("parts on B: %+v", pB)
	}
	idB := pB[0].ID

	// A's next report no longer lists it: now it moved, once, recorded in
	// both histories.
	before = h.lastEventID()
	h.committed(Full(Inventory("mv-a", []*memledgerv1.MemoryModule{stay}, nil), 2, At(2)))
	evA = h.wantKinds("mv-a", before, store.EventPartMoved)
	evB = h.wantKinds("mv-b", before, store.EventPartMoved)
	want := "part moved: Micron DIMM 36ASF8G72PZ-2G3B1 serial TRAV0001 from slot " + SlotOf("A1") + " of host mv-a to slot " + SlotOf("B4") + " of host mv-b"
	if evA[0].Message != want || evB[0].Message != want {
		t.Errorf("move messages %q / %q, want %q", evA[0].Message, evB[0].Message, want)
	}
	if evA[0].PartID != idA || evB[0].PartID != idB {
		t.Errorf("move events about parts %d / %d, want %d / %d", evA[0].PartID, evB[0].PartID, idA, idB)
	}
	if d := details(t, evB[0]); d["from_host_id"] != "mv-a" || d["to_host_id"] != "mv-b" || d["from_part_id"] != float64(idA) {
		t.Errorf("move details on B: %v", d)
	}
	onA := bySerial(h.parts(store.PartFilter{HostIDs: []string{"mv-a"}, Removed: store.IncludeRemoved}))["TRAV0001"]
	if onA.RemovedAt == nil || !onA.RemovedAt.Equal(At(2)) || !onA.LastSeen.Equal(At(0)) {
		t.Errorf("part on A: %+v", onA)
	}
	if host := h.host("mv-a"); host.ActiveParts != 1 {
		t.Errorf("host A active parts %d, want 1", host.ActiveParts)
	}
	// Fleet on day 0: the module on A; while both reported it, on both;
	// after A's report, on B only.
	asOf := func(at time.Time) []string {
		var hosts []string
		for _, p := range h.parts(store.PartFilter{AsOf: at}) {
			if p.SerialNumber == "TRAV0001" {
				hosts = append(hosts, p.HostID)
			}
		}
		sort.Strings(hosts)
		return hosts
	}
	for _, c := range []struct {
		at   time.Time
		want []string
	}{{At(0), []string{"mv-a"}}, {At(1), []string{"mv-a", "mv-b"}}, {At(2), []string{"mv-b"}}} {
		if got := asOf(c.at); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: TRAV0001 on %v, want %v", c.at, got, c.want)
		}
	}

	// It goes back to A while B still lists it: a clash again (A's old
	// row reopened); B's next report leaves it out: moved back.
	before = h.lastEventID()
	h.committed(Full(Inventory("mv-a", []*memledgerv1.MemoryModule{traveller, stay}, nil), 3, At(3)))
	h.wantKinds("mv-a", before, store.EventSerialClash)
	h.wantKinds("mv-b", before, store.EventSerialClash)
	h.committed(Full(Inventory("mv-b", nil, nil), 2, At(4)))
	h.wantKinds("mv-a", before, store.EventSerialClash, store.EventPartMoved)
	h.wantKinds("mv-b", before, store.EventSerialClash, store.EventPartMoved)
	back := bySerial(h.parts(store.PartFilter{HostIDs: []string{"mv-a"}}))["TRAV0001"]
	if back.ID != idA || !back.Active() {
		t.Errorf("back on A: %+v", back)
	}
	if n := len(h.parts(store.PartFilter{HostIDs: []string{"mv-b"}})); n != 0 {
		t.Errorf("B still holds %d active parts", n)
	}
	if got := asOf(At(2)); !reflect.DeepEqual(got, []string{"mv-b"}) {
		t.Errorf("day 2 after the return: TRAV0001 on %v, want [mv-b]", got)
	}
}

// testReceivedOutOfOrder: a report received before one already recorded
// for its host (its agent reporting to two collectors at once) is recorded
// at the host's last sighting: the host's time never goes backwards, and
// no presence interval ends before it starts. A part another host reports
// meanwhile stays where it is (a clash), and a part removed by a report
// that lands at its host's last sighting is removed no earlier than it
// arrived.
func testReceivedOutOfOrder(t *testing.T, h *harness) {
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "ORDR0001")
	b := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "ORDR0002")
	h.committed(Full(Inventory("ooo-a", []*memledgerv1.MemoryModule{a, b}, nil), 1, At(5)))
	before := h.lastEventID()
	h.committed(Full(Inventory("ooo-a", []*memledgerv1.MemoryModule{a}, nil), 2, At(3)))
	evs := h.wantKinds("ooo-a", before, store.EventPartRemoved)
	if !evs[0].Time.Equal(At(5)) {
		t.Errorf("removal recorded at %v, want the host's last sighting %v", evs[0].Time, At(5))
	}
	gone := bySerial(h.parts(store.PartFilter{HostIDs: []string{"ooo-a"}, Removed: store.OnlyRemoved}))["ORDR0002"]
	if gone.RemovedAt == nil || !gone.RemovedAt.Equal(At(5)) {
		t.Errorf("removed at %v, want %v", gone.RemovedAt, At(5))
	}
	if host := h.host("ooo-a"); !host.LastSeen.Equal(At(5)) {
		t.Errorf("host last seen %v, want %v", host.LastSeen, At(5))
	}
	// Host B, last seen on day 2, reports the module A holds since day 5:
	// a clash, A keeps it. A's report sent on day 3 then leaves it out:
	// it is removed at A's last sighting, no earlier than it arrived.
	h.committed(Full(Inventory("ooo-b", nil, nil), 1, At(2)))
	onB := proto.Clone(a).(*memledgerv1.MemoryModule)
	onB.Locator = "B1"
	h.committed(Full(Inventory("ooo-b", []*memledgerv1.MemoryModule{onB}, nil), 2, At(4)))
	if kept := bySerial(h.parts(store.PartFilter{HostIDs: []string{"ooo-a"}}))["ORDR0001"]; !kept.Active() {
		t.Errorf("ORDR0001 taken from ooo-a by ooo-b's report: %+v", kept)
	}
	h.committed(Full(Inventory("ooo-a", nil, nil), 3, At(3)))
	left := bySerial(h.parts(store.PartFilter{HostIDs: []string{"ooo-a"}, Removed: store.OnlyRemoved}))["ORDR0001"]
	if left.RemovedAt == nil || left.RemovedAt.Before(At(5)) {
		t.Errorf("ORDR0001 removed from ooo-a at %v, before it arrived there (%v)", left.RemovedAt, At(5))
	}

	// Reports received before the host's last sighting all land at it, so
	// a part can arrive, leave and return in one instant: its first stay
	// is empty ([5, 5) covers no time) and the next starts at the same
	// instant. Two agents claiming one host id do this (the two-collector
	// stress run did); the integrity check after the case must accept it.
	c := DIMM("C1", Micron, "36ASF8G72PZ-2G3B1", "ORDR0003")
	h.committed(Full(Inventory("ooo-c", nil, nil), 1, At(5)))
	before = h.lastEventID()
	h.committed(Full(Inventory("ooo-c", []*memledgerv1.MemoryModule{c}, nil), 2, At(3)))
	h.committed(Full(Inventory("ooo-c", nil, nil), 3, At(4)))
	h.committed(Full(Inventory("ooo-c", []*memledgerv1.MemoryModule{c}, nil), 4, At(4)))
	h.committed(Full(Inventory("ooo-c", nil, nil), 5, At(6)))
	evs = h.wantKinds("ooo-c", before, store.EventPartAdded, store.EventPartRemoved, store.EventPartReturned, store.EventPartRemoved)
	for i, want := range []time.Time{At(5), At(5), At(5), At(6)} {
		if !evs[i].Time.Equal(want) {
			t.Errorf("event %d (%s) at %v, want %v", i, evs[i].Kind, evs[i].Time, want)
		}
	}
	for _, c := range []struct {
		day  int
		want []string
	}{{4, nil}, {5, []string{"ORDR0003"}}, {6, nil}} {
		if got := serials(h.parts(store.PartFilter{HostIDs: []string{"ooo-c"}, AsOf: At(c.day)})); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ooo-c as of day %d: %v, want %v", c.day, got, c.want)
		}
	}

	// E reports D's module (day 5): a clash. D's report sent on day 3
	// still lists it; D's next (day 4) leaves it out: moved to E, at D's
	// time, though E got it later by the clock. D reports it again (day
	// 4½, a clash: the row reopens no earlier than it left) and leaves it
	// out on day 7 (moved again): the stay [4½, 7) is closed from what the
	// collector holds of the row, which must agree with the database.
	d := DIMM("D1", Micron, "36ASF8G72PZ-2G3B1", "ORDR0004")
	d2 := DIMM("D2", Micron, "36ASF8G72PZ-2G3B1", "ORDR0005")
	h.committed(Full(Inventory("ooo-d", []*memledgerv1.MemoryModule{d}, nil), 1, At(1)))
	h.committed(Full(Inventory("ooo-e", []*memledgerv1.MemoryModule{d}, nil), 1, At(5)))
	before = h.lastEventID()
	h.committed(Full(Inventory("ooo-d", []*memledgerv1.MemoryModule{d, d2}, nil), 2, At(3)))
	h.wantKinds("ooo-d", before, store.EventPartAdded)
	if kept := bySerial(h.parts(store.PartFilter{HostIDs: []string{"ooo-d"}}))["ORDR0004"]; !kept.Active() {
		t.Errorf("ORDR0004 not on ooo-d: %+v", kept)
	}
	before = h.lastEventID()
	h.committed(Full(Inventory("ooo-d", []*memledgerv1.MemoryModule{d2}, nil), 3, At(4)))
	h.committed(Full(Inventory("ooo-d", []*memledgerv1.MemoryModule{d, d2}, nil), 4, At(4).Add(12*time.Hour)))
	h.committed(Full(Inventory("ooo-d", []*memledgerv1.MemoryModule{d2}, nil), 5, At(7)))
	h.wantKinds("ooo-d", before, store.EventPartMoved, store.EventSerialClash, store.EventPartMoved)
	for _, c := range []struct {
		day  int
		want []string
	}{{2, []string{"ooo-d"}}, {6, []string{"ooo-d", "ooo-e"}}, {8, []string{"ooo-e"}}} {
		var on []string
		for _, p := range h.parts(store.PartFilter{HostIDs: []string{"ooo-d", "ooo-e"}, AsOf: At(c.day)}) {
			if p.SerialNumber == "ORDR0004" {
				on = append(on, p.HostID)
			}
		}
		if !reflect.DeepEqual(on, c.want) {
			t.Errorf("ORDR0004 as of day %d on %v, want %v", c.day, on, c.want)
		}
	}
}

// testShuffledTimes: one collector, hosts whose reports arrive with times
// jumping back and forth and a module that moves between them; the
// integrity check after the case holds the ledger to its time rules.
func testShuffledTimes(t *testing.T, h *harness) {
	r := rand.New(rand.NewPCG(1, 7))
	for round := 1; round <= 80; round++ {
		if batch := ShuffledRound(r, 4, round, uint64(round)); len(batch) > 0 {
			h.committed(batch...)
		}
	}
	parts := h.parts(store.PartFilter{})
	if len(parts) == 0 {
		t.Fatal("no active parts")
	}
	// A serial on two hosts at once is a clash both record: the integrity
	// check after the case verifies it.
}

func testMovedAfterRemoval(t *testing.T, h *harness) {
	m := DIMM("A1", Crucial, "CT32G4RFD4293", "LATE0001")
	h.committed(Full(Inventory("rm-a", []*memledgerv1.MemoryModule{m}, nil), 1, At(0)))
	h.committed(Full(Inventory("rm-a", nil, nil), 2, At(1)))
	before := h.lastEventID()

	h.committed(Full(Inventory("rm-b", []*memledgerv1.MemoryModule{m}, nil), 1, At(4)))
	if got := h.kindsSince("rm-a", before); len(got) != 0 {
		t.Errorf("events on A: %v", got)
	}
	evs := h.wantKinds("rm-b", before, store.EventHostEnrolled, store.EventPartMoved)
	if d := details(t, evs[1]); d["from_host_id"] != "rm-a" || d["was_active_on_from_host"] != false {
		t.Errorf("details %v", d)
	}
	onA := h.parts(store.PartFilter{HostIDs: []string{"rm-a"}, Removed: store.OnlyRemoved})
	if len(onA) != 1 || !onA[0].RemovedAt.Equal(At(1)) {
		t.Errorf("A's removal time changed: %+v", onA)
	}

	// B drops it, then A reports it again: it was on B after it left A, so
	// it moved back (not "returned" as if it never left A's shelf).
	h.committed(Full(Inventory("rm-b", nil, nil), 2, At(5)))
	before = h.lastEventID()
	h.committed(Full(Inventory("rm-a", []*memledgerv1.MemoryModule{m}, nil), 3, At(6)))
	evs = h.wantKinds("rm-a", before, store.EventPartMoved)
	if d := details(t, evs[0]); d["from_host_id"] != "rm-b" {
		t.Errorf("details %v", d)
	}
	// A drops it and gets it back, with no other host in between: returned.
	h.committed(Full(Inventory("rm-a", nil, nil), 4, At(7)))
	before = h.lastEventID()
	h.committed(Full(Inventory("rm-a", []*memledgerv1.MemoryModule{m}, nil), 5, At(8)))
	h.wantKinds("rm-a", before, store.EventPartReturned)
	h.wantKinds("rm-b", before)
}

func testPlaceholderSerials(t *testing.T, h *harness) {
	var mods []*memledgerv1.MemoryModule
	for _, c := range []struct{ slot, serial string }{
		{"DIMM_A1", "00000000"}, {"DIMM_A2", "00000000"}, {"DIMM_B1", "SerNum0"}, {"DIMM_B2", "Not Specified"}, {"DIMM_C1", ""},
	} {
		mods = append(mods, DIMM(c.slot, Hynix, "HMA84GR7CJR4N-XN", c.serial))
	}
	inv := Inventory("ph-a", mods, nil)
	h.committed(Full(inv, 1, At(0)))
	ps := h.parts(store.PartFilter{HostIDs: []string{"ph-a"}})
	if len(ps) != 5 {
		t.Fatalf("parts %d, want 5 (placeholder serials must not merge modules)", len(ps))
	}
	for _, p := range ps {
		if p.RealSerial {
			t.Errorf("part in %s with serial %q counted as real", p.Slot, p.SerialNumber)
		}
	}
	if want := "part added: SK hynix DIMM HMA84GR7CJR4N-XN without serial in slot " + SlotOf("DIMM_A1"); h.events(store.EventFilter{HostID: "ph-a", Kinds: []store.EventKind{store.EventPartAdded}})[0].Message != want {
		t.Errorf("placeholder message, want %q", want)
	}
	// Same report again: no change.
	before := h.lastEventID()
	h.committed(Full(Inventory("ph-a", mods, nil), 2, At(1)))
	h.wantKinds("ph-a", before)

	// Another host with identical modules: its own parts, no move.
	h.committed(Full(Inventory("ph-b", mods, nil), 1, At(2)))
	h.wantKinds("ph-a", before)
	if n := len(h.parts(store.PartFilter{HostIDs: []string{"ph-b"}})); n != 5 {
		t.Errorf("host B parts %d, want 5", n)
	}
	if n := len(h.parts(store.PartFilter{HostIDs: []string{"ph-a"}})); n != 5 {
		t.Errorf("host A parts %d after B, want 5", n)
	}

	// A placeholder module moved to another slot cannot be recognised:
	// removed + added.
	moved := append([]*memledgerv1.MemoryModule{}, mods[1:]...)
	m := proto.Clone(mods[0]).(*memledgerv1.MemoryModule)
	m.Locator = "DIMM_D1"
	moved = append(moved, m)
	before = h.lastEventID()
	h.committed(Full(Inventory("ph-a", moved, nil), 3, At(3)))
	h.wantKinds("ph-a", before, store.EventPartRemoved, store.EventPartAdded)

	// A repeated real-looking serial within one inventory is not trusted.
	dup := []*memledgerv1.MemoryModule{DIMM("X1", Micron, "36ASF8G72PZ", "12345678"), DIMM("X2", Micron, "36ASF8G72PZ", "12345678")}
	h.committed(Full(Inventory("ph-c", dup, nil), 1, At(4)))
	if ps := h.parts(store.PartFilter{HostIDs: []string{"ph-c"}}); len(ps) != 2 || ps[0].RealSerial || ps[1].RealSerial {
		t.Errorf("repeated serial: %+v", ps)
	}
}

func testFieldsChanged(t *testing.T, h *harness) {
	d := Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "S64FNE0R900001", "GDC5602Q")
	h.committed(Full(Inventory("fw", nil, []*memledgerv1.StorageDevice{d}), 1, At(0)))
	id := h.parts(store.PartFilter{HostIDs: []string{"fw"}})[0].ID
	before := h.lastEventID()

	up := proto.Clone(d).(*memledgerv1.StorageDevice)
	up.Firmware = "GDC5A02Q"
	h.committed(Full(Inventory("fw", nil, []*memledgerv1.StorageDevice{up}), 2, At(1)))
	evs := h.wantKinds("fw", before, store.EventFieldsChanged)
	if evs[0].PartID != id || !strings.Contains(evs[0].Message, "firmware GDC5602Q -> GDC5A02Q") {
		t.Errorf("fields event %+v", evs[0])
	}
	det := details(t, evs[0])
	if fields, _ := det["fields"].([]any); len(fields) != 1 || fields[0] != "firmware" {
		t.Errorf("details fields %v", det["fields"])
	}
	p := h.parts(store.PartFilter{HostIDs: []string{"fw"}})
	if len(p) != 1 || p[0].ID != id || p[0].Firmware != "GDC5A02Q" || p[0].Drive.GetFirmware() != "GDC5A02Q" {
		t.Errorf("after firmware change: %+v", p)
	}

	// A drive renamed by the kernel (nvme0n1 -> nvme1n1) is the same drive
	// with a changed field, not a move.
	before = h.lastEventID()
	ren := proto.Clone(up).(*memledgerv1.StorageDevice)
	ren.Name = "nvme1n1"
	h.committed(Full(Inventory("fw", nil, []*memledgerv1.StorageDevice{ren}), 3, At(2)))
	evs = h.wantKinds("fw", before, store.EventFieldsChanged)
	if !strings.Contains(evs[0].Message, "name nvme0n1 -> nvme1n1") {
		t.Errorf("rename message %q", evs[0].Message)
	}
	if p := h.parts(store.PartFilter{HostIDs: []string{"fw"}}); p[0].Slot != "nvme1n1" || p[0].ID != id {
		t.Errorf("after rename: %+v", p[0])
	}
}

func testHostFactsChanged(t *testing.T, h *harness) {
	inv := Inventory("facts", nil, nil)
	h.committed(Full(inv, 1, At(0)))
	before := h.lastEventID()
	up := Inventory("facts", nil, nil)
	up.Host.Kernel = "6.1.0-21-amd64"
	h.committed(Full(up, 2, At(1)))
	evs := h.wantKinds("facts", before, store.EventFieldsChanged)
	if evs[0].PartID != 0 || !strings.Contains(evs[0].Message, "kernel 6.1.0-18-amd64 -> 6.1.0-21-amd64") {
		t.Errorf("host fields event %+v", evs[0])
	}
	if host := h.host("facts"); host.Kernel != "6.1.0-21-amd64" {
		t.Errorf("kernel %q", host.Kernel)
	}
}

func testLabels(t *testing.T, h *harness) {
	h.committed(Full(Inventory("lab", nil, nil), 1, At(0)), Full(Inventory("lab2", nil, nil), 1, At(0)))
	before := h.lastEventID()

	if err := h.s.SetLabels(h.ctx, "lab", map[string]string{"env": "staging", "owner": "team-db"}, []string{"rack"}); err != nil {
		t.Fatalf("SetLabels: %v", err)
	}
	host := h.host("lab")
	if want := map[string]string{"env": "staging", "owner": "team-db"}; !reflect.DeepEqual(host.Labels, want) {
		t.Errorf("effective labels %v, want %v", host.Labels, want)
	}
	if want := map[string]string{"env": "prod", "rack": "r1"}; !reflect.DeepEqual(host.AgentLabels, want) {
		t.Errorf("agent labels %v", host.AgentLabels)
	}
	if !reflect.DeepEqual(host.LabelsUnset, []string{"rack"}) || host.LabelOverrides["env"] != "staging" {
		t.Errorf("overrides %v unset %v", host.LabelOverrides, host.LabelsUnset)
	}
	evs := h.wantKinds("lab", before, store.EventLabelsChanged)
	if !strings.Contains(evs[0].Message, "env=staging") || !strings.Contains(evs[0].Message, "rack removed") {
		t.Errorf("labels event %q", evs[0].Message)
	}

	sel := func(s string) []string {
		t.Helper()
		sels, err := store.ParseSelectors(s)
		if err != nil {
			t.Fatalf("ParseSelectors(%q): %v", s, err)
		}
		hs, err := h.s.Hosts(h.ctx, store.HostFilter{Labels: sels})
		if err != nil {
			t.Fatalf("Hosts(%q): %v", s, err)
		}
		var ids []string
		for _, x := range hs {
			ids = append(ids, x.ID)
		}
		return ids
	}
	for _, c := range []struct {
		sel  string
		want []string
	}{
		{"env=staging", []string{"lab"}},
		{"env=prod", []string{"lab2"}},
		{"env!=prod", []string{"lab"}},
		{"rack", []string{"lab2"}},
		{"!rack", []string{"lab"}},
		{"env=prod,rack=r1", []string{"lab2"}},
		{"owner=team-db,!rack", []string{"lab"}},
		{"env=nowhere", nil},
		{"", []string{"lab", "lab2"}},
	} {
		if got := sel(c.sel); !reflect.DeepEqual(got, c.want) {
			t.Errorf("selector %q: %v, want %v", c.sel, got, c.want)
		}
	}

	// The agent changes its labels: the overrides still win, the hidden key
	// stays hidden, a new agent key shows.
	before = h.lastEventID()
	inv := Inventory("lab", nil, nil)
	inv.Host.Labels = map[string]string{"env": "prod", "rack": "r9", "zone": "eu-1"}
	h.committed(Full(inv, 2, At(1)))
	host = h.host("lab")
	if want := map[string]string{"env": "staging", "owner": "team-db", "zone": "eu-1"}; !reflect.DeepEqual(host.Labels, want) {
		t.Errorf("effective labels after agent change %v, want %v", host.Labels, want)
	}
	h.wantKinds("lab", before, store.EventLabelsChanged)
	if got := sel("zone=eu-1"); !reflect.DeepEqual(got, []string{"lab"}) {
		t.Errorf("zone selector %v", got)
	}
	// Parts filter by host label.
	if _, err := h.s.Parts(h.ctx, store.PartFilter{HostLabels: []store.LabelSelector{{Key: "env", Op: store.LabelEquals, Value: "staging"}}}); err != nil {
		t.Errorf("Parts by label: %v", err)
	}

	// Setting an unset key shows it again; same overrides twice: no event.
	if err := h.s.SetLabels(h.ctx, "lab", map[string]string{"rack": "r10"}, nil); err != nil {
		t.Fatal(err)
	}
	if host := h.host("lab"); host.Labels["rack"] != "r10" || len(host.LabelsUnset) != 0 {
		t.Errorf("after re-set: %v unset %v", host.Labels, host.LabelsUnset)
	}
	before = h.lastEventID()
	if err := h.s.SetLabels(h.ctx, "lab", map[string]string{"rack": "r10"}, nil); err != nil {
		t.Fatal(err)
	}
	h.wantKinds("lab", before)

	for _, c := range []struct {
		name  string
		host  string
		set   map[string]string
		unset []string
		want  error
	}{
		{"unknown host", "nope", map[string]string{"a": "b"}, nil, store.ErrNotFound},
		{"empty key", "lab", map[string]string{"": "b"}, nil, store.ErrInvalid},
		{"key with =", "lab", map[string]string{"a=b": "c"}, nil, store.ErrInvalid},
		{"key with comma", "lab", nil, []string{"a,b"}, store.ErrInvalid},
		{"NUL in value", "lab", map[string]string{"a": "b\x00c"}, nil, store.ErrInvalid},
		{"set and unset", "lab", map[string]string{"a": "b"}, []string{"a"}, store.ErrInvalid},
	} {
		if err := h.s.SetLabels(h.ctx, c.host, c.set, c.unset); !errors.Is(err, c.want) {
			t.Errorf("SetLabels %s: %v, want %v", c.name, err, c.want)
		}
	}
}

func testAsOf(t *testing.T, h *harness) {
	// A Micron DIMM present before the rule took effect (day 10), another
	// that appeared afterwards (day 12).
	early := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "EARLY001")
	late := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "LATE0001")
	h.committed(Full(Inventory("asof", []*memledgerv1.MemoryModule{early}, nil), 1, At(3)))
	h.committed(Full(Inventory("asof", []*memledgerv1.MemoryModule{early, late}, nil), 2, At(12)))
	h.committed(Full(Inventory("asof", []*memledgerv1.MemoryModule{late}, nil), 3, At(20)))
	for _, c := range []struct {
		at   time.Time
		want []string
	}{
		{At(2), nil},
		{At(3), []string{"EARLY001"}}, // first_seen <= t
		{At(10), []string{"EARLY001"}},
		{At(12), []string{"EARLY001", "LATE0001"}},
		{At(20), []string{"LATE0001"}}, // removed_at > t fails at equality
		{At(30), []string{"LATE0001"}},
	} {
		got := serials(h.parts(store.PartFilter{AsOf: c.at, Vendor: "micron", HostIDs: []string{"asof"}}))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("AsOf %v: %v, want %v", c.at, got, c.want)
		}
	}
}

func testForEachPart(t *testing.T, h *harness) {
	// Day 3: first inventory (baseline) with one DIMM and one drive; day 12:
	// a second DIMM arrives; day 20: the first DIMM is removed.
	early := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "FEPEARLY")
	late := DIMM("A2", Crucial, "CT32G4RFD4", "FEPLATE1")
	late.DramVendor = Micron
	drive := Drive("nvme0n1", Phison, "PS5021-E21", "FEPDRIVE", "1.0")
	h.committed(Full(Inventory("fep", []*memledgerv1.MemoryModule{early}, []*memledgerv1.StorageDevice{drive}), 1, At(3)))
	h.committed(Full(Inventory("fep", []*memledgerv1.MemoryModule{early, late}, []*memledgerv1.StorageDevice{drive}), 2, At(12)))
	h.committed(Full(Inventory("fep", []*memledgerv1.MemoryModule{late}, []*memledgerv1.StorageDevice{drive}), 3, At(20)))
	collect := func(f store.PartFilter) map[string]store.PartBrief {
		t.Helper()
		got := map[string]store.PartBrief{}
		if err := h.s.ForEachPart(h.ctx, f, func(p store.PartBrief) error {
			got[p.SerialNumber] = p
			return nil
		}); err != nil {
			t.Fatalf("ForEachPart(%+v): %v", f, err)
		}
		return got
	}
	all := collect(store.PartFilter{HostIDs: []string{"fep"}, Removed: store.IncludeRemoved})
	full := bySerial(h.parts(store.PartFilter{HostIDs: []string{"fep"}, Removed: store.IncludeRemoved}))
	if len(all) != 3 || len(full) != 3 {
		t.Fatalf("ForEachPart gave %d parts, Parts %d; want 3", len(all), len(full))
	}
	for serial, want := range full {
		got := all[serial]
		var removed time.Time
		if want.RemovedAt != nil {
			removed = *want.RemovedAt
		}
		if got.ID != want.ID || got.HostID != "fep" || got.Kind != want.Kind || got.Slot != want.Slot ||
			got.MakerID != want.Maker.ID || got.MakerParent != want.Maker.Parent ||
			got.DRAMID != want.DRAM.ID || got.DRAMParent != want.DRAM.Parent ||
			got.PartNumber != want.PartNumber || !got.FirstSeen.Equal(want.FirstSeen) || !got.RemovedAt.Equal(removed) {
			t.Errorf("%s: brief %+v does not agree with part %+v", serial, got, want)
		}
	}
	for serial, want := range map[string]bool{"FEPEARLY": true, "FEPDRIVE": true, "FEPLATE1": false} {
		if all[serial].InBaseline != want {
			t.Errorf("%s: InBaseline %v, want %v", serial, all[serial].InBaseline, want)
		}
	}
	if got := collect(store.PartFilter{HostIDs: []string{"fep"}}); len(got) != 2 || got["FEPEARLY"].ID != 0 {
		t.Errorf("active only: %v, want FEPLATE1 and FEPDRIVE", got)
	}
	if got := collect(store.PartFilter{HostIDs: []string{"fep"}, AsOf: At(12)}); len(got) != 3 {
		t.Errorf("AsOf day 12: %d parts, want 3", len(got))
	}
	if got := collect(store.PartFilter{HostIDs: []string{"fep"}, Vendor: "micron", Removed: store.IncludeRemoved}); len(got) != 2 {
		t.Errorf("vendor micron: %d parts, want 2 (Micron DIMM, Crucial DIMM)", len(got))
	}
	stop := errors.New("stop")
	n := 0
	err := h.s.ForEachPart(h.ctx, store.PartFilter{HostIDs: []string{"fep"}, Removed: store.IncludeRemoved}, func(store.PartBrief) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: got %v after %d calls, want stop after 1", err, n)
	}
}

func testForEachPartGroup(t *testing.T, h *harness) {
	// Day 3: two Micron DIMMs of one part number and a drive (baseline);
	// day 12: a third Micron DIMM; day 20: one of the first two removed.
	a1 := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "GRPA1")
	a2 := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "GRPA2")
	b1 := DIMM("B1", Micron, "36ASF8G72PZ-2G3B1", "GRPB1")
	drive := Drive("nvme0n1", Phison, "PS5021-E21", "GRPDRIVE", "1.0")
	drives := []*memledgerv1.StorageDevice{drive}
	h.committed(Full(Inventory("grp", []*memledgerv1.MemoryModule{a1, a2}, drives), 1, At(3)))
	h.committed(Full(Inventory("grp", []*memledgerv1.MemoryModule{a1, a2, b1}, drives), 2, At(12)))
	h.committed(Full(Inventory("grp", []*memledgerv1.MemoryModule{a2, b1}, drives), 3, At(20)))
	h.committed(Full(Inventory("grp2", nil, []*memledgerv1.StorageDevice{Drive("nvme0n1", Phison, "PS5021-E21", "GRP2DRV", "1.0")}), 1, At(5)))
	collect := func(f store.PartFilter) []string {
		t.Helper()
		var out []string
		if err := h.s.ForEachPartGroup(h.ctx, f, func(g store.PartGroup) error {
			removed := "-"
			if !g.RemovedAt.IsZero() {
				removed = g.RemovedAt.Format(time.DateOnly)
			}
			out = append(out, fmt.Sprintf("%s %s %s/%s %s first=%s removed=%s baseline=%v n=%d", g.HostID, g.Kind, g.MakerID, g.MakerParent,
				g.PartNumber, g.FirstSeen.Format(time.DateOnly), removed, g.InBaseline, g.Count))
			return nil
		}); err != nil {
			t.Fatalf("ForEachPartGroup(%+v): %v", f, err)
		}
		sort.Strings(out)
		return out
	}
	grp := []string{"grp", "grp2"}
	want := []string{
		"grp drive phison/phison PS5021-E21 first=2025-03-04 removed=- baseline=true n=1",
		"grp memory micron/micron 36ASF8G72PZ-2G3B1 first=2025-03-04 removed=- baseline=true n=1",
		"grp memory micron/micron 36ASF8G72PZ-2G3B1 first=2025-03-04 removed=2025-03-21 baseline=true n=1",
		"grp memory micron/micron 36ASF8G72PZ-2G3B1 first=2025-03-13 removed=- baseline=false n=1",
		"grp2 drive phison/phison PS5021-E21 first=2025-03-06 removed=- baseline=true n=1",
	}
	if got := collect(store.PartFilter{HostIDs: grp, Removed: store.IncludeRemoved}); !reflect.DeepEqual(got, want) {
		t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Alike parts are one group.
	h.committed(Full(Inventory("grp3", []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "G3A1"), DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "G3A2"),
		DIMM("A3", Micron, "36ASF8G72PZ-2G3B1", "G3A3")}, nil), 1, At(3)))
	if got := collect(store.PartFilter{HostIDs: []string{"grp3"}}); len(got) != 1 || !strings.HasSuffix(got[0], "n=3") {
		t.Errorf("three alike DIMMs: %v, want one group of 3", got)
	}
	// The removal filter hides groups but not the host's baseline date.
	active := collect(store.PartFilter{HostIDs: grp})
	if len(active) != 4 || !strings.Contains(strings.Join(active, "\n"), "first=2025-03-04 removed=- baseline=true") {
		t.Errorf("active groups: %v", active)
	}
	if got := collect(store.PartFilter{HostIDs: grp, Removed: store.OnlyRemoved}); len(got) != 1 || !strings.Contains(got[0], "baseline=true") {
		t.Errorf("removed groups: %v", got)
	}
	if got := collect(store.PartFilter{HostIDs: grp, HostLabels: []store.LabelSelector{{Key: "env", Op: store.LabelEquals, Value: "test"}}}); len(got) != 0 {
		t.Errorf("label filter env=test: %v, want none", got)
	}
	for _, bad := range []store.PartFilter{{Vendor: "micron"}, {AsOf: At(3)}, {Limit: 1}, {IDs: []int64{1}}, {Kinds: []store.PartKind{store.KindDrive}}} {
		err := h.s.ForEachPartGroup(h.ctx, bad, func(store.PartGroup) error { return nil })
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unsupported filter %+v: %v, want ErrInvalid", bad, err)
		}
	}
}

func testForEachHost(t *testing.T, h *harness) {
	h.committed(Full(Inventory("feh-1", nil, nil), 1, At(1)), Full(Inventory("feh-2", nil, nil), 1, At(2)))
	// A heartbeat enrolls an unknown host without labels (NeedFull).
	h.expect([]store.Status{store.NeedFull}, Heartbeat("feh-3", 1, At(3), strings.Repeat("0", 64)))
	if err := h.s.SetLabels(h.ctx, "feh-2", map[string]string{"team": "db"}, []string{"rack"}); err != nil {
		t.Fatal(err)
	}
	var got []store.HostBrief
	err := h.s.ForEachHost(h.ctx, store.HostFilter{IDs: []string{"feh-3", "feh-2", "feh-1"}}, func(b store.HostBrief) error {
		got = append(got, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != "feh-1" || got[1].ID != "feh-2" || got[2].ID != "feh-3" {
		t.Fatalf("hosts %+v, want feh-1, feh-2, feh-3", got)
	}
	full := h.host("feh-2")
	if !reflect.DeepEqual(got[1].Labels, full.Labels) || got[1].Hostname != full.Hostname ||
		!got[1].FirstSeen.Equal(full.FirstSeen) || !got[1].LastSeen.Equal(full.LastSeen) {
		t.Errorf("brief %+v does not agree with host %+v", got[1], full)
	}
	if got[2].Labels == nil || len(got[2].Labels) != 0 {
		t.Errorf("host without labels: %v, want an empty map", got[2].Labels)
	}
	var sel []string
	err = h.s.ForEachHost(h.ctx, store.HostFilter{Labels: []store.LabelSelector{{Key: "team", Op: store.LabelEquals, Value: "db"}}}, func(b store.HostBrief) error {
		sel = append(sel, b.ID)
		return nil
	})
	if err != nil || !reflect.DeepEqual(sel, []string{"feh-2"}) {
		t.Errorf("team=db: %v, %v", sel, err)
	}
	stop := errors.New("stop")
	if err := h.s.ForEachHost(h.ctx, store.HostFilter{}, func(store.HostBrief) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
}

func testVendorFilter(t *testing.T, h *harness) {
	kingstonMicronDies := DIMM("A3", Kingston, "KSM32RD4/32MRR", "KING0001")
	kingstonMicronDies.DramVendor = Micron
	kingstonHynixDies := DIMM("A4", Kingston, "KSM32RD4/32HDR", "KING0002")
	kingstonHynixDies.DramVendor = Hynix
	unknown := DIMM("A5", nil, "XYZ-UNKNOWN", "UNKN0001")
	unknown.ManufacturerRaw = "859B"
	phisonCtl := Drive("nvme0n1", Kingston, "KINGSTON SNV2S500G", "50026B7785A1", "SBI02102")
	phisonCtl.ControllerVendor = Phison
	mods := []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MICR0001"),
		DIMM("A2", Crucial, "CT32G4RFD4293", "CRUC0001"),
		kingstonMicronDies, kingstonHynixDies,
		DIMM("A6", Samsung, "M393A4K40DB3-CWE", "SAMS0001"),
		unknown,
		// Stored by an agent that knew goodram by its former slug.
		DIMM("A7", &memledgerv1.Vendor{Id: "wilkelektroniksa", Name: "Wilk Elektronik", Parent: "wilkelektroniksa"}, "GR3200D464L22/16G", "WILK0001"),
		DIMM("A8", &memledgerv1.Vendor{Id: "goodram", Name: "GOODRAM", Parent: "goodram"}, "GR3200D464L22/16G", "GOOD0001"),
	}
	h.committed(Full(Inventory("vend", mods, []*memledgerv1.StorageDevice{phisonCtl}), 1, At(0)))
	for _, c := range []struct {
		vendor    string
		makerOnly bool
		want      []string
	}{
		{"micron", false, []string{"CRUC0001", "KING0001", "MICR0001"}},
		{"micron", true, []string{"CRUC0001", "MICR0001"}},
		{"MICRON", true, []string{"CRUC0001", "MICR0001"}},
		{"crucial", false, []string{"CRUC0001"}},
		{"kingston", false, []string{"50026B7785A1", "KING0001", "KING0002"}},
		{"skhynix", false, []string{"KING0002"}},
		{"phison", false, nil}, // controller makers are not makers of the drive
		{"859b", false, nil},   // raw strings are never a vendor
		{"goodram", false, []string{"GOOD0001", "WILK0001"}},
		{"wilkelektroniksa", true, []string{"GOOD0001", "WILK0001"}}, // a former slug names the maker
		{"", false, []string{"50026B7785A1", "CRUC0001", "GOOD0001", "KING0001", "KING0002", "MICR0001", "SAMS0001", "UNKN0001", "WILK0001"}},
	} {
		got := serials(h.parts(store.PartFilter{Vendor: c.vendor, MakerOnly: c.makerOnly}))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("vendor %q makerOnly %v: %v, want %v", c.vendor, c.makerOnly, got, c.want)
		}
	}
	ps := bySerial(h.parts(store.PartFilter{}))
	if u := ps["UNKN0001"]; u.Maker.ID != "" || u.ManufacturerRaw != "859B" {
		t.Errorf("unknown maker part: %+v", u.Maker)
	}
	if k := ps["KING0001"]; k.DRAM.ID != "micron" || k.Maker.ID != "kingston" {
		t.Errorf("kingston part: maker %+v dram %+v", k.Maker, k.DRAM)
	}
	if d := ps["50026B7785A1"]; d.Controller.ID != "phison" {
		t.Errorf("drive controller %+v", d.Controller)
	}
	// Kinds and limit.
	if got := h.parts(store.PartFilter{Kinds: []store.PartKind{store.KindDrive}}); len(got) != 1 {
		t.Errorf("drives: %d", len(got))
	}
	if got := h.parts(store.PartFilter{Limit: 2}); len(got) != 2 {
		t.Errorf("limit 2: %d", len(got))
	}
}

func testHostFilter(t *testing.T, h *harness) {
	h.committed(Full(Inventory("hf-1", nil, nil), 1, At(0)), Full(Inventory("hf-2", nil, nil), 1, At(0)), Full(Inventory("hf-3", nil, nil), 1, At(0)))
	get := func(f store.HostFilter) []string {
		t.Helper()
		hs, err := h.s.Hosts(h.ctx, f)
		if err != nil {
			t.Fatalf("Hosts: %v", err)
		}
		var ids []string
		for _, x := range hs {
			ids = append(ids, x.ID)
		}
		return ids
	}
	for _, c := range []struct {
		f    store.HostFilter
		want []string
	}{
		{store.HostFilter{}, []string{"hf-1", "hf-2", "hf-3"}},
		{store.HostFilter{IDs: []string{"hf-3", "hf-1", "zz"}}, []string{"hf-1", "hf-3"}},
		{store.HostFilter{Hostnames: []string{"hf-2.example.net"}}, []string{"hf-2"}},
		{store.HostFilter{IDs: []string{"hf-1"}, Hostnames: []string{"hf-2.example.net"}}, nil},
		{store.HostFilter{IDs: []string{"x' OR '1'='1"}}, nil},
	} {
		if got := get(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Hosts(%+v): %v, want %v", c.f, got, c.want)
		}
	}
}

func testEventFilter(t *testing.T, h *harness) {
	m1 := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "EVT00001")
	m2 := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "EVT00002")
	h.committed(Full(Inventory("ev", []*memledgerv1.MemoryModule{m1}, nil), 1, At(0)))
	h.committed(Full(Inventory("ev", []*memledgerv1.MemoryModule{m1, m2}, nil), 2, At(2)))
	h.committed(Full(Inventory("ev", []*memledgerv1.MemoryModule{m2}, nil), 3, At(4)))
	h.committed(Full(Inventory("other", nil, nil), 1, At(4)))

	all := h.events(store.EventFilter{HostID: "ev"})
	if len(all) != 4 {
		t.Fatalf("events %d, want 4", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Fatalf("events not in id order")
		}
	}
	count := func(f store.EventFilter) int { t.Helper(); return len(h.events(f)) }
	for _, c := range []struct {
		name string
		f    store.EventFilter
		want int
	}{
		{"since day 2", store.EventFilter{HostID: "ev", Since: At(2)}, 2},
		{"until day 2", store.EventFilter{HostID: "ev", Until: At(2)}, 2},
		{"window", store.EventFilter{HostID: "ev", Since: At(1), Until: At(3)}, 1},
		{"kinds", store.EventFilter{HostID: "ev", Kinds: []store.EventKind{store.EventPartAdded, store.EventPartRemoved}}, 3},
		{"limit", store.EventFilter{HostID: "ev", Limit: 3}, 3},
		{"after id", store.EventFilter{HostID: "ev", AfterID: all[1].ID}, 2},
		{"all hosts", store.EventFilter{}, 5},
		{"unknown host", store.EventFilter{HostID: "nope"}, 0},
		{"part", store.EventFilter{PartID: all[1].PartID}, 2},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d events, want %d", c.name, got, c.want)
		}
	}
	newest := h.events(store.EventFilter{HostID: "ev", Newest: true, Limit: 2})
	if len(newest) != 2 || newest[0].ID != all[3].ID || newest[1].ID != all[2].ID {
		t.Errorf("newest: %+v", newest)
	}
}

func testAppendEvents(t *testing.T, h *harness) {
	h.committed(Full(Inventory("pol", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "POL00001")}, nil), 1, At(0)))
	h.committed(Full(Inventory("pol2", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "POL00002")}, nil), 1, At(0)))
	part := h.parts(store.PartFilter{HostIDs: []string{"pol"}})[0]
	other := h.parts(store.PartFilter{HostIDs: []string{"pol2"}})[0]

	err := h.s.AppendEvents(h.ctx, []store.Event{
		{Time: At(5), HostID: "pol", PartID: part.ID, Kind: store.EventPolicyStatus, Message: "policy: micron-ddr4 denied", Details: json.RawMessage(`{"rule":"no-micron","status":"denied"}`)},
		{HostID: "pol", Kind: store.EventPolicyStatus, Message: "host status changed"},
	})
	if err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	evs := h.events(store.EventFilter{Kinds: []store.EventKind{store.EventPolicyStatus}})
	if len(evs) != 2 || evs[0].PartID != part.ID || !evs[0].Time.Equal(At(5)) || evs[0].Message != "policy: micron-ddr4 denied" {
		t.Fatalf("policy events: %+v", evs)
	}
	if d := details(t, evs[0]); d["rule"] != "no-micron" {
		t.Errorf("details %v", d)
	}
	if string(evs[1].Details) != "{}" || evs[1].Time.IsZero() {
		t.Errorf("defaults: details %q time %v", evs[1].Details, evs[1].Time)
	}

	before := h.lastEventID()
	for _, c := range []struct {
		name string
		ev   store.Event
		want error
	}{
		{"no kind", store.Event{HostID: "pol"}, store.ErrInvalid},
		{"no host", store.Event{Kind: store.EventPolicyStatus}, store.ErrInvalid},
		{"unknown host", store.Event{HostID: "nope", Kind: store.EventPolicyStatus}, store.ErrNotFound},
		{"unknown part", store.Event{HostID: "pol", PartID: 1 << 40, Kind: store.EventPolicyStatus}, store.ErrNotFound},
		{"part of another host", store.Event{HostID: "pol", PartID: other.ID, Kind: store.EventPolicyStatus}, store.ErrNotFound},
		{"details not JSON", store.Event{HostID: "pol", Kind: store.EventPolicyStatus, Details: json.RawMessage(`{"a":`)}, store.ErrInvalid},
		{"details not an object", store.Event{HostID: "pol", Kind: store.EventPolicyStatus, Details: json.RawMessage(`[1]`)}, store.ErrInvalid},
	} {
		// The valid first event must not be committed when a later one fails.
		batch := []store.Event{{HostID: "pol", Kind: store.EventPolicyStatus, Message: "ok"}, c.ev}
		if err := h.s.AppendEvents(h.ctx, batch); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if id := h.lastEventID(); id != before {
		t.Errorf("failed AppendEvents committed events")
	}
}

func testRejected(t *testing.T, h *harness) {
	good := FullHost("rej")
	wrongHost := FullHost("rej")
	wrongHost.Host.HostId = "someone-else"
	out := h.expect([]store.Status{store.Committed, store.Rejected, store.Rejected, store.Rejected, store.Rejected, store.Rejected, store.Rejected, store.Committed},
		Full(good, 1, At(0)),
		store.Report{HostID: "rej", Sequence: 0, Inventory: good},                         // sequence 0
		store.Report{HostID: "", Sequence: 2, Inventory: good},                            // no host
		store.Report{HostID: "rej", Sequence: 2},                                          // no body
		store.Report{HostID: "rej", Sequence: 2, Inventory: good, HeartbeatDigest: "ab"},  // both bodies
		store.Report{HostID: "rej", Sequence: 2, HeartbeatDigest: "not-a-digest"},         // bad digest
		store.Report{HostID: "rej", Sequence: 2, ReceivedAt: At(1), Inventory: wrongHost}, // host id mismatch
		Heartbeat("rej", 2, At(1), Digest(t, good)),
	)
	for i := 1; i <= 6; i++ {
		if !errors.Is(out[i].Err, store.ErrInvalid) || out[i].Message == "" {
			t.Errorf("rejected outcome %d: %+v", i, out[i])
		}
	}
	if host := h.host("rej"); host.LastSequence != 2 {
		t.Errorf("last sequence %d, want 2", host.LastSequence)
	}
	if _, err := h.s.Host(h.ctx, "someone-else"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mismatched host enrolled: %v", err)
	}
	// An all-rejected batch, and an empty one, change nothing and do not fail.
	h.expect([]store.Status{store.Rejected}, store.Report{HostID: "rej"})
	if out, err := h.s.Apply(h.ctx, nil); err != nil || len(out) != 0 {
		t.Errorf("empty batch: %v %v", out, err)
	}
}

func testConcurrentDifferentHosts(t *testing.T, h *harness) {
	const workers, hostsPer, reports = 4, 3, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 1; r <= reports; r++ {
				var batch []store.Report
				for i := 0; i < hostsPer; i++ {
					inv := FullHost(fmt.Sprintf("cc-%d-%d", w, i))
					if r%2 == 0 { // every other report swaps a module
						inv.MemoryModules[0].SerialNumber = fmt.Sprintf("SWAP-%d-%d-%d", w, i, r)
					}
					batch = append(batch, Full(inv, uint64(r), At(r)))
				}
				out, err := h.s.Apply(h.ctx, batch)
				if err != nil {
					errs <- err
					return
				}
				for _, o := range out {
					if o.Status != store.Committed {
						errs <- fmt.Errorf("worker %d report %d: %v %s", w, r, o.Status, o.Message)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	hosts, err := h.s.Hosts(h.ctx, store.HostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != workers*hostsPer {
		t.Fatalf("hosts %d, want %d", len(hosts), workers*hostsPer)
	}
	for _, host := range hosts {
		if host.ActiveParts != 20 || host.LastSequence != reports {
			t.Errorf("host %s: active %d seq %d", host.ID, host.ActiveParts, host.LastSequence)
		}
	}
	// Per host: 20 + 2 swapped-in modules (reports 2 and 4) + the original
	// module back (report 3) reuses its row: 22 rows.
	all := h.parts(store.PartFilter{Removed: store.IncludeRemoved})
	if want := workers * hostsPer * 22; len(all) != want {
		t.Errorf("part rows %d, want %d", len(all), want)
	}
	added := h.events(store.EventFilter{Kinds: []store.EventKind{store.EventPartAdded}})
	if len(added) != len(all) {
		t.Errorf("part_added events %d for %d part rows", len(added), len(all))
	}
}

func testConcurrentSameHost(t *testing.T, h *harness) {
	const workers, perWorker = 4, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[store.Status]int{}
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				seq := uint64(i*workers + w + 1) // sequences interleave across workers
				inv := FullHost("shared")
				inv.MemoryModules[int(seq)%16].SerialNumber = fmt.Sprintf("VAR-%d", seq)
				out, err := h.s.Apply(h.ctx, []store.Report{Full(inv, seq, At(int(seq)))})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				counts[out[0].Status]++
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if counts[store.Committed]+counts[store.Duplicate] != workers*perWorker || counts[store.Committed] == 0 {
		t.Fatalf("outcomes %v", counts)
	}
	host := h.host("shared")
	if host.LastSequence != workers*perWorker || host.ActiveParts != 20 {
		t.Errorf("host seq %d active %d", host.LastSequence, host.ActiveParts)
	}
	all := h.parts(store.PartFilter{HostIDs: []string{"shared"}, Removed: store.IncludeRemoved})
	seen := map[string]bool{}
	for _, p := range all {
		if seen[p.Identity] {
			t.Errorf("identity %q stored twice", p.Identity)
		}
		seen[p.Identity] = true
	}
	added := h.events(store.EventFilter{HostID: "shared", Kinds: []store.EventKind{store.EventPartAdded}})
	if len(added) != len(all) {
		t.Errorf("part_added events %d for %d rows", len(added), len(all))
	}
	enrolled := h.events(store.EventFilter{HostID: "shared", Kinds: []store.EventKind{store.EventHostEnrolled}})
	if len(enrolled) != 1 {
		t.Errorf("host_enrolled events %d, want 1", len(enrolled))
	}
}

func testHostileValues(t *testing.T, h *harness) {
	const inject = `x'); DROP TABLE parts; --`
	m := DIMM("A1\x00evil", Micron, "PN'\"|\\\x00;--", "SER|IAL\\1\x00")
	m.ManufacturerRaw = inject
	m.AssetTag = strings.Repeat("€", 3000)
	d := Drive("nvme0n1", nil, inject, "S'"+inject, "FW\x00")
	inv := Inventory(inject, []*memledgerv1.MemoryModule{m}, []*memledgerv1.StorageDevice{d})
	inv.Host.Hostname = "host\x00name"
	inv.Host.Labels = map[string]string{"k\x00": "v\x00", "quote'": `"dq"`, "$1": "?1"}
	out := h.committed(Full(inv, 1, At(0)))
	if out[0].Events != 3 {
		t.Errorf("events %d, want 3", out[0].Events)
	}
	host := h.host(inject)
	if host.Hostname != "host\x00name" || !proto.Equal(host.Platform, inv.Host) {
		t.Errorf("hostname %q", host.Hostname)
	}
	if !reflect.DeepEqual(host.AgentLabels, inv.Host.Labels) {
		t.Errorf("agent labels %q, want %q", host.AgentLabels, inv.Host.Labels)
	}
	ps := h.parts(store.PartFilter{HostIDs: []string{inject}})
	if len(ps) != 2 {
		t.Fatalf("parts %d, want 2", len(ps))
	}
	mem := ps[1]
	if !proto.Equal(mem.Memory, m) || mem.PartNumber != m.PartNumber || mem.SerialNumber != m.SerialNumber || mem.ManufacturerRaw != inject {
		t.Errorf("memory part not stored exactly: %q %q", mem.PartNumber, mem.SerialNumber)
	}
	if !proto.Equal(ps[0].Drive, d) {
		t.Errorf("drive not stored exactly")
	}
	// Same report again: identities with NUL and separators are stable.
	h.committed(Full(inv, 2, At(1)))
	inv2 := proto.Clone(inv).(*memledgerv1.Inventory)
	inv2.AgentVersion = "0.1.1"
	h.committed(Full(inv2, 3, At(2)))
	if n := len(h.parts(store.PartFilter{HostIDs: []string{inject}, Removed: store.IncludeRemoved})); n != 2 {
		t.Errorf("parts after re-report %d, want 2", n)
	}
	for _, ev := range h.events(store.EventFilter{HostID: inject}) {
		if strings.ContainsRune(ev.Message, 0) || !json.Valid(ev.Details) {
			t.Errorf("event %d: message %q details %q", ev.ID, ev.Message, ev.Details)
		}
	}
	// Selectors and filters with hostile values match nothing and fail
	// nothing.
	sels := []store.LabelSelector{{Key: "quote'", Op: store.LabelEquals, Value: `"dq"`}}
	if hs, err := h.s.Hosts(h.ctx, store.HostFilter{Labels: sels}); err != nil || len(hs) != 1 {
		t.Errorf("hostile selector: %d hosts, %v", len(hs), err)
	}
	if ps, err := h.s.Parts(h.ctx, store.PartFilter{Vendor: inject}); err != nil || len(ps) != 0 {
		t.Errorf("hostile vendor: %d parts, %v", len(ps), err)
	}
	if evs, err := h.s.Events(h.ctx, store.EventFilter{HostID: "a\x00b", Kinds: []store.EventKind{inject}}); err != nil || len(evs) != 0 {
		t.Errorf("hostile event filter: %d, %v", len(evs), err)
	}
	if _, err := h.s.Host(h.ctx, "a\x00b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Host with NUL: %v, want ErrNotFound", err)
	}
	// Host ids that cannot be stored exactly are rejected, not mangled.
	for _, id := range []string{"a\x00b", "bad\xffutf8", strings.Repeat("h", pki.MaxHostIDBytes+1), strings.Repeat("h", 2000)} {
		h.expect([]store.Status{store.Rejected}, store.Report{HostID: id, Sequence: 1, HeartbeatDigest: strings.Repeat("0", 64)})
	}
	// Invalid UTF-8 inside the inventory cannot be encoded as protobuf: rejected.
	bad := Inventory("utf8", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "PN\xff", "S1")}, nil)
	h.expect([]store.Status{store.Rejected}, Full(bad, 1, At(0)))
	// The tables are intact.
	if hs, err := h.s.Hosts(h.ctx, store.HostFilter{}); err != nil || len(hs) != 1 {
		t.Errorf("hosts after hostile input: %d, %v", len(hs), err)
	}
}

func testClosed(t *testing.T, h *harness) {
	h.committed(Full(FullHost("closed"), 1, At(0)))
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := h.s.Apply(h.ctx, []store.Report{Full(FullHost("closed"), 2, At(1))}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Apply after Close: %v", err)
	}
	if _, err := h.s.Hosts(h.ctx, store.HostFilter{}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Hosts after Close: %v", err)
	}
}

// testMovesWithinOneBatch applies reports that move parts between hosts
// back and forth as one batch and, on a second store, one report per
// batch: every later report of a batch must see what earlier ones wrote
// (rows added, removed, moved), so both ledgers must come out the same.
func testMovesWithinOneBatch(t *testing.T, h *harness) {
	x := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "BTCH0001")
	y := DIMM("A2", Crucial, "CT32G4RFD4293", "BTCH0002")
	z := DIMM("A3", Micron, "36ASF8G72PZ-2G3B1", "BTCH0003")
	in := func(m *memledgerv1.MemoryModule, slot string) *memledgerv1.MemoryModule {
		c := proto.Clone(m).(*memledgerv1.MemoryModule)
		c.Locator = slot
		return c
	}
	mods := func(ms ...*memledgerv1.MemoryModule) []*memledgerv1.MemoryModule { return ms }
	setup := []store.Report{
		Full(Inventory("bm-a", mods(x, y), nil), 1, At(0)),
		Full(Inventory("bm-b", mods(z), nil), 1, At(0)),
		Full(Inventory("bm-c", nil, nil), 1, At(0)),
	}
	batch := []store.Report{
		// B reports x while A still lists it: a clash, A keeps it.
		Full(Inventory("bm-b", mods(z, in(x, "B2")), nil), 2, At(1)),
		// A reports without x and y: x moved to B; y goes to C (moved
		// after removal), a new part appears on A.
		Full(Inventory("bm-a", mods(DIMM("A4", Micron, "36ASF8G72PZ-2G3B1", "BTCH0004")), nil), 2, At(2)),
		Full(Inventory("bm-c", mods(in(y, "C1")), nil), 2, At(2)),
		// C and A report x while B lists it (clashes; A's old row
		// reopened) and A reports z, B's; B then leaves both out: x and z
		// moved from B to A.
		Full(Inventory("bm-c", mods(in(y, "C1"), in(x, "C2")), nil), 3, At(3)),
		Full(Inventory("bm-a", mods(x, in(z, "A3"), DIMM("A4", Micron, "36ASF8G72PZ-2G3B1", "BTCH0004")), nil), 3, At(4)),
		Full(Inventory("bm-b", nil, nil), 3, At(4)),
		// C drops y, and B gets it: moved after removal.
		Full(Inventory("bm-c", mods(in(x, "C2")), nil), 4, At(5)),
		Full(Inventory("bm-b", mods(in(y, "B1")), nil), 4, At(6)),
	}
	gotEvents := batchEqualsSingles(t, h, setup, batch)
	moves := 0
	for _, ev := range gotEvents {
		if ev.Kind == store.EventPartMoved {
			moves++
		}
	}
	// Moves: x A->B (2 events: A still held it), y A->C (1: removed
	// from A before), x B->A (2), z B->A (2), y C->B (1).
	if moves != 8 {
		t.Errorf("%d part_moved events, want 8", moves)
	}
}

// batchEqualsSingles applies setup, then batch as one batch, to h's store,
// and the same reports one per batch to a second store, and fails the
// test unless both ledgers hold the same parts and events (apart from
// event ids). It returns the events.
func batchEqualsSingles(t *testing.T, h *harness, setup, batch []store.Report) []store.Event {
	t.Helper()
	ledgerOf := func(h *harness, batches ...[]store.Report) ([]store.Part, []store.Event) {
		for _, b := range batches {
			h.committed(b...)
		}
		parts := h.parts(store.PartFilter{Removed: store.IncludeRemoved})
		sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
		return parts, h.events(store.EventFilter{})
	}
	gotParts, gotEvents := ledgerOf(h, setup, batch)
	singles := [][]store.Report{setup}
	for _, r := range batch {
		singles = append(singles, []store.Report{r})
	}
	other := &harness{t: t, s: h.open(t), ctx: h.ctx}
	wantParts, wantEvents := ledgerOf(other, singles...)

	if !reflect.DeepEqual(gotParts, wantParts) {
		t.Errorf("parts after one batch:\n%+v\nafter one report per batch:\n%+v", gotParts, wantParts)
	}
	if len(gotEvents) != len(wantEvents) {
		t.Fatalf("%d events after one batch, %d after one report per batch", len(gotEvents), len(wantEvents))
	}
	for i := range gotEvents {
		g, w := gotEvents[i], wantEvents[i]
		if g.HostID != w.HostID || g.Kind != w.Kind || g.PartID != w.PartID || g.Message != w.Message || !g.Time.Equal(w.Time) || string(g.Details) != string(w.Details) {
			t.Errorf("event %d: one batch %+v\none report per batch %+v", i, g, w)
		}
	}
	return gotEvents
}

// testAddedAndGoneInOneBatch: a part added by one report and removed,
// brought back, changed or moved by later reports of the same batch, with
// no query between them: the rows a batch inserts go out together, so
// these statements must find them written first.
func testAddedAndGoneInOneBatch(t *testing.T, h *harness) {
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "ONEB0001")
	b := DIMM("A2", Samsung, "M393A4K40DB3-CWE", "ONEB0002")
	c := DIMM("A3", Micron, "36ASF8G72PZ-2G3B1", "ONEB0003")
	d := Drive("nvme0n1", nil, "MZQL2960HCJR-00A07", "ONEB0D01", "GDC5602Q")
	inv := func(host string, ms []*memledgerv1.MemoryModule, ds ...*memledgerv1.StorageDevice) *memledgerv1.Inventory {
		return Inventory(host, ms, ds)
	}
	bMoved := proto.Clone(b).(*memledgerv1.MemoryModule)
	bMoved.Locator = "B7"
	cNewFW := proto.Clone(c).(*memledgerv1.MemoryModule)
	cNewFW.SpeedMts = 2933
	setup := []store.Report{
		Full(inv("ob-1", []*memledgerv1.MemoryModule{a}), 1, At(0)),
		Full(inv("ob-2", nil), 1, At(0)),
	}
	batch := []store.Report{
		Full(inv("ob-1", []*memledgerv1.MemoryModule{a, b}, d), 2, At(1)),      // b and d added
		Full(inv("ob-1", []*memledgerv1.MemoryModule{a}), 3, At(2)),            // both removed
		Full(inv("ob-1", []*memledgerv1.MemoryModule{a, b, c}, d), 4, At(3)),   // both return; c added
		Full(inv("ob-1", []*memledgerv1.MemoryModule{a, cNewFW}, d), 5, At(4)), // c changed, b gone
		Full(inv("ob-2", []*memledgerv1.MemoryModule{bMoved}), 2, At(5)),       // b moves to ob-2
	}
	events := batchEqualsSingles(t, h, setup, batch)
	kinds := map[store.EventKind]int{}
	for _, ev := range events {
		kinds[ev.Kind]++
	}
	if kinds[store.EventPartReturned] != 2 || kinds[store.EventPartRemoved] < 3 {
		t.Errorf("event kinds %v: want 2 part_returned and at least 3 part_removed", kinds)
	}
	for _, p := range h.parts(store.PartFilter{HostIDs: []string{"ob-1"}, Removed: store.IncludeRemoved}) {
		wantRemoved := p.SerialNumber == "ONEB0002"
		if (p.RemovedAt != nil) != wantRemoved {
			t.Errorf("ob-1 part %s removed at %v, want removed %v", p.SerialNumber, p.RemovedAt, wantRemoved)
		}
	}
}

// testPlaceholderFleet sends two hosts of one board model, whose firmware
// writes placeholder serials (BoardTwin), reporting in shuffled orders,
// times and batches, round after round, with heartbeats between; a module
// with a real serial is taken from the first host to the second halfway.
// Every placeholder part stays on its host (never moved, never removed),
// and the real module moves once.
func testPlaceholderFleet(t *testing.T, h *harness) {
	const rounds, moveRound = 8, 4
	for seed := uint64(1); seed <= 4; seed++ {
		r := rand.New(rand.NewPCG(seed, 14))
		traveller := fmt.Sprintf("TWINREAL%04d", seed)
		a, b := fmt.Sprintf("twin%d-a", seed), fmt.Sprintf("twin%d-b", seed)
		digests := map[string]string{}
		seqs := map[string]uint64{}
		for round := range rounds {
			var perHost [2][]store.Report
			for i, host := range []string{a, b} {
				var real []string
				if (host == a) == (round < moveRound) {
					real = []string{traveller}
				}
				inv := BoardTwin(host, round, real...)
				at := At(round).Add(time.Duration(r.IntN(600)-300) * time.Minute)
				if d, ok := digests[host]; ok {
					seqs[host]++
					perHost[i] = append(perHost[i], Heartbeat(host, seqs[host], at.Add(-time.Hour), d))
				}
				seqs[host]++
				perHost[i] = append(perHost[i], Full(inv, seqs[host], at))
				digests[host] = Digest(t, inv)
			}
			// Interleave the hosts' reports at random, each host's in order.
			var batch []store.Report
			for len(perHost[0])+len(perHost[1]) > 0 {
				i := r.IntN(2)
				if len(perHost[i]) == 0 {
					i = 1 - i
				}
				batch = append(batch, perHost[i][0])
				perHost[i] = perHost[i][1:]
			}
			if r.IntN(2) == 0 {
				h.committed(batch...)
			} else {
				for _, rep := range batch {
					h.committed(rep)
				}
			}
		}

		want := len(PlaceholderSerials) + 2
		for _, host := range []string{a, b} {
			ps := h.parts(store.PartFilter{HostIDs: []string{host}, Removed: store.IncludeRemoved})
			placeholders := 0
			for _, p := range ps {
				if p.SerialNumber == traveller {
					continue
				}
				if p.RealSerial || !p.Active() || p.HostID != host {
					t.Errorf("seed %d: %s part in %s (serial %q): real %v, active %v", seed, host, p.Slot, p.SerialNumber, p.RealSerial, p.Active())
				}
				placeholders++
			}
			if placeholders != want {
				t.Errorf("seed %d: %s holds %d placeholder-serial parts, want %d", seed, host, placeholders, want)
			}
			for _, ev := range h.events(store.EventFilter{HostID: host}) {
				if ev.Kind != store.EventPartMoved && ev.Kind != store.EventPartRemoved && ev.Kind != store.EventSerialClash {
					continue
				}
				if d := details(t, ev); !strings.Contains(fmt.Sprint(d["identity"]), traveller) {
					t.Errorf("seed %d: %s event about a placeholder-serial part: %s", seed, ev.Kind, ev.Message)
				}
			}
		}
		moves := 0
		for _, ev := range h.events(store.EventFilter{HostID: b, Kinds: []store.EventKind{store.EventPartMoved}}) {
			if d := details(t, ev); d["from_host_id"] == a && d["to_host_id"] == b {
				moves++
			}
		}
		if moves != 1 {
			t.Errorf("seed %d: %d moves of %s from %s to %s recorded on %s, want 1", seed, moves, traveller, a, b, b)
			for _, host := range []string{a, b} {
				for _, ev := range h.events(store.EventFilter{HostID: host}) {
					t.Logf("%s %v %s: %s", host, ev.Time, ev.Kind, ev.Message)
				}
			}
		}
		var on []string
		for _, p := range h.parts(store.PartFilter{HostIDs: []string{a, b}}) {
			if p.SerialNumber == traveller {
				on = append(on, p.HostID)
			}
		}
		if !reflect.DeepEqual(on, []string{b}) {
			t.Errorf("seed %d: %s active on %v, want [%s]", seed, traveller, on, b)
		}
	}
}

// testSerialHijack has one host report another's module (same maker, part
// number and serial, read from a support snapshot, say) again and again
// while the victim keeps sending heartbeats of its unchanged inventory:
// the victim keeps its part, a clash event on each host names both, and
// the victim's digest still stands for what the ledger holds.
func testSerialHijack(t *testing.T, h *harness) {
	victimMods := []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "VICTIM0001"), DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "VICTIM0002")}
	victim := Inventory("hj-victim", victimMods, nil)
	digest := Digest(t, victim)
	h.committed(Full(victim, 1, At(0)))
	before := bySerial(h.parts(store.PartFilter{HostIDs: []string{"hj-victim"}}))

	stolen := proto.Clone(victimMods[0]).(*memledgerv1.MemoryModule)
	stolen.Locator = "B1"
	own := DIMM("B2", Micron, "36ASF8G72PZ-2G3B1", "ATTACK0001")
	for i := range 3 {
		inv := Inventory("hj-attacker", []*memledgerv1.MemoryModule{own, stolen}, nil)
		inv.Host.Kernel = fmt.Sprintf("6.1.0-%d-amd64", i)
		h.committed(Full(inv, uint64(i+1), At(1+2*i)))
		out := h.committed(Heartbeat("hj-victim", uint64(i+2), At(2+2*i), digest))
		if out[0].Digest != digest {
			t.Errorf("victim's heartbeat %d: held digest %q, want %q", i, out[0].Digest, digest)
		}
	}
	after := bySerial(h.parts(store.PartFilter{HostIDs: []string{"hj-victim"}}))
	for serial, p := range before {
		if q, ok := after[serial]; !ok || q.ID != p.ID || !q.Active() || !q.LastSeen.Equal(At(6)) {
			t.Errorf("victim's %s after the hijack: %+v (before: id %d)", serial, q, p.ID)
		}
	}
	if host := h.host("hj-victim"); host.ActiveParts != 2 {
		t.Errorf("victim holds %d active parts, want 2", host.ActiveParts)
	}
	h.wantKinds("hj-victim", 0, store.EventHostEnrolled, store.EventPartAdded, store.EventPartAdded, store.EventSerialClash)
	h.wantKinds("hj-attacker", 0, store.EventHostEnrolled, store.EventPartAdded, store.EventSerialClash, store.EventFieldsChanged, store.EventFieldsChanged)
	for _, host := range []string{"hj-victim", "hj-attacker"} {
		evs := h.events(store.EventFilter{HostID: host, Kinds: []store.EventKind{store.EventSerialClash}})
		d := details(t, evs[0])
		if d["host_id"] != "hj-attacker" || d["other_host_id"] != "hj-victim" || d["other_part_id"] != float64(before["VICTIM0001"].ID) {
			t.Errorf("clash on %s: %v", host, d)
		}
		if !strings.Contains(evs[0].Message, "hj-attacker") || !strings.Contains(evs[0].Message, "hj-victim") {
			t.Errorf("clash message on %s names not both hosts: %s", host, evs[0].Message)
		}
	}
	if evs := h.events(store.EventFilter{HostID: "hj-victim", Kinds: []store.EventKind{store.EventSerialClash}}); evs[0].PartID != before["VICTIM0001"].ID {
		t.Errorf("victim's clash event about part %d, want %d", evs[0].PartID, before["VICTIM0001"].ID)
	}
}

// testMakerReidentified: agents whose maker identification improved
// report the same physical parts (same host, slot, part number, serial)
// with another maker: unknown -> kingston for a module, the renamed slug
// wilkelektroniksa -> goodram, hpe -> micron for an HPE-labelled Micron
// SSD. Each part keeps its row, first-seen time and arrival: one
// fields_changed event, never a removal and an addition (a false "new
// install" under a restrict-new rule), a move or a clash.
func testMakerReidentified(t *testing.T, h *harness) {
	hpe := &memledgerv1.Vendor{Id: "hpe", Name: "HPE", Parent: "hpe", Evidence: []string{"name"}}
	micronSSD := &memledgerv1.Vendor{Id: "micron", Name: "Micron", Parent: "micron", Evidence: []string{"wwn-oui"}}
	wilk := &memledgerv1.Vendor{Id: "wilkelektroniksa", Name: "Wilk Elektronik", Parent: "wilkelektroniksa", Evidence: []string{"smbios-module-id"}}
	goodram := &memledgerv1.Vendor{Id: "goodram", Name: "GOODRAM", Parent: "goodram", Evidence: []string{"smbios-module-id"}}
	oldMods := []*memledgerv1.MemoryModule{
		DIMM("A1", nil, "KSM32RD4/32MRR", "REKEY0001"),
		DIMM("A2", wilk, "W-MEM3200R4D432G", "REKEY0002"),
	}
	oldDrives := []*memledgerv1.StorageDevice{Drive("nvme0n1", hpe, "MO001600KXPTR", "REKEYSSD01", "HPK2")}
	h.committed(Full(Inventory("rk", oldMods, oldDrives), 1, At(0)))
	// The part also roams: host rk-dst later receives a module whose maker
	// the old agent of host rk left unknown.
	roamer := DIMM("B1", nil, "KSM32RD4/32MRR", "REKEY0009")
	h.committed(Full(Inventory("rk-src", []*memledgerv1.MemoryModule{roamer}, nil), 1, At(0)))
	before := bySerial(h.parts(store.PartFilter{}))
	mark := h.lastEventID()

	newMods := []*memledgerv1.MemoryModule{
		DIMM("A1", Kingston, "KSM32RD4/32MRR", "REKEY0001"),
		DIMM("A2", goodram, "W-MEM3200R4D432G", "REKEY0002"),
	}
	newDrives := []*memledgerv1.StorageDevice{Drive("nvme0n1", micronSSD, "MO001600KXPTR", "REKEYSSD01", "HPK2")}
	for i := range 2 { // the second report changes nothing
		h.committed(Full(Inventory("rk", newMods, newDrives), uint64(2+i), At(1+i)))
	}
	h.wantKinds("rk", mark, store.EventFieldsChanged, store.EventFieldsChanged, store.EventFieldsChanged)
	after := bySerial(h.parts(store.PartFilter{HostIDs: []string{"rk"}}))
	wantMaker := map[string]string{"REKEY0001": "kingston", "REKEY0002": "goodram", "REKEYSSD01": "micron"}
	for serial, maker := range wantMaker {
		p, q := before[serial], after[serial]
		if q.ID != p.ID || !q.Active() || !q.FirstSeen.Equal(p.FirstSeen) || q.Maker.ID != maker {
			t.Errorf("%s after re-identification: id %d active %v first seen %v maker %q; want id %d, active, first seen %v, maker %q",
				serial, q.ID, q.Active(), q.FirstSeen, q.Maker.ID, p.ID, p.FirstSeen, maker)
		}
	}
	for _, ev := range h.events(store.EventFilter{HostID: "rk", Kinds: []store.EventKind{store.EventFieldsChanged}}) {
		if !strings.Contains(ev.Message, "vendor") {
			t.Errorf("maker change event does not name the vendor: %s", ev.Message)
		}
	}

	// The roaming module, re-identified by rk-dst's newer agent, moved.
	src := before["REKEY0009"]
	mark = h.lastEventID()
	h.committed(Full(Inventory("rk-src", nil, nil), 2, At(3)))
	moved := DIMM("C1", Kingston, "KSM32RD4/32MRR", "REKEY0009")
	h.committed(Full(Inventory("rk-dst", []*memledgerv1.MemoryModule{moved}, nil), 1, At(4)))
	h.wantKinds("rk-src", mark, store.EventPartRemoved)
	h.wantKinds("rk-dst", mark, store.EventHostEnrolled, store.EventPartMoved)
	if evs := h.events(store.EventFilter{HostID: "rk-dst", Kinds: []store.EventKind{store.EventPartMoved}}); len(evs) == 1 {
		if d := details(t, evs[0]); d["from_part_id"] != float64(src.ID) {
			t.Errorf("move details %v, want from part %d", d, src.ID)
		}
	}
}

// testSerialForms: a part whose source writes its serial or model in
// another form is the same part: a module read as "0x750174F7" from SMBIOS
// and as "750174F7" from its SPD, a drive whose model udev wrote with '_'
// for its spaces. Only fields change; nothing is removed, added or moved,
// and the first-seen dates stand. A serial with leading zeros is another
// string, so another part.
func testSerialForms(t *testing.T, h *harness) {
	smbiosForm := []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "0x750174F7"),
		DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "0x0750174E"),
	}
	udevForm := []*memledgerv1.StorageDevice{Drive("sda", Samsung, "Samsung_SSD_860_EVO_500GB", "S3Z1NB0K123456A", "RVT04B6Q")}
	h.committed(Full(Inventory("forms", smbiosForm, udevForm), 1, At(0)))
	before := h.parts(store.PartFilter{HostIDs: []string{"forms"}})
	mark := h.lastEventID()

	spdForm := []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "750174F7"),
		DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "0750174E"),
	}
	exactForm := []*memledgerv1.StorageDevice{Drive("sda", Samsung, "Samsung SSD 860 EVO 500GB", "S3Z1NB0K123456A", "RVT04B6Q")}
	h.committed(Full(Inventory("forms", spdForm, exactForm), 2, At(1)))
	h.committed(Full(Inventory("forms", smbiosForm, udevForm), 3, At(2))) // and back
	h.wantKinds("forms", mark, store.EventFieldsChanged, store.EventFieldsChanged, store.EventFieldsChanged,
		store.EventFieldsChanged, store.EventFieldsChanged, store.EventFieldsChanged)
	after := h.parts(store.PartFilter{HostIDs: []string{"forms"}, Removed: store.IncludeRemoved})
	if len(after) != len(before) {
		t.Fatalf("parts after the reports: %+v, want the %d first ones", after, len(before))
	}
	for i, p := range before {
		q := after[slices.IndexFunc(after, func(q store.Part) bool { return q.ID == p.ID })]
		if !q.Active() || !q.FirstSeen.Equal(p.FirstSeen) || q.Identity != p.Identity {
			t.Errorf("part %d after the reports: active %v first seen %v identity %q; want active, %v, %q",
				i, q.Active(), q.FirstSeen, q.Identity, p.FirstSeen, p.Identity)
		}
	}

	// Leading zeros without "0x": another string, another part.
	mark = h.lastEventID()
	h.committed(Full(Inventory("forms", []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "0000750174F7"), smbiosForm[1]}, udevForm), 4, At(3)))
	h.wantKinds("forms", mark, store.EventPartRemoved, store.EventPartAdded)
}

// testMemoryUnread: a scan that could not read the SMBIOS tables nor udev's
// copy (it says so in a warning and names neither source) lists no module,
// or only those it read from SPD EEPROMs, under their bus addresses. The
// modules the host holds are neither removed nor moved: its drives are
// still diffed, and the next inventory that reads the tables finds every
// module where it was, with its first-seen date. A host whose modules only
// ever came from SPD EEPROMs is diffed as before.
func testMemoryUnread(t *testing.T, h *harness) {
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "UNREAD01")
	b := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "UNREAD02")
	ssd := Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "UNREADSSD1", "GDC5602Q")
	ssd2 := Drive("nvme1n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "UNREADSSD2", "GDC5602Q")
	full := Inventory("unread", []*memledgerv1.MemoryModule{a, b}, []*memledgerv1.StorageDevice{ssd, ssd2})
	h.committed(Full(full, 1, At(0)))
	before := bySerial(h.parts(store.PartFilter{HostIDs: []string{"unread"}}))
	mark := h.lastEventID()

	unreadable := []*memledgerv1.Warning{
		{Source: "smbios", Message: "cannot read the SMBIOS tables: permission denied", Subject: "/sys/firmware/dmi/tables"},
		{Source: "udev", Message: "cannot read the udev DMI database: no such file", Subject: "/run/udev/data/+dmi:id"},
	}
	// No module at all, and one drive fewer (really pulled).
	none := Inventory("unread", nil, []*memledgerv1.StorageDevice{ssd})
	none.Sources, none.Warnings = []string{"sysfs"}, unreadable
	h.committed(Full(none, 2, At(1)))
	h.wantKinds("unread", mark, store.EventPartRemoved)
	if evs := h.events(store.EventFilter{HostID: "unread", AfterID: mark}); len(evs) == 1 && !strings.Contains(evs[0].Message, "UNREADSSD2") {
		t.Errorf("removal %q, want the pulled drive's", evs[0].Message)
	}
	// The modules the SPD EEPROMs give, under their bus addresses.
	spdA := proto.Clone(a).(*memledgerv1.MemoryModule)
	spdA.Locator, spdA.BankLocator, spdA.Source = "SPD 0-0050", "", "spd"
	spdOnly := Inventory("unread", []*memledgerv1.MemoryModule{spdA}, []*memledgerv1.StorageDevice{ssd})
	spdOnly.Sources, spdOnly.Warnings = []string{"spd", "sysfs"}, unreadable
	h.committed(Full(spdOnly, 3, At(2)))
	// The tables read again.
	h.committed(Full(Inventory("unread", []*memledgerv1.MemoryModule{a, b}, []*memledgerv1.StorageDevice{ssd}), 4, At(3)))
	h.wantKinds("unread", mark, store.EventPartRemoved)
	after := bySerial(h.parts(store.PartFilter{HostIDs: []string{"unread"}}))
	for _, serial := range []string{"UNREAD01", "UNREAD02"} {
		p, q := before[serial], after[serial]
		if q.ID != p.ID || !q.Active() || !q.FirstSeen.Equal(p.FirstSeen) || q.Slot != p.Slot {
			t.Errorf("%s: id %d active %v first seen %v slot %q; want id %d, active, first seen %v, slot %q",
				serial, q.ID, q.Active(), q.FirstSeen, q.Slot, p.ID, p.FirstSeen, p.Slot)
		}
	}

	// A host whose modules only ever came from SPD EEPROMs: a module its
	// EEPROMs no longer show was removed.
	spdB := proto.Clone(b).(*memledgerv1.MemoryModule)
	spdB.Locator, spdB.BankLocator, spdB.Source, spdB.SerialNumber = "SPD 0-0051", "", "spd", "UNREAD04"
	spdA.SerialNumber = "UNREAD03"
	spdHost := Inventory("spdonly", []*memledgerv1.MemoryModule{spdA, spdB}, nil)
	spdHost.Sources, spdHost.Warnings = []string{"spd"}, unreadable
	h.committed(Full(spdHost, 1, At(0)))
	mark = h.lastEventID()
	spdHost = proto.Clone(spdHost).(*memledgerv1.Inventory)
	spdHost.MemoryModules = spdHost.MemoryModules[:1]
	h.committed(Full(spdHost, 2, At(1)))
	h.wantKinds("spdonly", mark, store.EventPartRemoved)
}

// testIncomplete: an inventory that names a domain incomplete (the drive
// listing failed; the SMBIOS table was damaged or unreadable) leaves the
// host's parts of that kind as they stand, and the facts read with the
// memory (slot count, SMBIOS version, serials it could not read): no
// part_removed, part_added or fields_changed that did not happen. The
// other kinds are diffed. An agent that predates the field gets the same
// for memory by inference (MemoryRead), and its failed drive listing is
// still taken as the host's drives.
func testIncomplete(t *testing.T, h *harness) {
	const host = "incomplete"
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "INCOMPL01")
	b := DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "INCOMPL02")
	c := DIMM("B1", Micron, "36ASF8G72PZ-2G3B1", "INCOMPL03")
	ssd := Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "INCOMPLSSD1", "GDC5602Q")
	ssd2 := Drive("nvme1n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "INCOMPLSSD2", "GDC5602Q")
	inv := func(mods []*memledgerv1.MemoryModule, drives []*memledgerv1.StorageDevice, incomplete ...string) *memledgerv1.Inventory {
		i := Inventory(host, mods, drives)
		i.Host.SmbiosVersion = "3.3.0"
		i.Incomplete = incomplete
		return i
	}
	h.committed(Full(inv([]*memledgerv1.MemoryModule{a, b, c}, []*memledgerv1.StorageDevice{ssd, ssd2}), 1, At(0)))
	before := bySerial(h.parts(store.PartFilter{HostIDs: []string{host}}))
	mark := h.lastEventID()

	// (a) The drive listing failed: no drive, no sysfs source.
	noDrives := inv([]*memledgerv1.MemoryModule{a, b, c}, nil, "storage")
	noDrives.Sources = []string{"smbios"}
	noDrives.Warnings = []*memledgerv1.Warning{{Source: "storage", Message: "cannot list drives: permission denied", Subject: "/sys/block"}}
	h.committed(Full(noDrives, 2, At(1)))
	h.wantKinds(host, mark)

	// (b) A damaged table: B1 lies past the damage, and the slot count is
	// short. One drive was really pulled.
	damaged := inv([]*memledgerv1.MemoryModule{a, b}, []*memledgerv1.StorageDevice{ssd}, "memory")
	damaged.Host.MemorySlots = 9
	damaged.Warnings = []*memledgerv1.Warning{{Source: "smbios", Message: "SMBIOS table is damaged, using the structures before the damage", Subject: "/sys/firmware/dmi/tables/DMI"}}
	h.committed(Full(damaged, 3, At(2)))
	if evs := h.wantKinds(host, mark, store.EventPartRemoved); !strings.Contains(evs[0].Message, "INCOMPLSSD2") {
		t.Errorf("removal %q, want the pulled drive's", evs[0].Message)
	}
	mark = h.lastEventID()

	// (c) SMBIOS unreadable: no module, no slot, no SMBIOS version, and
	// the root-only system serial missing from the kernel's dmi/id copy.
	unread := inv(nil, []*memledgerv1.StorageDevice{ssd}, "memory")
	unread.Sources = []string{"sysfs"}
	unread.Host.MemorySlots, unread.Host.SmbiosVersion, unread.Host.SystemSerial = 0, "", ""
	unread.Warnings = []*memledgerv1.Warning{{Source: "smbios", Message: "cannot read the SMBIOS tables: permission denied", Subject: "/sys/firmware/dmi/tables"}}
	h.committed(Full(unread, 4, At(3)))
	h.wantKinds(host, mark)
	if p := h.host(host).Platform; p.GetMemorySlots() != 16 || p.GetSmbiosVersion() != "3.3.0" || p.GetSystemSerial() != "S"+host {
		t.Errorf("host record after an unread scan: %d slots, SMBIOS %q, serial %q; want 16, 3.3.0, S%s",
			p.GetMemorySlots(), p.GetSmbiosVersion(), p.GetSystemSerial(), host)
	}
	// The same from an agent that predates the field (MemoryRead).
	old := proto.Clone(unread).(*memledgerv1.Inventory)
	old.Incomplete, old.AgentVersion = nil, "0.0.9"
	h.committed(Full(old, 5, At(4)))
	h.wantKinds(host, mark)

	// Everything read again: every module where it was.
	h.committed(Full(inv([]*memledgerv1.MemoryModule{a, b, c}, []*memledgerv1.StorageDevice{ssd}), 6, At(5)))
	h.wantKinds(host, mark)
	after := bySerial(h.parts(store.PartFilter{HostIDs: []string{host}}))
	for _, serial := range []string{"INCOMPL01", "INCOMPL02", "INCOMPL03", "INCOMPLSSD1"} {
		p, q := before[serial], after[serial]
		if q.ID != p.ID || !q.Active() || !q.FirstSeen.Equal(p.FirstSeen) || q.Slot != p.Slot {
			t.Errorf("%s: id %d active %v first seen %v slot %q; want id %d, active, first seen %v, slot %q",
				serial, q.ID, q.Active(), q.FirstSeen, q.Slot, p.ID, p.FirstSeen, p.Slot)
		}
	}

	// An agent that predates the field cannot say its drive listing
	// failed: its drive is removed.
	oldNoDrives := proto.Clone(noDrives).(*memledgerv1.Inventory)
	oldNoDrives.Incomplete, oldNoDrives.AgentVersion = nil, "0.0.9"
	h.committed(Full(oldNoDrives, 7, At(6)))
	h.wantKinds(host, mark, store.EventPartRemoved)
}

// testUnreadSince: a host's MemoryUnreadSince and StorageUnreadSince are
// the time of the first full report, since one that read the domain, that
// left it unread (its incomplete field, or for an agent that predates it
// the inference of ledger.Incomplete); a full report that reads the
// domain clears it. Heartbeats, a report repeating the inventory, and
// refused or duplicate reports leave them; memory and storage are
// independent.
func testUnreadSince(t *testing.T, h *harness) {
	const host = "unread-since"
	a := DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "UNSINCE01")
	ssd := Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "UNSINCESSD1", "GDC5602Q")
	inv := func(incomplete ...string) *memledgerv1.Inventory {
		i := Inventory(host, []*memledgerv1.MemoryModule{a}, []*memledgerv1.StorageDevice{ssd})
		i.Incomplete = incomplete
		return i
	}
	want := func(step string, memory, storage time.Time) {
		t.Helper()
		got := h.host(host)
		if !got.MemoryUnreadSince.Equal(memory) || !got.StorageUnreadSince.Equal(storage) {
			t.Errorf("%s: memory unread since %v, storage %v; want %v, %v",
				step, got.MemoryUnreadSince, got.StorageUnreadSince, memory, storage)
		}
		// HostFilter.Unread lists it (and counts it) while either is set,
		// never the host that is read completely.
		var wantIDs []string
		if !memory.IsZero() || !storage.IsZero() {
			wantIDs = []string{host}
		}
		f := store.HostFilter{Unread: true}
		list, err := h.s.Hosts(h.ctx, f)
		if err != nil {
			t.Fatalf("%s: unread hosts: %v", step, err)
		}
		var ids []string
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		n, err := h.s.CountHosts(h.ctx, f)
		if err != nil {
			t.Fatalf("%s: count unread hosts: %v", step, err)
		}
		if !slices.Equal(ids, wantIDs) || n != len(wantIDs) {
			t.Errorf("%s: unread hosts %q, counted %d; want %q", step, ids, n, wantIDs)
		}
	}
	var none time.Time

	read := Inventory("read-completely", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "UNSINCE02")}, nil)
	h.committed(Full(read, 1, At(0)))
	h.committed(Full(inv(), 1, At(0)))
	want("complete", none, none)

	memory := inv("memory")
	h.committed(Full(memory, 2, At(1)))
	want("memory unread", At(1), none)
	h.committed(Heartbeat(host, 3, At(2), Digest(t, memory)))
	h.expect([]store.Status{store.NeedFull}, Heartbeat(host, 4, At(2), Digest(t, inv())))
	want("after heartbeats", At(1), none)
	// Refused: another host's inventory; a sequence already seen.
	other := inv()
	other.Host.HostId = "someone-else"
	h.expect([]store.Status{store.Rejected, store.Duplicate},
		store.Report{HostID: host, Sequence: 5, ReceivedAt: At(3), Inventory: other},
		Full(inv(), 4, At(3)))
	want("after refused reports", At(1), none)

	both := inv("memory", "storage")
	h.committed(Full(both, 5, At(3)))
	want("memory and storage unread", At(1), At(3))
	h.committed(Full(both, 6, At(4))) // the same inventory again
	want("same inventory again", At(1), At(3))

	h.committed(Full(inv("storage"), 7, At(5)))
	want("memory read again", none, At(3))
	h.committed(Full(inv(), 8, At(6)))
	want("storage read again", none, none)

	// An agent that predates the field: SMBIOS unreadable, said in a
	// warning, and neither smbios nor udev among the sources.
	old := inv()
	old.AgentVersion, old.Sources = "0.0.9", []string{"sysfs"}
	old.Warnings = []*memledgerv1.Warning{{Source: "smbios", Message: "cannot read the SMBIOS tables: permission denied", Subject: "/sys/firmware/dmi/tables"}}
	h.committed(Full(old, 9, At(7)))
	want("old agent, SMBIOS unreadable", At(7), none)
	h.committed(Full(inv(), 10, At(8)))
	want("read again", none, none)
}

// testRetiredHost: a retired host's parts are removed at its retirement,
// nothing is deleted, and a part with a real serial that another host
// reports afterwards moved from the retired host, where before the
// retirement the same report was a serial clash. Retiring again changes
// nothing; a retired host that reports again has its parts back.
func testRetiredHost(t *testing.T, h *harness) {
	r, ok := h.s.(store.Retirer)
	if !ok {
		t.Fatal("the store cannot retire hosts (store.Retirer)")
	}
	oldMods := []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "RETIRE0001"),
		DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "RETIRE0002"),
		DIMM("A3", Hynix, "HMA84GR7CJR4N-XN", "Undefined"),
	}
	oldDrives := []*memledgerv1.StorageDevice{Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "S64FRETIRE1", "GDC5602Q")}
	h.committed(Full(Inventory("rt-old", oldMods, oldDrives), 1, At(0)))
	before := bySerial(h.parts(store.PartFilter{HostIDs: []string{"rt-old"}}))

	// While rt-old carries RETIRE0001, another host reporting it clashes.
	h.committed(Full(Inventory("rt-clash", []*memledgerv1.MemoryModule{DIMM("B1", Micron, "36ASF8G72PZ-2G3B1", "RETIRE0001")}, nil), 1, At(1)))
	h.wantKinds("rt-clash", 0, store.EventHostEnrolled, store.EventSerialClash)

	if _, err := r.RetireHost(h.ctx, "rt-old", At(0).Add(-time.Hour)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("retire before the host was last seen: %v, want ErrInvalid", err)
	}
	if _, err := r.RetireHost(h.ctx, "rt-nope", At(3)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("retire an unknown host: %v, want ErrNotFound", err)
	}
	mark := h.lastEventID()
	ret, err := r.RetireHost(h.ctx, "rt-old", At(3))
	if err != nil {
		t.Fatalf("retire: %v", err)
	}
	if ret.AlreadyRetired || !ret.At.Equal(At(3)) || len(ret.PartsRemoved) != 4 {
		t.Errorf("retirement %+v, want 4 parts removed at %v", ret, At(3))
	}
	h.wantKinds("rt-old", mark, store.EventHostRetired, store.EventPartRemoved, store.EventPartRemoved, store.EventPartRemoved, store.EventPartRemoved)
	all := bySerial(h.parts(store.PartFilter{HostIDs: []string{"rt-old"}, Removed: store.IncludeRemoved}))
	for serial, p := range before {
		q := all[serial]
		if q.ID != p.ID || q.Active() || !q.RemovedAt.Equal(At(3)) || !q.FirstSeen.Equal(p.FirstSeen) {
			t.Errorf("%s after the retirement: %+v, want part %d removed at %v", serial, q, p.ID, At(3))
		}
	}
	if got := h.parts(store.PartFilter{HostIDs: []string{"rt-old"}}); len(got) != 0 {
		t.Errorf("retired host still carries %d parts", len(got))
	}
	if got := h.parts(store.PartFilter{HostIDs: []string{"rt-old"}, AsOf: At(2)}); len(got) != 4 {
		t.Errorf("as of before the retirement: %d parts, want 4", len(got))
	}
	// Again: nothing changes.
	mark = h.lastEventID()
	if again, err := r.RetireHost(h.ctx, "rt-old", At(4)); err != nil || !again.AlreadyRetired || !again.At.Equal(At(3)) || len(again.PartsRemoved) != 0 {
		t.Errorf("retire again: %+v %v", again, err)
	}
	h.wantKinds("rt-old", mark)

	// RETIRE0002 turns up on another host: a move from the retired host.
	h.committed(Full(Inventory("rt-new", []*memledgerv1.MemoryModule{DIMM("C1", Micron, "36ASF8G72PZ-2G3B1", "RETIRE0002")}, nil), 1, At(5)))
	evs := h.wantKinds("rt-new", mark, store.EventHostEnrolled, store.EventPartMoved)
	if d := details(t, evs[1]); d["from_host_id"] != "rt-old" || d["from_part_id"] != float64(before["RETIRE0002"].ID) {
		t.Errorf("move details %v", d)
	}
	// The retired host reports again: in service, its parts are back.
	h.committed(Full(Inventory("rt-old", oldMods, oldDrives), 2, At(6)))
	back := bySerial(h.parts(store.PartFilter{HostIDs: []string{"rt-old"}}))
	if len(back) != 4 || back["RETIRE0001"].ID != before["RETIRE0001"].ID {
		t.Errorf("after the retired host reported again: %v", serials(h.parts(store.PartFilter{HostIDs: []string{"rt-old"}})))
	}
	kinds := h.kindsSince("rt-old", h.events(store.EventFilter{HostID: "rt-new", Kinds: []store.EventKind{store.EventPartMoved}})[0].ID)
	var returned, clashes int
	for _, k := range kinds {
		switch k {
		case store.EventPartReturned:
			returned++
		case store.EventSerialClash:
			clashes++
		}
	}
	// The module without a serial and the drive return; RETIRE0001 and
	// RETIRE0002 come back too, as serial clashes with rt-clash and rt-new,
	// which carry them.
	if returned != 2 || clashes != 2 {
		t.Errorf("events of rt-old reporting again: %v", kinds)
	}
}

// testPartSearchAndPaging: serial and part-number searches are prefix
// matches (as typed or upper-cased), and Limit/Offset page through the
// same order as the unpaged list.
func testPartSearchAndPaging(t *testing.T, h *harness) {
	mods := []*memledgerv1.MemoryModule{
		DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MICR0001"),
		DIMM("A2", Micron, "36ASF8G72PZ-2G3B1", "MICR0002"),
		DIMM("A3", Crucial, "CT32G4RFD4293", "XMICR0003"),
		DIMM("A4", Samsung, "M393A4K40DB3-CWE", "mixedCase01"),
	}
	drives := []*memledgerv1.StorageDevice{Drive("nvme0n1", Kingston, "KINGSTON SNV2S500G", "50026B7785A1", "SBI02102")}
	h.committed(Full(Inventory("search-a", mods, drives), 1, At(0)))
	h.committed(Full(Inventory("search-b", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MICR0100")}, nil), 1, At(0)))
	for _, c := range []struct {
		f    store.PartFilter
		want []string
	}{
		{store.PartFilter{SerialPrefix: "MICR"}, []string{"MICR0001", "MICR0002", "MICR0100"}},
		{store.PartFilter{SerialPrefix: "micr000"}, []string{"MICR0001", "MICR0002"}},
		{store.PartFilter{SerialPrefix: "MICR0001"}, []string{"MICR0001"}},
		{store.PartFilter{SerialPrefix: "ICR"}, nil}, // not a substring search
		{store.PartFilter{SerialPrefix: "mixedC"}, []string{"mixedCase01"}},
		{store.PartFilter{SerialPrefix: "MIXEDC"}, nil}, // upper-cased, never lower-cased
		{store.PartFilter{SerialPrefix: " MICR0100 ", HostIDs: []string{"search-b"}}, []string{"MICR0100"}},
		{store.PartFilter{SerialPrefix: "MICR", HostIDs: []string{"search-a"}}, []string{"MICR0001", "MICR0002"}},
		{store.PartFilter{PartNumberPrefix: "36asf8g72pz"}, []string{"MICR0001", "MICR0002", "MICR0100"}},
		{store.PartFilter{PartNumberPrefix: "KINGSTON SNV2"}, []string{"50026B7785A1"}},
		{store.PartFilter{PartNumberPrefix: "SNV2"}, nil},
		{store.PartFilter{PartNumberPrefix: "CT32", Vendor: "micron"}, []string{"XMICR0003"}},
		{store.PartFilter{PartNumberPrefix: "CT32", Vendor: "samsung"}, nil},
	} {
		if got := serials(h.parts(c.f)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parts(%+v): %v, want %v", c.f, got, c.want)
		}
		var streamed []string
		err := h.s.ForEachPart(h.ctx, c.f, func(p store.PartBrief) error {
			streamed = append(streamed, p.SerialNumber)
			return nil
		})
		sort.Strings(streamed)
		if err != nil || !reflect.DeepEqual(streamed, c.want) {
			t.Errorf("ForEachPart(%+v): %v, %v; want %v", c.f, streamed, err, c.want)
		}
	}

	all := h.parts(store.PartFilter{})
	if len(all) != 6 {
		t.Fatalf("%d parts, want 6", len(all))
	}
	var paged []store.Part
	for off := 0; off < len(all)+2; off += 4 {
		page := h.parts(store.PartFilter{Limit: 4, Offset: off})
		if want := min(4, max(0, len(all)-off)); len(page) != want {
			t.Errorf("page at offset %d: %d parts, want %d", off, len(page), want)
		}
		paged = append(paged, page...)
	}
	if !reflect.DeepEqual(partIDs(paged), partIDs(all)) {
		t.Errorf("paged ids %v, unpaged %v", partIDs(paged), partIDs(all))
	}
	// Keyset pages: forward from each page's last part, and back from
	// the last part (Desc, nearest first).
	var keyed []store.Part
	for f := (store.PartFilter{Limit: 4}); ; {
		page := h.parts(f)
		keyed = append(keyed, page...)
		if len(page) < f.Limit {
			break
		}
		k := page[len(page)-1].Key()
		f.After = &k
	}
	if !reflect.DeepEqual(partIDs(keyed), partIDs(all)) {
		t.Errorf("keyset pages ids %v, unpaged %v", partIDs(keyed), partIDs(all))
	}
	last := all[len(all)-1].Key()
	back := h.parts(store.PartFilter{After: &last, Desc: true, Limit: 3})
	if want := []int64{all[4].ID, all[3].ID, all[2].ID}; !reflect.DeepEqual(partIDs(back), want) {
		t.Errorf("3 parts before the last: %v, want %v", partIDs(back), want)
	}
	mid := all[2].Key()
	if got := h.parts(store.PartFilter{After: &mid, SerialPrefix: "MICR"}); len(got) != 1 || got[0].SerialNumber != "MICR0100" {
		t.Errorf("MICR parts after the third part: %v, want MICR0100", serials(got))
	}
	if err := h.s.ForEachPart(h.ctx, store.PartFilter{After: &mid}, func(store.PartBrief) error { return nil }); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ForEachPart with a key: %v, want ErrInvalid", err)
	}
	if got := h.parts(store.PartFilter{SerialPrefix: "MICR", Limit: 1, Offset: 2}); len(got) != 1 || got[0].SerialNumber != "MICR0100" {
		t.Errorf("third MICR part: %v, want MICR0100", serials(got))
	}
	for _, bad := range []store.PartFilter{{Offset: 1}, {Limit: -1}, {Limit: 1, Offset: -1}} {
		if _, err := h.s.Parts(h.ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Parts(limit %d, offset %d): %v, want ErrInvalid", bad.Limit, bad.Offset, err)
		}
	}
}

// testCommonPrefixPages: a part number on more parts than a page
// should sort (the store then walks the list's order instead of the
// prefix's index) pages as the unpaged list, by key both ways, typed in
// lower case too.
func testCommonPrefixPages(t *testing.T, h *harness) {
	const hosts, perHost = 260, 20 // 5,200 parts of one part number
	var reps []store.Report
	for i := range hosts {
		var mods []*memledgerv1.MemoryModule
		for j := range perHost {
			mods = append(mods, DIMM(fmt.Sprintf("A%d", j), Micron, "36ASF-COMMON", fmt.Sprintf("CP%03d%02d", i, j)))
		}
		reps = append(reps, Full(Inventory(fmt.Sprintf("cp-%03d", (i*7)%hosts), mods, nil), 1, At(0)))
		if len(reps) == 52 || i == hosts-1 {
			h.committed(reps...)
			reps = nil
		}
	}
	h.committed(Full(Inventory("cp-other", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASX-OTHER", "OTHER1")}, nil), 1, At(0)))
	all := h.parts(store.PartFilter{PartNumberPrefix: "36asf-"})
	if len(all) != hosts*perHost {
		t.Fatalf("%d parts of 36ASF-, want %d", len(all), hosts*perHost)
	}
	first := h.parts(store.PartFilter{PartNumberPrefix: "36ASF-", Limit: 51})
	if !reflect.DeepEqual(partIDs(first), partIDs(all[:51])) {
		t.Errorf("first page %v, want %v", partIDs(first), partIDs(all[:51]))
	}
	k := all[3000].Key()
	next := h.parts(store.PartFilter{PartNumberPrefix: "36asf-", After: &k, Limit: 51})
	if !reflect.DeepEqual(partIDs(next), partIDs(all[3001:3052])) {
		t.Errorf("page after part 3,000: %v, want %v", partIDs(next), partIDs(all[3001:3052]))
	}
	prev := h.parts(store.PartFilter{PartNumberPrefix: "36ASF-", After: &k, Desc: true, Limit: 2})
	if want := []int64{all[2999].ID, all[2998].ID}; !reflect.DeepEqual(partIDs(prev), want) {
		t.Errorf("2 parts before part 3,000: %v, want %v", partIDs(prev), want)
	}
	if got := h.parts(store.PartFilter{PartNumberPrefix: "36ASX", Limit: 51}); len(got) != 1 || got[0].SerialNumber != "OTHER1" {
		t.Errorf("36ASX parts: %v, want OTHER1", serials(got))
	}
}

func hostIDs(hs []store.Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

func partIDs(ps []store.Part) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// testHostListPages: host search, the vendor filter, orders, paging and
// counts, the same in Hosts, CountHosts and ForEachHost.
func testHostListPages(t *testing.T, h *harness) {
	// host id, hostname, first seen (days), vendor of its one DIMM
	// (removed from hp-e, so hp-e carries none).
	fleet := []struct {
		id, name string
		day      int
		vendor   *memledgerv1.Vendor
	}{
		{"hp-a", "zulu.example.net", 3, Micron},
		{"hp-b", "Alpha_1.example.net", 1, Crucial},
		{"hp-c", "mike.example.net", 2, Samsung},
		{"hp-d", "alpha%1.example.net", 0, Kingston},
		{"hp-e", "echo.example.net", 4, Micron},
	}
	for i, x := range fleet {
		inv := Inventory(x.id, []*memledgerv1.MemoryModule{DIMM("A1", x.vendor, "PN", fmt.Sprintf("HLP%04d", i))}, nil)
		inv.Host.Hostname = x.name
		h.committed(Full(inv, 1, At(x.day)))
	}
	h.committed(Full(func() *memledgerv1.Inventory {
		inv := Inventory("hp-e", nil, nil)
		inv.Host.Hostname = "echo.example.net"
		return inv
	}(), 2, At(5)))
	kingMicronDies := DIMM("A2", Kingston, "PN", "HLP0100")
	kingMicronDies.DramVendor = Micron
	inv := Inventory("hp-d", []*memledgerv1.MemoryModule{DIMM("A1", Kingston, "PN", "HLP0003"), kingMicronDies}, nil)
	inv.Host.Hostname = "alpha%1.example.net"
	h.committed(Full(inv, 2, At(6)))

	for _, c := range []struct {
		f    store.HostFilter
		want []string
	}{
		{store.HostFilter{}, []string{"hp-a", "hp-b", "hp-c", "hp-d", "hp-e"}},
		{store.HostFilter{Order: store.HostsByHostname}, []string{"hp-b", "hp-d", "hp-e", "hp-c", "hp-a"}},
		{store.HostFilter{Order: store.HostsByHostname, Desc: true}, []string{"hp-a", "hp-c", "hp-e", "hp-d", "hp-b"}},
		{store.HostFilter{Order: store.HostsByFirstSeen}, []string{"hp-d", "hp-b", "hp-c", "hp-a", "hp-e"}},
		{store.HostFilter{Order: store.HostsByLastSeen, Desc: true}, []string{"hp-d", "hp-e", "hp-a", "hp-c", "hp-b"}},
		{store.HostFilter{Search: "ALPHA"}, []string{"hp-b", "hp-d"}},
		{store.HostFilter{Search: "alpha_"}, []string{"hp-b"}}, // _ and % are not wildcards
		{store.HostFilter{Search: "alpha%"}, []string{"hp-d"}},
		{store.HostFilter{Search: "HP-C"}, []string{"hp-c"}},
		{store.HostFilter{Search: "nothing"}, nil},
		{store.HostFilter{Vendor: "micron"}, []string{"hp-a", "hp-b", "hp-d"}}, // Crucial's parent; Micron dies; hp-e's part is removed
		{store.HostFilter{Vendor: "kingston"}, []string{"hp-d"}},
		{store.HostFilter{Vendor: "micron", VendorParts: store.OnlyRemoved}, []string{"hp-e"}},
		{store.HostFilter{Vendor: "micron", VendorParts: store.IncludeRemoved}, []string{"hp-a", "hp-b", "hp-d", "hp-e"}},
		{store.HostFilter{Vendor: "nobody"}, nil},
		{store.HostFilter{Vendor: "micron", Search: "alpha", Order: store.HostsByHostname, Desc: true}, []string{"hp-d", "hp-b"}},
		{store.HostFilter{Order: store.HostsByHostname, Limit: 2, Offset: 1}, []string{"hp-d", "hp-e"}},
		{store.HostFilter{Order: store.HostsByHostname, Limit: 2, Offset: 4}, []string{"hp-a"}},
		{store.HostFilter{Limit: 2, Offset: 9}, nil},
	} {
		hs, err := h.s.Hosts(h.ctx, c.f)
		var got []string
		for _, x := range hs {
			got = append(got, x.ID)
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Hosts(%+v): %v, %v; want %v", c.f, got, err, c.want)
		}
		if c.f.Limit > 0 {
			continue
		}
		var streamed []string
		err = h.s.ForEachHost(h.ctx, c.f, func(b store.HostBrief) error {
			streamed = append(streamed, b.ID)
			return nil
		})
		if err != nil || !reflect.DeepEqual(streamed, c.want) {
			t.Errorf("ForEachHost(%+v): %v, %v; want %v", c.f, streamed, err, c.want)
		}
		if n, err := h.s.CountHosts(h.ctx, c.f); err != nil || n != len(c.want) {
			t.Errorf("CountHosts(%+v): %d, %v; want %d", c.f, n, err, len(c.want))
		}
	}
	// Keyset pages walk every order both ways, from each page's last host
	// (Hosts) or from any host to the end (ForEachHost).
	for _, order := range []store.HostOrder{store.HostsByID, store.HostsByHostname, store.HostsByFirstSeen, store.HostsByLastSeen} {
		for _, desc := range []bool{false, true} {
			f := store.HostFilter{Order: order, Desc: desc}
			all, err := h.s.Hosts(h.ctx, f)
			if err != nil || len(all) != len(fleet) {
				t.Fatalf("Hosts(%+v): %d hosts, %v", f, len(all), err)
			}
			var paged []store.Host
			for f.Limit = 2; ; {
				page, err := h.s.Hosts(h.ctx, f)
				if err != nil {
					t.Fatalf("Hosts(%+v): %v", f, err)
				}
				paged = append(paged, page...)
				if len(page) < f.Limit {
					break
				}
				k := page[len(page)-1].Key(order)
				f.After = &k
			}
			if got, want := hostIDs(paged), hostIDs(all); !reflect.DeepEqual(got, want) {
				t.Errorf("keyset pages of %q desc %v: %v, want %v", order, desc, got, want)
			}
			k := all[2].Key(order)
			var rest []string
			err = h.s.ForEachHost(h.ctx, store.HostFilter{Order: order, Desc: desc, After: &k}, func(b store.HostBrief) error {
				rest = append(rest, b.ID)
				return nil
			})
			if want := hostIDs(all[3:]); err != nil || !reflect.DeepEqual(rest, want) {
				t.Errorf("ForEachHost after %v: %v, %v; want %v", k, rest, err, want)
			}
			back, err := h.s.Hosts(h.ctx, store.HostFilter{Order: order, Desc: !desc, After: &k, Limit: 5})
			if want := []string{all[1].ID, all[0].ID}; err != nil || !reflect.DeepEqual(hostIDs(back), want) {
				t.Errorf("hosts before %v: %v, %v; want %v", k, hostIDs(back), err, want)
			}
		}
	}
	byName := store.HostKey{Order: store.HostsByHostname, Hostname: "mike.example.net", ID: "hp-c"}
	for _, bad := range []store.HostFilter{{Order: "size"}, {Offset: 1}, {Limit: -1}, {Vendor: "micron", VendorParts: 7}, {After: &byName}} {
		if _, err := h.s.Hosts(h.ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Hosts(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	if err := h.s.ForEachHost(h.ctx, store.HostFilter{Limit: 1}, func(store.HostBrief) error { return nil }); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ForEachHost with a limit: %v, want ErrInvalid", err)
	}
}
