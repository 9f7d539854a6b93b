package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/agent/internal/simulate"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/testbin"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// TestIdleDaemonsCollectorMemory measures what idle agent daemons cost the
// collector. It runs only with MEMLEDGER_BENCH=idle-daemon:
// MEMLEDGER_BENCH_HOSTS daemons (default 1,000) run in this process, each
// with its own spool and a canned inventory of the two-socket fixture
// host, report once to the collector binary (SQLite, plaintext) and then
// idle. Once every report is acknowledged and the fleet has settled, it
// logs the collector's RSS and the connections it holds: first with the
// default (close the connection when the spool is empty), then with
// KeepConnection.
func TestIdleDaemonsCollectorMemory(t *testing.T) {
	if os.Getenv("MEMLEDGER_BENCH") != "idle-daemon" {
		t.Skip("benchmark: set MEMLEDGER_BENCH=idle-daemon")
	}
	hosts := 1000
	if v := os.Getenv("MEMLEDGER_BENCH_HOSTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("MEMLEDGER_BENCH_HOSTS=%q: want a positive number", v)
		}
		hosts = n
	}
	collector := testbin.Build(t, testbin.Collector)
	root := t.TempDir()
	if err := hostfixture.Build(root, hostfixture.TwoSocketServer()); err != nil {
		t.Fatal(err)
	}
	inv, err := scan.Scan(context.Background(), scan.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep-connection=%v", keep), func(t *testing.T) {
			tmp := t.TempDir()
			db := "sqlite:" + filepath.Join(tmp, "ledger.db")
			addr := freeAddr(t)
			_, portText, _ := net.SplitHostPort(addr)
			port, _ := strconv.Atoi(portText)
			col := startProc(t, nil, collector, "--db", db, "serve", "--insecure", "--listen", addr)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var wg sync.WaitGroup
			stateDirs := make([]string, hosts)
			for i := range hosts {
				hostInv := proto.Clone(inv).(*memledgerv1.Inventory)
				hostInv.Host.HostId = fmt.Sprintf("idle-daemon-%06d", i)
				stateDirs[i] = filepath.Join(tmp, "agents", strconv.Itoa(i))
				if err := os.MkdirAll(stateDirs[i], 0o700); err != nil {
					t.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					Run(ctx, Options{
						Collector: addr,
						Send:      send.Options{Insecure: true},
						Scan: func(context.Context) (*memledgerv1.Inventory, error) {
							return proto.Clone(hostInv).(*memledgerv1.Inventory), nil
						},
						StateDir:       stateDirs[i],
						Interval:       time.Hour,
						KeepConnection: keep,
						Backoff:        Backoff{Min: 50 * time.Millisecond, Max: 2 * time.Second},
						Notify:         func(string) error { return nil },
					})
				}()
			}
			start := time.Now()
			deadline := start.Add(10 * time.Minute)
			for {
				acked := 0
				for _, dir := range stateDirs {
					// The state file is written once the report is
					// spooled; an empty spool after it means acknowledged.
					if _, err := os.Stat(stateFile(dir)); err == nil && len(spoolFiles(t, dir)) == 0 {
						acked++
					}
				}
				if acked == hosts {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d reports acknowledged after 10 minutes; collector:\n%s", acked, hosts, col.out)
				}
				time.Sleep(time.Second)
			}
			reported := time.Since(start)
			time.Sleep(10 * time.Second) // let closed connections drain
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", col.cmd.Process.Pid))
			if err != nil {
				t.Fatalf("collector memory: %v", err)
			}
			rss, err := simulate.StatusSize(status, "VmRSS")
			if err != nil {
				t.Fatal(err)
			}
			peak, err := simulate.StatusSize(status, "VmHWM")
			if err != nil {
				t.Fatal(err)
			}
			conns := establishedConns(t, port)
			t.Logf("%d daemons, keep-connection=%v: every report acknowledged in %v; 10 s later the collector holds %d connections, RSS %d MiB (peak %d MiB)",
				hosts, keep, reported.Round(time.Millisecond), conns, rss>>20, peak>>20)
			if want := map[bool]int{false: 0, true: hosts}[keep]; conns != want {
				t.Errorf("collector holds %d connections, want %d", conns, want)
			}
			cancel()
			wg.Wait()
			if err := col.stop(t, syscall.SIGTERM); err != nil {
				t.Fatalf("collector: %v\n%s", err, col.out)
			}
			if got := len(collectorJSON(t, collector, db, "hosts")); got != hosts {
				t.Errorf("ledger has %d hosts, want %d", got, hosts)
			}
		})
	}
}
