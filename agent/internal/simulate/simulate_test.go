package simulate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/syncbuf"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestFleetVendorMix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	makers := map[string]int{}
	drams := map[string]int{}
	drives := map[string]int{}
	for i := 0; i < 400; i++ {
		h := newHost(r, "sim-t", i, 16, 4)
		if len(h.inv.MemoryModules) != 16 || len(h.inv.StorageDevices) != 4 {
			t.Fatalf("host %d: %d modules, %d drives; want 16 and 4", i, len(h.inv.MemoryModules), len(h.inv.StorageDevices))
		}
		if got := h.inv.GetHost().GetHostId(); got != fmt.Sprintf("sim-t-%05d", i) {
			t.Fatalf("host id %q", got)
		}
		m := h.inv.MemoryModules[0]
		if m.GetModuleVendor() == nil {
			t.Fatalf("module %s (%q) not identified", m.GetPartNumber(), m.GetManufacturerRaw())
		}
		makers[m.GetModuleVendor().GetId()+"/"+m.GetModuleVendor().GetParent()]++
		if m.GetDramVendor() != nil {
			drams[m.GetPartNumber()+":"+m.GetDramVendor().GetId()]++
		}
		d := h.inv.StorageDevices[0]
		if d.GetVendor() == nil {
			t.Fatalf("drive %q not identified", d.GetModel())
		}
		drives[d.GetVendor().GetId()+"/"+d.GetVendor().GetParent()]++
	}
	for _, want := range []string{"samsung/samsung", "skhynix/skhynix", "micron/micron", "crucial/micron", "kingston/kingston"} {
		if makers[want] == 0 {
			t.Errorf("no module by %s in 400 hosts: %v", want, makers)
		}
	}
	// Kingston's 12-digit manufacturer strings name the DRAM maker; the
	// part number's die letter agrees (H: SK hynix, M: Micron).
	for _, want := range []string{"KSM32RD4/32HDR:skhynix", "KSM32RD4/32MEI:micron"} {
		if drams[want] == 0 {
			t.Errorf("no %s DRAM in 400 hosts: %v", want, drams)
		}
	}
	for _, want := range []string{"micron/micron", "samsung/samsung", "kioxia/kioxia", "solidigm/skhynix"} {
		if drives[want] == 0 {
			t.Errorf("no drive by %s in 400 hosts: %v", want, drives)
		}
	}
}

func TestFleetIsReproducible(t *testing.T) {
	a := newHost(rand.New(rand.NewPCG(7, 3)), "p", 3, 16, 4)
	b := newHost(rand.New(rand.NewPCG(7, 3)), "p", 3, 16, 4)
	da, _ := inventory.Digest(a.inv)
	db, _ := inventory.Digest(b.inv)
	if da != db {
		t.Fatal("same seed, different hosts")
	}
}

func TestChurn(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	h := newHost(r, "p", 0, 16, 4)
	kinds := map[string]int{}
	for i := 0; i < 300; i++ {
		before := h.inv
		d0, _ := inventory.Digest(before)
		what := h.churn(r)
		d1, _ := inventory.Digest(h.inv)
		if d0 == d1 {
			t.Fatalf("churn %q left the digest unchanged", what)
		}
		if d, _ := inventory.Digest(before); d != d0 {
			t.Fatalf("churn %q modified the previous inventory in place", what)
		}
		kinds[strings.SplitN(what, ":", 2)[0]]++
		if n := len(h.inv.StorageDevices); n < 1 || n > 6 {
			t.Fatalf("%d drives after churn, want 1 to 6", n)
		}
		if n := len(h.inv.MemoryModules); n != 16 {
			t.Fatalf("%d modules after churn", n)
		}
	}
	for _, k := range []string{"module swapped", "drive added", "drive removed"} {
		if kinds[k] == 0 {
			t.Errorf("no %q in 300 changes: %v", k, kinds)
		}
	}
}

