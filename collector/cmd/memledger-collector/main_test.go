package main

// End-to-end tests of the memledger-collector binary: built with go build,
// run as a subprocess on a 127.0.0.1:0 port, with agents streaming to it
// over loopback.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/store"
	_ "github.com/memledger/memledger/collector/internal/store/alldrivers"
	"github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/syncbuf"
	"github.com/memledger/memledger/internal/testbin"
	"github.com/memledger/memledger/internal/testcorpus"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.RemoveAll()
	os.Exit(code)
}

// collector is a running memledger-collector serve.
type collector struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncbuf.Buffer
	done   chan error
}

// noHostRateLimits turns serve's per-host rate limits off, for tests that
// send a host's changes faster than any real host would.
var noHostRateLimits = []string{"--max-reports-per-hour", "-1", "--max-full-reports-per-hour", "-1", "--max-events-per-day", "-1"}

func startCollector(t *testing.T, db string, args ...string) *collector {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	c := &collector{stderr: &syncbuf.Buffer{}, done: make(chan error, 1)}
	serve := []string{"serve", "--db", db, "--listen", "127.0.0.1:0", "--addr-file", addrFile}
	if !slices.Contains(args, "--ca-dir") {
		serve = append(serve, "--insecure") // plaintext unless the test asks for TLS
	}
	c.cmd = exec.Command(testbin.Build(t, testbin.Collector), append(serve, args...)...)
	c.cmd.Stderr = c.stderr
	c.cmd.Env = append(os.Environ(), "MEMLEDGER_CONFIG=") // no config file from the environment
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			t.Logf("collector log:\n%s", c.stderr.String())
		}
		c.done <- nil // later waits in the test see it ended
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			c.addr = strings.TrimSpace(string(b))
			break
		}
		select {
		case err := <-c.done:
			c.done <- err // the cleanup waits on it too
			t.Fatalf("collector exited before listening: %v\n%s", err, c.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector did not write %s within 30s:\n%s", addrFile, c.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The collector logs the address before it writes the file, but its
	// stderr reaches this buffer through a pipe copied by another goroutine,
	// so the line may trail the file by a moment.
	announced := "msg=listening addr=" + c.addr
	for wait := time.Now().Add(5 * time.Second); !strings.Contains(c.stderr.String(), announced); {
		if time.Now().After(wait) {
			t.Errorf("log does not announce the bound address %s:\n%s", c.addr, c.stderr.String())
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

// wait waits for the collector to exit and returns its exit error.
func (c *collector) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("collector did not exit within 60s")
		return nil
	}
}

// inventoryAt is report i of host: 16 modules and 4 drives; report i > 0
// replaces module i%16 with a module never seen before, so every report
// after the first changes exactly one part (one removed, one added).
func inventoryAt(host string, i int) *memledgerv1.Inventory {
	inv := &memledgerv1.Inventory{
		Host:         &memledgerv1.Host{HostId: host, Hostname: host + ".example.net", Labels: map[string]string{"site": "fra1"}},
		CollectedAt:  timestamppb.Now(),
		AgentVersion: "e2e",
	}
	micron := &memledgerv1.Vendor{Id: "micron", Name: "Micron Technology", Parent: "micron", Evidence: []string{"smbios-module-id"}, Jep106: "1:0x2C"}
	for m := 0; m < 16; m++ {
		// The last report j <= i that replaced slot m, if any.
		serial := fmt.Sprintf("%s-M%02d-0", host, m)
		if i >= m {
			if j := m + 16*((i-m)/16); j > 0 {
				serial = fmt.Sprintf("%s-M%02d-%d", host, m, j)
			}
		}
		inv.MemoryModules = append(inv.MemoryModules, &memledgerv1.MemoryModule{
			Locator: fmt.Sprintf("DIMM_%02d", m), SizeBytes: 64 << 30, MemoryType: "DDR4", FormFactor: "DIMM",
			SpeedMts: 3200, ManufacturerRaw: "Micron", PartNumber: "36ASF8G72PZ-3G2E1", SerialNumber: serial,
			ModuleVendor: micron, Source: "smbios",
		})
	}
	for d := 0; d < 4; d++ {
		inv.StorageDevices = append(inv.StorageDevices, &memledgerv1.StorageDevice{
			Name: fmt.Sprintf("nvme%dn1", d), Transport: "nvme", Model: "Micron_7450_MTFDKCC3T8TFR",
			SerialNumber: fmt.Sprintf("%s-D%d", host, d), SizeBytes: 3840755982336, Vendor: micron, Source: "sysfs",
		})
	}
	return inv
}

// agent streams a fixed list of reports with up to window in flight, and
// remembers what was acknowledged, so it can resume on a new collector.
type agent struct {
	host    string
	reports []*memledgerv1.ReportRequest
	next    int // index of the next report to send
	acked   int // reports acknowledged (a prefix of reports)
	dups    int // acks with status DUPLICATE
}

func newAgent(host string, n int) *agent {
	a := &agent{host: host}
	for i := 0; i < n; i++ {
		a.reports = append(a.reports, &memledgerv1.ReportRequest{
			HostId:   host,
			Sequence: uint64(1000 + i),
			Body:     &memledgerv1.ReportRequest_Inventory{Inventory: inventoryAt(host, i)},
		})
	}
	return a
}

// lastAcked is the sequence of the last acknowledged report, 0 for none.
func (a *agent) lastAcked() uint64 {
	if a.acked == 0 {
		return 0
	}
	return a.reports[a.acked-1].GetSequence()
}

// run streams from the first unacknowledged report until all are
// acknowledged or the stream breaks. onAck is called after every ack.
func (a *agent) run(ctx context.Context, addr string, window int, onAck func()) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := memledgerv1.NewIngestServiceClient(cc).Report(ctx)
	if err != nil {
		return err
	}
	a.next = a.acked // resend everything not acknowledged
	for a.acked < len(a.reports) {
		for a.next < len(a.reports) && a.next-a.acked < window {
			if err := s.Send(a.reports[a.next]); err != nil {
				return fmt.Errorf("send: %w", err)
			}
			a.next++
		}
		ack, err := s.Recv()
		if err != nil {
			return fmt.Errorf("recv: %w", err)
		}
		if want := a.reports[a.acked].GetSequence(); ack.GetSequence() != want {
			return fmt.Errorf("ack for %d, want %d", ack.GetSequence(), want)
		}
		switch ack.GetStatus() {
		case memledgerv1.AckStatus_ACK_STATUS_COMMITTED:
		case memledgerv1.AckStatus_ACK_STATUS_DUPLICATE:
			a.dups++
		default:
			return fmt.Errorf("ack %v for a full report", ack)
		}
		a.acked++
		if onAck != nil {
			onAck()
		}
	}
	s.CloseSend()
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("end of stream: %v", err)
	}
	return nil
}

