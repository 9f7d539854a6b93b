package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/collector/internal/store"
	vendorpkg "github.com/memledger/memledger/internal/maker"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// args collects statement arguments and hands out their placeholders.
type args struct {
	vals []any
	// array renders IN lists as one array parameter (PostgreSQL).
	array bool
	// collate is Dialect.BinaryCollate.
	collate string
	// scanPrefixes renders prefix conditions so that no index answers
	// them (see commonPrefix).
	scanPrefixes bool
}

func (e *Engine) newArgs() *args { return &args{array: e.d.ArrayParams, collate: e.d.BinaryCollate} }

// prefixCond renders "col starts with one of prefixes" as byte-order
// ranges, which the column's index (built with the same collation)
// answers without a scan. The upper bound appends U+10FFFF, the largest
// code point: a value continuing the prefix with it would be missed, and
// the ledger's cleaned text holds no such noncharacter.
func (a *args) prefixCond(col string, prefixes []string) string {
	if a.scanPrefixes {
		col = "(" + col + " || '')" // an expression: no index
	}
	c := make([]string, len(prefixes))
	for i, p := range prefixes {
		c[i] = "(" + col + a.collate + " >= " + a.add(p) + " AND " + col + a.collate + " < " + a.add(p+"\U0010FFFF") + ")"
	}
	return "(" + strings.Join(c, " OR ") + ")"
}

// searchPrefixes are the prefixes a serial or part-number search matches:
// as typed and upper-cased (makers print both in capitals), deduplicated.
func searchPrefixes(s string) []string {
	s = ledger.CleanText(strings.TrimSpace(s))
	if up := strings.ToUpper(s); up != s {
		return []string{s, up}
	}
	return []string{s}
}

func (a *args) add(v any) string {
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

// inStrings renders "col IN (...)" for vs (non-empty).
func (a *args) inStrings(col string, vs []string) string {
	if a.array {
		return col + " = ANY(" + a.add(vs) + ")"
	}
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(v)
	}
	return col + " IN (" + strings.Join(ph, ",") + ")"
}

// inInt64s renders "col IN (...)" for vs (non-empty).
func (a *args) inInt64s(col string, vs []int64) string {
	if a.array {
		return col + " = ANY(" + a.add(vs) + ")"
	}
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(v)
	}
	return col + " IN (" + strings.Join(ph, ",") + ")"
}

// labelConds renders label selectors as conditions on the host column
// hostCol.
func labelConds(a *args, hostCol string, sels []store.LabelSelector) ([]string, error) {
	var out []string
	for _, s := range sels {
		if s.Key == "" {
			return nil, fmt.Errorf("label selector with empty key: %w", store.ErrInvalid)
		}
		key := a.add(ledger.CleanText(s.Key))
		sub := "SELECT 1 FROM host_labels l WHERE l.host_id = " + hostCol + " AND l.key = " + key
		switch s.Op {
		case store.LabelEquals:
			out = append(out, "EXISTS ("+sub+" AND l.value = "+a.add(ledger.CleanText(s.Value))+")")
		case store.LabelNotEquals:
			out = append(out, "NOT EXISTS ("+sub+" AND l.value = "+a.add(ledger.CleanText(s.Value))+")")
		case store.LabelExists:
			out = append(out, "EXISTS ("+sub+")")
		case store.LabelNotExists:
			out = append(out, "NOT EXISTS ("+sub+")")
		default:
			return nil, fmt.Errorf("label selector %q: unknown operator %d: %w", s.Key, s.Op, store.ErrInvalid)
		}
	}
	return out, nil
}

