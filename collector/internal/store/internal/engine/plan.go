package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// Planning a batch: the rows its reports will diff against and look up,
// read with a few queries for the whole batch (planBatch), and the reads
// a report still needs on its own (loadPartRows, lookupElsewhere).

// remotePrefetch holds, for identities the batch's changed reports may
// look up on other hosts, every part row with that identity as the
// transaction found it before its first write. A report writes only its
// own host's rows (adds, updates, reopens and removals), and a lookup
// skips the looking host's rows, so an identity stays answerable from here
// for a host until a report of another host touches it: touchedBy records,
// for every identity a processed report observed or its host held
// actively, that report's host. Reports of one host often share a batch
// (an agent's spool, several in flight): the second report's lookups of
// what the first one swapped must not cost a flush and a query each.
//
// Where several collectors share a database (PostgreSQL), another one may
// change a row of a host outside this batch after the read. A read per
// report has the same window, only shorter (READ COMMITTED): what keeps
// the ledger sound is that removals guard on removed_at IS NULL, that a
// report writes only its own host's rows (another host's part is never
// taken: a real serial on two hosts is a serial clash, both rows stay),
// and that the unique (identity, host) key turns two inserts of one part
// on one host into a unique_violation, which retries the transaction.
type remotePrefetch struct {
	known map[string]bool
	rows  map[string][]ledger.Remote
	// touchedBy maps an identity to the host whose report touched it, or
	// to "" once reports of several hosts have (host ids are never empty).
	touchedBy map[string]string
}

// touch records that a report of hostID touched identity.
func (pf *remotePrefetch) touch(identity, hostID string) {
	if by, ok := pf.touchedBy[identity]; !ok {
		pf.touchedBy[identity] = hostID
	} else if by != hostID {
		pf.touchedBy[identity] = ""
	}
}

// answers says whether the prefetched rows of identity still hold for a
// lookup by hostID: rows of hosts other than hostID as the batch found
// them, not written since by a report of another host.
func (pf *remotePrefetch) answers(identity, hostID string) bool {
	by, touched := pf.touchedBy[identity]
	return pf.known[identity] && (!touched || by == hostID)
}

const partRowColumns = `id, identity, kind, real_serial, slot, slot_key, record, removed_at, arrived_at`

func (e *Engine) loadPartRows(ctx context.Context, w *writer, hostID string) (*hostParts, error) {
	if h, ok := w.parts.get(hostID); ok {
		return h, nil
	}
	if err := e.loadHostsPartRows(ctx, w, []string{hostID}, false); err != nil {
		return nil, err
	}
	h, _ := w.parts.get(hostID)
	return h, nil
}

// loadHostsPartRows reads the part rows of hosts into the attempt's view,
// in one query per keysPerQuery hosts. With activeOnly (a view that lives
// one transaction: no shared cache) it reads only their active rows;
// loadNamedRemoved adds the removed rows the batch's reports name. Diffs
// of these reports need no other row, so the read is the size of the
// inventories, not of the hosts' history. A host read again later in the
// transaction (its rows changed behind the view) is read whole.
func (e *Engine) loadHostsPartRows(ctx context.Context, w *writer, hostIDs []string, activeOnly bool) error {
	for chunk := range slices.Chunk(hostIDs, keysPerQuery) {
		a := e.newArgs()
		q := `SELECT host_id, ` + partRowColumns + ` FROM parts WHERE ` + a.inStrings("host_id", chunk)
		if activeOnly {
			q += ` AND removed_at IS NULL`
		}
		byHost, err := e.queryPartRows(ctx, w, q+` ORDER BY host_id, id`, a.vals)
		if err != nil {
			return err
		}
		for _, h := range chunk {
			held := newHostParts(byHost[h])
			held.activeOnly = activeOnly
			w.parts.put(h, held)
		}
	}
	return nil
}

// queryPartRows runs a query of host_id and partRowColumns and groups the
// rows by host.
func (e *Engine) queryPartRows(ctx context.Context, w *writer, q string, args []any) (map[string][]ledger.Row, error) {
	rows, err := w.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("load parts of hosts: %w", err)
	}
	byHost := map[string][]ledger.Row{}
	for rows.Next() {
		var r ledger.Row
		var hostID, kind string
		var removed, arrived Time
		if err := rows.Scan(&hostID, &r.ID, &r.Identity, &kind, &r.RealSerial, &r.Slot, &r.SlotKey, &r.Proto, &removed, &arrived); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load parts of hosts: %w", err)
		}
		r.Kind = ledger.PartKind(kind)
		r.Removed, r.RemovedAt, r.ArrivedAt = removed.Valid, removed.T, arrived.T
		byHost[hostID] = append(byHost[hostID], r)
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("load parts of hosts: %w", err)
	}
	return byHost, nil
}

