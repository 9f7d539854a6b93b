package daemon

// End-to-end fault test against the real collector: the collector binary is
// built from this tree and serves a SQLite ledger; the agent runs as a
// separate process (this test binary re-executed as a helper, see
// TestMain), so that it can be SIGKILLed like a crashing daemon.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/syncbuf"
	"github.com/memledger/memledger/internal/testbin"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Environment of the helper agent process.
const (
	envHelper    = "MEMLEDGER_DAEMON_TEST_HELPER"
	envCollector = "MEMLEDGER_DAEMON_TEST_COLLECTOR"
	envState     = "MEMLEDGER_DAEMON_TEST_STATE"
	envRoot      = "MEMLEDGER_DAEMON_TEST_ROOT"
	// envCrash makes the helper SIGKILL itself after sending its first
	// report and giving the collector time to commit it, before reading
	// the ack.
	envCrash = "MEMLEDGER_DAEMON_TEST_CRASH_AFTER_SEND"
)

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) == "1" {
		os.Exit(helperAgent())
	}
	code := m.Run()
	testbin.RemoveAll()
	os.Exit(code)
}

// helperAgent is the agent daemon as "memledger-agent run --insecure" runs
// it: SIGTERM stops it, SIGHUP asks for a scan.
func helperAgent() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	rescan := make(chan struct{})
	go func() {
		for range hup {
			rescan <- struct{}{}
		}
	}()
	root := os.Getenv(envRoot)
	var afterSend func(uint64)
	if os.Getenv(envCrash) == "1" {
		afterSend = func(uint64) {
			time.Sleep(500 * time.Millisecond)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	err := Run(ctx, Options{
		afterSend: afterSend,
		Collector: os.Getenv(envCollector),
		Send:      send.Options{Insecure: true, Gzip: true},
		Scan: func(ctx context.Context) (*memledgerv1.Inventory, error) {
			return scan.Scan(ctx, scan.Options{Root: root})
		},
		StateDir: os.Getenv(envState),
		Interval: time.Hour,
		Rescan:   rescan,
		Backoff:  Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
		Logger:   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Notify:   func(string) error { return nil },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper agent:", err)
		return 1
	}
	return 0
}

// proc is a child process with its output captured.
type proc struct {
	cmd *exec.Cmd
	out *syncbuf.Buffer
}

func startProc(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), out: &syncbuf.Buffer{}}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// stop sends sig and waits up to 10s for the exit; it returns the exit
// error (nil for status 0).
func (p *proc) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	p.cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("%s did not exit within 10s of %v; output:\n%s", p.cmd.Path, sig, p.out)
		return nil
	}
}

func collectorJSON(t *testing.T, bin, db string, args ...string) []map[string]any {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, append([]string{"--db", db}, append(args, "--format", "json")...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("memledger-collector %v: %v\n%s", args, err, errb.String())
	}
	var v []map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("memledger-collector %v: %v\n%s", args, err, out.String())
	}
	return v
}

// e2eSetup builds the collector binary and the fixture host: it returns
// the binary, a temporary directory, the host's root, the agent's state
// directory and a SQLite ledger, all under the directory.
func e2eSetup(t *testing.T) (collector, tmp, root, stateDir, db string) {
	t.Helper()
	collector = testbin.Build(t, testbin.Collector)
	tmp = t.TempDir()
	root = filepath.Join(tmp, "host")
	if err := hostfixture.Build(root, hostfixture.TwoSocketServer()); err != nil {
		t.Fatal(err)
	}
	return collector, tmp, root, filepath.Join(tmp, "state"), "sqlite:" + filepath.Join(tmp, "ledger.db")
}

