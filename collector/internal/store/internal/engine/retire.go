package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/collector/internal/store"
)

var _ store.Retirer = (*Engine)(nil)

// RetireHost implements store.Retirer. Its writes are those of a report
// that lists none of the host's parts, minus the diff: the host row is
// locked as Apply locks it, each active row is removed with removePartSQL
// and its stay closed, and the events come from ledger.RetiredDrafts.
// Other hosts' rows are not touched: a part that turns up elsewhere is
// then a move, which Diff finds from the removed row.
func (e *Engine) RetireHost(ctx context.Context, hostID string, at time.Time) (store.Retirement, error) {
	if err := e.checkOpen(); err != nil {
		return store.Retirement{}, err
	}
	if !storableID(hostID) {
		return store.Retirement{}, fmt.Errorf("retire host %q: %w", ledger.CleanText(hostID), store.ErrNotFound)
	}
	now := Norm(e.Now())
	if !at.IsZero() {
		now = Norm(at)
	}
	if e.writers == SingleWriter {
		// One writer: the cached rows are changed in place by Apply under
		// this lock, and this write changes the host's rows behind them.
		e.parts.mu.Lock()
		defer e.parts.mu.Unlock()
	}
	var out store.Retirement
	err := e.conn.Write(ctx, func(ctx context.Context, tx Tx) error {
		out = store.Retirement{At: now}
		w := &writer{tx: tx}
		st, err := e.lockHost(ctx, w, hostID)
		if err != nil {
			return err
		}
		last, err := lastRetirement(ctx, w, hostID)
		if err != nil {
			return err
		}
		if last.Valid && !last.T.Before(st.lastReportAt) {
			out = store.Retirement{At: last.T, AlreadyRetired: true}
			return nil
		}
		if now.Before(st.lastSeen) {
			return fmt.Errorf("retirement at %s is before the host was last seen (%s): %w",
				now.Format(time.RFC3339Nano), st.lastSeen.Format(time.RFC3339Nano), store.ErrInvalid)
		}
		active, err := e.queryPartRows(ctx, w, `SELECT host_id, `+partRowColumns+` FROM parts WHERE host_id = $1 AND removed_at IS NULL`, []any{hostID})
		if err != nil {
			return err
		}
		rows := active[hostID]
		sort.Slice(rows, func(i, j int) bool {
			a, b := &rows[i], &rows[j]
			if a.Kind != b.Kind {
				return a.Kind > b.Kind // memory before drive, as Observe lists them
			}
			if a.Slot != b.Slot {
				return a.Slot < b.Slot
			}
			return a.ID < b.ID
		})
		hostDraft, partDrafts := ledger.RetiredDrafts(hostID, st.hostname, rows)
		drafts := []eventDraft{{Draft: hostDraft}}
		for i, r := range rows {
			out.PartsRemoved = append(out.PartsRemoved, r.ID)
			w.queue(removePartSQL, now, nullTime(st.inventorySeenAt), r.ID)
			w.closePresence(hostID, r.ID, r.ArrivedAt, latest(now, r.ArrivedAt))
			drafts = append(drafts, eventDraft{Draft: partDrafts[i], partID: r.ID})
		}
		hostSQL := `UPDATE hosts SET inventory_digest = '' WHERE host_id = $1`
		if e.writers == SharedWriters {
			hostSQL = `UPDATE hosts SET inventory_digest = '', parts_version = parts_version + 1 WHERE host_id = $1`
		}
		w.queue(hostSQL, hostID)
		queuePresenceRows(w, w.presence)
		e.queueEvents(w, now, drafts)
		return w.flush(ctx)
	})
	if e.writers == SingleWriter {
		if err != nil {
			e.parts.reset()
		} else {
			e.parts.evict(hostID)
		}
	}
	if err != nil {
		return store.Retirement{}, fmt.Errorf("retire host %q: %w", ledger.CleanText(hostID), err)
	}
	return out, nil
}

// lastRetirement returns when the host was last retired (Valid false:
// never).
func lastRetirement(ctx context.Context, w *writer, hostID string) (Time, error) {
	rows, err := w.query(ctx, `SELECT at FROM events WHERE host_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`,
		hostID, string(ledger.EventHostRetired))
	if err != nil {
		return Time{}, fmt.Errorf("read its last retirement: %w", err)
	}
	defer rows.Close()
	var t Time
	if rows.Next() {
		if err := rows.Scan(&t); err != nil {
			return Time{}, fmt.Errorf("read its last retirement: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return Time{}, fmt.Errorf("read its last retirement: %w", err)
	}
	return t, rows.Close()
}

// lockHost loads one host's row, locked as Apply locks it, for a write
// about that host outside a report; an unknown host is store.ErrNotFound.
func (e *Engine) lockHost(ctx context.Context, w *writer, hostID string) (*hostState, error) {
	states, err := e.loadHosts(ctx, w, []string{hostID}, true)
	if err != nil {
		return nil, err
	}
	st := states[hostID]
	if st == nil {
		return nil, store.ErrNotFound
	}
	return st, nil
}