// loadNamedRemoved reads into the view the removed rows that the batch's
// full reports name and that the held rows may lack (hostParts.mayLack):
// every full report, not only those that looked changed at the start,
// since one may become so after another.
func (e *Engine) loadNamedRemoved(ctx context.Context, w *writer, prep []*prepared) error {
	var ids []string
	wanted := map[string]map[string]bool{} // host -> identities
	for _, p := range prep {
		if p.rejected != nil || p.rep.Inventory == nil {
			continue
		}
		held, ok := w.parts.get(p.rep.HostID)
		if !ok || !held.incomplete() {
			continue
		}
		parts, err := p.observe()
		if err != nil {
			continue // applyInventory reports it, if the report gets there
		}
		for _, id := range held.mayLack(parts) {
			if wanted[p.rep.HostID] == nil {
				wanted[p.rep.HostID] = map[string]bool{}
			}
			if !wanted[p.rep.HostID][id] {
				wanted[p.rep.HostID][id] = true
				ids = append(ids, id)
			}
		}
	}
	for chunk := range slices.Chunk(ids, keysPerQuery) {
		a := e.newArgs()
		byHost, err := e.queryPartRows(ctx, w, `SELECT host_id, `+partRowColumns+` FROM parts WHERE `+a.inStrings("identity", chunk)+
			` AND removed_at IS NOT NULL`, a.vals)
		if err != nil {
			return err
		}
		for h, rows := range byHost {
			held, ok := w.parts.get(h)
			if !ok || wanted[h] == nil {
				continue // another host's row of that identity
			}
			for _, r := range rows {
				if wanted[h][r.Identity] {
					held.removed[r.Identity] = r
				}
			}
		}
	}
	return nil
}