// Collector down, agent crashes with a full spool, collector up, agent
// crashes again right after a report, agent stops: the ledger holds the
// host once, every part once, and the last report the agent made.
func TestE2ERealCollectorCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the collector binary: skipped with -short")
	}
	collector, _, root, stateDir, db := e2eSetup(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	agentEnv := []string{envHelper + "=1", envCollector + "=" + addr, envState + "=" + stateDir, envRoot + "=" + root}
	startAgent := func() *proc { return startProc(t, agentEnv, self, "-test.run=^$") }
	spooled := func() int { return len(spoolFiles(t, stateDir)) }

	// 1. Collector down: a full inventory and two heartbeats pile up.
	a := startAgent()
	eventually(t, "first report spooled", func() bool { return spooled() == 1 })
	for want := 2; want <= 3; want++ {
		a.cmd.Process.Signal(syscall.SIGHUP)
		eventually(t, fmt.Sprintf("%d reports spooled", want), func() bool { return spooled() == want })
	}
	// 2. The agent crashes.
	a.stop(t, syscall.SIGKILL)

	// 3. The collector comes up; a restarted agent delivers the spool
	// and its own start-up report.
	col := startProc(t, nil, collector, "--db", db, "serve", "--insecure", "--listen", addr)
	b := startAgent()
	eventually(t, "spool drained", func() bool { return spooled() == 0 && strings.Contains(b.out.String(), "msg=scanned") })

	// 4. A report, and a crash right after it: sent or not, acked or not.
	b.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(time.Duration(len(b.out.String())%7) * time.Millisecond) // vary the crash point
	b.stop(t, syscall.SIGKILL)
	// 5. A crash after the collector committed a report, before the agent
	// read the ack: the next agent sends it again, the collector answers
	// DUPLICATE.
	d := startProc(t, append(agentEnv, envCrash+"=1"), self, "-test.run=^$")
	if err := d.cmd.Wait(); err == nil {
		t.Fatalf("crashing agent exited cleanly; output:\n%s", d.out)
	}
	if n := spooled(); n < 1 {
		t.Fatalf("after a crash before the ack: %d reports spooled, want the unacknowledged ones", n)
	}
	c := startAgent()
	eventually(t, "spool drained after the crashes", func() bool {
		return spooled() == 0 && strings.Count(c.out.String(), "msg=scanned") == 1
	})
	if !strings.Contains(c.out.String(), "msg=report_duplicate") {
		t.Errorf("the report committed before the crash was not answered DUPLICATE when sent again:\n%s", c.out)
	}
	// 6. SIGTERM: a clean exit, status 0.
	if err := c.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("agent after SIGTERM: %v (want exit status 0); output:\n%s", err, c.out)
	}
	if err := col.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("collector: %v\n%s", err, col.out)
	}

	assertLedgerHoldsLastReport(t, collector, db, stateDir)
	parts := collectorJSON(t, collector, db, "parts")
	inv, err := scan.Scan(context.Background(), scan.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(inv.GetMemoryModules()) + len(inv.GetStorageDevices()); len(parts) != want {
		t.Errorf("ledger has %d parts, want %d (one row per part)", len(parts), want)
	}
	seen := map[string]bool{}
	for _, p := range parts {
		key := fmt.Sprint(p["kind"], "|", p["slot"], "|", p["serial_number"])
		if seen[key] {
			t.Errorf("duplicate part row %s", key)
		}
		seen[key] = true
	}
	kinds := map[string]int{}
	for _, e := range collectorJSON(t, collector, db, "history") {
		kinds[e["kind"].(string)]++
	}
	if kinds["host_enrolled"] != 1 || kinds["part_added"] != len(parts) || kinds["part_removed"] != 0 {
		t.Errorf("events %v: want 1 host_enrolled, %d part_added, no part_removed", kinds, len(parts))
	}
	all := a.out.String() + b.out.String() + d.out.String() + c.out.String()
	if strings.Contains(all, "collector_needs_full_inventory") {
		t.Errorf("the collector asked for a full inventory: heartbeat digests disagree with the collector's")
	}
	t.Logf("agent acks: %d committed, %d duplicate; ledger: %d parts, events %v",
		strings.Count(all, "msg=report_committed"), strings.Count(all, "msg=report_duplicate"), len(parts), kinds)
	if t.Failed() || os.Getenv("MEMLEDGER_E2E_DUMP") != "" {
		t.Logf("agent logs:\n%s\ncollector log:\n%s", all, col.out)
	}
}

