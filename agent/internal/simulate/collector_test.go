package simulate

// End to end: the simulator's hosts stream to a real memledger-collector
// (built with go build, run as a subprocess on a loopback port), and the
// collector's read commands show what they sent. The same harness runs the
// benchmarks (TestFleetBenchmark) when MEMLEDGER_BENCH is set.

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/syncbuf"
	"github.com/memledger/memledger/internal/testbin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.RemoveAll()
	os.Exit(code)
}

// buildCollector builds memledger-collector once per test run, unless
// MEMLEDGER_BENCH_COLLECTOR names a binary to run instead (to compare two
// builds in turn on the same machine).
func buildCollector(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("MEMLEDGER_BENCH_COLLECTOR"); bin != "" {
		return bin
	}
	return testbin.Build(t, testbin.Collector)
}

type collectorProc struct {
	cmd    *exec.Cmd
	addr   string
	log    *syncbuf.Buffer
	exited chan error
}

func startCollector(t *testing.T, db string, args ...string) *collectorProc {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	p := &collectorProc{log: &syncbuf.Buffer{}, exited: make(chan error, 1)}
	// The simulator replays days of a host's reports in seconds: the
	// per-host rate limits, sized for real time, are off.
	serve := []string{"serve", "--db", db, "--listen", "127.0.0.1:0", "--addr-file", addrFile,
		"--max-reports-per-hour", "-1", "--max-full-reports-per-hour", "-1", "--max-events-per-day", "-1"}
	if !slices.Contains(args, "--tls-cert") {
		serve = append(serve, "--insecure")
	}
	p.cmd = exec.Command(buildCollector(t), append(serve, args...)...)
	p.cmd.Stderr = p.log
	p.cmd.Env = append(os.Environ(), "MEMLEDGER_CONFIG=")
	// MEMLEDGER_BENCH_COLLECTOR_ENV: extra NAME=VALUE settings (space
	// separated) for the collector process only, e.g. GOGC=200.
	p.cmd.Env = append(p.cmd.Env, strings.Fields(os.Getenv("MEMLEDGER_BENCH_COLLECTOR_ENV"))...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("collector log:\n%s", p.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			p.addr = strings.TrimSpace(string(b))
			return p
		}
		if time.Now().After(deadline) {
			t.Fatal("collector did not start listening within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the collector with SIGTERM and expects exit status 0.
func (p *collectorProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		if err != nil {
			t.Fatalf("collector after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("collector did not stop within 60s of SIGTERM")
	}
}

// rss returns the collector's resident and peak resident memory (kB).
func (p *collectorProc) rss(t *testing.T) (rssKB, peakKB int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Logf("memory not measured: %v", err)
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			switch f[0] {
			case "VmRSS:":
				rssKB, _ = strconv.Atoi(f[1])
			case "VmHWM:":
				peakKB, _ = strconv.Atoi(f[1])
			}
		}
	}
	return rssKB, peakKB
}

// collectorCLI runs a read command of the collector binary.
func collectorCLI(t *testing.T, db string, args ...string) string {
	t.Helper()
	cmd := exec.Command(buildCollector(t), append(args, "--db", db)...)
	cmd.Env = append(os.Environ(), "MEMLEDGER_CONFIG=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("memledger-collector %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func TestSimulateAgainstCollector(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the collector binary")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	c := startCollector(t, db)
	sum, err := Run(context.Background(), Options{
		Collector: c.addr, Hosts: 30, Duration: 2 * time.Second, Interval: 100 * time.Millisecond,
		Mode: ModeMixed, Churn: 0.1, Seed: 7, HostPrefix: "sim-e2e", Send: send.Options{Insecure: true, Gzip: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", sum)
	if sum.StreamErrors != 0 || sum.NeedFull != 0 || sum.Acked != sum.Sent || sum.Committed != sum.Sent {
		t.Fatalf("against the real collector: %d stream errors (%s), %d need-full, %d of %d acked, %d committed",
			sum.StreamErrors, sum.FirstError, sum.NeedFull, sum.Acked, sum.Sent, sum.Committed)
	}
	if sum.Changes == 0 || sum.HeartbeatSent == 0 {
		t.Fatalf("want churn and heartbeats in mixed mode: %+v", sum)
	}
	c.stop(t)

	var hosts []struct {
		HostID       string `json:"host_id"`
		ActiveParts  int    `json:"active_parts"`
		LastSequence uint64 `json:"last_sequence"`
	}
	if err := json.Unmarshal([]byte(collectorCLI(t, db, "hosts", "--format", "json")), &hosts); err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 30 || !strings.HasPrefix(hosts[0].HostID, "sim-e2e-") {
		t.Fatalf("collector lists %d hosts (%v), want the 30 simulated ones", len(hosts), hosts)
	}
	for _, h := range hosts {
		if h.ActiveParts < 17 || h.ActiveParts > 22 || h.LastSequence == 0 {
			t.Errorf("host %+v: want 16 modules and 1 to 6 drives", h)
		}
	}
	// Micron's exposure includes Crucial modules and Kingston modules with
	// Micron DRAM, through the vendor filter.
	parts := collectorCLI(t, db, "parts", "--vendor", "micron", "--format", "csv")
	for _, maker := range []string{",micron,", ",crucial,", ",kingston,micron,"} {
		if !strings.Contains(parts, maker) {
			t.Errorf("parts --vendor micron lacks %q makers", maker)
		}
	}
	if hist := collectorCLI(t, db, "history", "--kind", "part_removed"); sum.Changes > 5 && !strings.Contains(hist, "part_removed") {
		t.Errorf("%d hardware changes but no part_removed event", sum.Changes)
	}
}

// fleetTLS is a fleet CA, the collector's certificate (for 127.0.0.1)
// and client certificates minted on demand for any host id, all sharing
// one key: the collector checks each connection's certificate and binds
// its stream to the host it names, as with enrolled agents, without
// 100,000 enrollments before a benchmark.
type fleetTLS struct {
	ca         *pki.CA
	serverArgs []string // serve flags
	roots      *x509.CertPool
	key        crypto.Signer
	csr        *x509.CertificateRequest
}

func newFleetTLS(t *testing.T) *fleetTLS {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	ca, err := pki.NewCA("simulated fleet CA", now)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.NewServerCert([]string{"127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	caFile, certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "collector.crt"), filepath.Join(dir, "collector.key")
	for _, err := range []error{pki.WriteCerts(caFile, ca.Cert), pki.WriteCerts(certFile, cert, ca.Cert), pki.WriteKey(keyFile, key)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &fleetTLS{ca: ca, serverArgs: []string{"--tls-cert", certFile, "--tls-key", keyFile, "--tls-ca", caFile}, roots: x509.NewCertPool()}
	f.roots.AddCert(ca.Cert)
	if f.key, err = pki.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	der, err := pki.CreateCSR(f.key, "sim-host")
	if err != nil {
		t.Fatal(err)
	}
	if f.csr, err = pki.ParseCSR(der); err != nil {
		t.Fatal(err)
	}
	return f
}

// hostTLS is Options.HostTLS: a certificate naming hostID.
func (f *fleetTLS) hostTLS(_ context.Context, hostID string) (*tls.Config, error) {
	cert, err := f.ca.SignClient(f.csr, hostID, time.Now(), 0)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		RootCAs:      f.roots,
		ServerName:   "127.0.0.1",
		Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: f.key}},
		// As pki.ClientTLSConfig: an agent resumes its session.
		ClientSessionCache: tls.NewLRUClientSessionCache(1),
	}, nil
}

// TestSimulateReconnectingOverTLS: hosts that connect for each report,
// over mutual TLS with certificates of their own, all get every report
// acknowledged and committed, and the summary gives the collector's peak
// memory.
func TestSimulateReconnectingOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the collector binary")
	}
	fleet := newFleetTLS(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	c := startCollector(t, db, fleet.serverArgs...)
	sum, err := Run(context.Background(), Options{
		Collector: c.addr, Hosts: 40, Duration: 3 * time.Second, Interval: 300 * time.Millisecond,
		Reconnect: true, Mode: ModeHeartbeat, Churn: 0.05, Seed: 9, HostPrefix: "sim-tls",
		HostTLS: fleet.hostTLS, CollectorPID: c.cmd.Process.Pid,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", sum)
	if sum.StreamErrors != 0 || sum.Acked != sum.Sent || sum.Committed != sum.Sent {
		t.Fatalf("%d stream errors (%s), %d of %d acked, %d committed", sum.StreamErrors, sum.FirstError, sum.Acked, sum.Sent, sum.Committed)
	}
	if sum.Sent < 200 || sum.HeartbeatSent == 0 || sum.FullSent < 40 {
		t.Fatalf("want each of 40 hosts to report about 10 times, a full inventory first, then heartbeats: %+v", sum)
	}
	if sum.CollectorPeakRSS < 1<<20 || sum.CollectorRSSError != "" || !strings.Contains(sum.String(), "collector:    peak RSS ") {
		t.Fatalf("collector peak RSS %d bytes (%s), want it measured and printed", sum.CollectorPeakRSS, sum.CollectorRSSError)
	}
	c.stop(t)
	hosts := collectorCLI(t, db, "hosts", "--format", "json")
	if n := strings.Count(hosts, `"host_id": "sim-tls-`); n != 40 {
		t.Fatalf("collector lists %d simulated hosts, want 40", n)
	}
}

// TestFleetBenchmark measures the collector with the simulator. It runs
// only when MEMLEDGER_BENCH names a scenario:
//
//	full       64 hosts, back to back, 8 in flight each, full reports (16 modules, 4 drives)
//	churn      the same, but every report follows a hardware change (worst case)
//	heartbeat  256 hosts, back to back, 16 in flight each, heartbeats
//	idle       10,000 connected hosts reporting every 10 minutes: collector memory
//	year       200 hosts, 365 daily reports each (1%/day churn): database size per host
//	fleet      100,000 hosts over mutual TLS, each connecting for each report
//	           (no idle streams), reporting every MEMLEDGER_BENCH_INTERVAL
//	           (default 5m: an hour compressed), first reports spread over
//	           that interval, heartbeats, 1% of reports after a hardware
//	           change: acked reports/s, latency, collector peak RSS
//
// MEMLEDGER_BENCH_DB selects the ledger (default: SQLite in a temporary
// directory; a postgres:// DSN for PostgreSQL), MEMLEDGER_BENCH_DURATION
// the sending time (default 20s), MEMLEDGER_BENCH_ARGS extra serve flags,
// MEMLEDGER_BENCH_HOSTS and MEMLEDGER_BENCH_WINDOW the fleet's size and
// reports in flight per host, MEMLEDGER_BENCH_COLLECTOR a prebuilt binary.
func TestFleetBenchmark(t *testing.T) {
	scenario := os.Getenv("MEMLEDGER_BENCH")
	if scenario == "" {
		t.Skip("benchmark: set MEMLEDGER_BENCH=full|churn|heartbeat|idle|year|fleet")
	}
	db := os.Getenv("MEMLEDGER_BENCH_DB")
	dbFile := ""
	if db == "" {
		dbFile = filepath.Join(t.TempDir(), "ledger.db")
		db = "sqlite:" + dbFile
	}
	duration := 20 * time.Second
	if d := os.Getenv("MEMLEDGER_BENCH_DURATION"); d != "" {
		var err error
		if duration, err = time.ParseDuration(d); err != nil {
			t.Fatal(err)
		}
	}
	var extra []string
	if a := os.Getenv("MEMLEDGER_BENCH_ARGS"); a != "" {
		extra = strings.Fields(a)
	}
	o := Options{Duration: duration, Send: send.Options{Insecure: true}, Seed: 1, ProgressEvery: 5 * time.Second, Progress: os.Stderr, DrainTimeout: 60 * time.Second}
	switch scenario {
	case "full":
		o.Hosts, o.Interval, o.Window, o.Mode, o.Churn = 64, 0, 8, ModeFull, 0
	case "churn":
		o.Hosts, o.Interval, o.Window, o.Mode, o.Churn = 64, 0, 8, ModeFull, 1
	case "heartbeat":
		o.Hosts, o.Interval, o.Window, o.Mode, o.Churn = 256, 0, 16, ModeHeartbeat, 0
	case "idle":
		o.Hosts, o.Interval, o.Window, o.Mode, o.Churn = 10000, 10*time.Minute, 1, ModeHeartbeat, 0
	case "year":
		o.Hosts, o.Interval, o.Window, o.Mode, o.Churn, o.ReportsPerHost = 200, 0, 4, ModeHeartbeat, 0.01, 365
		o.Duration = 30 * time.Minute
	case "fleet":
		o.Hosts, o.Interval, o.Mode, o.Churn, o.Reconnect = 100000, 5*time.Minute, ModeHeartbeat, 0.01, true
		if v := os.Getenv("MEMLEDGER_BENCH_INTERVAL"); v != "" {
			var err error
			if o.Interval, err = time.ParseDuration(v); err != nil || o.Interval <= 0 {
				t.Fatalf("MEMLEDGER_BENCH_INTERVAL=%q: want a positive duration", v)
			}
		}
		fleet := newFleetTLS(t)
		extra = append(extra, fleet.serverArgs...)
		o.Send.Insecure, o.HostTLS = false, fleet.hostTLS
	default:
		t.Fatalf("MEMLEDGER_BENCH=%q: want full, churn, heartbeat, idle, year or fleet", scenario)
	}
	for env, dst := range map[string]*int{"MEMLEDGER_BENCH_HOSTS": &o.Hosts, "MEMLEDGER_BENCH_WINDOW": &o.Window} {
		if v := os.Getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				t.Fatalf("%s=%q: want a positive number", env, v)
			}
			*dst = n
		}
	}
	c := startCollector(t, db, extra...)
	var peakDuring int
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(time.Second):
				if _, peak := c.rss(t); peak > peakDuring {
					peakDuring = peak
				}
			}
		}
	}()
	if scenario == "idle" {
		// Measure once every host is connected and has sent its first
		// (full) report.
		go func() {
			time.Sleep(duration - 5*time.Second)
			rss, peak := c.rss(t)
			t.Logf("collector memory with %d agents connected: RSS %d MiB (peak %d MiB)", o.Hosts, rss/1024, peak/1024)
		}()
	}
	o.Collector, o.CollectorPID = c.addr, c.cmd.Process.Pid
	sum, err := Run(context.Background(), o)
	close(stopSampling)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	rss, peak := c.rss(t)
	t.Logf("scenario %s, db %s\n%s", scenario, strings.SplitN(db, ":", 2)[0], sum)
	t.Logf("collector RSS at the end %d MiB, peak %d MiB", rss/1024, peak/1024)
	c.stop(t)
	if dbFile != "" {
		var size int64
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if fi, err := os.Stat(dbFile + suffix); err == nil {
				size += fi.Size()
			}
		}
		t.Logf("SQLite ledger %d KiB for %d hosts: %.1f KiB per host", size/1024, o.Hosts, float64(size)/1024/float64(o.Hosts))
	}
}
