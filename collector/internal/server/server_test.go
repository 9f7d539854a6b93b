package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// noHostLimits turns the per-host limits off, for tests of other limits
// that send many reports of one host.
var noHostLimits = HostLimits{ReportsPerHour: -1, FullReportsPerHour: -1, EventsPerDay: -1}

// testServer is a Server on a loopback port.
type testServer struct {
	srv    *Server
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func startServer(t *testing.T, st store.Store, opts Options) *testServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: New(st, opts), addr: lis.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- ts.srv.Serve(ctx, lis) }()
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop shuts the server down and returns Serve's result.
func (ts *testServer) stop(t *testing.T) error {
	t.Helper()
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30s")
		return nil
	}
}

func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

type reportClient = grpc.BidiStreamingClient[memledgerv1.ReportRequest, memledgerv1.ReportResponse]

func openStream(t testing.TB, cc *grpc.ClientConn, opts ...grpc.CallOption) reportClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := memledgerv1.NewIngestServiceClient(cc).Report(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustDigest(t testing.TB, inv *memledgerv1.Inventory) string {
	t.Helper()
	d, err := inventory.Digest(inv)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func recvAck(t *testing.T, s reportClient) *memledgerv1.ReportResponse {
	t.Helper()
	ack, err := s.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return ack
}

func TestServerAcksInOrderPipelined(t *testing.T) {
	st := newFakeStore()
	ts := startServer(t, st, Options{StreamWindow: 8})
	s := openStream(t, dial(t, ts.addr))
	inv := testInventory("h1", 16, 4, 0)
	digest := mustDigest(t, inv)
	other := strings.Repeat("0", 64)

	type step struct {
		req  *memledgerv1.ReportRequest
		want memledgerv1.AckStatus
	}
	steps := []step{
		{heartbeat("h1", 10, digest), memledgerv1.AckStatus_ACK_STATUS_NEED_FULL}, // unknown host
		{fullReport("h1", 11, inv), memledgerv1.AckStatus_ACK_STATUS_COMMITTED},
		{fullReport("h1", 11, inv), memledgerv1.AckStatus_ACK_STATUS_DUPLICATE}, // resent
		{fullReport("h1", 5, inv), memledgerv1.AckStatus_ACK_STATUS_DUPLICATE},  // stale
		{heartbeat("h1", 12, other), memledgerv1.AckStatus_ACK_STATUS_NEED_FULL},
	}
	for seq := uint64(13); seq < 60; seq++ {
		steps = append(steps, step{heartbeat("h1", seq, digest), memledgerv1.AckStatus_ACK_STATUS_COMMITTED})
	}
	// Send everything without waiting (more than the window, so the
	// server must keep reading as acks go out), read the acks concurrently.
	sendErr := make(chan error, 1)
	go func() {
		for _, st := range steps {
			if err := s.Send(st.req); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- s.CloseSend()
	}()
	for i, st := range steps {
		ack := recvAck(t, s)
		if ack.GetSequence() != st.req.GetSequence() || ack.GetStatus() != st.want {
			t.Fatalf("ack %d = seq %d %v (%q), want seq %d %v", i, ack.GetSequence(), ack.GetStatus(), ack.GetMessage(), st.req.GetSequence(), st.want)
		}
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("after the last ack: %v, want io.EOF (clean end)", err)
	}
	if got := st.appliedSeqs("h1"); len(got) != 1+47 || got[0] != 11 {
		t.Errorf("applied %v, want the full report 11 then 47 heartbeats", got)
	}
}

// rawCodec lets a test send bytes that protobuf-go would refuse to encode.
type rawCodec struct{}

type rawMsg []byte

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if r, ok := v.(*rawMsg); ok {
		return mem.BufferSlice{mem.SliceBuffer(*r)}, nil
	}
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}

func (rawCodec) Name() string { return "proto" }

func TestServerRejectsBadReports(t *testing.T) {
	inv := testInventory("h1", 2, 1, 0)
	tooMany := testInventory("h1", 1025, 0, 0)
	longPN := testInventory("h1", 2, 0, 0)
	longPN.MemoryModules[1].PartNumber = strings.Repeat("P", 2000)
	otherHost := testInventory("h2", 1, 0, 0)
	tests := []struct {
		name string
		bad  any // *memledgerv1.ReportRequest or *rawMsg
		want string
	}{
		{"sequence zero", heartbeat("h1", 0, strings.Repeat("a", 64)), "report sequence 0: sequence: required"},
		{"no body", &memledgerv1.ReportRequest{HostId: "h1", Sequence: 9}, "report sequence 9: body: required"},
		{"bad digest", heartbeat("h1", 9, "xyz"), "heartbeat.inventory_digest"},
		{"too many modules", fullReport("h1", 9, tooMany), "inventory.memory_modules: 1025 modules, more than the limit of 1024"},
		{"long part number", fullReport("h1", 9, longPN), "inventory.memory_modules[1].part_number: 2000 bytes"},
		{"inventory of another host", fullReport("h1", 9, otherHost), `inventory.host.host_id: "h2" differs`},
		{"another host on the stream", heartbeat("h2", 9, strings.Repeat("a", 64)), `host_id "h2" differs from this stream's host "h1"`},
		{"invalid utf8 on the wire", &rawMsg{0x0a, 0x02, 'h', 0xff, 0x10, 0x09}, "report sequence 9: host_id: not valid UTF-8"},
		{"garbage", &rawMsg{0xff, 0xff}, "cannot decode 2 bytes"},
	}
	st := newFakeStore()
	ts := startServer(t, st, Options{})
	cc := dial(t, ts.addr)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStream(t, cc, grpc.ForceCodecV2(rawCodec{}))
			// Two good reports pipelined before the bad one: they are
			// acknowledged, then the stream ends with the reason.
			for _, m := range []any{fullReport("h1", 1, inv), heartbeat("h1", 2, mustDigest(t, inv)), tt.bad} {
				if err := s.SendMsg(m); err != nil {
					t.Fatal(err)
				}
			}
			for _, seq := range []uint64{1, 2} {
				ack := recvAck(t, s)
				if ack.GetSequence() != seq {
					t.Fatalf("ack for %d, want %d", ack.GetSequence(), seq)
				}
			}
			_, err := s.Recv()
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), tt.want) {
				t.Fatalf("after the bad report: %v, want InvalidArgument containing %q", err, tt.want)
			}
		})
	}
	if got := ts.srv.Stats().Rejected; got != uint64(len(tests)) {
		t.Errorf("Stats().Rejected = %d, want %d", got, len(tests))
	}
}

