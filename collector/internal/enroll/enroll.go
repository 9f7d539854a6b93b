// Package enroll is the collector's side of agent enrollment
// (memledger.v1.EnrollService, docs/security.md): it exchanges a one-time
// enrollment token and a certificate request for a client certificate from
// the fleet CA, and renews certificates for agents that present their
// current one. It also holds the enrollment token store and PeerHostID, the
// host identity of a gRPC peer, which the ingest server uses to bind a
// report stream to the host in the agent's certificate.
package enroll

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/ratelimit"
	"github.com/memledger/memledger/internal/pki"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// MaxCSRBytes bounds a certificate request.
const MaxCSRBytes = 16 << 10

// PeerHostID returns the host id in the verified client certificate of the
// gRPC peer of ctx, and that certificate. It returns an error (not a gRPC
// status: callers choose the code) when the connection is not TLS, carries
// no certificate, the certificate was not verified against the client CA,
// or it names no host.
func PeerHostID(ctx context.Context) (string, *x509.Certificate, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", nil, errors.New("no peer information")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return "", nil, errors.New("connection is not TLS")
	}
	if len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return "", nil, errors.New("no verified client certificate")
	}
	leaf := info.State.VerifiedChains[0][0]
	id, err := pki.HostIDFromCert(leaf)
	if err != nil {
		return "", leaf, err
	}
	return id, leaf, nil
}

// Service implements memledgerv1.EnrollServiceServer.
type Service struct {
	memledgerv1.UnimplementedEnrollServiceServer

	CA     *pki.CA
	Tokens *Tokens
	// Validity of issued certificates (default pki.ClientValidity).
	Validity time.Duration
	// Logger receives enrollments and refusals; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observe, when set, is told of every request: kind "enroll" or
	// "renew", outcome "issued", "refused" (the request or its credentials
	// were not good enough) or "failed" (the collector's fault). The
	// metrics count them.
	Observe func(kind, outcome string)
	// Registry, when set, records each host's enrollment and the
	// revocations: renewal needs the host's standing certificate, and a
	// host that holds one is enrolled again only with a token bound to it
	// or made to replace. Nil checks neither.
	Registry *Registry
	// EnrollsPerMinute bounds the Enroll calls one source address may
	// make (a bucket that holds this many, refilled at this rate; default
	// 30); more are answered ResourceExhausted, and logged once a minute.
	EnrollsPerMinute int

	limiterOnce sync.Once
	limiter     *addrLimiter
}

// observe reports a request's outcome, judged by the gRPC status of err.
func (s *Service) observe(kind string, err error) {
	if s.Observe == nil {
		return
	}
	outcome := "issued"
	if err != nil {
		outcome = "refused"
		if c := status.Code(err); c == codes.Internal || c == codes.Unknown || c == codes.Unavailable {
			outcome = "failed"
		}
	}
	s.Observe(kind, outcome)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return ""
}

// Enroll spends the request's token and certifies its CSR for its host id.
func (s *Service) Enroll(ctx context.Context, req *memledgerv1.EnrollRequest) (resp *memledgerv1.EnrollResponse, err error) {
	defer func() { s.observe("enroll", err) }()
	now := s.now()
	if err := s.admitEnroll(ctx, now); err != nil {
		return nil, err
	}
	hostID := req.GetHostId()
	if err := pki.ValidateHostID(hostID); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "host_id: %v", err)
	}
	csr, err := parseCSR(req.GetCsrDer())
	if err != nil {
		return nil, err
	}
	if req.GetToken() == "" {
		return nil, status.Error(codes.Unauthenticated, "token: required")
	}
	replacing := false
	if s.Registry != nil {
		enrolled, revoked, err := s.Registry.Standing(hostID, now)
		if err != nil {
			s.log().Error("enroll_failed", "host_id", hostID, "error", err.Error())
			return nil, status.Error(codes.Internal, "certificate registry unavailable (see the collector's log)")
		}
		replacing = enrolled || revoked
	}
	consume := s.Tokens.Consume
	if replacing {
		consume = s.Tokens.ConsumeReplacing
	}
	if err := consume(req.GetToken(), hostID, now); err != nil {
		s.log().Warn("enroll_refused", "peer", peerAddr(ctx), "host_id", hostID, "reason", err.Error())
		switch {
		case errors.Is(err, ErrTokenExpired):
			return nil, status.Error(codes.PermissionDenied, "token expired")
		case errors.Is(err, ErrTokenUsed):
			return nil, status.Error(codes.PermissionDenied, "token already used")
		case errors.Is(err, ErrTokenHost):
			return nil, status.Error(codes.PermissionDenied, "token is for another host")
		case errors.Is(err, ErrTokenUnknown):
			return nil, status.Error(codes.PermissionDenied, "unknown token")
		case errors.Is(err, ErrTokenNotBound):
			return nil, status.Error(codes.PermissionDenied, err.Error())
		}
		return nil, status.Error(codes.Internal, "enrollment tokens unavailable (see the collector's log)")
	}
	what := "enrolled"
	if replacing {
		what = "replaced"
	}
	return s.issue(ctx, what, csr, hostID, now, replacing)
}

