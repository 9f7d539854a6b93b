package server

import (
	"crypto/tls"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/internal/pki"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Host binding (docs/security.md): with Options.TLS set, every Report stream
// belongs to the host named in the agent's verified client certificate, and
// a report for any other host ends the stream with PermissionDenied before
// it reaches the ledger. Without TLS (--insecure) there is no binding.

// transportOption is the gRPC server option of o.TLS. With CheckCert, a
// revoked client certificate fails the handshake.
func (o Options) transportOption() grpc.ServerOption {
	if o.TLS == nil {
		return grpc.EmptyServerOption{}
	}
	cfg := o.TLS.Clone()
	if check := o.CheckCert; check != nil {
		prev := cfg.VerifyConnection
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if prev != nil {
				if err := prev(cs); err != nil {
					return err
				}
			}
			if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
				return nil // enrollment: no certificate; calls check per RPC
			}
			leaf := cs.VerifiedChains[0][0]
			host, err := pki.HostIDFromCert(leaf)
			if err != nil {
				return err
			}
			if err := check(host, leaf); err != nil {
				o.Logger.Warn("handshake_refused", "host_id", host, "reason", err.Error())
				return err
			}
			return nil
		}
	}
	return grpc.Creds(credentials.NewTLS(cfg))
}

// registerEnroll serves opts.Enroll, when set, on the server's listener.
func (s *Server) registerEnroll() {
	if s.opts.Enroll != nil {
		memledgerv1.RegisterEnrollServiceServer(s.grpc, s.opts.Enroll)
	}
}

// bindIdentity records the host of the stream's client certificate.
// admitStream already refused a stream without a verified certificate.
func (r *reportStream) bindIdentity() error {
	host, err := r.s.peerHost(r.ctx, memledgerv1.IngestService_Report_FullMethodName)
	if err != nil {
		return err
	}
	r.certHost = host
	return nil
}

// checkIdentity refuses a report for a host other than the certificate's.
func (r *reportStream) checkIdentity(req *memledgerv1.ReportRequest) error {
	if r.s.opts.TLS == nil {
		return nil
	}
	got := req.GetHostId()
	if inv := req.GetInventory(); got == r.certHost && inv != nil {
		got = inv.GetHost().GetHostId() // validation makes them equal; check anyway
	}
	if got == r.certHost {
		return nil
	}
	r.s.opts.Logger.Warn("report_host_mismatch", "peer", r.peer, "cert_host_id", r.certHost, "report_host_id", got)
	return status.Errorf(codes.PermissionDenied, "report sequence %d: host_id %.80q is not this agent's host %.80q (from its certificate)", req.GetSequence(), got, r.certHost)
}