func TestHistogram(t *testing.T) {
	for us := uint64(0); us < 1<<20; us = us*9/8 + 1 {
		i := bucketOf(us)
		if up := bucketUpper(i); up < us || (i > 0 && bucketUpper(i-1) >= us) {
			t.Fatalf("value %dµs in bucket %d with upper bound %d (previous %d)", us, i, up, bucketUpper(i-1))
		}
		if us >= histLinear && float64(bucketUpper(i)-us) > 0.07*float64(us) {
			t.Fatalf("bucket %d upper %d is more than 7%% above %d", i, bucketUpper(i), us)
		}
	}
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	l := h.snapshot()
	check := func(name string, got, want time.Duration) {
		if got < want || float64(got-want) > 0.04*float64(want) {
			t.Errorf("%s = %v, want %v (+4%%)", name, got, want)
		}
	}
	check("p50", l.P50, 500*time.Millisecond)
	check("p90", l.P90, 900*time.Millisecond)
	check("p99", l.P99, 990*time.Millisecond)
	if l.Max != time.Second || l.Count != 1000 {
		t.Errorf("max %v count %d, want 1s and 1000", l.Max, l.Count)
	}
	var empty histogram
	if l := empty.snapshot(); l.P99 != 0 || l.Count != 0 {
		t.Errorf("empty histogram %+v", l)
	}
}

// fakeCollector keeps each host's last full-inventory digest, answers
// heartbeats with another digest NEED_FULL, and can break streams.
type fakeCollector struct {
	memledgerv1.UnimplementedIngestServiceServer
	mu        sync.Mutex
	digests   map[string]string
	lastSeq   map[string]uint64
	full      int
	heartbeat int
	badSeq    []string
	// breakEvery ends a stream with Unavailable after that many reports
	// (0: never).
	breakEvery int
	delay      time.Duration
}

func (f *fakeCollector) Report(s grpc.BidiStreamingServer[memledgerv1.ReportRequest, memledgerv1.ReportResponse]) error {
	n := 0
	for {
		req, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		n++
		if f.breakEvery > 0 && n%f.breakEvery == 0 {
			return status.Error(codes.Unavailable, "collector restarting")
		}
		time.Sleep(f.delay)
		resp := &memledgerv1.ReportResponse{Sequence: req.GetSequence(), Status: memledgerv1.AckStatus_ACK_STATUS_COMMITTED}
		f.mu.Lock()
		host := req.GetHostId()
		if req.GetSequence() <= f.lastSeq[host] {
			f.badSeq = append(f.badSeq, fmt.Sprintf("%s: %d after %d", host, req.GetSequence(), f.lastSeq[host]))
		}
		f.lastSeq[host] = req.GetSequence()
		if inv := req.GetInventory(); inv != nil {
			f.full++
			d, err := inventory.Digest(inv)
			if err != nil {
				f.mu.Unlock()
				return err
			}
			f.digests[host] = d
		} else {
			f.heartbeat++
			if req.GetHeartbeat().GetInventoryDigest() != f.digests[host] {
				resp.Status = memledgerv1.AckStatus_ACK_STATUS_NEED_FULL
			}
		}
		f.mu.Unlock()
		if err := s.Send(resp); err != nil {
			return err
		}
	}
}

