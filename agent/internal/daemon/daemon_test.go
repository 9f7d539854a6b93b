package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/agent/internal/spool"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/syncbuf"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// fakeCollector keeps what a ledger keeps for exactly-once checks: per host
// the last sequence committed and the digest of the last full inventory;
// it answers like the real collector (COMMITTED, DUPLICATE for a sequence
// not above the last, NEED_FULL for a heartbeat with an unknown digest).
type fakeCollector struct {
	memledgerv1.UnimplementedIngestServiceServer
	mu        sync.Mutex
	last      map[string]uint64
	digest    map[string]string
	committed map[uint64]int // sequence -> times committed
	kinds     []string       // "full"/"hb" per committed report, in order
	acks      []memledgerv1.AckStatus
	// onRecv, when set, runs for each report received before it is acked.
	onRecv func(*memledgerv1.ReportRequest)
	// reject, when set, says which reports end the stream with
	// InvalidArgument, as the collector does with a malformed one.
	reject func(*memledgerv1.ReportRequest) bool
	// refuse, when set, may end the stream with the status it returns.
	refuse func(*memledgerv1.ReportRequest) error
	// streams is the number of Report streams open now.
	streams atomic.Int64
}

func newFake() *fakeCollector {
	return &fakeCollector{last: map[string]uint64{}, digest: map[string]string{}, committed: map[uint64]int{}}
}

func (f *fakeCollector) Report(stream grpc.BidiStreamingServer[memledgerv1.ReportRequest, memledgerv1.ReportResponse]) error {
	f.streams.Add(1)
	defer f.streams.Add(-1)
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if f.onRecv != nil {
			f.onRecv(req)
		}
		if f.refuse != nil {
			if err := f.refuse(req); err != nil {
				return err
			}
		}
		if f.reject != nil && f.reject(req) {
			return status.Errorf(codes.InvalidArgument, "report %d: part_number: 2000 bytes, want at most 64", req.GetSequence())
		}
		st := f.commit(req)
		if err := stream.Send(&memledgerv1.ReportResponse{Sequence: req.GetSequence(), Status: st}); err != nil {
			return err
		}
	}
}

func (f *fakeCollector) commit(req *memledgerv1.ReportRequest) memledgerv1.AckStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := memledgerv1.AckStatus_ACK_STATUS_COMMITTED
	h := req.GetHostId()
	switch {
	case req.GetSequence() <= f.last[h]:
		st = memledgerv1.AckStatus_ACK_STATUS_DUPLICATE
	case req.GetInventory() != nil:
		d, _ := inventory.Digest(req.GetInventory())
		f.digest[h] = d
		f.kinds = append(f.kinds, "full")
	default:
		if req.GetHeartbeat().GetInventoryDigest() != f.digest[h] {
			st = memledgerv1.AckStatus_ACK_STATUS_NEED_FULL
		}
		f.kinds = append(f.kinds, "hb")
	}
	if st != memledgerv1.AckStatus_ACK_STATUS_DUPLICATE {
		f.last[h] = req.GetSequence()
		f.committed[req.GetSequence()]++
	}
	f.acks = append(f.acks, st)
	return st
}

func (f *fakeCollector) snapshot() (map[uint64]int, []string, []memledgerv1.AckStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(map[uint64]int, len(f.committed))
	for k, v := range f.committed {
		c[k] = v
	}
	return c, append([]string(nil), f.kinds...), append([]memledgerv1.AckStatus(nil), f.acks...)
}

// serve runs f on addr ("127.0.0.1:0" for any port) until the test ends or
// stop is called.
func serve(t *testing.T, f *fakeCollector, addr string) (string, func()) {
	t.Helper()
	var lis net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port of a stopped server may linger briefly
		if lis, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	return serveListener(t, f, lis)
}