func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// storableID reports whether s can be a stored host id (valid UTF-8, no
// NUL; see prepare). Lookups by other strings match nothing, and must not
// reach PostgreSQL, which rejects such text with an error.
func storableID(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// storableIDs keeps the storable ids; ok is false when ids was non-empty and
// none is storable (the filter then matches nothing).
func storableIDs(ids []string) (out []string, ok bool) {
	for _, id := range ids {
		if storableID(id) {
			out = append(out, id)
		}
	}
	return out, len(ids) == 0 || len(out) > 0
}

// hostConds are the WHERE conditions on hosts h that select f's hosts,
// their values added to a; none is true when f matches no host (it names
// host ids, none of them storable).
func hostConds(a *args, f store.HostFilter) (conds []string, none bool, err error) {
	ids, ok := storableIDs(f.IDs)
	if !ok {
		return nil, true, nil
	}
	if len(ids) > 0 {
		conds = append(conds, a.inStrings("h.host_id", ids))
	}
	if len(f.Hostnames) > 0 {
		names := make([]string, len(f.Hostnames))
		for i, n := range f.Hostnames {
			names[i] = ledger.CleanText(n)
		}
		conds = append(conds, a.inStrings("h.hostname", names))
	}
	lc, err := labelConds(a, "h.host_id", f.Labels)
	if err != nil {
		return nil, false, err
	}
	conds = append(conds, lc...)
	if search := strings.TrimSpace(f.Search); search != "" {
		c := make([]string, 2)
		for i, col := range []string{"h.host_id", "h.hostname"} {
			c[i] = "lower(" + col + ") LIKE " + a.add("%"+likeEscaper.Replace(strings.ToLower(ledger.CleanText(search)))+"%") + ` ESCAPE '\'`
		}
		conds = append(conds, "("+strings.Join(c, " OR ")+")")
	}
	if f.Vendor != "" {
		pc := []string{"p.host_id = h.host_id", vendorCond(a, f.Vendor, false)}
		rc, err := removedCond(f.VendorParts)
		if err != nil {
			return nil, false, fmt.Errorf("host filter: %w", err)
		}
		if rc != "" {
			pc = append(pc, rc)
		}
		conds = append(conds, "EXISTS (SELECT 1 FROM parts p"+where(pc)+")")
	}
	if f.Unread {
		// The predicate of the hosts_unread partial index, word for word:
		// the planners use the index only for a condition that matches it.
		conds = append(conds, unreadCond)
	}
	return conds, false, nil
}

// unreadCond matches hosts h whose memory or storage is unread
// (store.HostFilter.Unread).
const unreadCond = "(h.memory_unread_since IS NOT NULL OR h.storage_unread_since IS NOT NULL)"

// removedCond is the condition on parts p of a removal state ("" for all).
func removedCond(f store.RemovedFilter) (string, error) {
	switch f {
	case store.ActiveOnly:
		return "p.removed_at IS NULL", nil
	case store.OnlyRemoved:
		return "p.removed_at IS NOT NULL", nil
	case store.IncludeRemoved:
		return "", nil
	}
	return "", fmt.Errorf("unknown removed filter %d: %w", f, store.ErrInvalid)
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// hostOrderBy is the ORDER BY clause of f.Order and f.Desc, host id last
// so that ties (and rows of one host) keep together in a stable order.
func hostOrderBy(f store.HostFilter) (string, error) {
	var cols []string
	switch f.Order {
	case store.HostsByID:
	case store.HostsByHostname:
		cols = []string{"h.hostname"}
	case store.HostsByFirstSeen:
		cols = []string{"h.first_seen"}
	case store.HostsByLastSeen:
		cols = []string{"h.last_seen"}
	default:
		return "", fmt.Errorf("host filter: order %q: want hostname, first_seen, last_seen or none (host id): %w", f.Order, store.ErrInvalid)
	}
	cols = append(cols, "h.host_id")
	if f.Desc {
		for i := range cols {
			cols[i] += " DESC"
		}
	}
	return " ORDER BY " + strings.Join(cols, ", "), nil
}

// rowsAfter renders the keyset condition "the row (cols) comes after
// vals" in an ORDER BY of cols (all descending when desc): a row-value
// comparison, which both databases answer from an index on cols.
func (a *args) rowsAfter(cols []string, vals []any, desc bool) string {
	op := " > "
	if desc {
		op = " < "
	}
	ph := make([]string, len(vals))
	for i, v := range vals {
		ph[i] = a.add(v)
	}
	return "(" + strings.Join(cols, ", ") + ")" + op + "(" + strings.Join(ph, ", ") + ")"
}

// hostListConds are hostConds and, for a page after a key (f.After), the
// keyset condition in hostOrderBy's order: the conditions of a host list,
// where a count (CountHosts) takes hostConds alone.
func hostListConds(a *args, f store.HostFilter) (conds []string, none bool, err error) {
	conds, none, err = hostConds(a, f)
	if none || err != nil || f.After == nil {
		return conds, none, err
	}
	after, err := hostAfterCond(a, f)
	if err != nil {
		return nil, false, err
	}
	return append(conds, after), false, nil
}

// hostAfterCond is the keyset condition on hosts h of f.After, which must
// be set, in hostOrderBy's order.
func hostAfterCond(a *args, f store.HostFilter) (string, error) {
	k := f.After
	if k.Order != f.Order || !storableID(k.ID) {
		return "", fmt.Errorf("host filter: key %q of order %q in a list of order %q: %w", ledger.CleanText(k.ID), k.Order, f.Order, store.ErrInvalid)
	}
	var cols []string
	var vals []any
	switch f.Order {
	case store.HostsByHostname:
		// The column holds the cleaned name; Host.Hostname is the exact one.
		cols, vals = []string{"h.hostname"}, []any{ledger.CleanText(k.Hostname)}
	case store.HostsByFirstSeen:
		cols, vals = []string{"h.first_seen"}, []any{Norm(k.Seen)}
	case store.HostsByLastSeen:
		cols, vals = []string{"h.last_seen"}, []any{Norm(k.Seen)}
	}
	return a.rowsAfter(append(cols, "h.host_id"), append(vals, k.ID), f.Desc), nil
}

// limitOffset renders LIMIT and OFFSET (an offset needs a limit: SQLite
// has no OFFSET alone).
func limitOffset(a *args, what string, limit, offset int) (string, error) {
	if limit < 0 || offset < 0 || offset > 0 && limit == 0 {
		return "", fmt.Errorf("list %s: limit %d, offset %d: want an offset only with a limit, neither negative: %w", what, limit, offset, store.ErrInvalid)
	}
	q := ""
	if limit > 0 {
		q += " LIMIT " + a.add(int64(limit))
	}
	if offset > 0 {
		q += " OFFSET " + a.add(int64(offset))
	}
	return q, nil
}

// vendorCond matches parts p of vendor (store.PartFilter.Vendor).
func vendorCond(a *args, vendor string, makerOnly bool) string {
	// Parts stored by older agents may carry a former slug of the maker.
	slugs := vendorpkg.SlugAndFormer(ledger.CleanText(strings.ToLower(strings.TrimSpace(vendor))))
	cols := []string{"p.maker_id", "p.maker_parent"}
	if !makerOnly {
		cols = append(cols, "p.dram_id", "p.dram_parent")
	}
	c := make([]string, len(cols))
	for i, col := range cols {
		c[i] = a.inStrings(col, slugs)
	}
	return "(" + strings.Join(c, " OR ") + ")"
}

// CountHosts implements store.Store.
func (e *Engine) CountHosts(ctx context.Context, f store.HostFilter) (int, error) {
	if err := e.checkOpen(); err != nil {
		return 0, err
	}
	a := e.newArgs()
	conds, none, err := hostConds(a, f)
	if none || err != nil {
		return 0, err
	}
	n, err := scanInt64(e.conn.Reader().Query(ctx, "SELECT COUNT(*) FROM hosts h"+where(conds), a.vals...))
	if err != nil {
		return 0, fmt.Errorf("count hosts: %w", err)
	}
	return int(n), nil
}

// Host implements store.Store.
func (e *Engine) Host(ctx context.Context, id string) (store.Host, error) {
	if !storableID(id) {
		return store.Host{}, fmt.Errorf("host %q: %w", ledger.CleanText(id), store.ErrNotFound)
	}
	hs, err := e.Hosts(ctx, store.HostFilter{IDs: []string{id}})
	if err != nil {
		return store.Host{}, err
	}
	if len(hs) == 0 {
		return store.Host{}, fmt.Errorf("host %q: %w", ledger.CleanText(id), store.ErrNotFound)
	}
	return hs[0], nil
}

// Hosts implements store.Store.
func (e *Engine) Hosts(ctx context.Context, f store.HostFilter) ([]store.Host, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	a := e.newArgs()
	conds, none, err := hostListConds(a, f)
	if none || err != nil {
		return nil, err
	}
	order, err := hostOrderBy(f)
	if err != nil {
		return nil, err
	}
	page, err := limitOffset(a, "hosts", f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	q := "SELECT " + hostColumns + `, (SELECT COUNT(*) FROM parts p WHERE p.host_id = h.host_id AND p.removed_at IS NULL)
 FROM hosts h` + where(conds) + order + page
	rows, err := e.conn.Reader().Query(ctx, q, a.vals...)
	if err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	defer rows.Close()
	var out []store.Host
	for rows.Next() {
		var active int64
		st, err := scanHost(rows, &active)
		if err != nil {
			return nil, fmt.Errorf("list hosts: %w", err)
		}
		out = append(out, st.toHost(int(active)))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return out, nil
}

func (h *hostState) toHost(active int) store.Host {
	out := store.Host{
		ID:                 h.id,
		Hostname:           h.hostname,
		Labels:             h.effectiveLabels(),
		AgentLabels:        nonNilMap(h.agentLabels),
		LabelOverrides:     nonNilMap(h.overrides),
		LabelsUnset:        h.unset,
		FirstSeen:          h.firstSeen,
		LastSeen:           h.lastSeen,
		LastReportAt:       h.lastReportAt,
		InventorySeenAt:    h.inventorySeenAt,
		LastSequence:       uint64(h.lastSeq),
		InventoryDigest:    h.digest,
		MemoryUnreadSince:  h.memoryUnreadSince,
		StorageUnreadSince: h.storageUnreadSince,
		AgentVersion:       h.agentVersion,
		OS:                 h.os,
		Kernel:             h.kernel,
		SystemManufacturer: h.sysMfr,
		SystemProduct:      h.sysProd,
		SystemSerial:       h.sysSerial,
		ActiveParts:        active,
	}
	if h.platform != nil {
		p := &memledgerv1.Host{}
		if proto.Unmarshal(h.platform, p) == nil {
			out.Platform = p
			// Exact strings (the columns went through CleanText).
			out.Hostname, out.OS, out.Kernel = p.GetHostname(), p.GetOs(), p.GetKernel()
			out.SystemManufacturer, out.SystemProduct, out.SystemSerial = p.GetSystemManufacturer(), p.GetSystemProduct(), p.GetSystemSerial()
		}
	}
	return out
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// partColumns are the columns scanPart reads. An active part's last
// sighting is its host's inventory_seen_at, read by a subquery rather
// than a join so that the parts_listing index alone gives a page's rows
// (a join let PostgreSQL merge parts with the hosts table from its
// start, and SQLite build a Bloom filter of every host).
const partColumns = `p.id, p.host_id, p.kind, p.identity, p.real_serial, p.slot, p.record, p.first_seen,
 CASE WHEN p.removed_at IS NULL THEN (SELECT h.inventory_seen_at FROM hosts h WHERE h.host_id = p.host_id) ELSE p.last_seen END, p.removed_at`

// Parts implements store.Store.
func (e *Engine) Parts(ctx context.Context, f store.PartFilter) ([]store.Part, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	a := e.newArgs()
	if f.Limit > 0 {
		scan, err := e.commonPrefix(ctx, f)
		if err != nil {
			return nil, err
		}
		a.scanPrefixes = scan
	}
	conds, ok, err := partConds(a, f)
	if err != nil || !ok {
		return nil, err
	}
	listing := []string{"p.host_id", "p.kind", "p.slot", "p.id"}
	if k := f.After; k != nil {
		if !storableID(k.HostID) || !storableID(k.Slot) {
			return nil, fmt.Errorf("list parts: key %q: %w", ledger.CleanText(k.HostID), store.ErrInvalid)
		}
		conds = append(conds, a.rowsAfter(listing, []any{k.HostID, string(k.Kind), k.Slot, k.ID}, f.Desc))
	}
	order := strings.Join(listing, ", ")
	if f.Desc {
		order = strings.Join(listing, " DESC, ") + " DESC"
	}
	q := "SELECT " + partColumns + " FROM parts p" + where(conds) +
		" ORDER BY " + order
	page, err := limitOffset(a, "parts", f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	q += page
	rows, err := e.conn.Reader().Query(ctx, q, a.vals...)
	if err != nil {
		return nil, fmt.Errorf("list parts: %w", err)
	}
	defer rows.Close()
	var out []store.Part
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, fmt.Errorf("list parts: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list parts: %w", err)
	}
	return out, nil
}

// commonPrefixRows is how many parts a serial or part-number prefix must
// match for a page to walk the list's order rather than the prefix's
// index: past it, sorting the matches costs more than skipping the
// parts that do not match (a page of 50 reads about 50 x 2,000,000 /
// 5,000 = 20,000 parts of a 2,000,000-part ledger at worst).
const commonPrefixRows = 5000

// commonPrefix reports whether f's serial and part-number prefixes match
// at least commonPrefixRows parts, counted up to that in their indexes.
// SQLite has no statistics of a range's size and would read and sort
// every match (1.6 s for a part number on 1,600,000 parts); PostgreSQL
// would choose alike from its statistics.
func (e *Engine) commonPrefix(ctx context.Context, f store.PartFilter) (bool, error) {
	if f.SerialPrefix == "" && f.PartNumberPrefix == "" {
		return false, nil
	}
	a := e.newArgs()
	conds, _, err := partConds(a, store.PartFilter{SerialPrefix: f.SerialPrefix, PartNumberPrefix: f.PartNumberPrefix})
	if err != nil {
		return false, err
	}
	n, err := scanInt64(e.conn.Reader().Query(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM parts p"+where(conds)+
		" LIMIT "+strconv.Itoa(commonPrefixRows)+") m", a.vals...))
	if err != nil {
		return false, fmt.Errorf("list parts: count prefix matches: %w", err)
	}
	return n >= commonPrefixRows, nil
}

// partConds turns a part filter into WHERE conditions on parts p. ok is
// false when the filter can match nothing (a host id the database cannot
// hold).
func partConds(a *args, f store.PartFilter) (conds []string, ok bool, err error) {
	if len(f.IDs) > 0 {
		conds = append(conds, a.inInt64s("p.id", f.IDs))
	}
	hostIDs, ok := storableIDs(f.HostIDs)
	if !ok {
		return nil, false, nil
	}
	if len(hostIDs) > 0 {
		conds = append(conds, a.inStrings("p.host_id", hostIDs))
	}
	if f.Vendor != "" {
		conds = append(conds, vendorCond(a, f.Vendor, f.MakerOnly))
	}
	if f.SerialPrefix != "" {
		conds = append(conds, a.prefixCond("p.serial_number", searchPrefixes(f.SerialPrefix)))
	}
	if f.PartNumberPrefix != "" {
		conds = append(conds, a.prefixCond("p.part_number", searchPrefixes(f.PartNumberPrefix)))
	}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = ledger.CleanText(string(k))
		}
		conds = append(conds, a.inStrings("p.kind", ks))
	}
	lc, err := labelConds(a, "p.host_id", f.HostLabels)
	if err != nil {
		return nil, false, err
	}
	conds = append(conds, lc...)
	switch {
	case !f.AsOf.IsZero():
		t := a.add(Norm(f.AsOf))
		// Present then: in its current stay (an active part since its
		// last arrival), or in a closed one.
		conds = append(conds, "((p.removed_at IS NULL AND p.arrived_at <= "+t+
			") OR EXISTS (SELECT 1 FROM part_presence pp WHERE pp.part_id = p.id AND pp.since_at <= "+t+
			" AND pp.until_at > "+t+"))")
	default:
		rc, err := removedCond(f.Removed)
		if err != nil {
			return nil, false, fmt.Errorf("part filter: %w", err)
		}
		if rc != "" {
			conds = append(conds, rc)
		}
	}
	return conds, true, nil
}

// ForEachPart implements store.Store. It reads the parts_brief covering
// index in host order (no wide row, no protobuf record is read) and
// computes the baseline flag while streaming: a part is in its host's
// baseline when its first_seen equals the earliest first_seen of any part
// row of that host. The earliest is taken over all the host's parts, so the
// part conditions of the filter are evaluated as a column (keep) rather
// than in the WHERE clause; host conditions (ids, labels) do filter rows.
func (e *Engine) ForEachPart(ctx context.Context, f store.PartFilter, fn func(store.PartBrief) error) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if f.After != nil || f.Desc || f.Offset != 0 {
		return fmt.Errorf("stream parts: keys, offsets and the reverse order page Parts: %w", store.ErrInvalid)
	}
	a := e.newArgs()
	hostOnly := store.PartFilter{HostIDs: f.HostIDs, HostLabels: f.HostLabels, Removed: store.IncludeRemoved}
	hostConds, ok, err := partConds(a, hostOnly)
	if err != nil || !ok {
		return err
	}
	partOnly := f
	partOnly.HostIDs, partOnly.HostLabels = nil, nil
	keepConds, _, err := partConds(a, partOnly)
	if err != nil {
		return err
	}
	keep := "1"
	if len(keepConds) > 0 {
		keep = "CASE WHEN " + strings.Join(keepConds, " AND ") + " THEN 1 ELSE 0 END"
	}
	q := `SELECT p.id, p.host_id, p.kind, p.slot, p.maker_id, p.maker_parent, p.dram_id, p.dram_parent,
 p.part_number, p.serial_number, p.first_seen, p.removed_at, ` + keep + `
 FROM parts p` + where(hostConds) + " ORDER BY p.host_id, p.first_seen"
	rows, err := e.conn.Reader().Query(ctx, q, a.vals...)
	if err != nil {
		return fmt.Errorf("stream parts: %w", err)
	}
	defer rows.Close()
	var (
		host     []store.PartBrief // the current host's kept parts
		hostID   string
		baseline time.Time
		sent     int
	)
	flush := func() error {
		for _, p := range host {
			if f.Limit > 0 && sent >= f.Limit {
				return nil
			}
			p.InBaseline = p.FirstSeen.Equal(baseline)
			sent++
			if err := fn(p); err != nil {
				return err
			}
		}
		host = host[:0]
		return nil
	}
	for rows.Next() {
		var p store.PartBrief
		var kind string
		var first, removed Time
		var kept int64
		if err := rows.Scan(&p.ID, &p.HostID, &kind, &p.Slot, &p.MakerID, &p.MakerParent, &p.DRAMID, &p.DRAMParent,
			&p.PartNumber, &p.SerialNumber, &first, &removed, &kept); err != nil {
			return fmt.Errorf("stream parts: %w", err)
		}
		if p.HostID != hostID {
			if err := flush(); err != nil {
				return err
			}
			// Rows come in first_seen order within a host: the first is the
			// earliest.
			hostID, baseline = p.HostID, first.T
		}
		if kept == 0 {
			continue
		}
		p.Kind = ledger.PartKind(kind)
		p.FirstSeen = first.T
		if removed.Valid {
			p.RemovedAt = removed.T
		}
		host = append(host, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stream parts: %w", err)
	}
	return flush()
}

// ForEachPartGroup implements store.Store. The GROUP BY follows the
// parts_brief index's column order, so the database aggregates while
// scanning the index in order, without a sort.
func (e *Engine) ForEachPartGroup(ctx context.Context, f store.PartFilter, fn func(store.PartGroup) error) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if len(f.IDs) > 0 || f.Vendor != "" || f.MakerOnly || len(f.Kinds) > 0 || !f.AsOf.IsZero() || f.Limit != 0 || f.After != nil || f.Desc {
		return fmt.Errorf("part groups: only host ids, host labels and removal state filter groups: %w", store.ErrInvalid)
	}
	a := e.newArgs()
	conds, ok, err := partConds(a, f)
	if err != nil || !ok {
		return err
	}
	// The earliest first_seen of a host is needed even when the removal
	// filter hides those parts: it comes from the host's first group.
	removed := ""
	switch f.Removed {
	case store.ActiveOnly:
		removed = "p.removed_at IS NULL"
	case store.OnlyRemoved:
		removed = "p.removed_at IS NOT NULL"
	}
	if removed != "" {
		conds = conds[:len(conds)-1] // partConds put the removal condition last
	}
	const cols = "p.host_id, p.first_seen, p.kind, p.maker_id, p.maker_parent, p.dram_id, p.dram_parent, p.part_number, p.removed_at"
	q := "SELECT " + cols + ", COUNT(*) FROM parts p" + where(conds) + " GROUP BY " + cols + " ORDER BY " + cols
	rows, err := e.conn.Reader().Query(ctx, q, a.vals...)
	if err != nil {
		return fmt.Errorf("stream part groups: %w", err)
	}
	defer rows.Close()
	var hostID string
	var baseline time.Time
	for rows.Next() {
		var g store.PartGroup
		var kind string
		var first, rem Time
		var n int64
		if err := rows.Scan(&g.HostID, &first, &kind, &g.MakerID, &g.MakerParent, &g.DRAMID, &g.DRAMParent, &g.PartNumber, &rem, &n); err != nil {
			return fmt.Errorf("stream part groups: %w", err)
		}
		if g.HostID != hostID {
			hostID, baseline = g.HostID, first.T
		}
		if (f.Removed == store.ActiveOnly && rem.Valid) || (f.Removed == store.OnlyRemoved && !rem.Valid) {
			continue
		}
		g.Kind = ledger.PartKind(kind)
		g.FirstSeen = first.T
		if rem.Valid {
			g.RemovedAt = rem.T
		}
		g.InBaseline = first.T.Equal(baseline)
		g.Count = int(n)
		if err := fn(g); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stream part groups: %w", err)
	}
	return nil
}

// ForEachHost implements store.Store.
func (e *Engine) ForEachHost(ctx context.Context, f store.HostFilter, fn func(store.HostBrief) error) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if f.Limit != 0 || f.Offset != 0 {
		return fmt.Errorf("stream hosts: limit %d, offset %d: Hosts pages, ForEachHost streams: %w", f.Limit, f.Offset, store.ErrInvalid)
	}
	a := e.newArgs()
	conds, none, err := hostListConds(a, f)
	if none || err != nil {
		return err
	}
	order, err := hostOrderBy(f)
	if err != nil {
		return err
	}
	q := `SELECT h.host_id, h.hostname, h.first_seen, h.last_seen, l.key, l.value
 FROM hosts h LEFT JOIN host_labels l ON l.host_id = h.host_id` + where(conds) + order
	rows, err := e.conn.Reader().Query(ctx, q, a.vals...)
	if err != nil {
		return fmt.Errorf("stream hosts: %w", err)
	}
	defer rows.Close()
	var cur store.HostBrief
	for rows.Next() {
		var id, name string
		var first, last Time
		var key, value *string
		if err := rows.Scan(&id, &name, &first, &last, &key, &value); err != nil {
			return fmt.Errorf("stream hosts: %w", err)
		}
		if id != cur.ID {
			if cur.ID != "" {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = store.HostBrief{ID: id, Hostname: name, FirstSeen: first.T, LastSeen: last.T, Labels: map[string]string{}}
		}
		if key != nil && value != nil {
			cur.Labels[*key] = *value
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stream hosts: %w", err)
	}
	if cur.ID != "" {
		return fn(cur)
	}
	return nil
}

func scanPart(rows Rows) (store.Part, error) {
	var p store.Part
	var kind string
	var record []byte
	var first, last, removed Time
	if err := rows.Scan(&p.ID, &p.HostID, &kind, &p.Identity, &p.RealSerial, &p.Slot, &record, &first, &last, &removed); err != nil {
		return p, err
	}
	p.Kind = ledger.PartKind(kind)
	p.FirstSeen, p.LastSeen = first.T, last.T
	if removed.Valid {
		t := removed.T
		p.RemovedAt = &t
	}
	switch p.Kind {
	case ledger.KindMemory:
		m := &memledgerv1.MemoryModule{}
		if err := proto.Unmarshal(record, m); err != nil {
			return p, fmt.Errorf("part %d: decode stored memory record: %w", p.ID, err)
		}
		p.Memory = m
		p.Maker, p.DRAM = vendor(m.GetModuleVendor()), vendor(m.GetDramVendor())
		p.ManufacturerRaw, p.PartNumber, p.SerialNumber = m.GetManufacturerRaw(), m.GetPartNumber(), m.GetSerialNumber()
		p.SizeBytes, p.MemoryType, p.FormFactor, p.SpeedMTs = m.GetSizeBytes(), m.GetMemoryType(), m.GetFormFactor(), m.GetSpeedMts()
	case ledger.KindDrive:
		d := &memledgerv1.StorageDevice{}
		if err := proto.Unmarshal(record, d); err != nil {
			return p, fmt.Errorf("part %d: decode stored drive record: %w", p.ID, err)
		}
		p.Drive = d
		p.Maker, p.Controller = vendor(d.GetVendor()), vendor(d.GetControllerVendor())
		p.ManufacturerRaw, p.PartNumber, p.SerialNumber = d.GetVendorRaw(), d.GetModel(), d.GetSerialNumber()
		p.SizeBytes, p.Firmware, p.Transport = d.GetSizeBytes(), d.GetFirmware(), d.GetTransport()
	default:
		return p, fmt.Errorf("part %d: unknown kind %q", p.ID, kind)
	}
	return p, nil
}

func vendor(v *memledgerv1.Vendor) store.Vendor {
	if v == nil {
		return store.Vendor{}
	}
	return store.Vendor{ID: v.GetId(), Name: v.GetName(), Parent: v.GetParent(), Evidence: v.GetEvidence(), JEP106: v.GetJep106()}
}

// Events implements store.Store.
func (e *Engine) Events(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	a := e.newArgs()
	var conds []string
	if f.HostID != "" {
		if !storableID(f.HostID) {
			return nil, nil
		}
		conds = append(conds, "host_id = "+a.add(f.HostID))
	}
	if f.PartID != 0 {
		// A part's events are on its host: events_host finds them.
		id := a.add(f.PartID)
		conds = append(conds, "part_id = "+id, "host_id = (SELECT host_id FROM parts WHERE id = "+id+")")
	}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = ledger.CleanText(string(k))
		}
		conds = append(conds, a.inStrings("kind", ks))
	}
	if !f.Since.IsZero() {
		conds = append(conds, "at >= "+a.add(Norm(f.Since)))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "at < "+a.add(Norm(f.Until)))
	}
	if f.AfterID != 0 {
		conds = append(conds, "id > "+a.add(f.AfterID))
	}
	q := "SELECT id, at, host_id, part_id, kind, message, details FROM events" + where(conds)
	if f.Newest {
		q += " ORDER BY id DESC"
	} else {
		q += " ORDER BY id"
	}
	if f.Limit > 0 {
		q += " LIMIT " + a.add(int64(f.Limit))
	}
	rows, err := e.conn.Reader().Query(ctx, q, a.vals...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var ev store.Event
		var at Time
		var part *int64
		var kind, details string
		if err := rows.Scan(&ev.ID, &at, &ev.HostID, &part, &kind, &ev.Message, &details); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		ev.Time, ev.Kind, ev.Details = at.T, store.EventKind(kind), json.RawMessage(details)
		if part != nil {
			ev.PartID = *part
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

var _ store.EventCounter = (*Engine)(nil)

// CountRecentEvents implements store.EventCounter: the host row by its
// key, then events_host (host_id, id) walked backwards, at most limit
// entries.
func (e *Engine) CountRecentEvents(ctx context.Context, hostID string, window time.Duration, limit int) (store.RecentEvents, error) {
	var out store.RecentEvents
	if err := e.checkOpen(); err != nil {
		return out, err
	}
	if limit <= 0 || !storableID(hostID) {
		return out, nil
	}
	fail := func(err error) (store.RecentEvents, error) {
		return store.RecentEvents{}, fmt.Errorf("count recent events of host %q: %w", ledger.CleanText(hostID), err)
	}
	rows, err := e.conn.Reader().Query(ctx, `SELECT last_seen FROM hosts WHERE host_id = $1`, hostID)
	if err != nil {
		return fail(err)
	}
	var last Time
	found := rows.Next()
	if found {
		err = rows.Scan(&last)
	}
	if err := closeRows(rows, err); err != nil {
		return fail(err)
	}
	if !found {
		return out, nil
	}
	out.LastSeen = last.T
	rows, err = e.conn.Reader().Query(ctx, `SELECT COUNT(*), MIN(at) FROM (SELECT at, kind FROM events WHERE host_id = $1 ORDER BY id DESC LIMIT $2) recent
 WHERE at >= $3 AND kind <> $4`, hostID, int64(limit), Norm(last.T.Add(-window)), string(ledger.EventPolicyStatus))
	if err != nil {
		return fail(err)
	}
	var n int64
	var first Time
	if rows.Next() {
		err = rows.Scan(&n, &first)
	}
	if err := closeRows(rows, err); err != nil {
		return fail(err)
	}
	out.Count, out.First = int(n), first.T
	return out, nil
}

// closeRows closes rows and returns the first of err, the rows' error and
// Close's.
func closeRows(rows Rows, err error) error {
	if err == nil {
		err = rows.Err()
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