func startFake(t *testing.T, f *fakeCollector) string {
	t.Helper()
	f.digests = map[string]string{}
	f.lastSeq = map[string]uint64{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	memledgerv1.RegisterIngestServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

func TestRunAgainstFakeCollector(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		check func(t *testing.T, s Summary, f *fakeCollector)
	}{
		{
			name: "heartbeats carry the digest of the last full inventory",
			opts: Options{Hosts: 20, Interval: 20 * time.Millisecond, Mode: ModeHeartbeat, Churn: 0.05},
			check: func(t *testing.T, s Summary, f *fakeCollector) {
				if s.NeedFull != 0 {
					t.Errorf("%d NEED_FULL answers: a heartbeat digest differs from the last full inventory", s.NeedFull)
				}
				if s.HeartbeatSent == 0 || s.FullSent < 20 || s.Changes == 0 {
					t.Errorf("sent %d full, %d heartbeats, %d changes: want one full per host, heartbeats, some churn", s.FullSent, s.HeartbeatSent, s.Changes)
				}
				if s.FullSent > 20+s.Changes {
					t.Errorf("%d full reports for 20 hosts and %d changes in heartbeat mode", s.FullSent, s.Changes)
				}
			},
		},
		{
			name: "full mode, back to back, pipelined",
			opts: Options{Hosts: 4, Interval: 0, Window: 4, Mode: ModeFull, Connections: 2},
			check: func(t *testing.T, s Summary, f *fakeCollector) {
				if s.HeartbeatSent != 0 || s.FullSent < 100 {
					t.Errorf("sent %d full, %d heartbeats: want only (many) full reports", s.FullSent, s.HeartbeatSent)
				}
				if s.Connected != 4 {
					t.Errorf("at most %d streams open, want 4", s.Connected)
				}
			},
		},
		{
			name: "broken streams reconnect and resynchronise",
			opts: Options{Hosts: 3, Interval: 10 * time.Millisecond, Mode: ModeHeartbeat},
			check: func(t *testing.T, s Summary, f *fakeCollector) {
				if s.StreamErrors == 0 || !strings.Contains(s.FirstError, "collector restarting") {
					t.Errorf("%d stream errors (first %q), want the fake's breaks counted", s.StreamErrors, s.FirstError)
				}
				if s.Acked == 0 || s.NeedFull != 0 {
					t.Errorf("acked %d, need full %d", s.Acked, s.NeedFull)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCollector{}
			if strings.HasPrefix(tt.name, "broken") {
				f.breakEvery = 7
			}
			var progress syncbuf.Buffer
			o := tt.opts
			o.Collector = startFake(t, f)
			o.Duration = 1500 * time.Millisecond
			o.Seed = 42
			o.Send = send.Options{Insecure: true}
			o.Progress = &progress
			o.ProgressEvery = 200 * time.Millisecond
			sum, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Acked+sum.StreamErrors*uint64(max(o.Window, 1)) < sum.Sent || sum.Acked > sum.Sent {
				t.Errorf("sent %d, acked %d, %d broken streams: unacknowledged reports left", sum.Sent, sum.Acked, sum.StreamErrors)
			}
			if sum.Latency.Count != sum.Acked || sum.Latency.P50 <= 0 || sum.Latency.P99 < sum.Latency.P50 || sum.Latency.Max < sum.Latency.P99 {
				t.Errorf("latency %+v for %d acks", sum.Latency, sum.Acked)
			}
			f.mu.Lock()
			if len(f.badSeq) > 0 {
				t.Errorf("sequences not increasing per host: %v", f.badSeq[:min(5, len(f.badSeq))])
			}
			if uint64(f.full+f.heartbeat) < sum.Acked {
				t.Errorf("collector saw %d reports, simulator counted %d acks", f.full+f.heartbeat, sum.Acked)
			}
			f.mu.Unlock()
			lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
			if len(lines) < 3 || !strings.Contains(lines[0], "streams") || !strings.Contains(lines[0], "acked") {
				t.Errorf("progress output:\n%s", progress.String())
			}
			if !strings.Contains(sum.String(), "acked/s") || !strings.Contains(sum.String(), "p99") {
				t.Errorf("summary:\n%s", sum)
			}
			tt.check(t, sum, f)
		})
	}
}

func TestRunOptions(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{}, "no collector address"},
		{Options{Collector: "x:1", Mode: "sometimes"}, `mode "sometimes"`},
		{Options{Collector: "x:1", Churn: 2}, "churn 2"},
		{Options{Collector: "x:1", Window: -1}, "window -1"},
		{Options{Collector: "x:1", Interval: -time.Second}, "interval"},
		{Options{Collector: "x:1", Modules: 2000}, "2000 modules"},
		{Options{Collector: "x:1", Send: send.Options{Insecure: false}}, "--insecure"},
	}
	for _, tt := range tests {
		_, err := Run(context.Background(), tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%+v) = %v, want an error containing %q", tt.opts, err, tt.want)
		}
	}
}

