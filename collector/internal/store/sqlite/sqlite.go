// Package sqlite is the SQLite driver of the collector's store
// (modernc.org/sqlite, pure Go). Importing it registers the "sqlite" DSN
// scheme with store.Open.
//
// DSN: "sqlite:PATH" or "sqlite:PATH?synchronous=normal&busy_timeout=5000".
// "sqlite:///abs/path" is accepted as "/abs/path". In-memory databases are
// refused (the store uses separate reader and writer connections, which
// would see different memory databases).
//
// Durability: the database runs in WAL mode. With synchronous=full (the
// default) every commit is made durable, the WAL file fdatasynced, before
// Apply returns, so an acknowledged report survives a power loss. The sync
// runs after the write lock is released (walSync; SQLite itself runs with
// synchronous=NORMAL and no sync in its commit), so that one batch's sync
// overlaps the next batch's transaction and one sync serves every commit
// made before it began. Readers may see a commit before its sync ends.
// synchronous=normal skips the sync: every commit survives a crash of the
// collector process (the WAL is written before commit returns; the fsync
// waits for checkpoints) but the last ones may be lost on an OS crash or
// power loss; agents would then re-send as NeedFull heartbeats reveal the
// gap, yet ledger times would shift, so full is the default.
//
// The WAL is checkpointed by a connection of its own every 250 ms
// (checkpointLoop, PASSIVE), not inside commits: a checkpoint in a commit
// delays every acknowledgement of its batch. The writer's automatic
// checkpoint remains as a fallback at 32,000 pages.
//
// Caching: the engine keeps each host's part rows in memory between Apply
// calls (changed full reports then diff without reading them). The writer
// checks PRAGMA data_version at the start of each write transaction and the
// cache starts afresh when another connection (another process on the same
// file) committed meanwhile.
//
// Concurrency: one writer connection (Apply, SetLabels and AppendEvents
// are serialized in-process and use BEGIN IMMEDIATE against other
// processes, with a busy timeout), and a small pool of read-only
// connections that WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/internal/engine"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func init() {
	store.Register(Open, "sqlite")
}

// Options are the settings a DSN may carry.
type Options struct {
	// Path of the database file; created when missing.
	Path string
	// Synchronous is "full" (default) or "normal".
	Synchronous string
	// BusyTimeout is how long a statement waits for another process's lock
	// (default 10s).
	BusyTimeout time.Duration
	// Readers is the size of the read-only connection pool (default 4).
	Readers int
}

// ParseDSN parses "sqlite:PATH[?synchronous=full|normal&busy_timeout=MS&readers=N]".
func ParseDSN(dsn string) (Options, error) {
	rest, ok := strings.CutPrefix(dsn, "sqlite:")
	if !ok {
		return Options{}, fmt.Errorf("sqlite dsn %q: want sqlite:PATH: %w", dsn, store.ErrInvalid)
	}
	rest = strings.TrimPrefix(rest, "//")
	path, query, _ := strings.Cut(rest, "?")
	o := Options{Path: path, Synchronous: "full", BusyTimeout: 10 * time.Second, Readers: 4}
	switch {
	case path == "":
		return Options{}, fmt.Errorf("sqlite dsn %q: empty path: %w", dsn, store.ErrInvalid)
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory"):
		return Options{}, fmt.Errorf("sqlite dsn %q: in-memory databases are not supported, use a file: %w", dsn, store.ErrInvalid)
	case strings.HasPrefix(path, "file:"):
		return Options{}, fmt.Errorf("sqlite dsn %q: give a plain path, not a file: URI: %w", dsn, store.ErrInvalid)
	case strings.ContainsAny(path, "#\x00"):
		return Options{}, fmt.Errorf("sqlite dsn %q: path contains '#' or NUL: %w", dsn, store.ErrInvalid)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Options{}, fmt.Errorf("sqlite dsn %q: options: %v: %w", dsn, err, store.ErrInvalid)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "synchronous":
			switch strings.ToLower(v) {
			case "full", "normal":
				o.Synchronous = strings.ToLower(v)
			default:
				return Options{}, fmt.Errorf("sqlite dsn: synchronous=%q: want full or normal: %w", v, store.ErrInvalid)
			}
		case "busy_timeout":
			ms, err := strconv.Atoi(v)
			if err != nil || ms < 0 {
				return Options{}, fmt.Errorf("sqlite dsn: busy_timeout=%q: want milliseconds: %w", v, store.ErrInvalid)
			}
			o.BusyTimeout = time.Duration(ms) * time.Millisecond
		case "readers":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 64 {
				return Options{}, fmt.Errorf("sqlite dsn: readers=%q: want 1..64: %w", v, store.ErrInvalid)
			}
			o.Readers = n
		default:
			return Options{}, fmt.Errorf("sqlite dsn: unknown option %q (known: synchronous, busy_timeout, readers): %w", k, store.ErrInvalid)
		}
	}
	return o, nil
}

