package engine

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// newTestPartTx is beginPartTx without a database, at data version 7.
func newTestPartTx(c *partCache) *partTx {
	if c.hosts == nil {
		c.hosts = map[string]*hostParts{}
	}
	return &partTx{c: c, hosts: c.hosts, touched: map[string]bool{}, wrote: map[string]bool{}, version: 7}
}

func TestHostParts(t *testing.T) {
	rows := []ledger.Row{
		{ID: 1, Identity: "m1"},
		{ID: 2, Identity: "m2", Removed: true},
		{ID: 3, Identity: "m3"},
		{ID: 4, Identity: "m4", Removed: true},
	}
	h := newHostParts(rows)
	if h.count() != 4 || len(h.active) != 2 || len(h.removed) != 2 {
		t.Fatalf("split %d active, %d removed", len(h.active), len(h.removed))
	}
	if got := h.activeIdentities(); !reflect.DeepEqual(got, map[string]bool{"m1": true, "m3": true}) {
		t.Errorf("active identities %v", got)
	}
	for id, want := range map[string]bool{"m1": true, "m2": true, "m5": false} {
		if h.holds(id) != want {
			t.Errorf("holds(%q) = %v", id, !want)
		}
	}
	// Diff sees the active rows and the removed rows of the inventory's
	// identities only.
	got := h.diffRows([]ledger.Observed{{Identity: "m1"}, {Identity: "m4"}, {Identity: "m9"}})
	want := []ledger.Row{rows[0], rows[2], rows[3]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diff rows %+v, want %+v", got, want)
	}
	got[0].Slot = "changed"
	if h.active[0].Slot != "" {
		t.Errorf("diffRows shares its slice with the held rows")
	}
}

func TestPartTxApplyChanges(t *testing.T) {
	at := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
	removedAt := at.Add(-time.Hour)
	rows := []ledger.Row{
		{ID: 1, Identity: "m1", Kind: ledger.KindMemory, RealSerial: true, Slot: "A1", SlotKey: "a1", Proto: []byte{1}},
		{ID: 2, Identity: "m2", Kind: ledger.KindMemory, RealSerial: true, Slot: "A2", SlotKey: "a2", Proto: []byte{2}},
		{ID: 3, Identity: "m3", Kind: ledger.KindMemory, RealSerial: true, Slot: "A3", SlotKey: "a3", Proto: []byte{3}, Removed: true, RemovedAt: removedAt},
	}
	newPart := &ledger.Observed{Kind: ledger.KindMemory, Identity: "m4", RealSerial: true, Slot: "B1", SlotKey: "b1", Proto: []byte{4}}
	moved := &ledger.Observed{Kind: ledger.KindMemory, Identity: "m2", RealSerial: true, Slot: "C1", SlotKey: "c1", Proto: []byte{22}}
	back := &ledger.Observed{Kind: ledger.KindMemory, Identity: "m3", RealSerial: true, Slot: "A3", SlotKey: "a3", Proto: []byte{33}}
	res := ledger.Result{Changes: []ledger.Change{
		{Op: ledger.OpRemove, PartID: 1, HostID: "h"},
		{Op: ledger.OpRemove, PartID: 99, HostID: "other"},
		{Op: ledger.OpUpdate, PartID: 2, HostID: "h", Part: moved},
		{Op: ledger.OpReopen, PartID: 3, HostID: "h", Part: back},
		{Op: ledger.OpAdd, HostID: "h", Part: newPart},
	}}
	c := &partCache{}
	pt := newTestPartTx(c)
	pt.put("h", newHostParts(rows))
	pt.put("other", newHostParts([]ledger.Row{{ID: 99, Identity: "x"}}))
	pt.commit()
	if c.rowCount() != 4 {
		t.Fatalf("cached rows %d, want 4", c.rowCount())
	}

	pt = newTestPartTx(c)
	h, _ := pt.get("h")
	pt.applyChanges("h", h, res, at, map[string]int64{"m4": 10})
	wantActive := []ledger.Row{
		{ID: 2, Identity: "m2", Kind: ledger.KindMemory, RealSerial: true, Slot: "C1", SlotKey: "c1", Proto: []byte{22}},
		{ID: 3, Identity: "m3", Kind: ledger.KindMemory, RealSerial: true, Slot: "A3", SlotKey: "a3", Proto: []byte{33}, ArrivedAt: at},
		{ID: 10, Identity: "m4", Kind: ledger.KindMemory, RealSerial: true, Slot: "B1", SlotKey: "b1", Proto: []byte{4}, ArrivedAt: at},
	}
	wantRemoved := map[string]ledger.Row{
		"m1": {ID: 1, Identity: "m1", Kind: ledger.KindMemory, RealSerial: true, Slot: "A1", SlotKey: "a1", Proto: []byte{1}, Removed: true, RemovedAt: at},
	}
	got, ok := pt.get("h")
	if !ok || !reflect.DeepEqual(got.active, wantActive) || !reflect.DeepEqual(got.removed, wantRemoved) {
		t.Fatalf("rows after changes:\n got %+v %+v\nwant %+v %+v", got.active, got.removed, wantActive, wantRemoved)
	}
	if _, ok := pt.get("other"); ok {
		t.Errorf("host whose part moved away is still held")
	}
	pt.commit()
	if _, ok := c.hosts["other"]; ok {
		t.Errorf("stale host kept after commit")
	}
	if c.rowCount() != 4 || c.hosts["h"].count() != 4 {
		t.Errorf("row count %d (host h %d), want 4", c.rowCount(), c.hosts["h"].count())
	}

	// A change naming a row the cache does not hold drops the host, and so
	// does a reopen of a row that is not the removed one of its identity.
	for _, ch := range []ledger.Change{
		{Op: ledger.OpRemove, PartID: 500, HostID: "h"},
		{Op: ledger.OpUpdate, PartID: 500, HostID: "h", Part: moved},
		{Op: ledger.OpReopen, PartID: 500, HostID: "h", Part: &ledger.Observed{Identity: "m1"}},
	} {
		pt = newTestPartTx(c)
		pt.put("h", newHostParts(rows))
		h, _ := pt.get("h")
		pt.applyChanges("h", h, ledger.Result{Changes: []ledger.Change{ch}}, at, nil)
		if _, ok := pt.get("h"); ok {
			t.Errorf("%v of an unknown row: host still held", ch.Op)
		}
		pt.commit()
		if _, ok := c.hosts["h"]; ok || c.rowCount() != 0 {
			t.Errorf("%v of an unknown row: cached %v, %d rows", ch.Op, ok, c.rowCount())
		}
	}
}

