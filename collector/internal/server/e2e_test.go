package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/memledger/memledger/collector/internal/store"
	_ "github.com/memledger/memledger/collector/internal/store/alldrivers"
	"github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// envPostgres names a PostgreSQL server for the PostgreSQL variants, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const envPostgres = "MEMLEDGER_TEST_POSTGRES"

// ledgers returns the stores to run end-to-end tests against: SQLite
// always, PostgreSQL when envPostgres is set.
func ledgers(t *testing.T) map[string]func(t *testing.T) store.Store {
	m := map[string]func(t *testing.T) store.Store{
		"sqlite": func(t *testing.T) store.Store {
			return openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
		},
	}
	if dsn := os.Getenv(envPostgres); dsn != "" {
		m["postgres"] = func(t *testing.T) store.Store { return openLedger(t, freshPostgresSchema(t, dsn)) }
	} else {
		t.Logf("PostgreSQL variant skipped: set %s to run it", envPostgres)
	}
	return m
}

func openLedger(t *testing.T, dsn string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", store.RedactDSN(dsn), err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// freshPostgresSchema creates a schema dropped at cleanup and returns a DSN
// selecting it.
func freshPostgresSchema(t *testing.T, dsn string) string {
	t.Helper()
	return storetest.FreshPostgresSchema(t, dsn, "memledger_server_test_")
}

func eventKinds(t *testing.T, st store.Store, host string) map[store.EventKind]int {
	t.Helper()
	evs, err := st.Events(context.Background(), store.EventFilter{HostID: host})
	if err != nil {
		t.Fatal(err)
	}
	m := map[store.EventKind]int{}
	for _, e := range evs {
		m[e.Kind]++
	}
	return m
}

func activeSerials(t *testing.T, st store.Store, host string) []string {
	t.Helper()
	parts, err := st.Parts(context.Background(), store.PartFilter{HostIDs: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range parts {
		s = append(s, p.SerialNumber)
	}
	sort.Strings(s)
	return s
}

func inventorySerials(inv *memledgerv1.Inventory) []string {
	var s []string
	for _, m := range inv.GetMemoryModules() {
		s = append(s, m.GetSerialNumber())
	}
	for _, d := range inv.GetStorageDevices() {
		s = append(s, d.GetSerialNumber())
	}
	sort.Strings(s)
	return s
}

// Agents stream to a collector over loopback; the ledger holds what was
// sent, a module swap becomes part_removed + part_added, and a stale
// report changes nothing.
func TestE2EAgentsToLedger(t *testing.T) {
	for name, open := range ledgers(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			ts := startServer(t, st, Options{})
			const agents = 4
			var wg sync.WaitGroup
			errs := make(chan error, agents)
			finals := make([]*memledgerv1.Inventory, agents)
			for a := 0; a < agents; a++ {
				host := fmt.Sprintf("host-%02d", a)
				s := openStream(t, dial(t, ts.addr))
				inv := testInventory(host, 16, 4, a*10)
				digest := mustDigest(t, inv)
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Swap one module: same slot, new serial.
					swapped := testInventory(host, 16, 4, a*10)
					swapped.MemoryModules[3].SerialNumber = fmt.Sprintf("SWAP%04d", a)
					finals[a] = swapped
					reqs := []*memledgerv1.ReportRequest{
						fullReport(host, 100, inv),
						heartbeat(host, 101, digest),
						heartbeat(host, 102, digest),
						fullReport(host, 103, swapped),
						fullReport(host, 50, inv), // stale: must change nothing
					}
					want := []memledgerv1.AckStatus{
						memledgerv1.AckStatus_ACK_STATUS_COMMITTED,
						memledgerv1.AckStatus_ACK_STATUS_COMMITTED,
						memledgerv1.AckStatus_ACK_STATUS_COMMITTED,
						memledgerv1.AckStatus_ACK_STATUS_COMMITTED,
						memledgerv1.AckStatus_ACK_STATUS_DUPLICATE,
					}
					for _, r := range reqs {
						if err := s.Send(r); err != nil {
							errs <- err
							return
						}
					}
					for i := range reqs {
						ack, err := s.Recv()
						if err != nil {
							errs <- fmt.Errorf("%s: ack %d: %w", host, i, err)
							return
						}
						if ack.GetSequence() != reqs[i].GetSequence() || ack.GetStatus() != want[i] {
							errs <- fmt.Errorf("%s: ack %d = %v, want seq %d %v", host, i, ack, reqs[i].GetSequence(), want[i])
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			hosts, err := st.Hosts(context.Background(), store.HostFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) != agents {
				t.Fatalf("ledger has %d hosts, want %d", len(hosts), agents)
			}
			for a := 0; a < agents; a++ {
				host := fmt.Sprintf("host-%02d", a)
				h, err := st.Host(context.Background(), host)
				if err != nil {
					t.Fatal(err)
				}
				if h.LastSequence != 103 || h.ActiveParts != 20 {
					t.Errorf("%s: last sequence %d, %d active parts; want 103 and 20 (the stale report 50 changed nothing)", host, h.LastSequence, h.ActiveParts)
				}
				if got, want := activeSerials(t, st, host), inventorySerials(finals[a]); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: active serials %v, want %v", host, got, want)
				}
				kinds := eventKinds(t, st, host)
				want := map[store.EventKind]int{store.EventHostEnrolled: 1, store.EventPartAdded: 21, store.EventPartRemoved: 1}
				if fmt.Sprint(kinds) != fmt.Sprint(want) {
					t.Errorf("%s: events %v, want %v (enrolled, 20 parts added, swap = 1 removed + 1 added)", host, kinds, want)
				}
			}
		})
	}
}
