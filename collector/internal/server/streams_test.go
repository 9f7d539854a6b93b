package server

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/pki/pkitest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// tlsFleet is a collector in enrollment mode (client certificates
// optional at the handshake) and client configurations for it.
type tlsFleet struct {
	pki *pkitest.Fleet
	ts  *testServer
}

func startTLSFleet(t *testing.T, opts Options) *tlsFleet {
	t.Helper()
	return startTLSFleetOn(t, newFakeStore(), opts)
}

// startTLSFleetOn is startTLSFleet committing to st.
func startTLSFleetOn(t *testing.T, st store.Store, opts Options) *tlsFleet {
	t.Helper()
	fleet := pkitest.NewFleet(t, "fleet CA", time.Now(), "localhost", "127.0.0.1")
	srvTLS, err := pki.ServerTLSConfig(fleet.ServerCertFile, fleet.ServerKeyFile, fleet.CAFile, false)
	if err != nil {
		t.Fatal(err)
	}
	opts.TLS = srvTLS
	return &tlsFleet{pki: fleet, ts: startServer(t, st, opts)}
}

// client returns a TLS configuration with a certificate for host, or
// none when host is "".
func (f *tlsFleet) client(t *testing.T, host string) *tls.Config {
	t.Helper()
	if host == "" {
		cfg, err := pki.PinnedTLSConfig(f.pki.CAFile, "", "localhost", nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	certFile, keyFile := f.pki.ClientFiles(t, host, time.Now(), 0)
	cfg, err := pki.ClientTLSConfig(certFile, keyFile, f.pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openCommitted opens a Report stream for host on cc and has one report
// committed, so that the stream is open on the server.
func openCommitted(t *testing.T, cc *grpc.ClientConn, host string, seq uint64) (reportClient, error) {
	t.Helper()
	s := openStream(t, cc)
	if err := s.Send(fullReport(host, seq, testInventory(host, 1, 0, 0))); err != nil {
		_, err := s.Recv()
		return nil, err
	}
	if _, err := s.Recv(); err != nil {
		return nil, err
	}
	return s, nil
}

// One certificate opened 20,000 streams and every other host got
// ResourceExhausted. Now one host's streams are capped and another host
// still gets in.
func TestStreamCapPerHost(t *testing.T) {
	f := startTLSFleet(t, Options{MaxStreamsPerHost: 3})
	hostile := dialTLS(t, f.ts.addr, f.client(t, "host-a"))
	for i := range 3 {
		if _, err := openCommitted(t, hostile, "host-a", uint64(100+i)); err != nil {
			t.Fatalf("stream %d of host-a: %v", i+1, err)
		}
	}
	if _, err := openCommitted(t, hostile, "host-a", 200); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("fourth stream of host-a: %v, want ResourceExhausted", err)
	}
	// A health Watch counts against the same host's cap.
	w, err := healthpb.NewHealthClient(hostile).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("Watch beyond host-a's cap: %v, want ResourceExhausted", err)
	}
	other := dialTLS(t, f.ts.addr, f.client(t, "host-b"))
	if _, err := openCommitted(t, other, "host-b", 100); err != nil {
		t.Fatalf("host-b while host-a is at its cap: %v", err)
	}
	if got := f.ts.srv.Stats().RefusedStreams; got != 2 {
		t.Errorf("RefusedStreams = %d, want 2", got)
	}
}

// Without a client certificate, only the unary health Check (probes) and
// Enroll are served: 150,000 health Watch streams were accepted.
func TestUnauthenticatedOnlyHealthCheck(t *testing.T) {
	f := startTLSFleet(t, Options{})
	cc := dialTLS(t, f.ts.addr, f.client(t, ""))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: IngestServiceName})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health Check without a certificate: %v %v, want SERVING", resp, err)
	}
	w, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("health Watch without a certificate: %v, want Unauthenticated", err)
	}
	rs, err := reflectionpb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err == nil {
		// A refused stream may end before the request is sent (Send
		// then says io.EOF); Recv has the status either way.
		_ = rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		_, err = rs.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("reflection without a certificate: %v, want Unauthenticated", err)
	}
	// With a certificate, reflection works (grpcurl with the agent's files).
	authed := dialTLS(t, f.ts.addr, f.client(t, "host-a"))
	rs, err = reflectionpb.NewServerReflectionClient(authed).ServerReflectionInfo(ctx)
	if err == nil {
		if err = rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err == nil {
			_, err = rs.Recv()
		}
	}
	if err != nil {
		t.Fatalf("reflection with a certificate: %v", err)
	}
}

// Every stream, of any service, counts against MaxStreams (plaintext too).
func TestMaxStreamsCoversHealthWatch(t *testing.T) {
	ts := startServer(t, newFakeStore(), Options{MaxStreams: 2})
	cc := dial(t, ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2 {
		w, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = w.Recv() // the first update: the stream is open
		}
		if err != nil {
			t.Fatalf("Watch %d: %v", i+1, err)
		}
	}
	w, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = w.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third Watch: %v, want ResourceExhausted", err)
	}
}

// A stream on which nothing happens is closed with Unavailable after the
// idle timeout, and its slot is free again.
func TestIdleStreamClosed(t *testing.T) {
	ts := startServer(t, newFakeStore(), Options{StreamIdleTimeout: 300 * time.Millisecond, MaxStreams: 1})
	cc := dial(t, ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := memledgerv1.NewIngestServiceClient(cc).Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(fullReport("h1", 1, testInventory("h1", 1, 0, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("idle stream: %v, want Unavailable (closed as idle) before the test's 10s deadline", err)
	}
	if _, err := openCommitted(t, cc, "h2", 1); err != nil {
		t.Fatalf("a new stream after the idle one was closed: %v", err)
	}
}

// Beyond MaxConns, a new connection waits until one closes.
func TestMaxConns(t *testing.T) {
	ts := startServer(t, newFakeStore(), Options{MaxConns: 1})
	first := dial(t, ts.addr)
	if _, err := openCommitted(t, first, "h1", 1); err != nil {
		t.Fatal(err)
	}
	second := dial(t, ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := healthpb.NewHealthClient(second).Check(ctx, &healthpb.HealthCheckRequest{}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("second connection while the first is open: %v, want DeadlineExceeded (not served)", err)
	}
	first.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(second).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("second connection after the first closed: %v", err)
	}
}