func TestPartCacheBound(t *testing.T) {
	c := &partCache{maxRows: 5}
	two := []ledger.Row{{ID: 1, Identity: "a"}, {ID: 2, Identity: "b"}}
	pt := newTestPartTx(c)
	pt.put("a", newHostParts(two))
	pt.put("b", newHostParts(two))
	pt.commit()
	if c.rowCount() != 4 || len(c.hosts) != 2 {
		t.Fatalf("cache holds %d rows of %d hosts, want 4 of 2", c.rowCount(), len(c.hosts))
	}
	pt = newTestPartTx(c)
	pt.put("c", newHostParts(two))
	pt.commit()
	if c.rowCount() > 5 || c.hosts["c"] == nil {
		t.Errorf("after a third host: %d rows, hosts %v", c.rowCount(), len(c.hosts))
	}
	big := make([]ledger.Row, 6)
	for i := range big {
		big[i] = ledger.Row{ID: int64(10 + i), Identity: string(rune('a' + i))}
	}
	pt = newTestPartTx(c)
	pt.put("big", newHostParts(big))
	pt.commit()
	if _, ok := c.hosts["big"]; ok || c.rowCount() > 5 {
		t.Errorf("host larger than the cache was kept (%d rows)", c.rowCount())
	}
	c.reset()
	if c.hosts != nil || c.rowCount() != 0 || c.versionSet {
		t.Errorf("reset left %+v", c)
	}
}

func TestHostPartsTrim(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	rows := []ledger.Row{{ID: 1, Identity: "now"}}
	for i := 0; i < keepRemoved+10; i++ {
		rows = append(rows, ledger.Row{ID: int64(10 + i), Identity: fmt.Sprintf("old-%03d", i), Removed: true, RemovedAt: t0.Add(time.Duration(i) * time.Hour)})
	}
	h := newHostParts(rows)
	h.trim()
	if len(h.removed) != keepRemoved || len(h.trimmed) != 10 {
		t.Fatalf("after trim: %d removed kept, %d trimmed; want %d and 10", len(h.removed), len(h.trimmed), keepRemoved)
	}
	if _, ok := h.removed["old-000"]; ok {
		t.Errorf("the oldest removed row was kept")
	}
	if _, ok := h.removed[fmt.Sprintf("old-%03d", keepRemoved+9)]; !ok {
		t.Errorf("the newest removed row was trimmed")
	}
	named := []ledger.Observed{{Identity: "now"}, {Identity: "old-000"}, {Identity: "old-073"}, {Identity: "brand-new"}}
	if got := h.mayLack(named); !reflect.DeepEqual(got, []string{"old-000"}) {
		t.Errorf("mayLack %v, want only the trimmed identity [old-000]", got)
	}
	if got := newHostParts(rows).mayLack(named); got != nil {
		t.Errorf("untrimmed host may lack %v", got)
	}
	// A view of the active rows only may lack any identity it does not
	// hold actively.
	active := newHostParts(rows[:1])
	active.activeOnly = true
	if got := active.mayLack(named); !reflect.DeepEqual(got, []string{"old-000", "old-073", "brand-new"}) {
		t.Errorf("active-only view may lack %v", got)
	}
}