func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// checkLedger verifies that host's ledger state is exactly that of its
// report with sequence seq.
func checkLedger(t *testing.T, st store.Store, a *agent, seq uint64) {
	t.Helper()
	h, err := st.Host(context.Background(), a.host)
	if err != nil {
		t.Fatalf("%s: %v", a.host, err)
	}
	if h.LastSequence != seq {
		t.Fatalf("%s: ledger at sequence %d, want %d", a.host, h.LastSequence, seq)
	}
	idx := int(seq - 1000)
	if got, want := storetest.ActiveSerials(t, st, a.host), storetest.Serials(a.reports[idx].GetInventory()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: parts %v\nwant those of report %d: %v", a.host, got, seq, want)
	}
}

// A collector killed with SIGKILL mid-stream and restarted holds every
// acknowledged report; the agents send the unacknowledged ones again and
// the ledger ends with each change exactly once.
func TestSIGKILLMidStreamLosesNothingAcknowledged(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "ledger.db")
	c := startCollector(t, db, noHostRateLimits...)
	const hosts, reports, window = 4, 60, 8
	agents := make([]*agent, hosts)
	for i := range agents {
		agents[i] = newAgent(fmt.Sprintf("kill-%d", i), reports)
	}

	// Phase 1: stream until about a third of all reports are acknowledged,
	// then kill the collector without warning.
	var mu sync.Mutex
	total := 0
	killed := make(chan struct{})
	var once sync.Once
	onAck := func() {
		mu.Lock()
		total++
		n := total
		mu.Unlock()
		if n == hosts*reports/3 {
			once.Do(func() {
				c.cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
			})
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, hosts)
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.run(context.Background(), c.addr, window, onAck)
		}()
	}
	wg.Wait()
	<-killed
	if err := c.wait(t); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("collector exit: %v, want killed", err)
	}
	broken := 0
	for i, err := range errs {
		if err != nil {
			broken++
			t.Logf("agent %d stream ended by the kill: %v (acked %d of %d)", i, err, agents[i].acked, reports)
		}
	}
	if broken == 0 {
		t.Fatal("every agent finished before the kill; the test did not kill mid-stream")
	}

	// Every acknowledged report is in the ledger: the host is at least at
	// its last acknowledged sequence, and in exactly the state of some
	// report (a commit is all or nothing).
	st := openStore(t, db)
	for _, a := range agents {
		h, err := st.Host(context.Background(), a.host)
		if err != nil {
			if a.acked == 0 && errors.Is(err, store.ErrNotFound) {
				continue
			}
			t.Fatal(err)
		}
		if h.LastSequence < a.lastAcked() {
			t.Fatalf("%s: ledger at sequence %d after the kill, but %d was acknowledged", a.host, h.LastSequence, a.lastAcked())
		}
		checkLedger(t, st, a, h.LastSequence)
	}
	st.Close()

	// Phase 2: restart on the same ledger; agents resume from their first
	// unacknowledged report.
	c2 := startCollector(t, db, noHostRateLimits...)
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.run(context.Background(), c2.addr, window, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("agent %d after restart: %v", i, err)
		}
	}
	// Graceful stop: exit status 0.
	if err := c2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c2.wait(t); err != nil {
		t.Fatalf("collector after SIGTERM: %v, want exit 0\n%s", err, c2.stderr.String())
	}

	st = openStore(t, db)
	defer st.Close()
	for _, a := range agents {
		checkLedger(t, st, a, a.reports[len(a.reports)-1].GetSequence())
		evs, err := st.Events(context.Background(), store.EventFilter{HostID: a.host})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[store.EventKind]int{}
		for _, e := range evs {
			kinds[e.Kind]++
		}
		// Report 0 enrolls the host with 20 parts; each later report swaps
		// one module (one removed, one added) exactly once, whatever was
		// re-sent.
		want := map[store.EventKind]int{store.EventHostEnrolled: 1, store.EventPartAdded: 20 + reports - 1, store.EventPartRemoved: reports - 1}
		if fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Errorf("%s: events %v, want %v", a.host, kinds, want)
		}
		t.Logf("%s: %d reports acknowledged as duplicates after the restart (committed before the kill, ack lost)", a.host, a.dups)
	}
}

