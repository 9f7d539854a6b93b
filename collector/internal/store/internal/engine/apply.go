package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// keysPerQuery caps the keys (host ids, identities) a query lists, far
// below both databases' limits on bound parameters (SQLite 32766,
// PostgreSQL 65535).
const keysPerQuery = 500

// hostState is a host row loaded (and locked) for the batch, updated in
// memory by each report and written back once at the end.
type hostState struct {
	id              string
	hostname        string
	agentLabels     map[string]string
	overrides       map[string]string
	unset           []string
	firstSeen       time.Time
	lastSeen        time.Time
	lastReportAt    time.Time
	inventorySeenAt time.Time
	lastSeq         int64
	digest          string
	// partsVersion is hosts.parts_version (SharedWriters):
	// as locked, then as the batch leaves it.
	partsVersion    int64
	agentVersion    string
	os, kernel      string
	sysMfr, sysProd string
	sysSerial       string
	platform        []byte
	// memoryUnreadSince and storageUnreadSince are when the host's full
	// reports began to leave the domain unread (zero: the last one read
	// it); see markUnread.
	memoryUnreadSince, storageUnreadSince time.Time

	enrolledNow bool // the row was inserted by this batch
	touched     bool // sighting columns changed
	factsDirty  bool // hostname, platform, digest, agent labels, unread times changed
	labelsDirty bool // host_labels must be rewritten
}

func (h *hostState) effectiveLabels() map[string]string {
	return ledger.EffectiveLabels(h.agentLabels, h.overrides, h.unset)
}

// Apply implements store.Store.
func (e *Engine) Apply(ctx context.Context, reports []store.Report) ([]store.Outcome, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if len(reports) == 0 {
		return nil, nil
	}
	prep := make([]*prepared, len(reports))
	for i, r := range reports {
		prep[i] = e.prepare(r)
	}
	outcomes, sync, err := e.commitBatch(ctx, prep)
	if err == nil {
		// Outside the part cache's lock: the next batch's transaction
		// runs while this one's commit reaches the disk.
		err = sync(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("apply %d reports (%s): %w", len(reports), e.d.Name, err)
	}
	return outcomes, nil
}

// commitBatch runs the batch's transaction and commits it; the returned
// function waits until the commit is durable (Conn.WriteThenSync).
func (e *Engine) commitBatch(ctx context.Context, prep []*prepared) ([]store.Outcome, func(context.Context) error, error) {
	var outcomes []store.Outcome
	var pt *partTx
	if e.writers == SingleWriter {
		e.parts.mu.Lock()
		defer e.parts.mu.Unlock()
	}
	sync, err := e.conn.WriteThenSync(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		outcomes, pt, err = e.applyTx(ctx, tx, prep)
		return err
	})
	if err != nil {
		if e.writers == SingleWriter {
			e.parts.reset()
		}
		return nil, nil, err
	}
	if pt != nil {
		pt.commit()
		e.growth.parts(e, pt.inserted)
	}
	return outcomes, sync, nil
}