// serveListener runs f on lis until the test ends or stop is called.
func serveListener(t *testing.T, f *fakeCollector, lis net.Listener) (string, func()) {
	t.Helper()
	srv := grpc.NewServer()
	memledgerv1.RegisterIngestServiceServer(srv, f)
	go srv.Serve(lis)
	var once sync.Once
	stop := func() { once.Do(srv.Stop) }
	t.Cleanup(stop)
	return lis.Addr().String(), stop
}

// countingListener counts the connections it accepted and those still
// open (the server has not closed them).
type countingListener struct {
	net.Listener
	accepted, open atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	l.open.Add(1)
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// serveCounted runs f on a loopback port whose connections it counts.
func serveCounted(t *testing.T, f *fakeCollector) (string, *countingListener) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis := &countingListener{Listener: raw}
	addr, _ := serveListener(t, f, lis)
	return addr, lis
}

// freeAddr returns a loopback address nobody listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

// fixtureScan scans a hostfixture tree with the agent's real scanner;
// change() makes the next scans report a swapped module.
type fixtureScan struct {
	root    string
	mu      sync.Mutex
	changed bool
	scans   int
}

func newFixtureScan(t *testing.T) *fixtureScan {
	t.Helper()
	root := t.TempDir()
	if err := hostfixture.Build(root, hostfixture.TwoSocketServer()); err != nil {
		t.Fatal(err)
	}
	return &fixtureScan{root: root}
}

func (s *fixtureScan) scan(ctx context.Context) (*memledgerv1.Inventory, error) {
	inv, err := scan.Scan(ctx, scan.Options{Root: s.root})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scans++
	if s.changed {
		inv.MemoryModules[0].SerialNumber = "SWAPPED1"
	}
	return inv, nil
}

func (s *fixtureScan) change() { s.mu.Lock(); s.changed = true; s.mu.Unlock() }

type agent struct {
	t      *testing.T
	opts   Options
	cancel context.CancelFunc
	done   chan error
	rescan chan struct{}
	log    *syncbuf.Buffer
}

func baseOptions(t *testing.T, addr, stateDir string, sc *fixtureScan) Options {
	return Options{
		Collector: addr,
		Send:      send.Options{Insecure: true},
		Scan:      sc.scan,
		StateDir:  stateDir,
		Interval:  time.Hour, // scans are triggered explicitly
		Backoff:   Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond},
		Notify:    func(string) error { return nil },
	}
}

func start(t *testing.T, opts Options) *agent {
	t.Helper()
	return startIn(t, context.Background(), opts)
}

// startIn runs a daemon under parent, which the test may cancel itself.
func startIn(t *testing.T, parent context.Context, opts Options) *agent {
	t.Helper()
	a := &agent{t: t, done: make(chan error, 1), rescan: make(chan struct{}), log: &syncbuf.Buffer{}}
	if opts.Rescan == nil {
		opts.Rescan = a.rescan
	}
	opts.Logger = slog.New(slog.NewTextHandler(a.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a.opts = opts
	ctx, cancel := context.WithCancel(parent)
	a.cancel = cancel
	go func() { a.done <- Run(ctx, opts) }()
	t.Cleanup(func() { a.stop() })
	return a
}

// stop cancels the daemon (SIGTERM) and waits for Run to return.
func (a *agent) stop() error {
	a.cancel()
	select {
	case err := <-a.done:
		a.done <- err // keep it for a second stop
		return err
	case <-time.After(5 * time.Second):
		a.t.Fatalf("daemon did not stop within 5s of cancellation; log:\n%s", a.log)
		return nil
	}
}

// wait waits for Run to return by itself.
func (a *agent) wait() error {
	select {
	case err := <-a.done:
		a.done <- err
		return err
	case <-time.After(10 * time.Second):
		a.t.Fatalf("daemon did not stop; log:\n%s", a.log)
		return nil
	}
}

func (a *agent) scanNow() {
	select {
	case a.rescan <- struct{}{}:
	case <-time.After(5 * time.Second):
		a.t.Fatal("daemon did not take the rescan request")
	}
}

// eventually waits up to 10s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func spoolFiles(t *testing.T, stateDir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(stateDir, "spool", "*.pb"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// assertAllCommitted checks that f committed reports of the kinds want
// ("full,hb,..."), in that order, and acknowledged every one COMMITTED.
func assertAllCommitted(t *testing.T, f *fakeCollector, want string) {
	t.Helper()
	_, kinds, acks := f.snapshot()
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("reports %s, want %s", got, want)
	}
	for i, st := range acks {
		if st != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
			t.Errorf("ack %d: %v, want COMMITTED", i, st)
		}
	}
}

