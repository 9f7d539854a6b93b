package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// maxCachedRows bounds the part row cache: a row with its record is a few
// hundred bytes, and a host holds its removed rows too. Beyond it, arbitrary
// hosts are evicted (and read from the database when they report again).
const maxCachedRows = 500_000

// partCache keeps each host's part rows (as loadPartRows reads them) across
// Apply calls, so that a changed full report diffs against memory instead of
// reading the host's rows and records again: that read was the largest cost
// of a changed report on SQLite.
//
// It is sound only where the engine sees every write to the parts table:
// the rows are revalidated by Dialect.CacheVersionSQL, whose value changes
// when another connection commits, and the cache starts afresh then. Rows
// changed by a transaction are staged in a partTx and enter the cache only
// after the commit succeeded; any failed Write empties the cache.
type partCache struct {
	// mu is held across an Apply's Write and the merge that follows, so no
	// transaction reads the cache between another's commit and its merge.
	mu    sync.Mutex
	hosts map[string][]ledger.Row
	rows  int // rows held in hosts
	// maxRows overrides maxCachedRows when set (tests).
	maxRows    int
	version    int64
	versionSet bool
}

// partTx is one transaction attempt's view of hosts' part rows: the rows
// it read or changed, over the shared cache where the dialect has one.
type partTx struct {
	// c is the shared cache; nil where the dialect has none (the rows then
	// live only as long as the attempt).
	c *partCache
	// rows are hosts' rows as this transaction left them (or read them).
	rows map[string][]ledger.Row
	// stale are hosts whose rows this transaction changed without tracking
	// them (a part moved off another host): they must be read again.
	stale map[string]bool
	// owned are hosts whose rows slice this attempt made (not shared with
	// the cache), which later reports of the batch may change in place.
	owned   map[string]bool
	version int64
	// nextID is the id the attempt gives its next new part row where the
	// dialect reserves none (0: not read yet). That needs the shared cache,
	// which is on only where one process owns the database and writes
	// under e.parts.mu, so ids chosen here are those SQLite would choose
	// (max(id)+1: parts has no AUTOINCREMENT and no deletes), and inserts
	// need not return them: they can be queued.
	nextID int64
	// reserved are ids taken from the database for new rows
	// (Dialect.ReserveIDsSQL), used first to last.
	reserved []int64
}

// beginPartTx validates the cache inside a write transaction and returns the
// attempt's view; one over no shared cache where the dialect has none.
func (e *Engine) beginPartTx(ctx context.Context, w *writer) (*partTx, error) {
	if e.d.CacheVersionSQL == "" {
		return &partTx{rows: map[string][]ledger.Row{}, stale: map[string]bool{}, owned: map[string]bool{}}, nil
	}
	rows, err := w.query(ctx, e.d.CacheVersionSQL)
	if err != nil {
		return nil, fmt.Errorf("read data version: %w", err)
	}
	var v int64
	if rows.Next() {
		err = rows.Scan(&v)
	} else if err = rows.Err(); err == nil {
		err = fmt.Errorf("no row")
	}
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("read data version: %w", err)
	}
	c := &e.parts
	if !c.versionSet || c.version != v {
		// Another connection committed (or nothing is known yet): what the
		// cache holds may be out of date.
		c.hosts, c.rows = nil, 0
	}
	return &partTx{c: c, rows: map[string][]ledger.Row{}, stale: map[string]bool{}, owned: map[string]bool{}, version: v}, nil
}

// get returns the cached rows of hostID.
func (t *partTx) get(hostID string) ([]ledger.Row, bool) {
	if t == nil || t.stale[hostID] {
		return nil, false
	}
	if r, ok := t.rows[hostID]; ok {
		return r, true
	}
	if t.c == nil {
		return nil, false
	}
	r, ok := t.c.hosts[hostID]
	return r, ok
}

