package engine

import (
	"context"
	"strings"
	"time"
)

// writer queues statements that need no result and flushes them before any
// query and at the end of the transaction.
type writer struct {
	tx      Tx
	pending []Stmt
	// parts is the transaction's view of the part row cache (nil: none).
	parts *partTx
	// events are the batch's events, in report order, inserted together
	// at the end of the batch (nothing in the transaction reads them).
	events []eventRow
	// presence are the presence intervals the batch's removals close,
	// inserted together at the end of the batch. An interval is stored
	// once it is closed: the open one of a present part is
	// [parts.arrived_at, now), so arrivals write none and a removal
	// updates no earlier row.
	presence []presenceRow
	// remotes answers lookupElsewhere from one query at the batch's start
	// where it can.
	remotes *remotePrefetch
	// newParts are the part rows the batch inserts (newPartWidth values
	// each), not yet queued: they go out as multi-row INSERTs, since one
	// statement per report cost the database more than the rows. Putting
	// them after statements queued later is sound because those touch
	// other rows (and a new row's identity can only become active
	// elsewhere after a statement removing the row, which names it), with
	// two exceptions handled where they arise: a statement naming a new
	// row's id (touchPart queues the rows first) and the batch's presence
	// and event rows, which name them (applyTx queues the rows before
	// those). Queries see them (flush).
	newParts   [][]any
	newPartIDs map[int64]bool
	// insertParts is Engine.insertPartsSQL.
	insertParts string
}

// newPartWidth is the number of values of a new part row: id, host_id,
// partDataColumns, first_seen, arrived_at.
var newPartWidth = len(partDataColumns) + 4

// addPart buffers a new part row (newPartWidth values, the id first).
func (w *writer) addPart(id int64, row []any) {
	if w.newPartIDs == nil {
		w.newPartIDs = map[int64]bool{}
	}
	w.newPartIDs[id] = true
	w.newParts = append(w.newParts, row)
}

// touchPart is called before queuing a statement that names part row id:
// a row still buffered is queued first.
func (w *writer) touchPart(id int64) {
	if w.newPartIDs[id] {
		w.queueNewParts()
	}
}

// queueNewParts queues the buffered part rows as multi-row INSERTs.
func (w *writer) queueNewParts() {
	if len(w.newParts) == 0 {
		return
	}
	queueRows(w, w.insertParts, newPartWidth, w.newParts, func(row []any) []any { return row })
	w.newParts = w.newParts[:0]
	clear(w.newPartIDs)
}

// presenceRow is a part_presence row to insert: a closed interval.
type presenceRow struct {
	partID int64
	hostID string
	since  time.Time
	until  time.Time
}

// closePresence records that part row id on hostID, present since since,
// left at until.
func (w *writer) closePresence(hostID string, id int64, since, until time.Time) {
	w.presence = append(w.presence, presenceRow{partID: id, hostID: hostID, since: since, until: until})
}

func (w *writer) queue(sql string, args ...any) {
	w.pending = append(w.pending, Stmt{SQL: sql, Args: args})
}

func (w *writer) flush(ctx context.Context) error {
	w.queueNewParts()
	if len(w.pending) == 0 {
		return nil
	}
	err := w.tx.ExecBatch(ctx, w.pending)
	w.pending = w.pending[:0]
	return err
}

func (w *writer) query(ctx context.Context, sql string, args ...any) (Rows, error) {
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	return w.tx.Query(ctx, sql, args...)
}

// queuePresenceRows queues multi-row inserts of presence rows, in order.
func queuePresenceRows(w *writer, rows []presenceRow) {
	queueRows(w, "INSERT INTO part_presence (part_id, host_id, since_at, until_at) VALUES ", 4, rows,
		func(r presenceRow) []any { return []any{r.partID, r.hostID, r.since, r.until} })
}

// queueRows queues multi-row INSERTs of rows, in order: prefix is the
// statement up to VALUES, values gives one row's cols arguments. Rows go in
// chunks of rowsPerStmt and power-of-two remainders, so at most a handful of
// statement texts exist.
func queueRows[T any](w *writer, prefix string, cols int, rows []T, values func(T) []any) {
	for len(rows) > 0 {
		n := rowsPerStmt
		for n > len(rows) {
			n /= 2
		}
		chunk := rows[:n]
		rows = rows[n:]
		var b strings.Builder
		b.WriteString(prefix)
		args := make([]any, 0, cols*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(" + placeholders(len(args)+1, cols) + ")")
			args = append(args, values(r)...)
		}
		w.queue(b.String(), args...)
	}
}

// rowsPerStmt is the largest multi-row INSERT of a batch's new parts,
// events or presence rows. Smaller remainders go in power-of-two chunks, so that at
// most a handful of statement texts exist (each is prepared once and cached
// by the driver).
const rowsPerStmt = 64
