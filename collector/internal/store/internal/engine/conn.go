// Package engine implements store.Store once, over a small SQL abstraction
// that the sqlite and postgres drivers provide. SQL is written with $N
// placeholders and portable syntax (INSERT ... ON CONFLICT, RETURNING,
// multi-row VALUES); the drivers translate placeholders and time values
// where their database needs it.
package engine

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Conn is a driver's database handle.
type Conn interface {
	// Write runs fn in one read-write transaction and commits it durably.
	// The driver may call fn again when the transaction failed for a
	// transient reason (lock conflict, serialization failure); fn must
	// therefore derive everything from what it reads in tx.
	Write(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// WriteThenSync is Write for a caller holding a lock of its own around
	// it: it returns once the transaction is committed (later transactions
	// and readers see it), with a function that waits until the commit is
	// durable, to be called after releasing the lock and before telling
	// anyone the write happened. A driver whose commits are durable when
	// they return (PostgreSQL) returns a function that returns nil.
	WriteThenSync(ctx context.Context, fn func(ctx context.Context, tx Tx) error) (sync func(context.Context) error, err error)
	// Reader returns a querier for read-only statements outside a write
	// transaction.
	Reader() Querier
	// Close releases the database.
	Close() error
}

// Querier runs queries.
type Querier interface {
	// Query runs a statement that returns rows.
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
}

// Tx is a write transaction.
type Tx interface {
	Querier
	// Exec runs one statement and returns the number of rows affected.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	// ExecBatch runs statements in order (pipelined where the database
	// allows it); the first error stops it.
	ExecBatch(ctx context.Context, stmts []Stmt) error
}

// Stmt is one statement of an ExecBatch.
type Stmt struct {
	SQL  string
	Args []any
}

// Rows is a result set; Close must be called.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// scanInt64 returns the single integer a query yields, given the query's
// result, and closes its rows.
func scanInt64(rows Rows, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var v int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("no row")
	}
	if err := rows.Scan(&v); err != nil {
		return 0, err
	}
	return v, rows.Close()
}

// WriterMode says whether the engine is the database's only writer, which
// decides how it keeps its cache of hosts' part rows sound, chooses new part
// ids, closes presence intervals and guards real serials. The modes differ
// in behaviour, not in SQL: a driver names the one its database is used in,
// and its Dialect supplies the statements that mode needs.
type WriterMode int

const (
	// SingleWriter: one process writes the database, its write
	// transactions excluding each other (SQLite). The engine keeps one
	// process-local cache of part rows, validated at the start of each
	// write transaction by Dialect.DataVersionSQL and changed in place
	// under its lock; new part ids continue from max(id), so their inserts
	// need not return them; a removal's presence interval comes from the
	// row as the batch read it and joins the batch's presence inserts. No
	// other writer can race it on a serial, and the embedded planner needs
	// no statistics refresh as the tables grow.
	SingleWriter WriterMode = iota + 1
	// SharedWriters: several transactions and collectors write at once
	// (PostgreSQL). hosts.parts_version changes in every transaction that
	// writes one of the host's part rows; the engine reads it with the host
	// rows it locks and uses a host's cached rows only if they were cached
	// at that version, taking them out for the transaction and putting
	// them back after it commits. New part ids are reserved with
	// Dialect.ReserveIDsSQL. A removal and the presence interval it closes
	// are one statement, WITH r AS (UPDATE ... RETURNING) INSERT, so the
	// interval starts at the arrival of the row the statement removed and
	// is not written when the row was no longer active: another collector
	// may have removed or reopened it since the batch read it. A batch
	// takes Dialect.LockIdentitiesSQL on the real serials it looks up on
	// other hosts, so that two collectors adding one serial to two hosts at
	// once see each other's row: the second records a serial clash instead
	// of a second unexplained copy. And the engine runs
	// Dialect.OptimizeSQL in the background each time the parts it
	// inserted pass a power of ten from 1,000 on: plans prepared on the
	// server's connections while the tables were nearly empty stay cached
	// until statistics change, and autovacuum's analyze may be a minute
	// away.
	SharedWriters
)

// String names the mode for error messages.
func (m WriterMode) String() string {
	switch m {
	case SingleWriter:
		return "single writer"
	case SharedWriters:
		return "shared writers"
	}
	return fmt.Sprintf("WriterMode(%d)", int(m))
}

// Dialect holds the SQL differences the engine must know: statement text
// and syntax, no behaviour (that is the WriterMode's).
type Dialect struct {
	// Name is "sqlite" or "postgres", for error messages.
	Name string
	// LockSuffix is appended to SELECTs of host rows inside Apply to lock
	// them (" FOR UPDATE" on PostgreSQL; "" on SQLite, whose write
	// transactions already exclude each other).
	LockSuffix string
	// ArrayParams renders IN lists as "col = ANY($n)" with one array
	// argument (PostgreSQL): one statement text whatever the list length,
	// so prepared statements are reused and their generic plans use the
	// index.
	ArrayParams bool
	// BinaryCollate is appended to a text column compared by byte order
	// (` COLLATE "C"` on PostgreSQL, whose database collation may sort by
	// language; "" on SQLite, which compares bytes), so that prefix ranges
	// are exact and use the index built with the same collation.
	BinaryCollate string
	// OptimizeSQL refreshes the planner's statistics ("ANALYZE",
	// "PRAGMA optimize").
	OptimizeSQL string
	// DataVersionSQL is a query of one integer that changes whenever
	// another connection committed to the database ("PRAGMA data_version"
	// on SQLite). SingleWriter needs it.
	DataVersionSQL string
	// ReserveIDsSQL returns $1 new part row ids, one per row (PostgreSQL:
	// nextval of the identity's sequence), so that a batch chooses its new
	// parts' ids with one query and queues their inserts. SharedWriters
	// needs it.
	ReserveIDsSQL string
	// LockIdentitiesSQL locks the real-serial identities in the array $1,
	// in its order, until the transaction ends. SharedWriters needs it.
	LockIdentitiesSQL string
	// InsertIDClause goes between an INSERT's column list and VALUES when
	// the engine supplies ids (" OVERRIDING SYSTEM VALUE" for a
	// PostgreSQL GENERATED ALWAYS identity).
	InsertIDClause string
}

// check reports what d lacks for writers.
func (d Dialect) check(writers WriterMode) error {
	var missing string
	switch writers {
	case SingleWriter:
		if d.DataVersionSQL == "" {
			missing = "DataVersionSQL"
		}
	case SharedWriters:
		switch {
		case d.ReserveIDsSQL == "":
			missing = "ReserveIDsSQL"
		case d.LockIdentitiesSQL == "":
			missing = "LockIdentitiesSQL"
		}
	default:
		return fmt.Errorf("dialect %s: unknown writer mode %v", d.Name, writers)
	}
	if missing != "" {
		return fmt.Errorf("dialect %s: %s needs %s", d.Name, writers, missing)
	}
	return nil
}

// Time is a nullable time scanned from either an INTEGER of Unix
// microseconds (SQLite) or a timestamp (PostgreSQL).
type Time struct {
	T     time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = Time{}
	case int64:
		*t = Time{T: time.UnixMicro(v).UTC(), Valid: true}
	case time.Time:
		*t = Time{T: v.UTC(), Valid: true}
	default:
		return fmt.Errorf("scan time: unsupported value of type %T", src)
	}
	return nil
}

var _ sql.Scanner = (*Time)(nil)

// Norm normalizes a time as the store keeps it: UTC, microseconds.
func Norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// latest is the later of a and b.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// nullTime is t as a statement argument: nil when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