// lookupElsewhere finds, for each real-serial identity the host does not
// hold actively and each one it holds actively but no longer lists, the
// most relevant row on another host: an active one, or else the one that
// arrived last.
func (e *Engine) lookupElsewhere(ctx context.Context, w *writer, hostID string, held *hostParts, parts []ledger.Observed) (map[string]ledger.Remote, error) {
	active := held.activeIdentities()
	var want []string
	for _, o := range parts {
		if o.RealSerial && !active[o.Identity] {
			want = append(want, o.Identity)
		}
	}
	want = append(want, held.goneRealIdentities(parts)...)
	out := map[string]ledger.Remote{}
	if pf := w.remotes; pf != nil {
		rest := want[:0:0]
		for _, id := range want {
			if !pf.answers(id, hostID) {
				rest = append(rest, id)
				continue
			}
			for _, r := range pf.rows[id] {
				if r.HostID == hostID {
					continue
				}
				if prev, seen := out[id]; !seen || betterRemote(r, prev) {
					out[id] = r
				}
			}
		}
		want = rest
		// This report's writes concern only these identities: removals
		// are of active rows, the rest of observed identities.
		for id := range active {
			pf.touch(id, hostID)
		}
		for _, o := range parts {
			pf.touch(o.Identity, hostID)
		}
	}
	var unlocked []string
	for _, id := range want {
		if w.remotes == nil || !w.remotes.known[id] {
			unlocked = append(unlocked, id)
		}
	}
	if err := e.lockIdentities(ctx, w, unlocked); err != nil {
		return nil, err
	}
	err := e.queryRemotes(ctx, w, hostID, want, func(identity string, r ledger.Remote) {
		if prev, seen := out[identity]; !seen || betterRemote(r, prev) {
			out[identity] = r
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// planBatch reads, before the batch writes anything, what its changed full
// reports will need, in a few queries for the whole batch instead of several
// per report: the part rows of their hosts (those the cache does not hold),
// every part row whose identity a report may look up on other hosts (a real
// serial its host does not hold actively), and, under SharedWriters, as
// many new part ids as the reports will add.
func (e *Engine) planBatch(ctx context.Context, w *writer, prep []*prepared, states map[string]*hostState) (*remotePrefetch, error) {
	pf := &remotePrefetch{known: map[string]bool{}, rows: map[string][]ledger.Remote{}, touchedBy: map[string]string{}}
	var changed []*prepared
	var load []string
	listed := map[string]bool{}
	for _, p := range prep {
		st := states[p.rep.HostID]
		if p.rejected != nil || p.rep.Inventory == nil || st == nil || p.digest == st.digest || p.stale(st) {
			continue // not diffed (as far as the batch's start tells)
		}
		changed = append(changed, p)
		if !listed[st.id] {
			listed[st.id] = true
			if _, ok := w.parts.get(st.id); !ok {
				load = append(load, st.id)
			}
		}
	}
	if err := e.loadHostsPartRows(ctx, w, load, w.parts.c == nil); err != nil {
		return nil, err
	}
	if err := e.loadNamedRemoved(ctx, w, prep); err != nil {
		return nil, err
	}
	var want []string
	// added are the (host, identity) pairs the batch will insert: observed
	// on the host, held there in no row at all (a returning part reopens
	// its row). Exact unless a report turns out a duplicate; a spare id is
	// a gap in the sequence.
	added := map[[2]string]bool{}
	for _, p := range changed {
		parts, err := p.observe()
		if err != nil {
			continue // applyInventory reports it, if the report gets there
		}
		held, _ := w.parts.get(p.rep.HostID)
		active := held.activeIdentities()
		for _, o := range parts {
			if e.writers == SharedWriters && !held.holds(o.Identity) {
				added[[2]string{p.rep.HostID, o.Identity}] = true
			}
			if o.RealSerial && !active[o.Identity] && !pf.known[o.Identity] {
				pf.known[o.Identity] = true
				want = append(want, o.Identity)
			}
		}
		for _, id := range held.goneRealIdentities(parts) {
			if !pf.known[id] {
				pf.known[id] = true
				want = append(want, id)
			}
		}
	}
	if len(added) > 0 {
		if err := e.reserveIDs(ctx, w, len(added)); err != nil {
			return nil, err
		}
	}
	if err := e.lockIdentities(ctx, w, want); err != nil {
		return nil, err
	}
	err := e.queryRemotes(ctx, w, "", want, func(identity string, r ledger.Remote) {
		pf.rows[identity] = append(pf.rows[identity], r)
	})
	if err != nil {
		return nil, err
	}
	return pf, nil
}

// queryRemotes reads the rows of identities (on any host but exceptHost,
// when set), in one query per keysPerQuery identities, and hands each to
// each.
func (e *Engine) queryRemotes(ctx context.Context, w *writer, exceptHost string, identities []string, each func(identity string, r ledger.Remote)) error {
	for chunk := range slices.Chunk(identities, keysPerQuery) {
		a := e.newArgs()
		q := `SELECT id, host_id, slot, identity, removed_at, arrived_at FROM parts WHERE `
		if exceptHost != "" {
			q += `host_id <> ` + a.add(exceptHost) + ` AND `
		}
		res, err := w.query(ctx, q+a.inStrings("identity", chunk), a.vals...)
		if err != nil {
			return fmt.Errorf("look up parts on other hosts: %w", err)
		}
		for res.Next() {
			var r ledger.Remote
			var identity string
			var removed, arrived Time
			if err := res.Scan(&r.PartID, &r.HostID, &r.Slot, &identity, &removed, &arrived); err != nil {
				res.Close()
				return fmt.Errorf("look up parts on other hosts: %w", err)
			}
			r.Active, r.ArrivedAt = !removed.Valid, arrived.T
			each(identity, r)
		}
		err = res.Err()
		res.Close()
		if err != nil {
			return fmt.Errorf("look up parts on other hosts: %w", err)
		}
	}
	return nil
}

// lockIdentities locks identities under SharedWriters (sorted, so that two
// transactions take shared ones in one order).
func (e *Engine) lockIdentities(ctx context.Context, w *writer, identities []string) error {
	if e.writers != SharedWriters || len(identities) == 0 {
		return nil
	}
	sorted := slices.Clone(identities)
	slices.Sort(sorted)
	rows, err := w.query(ctx, e.d.LockIdentitiesSQL, slices.Compact(sorted))
	if err != nil {
		return fmt.Errorf("lock part identities: %w", err)
	}
	for rows.Next() {
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("lock part identities: %w", err)
	}
	return nil
}

func betterRemote(a, b ledger.Remote) bool {
	if a.Active != b.Active {
		return a.Active
	}
	if !a.ArrivedAt.Equal(b.ArrivedAt) {
		return a.ArrivedAt.After(b.ArrivedAt)
	}
	return a.PartID > b.PartID
}
