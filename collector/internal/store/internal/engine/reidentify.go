package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// ReidentifyPlaceholders is the migration step that re-derives the
// identities of parts stored with a real-serial identity under the rules
// of internal/placeholder. Before it, the ledger took serials such as
// "Undefined", "0123456789" or "System Serial Number" for real, so the
// modules of identical servers shared one identity and the ledger saw
// them move between hosts on every report. Each such row gets its host's
// fingerprint identity (ledger.Reidentify): rows of one identity on
// several hosts are split back into one part per host. Nothing is
// deleted: the row keeps its id, stays and events, and an
// identity_corrected event on its host, at now, records the correction
// and the hosts the part was merged with. Its slot takes inventory.Slot's
// name. With SharedWriters it bumps hosts.parts_version of the hosts whose
// rows changed, so that no collector keeps their cached rows.
func ReidentifyPlaceholders(writers WriterMode, now time.Time) func(ctx context.Context, tx Tx) error {
	return func(ctx context.Context, tx Tx) error {
		type row struct {
			id                   int64
			host, kind, identity string
			slot                 string
			record               []byte
		}
		rs, err := tx.Query(ctx, `SELECT id, host_id, kind, identity, real_serial, slot, record FROM parts ORDER BY id`)
		if err != nil {
			return fmt.Errorf("reidentify parts: read: %w", err)
		}
		var rows []*row
		taken := map[string]bool{} // host + "\x00" + identity of every row
		hostsOf := map[string][]string{}
		for rs.Next() {
			r := &row{}
			var real bool
			if err := rs.Scan(&r.id, &r.host, &r.kind, &r.identity, &real, &r.slot, &r.record); err != nil {
				rs.Close()
				return fmt.Errorf("reidentify parts: read: %w", err)
			}
			taken[r.host+"\x00"+r.identity] = true
			if !real {
				continue
			}
			rows = append(rows, r)
			if !slices.Contains(hostsOf[r.identity], r.host) {
				hostsOf[r.identity] = append(hostsOf[r.identity], r.host)
			}
		}
		err = rs.Err()
		if cerr := rs.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("reidentify parts: read: %w", err)
		}

		bumped := map[string]bool{}
		for _, r := range rows {
			o, err := ledger.Reidentify(r.host, ledger.PartKind(r.kind), r.record)
			if err != nil {
				return fmt.Errorf("reidentify part %d: %w", r.id, err)
			}
			if o.RealSerial {
				continue // still real: same identity rule as before
			}
			// Another row of the host may hold the fingerprint (a part
			// once in that slot): this one then keeps its own.
			identity := claimIdentity(taken, r.host, o.Identity, r.id)
			others := slices.DeleteFunc(slices.Clone(hostsOf[r.identity]), func(h string) bool { return h == r.host })
			details := map[string]any{
				"old_identity": r.identity, "identity": identity, "real_serial": false,
				"old_slot": r.slot, "slot": o.Slot, "merged_with_hosts": others,
			}
			msg := fmt.Sprintf("identity corrected: part %s of host %s has a placeholder serial: it is known on this host only, as %s",
				r.identity, ledger.CleanText(r.host), identity)
			if len(others) > 0 {
				msg += fmt.Sprintf("; it had been merged with the parts of hosts %s, and the moves recorded between them were not moves",
					ledger.CleanText(strings.Join(others, ", ")))
			}
			if _, err := tx.Exec(ctx, `UPDATE parts SET identity = $1, real_serial = $2, slot = $3 WHERE id = $4`,
				identity, false, o.Slot, r.id); err != nil {
				return fmt.Errorf("reidentify part %d: %w", r.id, err)
			}
			if err := insertEvent(ctx, tx, now, r.host, r.id, ledger.EventIdentityCorrected, msg, details); err != nil {
				return fmt.Errorf("reidentify part %d: record the correction: %w", r.id, err)
			}
			if writers == SharedWriters {
				if err := bumpPartsVersion(ctx, tx, bumped, r.host); err != nil {
					return fmt.Errorf("reidentify parts: %w", err)
				}
			}
		}
		return nil
	}
}

// claimIdentity returns identity for a row id of host when no row of the
// host holds it, else identity + "#migrated-<id>" (unique: ids are), and
// records it in taken (host + "\x00" + identity of every row).
func claimIdentity(taken map[string]bool, host, identity string, id int64) string {
	if taken[host+"\x00"+identity] {
		identity += "#migrated-" + strconv.FormatInt(id, 10)
	}
	taken[host+"\x00"+identity] = true
	return identity
}

// insertEvent writes one event of a migration step about part row partID.
func insertEvent(ctx context.Context, tx Tx, at time.Time, host string, partID int64, kind ledger.EventKind, msg string, details map[string]any) error {
	_, err := tx.Exec(ctx, `INSERT INTO events (at, host_id, part_id, kind, message, details) VALUES ($1, $2, $3, $4, $5, $6)`,
		at, host, partID, string(kind), ledger.CleanText(msg), detailsJSON(details))
	return err
}

// bumpPartsVersion bumps hosts.parts_version of host once per migration
// step (bumped remembers), so that no collector keeps its cached rows.
func bumpPartsVersion(ctx context.Context, tx Tx, bumped map[string]bool, host string) error {
	if bumped[host] {
		return nil
	}
	bumped[host] = true
	if _, err := tx.Exec(ctx, `UPDATE hosts SET parts_version = parts_version + 1 WHERE host_id = $1`, host); err != nil {
		return fmt.Errorf("bump parts_version of host %q: %w", host, err)
	}
	return nil
}