func TestServerMessageSizeLimit(t *testing.T) {
	ts := startServer(t, newFakeStore(), Options{MaxRecvMsgSize: 16 << 10})
	s := openStream(t, dial(t, ts.addr))
	big := testInventory("h1", 400, 0, 0) // ~70 KiB
	if err := s.Send(fullReport("h1", 1, big)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Recv()
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("oversized report: %v, want ResourceExhausted", err)
	}
}

func TestServerMaxStreams(t *testing.T) {
	ts := startServer(t, newFakeStore(), Options{MaxStreams: 1})
	cc := dial(t, ts.addr)
	first := openStream(t, cc)
	inv := testInventory("h1", 1, 0, 0)
	if err := first.Send(fullReport("h1", 1, inv)); err != nil {
		t.Fatal(err)
	}
	recvAck(t, first) // the first stream is open on the server now
	second := openStream(t, cc)
	if err := second.Send(fullReport("h2", 1, testInventory("h2", 1, 0, 0))); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if _, err := second.Recv(); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("second stream: %v, want ResourceExhausted", err)
	}
}

// An agent that floods reports and never reads its acks (its acks pile up
// in its own receive window until flow control stops the collector's
// sender, and then its reports stop being read) does not slow another agent
// down, and holds at most its window of reports in the collector.
func TestServerSlowAgentDoesNotBlockOthers(t *testing.T) {
	st := newFakeStore()
	ts := startServer(t, st, Options{StreamWindow: 4, Committer: CommitterOptions{QueueSize: 8}, HostLimits: noHostLimits})
	cc := dial(t, ts.addr)
	slow := openStream(t, cc)
	inv := testInventory("slow", 16, 4, 0)
	go func() {
		// Far more than the window and queue: blocks once flow control
		// pushes back, and never reads an ack.
		for seq := uint64(1); seq <= 2000; seq++ {
			if slow.Send(fullReport("slow", seq, inv)) != nil {
				return
			}
		}
	}()
	waitFor(t, func() bool { return len(st.appliedSeqs("slow")) >= 4 })

	fast := openStream(t, dial(t, ts.addr))
	finv := testInventory("fast", 2, 1, 0)
	for seq := uint64(1); seq <= 50; seq++ {
		if err := fast.Send(fullReport("fast", seq, finv)); err != nil {
			t.Fatal(err)
		}
		if ack := recvAck(t, fast); ack.GetSequence() != seq {
			t.Fatalf("fast agent: ack %d for report %d", ack.GetSequence(), seq)
		}
	}
	// The flooding stream holds at most its window of reports, plus the
	// one its receive goroutine has in hand, in the collector.
	size := inflightCost(proto.Size(fullReport("slow", 2000, inv)), 20)
	if got := ts.srv.Stats().InflightBytes; got > 5*size {
		t.Errorf("in-flight bytes %d, want at most 5 reports (%d)", got, 5*size)
	}
}

