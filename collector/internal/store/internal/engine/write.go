package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/collector/internal/store"
)

// SetLabels implements store.Store.
func (e *Engine) SetLabels(ctx context.Context, hostID string, set map[string]string, unset []string) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	for k, v := range set {
		if err := store.ValidateLabelKey(k); err != nil {
			return fmt.Errorf("set labels of host %q: %w", ledger.CleanText(hostID), err)
		}
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("set labels of host %q: value of %q is not valid UTF-8 without NUL: %w", ledger.CleanText(hostID), k, store.ErrInvalid)
		}
	}
	for _, k := range unset {
		if err := store.ValidateLabelKey(k); err != nil {
			return fmt.Errorf("set labels of host %q: %w", ledger.CleanText(hostID), err)
		}
		if _, both := set[k]; both {
			return fmt.Errorf("set labels of host %q: key %q both set and unset: %w", ledger.CleanText(hostID), k, store.ErrInvalid)
		}
	}
	if !storableID(hostID) {
		return fmt.Errorf("set labels of host %q: %w", ledger.CleanText(hostID), store.ErrNotFound)
	}
	now := Norm(e.Now())
	return e.conn.Write(ctx, func(ctx context.Context, tx Tx) error {
		w := &writer{tx: tx}
		st, err := e.lockHost(ctx, w, hostID)
		if err != nil {
			return fmt.Errorf("set labels of host %q: %w", ledger.CleanText(hostID), err)
		}
		before := st.effectiveLabels()
		oldOver, oldUnset := labelsJSON(nonNilMap(st.overrides)), labelsJSON(st.unset)

		over := map[string]string{}
		for k, v := range st.overrides {
			over[k] = v
		}
		hidden := map[string]bool{}
		for _, k := range st.unset {
			hidden[k] = true
		}
		for k, v := range set {
			over[k] = v
			delete(hidden, k)
		}
		for _, k := range unset {
			delete(over, k)
			hidden[k] = true
		}
		st.overrides = over
		st.unset = make([]string, 0, len(hidden))
		for k := range hidden {
			st.unset = append(st.unset, k)
		}
		sort.Strings(st.unset)
		newOver, newUnset := labelsJSON(over), labelsJSON(st.unset)
		if newOver == oldOver && newUnset == oldUnset {
			return nil // nothing changed: no write, no event
		}
		after := st.effectiveLabels()
		w.queue(`UPDATE hosts SET label_overrides = $2, labels_unset = $3 WHERE host_id = $1`, hostID, newOver, newUnset)
		queueHostLabels(w, hostID, after)
		d, ok := ledger.LabelsDraft(hostID, "collector", ledger.LabelChanges(before, after))
		if !ok {
			d = ledger.Draft{
				HostID:  hostID,
				Kind:    ledger.EventLabelsChanged,
				Message: "label overrides changed by collector (effective labels unchanged)",
				Details: map[string]any{"source": "collector", "changes": []any{}},
			}
		}
		d.Details["overrides"] = over
		d.Details["unset"] = st.unset
		e.queueEvents(w, now, []eventDraft{{Draft: d}})
		return w.flush(ctx)
	})
}

// AppendEvents implements store.Store.
func (e *Engine) AppendEvents(ctx context.Context, events []store.Event) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	now := Norm(e.Now())
	type row struct {
		at      time.Time
		ev      store.Event
		details string
	}
	rows := make([]row, len(events))
	hostSet := map[string]bool{}
	parts := map[int64]string{}
	for i, ev := range events {
		switch {
		case ev.Kind == "":
			return fmt.Errorf("append events: event %d: empty kind: %w", i, store.ErrInvalid)
		case ev.HostID == "":
			return fmt.Errorf("append events: event %d: empty host id: %w", i, store.ErrInvalid)
		case !storableID(ev.HostID):
			return fmt.Errorf("append events: event %d: host %q: %w", i, ledger.CleanText(ev.HostID), store.ErrNotFound)
		case ev.PartID < 0:
			return fmt.Errorf("append events: event %d: negative part id %d: %w", i, ev.PartID, store.ErrInvalid)
		}
		details := "{}"
		if len(ev.Details) > 0 {
			var obj map[string]any
			if err := json.Unmarshal(ev.Details, &obj); err != nil || obj == nil {
				return fmt.Errorf("append events: event %d: details are not a JSON object: %w", i, store.ErrInvalid)
			}
			details = string(ev.Details)
			if !utf8.ValidString(details) {
				return fmt.Errorf("append events: event %d: details are not valid UTF-8: %w", i, store.ErrInvalid)
			}
		}
		at := now
		if !ev.Time.IsZero() {
			at = Norm(ev.Time)
		}
		rows[i] = row{at: at, ev: ev, details: details}
		hostSet[ev.HostID] = true
		if ev.PartID != 0 {
			parts[ev.PartID] = ev.HostID
		}
	}
	return e.conn.Write(ctx, func(ctx context.Context, tx Tx) error {
		w := &writer{tx: tx}
		for id := range hostSet {
			if err := e.mustExist(ctx, w, `SELECT host_id FROM hosts WHERE host_id = $1`, id); err != nil {
				return fmt.Errorf("append events: host %q: %w", ledger.CleanText(id), err)
			}
		}
		for id, host := range parts {
			if err := e.mustExist(ctx, w, `SELECT host_id FROM parts WHERE id = $1 AND host_id = $2`, id, host); err != nil {
				return fmt.Errorf("append events: part %d of host %q: %w", id, ledger.CleanText(host), err)
			}
		}
		for _, r := range rows {
			var part any
			if r.ev.PartID != 0 {
				part = r.ev.PartID
			}
			w.queue(`INSERT INTO events (at, host_id, part_id, kind, message, details) VALUES ($1, $2, $3, $4, $5, $6)`,
				r.at, r.ev.HostID, part, ledger.CleanText(string(r.ev.Kind)), ledger.CleanText(r.ev.Message), r.details)
		}
		return w.flush(ctx)
	})
}

func (e *Engine) mustExist(ctx context.Context, w *writer, q string, args ...any) error {
	rows, err := w.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return store.ErrNotFound
	}
	return rows.Close()
}
