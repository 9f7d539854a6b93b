package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/memledger/memledger/internal/fileutil"
)

// walSync makes commits durable outside the write lock. The writer runs
// with synchronous=NORMAL: a commit appends its frames to the WAL and
// returns without fsync, so the next transaction can start at once. Before
// anything is acknowledged, wait(n) makes sure a sync of the WAL file that
// began after commit n has completed. Syncs are shared: one in progress
// serves every commit made before it began, and waiters for later commits
// start the next one when it ends, so a sync overlaps the next batch's
// transaction instead of lengthening it.
//
// Why this is as durable as synchronous=FULL: WAL frames are appended in
// commit order and carry checksums chained from the header; after a power
// loss SQLite replays frames up to the last valid commit frame. A sync of
// the whole file after commit n therefore keeps commit n and every earlier
// one, and a later commit whose frames were lost is one nobody was told
// about. Checkpoints sync the WAL themselves before copying it into the
// database (synchronous=NORMAL does), and the first sync of a new WAL file
// also syncs its directory, as SQLite does.
//
// A failed sync is final: after it the state of the file's unsynced pages
// is unknown (Linux may drop them and clear the error), so every later
// wait and commit fails with that error until the store is reopened, which
// recovers from what the disk holds.
type walSync struct {
	path string
	// syncFile makes the WAL file's contents durable (fdatasync), and its
	// directory entry when the file is new to this syncer; tests replace it.
	syncFile func() error

	mu sync.Mutex
	// committed counts commits (noteCommit); synced is the highest one
	// known durable.
	committed, synced uint64
	// round is closed when the sync in progress ends; nil when none runs.
	round chan struct{}
	// err is the failure that ended syncing.
	err error
	// inode identifies the WAL file last synced (its directory was synced
	// when it was first seen).
	inode fileID
}

func newWALSync(dbPath string) *walSync {
	s := &walSync{path: dbPath + "-wal"}
	s.syncFile = s.syncWALFile
	return s
}

// noteCommit records a commit and returns its number. The caller holds the
// write lock, so numbers follow the order of frames in the WAL.
func (s *walSync) noteCommit() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.committed++
	return s.committed
}

// failed returns the error that ended syncing, if any.
func (s *walSync) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// wait returns once commit n is durable, or with the sync failure, or with
// ctx's error (the commit may then still become durable).
func (s *walSync) wait(ctx context.Context, n uint64) error {
	for {
		s.mu.Lock()
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return err
		}
		if s.synced >= n {
			s.mu.Unlock()
			return nil
		}
		if s.round != nil {
			// A sync is running, but it may have begun before commit n:
			// wait for it, then look again.
			round := s.round
			s.mu.Unlock()
			select {
			case <-round:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// Lead a round covering every commit made so far.
		target := s.committed
		round := make(chan struct{})
		s.round = round
		s.mu.Unlock()
		err := s.syncFile()
		s.mu.Lock()
		if err != nil {
			s.err = fmt.Errorf("sync %s: %w (commits since the last sync may be lost on power failure; reopen the store to continue)", s.path, err)
		} else if target > s.synced {
			s.synced = target
		}
		s.round = nil
		close(round)
		s.mu.Unlock()
	}
}

// syncWALFile fdatasyncs the WAL file, and its directory the first time a
// given file is met (SQLite syncs a new WAL's directory entry on its first
// sync; with synchronous=NORMAL that would wait for a checkpoint). The
// file is opened per round: SQLite may delete and recreate it.
func (s *walSync) syncWALFile() error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := fdatasync(f); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	id := fileIDOf(fi)
	if id == s.inode {
		return nil // synced before, or not told apart (not Linux)
	}
	if err := fileutil.SyncDir(filepath.Dir(s.path)); err != nil {
		return err
	}
	s.inode = id
	return nil
}
