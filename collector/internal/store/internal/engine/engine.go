package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

// Engine implements store.Store over a driver's Conn.
type Engine struct {
	conn    Conn
	d       Dialect
	writers WriterMode
	closed  atomic.Bool
	// growth refreshes statistics as the tables grow (SharedWriters).
	growth growth
	// parts caches hosts' part rows (how depends on the WriterMode).
	parts partCache
	// insertPartsSQL is the start of a multi-row INSERT of new part
	// rows, up to VALUES (the engine supplies their ids).
	insertPartsSQL string
	// hostFactsSQL and hostSightingSQL update a host row (hostUpdateSQL).
	hostFactsSQL, hostSightingSQL string
	// Now is the clock for zero ReceivedAt and event times; tests may set it.
	Now func() time.Time
}

// New returns an engine over conn, whose database is written as writers
// says, in d's SQL; it fails where d lacks a statement writers needs.
func New(conn Conn, writers WriterMode, d Dialect) (*Engine, error) {
	if err := d.check(writers); err != nil {
		return nil, fmt.Errorf("new store engine: %w", err)
	}
	e := &Engine{conn: conn, d: d, writers: writers, Now: time.Now,
		insertPartsSQL: "INSERT INTO parts (id, host_id, " + strings.Join(partDataColumns, ", ") +
			", first_seen, arrived_at)" + d.InsertIDClause + " VALUES "}
	e.hostFactsSQL, e.hostSightingSQL = hostUpdateSQL(writers)
	return e, nil
}

var _ store.Store = (*Engine)(nil)

// Close implements store.Store.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.growth.stop()
	return e.conn.Close()
}

// growth counts the part rows an engine inserted and refreshes the
// planner's statistics in the background at each power of ten.
type growth struct {
	mu       sync.Mutex
	inserted int64
	next     int64 // 0: 1,000
	running  bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopped  bool
}

// analyzeTimeout bounds one background statistics refresh.
const analyzeTimeout = 5 * time.Minute

// parts records n inserted part rows and starts a refresh when due.
func (g *growth) parts(e *Engine, n int) {
	if n == 0 || e.writers != SharedWriters {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.next == 0 {
		g.next = 1000
	}
	g.inserted += int64(n)
	if g.inserted < g.next || g.running || g.stopped {
		return
	}
	for g.next <= g.inserted {
		g.next *= 10
	}
	ctx, cancel := context.WithTimeout(context.Background(), analyzeTimeout)
	g.running, g.cancel = true, cancel
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer cancel()
		// Best effort: autovacuum does the same later if this fails.
		_ = e.Optimize(ctx)
		g.mu.Lock()
		g.running = false
		g.mu.Unlock()
	}()
}

// stop cancels a running refresh and waits for it.
func (g *growth) stop() {
	g.mu.Lock()
	g.stopped = true
	if g.cancel != nil {
		g.cancel()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// Optimize refreshes the database's planner statistics. The database does
// this by itself over time (PostgreSQL autovacuum; SQLite on Close); call it
// after a bulk load into a young database, whose cached query plans were
// made while its tables were nearly empty.
func (e *Engine) Optimize(ctx context.Context) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if e.d.OptimizeSQL == "" {
		return nil
	}
	err := e.conn.Write(ctx, func(ctx context.Context, tx Tx) error {
		_, err := tx.Exec(ctx, e.d.OptimizeSQL)
		return err
	})
	if err != nil {
		return fmt.Errorf("optimize %s: %w", e.d.Name, err)
	}
	return nil
}

func (e *Engine) checkOpen() error {
	if e.closed.Load() {
		return store.ErrClosed
	}
	return nil
}