// With a small in-flight byte budget and a stalled database, the server
// stops reading instead of buffering: the budget is never exceeded.
func TestServerBackpressure(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	const budget = 512 << 10
	ts := startServer(t, st, Options{MaxInflightBytes: budget, StreamWindow: 64, HostLimits: noHostLimits})
	inv := testInventory("h", 16, 4, 0)
	size := inflightCost(proto.Size(fullReport("h0", 1, inv)), 20)
	// Every stream opens before any report fills the budget: once it is
	// exhausted, new connections wait in the backlog (acceptGate).
	var streams []reportClient
	for a := 0; a < 8; a++ {
		streams = append(streams, openStream(t, dial(t, ts.addr)))
	}
	var wg sync.WaitGroup
	for a, s := range streams {
		host := fmt.Sprint("h", a)
		hinv := testInventory(host, 16, 4, 0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= 40; seq++ {
				if s.Send(fullReport(host, seq, hinv)) != nil {
					return
				}
			}
		}()
	}
	// Wait for the server to fill its budget, then check it stays bounded.
	waitFor(t, func() bool { return ts.srv.Stats().InflightBytes > budget-2*size })
	for i := 0; i < 20; i++ {
		if got := ts.srv.Stats().InflightBytes; got > budget {
			t.Fatalf("in-flight bytes %d over the budget %d", got, budget)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(st.gate)
}

func TestServerGracefulShutdownAcksReceivedReports(t *testing.T) {
	st := newFakeStore()
	st.gate = make(chan struct{})
	ts := startServer(t, st, Options{StreamWindow: 16})
	s := openStream(t, dial(t, ts.addr))
	inv := testInventory("h1", 4, 1, 0)
	digest := mustDigest(t, inv)
	if err := s.Send(fullReport("h1", 1, inv)); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(2); seq <= 10; seq++ {
		if err := s.Send(heartbeat("h1", seq, digest)); err != nil {
			t.Fatal(err)
		}
	}
	// All ten are received (queued or at the gate) before shutdown starts.
	waitFor(t, func() bool { return ts.srv.Stats().Committer.Submitted == 10 && st.atGate.Load() == 1 })
	stopped := make(chan error, 1)
	go func() { stopped <- ts.stop(t) }()
	waitFor(t, func() bool { ts.srv.intake.RLock(); defer ts.srv.intake.RUnlock(); return ts.srv.draining })
	close(st.gate)
	for seq := uint64(1); seq <= 10; seq++ {
		if ack := recvAck(t, s); ack.GetSequence() != seq || ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
			t.Fatalf("ack %d during shutdown: %v", seq, ack)
		}
	}
	if _, err := s.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("after the acks: %v, want Unavailable (shutting down)", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Serve after shutdown: %v", err)
	}
	if got := st.appliedSeqs("h1"); len(got) != 10 {
		t.Fatalf("applied %v, want 10 reports", got)
	}
}

func TestServerHealthReflectionGzip(t *testing.T) {
	ts := startServer(t, newFakeStore(), Options{})
	cc := dial(t, ts.addr)
	ctx := context.Background()
	for _, svc := range []string{"", IngestServiceName} {
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health %q: %v, %v", svc, resp, err)
		}
	}

	rs, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := rs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), IngestServiceName) {
		t.Fatalf("reflection lists %v, want %s", names, IngestServiceName)
	}
	// grpcurl describes the service from its file descriptor.
	if err := rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: IngestServiceName}}); err != nil {
		t.Fatal(err)
	}
	if resp, err := rs.Recv(); err != nil || len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Fatalf("file containing %s: %v, %v", IngestServiceName, resp, err)
	}

	s := openStream(t, cc, grpc.UseCompressor(gzip.Name))
	inv := testInventory("gz", 16, 4, 0)
	if err := s.Send(fullReport("gz", 1, inv)); err != nil {
		t.Fatal(err)
	}
	if ack := recvAck(t, s); ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
		t.Fatalf("gzip-compressed report: %v", ack)
	}
}

// A commit that fails ends the stream with Unavailable, without an ack, so
// the agent sends the report again.
func TestServerCommitFailureIsUnavailable(t *testing.T) {
	st := newFakeStore()
	st.fail = func([]store.Report) error { return errors.New("database is locked") }
	ts := startServer(t, st, Options{})
	s := openStream(t, dial(t, ts.addr))
	if err := s.Send(fullReport("h1", 1, testInventory("h1", 1, 0, 0))); err != nil {
		t.Fatal(err)
	}
	_, err := s.Recv()
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "sequence 1 was not committed") {
		t.Fatalf("failed commit: %v, want Unavailable naming the sequence", err)
	}
	if strings.Contains(err.Error(), "locked") {
		t.Errorf("database details leaked to the agent: %v", err)
	}
}
