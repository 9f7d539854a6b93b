// Package enroll is the agent's side of enrollment (docs/security.md): it
// generates the agent's private key on the host, sends only a certificate
// request with a one-time token to the collector's EnrollService, and
// stores the signed certificate, the key (0600; it never leaves the host)
// and the CA. RenewIfDue renews the certificate over mutual TLS once two
// thirds of its lifetime have passed; the agent daemon calls it from its
// loop.
package enroll

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/memledger/memledger/internal/pki"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// DefaultTimeout bounds one enrollment or renewal call.
const DefaultTimeout = 30 * time.Second

// Paths are the agent's TLS files.
type Paths struct {
	// Cert is the agent's client certificate (PEM, 0644).
	Cert string
	// Key is the agent's private key (PEM, 0600).
	Key string
	// CA is the CA the agent trusts for the collector (PEM, 0644).
	CA string
}

// DefaultPaths are the files under the agent's state directory:
// <stateDir>/tls/agent.crt, agent.key and ca.crt.
func DefaultPaths(stateDir string) Paths {
	dir := filepath.Join(stateDir, "tls")
	return Paths{Cert: filepath.Join(dir, "agent.crt"), Key: filepath.Join(dir, "agent.key"), CA: filepath.Join(dir, "ca.crt")}
}

// Options are an enrollment's inputs.
type Options struct {
	// Collector is the collector's gRPC address, host:port.
	Collector string
	// Token is the secret from `memledger-collector enroll-token create`.
	Token string
	// HostID is this host's identity (what its reports carry).
	HostID string
	// Paths are where the key, certificate and CA are written.
	Paths Paths
	// CAFile and CASHA256 are how the collector is trusted before the agent
	// has a certificate: a CA file, a pinned CA fingerprint (printed by
	// `ca init`), or both. One is required: there is no trust on first use.
	CAFile   string
	CASHA256 string
	// ServerName is the name checked in the collector's certificate
	// (default: the host part of Collector).
	ServerName string
	// DialOptions are added to the connection's (tests).
	DialOptions []grpc.DialOption
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Result describes the certificate obtained.
type Result struct {
	HostID        string
	NotAfter      time.Time
	CAFingerprint string
	Paths         Paths
}

func serverNameOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

func dial(addr string, cfg credentials.TransportCredentials, extra []grpc.DialOption) (*grpc.ClientConn, error) {
	if addr == "" {
		return nil, errors.New("collector address: empty (want host:port)")
	}
	cc, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(cfg)}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("collector %s: %w", addr, err)
	}
	return cc, nil
}

// Enroll obtains this host's first certificate. The new key is generated
// here and written (0600) only once the collector has issued a certificate
// for it, so a refused enrollment leaves the files as they were.
func Enroll(ctx context.Context, opts Options) (Result, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if err := pki.ValidateHostID(opts.HostID); err != nil {
		return Result{}, fmt.Errorf("host id: %w", err)
	}
	if opts.Token == "" {
		return Result{}, errors.New("enrollment token: empty (memledger-collector enroll-token create prints one)")
	}
	if opts.Paths.Cert == "" || opts.Paths.Key == "" || opts.Paths.CA == "" {
		return Result{}, errors.New("enroll: certificate, key and CA paths are required")
	}
	pin := ""
	if opts.CASHA256 != "" {
		var err error
		if pin, err = pki.ParseFingerprint(opts.CASHA256); err != nil {
			return Result{}, err
		}
	}
	serverName := opts.ServerName
	if serverName == "" {
		serverName = serverNameOf(opts.Collector)
	}
	tlsCfg, err := pki.PinnedTLSConfig(opts.CAFile, pin, serverName, now)
	if err != nil {
		return Result{}, err
	}
	var caFileCerts []*x509.Certificate
	if opts.CAFile != "" {
		if caFileCerts, err = pki.LoadCerts(opts.CAFile); err != nil {
			return Result{}, err
		}
	}

	key, err := pki.GenerateKey()
	if err != nil {
		return Result{}, err
	}
	csr, err := pki.CreateCSR(key, opts.HostID)
	if err != nil {
		return Result{}, err
	}
	cc, err := dial(opts.Collector, credentials.NewTLS(tlsCfg), opts.DialOptions)
	if err != nil {
		return Result{}, err
	}
	defer cc.Close()
	callCtx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	resp, err := memledgerv1.NewEnrollServiceClient(cc).Enroll(callCtx, &memledgerv1.EnrollRequest{
		Token:  opts.Token,
		CsrDer: csr,
		HostId: opts.HostID,
	})
	if err != nil {
		return Result{}, fmt.Errorf("enroll with %s: %w", opts.Collector, err)
	}
	cert, ca, err := checkIssued(resp, key, opts.HostID, nil, now())
	if err != nil {
		return Result{}, fmt.Errorf("enroll with %s: %w", opts.Collector, err)
	}
	if pin != "" && pki.Fingerprint(ca) != pin {
		return Result{}, fmt.Errorf("enroll with %s: the certificate's CA %s is not the pinned CA %s", opts.Collector, pki.Fingerprint(ca), pin)
	}
	// The CA to trust the collector with from now on: the CA file given,
	// else the pinned CA, which signed both the collector's certificate
	// (checked in the handshake) and ours.
	trust := caFileCerts
	if trust == nil {
		trust = []*x509.Certificate{ca}
	}
	if err := os.MkdirAll(filepath.Dir(opts.Paths.Key), 0o755); err != nil {
		return Result{}, fmt.Errorf("enroll: %w", err)
	}
	for _, dir := range []string{filepath.Dir(opts.Paths.Cert), filepath.Dir(opts.Paths.CA)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Result{}, fmt.Errorf("enroll: %w", err)
		}
	}
	if err := pki.WriteCerts(opts.Paths.CA, trust...); err != nil {
		return Result{}, err
	}
	if err := pki.WriteKey(opts.Paths.Key, key); err != nil {
		return Result{}, err
	}
	if err := pki.WriteCerts(opts.Paths.Cert, cert); err != nil {
		return Result{}, err
	}
	return Result{HostID: opts.HostID, NotAfter: cert.NotAfter, CAFingerprint: pki.Fingerprint(ca), Paths: opts.Paths}, nil
}

