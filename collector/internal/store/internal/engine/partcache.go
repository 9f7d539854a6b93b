package engine

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// maxCachedRows bounds the part row cache: a row with its record is a few
// hundred bytes, and a host holds its removed rows too. Beyond it, arbitrary
// hosts are evicted (and read from the database when they report again).
const maxCachedRows = 500_000

// hostParts are a host's part rows, split so that a report's work grows
// with its inventory, not with everything the host ever held: the active
// rows, and the removed ones by identity (a host's rows have distinct
// identities), which only a returning part needs.
type hostParts struct {
	active  []ledger.Row
	removed map[string]ledger.Row
	// trimmed holds hashes (trimSeed) of the identities of removed rows
	// the cache no longer keeps (keepRemoved): an identity missing from
	// active and removed is new to the host unless its hash is here, and
	// only then is the database asked. Hashes hold no pointers, so they
	// cost the garbage collector nothing.
	trimmed map[uint64]struct{}
	// activeOnly says only the active rows were read, and the removed
	// rows the batch's reports name since (loadHostsPartRows): a view that
	// lives one transaction.
	activeOnly bool
}

// trimSeed seeds the hashes of trimmed identities (this process only).
var trimSeed = maphash.MakeSeed()

// keepRemoved is how many removed rows per host the cache keeps between
// transactions: a host that changed hardware more often than that (a lab
// machine, a simulator) would otherwise fill memory with its history, and
// the garbage collector's work with it. Older ones are read back when an
// inventory names one of their identities.
const keepRemoved = 64

// trim drops all but the keepRemoved most recently removed rows.
func (h *hostParts) trim() {
	if len(h.removed) <= keepRemoved {
		return
	}
	rows := make([]ledger.Row, 0, len(h.removed))
	for _, r := range h.removed {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].RemovedAt.Equal(rows[j].RemovedAt) {
			return rows[i].RemovedAt.After(rows[j].RemovedAt)
		}
		return rows[i].ID > rows[j].ID
	})
	if h.trimmed == nil {
		h.trimmed = map[uint64]struct{}{}
	}
	for _, r := range rows[keepRemoved:] {
		delete(h.removed, r.Identity)
		h.trimmed[maphash.String(trimSeed, r.Identity)] = struct{}{}
	}
}

// incomplete says removed may lack rows the database holds.
func (h *hostParts) incomplete() bool { return h.activeOnly || len(h.trimmed) > 0 }

// mayLack returns the identities among parts that h neither holds actively
// nor among its removed rows while the database may hold a removed row of
// theirs: any such identity when only active rows were read, else those
// whose hash is among the trimmed.
func (h *hostParts) mayLack(parts []ledger.Observed) []string {
	if !h.incomplete() {
		return nil
	}
	var out []string
	for i := range parts {
		id := parts[i].Identity
		if _, kept := h.removed[id]; kept || h.isActive(id) {
			continue
		}
		if !h.activeOnly {
			if _, maybe := h.trimmed[maphash.String(trimSeed, id)]; !maybe {
				continue
			}
		}
		out = append(out, id)
	}
	return out
}

// isActive says whether identity is among the active rows.
func (h *hostParts) isActive(identity string) bool {
	for i := range h.active {
		if h.active[i].Identity == identity {
			return true
		}
	}
	return false
}

func newHostParts(rows []ledger.Row) *hostParts {
	h := &hostParts{removed: map[string]ledger.Row{}}
	for _, r := range rows {
		if r.Removed {
			h.removed[r.Identity] = r
		} else {
			h.active = append(h.active, r)
		}
	}
	return h
}

func (h *hostParts) count() int { return len(h.active) + len(h.removed) }

// activeIdentities returns the identities of the active rows.
func (h *hostParts) activeIdentities() map[string]bool {
	out := make(map[string]bool, len(h.active))
	for i := range h.active {
		out[h.active[i].Identity] = true
	}
	return out
}

