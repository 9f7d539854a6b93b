package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/pki/pkitest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// lifecycle is a collector with enrollment, a certificate registry and a
// clock the test moves.
type lifecycle struct {
	t        *testing.T
	fleet    *pkitest.Fleet
	tokens   *enroll.Tokens
	registry *enroll.Registry
	svc      *enroll.Service
	ts       *testServer
	offset   atomic.Int64
	// resumed counts handshakes that resumed a TLS session.
	resumed atomic.Int64
}

func startLifecycle(t *testing.T) *lifecycle {
	t.Helper()
	l := &lifecycle{t: t, fleet: pkitest.NewFleet(t, "fleet CA", time.Now(), "localhost", "127.0.0.1")}
	dir := t.TempDir()
	l.tokens = enroll.NewTokens(filepath.Join(dir, "tokens.json"))
	l.registry = enroll.NewRegistry(filepath.Join(dir, "certs.json"))
	l.svc = &enroll.Service{CA: l.fleet.CA, Tokens: l.tokens, Registry: l.registry, Now: l.now, EnrollsPerMinute: 1000}
	srvTLS, err := pki.ServerTLSConfig(l.fleet.ServerCertFile, l.fleet.ServerKeyFile, l.fleet.CAFile, false)
	if err != nil {
		t.Fatal(err)
	}
	srvTLS.VerifyConnection = func(cs tls.ConnectionState) error {
		if cs.DidResume {
			l.resumed.Add(1)
		}
		return nil
	}
	l.ts = startServer(t, newFakeStore(), Options{
		TLS: srvTLS, Enroll: l.svc, RevocationCheckInterval: 50 * time.Millisecond,
		CheckCert: func(host string, cert *x509.Certificate) error { return l.registry.Check(host, cert, time.Now()) },
	})
	return l
}

func (l *lifecycle) now() time.Time { return time.Now().Add(time.Duration(l.offset.Load())) }

func (l *lifecycle) token(opts enroll.CreateOptions) string {
	l.t.Helper()
	opts.TTL = 24 * time.Hour
	tok, _, err := l.tokens.Create(opts, l.now())
	if err != nil {
		l.t.Fatal(err)
	}
	return tok
}

// agentIdentity is an agent's key and certificate.
type agentIdentity struct {
	key  any
	csr  []byte
	cert *x509.Certificate
	cfg  *tls.Config
}

func (l *lifecycle) newKey(host string) *agentIdentity {
	l.t.Helper()
	key, err := pki.GenerateKey()
	if err != nil {
		l.t.Fatal(err)
	}
	csr, err := pki.CreateCSR(key, host)
	if err != nil {
		l.t.Fatal(err)
	}
	return &agentIdentity{key: key, csr: csr}
}

// enroll enrolls id for host with token, from a connection without a
// certificate.
func (l *lifecycle) enroll(id *agentIdentity, host, token string) error {
	l.t.Helper()
	noCert, err := pki.PinnedTLSConfig(l.fleet.CAFile, "", "localhost", nil)
	if err != nil {
		l.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := memledgerv1.NewEnrollServiceClient(dialTLS(l.t, l.ts.addr, noCert)).Enroll(ctx, &memledgerv1.EnrollRequest{Token: token, CsrDer: id.csr, HostId: host})
	if err != nil {
		return err
	}
	l.setCert(id, resp)
	return nil
}

func (l *lifecycle) setCert(id *agentIdentity, resp *memledgerv1.EnrollResponse) {
	l.t.Helper()
	id.cert = mustParse(l.t, resp.GetCertificateDer())
	id.cfg = &tls.Config{
		MinVersion: tls.VersionTLS13,
		RootCAs:    x509.NewCertPool(),
		// As pki.ClientTLSConfig: connections after the first resume.
		ClientSessionCache: tls.NewLRUClientSessionCache(1),
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{id.cert.Raw}, PrivateKey: id.key, Leaf: id.cert,
		}},
	}
	id.cfg.RootCAs.AddCert(l.fleet.CA.Cert)
}

func (l *lifecycle) renew(id *agentIdentity, csr []byte) error {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := memledgerv1.NewEnrollServiceClient(dialTLS(l.t, l.ts.addr, id.cfg.Clone())).Renew(ctx, &memledgerv1.RenewRequest{CsrDer: csr})
	if err != nil {
		return err
	}
	l.setCert(id, resp)
	return nil
}

func wantCode(t *testing.T, what string, err error, code codes.Code, text string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: %v, want %v containing %q", what, err, code, text)
	}
}

