// Package enroll is the collector's side of agent enrollment
// (memledger.v1.EnrollService, docs/security.md): it exchanges a one-time
// enrollment token and a certificate request for a client certificate from
// the fleet CA, and renews certificates for agents that present their
// current one. It also holds the enrollment token store and PeerHostID, the
// host identity of a gRPC peer, which the ingest server uses to bind a
// report stream to the host in the agent's certificate.
package enroll

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

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
	now := s.now()
	if err := s.Tokens.Consume(req.GetToken(), hostID, now); err != nil {
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
		}
		return nil, status.Error(codes.Internal, "enrollment tokens unavailable (see the collector's log)")
	}
	return s.issue(ctx, "enrolled", csr, hostID, now)
}

// Renew certifies the request's CSR for the host id of the caller's
// verified client certificate.
func (s *Service) Renew(ctx context.Context, req *memledgerv1.RenewRequest) (resp *memledgerv1.EnrollResponse, err error) {
	defer func() { s.observe("renew", err) }()
	hostID, _, err := PeerHostID(ctx)
	if err != nil {
		s.log().Warn("renew_refused", "peer", peerAddr(ctx), "reason", err.Error())
		return nil, status.Errorf(codes.Unauthenticated, "renewal needs this host's current client certificate: %v", err)
	}
	csr, err := parseCSR(req.GetCsrDer())
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, "renewed", csr, hostID, s.now())
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

func (s *Service) issue(ctx context.Context, what string, csr *x509.CertificateRequest, hostID string, now time.Time) (*memledgerv1.EnrollResponse, error) {
	cert, err := s.CA.SignClient(csr, hostID, now, s.Validity)
	if err != nil {
		s.log().Error("certificate_not_issued", "host_id", hostID, "err", err.Error())
		return nil, status.Error(codes.Internal, "could not sign the certificate (see the collector's log)")
	}
	s.log().Info("certificate_issued", "kind", what, "peer", peerAddr(ctx), "host_id", hostID,
		"serial", cert.SerialNumber.Text(16), "not_after", cert.NotAfter)
	return &memledgerv1.EnrollResponse{
		CertificateDer: cert.Raw,
		CaDer:          s.CA.Cert.Raw,
		NotAfter:       timestamppb.New(cert.NotAfter),
	}, nil
}