// checkIssued verifies a response: the certificate is for key and hostID,
// a client certificate, signed by the response's CA, which (when prev is
// not nil) must be the CA that signed the previous certificate.
func checkIssued(resp *memledgerv1.EnrollResponse, key crypto.Signer, hostID string, prev *x509.Certificate, now time.Time) (*x509.Certificate, *x509.Certificate, error) {
	cert, err := x509.ParseCertificate(resp.GetCertificateDer())
	if err != nil {
		return nil, nil, fmt.Errorf("certificate in the response: %w", err)
	}
	ca, err := x509.ParseCertificate(resp.GetCaDer())
	if err != nil {
		return nil, nil, fmt.Errorf("CA in the response: %w", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(equaler); !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, errors.New("the certificate issued is not for this host's key")
	}
	if id, err := pki.HostIDFromCert(cert); err != nil || id != hostID {
		return nil, nil, fmt.Errorf("the certificate issued is for host %q, not %q (%v)", id, hostID, err)
	}
	if prev != nil {
		if err := prev.CheckSignatureFrom(ca); err != nil {
			return nil, nil, fmt.Errorf("the renewed certificate comes from another CA (%s): %w", pki.Fingerprint(ca), err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, nil, fmt.Errorf("the certificate issued does not verify against its CA: %w", err)
	}
	return cert, ca, nil
}

// Due reports whether cert should be renewed at now (pki.RenewalOpens).
func Due(cert *x509.Certificate, now time.Time) bool {
	return !now.Before(pki.RenewalOpens(cert))
}

// RenewIfDue renews the certificate in paths.Cert when it is due (see Due),
// over mutual TLS with the current certificate, and reports whether it did
// and the expiry of the certificate now in place. The key is kept (the
// request is signed with it); only the certificate file is replaced,
// atomically, and connections made with pki.ClientTLSConfig pick it up at
// their next handshake. collector is host:port; dialOpts are added to the
// connection's (tests).
func RenewIfDue(ctx context.Context, collector string, paths Paths, now time.Time, dialOpts ...grpc.DialOption) (renewed bool, notAfter time.Time, err error) {
	certs, err := pki.LoadCerts(paths.Cert)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("renew: %w", err)
	}
	cur := certs[0]
	if !Due(cur, now) {
		return false, cur.NotAfter, nil
	}
	if !now.Before(cur.NotAfter) {
		return false, cur.NotAfter, fmt.Errorf("renew: certificate %s expired at %s: enroll again (memledger-agent enroll)", paths.Cert, cur.NotAfter.Format(time.RFC3339))
	}
	hostID, err := pki.HostIDFromCert(cur)
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew %s: %w", paths.Cert, err)
	}
	key, err := pki.LoadKey(paths.Key)
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew: %w", err)
	}
	csr, err := pki.CreateCSR(key, hostID)
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew: %w", err)
	}
	tlsCfg, err := pki.ClientTLSConfig(paths.Cert, paths.Key, paths.CA)
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew: %w", err)
	}
	tlsCfg.ServerName = serverNameOf(collector)
	cc, err := dial(collector, credentials.NewTLS(tlsCfg), dialOpts)
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew: %w", err)
	}
	defer cc.Close()
	callCtx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	resp, err := memledgerv1.NewEnrollServiceClient(cc).Renew(callCtx, &memledgerv1.RenewRequest{CsrDer: csr})
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew with %s: %w", collector, err)
	}
	cert, _, err := checkIssued(resp, key, hostID, cur, now)
	if err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew with %s: %w", collector, err)
	}
	if err := pki.WriteCerts(paths.Cert, cert); err != nil {
		return false, cur.NotAfter, fmt.Errorf("renew: %w", err)
	}
	return true, cert.NotAfter, nil
}
