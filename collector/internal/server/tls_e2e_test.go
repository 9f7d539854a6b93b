package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/pki/pkitest"
	"github.com/memledger/memledger/internal/syncbuf"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func dialTLS(t *testing.T, addr string, cfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	cfg.ServerName = "localhost"
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// reportOnce sends one full report for host and returns its ack or the
// stream's error.
func reportOnce(t *testing.T, cc *grpc.ClientConn, host string, seq uint64) (*memledgerv1.ReportResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := memledgerv1.NewIngestServiceClient(cc).Report(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Send(fullReport(host, seq, testInventory(host, 2, 1, 0))); err != nil {
		// The error is the stream's status, read by Recv.
		_, rerr := s.Recv()
		return nil, rerr
	}
	return s.Recv()
}

func TestMutualTLSBindsStreamsToCertificateHost(t *testing.T) {
	fleet := pkitest.NewFleet(t, "fleet CA", time.Now(), "localhost", "127.0.0.1")
	other := pkitest.NewFleet(t, "other CA", time.Now(), "localhost", "127.0.0.1")
	// Enrollment mode (client certificates optional at the handshake) is
	// the harder case: the per-stream check must refuse what the handshake
	// let in.
	for _, require := range []bool{false, true} {
		name := "enrollment-mode"
		if require {
			name = "require-client-cert"
		}
		t.Run(name, func(t *testing.T) {
			st := openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
			srvTLS, err := pki.ServerTLSConfig(fleet.ServerCertFile, fleet.ServerKeyFile, fleet.CAFile, require)
			if err != nil {
				t.Fatal(err)
			}
			var logs syncbuf.Buffer
			ts := startServer(t, st, Options{TLS: srvTLS, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

			certA, keyA := fleet.ClientFiles(t, "host-a", time.Now(), 0)
			otherCert, otherKey := other.ClientFiles(t, "host-a", time.Now(), 0)
			withCert := func(certFile, keyFile string) *tls.Config {
				cfg, err := pki.ClientTLSConfig(certFile, keyFile, fleet.CAFile)
				if err != nil {
					t.Fatal(err)
				}
				return cfg
			}
			noCert, err := pki.PinnedTLSConfig(fleet.CAFile, "", "localhost", nil)
			if err != nil {
				t.Fatal(err)
			}

			tests := []struct {
				name     string
				cfg      *tls.Config
				host     string
				wantCode codes.Code
				// wantLog must appear in the collector's log.
				wantLog string
			}{
				{"no client certificate", noCert, "host-a", codes.Unauthenticated, "report_unauthenticated"},
				{"certificate from another CA", withCert(otherCert, otherKey), "host-a", codes.Unavailable, ""},
				{"host A reports host B", withCert(certA, keyA), "host-b", codes.PermissionDenied, "report_host_mismatch"},
				{"host A reports itself", withCert(certA, keyA), "host-a", codes.OK, ""},
			}
			if require {
				// The handshake itself refuses a connection without a
				// certificate.
				tests[0].wantCode, tests[0].wantLog = codes.Unavailable, ""
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					ack, err := reportOnce(t, dialTLS(t, ts.addr, tc.cfg), tc.host, 100)
					if got := status.Code(err); got != tc.wantCode {
						t.Fatalf("report: code %v (%v), want %v", got, err, tc.wantCode)
					}
					if tc.wantCode == codes.OK && ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
						t.Fatalf("ack %v, want COMMITTED", ack)
					}
					if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
						t.Errorf("collector log lacks %q:\n%s", tc.wantLog, logs.String())
					}
				})
			}
			if log := logs.String(); !strings.Contains(log, "cert_host_id=host-a") || !strings.Contains(log, "report_host_id=host-b") {
				t.Errorf("mismatch log does not name both ids:\n%s", log)
			}
			hosts, err := st.Hosts(context.Background(), store.HostFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) != 1 || hosts[0].ID != "host-a" {
				t.Fatalf("ledger hosts %+v, want only host-a (nothing from refused agents)", hosts)
			}
		})
	}
}

// TestEnrollThenReport runs enrollment on the ingest listener: an agent
// without a certificate enrolls with a token, then reports with the
// certificate it got; a renewal needs that certificate.
func TestEnrollThenReport(t *testing.T) {
	fleet := pkitest.NewFleet(t, "fleet CA", time.Now(), "localhost", "127.0.0.1")
	st := openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	srvTLS, err := pki.ServerTLSConfig(fleet.ServerCertFile, fleet.ServerKeyFile, fleet.CAFile, false)
	if err != nil {
		t.Fatal(err)
	}
	tokens := enroll.NewTokens(filepath.Join(t.TempDir(), "tokens.json"))
	tok, _, err := tokens.Create(enroll.CreateOptions{TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64 // offset from the real time (renewal opens at day 60)
	now := func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }
	ts := startServer(t, st, Options{TLS: srvTLS, Enroll: &enroll.Service{CA: fleet.CA, Tokens: tokens, Now: now}})

	// Enroll with the pinned CA fingerprint and no certificate.
	pinned, err := pki.PinnedTLSConfig("", pki.Fingerprint(fleet.CA.Cert), "localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	key, csr := pkitest.CSR(t, "host-e")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	plain := memledgerv1.NewEnrollServiceClient(dialTLS(t, ts.addr, pinned))
	if _, err := plain.Renew(ctx, &memledgerv1.RenewRequest{CsrDer: csr}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Renew without a certificate: %v, want Unauthenticated", err)
	}
	resp, err := plain.Enroll(ctx, &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "host-e"})
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	if _, err := plain.Enroll(ctx, &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "host-e"}); status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "token already used") {
		t.Fatalf("second Enroll with the single-use token: %v, want PermissionDenied token already used", err)
	}

	certs, err := pki.ParseCerts("response", pki.EncodeCerts(mustParse(t, resp.GetCertificateDer())))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key")
	if err := errors.Join(pki.WriteCerts(certFile, certs[0]), pki.WriteKey(keyFile, key)); err != nil {
		t.Fatal(err)
	}
	cfg, err := pki.ClientTLSConfig(certFile, keyFile, fleet.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	cc := dialTLS(t, ts.addr, cfg)
	if ack, err := reportOnce(t, cc, "host-e", 7); err != nil || ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
		t.Fatalf("report with the enrolled certificate: %v %v, want COMMITTED", ack, err)
	}
	if _, err := memledgerv1.NewEnrollServiceClient(cc).Renew(ctx, &memledgerv1.RenewRequest{CsrDer: csr}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Renew of a fresh certificate: %v, want FailedPrecondition (renewal opens at day 60)", err)
	}
	clock.Store(int64(61 * 24 * time.Hour))
	renewed, err := memledgerv1.NewEnrollServiceClient(cc).Renew(ctx, &memledgerv1.RenewRequest{CsrDer: csr})
	if err != nil {
		t.Fatalf("Renew with the certificate: %v", err)
	}
	if id, err := pki.HostIDFromCert(mustParse(t, renewed.GetCertificateDer())); err != nil || id != "host-e" {
		t.Fatalf("renewed certificate host %q, %v; want host-e", id, err)
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
