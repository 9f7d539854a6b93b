package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// RekeyReason says, in the events a Rekey step writes, which change of
// ledger.Observe's identity rules the step follows.
type RekeyReason struct {
	// Merged ends "are one part ...": why rows of one host that fall onto
	// one identity had two.
	Merged string
	// Found ends "found when ...": the change that brought rows of
	// several hosts onto one identity.
	Found string
}

var (
	// RekeyWithoutMaker: real-serial identities went from "kind|maker|part
	// number|serial" to "kind|part number|serial": the identified maker
	// is no longer part of a part's identity, so that an agent that
	// identifies makers better does not turn the parts it re-reports into
	// new parts.
	RekeyWithoutMaker = RekeyReason{
		Merged: "whose maker was identified differently over time",
		Found:  "identities stopped naming the maker",
	}
	// RekeyOneForm: real-serial identities take one form of what sources
	// write in several (a module serial "0x750174F7" is the SPD's
	// "750174F7"; a drive model or serial with udev's '_' for a space),
	// so that a source's form does not make one part two.
	RekeyOneForm = RekeyReason{
		Merged: "whose part number or serial its sources wrote in different forms",
		Found:  "identities took one form of each part number and serial",
	}
)

// Rekey is the migration step that re-derives the real-serial identities
// of stored rows under ledger.Observe's current rules (ledger.Reidentify),
// after a change of those rules that reason names.
//
// A row whose new identity no other row of its host takes just changes
// key; nothing else about it changes and no event is written (the key
// only changes form). Rows of one host that fall onto one identity are
// the same physical part recorded under two identities, or two parts
// sharing a part number and serial; nothing is deleted either way:
//   - at most one of them active (the usual case: an upgraded agent
//     re-identified the maker, or a source wrote the serial in another
//     form, and the ledger recorded part_removed + part_added): the
//     active row, or else the last to arrive, keeps the identity and
//     takes the earliest first-seen time of the group (the part was there
//     since, which a restrict-new rule's baseline must see); each other
//     row keeps its history under the identity suffixed
//     "#migrated-<id>". Every row of the group gets an identity_corrected
//     event naming the others;
//   - two or more active (one inventory listed both): two parts the new
//     rule cannot tell apart by serial, so each active row gets its host's
//     fingerprint (ledger.ReidentifyRepeated, what the host's next report
//     gives them) and an identity_corrected event; the removed rows are
//     handled as above with the last to arrive as keeper.
//
// Rows of several hosts that fall onto one identity and are active on
// more than one of them now stand as a serial clash: each gets a
// serial_clash event naming the other hosts (what Diff records, and what
// `check` requires), unless they already shared their old identity (they
// had one then). With SharedWriters it bumps hosts.parts_version of the
// hosts whose rows changed, so that no collector keeps their cached rows.
//
// The step is idempotent: run again, or after a later step with the same
// rules, it finds every row under the identity it gives and writes
// nothing. A new identity may be the old one of another row of the host
// (a row stored in the new form, another in the old); such rows pass
// through a temporary identity, so that no update meets the (host,
// identity) uniqueness rule half done.
func Rekey(writers WriterMode, now time.Time, reason RekeyReason) func(ctx context.Context, tx Tx) error {
	return func(ctx context.Context, tx Tx) error {
		taken, err := hostIdentities(ctx, tx)
		if err != nil {
			return fmt.Errorf("rekey parts: %w", err)
		}
		rows, err := readRealRows(ctx, tx)
		if err != nil {
			return fmt.Errorf("rekey parts: %w", err)
		}
		groups := map[string][]*rekeyRow{} // host + "\x00" + new identity
		var order []string
		for _, r := range rows {
			o, err := ledger.Reidentify(r.host, ledger.PartKind(r.kind), r.record)
			if err != nil {
				return fmt.Errorf("rekey part %d: %w", r.id, err)
			}
			if !o.RealSerial {
				continue // a placeholder is migration reidentify_placeholders' business
			}
			r.newIdentity, r.newReal, r.newFirstSeen = o.Identity, true, r.firstSeen
			k := r.host + "\x00" + o.Identity
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], r)
		}

		var events []rekeyEvent
		for _, k := range order {
			if g := groups[k]; len(g) > 1 {
				evs, err := collapse(g, taken, reason)
				if err != nil {
					return err
				}
				events = append(events, evs...)
			}
		}
		events = append(events, newClashes(rows, reason)...)

		var changed []*rekeyRow
		wanted := map[string]bool{} // host + "\x00" + an identity a row takes anew
		for _, r := range rows {
			if r.newIdentity == "" || (r.newIdentity == r.identity && r.newReal && r.newFirstSeen.Equal(r.firstSeen)) {
				continue
			}
			changed = append(changed, r)
			if r.newIdentity != r.identity {
				wanted[r.host+"\x00"+r.newIdentity] = true
			}
		}
		// A row whose identity another row takes moves aside first.
		for _, r := range changed {
			if r.newIdentity == r.identity || !wanted[r.host+"\x00"+r.identity] {
				continue
			}
			aside := r.identity + "#rekeying-" + strconv.FormatInt(r.id, 10)
			for taken[r.host+"\x00"+aside] {
				aside += "#"
			}
			taken[r.host+"\x00"+aside] = true
			if _, err := tx.Exec(ctx, `UPDATE parts SET identity = $1 WHERE id = $2`, aside, r.id); err != nil {
				return fmt.Errorf("rekey part %d: move identity %q aside: %w", r.id, r.identity, err)
			}
		}
		bumped := map[string]bool{}
		for _, r := range changed {
			if _, err := tx.Exec(ctx, `UPDATE parts SET identity = $1, real_serial = $2, first_seen = $3 WHERE id = $4`,
				r.newIdentity, r.newReal, r.newFirstSeen, r.id); err != nil {
				return fmt.Errorf("rekey part %d: %w", r.id, err)
			}
			if writers == SharedWriters {
				if err := bumpPartsVersion(ctx, tx, bumped, r.host); err != nil {
					return fmt.Errorf("rekey parts: %w", err)
				}
			}
		}
		for _, ev := range events {
			if err := insertEvent(ctx, tx, now, ev.row.host, ev.row.id, ev.kind, ev.message, ev.details); err != nil {
				return fmt.Errorf("rekey part %d: record the correction: %w", ev.row.id, err)
			}
		}
		return nil
	}
}

