package postgres_test

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/postgres"
	"github.com/memledger/memledger/collector/internal/store/postgres/pgtest"
	"github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func openFresh(tb testing.TB) store.Store {
	tb.Helper()
	dsn := pgtest.FreshSchema(tb, pgtest.DSN(tb))
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, openFresh)
}

func BenchmarkApplyFull(b *testing.B)      { storetest.BenchApplyFull(b, openFresh) }
func BenchmarkApplyHeartbeat(b *testing.B) { storetest.BenchApplyHeartbeat(b, openFresh) }

// TestSharedDatabase runs two stores ("collectors") on one schema: opened
// concurrently (migrations run once under the advisory lock), then applying
// reports of the same hosts concurrently, including one real-serial module
// that both collectors see appear on two hosts at once.
func TestSharedDatabase(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	const collectors = 3
	stores := make([]store.Store, collectors)
	errs := make(chan error, collectors)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := store.Open(ctx, dsn)
			stores[i] = s
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	for _, s := range stores {
		t.Cleanup(func() { s.Close() })
	}

	// Every collector sends every report of hosts h0..h3 (as if agents
	// re-sent after lost acks to different collectors): each sequence must
	// be committed exactly once.
	const hosts, seqs = 4, 6
	var mu sync.Mutex
	committed := map[string]int{}
	eachCollector(t, stores, func(c int, s store.Store) error {
		for seq := 1; seq <= seqs; seq++ {
			var batch []store.Report
			for h := 0; h < hosts; h++ {
				inv := storetest.FullHost(fmt.Sprintf("h%d", h))
				inv.MemoryModules[0].SerialNumber = fmt.Sprintf("H%d-SEQ%d", h, seq)
				// The same real-serial module appears on every host in
				// the same report round: a serial clash, each host
				// keeps its own part, none is taken from another.
				inv.MemoryModules[1].SerialNumber = "SHARED-0001"
				inv.MemoryModules[1].Locator = fmt.Sprintf("h%d-slot", h)
				batch = append(batch, storetest.Full(inv, uint64(seq), storetest.At(seq)))
			}
			if c%2 == 1 { // other lock order: must not deadlock
				for i, j := 0, len(batch)-1; i < j; i, j = i+1, j-1 {
					batch[i], batch[j] = batch[j], batch[i]
				}
			}
			out, err := s.Apply(ctx, batch)
			if err != nil {
				return fmt.Errorf("collector %d seq %d: %w", c, seq, err)
			}
			mu.Lock()
			for i, o := range out {
				if o.Status == store.Committed {
					committed[fmt.Sprintf("%s/%d", batch[i].HostID, batch[i].Sequence)]++
				}
			}
			mu.Unlock()
		}
		return nil
	})
	for key, n := range committed {
		if n != 1 {
			t.Errorf("report %s committed %d times", key, n)
		}
	}
	// Disjoint hosts per collector, all carrying one module: the host locks
	// do not serialize them, and none needs to: each host keeps its part.
	eachCollector(t, stores, func(c int, s store.Store) error {
		for seq := 1; seq <= seqs; seq++ {
			inv := storetest.FullHost(fmt.Sprintf("solo%d", c))
			inv.MemoryModules[2].SerialNumber = "SHARED-0002"
			if _, err := s.Apply(ctx, []store.Report{storetest.Full(inv, uint64(seq), storetest.At(seq))}); err != nil {
				return fmt.Errorf("collector %d seq %d: %w", c, seq, err)
			}
		}
		return nil
	})

	s := stores[0]
	if solo, err := s.Parts(ctx, store.PartFilter{}); err != nil {
		t.Fatal(err)
	} else {
		n := 0
		for _, p := range solo {
			if p.SerialNumber == "SHARED-0002" {
				n++
			}
		}
		if n != collectors {
			t.Errorf("SHARED-0002 active on %d hosts, want %d", n, collectors)
		}
	}
	active, err := s.Parts(ctx, store.PartFilter{})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, p := range active {
		if p.SerialNumber == "SHARED-0001" {
			shared++
		}
	}
	if shared != hosts {
		t.Errorf("SHARED-0001 active on %d hosts, want %d", shared, hosts)
	}
	all, err := s.Parts(ctx, store.PartFilter{Removed: store.IncludeRemoved})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range all {
		key := p.HostID + "|" + p.Identity
		if seen[key] {
			t.Errorf("part %s stored twice", key)
		}
		seen[key] = true
	}
	for h := 0; h < hosts; h++ {
		host, err := s.Host(ctx, fmt.Sprintf("h%d", h))
		if err != nil {
			t.Fatal(err)
		}
		if host.LastSequence != seqs {
			t.Errorf("host %s last sequence %d, want %d", host.ID, host.LastSequence, seqs)
		}
		enrolled, err := s.Events(ctx, store.EventFilter{HostID: host.ID, Kinds: []store.EventKind{store.EventHostEnrolled}})
		if err != nil || len(enrolled) != 1 {
			t.Errorf("host %s: %d host_enrolled events (%v), want 1", host.ID, len(enrolled), err)
		}
	}
	// Concurrent collectors, no foreign keys: the engine's rules held.
	if err := s.(interface{ CheckIntegrity(context.Context) error }).CheckIntegrity(ctx); err != nil {
		t.Error(err)
	}
}