// TestPerHostCache follows the cache validated by hosts.parts_version
// through two attempts: what is taken out, bumped and put back.
func TestPerHostCache(t *testing.T) {
	c := &partCache{}
	begin := func(locked map[string]int64) *partTx {
		tx := &partTx{byHost: c, hosts: map[string]*hostParts{}, touched: map[string]bool{}, wrote: map[string]bool{}}
		tx.checkOut(locked)
		return tx
	}
	rowsOf := func(ids ...string) *hostParts {
		var rows []ledger.Row
		for i, id := range ids {
			rows = append(rows, ledger.Row{ID: int64(i + 1), Identity: id})
		}
		return newHostParts(rows)
	}

	// First attempt: nothing cached; it reads h1 and h2, writes h1's rows
	// and a row of h9, a host it did not lock.
	t1 := begin(map[string]int64{"h1": 4, "h2": 7})
	if len(t1.hosts) != 0 {
		t.Fatalf("empty cache gave %v", t1.hosts)
	}
	t1.put("h1", rowsOf("m1"))
	t1.put("h2", rowsOf("m2"))
	t1.wrote["h1"], t1.wrote["h9"] = true, true
	if unlocked := t1.bumpVersions(); !reflect.DeepEqual(unlocked, []string{"h9"}) {
		t.Errorf("hosts to bump in the database: %v, want [h9]", unlocked)
	}
	if t1.lockedAt["h1"] != 5 || t1.lockedAt["h2"] != 7 {
		t.Errorf("versions after the writes: %v", t1.lockedAt)
	}
	t1.commit()
	if !reflect.DeepEqual(c.versions, map[string]int64{"h1": 5, "h2": 7}) {
		t.Fatalf("cached versions %v, want h1 at 5, h2 at 7", c.versions)
	}

	// Second attempt: h1 was written elsewhere since (6), h2 was not.
	t2 := begin(map[string]int64{"h1": 6, "h2": 7})
	if _, ok := t2.get("h1"); ok {
		t.Error("h1 cached at 5 was used at 6")
	}
	if h, ok := t2.get("h2"); !ok || !h.isActive("m2") {
		t.Error("h2 cached at 7 was not used at 7")
	}
	if len(c.hosts) != 0 || len(c.versions) != 0 {
		t.Errorf("the cache still holds %v %v while an attempt owns or dropped them", c.hosts, c.versions)
	}
	// A failed attempt never commits: what it took out is gone.
	t3 := begin(map[string]int64{"h2": 7})
	if _, ok := t3.get("h2"); ok {
		t.Error("an entry owned by one attempt was handed to another")
	}

	// A later committer's newer entry wins over an earlier one's.
	c.hosts, c.versions = map[string]*hostParts{"h2": rowsOf("m2", "m3")}, map[string]int64{"h2": 9}
	t2.commit()
	if c.versions["h2"] != 9 || !c.hosts["h2"].isActive("m3") {
		t.Errorf("h2 at %d holds %+v, want the entry at 9 kept", c.versions["h2"], c.hosts["h2"])
	}
}

// TestEnrolledHostsNotKept: rows of a host enrolled by a transaction leave
// the cache after it, in both ways of keeping it; other hosts' stay.
func TestEnrolledHostsNotKept(t *testing.T) {
	one := newHostParts([]ledger.Row{{ID: 1, Identity: "m1"}})
	// One writer: the transaction changes the cache in place.
	c := &partCache{}
	tx := newTestPartTx(c)
	tx.put("new", one)
	tx.put("old", newHostParts([]ledger.Row{{ID: 2, Identity: "m2"}}))
	tx.enrolled = map[string]bool{"new": true}
	tx.commit()
	if _, ok := c.hosts["new"]; ok {
		t.Error("one writer: an enrolled host's rows were kept")
	}
	if _, ok := c.hosts["old"]; !ok {
		t.Error("one writer: another host's rows were dropped")
	}
	// Per-host versions: enrolled hosts are not put back.
	pc := &partCache{}
	ptx := &partTx{byHost: pc, hosts: map[string]*hostParts{}, touched: map[string]bool{}, wrote: map[string]bool{}}
	ptx.checkOut(map[string]int64{"new": 0, "old": 3})
	ptx.put("new", one)
	ptx.put("old", newHostParts(nil))
	ptx.enrolled = map[string]bool{"new": true}
	ptx.commit()
	if !reflect.DeepEqual(pc.versions, map[string]int64{"old": 3}) {
		t.Errorf("per host: cached %v, want only old at 3", pc.versions)
	}
}
