// Package postgres is the PostgreSQL driver of the collector's store
// (pgx/v5 pgxpool). Importing it registers the "postgres" and "postgresql"
// DSN schemes with store.Open; the DSN is a pgx connection URL, e.g.
// "postgres://memledger@db:5432/memledger?sslmode=require". A
// "search_path=SCHEMA" parameter selects the schema (tests use one schema
// each).
//
// Several collectors may share one database:
//   - migrations run in one transaction under a transaction-level advisory
//     lock keyed on the current schema, so concurrent starts apply them
//     once;
//   - Apply locks the host rows of its batch (SELECT ... FOR UPDATE, in host
//     id order, so two batches never deadlock on hosts), which serializes
//     reports of one host across collectors;
//   - a transaction that still fails on a deadlock, a serialization failure
//     or a unique violation (two collectors adding the same real-serial part
//     at once) is retried from the start, a few times.
//
// Commits use the server's synchronous_commit (on by default): Apply
// returns after the commit record is flushed.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/internal/engine"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func init() {
	store.Register(Open, "postgres", "postgresql")
}

// maxAttempts bounds retries of a transaction that failed transiently.
const maxAttempts = 5

// Open connects, migrates and returns the store named by dsn.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	s, _, err := open(ctx, dsn)
	return s, err
}

// open is Open, also returning the connection (its retry counts).
func open(ctx context.Context, dsn string) (store.Store, *conn, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx errors may echo the DSN; do not leak a password.
		return nil, nil, fmt.Errorf("open postgres store %s: parse dsn: %w", store.RedactDSN(dsn), store.ErrInvalid)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open postgres store %s: %w", store.RedactDSN(dsn), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("open postgres store %s: %w", store.RedactDSN(dsn), err)
	}
	c := &conn{pool: pool}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("open postgres store: embedded migrations: %w", err)
	}
	if _, err := engine.Migrate(ctx, c, engine.Migrations{
		FS: migrations,
		// Two-key advisory lock: a constant for memledger and the schema, so
		// collectors of different schemas in one database do not wait.
		Lock: `SELECT pg_advisory_xact_lock(1835363692, hashtext(current_schema()))`,
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
		Now: time.Now().UTC(),
		Steps: map[string]func(context.Context, engine.Tx) error{
			"0008_reidentify_placeholders.sql": engine.ReidentifyPlaceholders(engine.SharedWriters, time.Now().UTC()),
			"0009_rekey_without_maker.sql":     engine.Rekey(engine.SharedWriters, time.Now().UTC(), engine.RekeyWithoutMaker),
			"0012_rekey_one_form.sql":          engine.Rekey(engine.SharedWriters, time.Now().UTC(), engine.RekeyOneForm),
		},
	}); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("open postgres store %s: migrate: %w", store.RedactDSN(dsn), err)
	}
	// The parts id sequence, named once: pg_get_serial_sequence in the
	// reserving query would look it up in the catalog for every id (6.5 µs
	// against 0.5 µs for nextval of a constant).
	var seq *string
	err = pool.QueryRow(ctx, `SELECT pg_get_serial_sequence('parts', 'id')`).Scan(&seq)
	if err == nil && seq == nil {
		err = errors.New("parts.id has no sequence")
	}
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("open postgres store %s: find the sequence of parts.id: %w", store.RedactDSN(dsn), err)
	}
	e, err := engine.New(c, engine.SharedWriters, engine.Dialect{
		Name: "postgres", LockSuffix: " FOR UPDATE", ArrayParams: true, OptimizeSQL: "ANALYZE",
		ReserveIDsSQL:  `SELECT nextval(` + quoteLiteral(*seq) + `::regclass) FROM generate_series(1, $1)`,
		InsertIDClause: " OVERRIDING SYSTEM VALUE",
		BinaryCollate:  ` COLLATE "C"`,
		// Advisory locks keyed (class, hash of the identity): a hash
		// collision only makes two identities wait for each other.
		LockIdentitiesSQL: `SELECT count(pg_advisory_xact_lock(1296845124, hashtext(id))) FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n)`,
	})
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("open postgres store %s: %w", store.RedactDSN(dsn), err)
	}
	return e, c, nil
}

// quoteLiteral renders s as an SQL string literal
// (standard_conforming_strings, on since PostgreSQL 9.1).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

type conn struct {
	pool *pgxpool.Pool
	// retried counts the transactions retried, by SQLSTATE
	// (transientCodes' order).
	retried [len(transientCodes)]atomic.Int64
}

func (c *conn) Write(ctx context.Context, fn func(context.Context, engine.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = c.writeOnce(ctx, fn)
		code, retry := transient(err)
		if !retry || ctx.Err() != nil {
			return err
		}
		c.retried[code].Add(1)
		// Back off a little, longer each time, so that the competing
		// transaction can commit.
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return fmt.Errorf("after %d attempts: %w", maxAttempts, err)
}

// WriteThenSync is Write: PostgreSQL's commit returns once it is durable
// (synchronous_commit).
func (c *conn) WriteThenSync(ctx context.Context, fn func(context.Context, engine.Tx) error) (func(context.Context) error, error) {
	if err := c.Write(ctx, fn); err != nil {
		return nil, err
	}
	return durable, nil
}

func durable(context.Context) error { return nil }

func (c *conn) writeOnce(ctx context.Context, fn func(context.Context, engine.Tx) error) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, &pgTx{tx: tx}); err != nil {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			return fmt.Errorf("%w (rollback: %v)", err, rbErr)
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// transientCodes are the SQLSTATEs worth retrying the whole transaction
// for.
var transientCodes = [...]string{
	"40001", // serialization_failure
	"40P01", // deadlock_detected
	"23505", // unique_violation: a concurrent collector inserted the same part or host
}

// transient returns the index in transientCodes of err's SQLSTATE, and
// whether it is there.
func transient(err error) (int, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return 0, false
	}
	i := slices.Index(transientCodes[:], pgErr.Code)
	return i, i >= 0
}

func (c *conn) Reader() engine.Querier { return poolQuerier{c.pool} }

func (c *conn) Close() error {
	c.pool.Close()
	return nil
}

type poolQuerier struct{ pool *pgxpool.Pool }

func (q poolQuerier) Query(ctx context.Context, sql string, args ...any) (engine.Rows, error) {
	rows, err := q.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return &pgRows{rows}, nil
}

type pgTx struct{ tx pgx.Tx }

func (t *pgTx) Query(ctx context.Context, sql string, args ...any) (engine.Rows, error) {
	rows, err := t.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return &pgRows{rows}, nil
}

func (t *pgTx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ExecBatch pipelines the statements: one round trip for the batch.
func (t *pgTx) ExecBatch(ctx context.Context, stmts []engine.Stmt) error {
	if len(stmts) == 1 {
		_, err := t.tx.Exec(ctx, stmts[0].SQL, stmts[0].Args...)
		return err
	}
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.SQL, s.Args...)
	}
	br := t.tx.SendBatch(ctx, b)
	for i := range stmts {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("statement %d of batch (%s): %w", i, firstLine(stmts[i].SQL), err)
		}
	}
	return br.Close()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// pgRows adapts pgx.Rows (whose Close returns nothing) to engine.Rows.
type pgRows struct{ pgx.Rows }

func (r *pgRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}