// eachCollector runs fn for every store at once and fails t with the
// errors it returns.
func eachCollector(t *testing.T, stores []store.Store, fn func(c int, s store.Store) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(stores))
	for c, s := range stores {
		wg.Go(func() {
			if err := fn(c, s); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := false
	for err := range errs {
		t.Error(err)
		failed = true
	}
	if failed {
		t.FailNow()
	}
}

// openCollectors opens n stores ("collectors") on the schema dsn names.
func openCollectors(t *testing.T, dsn string, n int) []store.Store {
	t.Helper()
	stores := make([]store.Store, n)
	for i := range stores {
		s, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open collector %d: %v", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	return stores
}

// TestCollectorsSharingHostsKeepIntegrity feeds collectors on one schema
// different reports for the same host ids at once, as when two agents
// claim one host id or a fleet is re-pointed mid-stream: sequences from the
// collectors interleave (many reports turn out stale), received times jump
// back and forth across the host's last sighting, modules come, go and
// return, and one module roams between hosts. Whatever each collector
// commits, the ledger's cross-table rules must hold and no real identity
// may be active twice. The seeds are fixed; the interleaving is not.
func TestCollectorsSharingHostsKeepIntegrity(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	const collectors, hosts, rounds = 3, 4, 60
	stores := openCollectors(t, dsn, collectors)
	eachCollector(t, stores, func(c int, s store.Store) error {
		r := mrand.New(mrand.NewPCG(uint64(c), 7))
		for round := 1; round <= rounds; round++ {
			batch := storetest.ShuffledRound(r, hosts, round, uint64(round*collectors+c+1))
			if len(batch) == 0 {
				continue
			}
			if _, err := s.Apply(ctx, batch); err != nil {
				return fmt.Errorf("collector %d round %d: %w", c, round, err)
			}
		}
		return nil
	})
	s := stores[0]
	if err := s.(interface{ CheckIntegrity(context.Context) error }).CheckIntegrity(ctx); err != nil {
		t.Error(err)
	}
	active, err := s.Parts(ctx, store.PartFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(active) == 0 {
		t.Fatal("no active parts: the reports were not applied")
	}
	// A serial active on two hosts is a clash recorded on both: one of
	// the rules CheckIntegrity verified above.
}

// TestCachedPartsFollowOtherCollectors moves a module between two hosts
// that two collectors sharing the database each keep in their part row
// cache, and sends one host's reports to both in turn: each collector must
// see the other's writes (hosts.parts_version) and not act on the rows it
// cached before them.
func TestCachedPartsFollowOtherCollectors(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	open := func() store.Store {
		s, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	collA, collB := open(), open()
	apply := func(s store.Store, inv *memledgerv1.Inventory, seq uint64, day int) {
		t.Helper()
		out, err := s.Apply(ctx, []store.Report{storetest.Full(inv, seq, storetest.At(day))})
		if err != nil || out[0].Status != store.Committed {
			t.Fatalf("%s sequence %d: %+v, %v", inv.GetHost().GetHostId(), seq, out, err)
		}
	}
	lastID := func() int64 {
		evs, err := collA.Events(ctx, store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return 0
		}
		return evs[len(evs)-1].ID
	}
	wantKinds := func(hostID string, after int64, want ...store.EventKind) {
		t.Helper()
		evs, err := collA.Events(ctx, store.EventFilter{HostID: hostID, AfterID: after})
		if err != nil {
			t.Fatal(err)
		}
		var got []store.EventKind
		var msgs []string
		for _, ev := range evs {
			got = append(got, ev.Kind)
			msgs = append(msgs, ev.Message)
		}
		if !slices.Equal(got, want) {
			t.Errorf("events of %s: %v, want %v\n%s", hostID, got, want, strings.Join(msgs, "\n"))
		}
	}
	dimm := func(slot, serial string) *memledgerv1.MemoryModule {
		return storetest.DIMM(slot, storetest.Micron, "36ASF8G72PZ-2G3B1", serial)
	}
	onA := func(mods ...*memledgerv1.MemoryModule) *memledgerv1.Inventory {
		return storetest.Inventory("cache-a", mods, nil)
	}
	onB := func(mods ...*memledgerv1.MemoryModule) *memledgerv1.Inventory {
		return storetest.Inventory("cache-b", mods, nil)
	}
	travellerA, travellerB, stay := dimm("A1", "TRAV0001"), dimm("B4", "TRAV0001"), dimm("A2", "STAY0001")

	// Both collectors cache their host's rows.
	apply(collA, onA(travellerA, stay), 1, 0)
	apply(collB, onB(dimm("B1", "BEE00001")), 1, 0)
	apply(collB, onB(dimm("B1", "BEE00001"), dimm("B2", "BEE00002")), 2, 1)

	// B sees the module A still lists: a clash, recorded on both; A's
	// rows stay as A's collector cached them.
	before := lastID()
	apply(collB, onB(dimm("B1", "BEE00001"), dimm("B2", "BEE00002"), travellerB), 3, 2)
	wantKinds("cache-a", before, store.EventSerialClash)
	wantKinds("cache-b", before, store.EventSerialClash)

	// A's next report no longer lists it: it moved to B, once.
	before = lastID()
	apply(collA, onA(stay), 2, 3)
	wantKinds("cache-a", before, store.EventPartMoved)
	wantKinds("cache-b", before, store.EventPartMoved)

	// It comes back to A while B lists it: A reopens its old row, a clash.
	before = lastID()
	apply(collA, onA(travellerA, stay), 3, 4)
	wantKinds("cache-a", before, store.EventSerialClash)
	wantKinds("cache-b", before, store.EventSerialClash)

	// B's next report no longer lists it: moved back to A.
	before = lastID()
	apply(collB, onB(dimm("B1", "BEE00001"), dimm("B2", "BEE00002")), 4, 5)
	wantKinds("cache-b", before, store.EventPartMoved)
	wantKinds("cache-a", before, store.EventPartMoved)

	// A host whose agent reports to one collector, then the other (a
	// reconnect behind a load balancer): each must see the other's writes.
	onC := func(mods ...*memledgerv1.MemoryModule) *memledgerv1.Inventory {
		return storetest.Inventory("cache-c", mods, nil)
	}
	apply(collA, onC(dimm("C1", "SEE00001")), 1, 0)
	before = lastID()
	apply(collB, onC(dimm("C1", "SEE00001"), dimm("C2", "SEE00002")), 2, 1)
	wantKinds("cache-c", before, store.EventPartAdded)
	before = lastID()
	apply(collA, onC(dimm("C1", "SEE00001")), 3, 2)
	wantKinds("cache-c", before, store.EventPartRemoved)
	before = lastID()
	apply(collB, onC(dimm("C1", "SEE00001"), dimm("C2", "SEE00002")), 4, 3)
	wantKinds("cache-c", before, store.EventPartReturned)

	for _, c := range []struct {
		host   string
		active []string
	}{
		{"cache-a", []string{"STAY0001", "TRAV0001"}},
		{"cache-b", []string{"BEE00001", "BEE00002"}},
		{"cache-c", []string{"SEE00001", "SEE00002"}},
	} {
		parts, err := collB.Parts(ctx, store.PartFilter{HostIDs: []string{c.host}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range parts {
			got = append(got, p.SerialNumber)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.active) {
			t.Errorf("%s active parts %v, want %v", c.host, got, c.active)
		}
	}
	if err := collA.(interface{ CheckIntegrity(context.Context) error }).CheckIntegrity(ctx); err != nil {
		t.Error(err)
	}
}

// TestSchemaNameNeedsQuoting runs a ledger in a schema whose name needs
// quoting as an identifier and as a literal: the engine names the parts id
// sequence in its SQL.
func TestSchemaNameNeedsQuoting(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	const schema = `Memledger "Odd' Schema`
	ident := pgx.Identifier{schema}.Sanitize()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", ident, err)
		}
		admin.Close(context.Background())
	})
	if _, err := admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+ident+" CASCADE; CREATE SCHEMA "+ident); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", ident)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx does not read + as a space
	s, err := store.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	out, err := s.Apply(ctx, []store.Report{storetest.Full(storetest.FullHost("odd"), 1, storetest.At(0))})
	if err != nil || out[0].Status != store.Committed {
		t.Fatalf("apply: %+v, %v", out, err)
	}
	parts, err := s.Parts(ctx, store.PartFilter{})
	if err != nil || len(parts) != 20 {
		t.Fatalf("%d parts, %v; want 20", len(parts), err)
	}
	var inSchema int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM "+ident+".parts").Scan(&inSchema); err != nil || inSchema != 20 {
		t.Errorf("%d part rows in %s (%v), want 20", inSchema, ident, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	if _, err := store.Open(ctx, "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("open of an unreachable server: %v", err)
	}
	if _, err := store.Open(ctx, "postgres://x:y@[bad"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("open of a malformed dsn: %v", err)
	}
	_ = dsn
}

// Without foreign keys (migration 0004), CheckIntegrity is what finds rows
// that name a missing host or part; the conformance suite runs it after
// every case. Here rows written behind the engine's back break each rule.
func TestCheckIntegrityFindsBrokenRows(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	checker := s.(interface{ CheckIntegrity(context.Context) error })
	if _, err := s.Apply(ctx, []store.Report{storetest.Full(storetest.FullHost("h1"), 1, storetest.At(1))}); err != nil {
		t.Fatal(err)
	}
	if err := checker.CheckIntegrity(ctx); err != nil {
		t.Fatalf("CheckIntegrity of a ledger written by the engine: %v", err)
	}
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{
		`INSERT INTO events (at, host_id, kind, message, details) VALUES (now(), 'ghost', 'x', '', '{}')`,
		`INSERT INTO events (at, host_id, part_id, kind, message, details) VALUES (now(), 'h1', 999999, 'x', '', '{}')`,
		`INSERT INTO part_presence (part_id, host_id, since_at) VALUES (999999, 'h1', now())`,
		`UPDATE parts SET removed_at = now() WHERE id = (SELECT min(id) FROM parts)`,
		`INSERT INTO part_presence (part_id, host_id, since_at, until_at)
 SELECT id, host_id, arrived_at - interval '1 day', arrived_at + interval '1 hour' FROM parts WHERE id = (SELECT max(id) FROM parts)`,
		`INSERT INTO part_presence (part_id, host_id, since_at, until_at)
 SELECT id, host_id, arrived_at - interval '2 days', arrived_at - interval '12 hours' FROM parts WHERE id = (SELECT max(id) FROM parts)`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	err = checker.CheckIntegrity(ctx)
	if err == nil {
		t.Fatal("CheckIntegrity found nothing")
	}
	for _, want := range []string{
		"every event is on an existing host: 1 rows",
		"every event's part exists, on the event's host: 1 rows",
		"every presence interval is of an existing part, on the part's host: 1 rows",
		"every presence interval is closed and ends after it starts",
		"a removed part has a presence interval that ends at its removal: 1 rows",
		"a present part's current stay overlaps none of its closed ones: 1 rows",
		"a part's closed stays do not overlap: 1 rows",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckIntegrity error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "every part is on an existing host") {
		t.Errorf("CheckIntegrity blames parts' hosts, which are intact:\n%v", err)
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
		`CREATE UNIQUE INDEX parts_active_real_identity ON parts (identity) WHERE removed_at IS NULL AND real_serial`,
		`DELETE FROM schema_migrations WHERE version >= 7`,
	}, storetest.WriteLegacyMerge))
}

// A ledger written by the release before maker-free identities, with a
// module whose maker an agent upgrade re-identified recorded as removed
// and added, is migrated on open: one part again, its first-seen time
// restored, nothing deleted, check passing
// (storetest.CheckMakerKeysMigrated).
func TestMigrationRekeysWithoutMaker(t *testing.T) {
	storetest.CheckMakerKeysMigrated(t, openLegacy(t, storetest.MakerKeyedHosts(), []string{
		`DELETE FROM schema_migrations WHERE version >= 9`,
	}, storetest.WriteLegacyMakerKeys))
}

// A ledger written by the release before one-form identities, with a
// module and a drive recorded as removed and added when their source
// wrote the serial or model in another form, is migrated on open: one
// part each again, first-seen times restored, nothing deleted, the
// migration idempotent (storetest.CheckFormsMigrated).
func TestMigrationRekeysOneForm(t *testing.T) {
	s, rerun := openLegacyRerun(t, storetest.OneFormHosts(), []string{
		`DELETE FROM schema_migrations WHERE version >= 12`,
	}, storetest.WriteLegacyForms)
	storetest.CheckFormsMigrated(t, s, rerun)
}

// A ledger written by the release before unread times, whose host's last
// report left its memory unread, is migrated on open: the time is unknown
// (zero) until the host's next full report, which sets it even when it
// repeats the inventory (storetest.CheckUnreadSinceMigrated).
func TestMigrationUnreadSince(t *testing.T) {
	storetest.CheckUnreadSinceMigrated(t, openLegacy(t, storetest.UnreadSinceHosts(), []string{
		`DELETE FROM schema_migrations WHERE version >= 13`,
		`ALTER TABLE hosts DROP COLUMN memory_unread_since, DROP COLUMN storage_unread_since`,
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
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.Apply(ctx, hosts); err != nil || len(out) != len(hosts) || slices.ContainsFunc(out, func(o store.Outcome) bool { return o.Status != store.Committed }) {
		t.Fatalf("enroll the legacy hosts: %v %+v", err, out)
	}
	s.Close()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	exec := func(q string, args ...any) error { _, err := c.Exec(ctx, q, args...); return err }
	for _, q := range undo {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	write(t, storetest.LegacyWriter{
		Exec:           exec,
		Time:           func(t time.Time) any { return t },
		Bool:           func(b bool) any { return b },
		InsertIDClause: " OVERRIDING SYSTEM VALUE",
	})
	s, err = store.Open(ctx, dsn)
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
		if s, err = store.Open(ctx, dsn); err != nil {
			t.Fatalf("reopen the legacy ledger: %v", err)
		}
		return s
	}
	return s, rerun
}

// TestCollectorsMovingPartsNoFailedBatch runs three collectors, two
// writers each, on one schema while 32 hosts pass their modules round:
// in round r host h lists block (h+r) mod 32 of four real-serial modules,
// so every round each block moves from one host to the next one down.
// A round's reports are spread at random over the writers, which apply
// them at once in batches of up to eight: each batch locks hosts, and the
// serials moving in and out of them, that other collectors' batches are
// moving too. No batch may fail (a deadlock or unique violation the store
// did not retry away) and the ledger must end where the last round left
// it, each serial active on exactly one host.
func TestCollectorsMovingPartsNoFailedBatch(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	const collectors, writers, hosts, perBlock, rounds, batchMax = 3, 2, 32, 4, 12, 8
	stores := make([]store.Store, collectors)
	retried := make([]func() map[string]int64, collectors)
	for i := range stores {
		s, counts, err := postgres.OpenCountingRetries(ctx, dsn)
		if err != nil {
			t.Fatalf("open collector %d: %v", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i], retried[i] = s, counts
	}
	host := func(h int) string { return fmt.Sprintf("mover%02d", h) }
	block := func(h, round int) []*memledgerv1.MemoryModule {
		b := (h + round) % hosts
		mods := make([]*memledgerv1.MemoryModule, perBlock)
		for k := range mods {
			mods[k] = storetest.DIMM(fmt.Sprintf("A%d", k), storetest.Micron, "36ASF8G72PZ-2G3B1", fmt.Sprintf("MOVE%02d%02d", b, k))
		}
		return mods
	}
	r := mrand.New(mrand.NewPCG(17, 3))
	statuses := map[store.Status]int{}
	for round := 1; round <= rounds; round++ {
		at := storetest.T0.Add(time.Duration(round) * time.Minute)
		queues := make([][]store.Report, collectors*writers)
		for _, h := range r.Perm(hosts) {
			w := r.IntN(len(queues))
			queues[w] = append(queues[w], storetest.Full(storetest.Inventory(host(h), block(h, round), nil), uint64(round), at))
		}
		var batches [][][]store.Report
		for _, q := range queues {
			var bs [][]store.Report
			for len(q) > 0 {
				n := min(len(q), 1+r.IntN(batchMax))
				bs, q = append(bs, q[:n]), q[n:]
			}
			batches = append(batches, bs)
		}
		outs := make([][][]store.Outcome, len(batches))
		var wg sync.WaitGroup
		errs := make(chan error, len(batches))
		for w := range batches {
			s := stores[w%collectors]
			wg.Go(func() {
				for _, b := range batches[w] {
					out, err := s.Apply(ctx, b)
					if err != nil {
						errs <- fmt.Errorf("round %d, writer %d (collector %d): batch of %d failed: %w", round, w, w%collectors, len(b), err)
						return
					}
					outs[w] = append(outs[w], out)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
		for _, ws := range outs {
			for _, out := range ws {
				for _, o := range out {
					statuses[o.Status]++
				}
			}
		}
	}
	// Retries hide a lock order broken (each deadlock costs PostgreSQL's
	// deadlock_timeout, 1 s by default, and a retry), so none may happen:
	// every batch locks host rows, then serials, each in sorted order.
	for c, counts := range retried {
		if n := counts(); len(n) > 0 {
			t.Errorf("collector %d retried transactions, by SQLSTATE: %v (40P01: a deadlock)", c, n)
		}
	}
	if want := (map[store.Status]int{store.Committed: hosts * rounds}); fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", statuses, want)
	}
	if err := stores[0].(interface{ CheckIntegrity(context.Context) error }).CheckIntegrity(ctx); err != nil {
		t.Error(err)
	}
	// Each host holds the block of the last round, and nothing else.
	for h := range hosts {
		want := storetest.Serials(storetest.Inventory(host(h), block(h, rounds), nil))
		if got := storetest.ActiveSerials(t, stores[1], host(h)); !slices.Equal(got, want) {
			t.Errorf("%s holds %v, want %v", host(h), got, want)
		}
	}
	active, err := stores[2].Parts(ctx, store.PartFilter{})
	if err != nil {
		t.Fatal(err)
	}
	holder := map[string]string{}
	for _, p := range active {
		if prev, dup := holder[p.SerialNumber]; dup {
			t.Errorf("serial %s active on %s and %s", p.SerialNumber, prev, p.HostID)
		}
		holder[p.SerialNumber] = p.HostID
	}
	if len(holder) != hosts*perBlock {
		t.Errorf("%d serials active, want %d", len(holder), hosts*perBlock)
	}
	// Every move was seen as one.
	moved, err := stores[0].Events(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventPartMoved}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d part_moved events", len(moved))
}