// goneRealIdentities returns the real-serial identities h holds actively
// that parts leaves out: the rows a diff may find moved to another host.
func (h *hostParts) goneRealIdentities(parts []ledger.Observed) []string {
	var out []string
	for i := range h.active {
		r := &h.active[i]
		if !r.RealSerial {
			continue
		}
		listed := false
		for j := range parts {
			if parts[j].Identity == r.Identity {
				listed = true
				break
			}
		}
		if !listed {
			out = append(out, r.Identity)
		}
	}
	return out
}

// holds says whether the host has a row (active or removed) of identity.
func (h *hostParts) holds(identity string) bool {
	if _, ok := h.removed[identity]; ok {
		return true
	}
	return h.isActive(identity)
}

// diffRows returns the rows ledger.Diff needs for an inventory: the active
// rows and the removed rows of its identities, in a new slice.
func (h *hostParts) diffRows(parts []ledger.Observed) []ledger.Row {
	out := make([]ledger.Row, len(h.active), len(h.active)+2)
	copy(out, h.active)
	for i := range parts {
		if r, ok := h.removed[parts[i].Identity]; ok {
			out = append(out, r)
		}
	}
	return out
}

// partCache keeps each host's part rows (as loadPartRows reads them) across
// Apply calls, so that a changed full report diffs against memory instead of
// reading the host's rows and records again: that read was the largest cost
// of a changed report on SQLite, and on PostgreSQL, where it also walked the
// dead row versions that removals leave until vacuum.
//
// Two ways keep it sound, chosen by the WriterMode:
//   - SingleWriter (SQLite, Dialect.DataVersionSQL): the rows are revalidated
//     by a value that changes when another connection commits, and the
//     cache starts afresh then. A transaction changes the cached rows in
//     place as it writes (copying a host's history per batch cost more than
//     the writes); e.parts.mu is held from before the transaction begins
//     until after its outcome is known, so no other transaction sees
//     uncommitted rows, and a failed Write empties the cache.
//   - SharedWriters (PostgreSQL, hosts.parts_version): each host's rows
//     are kept with the hosts.parts_version they are valid at. A
//     transaction takes out the entries of the hosts it has locked whose
//     version is the locked one (checkOut), owns them while it runs, bumps
//     the version of every host whose part rows it wrote, and puts its
//     hosts' rows back after committing (checkIn). A failed attempt loses
//     what it took out: those hosts are read again.
type partCache struct {
	mu    sync.Mutex
	hosts map[string]*hostParts
	// versions are the hosts' parts_version their rows are valid at
	// (many writers only).
	versions map[string]int64
	// maxRows overrides maxCachedRows when set (tests).
	maxRows    int
	version    int64
	versionSet bool
}

// partTx is one transaction attempt's view of hosts' part rows: the cache
// itself where one writer owns the database, else rows the attempt read or
// took out of the cache.
type partTx struct {
	// c is the cache where one writer owns the database; nil otherwise
	// (the rows then live only as long as the attempt, unless byHost
	// takes them back).
	c *partCache
	// byHost is the cache validated per host (SharedWriters),
	// nil otherwise.
	byHost *partCache
	// lockedAt are the parts_version of the hosts the attempt locked, as
	// it found them and then as it leaves them (bumpVersions). Only these
	// hosts' rows are taken out of byHost and put back.
	lockedAt map[string]int64
	// wrote are the hosts whose part rows the attempt wrote.
	wrote map[string]bool
	// enrolled are the hosts the attempt enrolled: their rows are not
	// kept after it. Most hosts send their first inventory and then
	// heartbeats; a fleet enrolling would fill the cache with rows no
	// batch reads again (10,000 hosts: ~300 MB).
	enrolled map[string]bool
	// hosts are the rows as this attempt left them: c.hosts, or the
	// attempt's own map.
	hosts map[string]*hostParts
	// touched are hosts whose rows the attempt read, changed or dropped.
	touched map[string]bool
	version int64
	// nextID is the id the attempt gives its next new part row under
	// SingleWriter (0: not read yet). That needs the shared cache, which
	// is on only where one process owns the database and writes under
	// e.parts.mu, so ids chosen here are those SQLite would choose
	// (max(id)+1: parts has no AUTOINCREMENT and no deletes), and inserts
	// need not return them: they can be queued.
	nextID int64
	// reserved are ids taken from the database for new rows
	// (SharedWriters, Dialect.ReserveIDsSQL), used first to last.
	reserved []int64
	// inserted counts the part rows the attempt inserted.
	inserted int
}