// Open opens (creating if needed) and migrates the database named by dsn.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	o, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return OpenOptions(ctx, o)
}

// OpenOptions is Open with parsed options.
func OpenOptions(ctx context.Context, o Options) (store.Store, error) {
	c, err := openConn(ctx, o)
	if err != nil {
		return nil, err
	}
	e, err := engine.New(c, engine.SingleWriter, engine.Dialect{Name: "sqlite", OptimizeSQL: "PRAGMA optimize", DataVersionSQL: "PRAGMA data_version"})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}
	return e, nil
}

// openConn opens and migrates the database and starts its checkpoints.
func openConn(ctx context.Context, o Options) (*conn, error) {
	if dir := filepath.Dir(o.Path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open sqlite store %s: directory: %w", o.Path, err)
		}
	}
	// A plain name, not a file: URI: the driver strips the query and hands
	// SQLite the path verbatim (no %XX decoding).
	base := o.Path + "?_pragma=busy_timeout(" + strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10) + ")" +
		"&_pragma=foreign_keys(1)" +
		// Statement journals (one per statement that may need a partial
		// rollback) in memory instead of temp files, and a page cache
		// large enough for the hot part of the ledger (parts of the hosts
		// reporting): both were syscalls dominating small writes.
		"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)"
	// Checkpoints run beside the writer (checkpointLoop); the writer's own
	// automatic checkpoint, which runs inside a commit and so delays every
	// acknowledgement of its batch, only steps in if they fall behind.
	w, err := sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint("+strconv.Itoa(walFallbackPages)+")&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
	}
	c := &conn{w: w}
	if o.Synchronous == "full" {
		// SQLite names the WAL after the database file with symbolic
		// links resolved; the file exists once the writer connected.
		real, err := filepath.EvalSymlinks(o.Path)
		if err == nil {
			real, err = filepath.Abs(real)
		}
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open sqlite store %s: %w", o.Path, err)
		}
		c.wal = newWALSync(real)
	}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open sqlite store %s: embedded migrations: %w", o.Path, err)
	}
	if _, err := engine.Migrate(ctx, c, engine.Migrations{
		FS: migrations,
		CreateTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		Now: time.Now().UnixMicro(),
		Steps: map[string]func(context.Context, engine.Tx) error{
			"0006_reidentify_placeholders.sql": engine.ReidentifyPlaceholders(engine.SingleWriter, time.Now().UTC()),
			"0007_rekey_without_maker.sql":     engine.Rekey(engine.SingleWriter, time.Now().UTC(), engine.RekeyWithoutMaker),
			"0010_rekey_one_form.sql":          engine.Rekey(engine.SingleWriter, time.Now().UTC(), engine.RekeyOneForm),
		},
	}); err != nil {
		c.Close()
		return nil, fmt.Errorf("open sqlite store %s: migrate: %w", o.Path, err)
	}
	// Readers open after the migration so they never see a half-made schema.
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open sqlite store %s: readers: %w", o.Path, err)
	}
	r.SetMaxOpenConns(o.Readers)
	r.SetMaxIdleConns(o.Readers)
	c.r = r
	cp, err := sql.Open("sqlite", base+"&_pragma=synchronous("+o.Synchronous+")")
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("open sqlite store %s: checkpointer: %w", o.Path, err)
	}
	cp.SetMaxOpenConns(1)
	c.startCheckpoints(cp, checkpointEvery)
	return c, nil
}

// maxCachedStmts bounds the writer's prepared statement cache. The engine's
// write statements are a small set of texts (multi-row INSERTs vary only by
// row count), so the cache rarely fills; when it does it starts afresh.
const maxCachedStmts = 256

// walFallbackPages is the writer's automatic checkpoint threshold (4 KiB
// pages), reached only when checkpointLoop falls behind.
const walFallbackPages = 32000

// checkpointEvery is how often checkpointLoop copies the WAL into the
// database.
const checkpointEvery = 250 * time.Millisecond

