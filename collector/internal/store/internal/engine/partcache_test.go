package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
)

func newTestPartTx(c *partCache) *partTx {
	return &partTx{c: c, rows: map[string][]ledger.Row{}, stale: map[string]bool{}, owned: map[string]bool{}, version: 7}
}

func TestPartTxApplyChanges(t *testing.T) {
	at := time.Date(2025, 3, 2, 8, 0, 0, 0, time.UTC)
	removedAt := at.Add(-time.Hour)
	rows := []ledger.Row{
		{ID: 1, Identity: "m1", Kind: ledger.KindMemory, RealSerial: true, Slot: "A1", SlotKey: "a1", Proto: []byte{1}},
		{ID: 2, Identity: "m2", Kind: ledger.KindMemory, RealSerial: true, Slot: "A2", SlotKey: "a2", Proto: []byte{2}},
		{ID: 3, Identity: "m3", Kind: ledger.KindMemory, RealSerial: true, Slot: "A3", SlotKey: "a3", Proto: []byte{3}, Removed: true, RemovedAt: removedAt},
	}
	orig := append([]ledger.Row(nil), rows...)
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
	c := &partCache{hosts: map[string][]ledger.Row{"h": rows, "other": {{ID: 99, Identity: "x"}}}, rows: 4, version: 7, versionSet: true}
	pt := newTestPartTx(c)
	pt.applyChanges("h", rows, res, at, map[string]int64{"m4": 10})

	want := []ledger.Row{
		{ID: 1, Identity: "m1", Kind: ledger.KindMemory, RealSerial: true, Slot: "A1", SlotKey: "a1", Proto: []byte{1}, Removed: true, RemovedAt: at},
		{ID: 2, Identity: "m2", Kind: ledger.KindMemory, RealSerial: true, Slot: "C1", SlotKey: "c1", Proto: []byte{22}},
		{ID: 3, Identity: "m3", Kind: ledger.KindMemory, RealSerial: true, Slot: "A3", SlotKey: "a3", Proto: []byte{33}},
		{ID: 10, Identity: "m4", Kind: ledger.KindMemory, RealSerial: true, Slot: "B1", SlotKey: "b1", Proto: []byte{4}},
	}
	got, ok := pt.get("h")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("rows after changes:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(rows, orig) {
		t.Errorf("the cached slice was changed in place: %+v", rows)
	}
	if _, ok := pt.get("other"); ok {
		t.Errorf("host whose part moved away is still served from the cache")
	}
	if r := c.hosts["h"]; !reflect.DeepEqual(r, orig) {
		t.Errorf("cache changed before commit: %+v", r)
	}

	pt.commit()
	if !reflect.DeepEqual(c.hosts["h"], want) {
		t.Errorf("committed rows %+v", c.hosts["h"])
	}
	if _, ok := c.hosts["other"]; ok {
		t.Errorf("stale host kept after commit")
	}
	if c.rows != len(want) {
		t.Errorf("row count %d, want %d", c.rows, len(want))
	}

	// A change naming a row the cache does not hold drops the host.
	pt = newTestPartTx(c)
	pt.applyChanges("h", want, ledger.Result{Changes: []ledger.Change{{Op: ledger.OpRemove, PartID: 500, HostID: "h"}}}, at, nil)
	if _, ok := pt.get("h"); ok {
		t.Errorf("host with an unknown row still cached")
	}
	pt.commit()
	if _, ok := c.hosts["h"]; ok || c.rows != 0 {
		t.Errorf("after unknown row: cached %v, %d rows", ok, c.rows)
	}
}

func TestPartCacheBound(t *testing.T) {
	c := &partCache{maxRows: 5}
	pt := newTestPartTx(c)
	two := []ledger.Row{{ID: 1}, {ID: 2}}
	pt.put("a", two, true)
	pt.put("b", two, true)
	pt.commit()
	if c.rows != 4 || len(c.hosts) != 2 {
		t.Fatalf("cache holds %d rows of %d hosts, want 4 of 2", c.rows, len(c.hosts))
	}
	pt = newTestPartTx(c)
	pt.put("c", two, true)
	pt.commit()
	if c.rows > 5 || c.hosts["c"] == nil {
		t.Errorf("after a third host: %d rows, hosts %v", c.rows, len(c.hosts))
	}
	pt = newTestPartTx(c)
	pt.put("big", make([]ledger.Row, 6), true)
	pt.commit()
	if _, ok := c.hosts["big"]; ok || c.rows > 5 {
		t.Errorf("host larger than the cache was kept (%d rows)", c.rows)
	}
	n := 0
	for _, r := range c.hosts {
		n += len(r)
	}
	if n != c.rows {
		t.Errorf("row count %d, hosts hold %d", c.rows, n)
	}
	c.reset()
	if c.hosts != nil || c.rows != 0 || c.versionSet {
		t.Errorf("reset left %+v", c)
	}
}