func (e *Engine) applyTx(ctx context.Context, tx Tx, prep []*prepared) ([]store.Outcome, *partTx, error) {
	outcomes := make([]store.Outcome, len(prep))
	firstAt := map[string]time.Time{}
	for i, p := range prep {
		if p.rejected != nil {
			outcomes[i] = store.Outcome{Status: store.Rejected, Message: p.rejected.Error(), Err: p.rejected}
			continue
		}
		if t, ok := firstAt[p.rep.HostID]; !ok || p.received.Before(t) {
			firstAt[p.rep.HostID] = p.received
		}
	}
	if len(firstAt) == 0 {
		return outcomes, nil, nil
	}
	ids := make([]string, 0, len(firstAt))
	for id := range firstAt {
		ids = append(ids, id)
	}
	sort.Strings(ids) // one lock order for every batch: no deadlock between collectors

	w := &writer{tx: tx, insertParts: e.insertPartsSQL}
	pt, err := e.beginPartTx(ctx, w)
	if err != nil {
		return nil, nil, err
	}
	w.parts = pt
	enrolled, err := e.insertHosts(ctx, w, ids, firstAt)
	if err != nil {
		return nil, nil, err
	}
	states, err := e.loadHosts(ctx, w, ids, true)
	if err != nil {
		return nil, nil, err
	}
	locked := make(map[string]int64, len(ids))
	for _, id := range ids {
		st := states[id]
		if st == nil {
			return nil, nil, fmt.Errorf("host %q vanished after insert", id)
		}
		st.enrolledNow = enrolled[id]
		locked[id] = st.partsVersion
	}
	pt.checkOut(locked)
	pt.enrolled = enrolled

	if w.remotes, err = e.planBatch(ctx, w, prep, states); err != nil {
		return nil, nil, err
	}
	for i, p := range prep {
		if p.rejected != nil {
			continue
		}
		o, err := e.applyOne(ctx, w, states, p)
		if err != nil {
			return nil, nil, fmt.Errorf("report %d (host %q sequence %d): %w", i, ledger.CleanText(p.rep.HostID), p.seq, err)
		}
		outcomes[i] = o
	}
	w.queueNewParts() // before the presence and event rows that name them
	queuePresenceRows(w, w.presence)
	queueEventRows(w, w.events)
	if e.writers == SharedWriters {
		// Every host whose part rows the batch wrote gets a new
		// parts_version: the batch's own hosts with their row update,
		// others (a part moved away from them) here, so that any
		// collector's cached rows of them go stale.
		for _, id := range pt.bumpVersions() {
			w.queue(`UPDATE hosts SET parts_version = parts_version + 1 WHERE host_id = $1`, id)
		}
		for _, id := range ids {
			if st := states[id]; st.partsVersion != pt.lockedAt[id] {
				st.partsVersion, st.touched = pt.lockedAt[id], true
			}
		}
	}
	for _, id := range ids {
		e.queueHostUpdate(w, states[id])
	}
	if err := w.flush(ctx); err != nil {
		return nil, nil, err
	}
	return outcomes, pt, nil
}

// insertHosts creates missing host rows (sorted by id) and returns the ids
// it created.
func (e *Engine) insertHosts(ctx context.Context, w *writer, ids []string, firstAt map[string]time.Time) (map[string]bool, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO hosts (host_id, first_seen, last_seen, last_sequence) VALUES ")
	args := make([]any, 0, 3*len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d,$%d,$%d,0)", n+1, n+2, n+3)
		args = append(args, id, firstAt[id], firstAt[id])
	}
	b.WriteString(" ON CONFLICT (host_id) DO NOTHING RETURNING host_id")
	rows, err := w.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("insert hosts: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("insert hosts: %w", err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert hosts: %w", err)
	}
	return out, rows.Close()
}