// assertExactlyOnce checks that every sequence was committed once, and
// that there are want of them.
func assertExactlyOnce(t *testing.T, f *fakeCollector, want int) {
	t.Helper()
	committed, _, _ := f.snapshot()
	if len(committed) != want {
		t.Errorf("%d reports committed, want %d: %v", len(committed), want, committed)
	}
	for seq, n := range committed {
		if n != 1 {
			t.Errorf("report %d committed %d times", seq, n)
		}
	}
}

// A scan at start sends a full inventory; unchanged scans send heartbeats;
// a change sends a full one again; the spool ends empty.
func TestFullThenHeartbeatsThenChange(t *testing.T) {
	f := newFake()
	addr, _ := serve(t, f, "127.0.0.1:0")
	sc := newFixtureScan(t)
	state := t.TempDir()
	a := start(t, baseOptions(t, addr, state, sc))
	eventually(t, "first report", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	a.scanNow()
	eventually(t, "heartbeat", func() bool { c, _, _ := f.snapshot(); return len(c) == 2 })
	sc.change()
	a.scanNow()
	eventually(t, "changed inventory", func() bool { c, _, _ := f.snapshot(); return len(c) == 3 })
	a.scanNow()
	eventually(t, "heartbeat after change", func() bool { c, _, _ := f.snapshot(); return len(c) == 4 })
	eventually(t, "spool drained", func() bool { return len(spoolFiles(t, state)) == 0 })
	if err := a.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	assertAllCommitted(t, f, "full,hb,full,hb")
	assertExactlyOnce(t, f, 4)
}

// Between scans the agent holds no stream and no connection on the
// collector: once a report is acknowledged the connection closes, and the
// next scan reconnects. Reports sent over the new connections are
// acknowledged in order and committed exactly once, and a heartbeat sent
// after a reconnect still matches the full inventory sent before it.
func TestIdleAgentHoldsNoConnection(t *testing.T) {
	f := newFake()
	var mu sync.Mutex
	var received []uint64
	f.onRecv = func(r *memledgerv1.ReportRequest) {
		mu.Lock()
		received = append(received, r.GetSequence())
		mu.Unlock()
	}
	addr, lis := serveCounted(t, f)
	sc := newFixtureScan(t)
	state := t.TempDir()
	a := start(t, baseOptions(t, addr, state, sc))
	const reports = 4
	for i := 1; i <= reports; i++ {
		if i > 1 {
			if i == 3 {
				sc.change()
			}
			a.scanNow()
		}
		eventually(t, "report acknowledged", func() bool {
			c, _, _ := f.snapshot()
			return len(c) == i && len(spoolFiles(t, state)) == 0
		})
		eventually(t, "no stream and no connection left open", func() bool {
			return f.streams.Load() == 0 && lis.open.Load() == 0
		})
	}
	if err := a.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := lis.accepted.Load(); got != reports {
		t.Errorf("%d connections accepted, want %d (one per report)", got, reports)
	}
	assertAllCommitted(t, f, "full,hb,full,hb")
	mu.Lock()
	for i := 1; i < len(received); i++ {
		if received[i] <= received[i-1] {
			t.Errorf("report %d has sequence %d after %d: not in order", i, received[i], received[i-1])
		}
	}
	mu.Unlock()
	assertExactlyOnce(t, f, reports)
}

// With KeepConnection the agent sends every report over the one
// connection it opened first.
func TestKeepConnectionReusesOneConnection(t *testing.T) {
	f := newFake()
	addr, lis := serveCounted(t, f)
	sc := newFixtureScan(t)
	state := t.TempDir()
	opts := baseOptions(t, addr, state, sc)
	opts.KeepConnection = true
	a := start(t, opts)
	for i := 1; i <= 3; i++ {
		if i > 1 {
			a.scanNow()
		}
		eventually(t, "report acknowledged", func() bool {
			c, _, _ := f.snapshot()
			return len(c) == i && len(spoolFiles(t, state)) == 0
		})
	}
	if got := lis.open.Load(); got != 1 {
		t.Errorf("%d connections open after the reports, want 1 (kept)", got)
	}
	if err := a.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := lis.accepted.Load(); got != 1 {
		t.Errorf("%d connections accepted, want 1", got)
	}
	assertExactlyOnce(t, f, 3)
}

// The collector is down for a while: reports pile up in the spool (on
// disk), then all arrive, in order, exactly once, when it comes up.
func TestCollectorDownThenUp(t *testing.T) {
	addr := freeAddr(t)
	sc := newFixtureScan(t)
	state := t.TempDir()
	a := start(t, baseOptions(t, addr, state, sc))
	for i := 0; i < 4; i++ {
		a.scanNow()
	}
	eventually(t, "5 reports spooled on disk", func() bool { return len(spoolFiles(t, state)) == 5 })
	eventually(t, "a failed send logged", func() bool { return strings.Contains(a.log.String(), "send_failed") })

	f := newFake()
	serve(t, f, addr)
	eventually(t, "all 5 delivered", func() bool { c, _, _ := f.snapshot(); return len(c) == 5 })
	eventually(t, "spool drained", func() bool { return len(spoolFiles(t, state)) == 0 })
	eventually(t, "collector_reachable logged after recovery", func() bool { return strings.Contains(a.log.String(), "collector_reachable") })
	a.stop()
	assertExactlyOnce(t, f, 5)
	_, kinds, _ := f.snapshot()
	if got, want := strings.Join(kinds, ","), "full,hb,hb,hb,hb"; got != want {
		t.Errorf("reports %s, want %s", got, want)
	}
}

// The agent dies right after sending a report, before its ack: the report
// stays spooled; a new agent on the same state directory sends it again,
// the collector answers DUPLICATE, and nothing is lost or doubled. The
// restarted agent remembers the full inventory it sent: it heartbeats.
func TestKilledMidSend(t *testing.T) {
	f := newFake()
	addr, _ := serve(t, f, "127.0.0.1:0")
	sc := newFixtureScan(t)
	state := t.TempDir()

	opts := baseOptions(t, addr, state, sc)
	var killOnce sync.Once
	received := make(chan struct{})
	// The collector commits the report, then the agent dies before it
	// reads the ack.
	f.onRecv = func(*memledgerv1.ReportRequest) { killOnce.Do(func() { close(received) }) }
	crash, kill := context.WithCancel(context.Background())
	defer kill()
	opts.afterSend = func(uint64) {
		<-received
		// Let the fake commit before the crash.
		eventually(t, "commit", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
		kill()
	}
	a := startIn(t, crash, opts)
	if err := a.wait(); err != nil {
		t.Fatal(err)
	}
	if files := spoolFiles(t, state); len(files) != 1 {
		t.Fatalf("after the crash: spool %v, want the unacknowledged report", files)
	}

	b := start(t, baseOptions(t, addr, state, sc))
	defer func() {
		if t.Failed() {
			t.Logf("first agent:\n%s\nrestarted agent:\n%s", a.log, b.log)
		}
	}()
	eventually(t, "resent report acked", func() bool { _, _, acks := f.snapshot(); return len(acks) >= 3 })
	eventually(t, "spool drained", func() bool { return len(spoolFiles(t, state)) == 0 })
	b.stop()
	_, kinds, acks := f.snapshot()
	assertExactlyOnce(t, f, 2)
	var dup int
	for _, st := range acks {
		if st == memledgerv1.AckStatus_ACK_STATUS_DUPLICATE {
			dup++
		}
	}
	if dup != 1 {
		t.Errorf("acks %v: want exactly one DUPLICATE (the resent report)", acks)
	}
	if got, want := strings.Join(kinds, ","), "full,hb"; got != want {
		t.Errorf("reports %s, want %s (the restarted agent knows its full inventory was sent)", got, want)
	}
}

// A collector that does not know the agent's last full inventory answers
// its heartbeat NEED_FULL; the agent sends a full inventory at once.
func TestNeedFullTriggersFullInventory(t *testing.T) {
	sc := newFixtureScan(t)
	state := t.TempDir()
	f1 := newFake()
	addr1, _ := serve(t, f1, "127.0.0.1:0")
	a := start(t, baseOptions(t, addr1, state, sc))
	eventually(t, "first full", func() bool { c, _, _ := f1.snapshot(); return len(c) == 1 })
	eventually(t, "spool drained", func() bool { return len(spoolFiles(t, state)) == 0 })
	a.stop()

	f2 := newFake() // a collector with an empty ledger
	addr2, _ := serve(t, f2, "127.0.0.1:0")
	b := start(t, baseOptions(t, addr2, state, sc))
	eventually(t, "heartbeat then full", func() bool { c, _, _ := f2.snapshot(); return len(c) == 2 })
	b.stop()
	_, kinds, acks := f2.snapshot()
	if got, want := strings.Join(kinds, ","), "hb,full"; got != want {
		t.Errorf("reports %s, want %s", got, want)
	}
	if acks[0] != memledgerv1.AckStatus_ACK_STATUS_NEED_FULL {
		t.Errorf("first ack %v, want NEED_FULL", acks[0])
	}
	if !strings.Contains(b.log.String(), "reason=collector_requested_full") {
		t.Errorf("log does not say the collector asked for the scan:\n%s", b.log)
	}
}

// failWriter is a disk that refuses every write.
type failWriter struct{ err error }

func (w failWriter) WriteFile(path string, _ []byte) error {
	return &os.PathError{Op: "write", Path: path, Err: w.err}
}
func (failWriter) Remove(string) error { return nil }

// A full disk or an unusable state directory: a clear error is logged,
// the agent keeps scanning and still delivers from memory.
func TestUnwritableSpoolKeepsWorking(t *testing.T) {
	blocked := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(blocked, []byte("a file where the state directory should be"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stateDir func(t *testing.T) string
		writer   spool.Writer
		wantLog  []string
	}{
		{"disk full", func(t *testing.T) string { return t.TempDir() }, failWriter{syscall.ENOSPC}, []string{"spool_write_failed", "no space left on device", "held in memory"}},
		{"state dir is a file", func(*testing.T) string { return blocked }, nil, []string{"spool_unavailable", "not a directory", "state_write_failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			addr, _ := serve(t, f, "127.0.0.1:0")
			sc := newFixtureScan(t)
			opts := baseOptions(t, addr, tt.stateDir(t), sc)
			opts.Spool.Writer = tt.writer
			a := start(t, opts)
			eventually(t, "first report", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
			a.scanNow()
			eventually(t, "second report", func() bool { c, _, _ := f.snapshot(); return len(c) == 2 })
			if err := a.stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			assertExactlyOnce(t, f, 2)
			for _, want := range tt.wantLog {
				if !strings.Contains(a.log.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, a.log)
				}
			}
		})
	}
}

// A corrupt spool entry left by an earlier run is quarantined; the agent
// starts and delivers the good ones.
func TestCorruptSpoolEntryAtStart(t *testing.T) {
	state := t.TempDir()
	sdir := filepath.Join(state, "spool")
	os.MkdirAll(sdir, 0o700)
	good := send.HeartbeatReport("5f2a9c1e8b7d4e6fa1b2c3d4e5f60718", 7, strings.Repeat("0", 64), time.Unix(1, 0), time.Unix(1, 0))
	data, _ := proto.Marshal(good)
	os.WriteFile(filepath.Join(sdir, spool.FileName(7, spool.Heartbeat)), data, 0o600)
	os.WriteFile(filepath.Join(sdir, spool.FileName(8, spool.Full)), []byte("\x0a\xff\xff"), 0o600)

	f := newFake()
	addr, _ := serve(t, f, "127.0.0.1:0")
	a := start(t, baseOptions(t, addr, state, newFixtureScan(t)))
	// The old heartbeat's unknown digest may make the collector ask for a
	// full inventory, so a second scan can follow: wait for at least the
	// old heartbeat and one new report, then check nothing came twice.
	eventually(t, "old heartbeat and new scan delivered", func() bool { c, _, _ := f.snapshot(); return c[7] == 1 && len(c) >= 2 })
	a.stop()
	c, _, _ := f.snapshot()
	for seq, n := range c {
		if n != 1 {
			t.Errorf("report %d delivered %d times", seq, n)
		}
	}
	if _, err := os.Stat(filepath.Join(sdir, spool.QuarantineDir, spool.FileName(8, spool.Full))); err != nil {
		t.Errorf("corrupt entry not quarantined: %v", err)
	}
	if !strings.Contains(a.log.String(), "spool_entry_quarantined") {
		t.Errorf("no quarantine warning:\n%s", a.log)
	}
}

// A report the collector rejects as malformed is quarantined, so that it
// does not block the reports behind it forever.
func TestRejectedReportQuarantined(t *testing.T) {
	state := t.TempDir()
	sdir := filepath.Join(state, "spool")
	os.MkdirAll(sdir, 0o700)
	bad := send.HeartbeatReport("5f2a9c1e8b7d4e6fa1b2c3d4e5f60718", 7, strings.Repeat("0", 64), time.Unix(1, 0), time.Unix(1, 0))
	data, _ := proto.Marshal(bad)
	os.WriteFile(filepath.Join(sdir, spool.FileName(7, spool.Heartbeat)), data, 0o600)

	f := newFake()
	f.reject = func(r *memledgerv1.ReportRequest) bool { return r.GetSequence() == 7 }
	addr, _ := serve(t, f, "127.0.0.1:0")
	a := start(t, baseOptions(t, addr, state, newFixtureScan(t)))
	eventually(t, "the scan delivered past the rejected report", func() bool { c, _, _ := f.snapshot(); return len(c) == 1 })
	eventually(t, "spool drained", func() bool { return len(spoolFiles(t, state)) == 0 })
	a.stop()
	if _, err := os.Stat(filepath.Join(sdir, spool.QuarantineDir, spool.FileName(7, spool.Heartbeat))); err != nil {
		t.Errorf("rejected report not quarantined: %v", err)
	}
	for _, want := range []string{"report_rejected", "part_number: 2000 bytes"} {
		if !strings.Contains(a.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, a.log)
		}
	}
}

// READY at start, WATCHDOG from the main loop, STOPPING at the end; no
// transport configured is an error before anything starts.
func TestNotifyAndConfigErrors(t *testing.T) {
	f := newFake()
	addr, _ := serve(t, f, "127.0.0.1:0")
	var mu sync.Mutex
	var states []string
	opts := baseOptions(t, addr, t.TempDir(), newFixtureScan(t))
	opts.WatchdogInterval = 5 * time.Millisecond
	opts.Notify = func(s string) error { mu.Lock(); states = append(states, s); mu.Unlock(); return nil }
	a := start(t, opts)
	eventually(t, "watchdog pings", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range states {
			if s == "WATCHDOG=1" {
				n++
			}
		}
		return n >= 3
	})
	a.stop()
	mu.Lock()
	if states[0] != "READY=1" || states[len(states)-1] != "STOPPING=1" {
		t.Errorf("notifications %v: want READY=1 first and STOPPING=1 last", states)
	}
	mu.Unlock()

	bad := baseOptions(t, addr, t.TempDir(), newFixtureScan(t))
	bad.Send = send.Options{}
	if err := Run(context.Background(), bad); !errors.Is(err, send.ErrTLSUnsupported) {
		t.Errorf("Run without TLS or insecure: %v, want ErrTLSUnsupported", err)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 5 * time.Minute}
	tests := []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0.999999, 999999 * time.Microsecond},
		{1, 0, 0},
		{2, 0.5, time.Second},
		{4, 0.5, 4 * time.Second},
		{9, 1, 256 * time.Second},
		{10, 1, 5 * time.Minute},
		{1000, 0.5, 150 * time.Second},
		{0, 1, time.Second},
	}
	for _, tt := range tests {
		if got := b.Delay(tt.n, tt.r); got != tt.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.n, tt.r, got, tt.want)
		}
	}
}