// An agent between scans holds no stream and no connection on the real
// collector: its memledger_streams_open gauge and the TCP connections to
// its port return to 0 after every report, and the reports sent over the
// new connections land in the ledger in order, once each.
func TestE2EIdleAgentHoldsNoStream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the collector binary: skipped with -short")
	}
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skipf("counts connections in /proc/net/tcp: %v", err)
	}
	collector, tmp, root, stateDir, db := e2eSetup(t)
	addr := freeAddr(t)
	httpAddrFile := filepath.Join(tmp, "http.addr")
	col := startProc(t, nil, collector, "--db", db, "serve", "--insecure", "--listen", addr,
		"--http-listen", "127.0.0.1:0", "--http-addr-file", httpAddrFile, "--metrics-open")
	var httpAddr string
	eventually(t, "collector HTTP address", func() bool {
		b, err := os.ReadFile(httpAddrFile)
		httpAddr = strings.TrimSpace(string(b))
		return err == nil && httpAddr != ""
	})
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	agentEnv := []string{envHelper + "=1", envCollector + "=" + addr, envState + "=" + stateDir, envRoot + "=" + root}
	a := startProc(t, agentEnv, self, "-test.run=^$")

	const reports = 3
	for i := 1; i <= reports; i++ {
		if i > 1 {
			a.cmd.Process.Signal(syscall.SIGHUP)
		}
		eventually(t, fmt.Sprintf("report %d acknowledged", i), func() bool {
			return strings.Count(a.out.String(), "msg=report_committed") == i && len(spoolFiles(t, stateDir)) == 0
		})
		eventually(t, fmt.Sprintf("no stream and no connection after report %d", i), func() bool {
			return streamsOpen(t, httpAddr) == 0 && establishedConns(t, port) == 0
		})
	}
	if err := a.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("agent after SIGTERM: %v; output:\n%s", err, a.out)
	}
	if err := col.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("collector: %v\n%s", err, col.out)
	}
	if n := strings.Count(a.out.String(), "msg=collector_disconnected_idle"); n != reports {
		t.Errorf("agent closed its idle connection %d times, want %d (once per report)", n, reports)
	}
	if strings.Contains(a.out.String(), "msg=report_duplicate") || strings.Contains(a.out.String(), "msg=collector_needs_full_inventory") {
		t.Errorf("a report was sent twice or a heartbeat did not match after a reconnect:\n%s", a.out)
	}
	assertLedgerHoldsLastReport(t, collector, db, stateDir)
}

// assertLedgerHoldsLastReport checks that the ledger db holds one host,
// whose last sequence is that of the agent's last report (its state file
// in stateDir).
func assertLedgerHoldsLastReport(t *testing.T, collector, db, stateDir string) {
	t.Helper()
	st, err := loadState(stateFile(stateDir))
	if err != nil {
		t.Fatal(err)
	}
	hosts := collectorJSON(t, collector, db, "hosts")
	if len(hosts) != 1 {
		t.Fatalf("ledger has %d hosts, want 1: %v", len(hosts), hosts)
	}
	if got := uint64(hosts[0]["last_sequence"].(float64)); got != st.LastSequence {
		// float64 holds these microsecond sequences exactly (< 2^53).
		t.Errorf("ledger's last sequence %d, agent's last report %d: the last report was lost", got, st.LastSequence)
	}
}

// streamsOpen reads memledger_streams_open from the collector's /metrics.
func streamsOpen(t *testing.T, httpAddr string) int {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatalf("collector metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("collector metrics: status %d, %v", resp.StatusCode, err)
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "memledger_streams_open "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("memledger_streams_open %q: %v", v, err)
			}
			return int(n)
		}
	}
	t.Fatalf("collector metrics have no memledger_streams_open:\n%s", body)
	return 0
}

// establishedConns counts the established TCP connections whose local
// port is port on this host: those a server listening on port holds
// (/proc/net/tcp and tcp6: hex local address:port, remote address:port,
// then the state, 01 for ESTABLISHED).
func establishedConns(t *testing.T, port int) int {
	t.Helper()
	n := 0
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue // no IPv6
		}
		for line := range strings.Lines(string(data)) {
			f := strings.Fields(line)
			if len(f) < 4 || f[3] != "01" {
				continue
			}
			_, hexPort, ok := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				n++
			}
		}
	}
	return n
}