// rekeyRow is a real-serial part row as Rekey reads and rewrites it.
type rekeyRow struct {
	id                        int64
	host, kind, identity      string
	maker, partNumber, serial string
	record                    []byte
	firstSeen, arrivedAt      time.Time
	removed                   bool
	newIdentity               string
	newReal                   bool
	newFirstSeen              time.Time
}

type rekeyEvent struct {
	row     *rekeyRow
	kind    ledger.EventKind
	message string
	details map[string]any
}

// hostIdentities returns host + "\x00" + identity of every part row.
func hostIdentities(ctx context.Context, tx Tx) (map[string]bool, error) {
	rs, err := tx.Query(ctx, `SELECT host_id, identity FROM parts`)
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	taken := map[string]bool{}
	for rs.Next() {
		var host, identity string
		if err := rs.Scan(&host, &identity); err != nil {
			rs.Close()
			return nil, fmt.Errorf("read identities: %w", err)
		}
		taken[host+"\x00"+identity] = true
	}
	err = rs.Err()
	if cerr := rs.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	return taken, nil
}

// readRealRows reads the real-serial part rows, by id.
func readRealRows(ctx context.Context, tx Tx) ([]*rekeyRow, error) {
	rs, err := tx.Query(ctx, `SELECT id, host_id, kind, identity, maker_id, part_number, serial_number, record,
 first_seen, arrived_at, removed_at FROM parts WHERE real_serial ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read parts: %w", err)
	}
	var rows []*rekeyRow
	for rs.Next() {
		r := &rekeyRow{}
		var first, arrived, removed Time
		if err := rs.Scan(&r.id, &r.host, &r.kind, &r.identity, &r.maker, &r.partNumber, &r.serial, &r.record,
			&first, &arrived, &removed); err != nil {
			rs.Close()
			return nil, fmt.Errorf("read parts: %w", err)
		}
		r.firstSeen, r.arrivedAt, r.removed = first.T, arrived.T, removed.Valid
		rows = append(rows, r)
	}
	err = rs.Err()
	if cerr := rs.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read parts: %w", err)
	}
	return rows, nil
}

// collapse decides the identities of the rows of one host that fall onto
// one new identity (see Rekey) and returns the events that record it:
// none when every row already has what it gets (a step run again). taken
// holds host + "\x00" + identity of every row.
func collapse(g []*rekeyRow, taken map[string]bool, reason RekeyReason) ([]rekeyEvent, error) {
	newIdentity := g[0].newIdentity
	var active, removed []*rekeyRow
	for _, r := range g {
		if r.removed {
			removed = append(removed, r)
		} else {
			active = append(active, r)
		}
	}
	var events []rekeyEvent
	if len(active) > 1 {
		for _, r := range active {
			o, err := ledger.ReidentifyRepeated(r.host, ledger.PartKind(r.kind), r.record)
			if err != nil {
				return nil, fmt.Errorf("rekey part %d: %w", r.id, err)
			}
			r.newIdentity, r.newReal = claimIdentity(taken, r.host, o.Identity, r.id), false
			others := otherRows(active, r)
			events = append(events, rekeyEvent{row: r, kind: ledger.EventIdentityCorrected,
				message: fmt.Sprintf("identity corrected: parts %s of host %s (%s) have one identity, %s, under the current rules: two parts the serial cannot tell apart, so this one is known on this host only, as %s",
					rowIDs(active), ledger.CleanText(r.host), describe(active), ledger.CleanText(newIdentity), r.newIdentity),
				details: map[string]any{"old_identity": r.identity, "identity": r.newIdentity, "real_serial": false,
					"maker_id": r.maker, "shared_with_part_ids": ids(others)}})
		}
	}
	var keeper *rekeyRow
	if len(active) == 1 {
		keeper = active[0]
	} else if len(removed) > 0 {
		keeper = slices.MaxFunc(removed, func(a, b *rekeyRow) int {
			return cmp.Or(a.arrivedAt.Compare(b.arrivedAt), cmp.Compare(a.id, b.id))
		})
	}
	if keeper == nil {
		return events, nil
	}
	rest := otherRows(removed, keeper)
	if len(rest) == 0 {
		return events, nil
	}
	// The keeper holds the identity: the others get their suffixed one.
	taken[keeper.host+"\x00"+newIdentity] = true
	for _, r := range rest {
		r.newIdentity = claimIdentity(taken, r.host, newIdentity, r.id)
		if r.firstSeen.Before(keeper.newFirstSeen) {
			keeper.newFirstSeen = r.firstSeen
		}
	}
	all := append([]*rekeyRow{keeper}, rest...)
	if !slices.ContainsFunc(all, func(r *rekeyRow) bool { return r.newIdentity != r.identity || !r.newFirstSeen.Equal(r.firstSeen) }) {
		return events, nil // corrected before
	}
	msg := fmt.Sprintf("identity corrected: parts %s of host %s (%s) are one part %s, not parts removed and added: part %d keeps identity %s",
		rowIDs(all), ledger.CleanText(keeper.host), describe(all), reason.Merged, keeper.id, newIdentity)
	if keeper.newFirstSeen.Before(keeper.firstSeen) {
		msg += fmt.Sprintf(" and is first seen %s", keeper.newFirstSeen.UTC().Format(time.RFC3339))
	}
	for _, r := range all {
		events = append(events, rekeyEvent{row: r, kind: ledger.EventIdentityCorrected, message: msg,
			details: map[string]any{"old_identity": r.identity, "identity": r.newIdentity, "maker_id": r.maker,
				"same_part_ids": ids(otherRows(all, r)), "kept_by_part_id": keeper.id,
				"old_first_seen": r.firstSeen.UTC().Format(time.RFC3339Nano), "first_seen": r.newFirstSeen.UTC().Format(time.RFC3339Nano)}})
	}
	return events, nil
}

// newClashes returns serial_clash events for the real-serial identities
// active on several hosts after rekeying whose rows had different
// identities before (rows sharing one before had their clash recorded).
func newClashes(rows []*rekeyRow, reason RekeyReason) []rekeyEvent {
	byIdentity := map[string][]*rekeyRow{}
	var order []string
	for _, r := range rows {
		identity, real := r.identity, true
		if r.newIdentity != "" {
			identity, real = r.newIdentity, r.newReal
		}
		if r.removed || !real {
			continue
		}
		if byIdentity[identity] == nil {
			order = append(order, identity)
		}
		byIdentity[identity] = append(byIdentity[identity], r)
	}
	var events []rekeyEvent
	for _, identity := range order {
		g := byIdentity[identity]
		if len(g) < 2 || !slices.ContainsFunc(g, func(r *rekeyRow) bool { return r.identity != g[0].identity }) {
			continue
		}
		var hosts []string
		for _, r := range g {
			hosts = append(hosts, r.host)
		}
		for _, r := range g {
			others := otherRows(g, r)
			var otherHosts []string
			for _, o := range others {
				otherHosts = append(otherHosts, o.host)
			}
			events = append(events, rekeyEvent{row: r, kind: ledger.EventSerialClash,
				message: fmt.Sprintf("serial clash: part number %s serial %s is carried by hosts %s, each under an identity of its own (%s); found when %s; each keeps its own part",
					ledger.CleanText(r.partNumber), ledger.CleanText(r.serial), ledger.CleanText(strings.Join(hosts, ", ")), describe(g), reason.Found),
				details: map[string]any{"identity": identity, "host_id": r.host, "other_host_ids": otherHosts,
					"other_part_ids": ids(others), "found_by": "migration"}})
		}
	}
	return events
}

func otherRows(rows []*rekeyRow, r *rekeyRow) []*rekeyRow {
	return slices.DeleteFunc(slices.Clone(rows), func(o *rekeyRow) bool { return o == r })
}

func ids(rows []*rekeyRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.id
	}
	return out
}

func rowIDs(rows []*rekeyRow) string {
	s := make([]string, len(rows))
	for i, r := range rows {
		s[i] = strconv.FormatInt(r.id, 10)
	}
	return strings.Join(s, ", ")
}

// describe lists the rows' part numbers, serials and maker slugs
// ("unknown" for none), each in row order.
func describe(rows []*rekeyRow) string {
	pns, serials, makers := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		pns[i], serials[i], makers[i] = r.partNumber, r.serial, cmp.Or(r.maker, "unknown")
	}
	return ledger.CleanText(fmt.Sprintf("part numbers %s; serials %s; makers %s",
		strings.Join(pns, ", "), strings.Join(serials, ", "), strings.Join(makers, ", ")))
}
