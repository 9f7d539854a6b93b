package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store/internal/engine"
)

// blockingSync replaces s.syncFile with one that counts its calls, reports
// each start on started and returns only when release yields a result.
func blockingSync(s *walSync) (calls *atomic.Int32, started chan struct{}, release chan error) {
	calls = new(atomic.Int32)
	started = make(chan struct{}, 16)
	release = make(chan error)
	s.syncFile = func() error {
		calls.Add(1)
		started <- struct{}{}
		return <-release
	}
	return calls, started, release
}

func waitAsync(s *walSync, ctx context.Context, n uint64) chan error {
	done := make(chan error, 1)
	go func() { done <- s.wait(ctx, n) }()
	return done
}

func pending(t *testing.T, done chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s returned (%v) before its sync", what, err)
	case <-time.After(20 * time.Millisecond):
	}
}

// began waits for a sync to start.
func began(t *testing.T, started chan struct{}) {
	t.Helper()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("no sync started")
	}
}

func result(t *testing.T, done chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// TestWALSyncSharesRounds: a sync that began before a commit does not
// count for it, and one sync serves every commit made before it began.
func TestWALSyncSharesRounds(t *testing.T) {
	ctx := context.Background()
	s := newWALSync(filepath.Join(t.TempDir(), "x.db"))
	calls, started, release := blockingSync(s)

	first := waitAsync(s, ctx, s.noteCommit())
	began(t, started) // round 1 covers commit 1 only
	n2, n3 := s.noteCommit(), s.noteCommit()
	second, third := waitAsync(s, ctx, n2), waitAsync(s, ctx, n3)
	pending(t, second, "wait for commit 2")
	release <- nil
	if err := result(t, first, "wait for commit 1"); err != nil {
		t.Fatal(err)
	}
	pending(t, second, "wait for commit 2 (round 1 began before it)")
	began(t, started) // round 2, led by one of the two waiters, covers both
	release <- nil
	if err := result(t, second, "wait for commit 2"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, third, "wait for commit 3"); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("%d syncs for three commits in two rounds, want 2", got)
	}
	// A commit already covered needs no sync.
	if err := s.wait(ctx, n2); err != nil || calls.Load() != 2 {
		t.Errorf("wait for a synced commit: %v, %d syncs", err, calls.Load())
	}
}

// TestWALSyncFailureIsFinal: after a failed sync every wait fails, with the
// file named, including waits for commits the failed round did not cover.
func TestWALSyncFailureIsFinal(t *testing.T) {
	ctx := context.Background()
	s := newWALSync(filepath.Join(t.TempDir(), "x.db"))
	calls, started, release := blockingSync(s)
	first := waitAsync(s, ctx, s.noteCommit())
	began(t, started)
	later := waitAsync(s, ctx, s.noteCommit())
	eio := errors.New("input/output error")
	release <- eio
	for _, done := range []chan error{first, later} {
		err := result(t, done, "wait")
		if !errors.Is(err, eio) || !strings.Contains(err.Error(), s.path) {
			t.Errorf("wait after a failed sync: %v; want the error, naming %s", err, s.path)
		}
	}
	if err := s.failed(); !errors.Is(err, eio) {
		t.Errorf("failed() = %v", err)
	}
	if err := s.wait(ctx, s.noteCommit()); !errors.Is(err, eio) || calls.Load() != 1 {
		t.Errorf("wait after the failure: %v after %d syncs; want the failure, no new sync", err, calls.Load())
	}
}

// TestWALSyncWaitHonoursContext: a waiter behind a running sync gives up
// when its context ends; the sync goes on for the others.
func TestWALSyncWaitHonoursContext(t *testing.T) {
	s := newWALSync(filepath.Join(t.TempDir(), "x.db"))
	_, started, release := blockingSync(s)
	leader := waitAsync(s, context.Background(), s.noteCommit())
	began(t, started)
	ctx, cancel := context.WithCancel(context.Background())
	follower := waitAsync(s, ctx, 1)
	pending(t, follower, "follower")
	cancel()
	if err := result(t, follower, "follower"); !errors.Is(err, context.Canceled) {
		t.Errorf("follower: %v, want context.Canceled", err)
	}
	release <- nil
	if err := result(t, leader, "leader"); err != nil {
		t.Errorf("leader: %v", err)
	}
}

// TestSyncWALFile syncs a real file, remembers it (its directory is synced
// once) and notices when it is replaced by a new file.
func TestSyncWALFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	s := newWALSync(db)
	if err := s.syncFile(); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sync of a missing WAL: %v, want not-exist", err)
	}
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.syncFile(); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	first := s.inode
	if first == (fileID{}) {
		t.Fatal("the synced file was not remembered")
	}
	// Moved aside rather than removed, so that its inode is not reused.
	if err := os.Rename(db+"-wal", db+"-wal.old"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+"-wal", []byte("new frames"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.syncFile(); err != nil {
		t.Fatal(err)
	}
	if s.inode == first {
		t.Error("a recreated WAL file was taken for the one synced before")
	}
}

// TestConnStopsAfterFailedSync: the commit whose sync failed is reported
// failed, and no later transaction runs at all until the store is
// reopened; reads go on.
func TestConnStopsAfterFailedSync(t *testing.T) {
	ctx := context.Background()
	c, err := openConn(ctx, Options{Path: filepath.Join(t.TempDir(), "x.db"), Synchronous: "full", BusyTimeout: time.Second, Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	insert := func(v int) func(context.Context, engine.Tx) error {
		return func(ctx context.Context, tx engine.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO t (v) VALUES ($1)`, v)
			return err
		}
	}
	if err := c.Write(ctx, func(ctx context.Context, tx engine.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE t (v INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	real := c.wal.syncFile
	var syncs atomic.Int32
	c.wal.syncFile = func() error { syncs.Add(1); return real() }
	if err := c.Write(ctx, insert(1)); err != nil || syncs.Load() != 1 {
		t.Fatalf("write: %v after %d syncs; want one sync", err, syncs.Load())
	}
	eio := errors.New("input/output error")
	c.wal.syncFile = func() error { return eio }
	if err := c.Write(ctx, insert(2)); !errors.Is(err, eio) {
		t.Fatalf("write with a failing sync: %v", err)
	}
	ran := false
	if err := c.Write(ctx, func(ctx context.Context, tx engine.Tx) error { ran = true; return nil }); !errors.Is(err, eio) || ran {
		t.Errorf("write after a failed sync: %v (transaction ran: %v); want the failure and no transaction", err, ran)
	}
	n, err := scanCount(ctx, c)
	if err != nil || n != 2 {
		t.Errorf("rows after the failure: %d, %v; want 2 (the unacknowledged commit is there, nothing after it)", n, err)
	}
}

func scanCount(ctx context.Context, c *conn) (int64, error) {
	rows, err := c.Reader().Query(ctx, `SELECT count(*) FROM t`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		return 0, rows.Err()
	}
	err = rows.Scan(&n)
	return n, err
}