// Renew certifies the request's CSR for the host id of the caller's
// verified client certificate.
//
// Renewal opens in the last third of the certificate's life
// (pki.RenewalOpens), keeps the key, and is refused for a revoked
// certificate and for one that is no longer its host's enrollment (the
// host was enrolled again since): a stolen key cannot keep itself alive by
// renewing at will, nor move to a key its owner does not know.
func (s *Service) Renew(ctx context.Context, req *memledgerv1.RenewRequest) (resp *memledgerv1.EnrollResponse, err error) {
	defer func() { s.observe("renew", err) }()
	hostID, cur, err := PeerHostID(ctx)
	if err != nil {
		s.log().Warn("renew_refused", "peer", peerAddr(ctx), "reason", err.Error())
		return nil, status.Errorf(codes.Unauthenticated, "renewal needs this host's current client certificate: %v", err)
	}
	csr, err := parseCSR(req.GetCsrDer())
	if err != nil {
		return nil, err
	}
	now := s.now()
	refuse := func(code codes.Code, reason string) error {
		s.log().Warn("renew_refused", "peer", peerAddr(ctx), "host_id", hostID, "serial", SerialHex(cur), "reason", reason)
		return status.Error(code, reason)
	}
	if opens := pki.RenewalOpens(cur); now.Add(pki.ClockSkew).Before(opens) {
		return nil, refuse(codes.FailedPrecondition, fmt.Sprintf("renewal opens at %s, in the last third of the certificate's life", opens.UTC().Format(time.RFC3339)))
	}
	if !bytes.Equal(csr.RawSubjectPublicKeyInfo, cur.RawSubjectPublicKeyInfo) {
		return nil, refuse(codes.InvalidArgument, "csr_der: renewal keeps the certificate's key; a new key needs a new enrollment (memledger-agent enroll with a token)")
	}
	if s.Registry != nil {
		if err := s.Registry.Check(hostID, cur, now); err != nil {
			if errors.Is(err, ErrRevoked) {
				return nil, refuse(codes.PermissionDenied, err.Error())
			}
			s.log().Error("renew_failed", "host_id", hostID, "error", err.Error())
			return nil, status.Error(codes.Internal, "certificate registry unavailable (see the collector's log)")
		}
		rec, ok, err := s.Registry.Current(hostID, now)
		if err != nil {
			s.log().Error("renew_failed", "host_id", hostID, "error", err.Error())
			return nil, status.Error(codes.Internal, "certificate registry unavailable (see the collector's log)")
		}
		// A host with no record was enrolled before the registry existed
		// (or by another PKI): its certificate is adopted.
		if ok && rec.Serial != SerialHex(cur) {
			return nil, refuse(codes.PermissionDenied, fmt.Sprintf("certificate %s is no longer host %.80q's enrollment (its current one is %s): enroll again with a token", SerialHex(cur), hostID, rec.Serial))
		}
	}
	return s.issue(ctx, "renewed", csr, hostID, now, false)
}

func parseCSR(der []byte) (*x509.CertificateRequest, error) {
	if len(der) > MaxCSRBytes {
		return nil, status.Errorf(codes.InvalidArgument, "csr_der: %d bytes, more than %d", len(der), MaxCSRBytes)
	}
	csr, err := pki.ParseCSR(der)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "csr_der: %v", err)
	}
	return csr, nil
}

func (s *Service) issue(ctx context.Context, what string, csr *x509.CertificateRequest, hostID string, now time.Time, replacing bool) (*memledgerv1.EnrollResponse, error) {
	cert, err := s.CA.SignClient(csr, hostID, now, s.Validity)
	if err != nil {
		s.log().Error("certificate_not_issued", "host_id", hostID, "err", err.Error())
		return nil, status.Error(codes.Internal, "could not sign the certificate (see the collector's log)")
	}
	if s.Registry != nil {
		// Recorded before it is handed out: a certificate the registry
		// does not know could not be renewed.
		if err := s.Registry.Record(hostID, cert, replacing, now); err != nil {
			s.log().Error("certificate_not_issued", "host_id", hostID, "err", err.Error())
			return nil, status.Error(codes.Internal, "could not record the certificate (see the collector's log)")
		}
	}
	s.log().Info("certificate_issued", "kind", what, "peer", peerAddr(ctx), "host_id", hostID,
		"serial", SerialHex(cert), "not_after", cert.NotAfter)
	return &memledgerv1.EnrollResponse{
		CertificateDer: cert.Raw,
		CaDer:          s.CA.Cert.Raw,
		NotAfter:       timestamppb.New(cert.NotAfter),
	}, nil
}

// admitEnroll applies EnrollsPerMinute to the caller's source address.
func (s *Service) admitEnroll(ctx context.Context, now time.Time) error {
	s.limiterOnce.Do(func() {
		n := s.EnrollsPerMinute
		if n <= 0 {
			n = 30
		}
		s.limiter = &addrLimiter{perMinute: n, addrs: map[string]*addrBucket{}}
	})
	addr := peerAddr(ctx)
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ok, logIt := s.limiter.take(addr, now)
	if ok {
		return nil
	}
	if logIt {
		s.log().Warn("enroll_rate_limited", "peer", addr, "limit_per_minute", s.limiter.perMinute, "next_log_after", time.Minute)
	}
	return status.Errorf(codes.ResourceExhausted, "more than %d enrollments a minute from %s: retry later", s.limiter.perMinute, addr)
}

// addrLimiter is a token bucket per source address.
type addrLimiter struct {
	perMinute int
	mu        sync.Mutex
	addrs     map[string]*addrBucket
}

type addrBucket struct {
	ratelimit.Bucket
	logged time.Time
}

// take takes a token for addr at now; logIt says the refusal should be
// logged (once a minute per address).
func (l *addrLimiter) take(addr string, now time.Time) (ok, logIt bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.addrs[addr]
	if b == nil {
		if len(l.addrs) >= 4096 {
			for a, x := range l.addrs { // forget addresses whose bucket is full again
				if x.Idle(time.Minute, now) {
					delete(l.addrs, a)
				}
			}
		}
		b = &addrBucket{}
		l.addrs[addr] = b
	}
	if b.Take(l.perMinute, time.Minute, now) {
		return true, false
	}
	if now.Sub(b.logged) >= time.Minute {
		b.logged = now
		return false, true
	}
	return false, false
}
