package server

import (
	"context"
	"crypto/x509"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/collector/internal/enroll"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Stream admission (docs/security.md, "Limits"): every gRPC stream, of any
// service, passes admitStream. With TLS on, a stream needs a verified
// client certificate (health Watch and reflection included: only the unary
// health Check and Enroll are open to strangers, so that probes and
// enrollment work); the streams of one certificate's host are capped, so
// one agent key cannot take the collector's stream slots from the fleet;
// and the streams of all peers together are capped by MaxStreams.

// openUnaryMethods are the unary methods a peer without a client
// certificate may call: what probes and enrollment need.
var openUnaryMethods = map[string]bool{
	healthpb.Health_Check_FullMethodName:            true,
	memledgerv1.EnrollService_Enroll_FullMethodName: true,
}

// streamSlots counts open streams, in all and per certificate host, and
// keeps the certificate of each for revocation checks.
type streamSlots struct {
	mu      sync.Mutex
	total   int
	perHost map[string]int
	open    map[*certedStream]struct{}
	// held counts, per host, refusals being held (holdRefusal).
	held map[string]int
}

// certedStream is a stream admitted with a client certificate.
type certedStream struct {
	host   string
	cert   *x509.Certificate
	cancel context.CancelCauseFunc
}

// certStream is a server stream whose context ends when its certificate is
// revoked.
type certStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (c *certStream) Context() context.Context { return c.ctx }

// take reserves a slot for host ("" without TLS) or returns the status
// that refuses the stream.
func (s *Server) takeStreamSlot(host string) error {
	sl := &s.slots
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.total >= s.opts.MaxStreams {
		return status.Errorf(codes.ResourceExhausted, "collector serves at most %d streams; retry later", s.opts.MaxStreams)
	}
	if host != "" && sl.perHost[host] >= s.opts.MaxStreamsPerHost {
		return status.Errorf(codes.ResourceExhausted, "host %.80q already has %d open streams, the most one host may have; close one or retry later", host, s.opts.MaxStreamsPerHost)
	}
	sl.total++
	if host != "" {
		if sl.perHost == nil {
			sl.perHost = map[string]int{}
		}
		sl.perHost[host]++
	}
	return nil
}

// holdRefusal delays a refusal of host's stream by refusalHold, as for a
// report over a host limit: an agent that opens streams in a loop beyond
// its cap would otherwise make the collector receive and refuse hundreds a
// second. At most MaxStreamsPerHost refusals of a host are held at once;
// others are sent at once.
func (s *Server) holdRefusal(ctx context.Context, host string) {
	if host == "" {
		return
	}
	sl := &s.slots
	sl.mu.Lock()
	if sl.held[host] >= s.opts.MaxStreamsPerHost {
		sl.mu.Unlock()
		return
	}
	if sl.held == nil {
		sl.held = map[string]int{}
	}
	sl.held[host]++
	sl.mu.Unlock()
	t := time.NewTimer(refusalHold)
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	sl.mu.Lock()
	if sl.held[host]--; sl.held[host] <= 0 {
		delete(sl.held, host)
	}
	sl.mu.Unlock()
}

func (s *Server) releaseStreamSlot(host string) {
	sl := &s.slots
	sl.mu.Lock()
	defer sl.mu.Unlock()
	sl.total--
	if host != "" {
		if sl.perHost[host]--; sl.perHost[host] <= 0 {
			delete(sl.perHost, host)
		}
	}
}

// peerHost returns the host of ctx's verified client certificate; "" and
// no error without TLS. A refusal is logged once per stream or call.
func (s *Server) peerHost(ctx context.Context, method string) (string, error) {
	if s.opts.TLS == nil {
		return "", nil
	}
	host, _, err := s.peerCert(ctx, method)
	return host, err
}

// peerCert is peerHost with the certificate.
func (s *Server) peerCert(ctx context.Context, method string) (string, *x509.Certificate, error) {
	if s.opts.TLS == nil {
		return "", nil, nil
	}
	host, cert, err := enroll.PeerHostID(ctx)
	if err != nil {
		return "", nil, status.Errorf(codes.Unauthenticated, "%s needs a client certificate from the fleet CA: %v", method, err)
	}
	if s.opts.CheckCert != nil {
		if err := s.opts.CheckCert(host, cert); err != nil {
			return "", nil, status.Errorf(codes.PermissionDenied, "%s: %v", method, err)
		}
	}
	return host, cert, nil
}

// recheckStreams checks the certificates of the open streams with
// CheckCert every RevocationCheckInterval until stop, and ends those
// revoked: a stolen key dies with its revocation, also on the streams it
// holds open.
func (s *Server) recheckStreams(stop <-chan struct{}) {
	t := time.NewTicker(s.opts.RevocationCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.slots.mu.Lock()
		open := make([]*certedStream, 0, len(s.slots.open))
		for o := range s.slots.open {
			open = append(open, o)
		}
		s.slots.mu.Unlock()
		for _, o := range open {
			if err := s.opts.CheckCert(o.host, o.cert); err != nil {
				s.opts.Logger.Warn("stream_revoked", "host_id", o.host, "reason", err.Error())
				o.cancel(status.Errorf(codes.PermissionDenied, "certificate of host %.80q: %v", o.host, err))
			}
		}
	}
}

// admitStream is the server's stream interceptor.
func (s *Server) admitStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	host, cert, err := s.peerCert(ss.Context(), info.FullMethod)
	if err != nil {
		if info.FullMethod == memledgerv1.IngestService_Report_FullMethodName {
			s.opts.Logger.Warn("report_unauthenticated", "peer", peerAddr(ss.Context()), "reason", err.Error())
		} else {
			s.opts.Logger.Warn("stream_unauthenticated", "peer", peerAddr(ss.Context()), "method", info.FullMethod, "reason", err.Error())
		}
		return err
	}
	if err := s.takeStreamSlot(host); err != nil {
		s.refusedStreams.Add(1)
		s.holdRefusal(ss.Context(), host)
		return err
	}
	defer s.releaseStreamSlot(host)
	if cert == nil {
		return handler(srv, ss)
	}
	ctx, cancel := context.WithCancelCause(ss.Context())
	defer cancel(nil)
	o := &certedStream{host: host, cert: cert, cancel: cancel}
	s.slots.mu.Lock()
	if s.slots.open == nil {
		s.slots.open = map[*certedStream]struct{}{}
	}
	s.slots.open[o] = struct{}{}
	s.slots.mu.Unlock()
	defer func() {
		s.slots.mu.Lock()
		delete(s.slots.open, o)
		s.slots.mu.Unlock()
	}()
	if err := handler(srv, &certStream{ServerStream: ss, ctx: ctx}); err != nil {
		return err
	}
	if err := context.Cause(ctx); status.Code(err) == codes.PermissionDenied {
		return err
	}
	return nil
}

// admitUnary is the server's unary interceptor: without a client
// certificate only openUnaryMethods may be called.
func (s *Server) admitUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if s.opts.TLS != nil && !openUnaryMethods[info.FullMethod] {
		if _, err := s.peerHost(ctx, info.FullMethod); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

// peerAddr is the remote address of ctx's peer, for the log.
func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}