// Renewal only in the last third of a certificate's life, with the same
// key, by the host's current certificate; a rollout token cannot take
// over an enrolled host.
func TestCertificateRenewalAndReplacement(t *testing.T) {
	l := startLifecycle(t)
	rollout := l.token(enroll.CreateOptions{Uses: 500})
	a := l.newKey("host-a")
	if err := l.enroll(a, "host-a", rollout); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	wantCode(t, "renewal on day 0", l.renew(a, a.csr), codes.FailedPrecondition, "renewal opens at")

	// The rollout token enrolled a new key for host-a, which replaced its
	// inventory: now refused.
	thief := l.newKey("host-a")
	wantCode(t, "rollout token for an enrolled host", l.enroll(thief, "host-a", rollout), codes.PermissionDenied, "host already enrolled")

	l.offset.Store(int64(61 * 24 * time.Hour))
	wantCode(t, "renewal with another key", l.renew(a, l.newKey("host-a").csr), codes.InvalidArgument, "renewal keeps the certificate's key")
	old := *a
	if err := l.renew(a, a.csr); err != nil {
		t.Fatalf("renewal on day 61: %v", err)
	}
	// The superseded certificate may no longer renew. (Its connections
	// still work until it expires: agents switch at their next handshake.)
	wantCode(t, "renewal with the superseded certificate", l.renew(&old, old.csr), codes.PermissionDenied, "no longer host")

	// A token bound to host-a, or made to replace, enrolls a new key and
	// revokes the previous certificate. (Back to the real time, which
	// the handshakes check.)
	l.offset.Store(0)
	if err := l.enroll(thief, "host-a", l.token(enroll.CreateOptions{HostID: "host-a"})); err != nil {
		t.Fatalf("enroll with a token bound to host-a: %v", err)
	}
	if _, err := reportOnce(t, dialTLS(t, l.ts.addr, a.cfg.Clone()), "host-a", 1); err == nil {
		t.Fatal("the replaced certificate still reports")
	}
	if ack, err := reportOnce(t, dialTLS(t, l.ts.addr, thief.cfg.Clone()), "host-a", 2); err != nil || ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
		t.Fatalf("the new certificate: %v %v", ack, err)
	}
	b := l.newKey("host-b")
	if err := l.enroll(b, "host-b", rollout); err != nil {
		t.Fatalf("rollout token for a new host: %v", err)
	}
	if err := l.enroll(l.newKey("host-b"), "host-b", l.token(enroll.CreateOptions{Replace: true})); err != nil {
		t.Fatalf("replace token: %v", err)
	}
}

// Revoking a host ends its open streams and refuses its next handshake;
// enrolled again (with a token bound to it), it reports again.
func TestRevocationEndsStreamsAndHandshakes(t *testing.T) {
	l := startLifecycle(t)
	a := l.newKey("host-a")
	if err := l.enroll(a, "host-a", l.token(enroll.CreateOptions{})); err != nil {
		t.Fatal(err)
	}
	cc := dialTLS(t, l.ts.addr, a.cfg.Clone())
	s, err := openCommitted(t, cc, "host-a", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.registry.RevokeHost("host-a", "key stolen", time.Now()); err != nil {
		t.Fatal(err)
	}
	// The open stream ends within a few check intervals (the test's
	// context bounds the wait).
	_, err = s.Recv()
	wantCode(t, "open stream after the revocation", err, codes.PermissionDenied, "revoked")
	if _, err := reportOnce(t, dialTLS(t, l.ts.addr, a.cfg.Clone()), "host-a", 2); err == nil {
		t.Fatal("a new connection with the revoked certificate reported")
	}
	if l.resumed.Load() == 0 {
		t.Fatal("the revoked certificate's agent did not try to resume its session: resumption is untested")
	}
	// A rollout token cannot bring a revoked host back; a bound one can.
	wantCode(t, "rollout token for a revoked host", l.enroll(l.newKey("host-a"), "host-a", l.token(enroll.CreateOptions{Uses: 5})), codes.PermissionDenied, "host already enrolled")
	again := l.newKey("host-a")
	if err := l.enroll(again, "host-a", l.token(enroll.CreateOptions{HostID: "host-a"})); err != nil {
		t.Fatal(err)
	}
	if ack, err := reportOnce(t, dialTLS(t, l.ts.addr, again.cfg.Clone()), "host-a", 3); err != nil || ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
		t.Fatalf("host enrolled again: %v %v", ack, err)
	}
	// Revoking one certificate by serial.
	if err := l.registry.RevokeSerial(enroll.SerialHex(again.cert), "decommissioned", time.Time{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := reportOnce(t, dialTLS(t, l.ts.addr, again.cfg.Clone()), "host-a", 4); err == nil {
		t.Fatal("a certificate revoked by serial reported")
	}
}

// Enroll is rate limited per source address.
func TestEnrollRateLimitedPerAddress(t *testing.T) {
	l := startLifecycle(t)
	l.svc.EnrollsPerMinute = 3
	for i := range 3 {
		err := l.enroll(l.newKey("h"), "h", "not-a-token")
		wantCode(t, "guess", err, codes.PermissionDenied, "unknown token")
		_ = i
	}
	wantCode(t, "fourth guess in a minute", l.enroll(l.newKey("h"), "h", "not-a-token"), codes.ResourceExhausted, "enrollments a minute")
}