// beginPartTx validates the cache inside a write transaction and returns the
// attempt's view; one over no shared cache under SharedWriters.
func (e *Engine) beginPartTx(ctx context.Context, w *writer) (*partTx, error) {
	t := &partTx{touched: map[string]bool{}, wrote: map[string]bool{}}
	if e.writers == SharedWriters {
		t.hosts, t.byHost = map[string]*hostParts{}, &e.parts
		return t, nil
	}
	v, err := scanInt64(w.query(ctx, e.d.DataVersionSQL))
	if err != nil {
		return nil, fmt.Errorf("read data version: %w", err)
	}
	c := &e.parts
	if !c.versionSet || c.version != v || c.hosts == nil {
		// Another connection committed (or nothing is known yet): what the
		// cache holds may be out of date.
		c.hosts = map[string]*hostParts{}
	}
	t.c, t.hosts, t.version = c, c.hosts, v
	return t, nil
}

// get returns the rows of hostID, if held.
func (t *partTx) get(hostID string) (*hostParts, bool) {
	h, ok := t.hosts[hostID]
	return h, ok
}

// put records hostID's rows as read from the database.
func (t *partTx) put(hostID string, h *hostParts) {
	t.hosts[hostID] = h
	t.touched[hostID] = true
}

// invalidate drops hostID's rows, changed behind the view's back: they
// are read again when needed.
func (t *partTx) invalidate(hostID string) {
	delete(t.hosts, hostID)
	t.touched[hostID] = true
}

// checkOut takes out of the per-host cache the rows of the locked hosts
// that were cached at the version each was locked at; the attempt owns
// them until checkIn. Entries at another version are stale and dropped.
func (t *partTx) checkOut(locked map[string]int64) {
	t.lockedAt = locked
	c := t.byHost
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, v := range locked {
		hp, ok := c.hosts[h]
		if !ok {
			continue
		}
		if c.versions[h] == v {
			t.hosts[h] = hp
		}
		c.evict(h)
	}
}

// bumpVersions advances the locked version of every locked host whose part
// rows the attempt wrote and returns the other hosts whose rows it wrote
// (a part moved away from them), sorted: their versions must be bumped in
// the database too.
func (t *partTx) bumpVersions() (unlocked []string) {
	for h := range t.wrote {
		if v, ok := t.lockedAt[h]; ok {
			t.lockedAt[h] = v + 1
		} else {
			unlocked = append(unlocked, h)
		}
	}
	sort.Strings(unlocked)
	return unlocked
}

// commit settles a committed attempt's rows in the cache.
func (t *partTx) commit() {
	if t.byHost != nil {
		t.checkIn()
		return
	}
	c := t.c
	if c == nil {
		return
	}
	for h := range t.enrolled {
		c.evict(h)
	}
	c.bound(t.touched)
	c.version, c.versionSet = t.version, true
}

// checkIn puts a committed attempt's rows of its locked hosts back into the
// per-host cache, at the versions it committed; rows of other hosts it wrote
// are dropped. A newer entry (another attempt committed the host since) is
// kept.
func (t *partTx) checkIn() {
	c := t.byHost
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hosts == nil {
		c.hosts, c.versions = map[string]*hostParts{}, map[string]int64{}
	}
	for h := range t.wrote {
		if _, locked := t.lockedAt[h]; !locked {
			c.evict(h)
		}
	}
	for h, hp := range t.hosts {
		v, locked := t.lockedAt[h]
		if !locked || t.enrolled[h] {
			continue
		}
		if cur, held := c.versions[h]; held && cur >= v {
			continue
		}
		c.hosts[h], c.versions[h] = hp, v
	}
	c.bound(t.touched)
}

