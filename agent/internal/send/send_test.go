package send

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestNextSequence(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	us := uint64(now.UnixMicro())
	tests := []struct {
		name string
		last uint64
		now  time.Time
		want uint64
	}{
		{"first report takes the clock", 0, now, us},
		{"clock ahead of last", us - 1000, now, us},
		{"same microsecond", us, now, us + 1},
		{"clock stepped back", us + 5_000_000, now, us + 5_000_001},
		{"clock before 1970", 41, time.Unix(-10, 0), 42},
		{"zero time", 0, time.Time{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextSequence(tt.last, tt.now); got != tt.want {
				t.Errorf("NextSequence(%d, %v) = %d, want %d", tt.last, tt.now, got, tt.want)
			}
		})
	}
}

// fakeCollector is an IngestService answering each report with what
// answer returns (an ack, or an error that ends the stream).
type fakeCollector struct {
	memledgerv1.UnimplementedIngestServiceServer
	mu       sync.Mutex
	received []*memledgerv1.ReportRequest
	answer   func(req *memledgerv1.ReportRequest) (*memledgerv1.ReportResponse, error)
}

func (f *fakeCollector) Report(s grpc.BidiStreamingServer[memledgerv1.ReportRequest, memledgerv1.ReportResponse]) error {
	for {
		req, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.received = append(f.received, req)
		f.mu.Unlock()
		resp, err := f.answer(req)
		if err != nil {
			return err
		}
		if err := s.Send(resp); err != nil {
			return err
		}
	}
}

func commitAll(req *memledgerv1.ReportRequest) (*memledgerv1.ReportResponse, error) {
	return &memledgerv1.ReportResponse{Sequence: req.GetSequence(), Status: memledgerv1.AckStatus_ACK_STATUS_COMMITTED}, nil
}

func startFake(t *testing.T, f *fakeCollector) string {
	t.Helper()
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

func testInventory(host string) *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host: &memledgerv1.Host{HostId: host, Hostname: host},
		MemoryModules: []*memledgerv1.MemoryModule{{
			Locator: "DIMM_A1", SizeBytes: 32 << 30, PartNumber: "M393A4K40DB3-CWE", SerialNumber: "1234ABCD",
			ModuleVendor: &memledgerv1.Vendor{Id: "samsung", Name: "Samsung", Parent: "samsung"},
		}},
	}
}

func TestSend(t *testing.T) {
	f := &fakeCollector{answer: commitAll}
	addr := startFake(t, f)
	before := uint64(time.Now().UnixMicro())
	for _, gz := range []bool{false, true} {
		ack, err := Send(context.Background(), addr, testInventory("h1"), Options{Insecure: true, Gzip: gz})
		if err != nil {
			t.Fatalf("Send (gzip %v): %v", gz, err)
		}
		if ack.Status != memledgerv1.AckStatus_ACK_STATUS_COMMITTED || ack.Sequence < before {
			t.Fatalf("ack = %+v, want committed with a sequence from the clock (>= %d)", ack, before)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.received) != 2 {
		t.Fatalf("collector received %d reports, want 2", len(f.received))
	}
	r := f.received[0]
	if r.GetHostId() != "h1" || r.GetInventory().GetHost().GetHostId() != "h1" || r.GetSentAt() == nil {
		t.Errorf("report = %v, want host h1 with its inventory and sent_at", r)
	}
	if f.received[1].GetSequence() <= r.GetSequence() {
		t.Errorf("second one-shot sequence %d not after the first %d", f.received[1].GetSequence(), r.GetSequence())
	}
}

func TestSendErrors(t *testing.T) {
	reject := &fakeCollector{answer: func(req *memledgerv1.ReportRequest) (*memledgerv1.ReportResponse, error) {
		return nil, status.Errorf(codes.InvalidArgument, "report sequence %d: inventory.memory_modules[0].part_number: 2000 bytes", req.GetSequence())
	}}
	rejectAddr := startFake(t, reject)
	// A port nobody listens on.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := lis.Addr().String()
	lis.Close()

	tests := []struct {
		name     string
		addr     string
		inv      *memledgerv1.Inventory
		opts     Options
		wantCode codes.Code
		wantIn   string
	}{
		{"TLS requested", rejectAddr, testInventory("h1"), Options{}, codes.Unknown, "or --insecure for plaintext"},
		{"no host id", rejectAddr, testInventory(""), Options{Insecure: true}, codes.Unknown, "no host id"},
		{"rejected", rejectAddr, testInventory("h1"), Options{Insecure: true}, codes.InvalidArgument, "part_number: 2000 bytes"},
		{"no collector", deadAddr, testInventory("h1"), Options{Insecure: true, Timeout: 5 * time.Second}, codes.Unavailable, deadAddr},
		{"empty address", "", testInventory("h1"), Options{Insecure: true}, codes.Unknown, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Send(context.Background(), tt.addr, tt.inv, tt.opts)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not contain %q", err, tt.wantIn)
			}
			if status.Code(err) != tt.wantCode {
				t.Errorf("status code %v, want %v (error %v)", status.Code(err), tt.wantCode, err)
			}
		})
	}
}