func TestSpreadDefault(t *testing.T) {
	tests := []struct {
		opts Options
		want time.Duration
	}{
		{Options{Interval: 10 * time.Second, Duration: 30 * time.Second}, 10 * time.Second},
		{Options{Interval: 5 * time.Minute, Duration: 10 * time.Minute}, 30 * time.Second},
		{Options{Interval: 5 * time.Minute, Duration: 6 * time.Minute, Reconnect: true}, 5 * time.Minute},
		// Shorter runs than the spread: every host's first report falls
		// in the first half of the run.
		{Options{Interval: 10 * time.Second, Duration: 3 * time.Second}, 1500 * time.Millisecond},
		{Options{Interval: time.Hour, Duration: 10 * time.Minute, Reconnect: true}, 5 * time.Minute},
		{Options{Interval: 10 * time.Second, Duration: 3 * time.Second, Spread: 8 * time.Second}, 8 * time.Second},
	}
	for _, tt := range tests {
		o := tt.opts
		o.Collector = "x:1"
		if err := o.setDefaults(); err != nil {
			t.Fatal(err)
		}
		if o.Spread != tt.want {
			t.Errorf("interval %v, duration %v, reconnect %v, spread %v: spread %v, want %v",
				tt.opts.Interval, tt.opts.Duration, tt.opts.Reconnect, tt.opts.Spread, o.Spread, tt.want)
		}
	}
}

func TestProgressTerminal(t *testing.T) {
	var b bytes.Buffer
	c := &counters{}
	p := newProgressPrinter(Options{Hosts: 5, Progress: &b, Terminal: true}, c, time.Now())
	c.sent.Store(12345)
	p.line(false)
	c.sent.Store(1)
	p.line(true)
	out := b.String()
	if strings.Count(out, "\r") != 2 || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("terminal progress %q: want two \\r-rewritten lines and one final newline", out)
	}
	parts := strings.Split(out, "\r")
	if len(parts[2]) < len(parts[1]) {
		t.Errorf("shorter line not padded to erase the longer one: %q", out)
	}
}

func TestPeakRSS(t *testing.T) {
	status := "Name:\tmemledger-colle\nVmPeak:\t 2000000 kB\nVmHWM:\t  812344 kB\nVmRSS:\t  700000 kB\n"
	got, err := PeakRSS([]byte(status))
	if err != nil || got != 812344<<10 {
		t.Fatalf("PeakRSS = %d, %v; want %d", got, err, 812344<<10)
	}
	if got, err := StatusSize([]byte(status), "VmRSS"); err != nil || got != 700000<<10 {
		t.Errorf("StatusSize(VmRSS) = %d, %v; want %d", got, err, 700000<<10)
	}
	for _, bad := range []string{"", "VmRSS: 1 kB\n", "VmHWM: 12 MB\n", "VmHWM: x kB\n", "VmHWM: -1 kB\n", "VmHWM: 99999999999999999999 kB\n"} {
		if n, err := PeakRSS([]byte(bad)); err == nil {
			t.Errorf("PeakRSS(%q) = %d, want an error", bad, n)
		}
	}
}

func FuzzPeakRSS(f *testing.F) {
	f.Add([]byte("VmHWM:\t  812344 kB\n"))
	f.Add([]byte("Name:\tx\nVmHWM: 1 kB"))
	f.Add([]byte("VmHWM: 9223372036854775807 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := PeakRSS(b)
		if err == nil && (n < 0 || n%1024 != 0) {
			t.Fatalf("PeakRSS(%q) = %d", b, n)
		}
	})
}