// conn adapts database/sql to engine.Conn.
type conn struct {
	w, r *sql.DB
	// cp is the checkpointer's connection; stopCheckpoints ends its loop
	// and waits for it.
	cp              *sql.DB
	stopCheckpoints func()
	// mu serializes write transactions of this process (the writer pool has
	// one connection) and guards stmts.
	mu sync.Mutex
	// wal makes commits durable before Write returns and before the
	// engine acknowledges them; nil with synchronous=normal.
	wal *walSync
	// stmts caches statements prepared on the writer pool (whose only
	// connection they are prepared on): parsing SQL is a large share of a
	// small write's cost in SQLite. A statement first met inside a
	// transaction runs unprepared and is prepared after it, since the
	// transaction holds the pool's only connection.
	stmts map[string]cachedStmt
}

// cachedStmt is a prepared statement and the argument order its text binds.
type cachedStmt struct {
	st    *sql.Stmt
	order []int
}

// prepareMissing prepares, outside any transaction, the statements a
// transaction ran unprepared. Failures only mean no caching.
func (c *conn) prepareMissing(ctx context.Context, missing map[string]bool) {
	for q := range missing {
		if len(c.stmts) >= maxCachedStmts {
			for k, old := range c.stmts {
				old.st.Close()
				delete(c.stmts, k)
			}
		}
		text, order := rewrite(q)
		st, err := c.w.PrepareContext(ctx, text)
		if err != nil {
			continue
		}
		if c.stmts == nil {
			c.stmts = map[string]cachedStmt{}
		}
		c.stmts[q] = cachedStmt{st: st, order: order}
	}
}

func (c *conn) Write(ctx context.Context, fn func(context.Context, engine.Tx) error) error {
	sync, err := c.WriteThenSync(ctx, fn)
	if err != nil {
		return err
	}
	return sync(ctx)
}

// WriteThenSync commits without waiting for the disk (the writer runs with
// synchronous=NORMAL) and returns the wait for a sync of the WAL covering
// the commit (walSync); with synchronous=normal in the DSN there is none.
func (c *conn) WriteThenSync(ctx context.Context, fn func(context.Context, engine.Tx) error) (func(context.Context) error, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wal != nil {
		// Nothing more is committed once a sync failed: what follows
		// would build on commits that may not be on disk.
		if err := c.wal.failed(); err != nil {
			return nil, err
		}
	}
	tx, err := c.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	t := &sqlTx{tx: tx, c: c}
	defer func() { c.prepareMissing(context.WithoutCancel(ctx), t.missing) }()
	if err := fn(ctx, t); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return nil, fmt.Errorf("%w (rollback: %v)", err, rbErr)
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	if c.wal == nil {
		return noSync, nil
	}
	n := c.wal.noteCommit()
	return func(ctx context.Context) error { return c.wal.wait(ctx, n) }, nil
}

func noSync(context.Context) error { return nil }

func (c *conn) Reader() engine.Querier { return reader{c.r} }

// startCheckpoints runs checkpointLoop on cp until Close.
func (c *conn) startCheckpoints(cp *sql.DB, every time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.cp = cp
	c.stopCheckpoints = func() { cancel(); <-done }
	go func() {
		defer close(done)
		checkpointLoop(ctx, cp, every)
	}()
}

// checkpointLoop copies committed WAL frames into the database every
// period on its own connection, so that commits do not (PASSIVE: it
// neither waits for nor blocks the writer and readers). The writer resets
// the WAL once everything in it is copied. Errors are retried next period:
// the writer's fallback threshold bounds the WAL meanwhile.
func checkpointLoop(ctx context.Context, cp *sql.DB, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, log, done int
		_ = cp.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
	}
}

func (c *conn) Close() error {
	var errs []error
	if c.stopCheckpoints != nil {
		c.stopCheckpoints()
		errs = append(errs, c.cp.Close())
	}
	if c.r != nil {
		errs = append(errs, c.r.Close())
	}
	c.mu.Lock()
	for _, st := range c.stmts {
		errs = append(errs, st.st.Close())
	}
	c.stmts = nil
	c.mu.Unlock()
	// Closing the last connection checkpoints the WAL.
	errs = append(errs, c.w.Close())
	return errors.Join(errs...)
}

type reader struct{ db *sql.DB }

func (r reader) Query(ctx context.Context, q string, args ...any) (engine.Rows, error) {
	text, order := rewrite(q)
	return r.db.QueryContext(ctx, text, bindArgs(order, args)...)
}