// bound trims the removed rows of the hosts an attempt used and evicts
// hosts, those it did not use first, until the cache is within its bound.
func (c *partCache) bound(used map[string]bool) {
	limit := c.maxRows
	if limit == 0 {
		limit = maxCachedRows
	}
	for h := range used {
		if hp, ok := c.hosts[h]; ok {
			if hp.trim(); hp.count() > limit {
				c.evict(h)
			}
		}
	}
	rows := c.rowCount()
	for _, evenUsed := range []bool{false, true} {
		for h, hp := range c.hosts {
			if rows <= limit {
				break
			}
			if evenUsed || !used[h] {
				rows -= hp.count()
				c.evict(h)
			}
		}
	}
}

// evict drops a host's rows.
func (c *partCache) evict(h string) {
	delete(c.hosts, h)
	delete(c.versions, h)
}

// reset empties the cache after a failed Write, whose outcome (committed or
// not) the engine cannot know for sure, and whose changes to the cached
// rows may not have been committed.
func (c *partCache) reset() {
	c.hosts = nil
	c.versionSet = false
}

// rowCount is the number of rows the cache holds.
func (c *partCache) rowCount() int {
	n := 0
	for _, hp := range c.hosts {
		n += hp.count()
	}
	return n
}

// applyChanges records hostID's rows after res's changes, made at at;
// added maps identities of inserted rows to their ids. Changes on other
// hosts' rows invalidate those hosts, and so does a change naming a row
// the view does not hold.
func (t *partTx) applyChanges(hostID string, h *hostParts, res ledger.Result, at time.Time, added map[string]int64) {
	t.touched[hostID] = true
	for i := range res.Changes {
		if res.Changes[i].Op != ledger.OpNote { // events only: no row of that host changed
			t.wrote[res.Changes[i].HostID] = true
		}
	}
	activeIndex := func(id int64) int {
		for i := range h.active {
			if h.active[i].ID == id {
				return i
			}
		}
		return -1
	}
	for i := range res.Changes {
		c := &res.Changes[i]
		if c.Op == ledger.OpNote {
			continue
		}
		if c.HostID != hostID {
			t.invalidate(c.HostID)
			continue
		}
		switch c.Op {
		case ledger.OpAdd:
			r := ledger.Row{ID: added[c.Part.Identity], ArrivedAt: at}
			setObserved(&r, c.Part)
			h.active = append(h.active, r)
		case ledger.OpRemove:
			j := activeIndex(c.PartID)
			if j < 0 {
				t.invalidate(hostID)
				return
			}
			r := h.active[j]
			h.active = append(h.active[:j], h.active[j+1:]...)
			r.Removed, r.RemovedAt = true, latest(at, r.ArrivedAt) // as removePartSQL
			h.removed[r.Identity] = r
		case ledger.OpUpdate:
			j := activeIndex(c.PartID)
			if j < 0 {
				t.invalidate(hostID)
				return
			}
			setObserved(&h.active[j], c.Part)
		case ledger.OpReopen:
			r, ok := h.removed[c.Part.Identity]
			if !ok || r.ID != c.PartID {
				t.invalidate(hostID)
				return
			}
			delete(h.removed, r.Identity)
			setObserved(&r, c.Part)
			r.Removed, r.RemovedAt, r.ArrivedAt = false, time.Time{}, latest(at, r.RemovedAt) // as reopenPartSQL
			h.active = append(h.active, r)
		}
	}
}

// setObserved updates a row's columns from an observation of its part.
func setObserved(r *ledger.Row, o *ledger.Observed) {
	// The row outlives the report: its record is copied out of the
	// report's encoding (ledger.Observe shares it), and its strings
	// out of the received message (the server's decoder shares them).
	r.Identity, r.Kind, r.RealSerial, r.Slot, r.SlotKey, r.Proto = strings.Clone(o.Identity), o.Kind, o.RealSerial,
		strings.Clone(o.Slot), strings.Clone(o.SlotKey), bytes.Clone(o.Proto)
}
