package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/sqlite"
	"github.com/memledger/memledger/collector/internal/store/storetest"
)

func openTemp(tb testing.TB) store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "ledger.db"))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openTemp)
}

func BenchmarkApplyFull(b *testing.B)      { storetest.BenchApplyFull(b, openTemp) }
func BenchmarkApplyHeartbeat(b *testing.B) { storetest.BenchApplyHeartbeat(b, openTemp) }

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn     string
		want    sqlite.Options
		wantErr string
	}{
		{dsn: "sqlite:/var/lib/memledger/ledger.db", want: sqlite.Options{Path: "/var/lib/memledger/ledger.db", Synchronous: "full", BusyTimeout: 10 * time.Second, Readers: 4}},
		{dsn: "sqlite:///abs/x.db", want: sqlite.Options{Path: "/abs/x.db", Synchronous: "full", BusyTimeout: 10 * time.Second, Readers: 4}},
		{dsn: "sqlite:rel.db?synchronous=NORMAL&busy_timeout=250&readers=2", want: sqlite.Options{Path: "rel.db", Synchronous: "normal", BusyTimeout: 250 * time.Millisecond, Readers: 2}},
		{dsn: "ledger.db", wantErr: "want sqlite:PATH"},
		{dsn: "sqlite:", wantErr: "empty path"},
		{dsn: "sqlite::memory:", wantErr: "in-memory"},
		{dsn: "sqlite:file::memory:?cache=shared", wantErr: "in-memory"},
		{dsn: "sqlite:/tmp/x.db?mode=memory", wantErr: "unknown option"},
		{dsn: "sqlite:x.db?synchronous=off", wantErr: "synchronous"},
		{dsn: "sqlite:x.db?busy_timeout=-1", wantErr: "busy_timeout"},
		{dsn: "sqlite:x.db?readers=0", wantErr: "readers"},
		{dsn: "sqlite:x.db?_pragma=journal_mode(DELETE)", wantErr: "unknown option"},
		{dsn: "sqlite:x#y.db", wantErr: "'#'"},
		{dsn: "sqlite:file:/x.db", wantErr: "file: URI"},
		{dsn: "sqlite:x.db?%zz", wantErr: "options"},
	}
	for _, tc := range tests {
		got, err := sqlite.ParseDSN(tc.dsn)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, store.ErrInvalid) {
				t.Errorf("ParseDSN(%q) error %v, want one containing %q wrapping ErrInvalid", tc.dsn, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseDSN(%q) = %+v, %v; want %+v", tc.dsn, got, err, tc.want)
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"sqlite:/x.db", "sqlite:x.db?synchronous=normal", "sqlite:///a", "sqlite::memory:", "sqlite:x?%", "postgres://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		o, err := sqlite.ParseDSN(dsn)
		if err != nil {
			return
		}
		if o.Path == "" || (o.Synchronous != "full" && o.Synchronous != "normal") || o.Readers < 1 {
			t.Fatalf("ParseDSN(%q) accepted %+v", dsn, o)
		}
	})
}

// TestReopen checks that the ledger survives a restart and that migrations
// run once.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	inv := storetest.FullHost("persist")
	if _, err := s.Apply(ctx, []store.Report{storetest.Full(inv, 7, storetest.At(0))}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(ctx, "sqlite:"+path+"?synchronous=normal")
	if err != nil {
		t.Fatal(err)
	}
	host, err := s.Host(ctx, "persist")
	if err != nil || host.LastSequence != 7 || host.ActiveParts != 20 {
		t.Fatalf("after reopen: %+v, %v", host, err)
	}
	out, err := s.Apply(ctx, []store.Report{storetest.Heartbeat("persist", 8, storetest.At(1), storetest.Digest(t, inv))})
	if err != nil || out[0].Status != store.Committed {
		t.Fatalf("heartbeat after reopen: %+v, %v", out, err)
	}
	s.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	// One row per migration file, once.
	files, err := fs.Glob(os.DirFS("migrations"), "*.sql")
	if err != nil || len(files) < 5 {
		t.Fatalf("migration files %v, %v", files, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("schema_migrations rows %d, %v; want %d", n, err, len(files))
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v; want wal", mode, err)
	}
	// A database migrated by a newer collector is refused.
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(ctx, "sqlite:"+path); err == nil || !strings.Contains(err.Error(), "999") {
		t.Errorf("open of a newer schema: %v", err)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	_, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "no", "such", "ledger.db"))
	if err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("open in a missing directory: %v", err)
	}
}

// TestOddPath: a path with spaces and '%' is used verbatim.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir %20 with 100%")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "led ger.db")
	s, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
}