// run runs a memledger binary and returns its standard output.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "MEMLEDGER_CONFIG=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Real dmidecode reports of hosts that cannot run the agent, scanned
// offline with "memledger-agent scan --dmidecode" and loaded with
// "memledger-collector ingest": every module lands in the ledger, attributed
// to the host named in its file, with the maker the scan identified (the
// ledger never re-guesses it); loading the files again changes nothing.
func TestIngestOfflineDmidecodeScans(t *testing.T) {
	dumps, err := filepath.Glob(filepath.Join(testcorpus.Dir(t, "corpus", "linuxhw-dmi", "dmidecode"), "*.txt"))
	if err != nil || len(dumps) == 0 {
		t.Fatalf("no dmidecode reports in the corpus: %v", err)
	}
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	agentBin := testbin.Build(t, testbin.Agent)
	type module struct{ slot, partNumber, maker string }
	want := map[string][]module{} // host -> modules
	var files []string
	for i, dump := range dumps {
		host := fmt.Sprintf("offline-%02d", i)
		out := filepath.Join(dir, host+".json")
		run(t, agentBin, "scan", "--dmidecode", dump, "--host-id", host, "--format", "json", "--output", out)
		files = append(files, out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		inv := new(memledgerv1.Inventory)
		if err := protojson.Unmarshal(b, inv); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		for _, m := range inv.GetMemoryModules() {
			want[host] = append(want[host], module{inventory.Slot(m), m.GetPartNumber(), m.GetModuleVendor().GetId()})
		}
	}
	collector := testbin.Build(t, testbin.Collector)
	out := run(t, collector, append([]string{"ingest", "--db", db}, files...)...)
	if n := strings.Count(out, ": committed"); n != len(files) {
		t.Fatalf("ingest committed %d of %d files:\n%s", n, len(files), out)
	}

	var parts []struct {
		HostID     string `json:"host_id"`
		Kind       string `json:"kind"`
		Slot       string `json:"slot"`
		PartNumber string `json:"part_number"`
		Maker      *struct {
			ID string `json:"id"`
		} `json:"maker"`
	}
	if err := json.Unmarshal([]byte(run(t, collector, "parts", "--db", db, "--kind", "memory", "--format", "json")), &parts); err != nil {
		t.Fatal(err)
	}
	got := map[string][]module{}
	for _, p := range parts {
		maker := ""
		if p.Maker != nil {
			maker = p.Maker.ID
		}
		got[p.HostID] = append(got[p.HostID], module{p.Slot, p.PartNumber, maker})
	}
	for host, mods := range want {
		sortModules := func(m []module) string {
			s := make([]string, len(m))
			for i, x := range m {
				s[i] = fmt.Sprintf("%s|%s|%s", x.slot, x.partNumber, x.maker)
			}
			sort.Strings(s)
			return strings.Join(s, "\n")
		}
		if sortModules(got[host]) != sortModules(mods) {
			t.Errorf("%s: ledger holds\n%s\nwant the scanned modules\n%s", host, sortModules(got[host]), sortModules(mods))
		}
	}
	if len(got) != len(want) {
		t.Errorf("ledger has modules of %d hosts, want %d", len(got), len(want))
	}

	again := run(t, collector, append([]string{"ingest", "--db", db}, files...)...)
	if n := strings.Count(again, "duplicate, nothing changed"); n != len(files) {
		t.Errorf("second ingest: %d of %d files duplicate:\n%s", n, len(files), again)
	}
}

// A one-shot "memledger-agent scan --send" of a whole synthetic host lands
// in the ledger: its modules and drives with their makers; sending the same
// scan again changes nothing.
func TestScanSendOneShot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "host")
	if err := hostfixture.Build(root, hostfixture.Workstation()); err != nil {
		t.Fatal(err)
	}
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	c := startCollector(t, db)
	agentBin := testbin.Build(t, testbin.Agent)
	run(t, agentBin, "scan", "--root", root, "--send", c.addr, "--insecure", "--label", "site=lab")

	var parts []struct {
		HostID string `json:"host_id"`
		Kind   string `json:"kind"`
		Maker  *struct {
			ID     string `json:"id"`
			Parent string `json:"parent"`
		} `json:"maker"`
	}
	collector := testbin.Build(t, testbin.Collector)
	if err := json.Unmarshal([]byte(run(t, collector, "parts", "--db", db, "--format", "json")), &parts); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, p := range parts {
		kinds[p.Kind]++
		if p.HostID != hostfixture.Workstation().MachineID {
			t.Errorf("part of host %q, want the machine id of the scanned tree", p.HostID)
		}
		if p.Maker == nil || p.Maker.Parent != "micron" {
			t.Errorf("part %+v: every part of the workstation is a Micron product (Crucial)", p)
		}
	}
	if kinds["memory"] != 2 || kinds["drive"] != 2 {
		t.Fatalf("ledger holds %v, want 2 memory modules and 2 drives", kinds)
	}
	hosts := run(t, collector, "hosts", "--db", db, "--label", "site=lab")
	if !strings.Contains(hosts, "ws-042") {
		t.Errorf("hosts --label site=lab does not list ws-042:\n%s", hosts)
	}
}