func TestStreamPipelinesAndTracksPending(t *testing.T) {
	gate := make(chan struct{})
	f := &fakeCollector{answer: func(req *memledgerv1.ReportRequest) (*memledgerv1.ReportResponse, error) {
		<-gate
		return commitAll(req)
	}}
	addr := startFake(t, f)
	cc, err := Dial(addr, Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	s, err := OpenStream(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inv := testInventory("h1")
	// Five reports out before any ack.
	for seq := uint64(1); seq <= 5; seq++ {
		if err := s.Send(FullReport(inv, seq, time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Pending(); len(got) != 5 || got[0] != 1 || got[4] != 5 {
		t.Fatalf("Pending = %v, want [1 2 3 4 5]", got)
	}
	close(gate)
	for seq := uint64(1); seq <= 5; seq++ {
		ack, err := s.Recv()
		if err != nil || ack.Sequence != seq {
			t.Fatalf("Recv = %+v, %v; want ack %d", ack, err, seq)
		}
	}
	if got := s.Pending(); len(got) != 0 {
		t.Fatalf("Pending after all acks = %v", got)
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("Recv after CloseSend = %v, want io.EOF", err)
	}
}

func TestStreamDetectsOutOfOrderAck(t *testing.T) {
	f := &fakeCollector{answer: func(req *memledgerv1.ReportRequest) (*memledgerv1.ReportResponse, error) {
		return &memledgerv1.ReportResponse{Sequence: req.GetSequence() + 100, Status: memledgerv1.AckStatus_ACK_STATUS_COMMITTED}, nil
	}}
	addr := startFake(t, f)
	cc, err := Dial(addr, Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	s, err := OpenStream(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(HeartbeatReport("h1", 7, strings.Repeat("0", 64), time.Now(), time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err == nil || !strings.Contains(err.Error(), "sequence 107 out of order (oldest unacknowledged is 7)") {
		t.Fatalf("Recv = %v, want an out-of-order error", err)
	}
}

func TestAckString(t *testing.T) {
	tests := []struct {
		ack  Ack
		want string
	}{
		{Ack{Status: memledgerv1.AckStatus_ACK_STATUS_COMMITTED}, "committed"},
		{Ack{Status: memledgerv1.AckStatus_ACK_STATUS_DUPLICATE, Message: "sequence 3 already seen"}, "duplicate (sequence 3 already seen)"},
		{Ack{Status: memledgerv1.AckStatus_ACK_STATUS_NEED_FULL}, "need full inventory"},
	}
	for _, tt := range tests {
		if got := tt.ack.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestDialNeedsTLSOrInsecure(t *testing.T) {
	if _, err := Dial("127.0.0.1:1", Options{}); !errors.Is(err, ErrTLSUnsupported) || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("Dial without TLS or Insecure: %v, want ErrTLSUnsupported naming --insecure", err)
	}
	cc, err := Dial("127.0.0.1:1", Options{TLS: &tls.Config{MinVersion: tls.VersionTLS13}})
	if err != nil {
		t.Fatalf("Dial with a TLS config: %v", err)
	}
	cc.Close()
}

func TestCheckHealth(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	cc, err := Dial(lis.Addr().String(), Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		name    string
		status  healthpb.HealthCheckResponse_ServingStatus
		set     bool
		wantErr string
	}{
		{"serving", healthpb.HealthCheckResponse_SERVING, true, ""},
		{"not serving", healthpb.HealthCheckResponse_NOT_SERVING, true, "NOT_SERVING"},
		{"collector stopped", 0, false, "NOT_SERVING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set {
				hs.SetServingStatus(IngestService, tt.status)
			} else {
				hs.Shutdown()
				srv.Stop()
			}
			err := CheckHealth(ctx, cc)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || (!strings.Contains(err.Error(), tt.wantErr) && !strings.Contains(err.Error(), "Unavailable")) {
				t.Fatalf("CheckHealth: %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}