// TestSymlinkedDatabase: SQLite keeps the WAL beside the link's target, and
// that is the file synced before a report is acknowledged.
func TestSymlinkedDatabase(t *testing.T) {
	ctx := context.Background()
	real, links := t.TempDir(), t.TempDir()
	link := filepath.Join(links, "ledger.db")
	if err := os.Symlink(filepath.Join(real, "ledger.db"), link); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, "sqlite:"+link)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Apply(ctx, []store.Report{storetest.Full(storetest.FullHost("linked"), 1, storetest.At(0))})
	if err != nil || out[0].Status != store.Committed {
		t.Fatalf("apply through a symbolic link: %+v, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(real, "ledger.db-wal")); err != nil {
		t.Errorf("WAL not beside the target: %v", err)
	}
}

// TestFailedWALSyncStopsWrites: when the WAL cannot be synced after a
// commit (here its file was removed behind SQLite's back), the batch is not
// acknowledged, and nothing more is written until the store is reopened:
// later commits would build on one that may not be on disk.
func TestFailedWALSyncStopsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inv := storetest.FullHost("h1")
	if _, err := s.Apply(ctx, []store.Report{storetest.Full(inv, 1, storetest.At(0))}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + "-wal"); err != nil {
		t.Fatal(err)
	}
	hb := storetest.Heartbeat("h1", 2, storetest.At(1), storetest.Digest(t, inv))
	if out, err := s.Apply(ctx, []store.Report{hb}); err == nil || !strings.Contains(err.Error(), "ledger.db-wal") {
		t.Fatalf("apply with an unsyncable WAL: %+v, %v; want an error naming the WAL", out, err)
	}
	hb2 := storetest.Heartbeat("h1", 3, storetest.At(2), storetest.Digest(t, inv))
	if out, err := s.Apply(ctx, []store.Report{hb2}); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("apply after a failed sync: %+v, %v; want the sync failure", out, err)
	}
	if err := s.SetLabels(ctx, "h1", map[string]string{"site": "x"}, nil); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Errorf("label write after a failed sync: %v; want the sync failure", err)
	}
}