// The simulator speaks TLS as agents do: every simulated host enrolls for
// its own certificate and reports over mutual TLS. It exits non-zero when
// streams break (here: plaintext against the TLS-only collector).
func TestSimulateOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both binaries")
	}
	col, agentBin := testbin.Build(t, testbin.Collector), testbin.Build(t, testbin.Agent)
	dir := t.TempDir()
	caDir, tokens := filepath.Join(dir, "tls"), filepath.Join(dir, "tokens.json")
	out := run(t, col, "ca", "init", "--ca-dir", caDir, "--server-name", "127.0.0.1")
	fp := regexp.MustCompile(`fingerprint \(agents: --ca-sha256\): (\S+)`).FindStringSubmatch(out)
	if fp == nil {
		t.Fatalf("ca init printed no fingerprint:\n%s", out)
	}
	token := strings.TrimSpace(run(t, col, "enroll-token", "create", "--tokens-file", tokens, "--uses", "3", "--ttl", "1h"))
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	c := startCollector(t, db, "--ca-dir", caDir, "--tokens-file", tokens)

	out = run(t, agentBin, "simulate", "--collector", c.addr, "--hosts", "3", "--duration", "2s", "--interval", "100ms",
		"--seed", "11", "--token", token, "--ca-sha256", fp[1])
	if !strings.Contains(out, "errors:       0 broken streams") || !strings.Contains(out, "lost:         0 reports") {
		t.Fatalf("simulate over TLS:\n%s", out)
	}
	hosts := run(t, col, "hosts", "--db", db, "--format", "csv")
	if n := strings.Count(hosts, "\nsim-"); n != 3 {
		t.Errorf("the ledger lists %d simulated hosts, want 3:\n%s", n, hosts)
	}

	// Plaintext against a TLS collector: every stream breaks, exit 1.
	cmd := exec.Command(agentBin, "simulate", "--collector", c.addr, "--hosts", "2", "--duration", "1s", "--interval", "100ms", "--insecure")
	cmd.Env = append(os.Environ(), "MEMLEDGER_CONFIG=")
	sumOut, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(sumOut), "broken streams") {
		t.Fatalf("simulate with broken streams: %v, want exit 1\n%s", err, sumOut)
	}
	// Without any transport flag the simulator refuses to start (usage).
	cmd = exec.Command(agentBin, "simulate", "--collector", c.addr)
	if err := cmd.Run(); !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("simulate without TLS or --insecure: %v, want exit 2", err)
	}
}