func TestNextIntervalJitter(t *testing.T) {
	d := &daemon{opts: Options{Interval: time.Hour, Jitter: 10 * time.Minute}}
	seen := map[time.Duration]bool{}
	for i := 0; i < 100; i++ {
		got := d.nextInterval()
		if got < time.Hour || got >= time.Hour+10*time.Minute {
			t.Fatalf("nextInterval %v outside [1h, 1h10m)", got)
		}
		seen[got] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct intervals in 100: no jitter?", len(seen))
	}
	d.opts.Jitter = 0
	if got := d.nextInterval(); got != time.Hour {
		t.Errorf("no jitter: %v, want 1h", got)
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	path := stateFile(dir)
	if s, err := loadState(path); err != nil || s != (state{}) {
		t.Fatalf("missing state: %+v %v", s, err)
	}
	want := state{LastSequence: 42, LastFullDigest: "abc", HostID: "h"}
	if err := saveState(path, want); err != nil {
		t.Fatal(err)
	}
	if got, err := loadState(path); err != nil || got != want {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := loadState(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt state: %v, want an error naming %s", err, path)
	}
}

// An agent whose state holds a sequence far ahead of the clock (its clock
// was once years ahead, or the state was tampered with) is refused with
// OutOfRange by the collector; it sets the refused reports aside and
// restarts its sequence from the clock with a full inventory, instead of
// retrying the refused report forever.
func TestSequenceAheadOfCollectorClockResyncs(t *testing.T) {
	dir := t.TempDir()
	if err := saveState(stateFile(dir), state{LastSequence: 1 << 62}); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	f.refuse = func(r *memledgerv1.ReportRequest) error {
		if bound := uint64(time.Now().Add(5 * time.Minute).UnixMicro()); r.GetSequence() > bound {
			return status.Errorf(codes.OutOfRange, "report sequence %d: sequence: more than the allowed skew of 5m0s", r.GetSequence())
		}
		return nil
	}
	addr, _ := serve(t, f, "127.0.0.1:0")
	a := start(t, baseOptions(t, addr, dir, newFixtureScan(t)))
	eventually(t, "a report sequenced from the clock committed", func() bool {
		_, kinds, _ := f.snapshot()
		return len(kinds) == 1 && kinds[0] == "full"
	})
	eventually(t, "spool drained", func() bool { return len(spoolFiles(t, dir)) == 0 })
	a.stop()
	c, _, _ := f.snapshot()
	for seq := range c {
		if seq > uint64(time.Now().UnixMicro()) {
			t.Errorf("committed sequence %d is ahead of the clock", seq)
		}
	}
	if q, _ := os.ReadDir(filepath.Join(dir, "spool", spool.QuarantineDir)); len(q) != 1 {
		t.Errorf("%d reports quarantined, want the refused one", len(q))
	}
	if !strings.Contains(a.log.String(), "report_ahead_of_collector_clock") {
		t.Errorf("no log of the refusal:\n%s", a.log)
	}
}