// loadHosts reads host rows, locking them when lock is set.
func (e *Engine) loadHosts(ctx context.Context, w *writer, ids []string, lock bool) (map[string]*hostState, error) {
	a := e.newArgs()
	cols := hostColumns
	if e.writers == SharedWriters {
		cols += ", h.parts_version"
	}
	q := "SELECT " + cols + " FROM hosts h WHERE " + a.inStrings("h.host_id", ids) + " ORDER BY h.host_id"
	if lock {
		q += e.d.LockSuffix
	}
	rows, err := w.query(ctx, q, a.vals...)
	if err != nil {
		return nil, fmt.Errorf("load hosts: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*hostState, len(ids))
	for rows.Next() {
		var version int64
		var extra []any
		if e.writers == SharedWriters {
			extra = append(extra, &version)
		}
		st, err := scanHost(rows, extra...)
		if err != nil {
			return nil, fmt.Errorf("load hosts: %w", err)
		}
		st.partsVersion = version
		out[st.id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load hosts: %w", err)
	}
	return out, rows.Close()
}

func (e *Engine) applyOne(ctx context.Context, w *writer, states map[string]*hostState, p *prepared) (store.Outcome, error) {
	st := states[p.rep.HostID]
	if p.stale(st) {
		return store.Outcome{
			Status:  store.Duplicate,
			Digest:  st.digest,
			Message: fmt.Sprintf("sequence %d already seen (last sequence %d)", p.seq, st.lastSeq),
		}, nil
	}
	var poisoned uint64
	if p.seq <= st.lastSeq {
		poisoned = uint64(st.lastSeq)
	}
	var drafts []eventDraft
	if st.enrolledNow {
		st.enrolledNow = false
		drafts = append(drafts, eventDraft{Draft: ledger.EnrolledDraft(st.id, p.rep.Inventory.GetHost().GetHostname())})
	}
	// A host's time in the ledger never goes backwards: a report received
	// before one already recorded for its host (its agent reporting to
	// two collectors at once, a collector's clock stepped back) is
	// recorded at the host's last sighting, so that its removals never
	// end a presence interval before it starts.
	p.at = latest(p.received, st.lastSeen)
	st.lastSeq = p.seq
	st.touched = true
	st.lastSeen = p.at
	out := store.Outcome{Status: store.Committed, PoisonedSequence: poisoned}

	if p.rep.Inventory == nil { // heartbeat
		if st.digest != "" && p.digest == st.digest {
			if p.at.After(st.inventorySeenAt) {
				st.inventorySeenAt = p.at
			}
		} else {
			out.Status = store.NeedFull
			if st.digest == "" {
				out.Message = "no inventory held for this host; send a full inventory"
			} else {
				out.Message = fmt.Sprintf("heartbeat digest %s differs from held digest %s; send a full inventory", p.digest, st.digest)
			}
		}
	} else {
		prevReport, prevSeen := st.lastReportAt, st.inventorySeenAt
		st.lastReportAt = p.at
		st.inventorySeenAt = p.at
		// Every full report, changed or not: a host whose memory was
		// already unread before the unread times were recorded repeats
		// its inventory unchanged.
		incomplete := ledger.Incomplete(p.rep.Inventory)
		st.markUnread(incomplete, p.at)
		if p.digest != st.digest {
			d, err := e.applyInventory(ctx, w, st, p, incomplete, prevReport, prevSeen, states)
			if err != nil {
				return store.Outcome{}, err
			}
			drafts = append(drafts, d...)
		}
	}
	out.Digest = st.digest
	out.Events = len(drafts)
	for _, d := range drafts {
		w.events = append(w.events, eventRow{at: p.at, eventDraft: d})
	}
	return out, nil
}

// markUnread records what a full report at at, whose scan could not read
// the kinds incomplete completely (ledger.Incomplete), says of the host's
// memory and storage: a domain it left unread keeps the time it was first
// left unread (at, when the last full report read it), one it read is
// read now. A change is written with the host row's facts.
func (h *hostState) markUnread(incomplete []ledger.PartKind, at time.Time) {
	mark := func(since *time.Time, kind ledger.PartKind) {
		unread := slices.Contains(incomplete, kind)
		switch {
		case unread && since.IsZero():
			*since = at
		case !unread && !since.IsZero():
			*since = time.Time{}
		default:
			return
		}
		h.factsDirty = true
	}
	mark(&h.memoryUnreadSince, ledger.KindMemory)
	mark(&h.storageUnreadSince, ledger.KindDrive)
}

// stale says whether p is a Duplicate of what st recorded: its sequence
// is not after the host's last one, unless that one is poisoned (beyond
// the report's MaxSequence, while p's own sequence is within it).
func (p *prepared) stale(st *hostState) bool {
	if p.seq > st.lastSeq {
		return false
	}
	limit := p.rep.MaxSequence
	return limit == 0 || uint64(p.seq) > limit || uint64(st.lastSeq) <= limit
}

// eventDraft is a ledger draft with the part it is about.
type eventDraft struct {
	ledger.Draft
	partID int64
}

// applyInventory diffs a changed full inventory, whose scan could not read
// the kinds incomplete completely, against the host's parts and queues
// the writes; it returns the events.
func (e *Engine) applyInventory(ctx context.Context, w *writer, st *hostState, p *prepared, incomplete []ledger.PartKind, prevReport, prevSeen time.Time, states map[string]*hostState) ([]eventDraft, error) {
	parts, err := p.observe()
	if err != nil {
		return nil, err
	}
	held, err := e.loadPartRows(ctx, w, st.id)
	if err != nil {
		return nil, err
	}
	remotes, err := e.lookupElsewhere(ctx, w, st.id, held, parts)
	if err != nil {
		return nil, err
	}
	res, err := ledger.Diff(ledger.Input{
		HostID: st.id,
		At:     p.at,
		Rows:   held.diffRows(parts),
		Parts:  parts,
		Elsewhere: func(identity string) (ledger.Remote, bool, error) {
			r, ok := remotes[identity]
			return r, ok, nil
		},
		PrevReport: prevReport,
		Incomplete: incomplete,
	})
	if err != nil {
		return nil, err
	}

	var drafts []eventDraft
	var adds []*ledger.Change
	var addedIDs map[string]int64
	for i := range res.Changes {
		c := &res.Changes[i]
		if c.Op != ledger.OpAdd && c.Op != ledger.OpNote {
			w.touchPart(c.PartID)
		}
		switch c.Op {
		case ledger.OpNote:
			// Events only, about another host's row: written with the
			// batch's events, after every part row.
		case ledger.OpRemove:
			// last_seen of a removed part is its host's last confirmation
			// before the removal. A report removes its own host's rows
			// only: another host's part is never taken (a serial clash).
			if c.HostID != st.id {
				return nil, fmt.Errorf("remove part %d: of host %q, not of the reporting host %q", c.PartID, ledger.CleanText(c.HostID), ledger.CleanText(st.id))
			}
			sql, args := removePartSQL, []any{p.at, nullTime(prevSeen), c.PartID}
			// The removal closes the part's presence interval: its stay
			// since its last arrival becomes a stored row.
			switch {
			case e.writers == SharedWriters:
				w.queue(`WITH r AS (`+sql+` RETURNING id, host_id, arrived_at, removed_at)
 INSERT INTO part_presence (part_id, host_id, since_at, until_at) SELECT id, host_id, arrived_at, removed_at FROM r`, args...)
			case c.Since.IsZero():
				return nil, fmt.Errorf("remove part %d of host %q: its arrival time is unknown", c.PartID, ledger.CleanText(c.HostID))
			default:
				w.queue(sql, args...)
				// As removed_at: no earlier than the arrival.
				w.closePresence(c.HostID, c.PartID, c.Since, latest(p.at, c.Since))
			}
		case ledger.OpReopen:
			args := append([]any{c.PartID, p.at}, partValues(c.Part)[identityColumns:]...)
			w.queue(reopenPartSQL, args...)
		case ledger.OpUpdate:
			args := append([]any{c.PartID}, partValues(c.Part)[identityColumns:]...)
			w.queue(updatePartSQL, args...)
		case ledger.OpAdd:
			adds = append(adds, c)
			continue // events after the insert, which gives the id
		}
		for _, d := range c.Events {
			drafts = append(drafts, eventDraft{Draft: d, partID: c.PartID})
		}
	}
	if len(adds) > 0 {
		ids, err := e.insertParts(ctx, w, st.id, p.at, adds)
		if err != nil {
			return nil, err
		}
		addedIDs = ids
		for _, c := range adds {
			id := ids[c.Part.Identity]
			if id == 0 {
				return nil, fmt.Errorf("insert parts: no id returned for %q", c.Part.Identity)
			}
			for _, d := range c.Events {
				drafts = append(drafts, eventDraft{Draft: d, partID: id})
			}
		}
	}

	w.parts.applyChanges(st.id, held, res, p.at, addedIDs)

	// Host facts and agent labels. The host record is compared first:
	// most changed reports change parts only, and an identical record
	// has no field changes to look for (a first one has none either:
	// enrollment records the facts).
	newHost := p.rep.Inventory.GetHost()
	platform, ok := ledger.HostRecord(p.pre.Input)
	// The old record is decoded only where it is needed: most changed
	// reports change parts only.
	var oldHost *memledgerv1.Host
	decodeOld := func() {
		if st.platform != nil && oldHost == nil {
			oldHost = &memledgerv1.Host{}
			if err := proto.Unmarshal(st.platform, oldHost); err != nil {
				oldHost = nil // undecodable old record: report no field changes rather than fail ingest
			}
		}
	}
	if slices.Contains(incomplete, ledger.KindMemory) {
		// The facts read with the memory stay as recorded.
		decodeOld()
		if kept := ledger.KeepHostFacts(oldHost, newHost); kept != newHost {
			newHost, ok = kept, false
		}
	}
	if !ok {
		var err error
		if platform, err = (proto.MarshalOptions{Deterministic: true}).Marshal(newHost); err != nil {
			return nil, fmt.Errorf("encode host record: %w", err)
		}
	}
	if platform == nil {
		platform = []byte{}
	}
	samePlatform := st.platform != nil && bytes.Equal(platform, st.platform)
	if st.platform != nil && !samePlatform {
		decodeOld()
		if d, ok := ledger.HostFieldsDraft(st.id, ledger.HostFieldChanges(oldHost, newHost)); ok {
			drafts = append(drafts, eventDraft{Draft: d})
		}
	}
	before := st.effectiveLabels()
	st.agentLabels = newHost.GetLabels()
	if st.agentLabels == nil {
		st.agentLabels = map[string]string{}
	}
	if changes := ledger.LabelChanges(before, st.effectiveLabels()); len(changes) > 0 {
		st.labelsDirty = true
		// The first inventory's labels are part of the enrollment, not a
		// change worth an event.
		if d, ok := ledger.LabelsDraft(st.id, "agent", changes); ok && st.platform != nil {
			drafts = append(drafts, eventDraft{Draft: d})
		}
	}
	st.digest = p.digest
	if samePlatform && st.agentVersion == p.rep.Inventory.GetAgentVersion() {
		return drafts, nil // only parts changed: the host row's facts stay
	}
	st.platform = platform
	st.hostname = newHost.GetHostname()
	st.agentVersion = p.rep.Inventory.GetAgentVersion()
	st.os, st.kernel = newHost.GetOs(), newHost.GetKernel()
	st.sysMfr, st.sysProd, st.sysSerial = newHost.GetSystemManufacturer(), newHost.GetSystemProduct(), newHost.GetSystemSerial()
	st.factsDirty = true
	return drafts, nil
}

// insertParts buffers new rows (writer.addPart) and returns their ids by
// identity. The engine chooses the ids (newPartID), which saves a round
// trip per report; every later read flushes the rows first, so the
// transaction sees them.
func (e *Engine) insertParts(ctx context.Context, w *writer, hostID string, at time.Time, adds []*ledger.Change) (map[string]int64, error) {
	ids := make(map[string]int64, len(adds))
	for _, c := range adds {
		if _, dup := ids[c.Part.Identity]; dup {
			return nil, fmt.Errorf("insert parts: identity %q added twice", c.Part.Identity)
		}
		id, err := e.newPartID(ctx, w)
		if err != nil {
			return nil, err
		}
		ids[c.Part.Identity] = id
		w.parts.inserted++
		row := make([]any, 0, newPartWidth)
		row = append(row, id, hostID)
		row = append(row, partValues(c.Part)...)
		w.addPart(id, append(row, at, at))
	}
	return ids, nil
}

// newPartID returns the id of the attempt's next new part row: a reserved
// one under SharedWriters (more are reserved if planBatch's estimate fell
// short), else max(id)+1 onwards.
func (e *Engine) newPartID(ctx context.Context, w *writer) (int64, error) {
	t := w.parts
	if e.writers == SharedWriters {
		if len(t.reserved) == 0 {
			if err := e.reserveIDs(ctx, w, 1); err != nil {
				return 0, err
			}
		}
		id := t.reserved[0]
		t.reserved = t.reserved[1:]
		return id, nil
	}
	if t.nextID == 0 {
		last, err := scanInt64(w.query(ctx, `SELECT COALESCE(MAX(id), 0) FROM parts`))
		if err != nil {
			return 0, fmt.Errorf("insert parts: read last id: %w", err)
		}
		t.nextID = last + 1
	}
	id := t.nextID
	t.nextID++
	return id, nil
}

// reserveIDs takes n new part ids from the database (Dialect.ReserveIDsSQL).
func (e *Engine) reserveIDs(ctx context.Context, w *writer, n int) error {
	rows, err := w.query(ctx, e.d.ReserveIDsSQL, n)
	if err != nil {
		return fmt.Errorf("reserve %d part ids: %w", n, err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("reserve %d part ids: %w", n, err)
		}
		w.parts.reserved = append(w.parts.reserved, id)
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reserve %d part ids: %w", n, err)
	}
	return nil
}

// eventRow is an event draft with its time.
type eventRow struct {
	at time.Time
	eventDraft
}

// queueEvents queues inserts of events that all happen at at.
func (e *Engine) queueEvents(w *writer, at time.Time, drafts []eventDraft) {
	rows := make([]eventRow, len(drafts))
	for i, d := range drafts {
		rows[i] = eventRow{at: at, eventDraft: d}
	}
	queueEventRows(w, rows)
}

// queueEventRows queues multi-row inserts of events, in order.
func queueEventRows(w *writer, events []eventRow) {
	queueRows(w, "INSERT INTO events (at, host_id, part_id, kind, message, details) VALUES ", 6, events,
		func(d eventRow) []any {
			var part any
			if d.partID != 0 {
				part = d.partID
			}
			return []any{d.at, d.HostID, part, string(d.Kind), ledger.CleanText(d.Message), detailsJSON(d.Details)}
		})
}

func (e *Engine) queueHostUpdate(w *writer, st *hostState) {
	var sql string
	var args []any
	switch {
	case st.factsDirty:
		sql = e.hostFactsSQL
		args = []any{st.id, ledger.CleanText(st.hostname), labelsJSON(st.agentLabels), st.lastSeen, nullTime(st.lastReportAt),
			nullTime(st.inventorySeenAt), st.lastSeq, st.digest, ledger.CleanText(st.agentVersion),
			ledger.CleanText(st.os), ledger.CleanText(st.kernel), ledger.CleanText(st.sysMfr),
			ledger.CleanText(st.sysProd), ledger.CleanText(st.sysSerial), st.platform,
			nullTime(st.memoryUnreadSince), nullTime(st.storageUnreadSince)}
	case st.touched:
		sql = e.hostSightingSQL
		args = []any{st.id, st.lastSeen, nullTime(st.lastReportAt), nullTime(st.inventorySeenAt), st.lastSeq, st.digest}
	}
	if sql != "" {
		if e.writers == SharedWriters {
			args = append(args, st.partsVersion)
		}
		w.queue(sql, args...)
	}
	if st.labelsDirty {
		queueHostLabels(w, st.id, st.effectiveLabels())
	}
}

// queueHostLabels rewrites the materialized effective labels used by label
// selectors.
func queueHostLabels(w *writer, hostID string, labels map[string]string) {
	w.queue(`DELETE FROM host_labels WHERE host_id = $1`, hostID)
	if len(labels) == 0 {
		return
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// CleanText may map two distinct keys to one; keep the first.
	seen := map[string]bool{}
	var b strings.Builder
	b.WriteString("INSERT INTO host_labels (host_id, key, value) VALUES ")
	args := []any{}
	for _, k := range keys {
		ck := ledger.CleanText(k)
		if seen[ck] {
			continue
		}
		seen[ck] = true
		if len(args) > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(" + placeholders(len(args)+1, 3) + ")")
		args = append(args, hostID, ck, ledger.CleanText(labels[k]))
	}
	w.queue(b.String(), args...)
}