// put records hostID's rows as they now are in the transaction; owned
// says the slice is the attempt's own.
func (t *partTx) put(hostID string, rows []ledger.Row, owned bool) {
	if t == nil {
		return
	}
	delete(t.stale, hostID)
	t.rows[hostID] = rows
	t.owned[hostID] = owned
}

// invalidate marks hostID's rows as changed behind the cache's back.
func (t *partTx) invalidate(hostID string) {
	if t == nil {
		return
	}
	delete(t.rows, hostID)
	delete(t.owned, hostID)
	t.stale[hostID] = true
}

// commit merges a committed attempt into the cache.
func (t *partTx) commit() {
	c := t.c
	if c == nil {
		return
	}
	for h := range t.stale {
		c.drop(h)
	}
	if c.hosts == nil {
		c.hosts = make(map[string][]ledger.Row, len(t.rows))
	}
	limit := c.maxRows
	if limit == 0 {
		limit = maxCachedRows
	}
	for h, rows := range t.rows {
		if len(rows) > limit {
			c.drop(h)
			continue
		}
		c.rows += len(rows) - len(c.hosts[h])
		c.hosts[h] = rows
		for k := range c.hosts { // evict arbitrary hosts
			if c.rows <= limit {
				break
			}
			if k != h {
				c.drop(k)
			}
		}
	}
	c.version, c.versionSet = t.version, true
}

// reset empties the cache after a failed Write, whose outcome (committed or
// not) the engine cannot know for sure.
func (c *partCache) reset() {
	c.hosts, c.rows = nil, 0
	c.versionSet = false
}

// drop forgets a host's rows.
func (c *partCache) drop(hostID string) {
	c.rows -= len(c.hosts[hostID])
	delete(c.hosts, hostID)
}

// applyChanges records a host's rows after res's changes; rows are the
// rows res was computed from. A slice shared with the cache is copied, not
// changed (the cache keeps it if the transaction fails). added maps
// identities of inserted rows to their ids. Changes on other hosts' rows
// invalidate those hosts.
func (t *partTx) applyChanges(hostID string, rows []ledger.Row, res ledger.Result, at time.Time, added map[string]int64) {
	if t == nil {
		return
	}
	out := rows
	if !t.owned[hostID] {
		out = make([]ledger.Row, len(rows), len(rows)+len(added))
		copy(out, rows)
	}
	// Index only the rows the changes name: a host's rows include every
	// part it ever had.
	byID := make(map[int64]int, len(res.Changes))
	for i := range res.Changes {
		if c := &res.Changes[i]; c.HostID == hostID && c.Op != ledger.OpAdd {
			byID[c.PartID] = -1
		}
	}
	for i := range out {
		if _, named := byID[out[i].ID]; named {
			byID[out[i].ID] = i
		}
	}
	for i := range res.Changes {
		c := &res.Changes[i]
		if c.HostID != hostID {
			t.invalidate(c.HostID)
			continue
		}
		switch c.Op {
		case ledger.OpAdd:
			o := c.Part
			out = append(out, ledger.Row{
				ID: added[o.Identity], Identity: o.Identity, Kind: o.Kind, RealSerial: o.RealSerial,
				Slot: o.Slot, SlotKey: o.SlotKey, Proto: o.Proto,
			})
			continue
		}
		j := byID[c.PartID]
		if j < 0 {
			// Not a row of this host as far as the cache knows: read
			// the host again next time.
			t.invalidate(hostID)
			return
		}
		r := &out[j]
		switch c.Op {
		case ledger.OpRemove:
			r.Removed, r.RemovedAt = true, at
		case ledger.OpReopen, ledger.OpUpdate:
			o := c.Part
			r.Identity, r.Kind, r.RealSerial, r.Slot, r.SlotKey, r.Proto = o.Identity, o.Kind, o.RealSerial, o.Slot, o.SlotKey, o.Proto
			r.Removed, r.RemovedAt = false, time.Time{}
		}
	}
	t.put(hostID, out, true)
}