// Two hosts of one board model whose firmware fills module serials with
// placeholders (storetest.BoardTwin), scanned offline round after round
// and loaded with "memledger-collector ingest" in shuffled orders and
// again: every placeholder-serial module stays on its host (never moved,
// never removed), the one module with a real serial taken from the first
// host to the second is one move, check passes, and a restrict-new policy
// in force from the second round reports that module on its new host and
// nothing else.
func TestIngestBoardTwinsKeepTheirParts(t *testing.T) {
	const rounds, moveRound, traveller = 6, 3, "TWINREAL0001"
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	collector := testbin.Build(t, testbin.Collector)
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	hosts := []string{"twin-a", "twin-b"}
	r := rand.New(rand.NewPCG(14, 2))
	var all []string
	for round := range rounds {
		var files []string
		for _, host := range hosts {
			var real []string
			if (host == "twin-a") == (round < moveRound) {
				real = []string{traveller}
			}
			inv := storetest.BoardTwin(host, round, real...)
			inv.CollectedAt = timestamppb.New(base.Add(time.Duration(round)*24*time.Hour + time.Duration(r.IntN(600))*time.Minute))
			b, err := protojson.Marshal(inv)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%d.json", host, round))
			if err := os.WriteFile(name, b, 0o600); err != nil {
				t.Fatal(err)
			}
			files = append(files, name)
		}
		r.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
		if r.IntN(2) == 0 {
			run(t, collector, append([]string{"ingest", "--db", db}, files...)...)
		} else {
			for _, f := range files {
				run(t, collector, "ingest", "--db", db, f)
			}
		}
		all = append(all, files...)
	}
	// Everything again, in another order: nothing changes.
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	if out := run(t, collector, append([]string{"ingest", "--db", db}, all...)...); strings.Count(out, "duplicate, nothing changed") != len(all) {
		t.Errorf("second ingest changed something:\n%s", out)
	}
	run(t, collector, "check", "--db", db)

	var parts []struct {
		ID           int64  `json:"id"`
		HostID       string `json:"host_id"`
		SerialNumber string `json:"serial_number"`
		RealSerial   bool   `json:"real_serial"`
	}
	if err := json.Unmarshal([]byte(run(t, collector, "parts", "--db", db, "--removed", "--format", "json")), &parts); err != nil {
		t.Fatal(err)
	}
	travellerParts := map[int64]bool{}
	perHost := map[string]int{}
	for _, p := range parts {
		if p.SerialNumber == traveller {
			travellerParts[p.ID] = true
			continue
		}
		if p.RealSerial {
			t.Errorf("part %d on %s with serial %q counted as real", p.ID, p.HostID, p.SerialNumber)
		}
		perHost[p.HostID]++
	}
	for _, host := range hosts {
		if want := len(storetest.PlaceholderSerials) + 2; perHost[host] != want {
			t.Errorf("%s: %d placeholder-serial parts in the ledger, want %d", host, perHost[host], want)
		}
	}
	var events []struct {
		HostID  string         `json:"host_id"`
		PartID  int64          `json:"part_id"`
		Kind    string         `json:"kind"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	if err := json.Unmarshal([]byte(run(t, collector, "history", "--db", db, "--format", "json")), &events); err != nil {
		t.Fatal(err)
	}
	moves := 0
	for _, ev := range events {
		switch ev.Kind {
		case "part_moved", "part_removed", "serial_clash":
			if !travellerParts[ev.PartID] {
				t.Errorf("%s on %s about a placeholder-serial part: %s", ev.Kind, ev.HostID, ev.Message)
			}
			if ev.Kind == "part_moved" && ev.HostID == "twin-b" && ev.Details["from_host_id"] == "twin-a" {
				moves++
			}
		}
	}
	if moves != 1 {
		t.Errorf("%d moves of %s to twin-b, want 1", moves, traveller)
	}

	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(`version: 1
rules:
  - id: no-new-memory
    title: "no new memory modules from the second round"
    match:
      vendors: [skhynix, micron]
      components: [module]
    effective: 2025-03-02
    action: restrict-new
    baseline: strict
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Violations []struct {
			Host   string `json:"host_id"`
			Serial string `json:"serial_number"`
		} `json:"violations"`
	}
	if err := json.Unmarshal([]byte(run(t, collector, "report", "--db", db, "--policy", policyFile, "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) != 1 || rep.Violations[0].Host != "twin-b" || rep.Violations[0].Serial != traveller {
		t.Errorf("violations %+v, want only %s on twin-b (moved there after the rule)", rep.Violations, traveller)
	}
}