// TestPresenceMigration: migration 0004 drops the open presence rows that
// earlier versions kept for present parts (their current stay is now
// parts.arrived_at on) and leaves any other open row for check to report;
// what the ledger says was where, and when, does not change.
func TestPresenceMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	inv := storetest.FullHost("mig")
	reps := []store.Report{storetest.Full(inv, 1, storetest.At(0))}
	for day := 1; day <= 3; day++ {
		next := storetest.FullHost("mig")
		next.MemoryModules[0].SerialNumber = fmt.Sprintf("SWAP%04d", day)
		reps = append(reps, storetest.Full(next, uint64(day+1), storetest.At(day*2)))
	}
	for _, r := range reps {
		if _, err := s.Apply(ctx, []store.Report{r}); err != nil {
			t.Fatal(err)
		}
	}
	asOf := func(s store.Store) map[int][]string {
		out := map[int][]string{}
		for day := 0; day <= 7; day++ {
			parts, err := s.Parts(ctx, store.PartFilter{AsOf: storetest.At(day)})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range parts {
				out[day] = append(out[day], p.SerialNumber)
			}
			sort.Strings(out[day])
		}
		return out
	}
	want := asOf(s)
	s.Close()

	// The rows an earlier version kept, one of them not derivable, and
	// the migration undone.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`INSERT INTO part_presence (part_id, host_id, since_at, until_at)
 SELECT id, host_id, arrived_at, NULL FROM parts WHERE removed_at IS NULL`,
		`INSERT INTO part_presence (part_id, host_id, since_at, until_at)
 SELECT id, host_id, arrived_at - 1, NULL FROM parts WHERE id = (SELECT min(id) FROM parts WHERE removed_at IS NULL)`,
		`DELETE FROM schema_migrations WHERE version = 4`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s, err = store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var open int
	if err := db.QueryRow(`SELECT count(*) FROM part_presence WHERE until_at IS NULL`).Scan(&open); err != nil || open != 1 {
		t.Errorf("open presence rows after the migration: %d, %v; want the one not derivable", open, err)
	}
	if got := asOf(s); !reflect.DeepEqual(got, want) {
		t.Errorf("parts as of each day changed:\n got %v\nwant %v", got, want)
	}
	err = s.(interface{ CheckIntegrity(context.Context) error }).CheckIntegrity(ctx)
	if err == nil || !strings.Contains(err.Error(), "every presence interval is closed and ends after it starts") {
		t.Errorf("check after the migration: %v; want the open row reported", err)
	}
}

// A ledger written by the release before serial clashes, with a module
// whose placeholder serial ("Undefined") it took for real merged across
// two hosts, is migrated on open: split back into one part per host, each
// correction an event, check passing (storetest.CheckLegacyMergeMigrated).
func TestMigrationSplitsPlaceholderMerges(t *testing.T) {
	// The schema of that release: its unique index back, the migrations
	// since not applied.
	storetest.CheckLegacyMergeMigrated(t, openLegacy(t, storetest.LegacyHosts(), []string{
		`CREATE UNIQUE INDEX parts_active_real_identity ON parts (identity) WHERE removed_at IS NULL AND real_serial = 1`,
		`DELETE FROM schema_migrations WHERE version >= 5`,
		dropUnreadIndex, dropMemoryUnread, dropStorageUnread,
	}, storetest.WriteLegacyMerge))
}

// A ledger written by the release before maker-free identities, with a
// module whose maker an agent upgrade re-identified recorded as removed
// and added, is migrated on open: one part again, its first-seen time
// restored, nothing deleted, check passing
// (storetest.CheckMakerKeysMigrated).
func TestMigrationRekeysWithoutMaker(t *testing.T) {
	storetest.CheckMakerKeysMigrated(t, openLegacy(t, storetest.MakerKeyedHosts(), []string{
		`DELETE FROM schema_migrations WHERE version >= 7`,
		dropUnreadIndex, dropMemoryUnread, dropStorageUnread,
	}, storetest.WriteLegacyMakerKeys))
}

// A ledger written by the release before one-form identities, with a
// module and a drive recorded as removed and added when their source
// wrote the serial or model in another form, is migrated on open: one
// part each again, first-seen times restored, nothing deleted, the
// migration idempotent (storetest.CheckFormsMigrated).
func TestMigrationRekeysOneForm(t *testing.T) {
	s, rerun := openLegacyRerun(t, storetest.OneFormHosts(), []string{
		`DELETE FROM schema_migrations WHERE version >= 10`,
		dropUnreadIndex, dropMemoryUnread, dropStorageUnread,
	}, storetest.WriteLegacyForms)
	storetest.CheckFormsMigrated(t, s, rerun)
}

// dropMemoryUnread and dropStorageUnread take back migration 0011 (SQLite
// has no ADD COLUMN IF NOT EXISTS), for tests that replay it, after
// dropUnreadIndex takes back 0012's index on the columns (SQLite drops no
// indexed column).
const (
	dropUnreadIndex   = `DROP INDEX IF EXISTS hosts_unread`
	dropMemoryUnread  = `ALTER TABLE hosts DROP COLUMN memory_unread_since`
	dropStorageUnread = `ALTER TABLE hosts DROP COLUMN storage_unread_since`
)

// A ledger written by the release before unread times, whose host's last
// report left its memory unread, is migrated on open: the time is unknown
// (zero) until the host's next full report, which sets it even when it
// repeats the inventory (storetest.CheckUnreadSinceMigrated).
func TestMigrationUnreadSince(t *testing.T) {
	storetest.CheckUnreadSinceMigrated(t, openLegacy(t, storetest.UnreadSinceHosts(), []string{
		`DELETE FROM schema_migrations WHERE version >= 11`,
		dropUnreadIndex, dropMemoryUnread, dropStorageUnread,
	}, func(testing.TB, storetest.LegacyWriter) {}))
}

// openLegacy makes a ledger as an older release wrote it: hosts enrolled
// by the current code, then the schema taken back by undo and rows written
// behind the store's back by write; it returns the store opened (and so
// migrated) on it.
func openLegacy(t *testing.T, hosts []store.Report, undo []string, write func(testing.TB, storetest.LegacyWriter)) store.Store {
	s, _ := openLegacyRerun(t, hosts, undo, write)
	return s
}

// openLegacyRerun is openLegacy, and returns too a function that closes
// the store, runs undo again and reopens it (so runs the migrations undo
// took back once more).
func openLegacyRerun(t *testing.T, hosts []store.Report, undo []string, write func(testing.TB, storetest.LegacyWriter)) (store.Store, func() store.Store) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.Apply(ctx, hosts); err != nil || len(out) != len(hosts) || slices.ContainsFunc(out, func(o store.Outcome) bool { return o.Status != store.Committed }) {
		t.Fatalf("enroll the legacy hosts: %v %+v", err, out)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	exec := func(q string, args ...any) error { _, err := db.Exec(q, args...); return err }
	for _, q := range undo {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	write(t, storetest.LegacyWriter{
		Exec: exec,
		Time: func(t time.Time) any { return t.UnixMicro() },
		Bool: func(b bool) any {
			if b {
				return 1
			}
			return 0
		},
	})
	s, err = store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatalf("open the legacy ledger: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	rerun := func() store.Store {
		s.Close()
		for _, q := range undo {
			if err := exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if s, err = store.Open(ctx, "sqlite:"+path); err != nil {
			t.Fatalf("reopen the legacy ledger: %v", err)
		}
		return s
	}
	return s, rerun
}