type sqlTx struct {
	tx *sql.Tx
	c  *conn // its mu is held by Write
	// missing are the statements run unprepared, to prepare after the
	// transaction.
	missing map[string]bool
}

// stmt returns the cached prepared statement for q bound to the
// transaction (database/sql reuses the driver statement prepared on the
// pool's single connection) with its argument order, or nil after noting q
// as missing.
func (t *sqlTx) stmt(ctx context.Context, q string) (*sql.Stmt, []int) {
	if st, ok := t.c.stmts[q]; ok {
		return t.tx.StmtContext(ctx, st.st), st.order
	}
	if t.missing == nil {
		t.missing = map[string]bool{}
	}
	t.missing[q] = true
	return nil, nil
}

func (t *sqlTx) Query(ctx context.Context, q string, args ...any) (engine.Rows, error) {
	if st, order := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, bindArgs(order, args)...)
	}
	text, order := rewrite(q)
	return t.tx.QueryContext(ctx, text, bindArgs(order, args)...)
}

func (t *sqlTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	switch st, order := t.stmt(ctx, q); {
	case len(args) == 0:
		// Migrations: multi-statement scripts, run once; never prepared.
		delete(t.missing, q)
		res, err = t.tx.ExecContext(ctx, q)
	case st != nil:
		res, err = st.ExecContext(ctx, bindArgs(order, args)...)
	default:
		text, order := rewrite(q)
		res, err = t.tx.ExecContext(ctx, text, bindArgs(order, args)...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *sqlTx) ExecBatch(ctx context.Context, stmts []engine.Stmt) error {
	for i, s := range stmts {
		var err error
		if st, order := t.stmt(ctx, s.SQL); st != nil {
			_, err = st.ExecContext(ctx, bindArgs(order, s.Args)...)
		} else {
			text, order := rewrite(s.SQL)
			_, err = t.tx.ExecContext(ctx, text, bindArgs(order, s.Args)...)
		}
		if err != nil {
			return fmt.Errorf("statement %d of batch: %w", i, err)
		}
	}
	return nil
}

// rewrite turns the engine's $N placeholders into SQLite's anonymous "?"
// and returns, in order of appearance, the argument number each binds (nil
// when that is 1, 2, 3, ...). Anonymous parameters matter for speed: the
// driver asks SQLite for every parameter's name, a linear search among
// named ones (?N included) that made wide multi-row INSERTs quadratic.
// A text whose numbers cannot be bound that way (a number of 0 or absurdly
// large) keeps ?N, so that SQLite reports the problem as before. The
// engine's SQL has no '$' inside literals.
func rewrite(q string) (string, []int) {
	if !strings.Contains(q, "$") {
		return q, nil
	}
	b := make([]byte, 0, len(q))
	var order []int
	inOrder := true
	for i := 0; i < len(q); i++ {
		if q[i] != '$' || i+1 >= len(q) || q[i+1] < '0' || q[i+1] > '9' {
			b = append(b, q[i])
			continue
		}
		j := i + 1
		n := 0
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			if n > 1<<20 {
				return numbered(q), nil
			}
			n = n*10 + int(q[j]-'0')
			j++
		}
		if n == 0 {
			return numbered(q), nil
		}
		order = append(order, n)
		inOrder = inOrder && n == len(order)
		b = append(b, '?')
		i = j - 1
	}
	if inOrder {
		order = nil
	}
	return string(b), order
}

// numbered is q with $N turned into ?N (bound by number).
func numbered(q string) string {
	b := []byte(q)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '$' && b[i+1] >= '0' && b[i+1] <= '9' {
			b[i] = '?'
		}
	}
	return string(b)
}

// bindArgs is args in the order a rewritten text binds them, times
// converted. A number beyond args is left out, so the driver reports the
// missing argument.
func bindArgs(order []int, args []any) []any {
	if order == nil {
		return convertArgs(args)
	}
	out := make([]any, 0, len(order))
	for _, n := range order {
		if n > len(args) {
			break
		}
		out = append(out, args[n-1])
	}
	for i, a := range out {
		if t, ok := a.(time.Time); ok {
			out[i] = t.UnixMicro()
		}
	}
	return out
}

// convertArgs stores times as INTEGER Unix microseconds. It copies args
// only when it must change one.
func convertArgs(args []any) []any {
	var out []any
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = t.UnixMicro()
		}
	}
	if out == nil {
		return args
	}
	return out
}
