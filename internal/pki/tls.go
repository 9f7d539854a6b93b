package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// CertPool reads a PEM file of CA certificates into a pool.
func CertPool(caFile string) (*x509.CertPool, error) {
	certs, err := LoadCerts(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// keyPairFile loads a certificate and key from files for each handshake,
// re-reading them only when either file changed (size or modification
// time), so a renewed certificate is used without a restart. When the files
// are mid-update and do not match, it keeps serving the last good pair.
type keyPairFile struct {
	certFile, keyFile string

	mu      sync.Mutex
	stamp   string
	current *tls.Certificate
}

func (k *keyPairFile) get() (*tls.Certificate, error) {
	stamp, err := fileStamp(k.certFile, k.keyFile)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil && stamp == k.stamp && k.current != nil {
		return k.current, nil
	}
	pair, loadErr := tls.LoadX509KeyPair(k.certFile, k.keyFile)
	if loadErr != nil {
		if k.current != nil {
			return k.current, nil // a renewal in progress: the old pair is still valid
		}
		return nil, fmt.Errorf("load TLS key pair %s, %s: %w", k.certFile, k.keyFile, loadErr)
	}
	k.stamp, k.current = stamp, &pair
	return k.current, nil
}

func fileStamp(paths ...string) (string, error) {
	var s string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		s += fmt.Sprintf("%s:%d:%d;", p, fi.Size(), fi.ModTime().UnixNano())
	}
	return s, nil
}

// ClientTLSConfig is an agent's mutual TLS configuration: it presents the
// certificate in certFile (key in keyFile), re-read when the files change so
// that a renewed certificate is picked up without a restart, and trusts the
// collector's certificate only if caFile's CA signed it. TLS 1.3 only.
// The files must exist and load now, so a bad path fails at start.
func ClientTLSConfig(certFile, keyFile, caFile string) (*tls.Config, error) {
	pool, err := CertPool(caFile)
	if err != nil {
		return nil, fmt.Errorf("collector CA: %w", err)
	}
	kp := &keyPairFile{certFile: certFile, keyFile: keyFile}
	if _, err := kp.get(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		RootCAs:    pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return kp.get()
		},
		ClientSessionCache: &certSessionCache{kp: kp, sessions: tls.NewLRUClientSessionCache(sessionsPerCert)},
	}, nil
}

// sessionsPerCert bounds the TLS sessions an agent keeps: one per
// collector address it reports to.
const sessionsPerCert = 8

// certSessionCache lets an agent resume its TLS 1.3 session with the
// collector on the next connection. An agent connects for each scan
// (docs/protocol.md, "Connections"), and a resumed handshake spares
// both ends the certificate signatures and verifications, the largest
// per-connection cost of a collector serving a fleet. The collector still
// checks the certificate of a resumed session against its registry (its
// tls.Config.VerifyConnection runs on resumption too), so a revocation
// ends resumption as well. Sessions are keyed by the certificate files'
// stamp: a ticket resumes the identity it was issued to, so after a renewal
// the first connection is a full handshake with the new certificate.
type certSessionCache struct {
	kp       *keyPairFile
	sessions tls.ClientSessionCache
}

func (c *certSessionCache) key(sessionKey string) (string, bool) {
	stamp, err := fileStamp(c.kp.certFile, c.kp.keyFile)
	return sessionKey + "\x00" + stamp, err == nil
}

// Get implements tls.ClientSessionCache.
func (c *certSessionCache) Get(sessionKey string) (*tls.ClientSessionState, bool) {
	k, ok := c.key(sessionKey)
	if !ok {
		return nil, false
	}
	return c.sessions.Get(k)
}

// Put implements tls.ClientSessionCache.
func (c *certSessionCache) Put(sessionKey string, cs *tls.ClientSessionState) {
	if k, ok := c.key(sessionKey); ok {
		c.sessions.Put(k, cs)
	}
}

// ServerTLSConfig is the collector's TLS configuration: it presents certFile
// (re-read when it changes) and verifies client certificates against
// clientCAFile. With requireClientCert every connection must present a
// valid client certificate; without it a connection may present none (for
// enrollment), but a certificate presented is still verified, and the
// per-RPC checks (PeerHostID) refuse reports from connections without one.
// TLS 1.3 only.
func ServerTLSConfig(certFile, keyFile, clientCAFile string, requireClientCert bool) (*tls.Config, error) {
	if clientCAFile == "" {
		return nil, errors.New("server TLS: no client CA file (the CA that signs agent certificates)")
	}
	pool, err := CertPool(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("client CA: %w", err)
	}
	kp := &keyPairFile{certFile: certFile, keyFile: keyFile}
	if _, err := kp.get(); err != nil {
		return nil, err
	}
	auth := tls.VerifyClientCertIfGiven
	if requireClientCert {
		auth = tls.RequireAndVerifyClientCert
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		ClientAuth: auth,
		ClientCAs:  pool,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return kp.get()
		},
	}, nil
}

// PinnedTLSConfig is the TLS configuration an agent uses to enroll before it
// has a certificate: it trusts the collector if its certificate chains to
// the CA in caFile (when not empty) and, when fingerprint is not empty, if
// the chain the collector sends contains a CA certificate with that SHA-256
// fingerprint which signed the collector's certificate for serverName.
// At least one of caFile and fingerprint is required: there is no trust on
// first use.
func PinnedTLSConfig(caFile, fingerprint, serverName string, now func() time.Time) (*tls.Config, error) {
	if caFile == "" && fingerprint == "" {
		return nil, errors.New("no way to trust the collector: give its CA file or the CA fingerprint printed by `memledger-collector ca init`")
	}
	if now == nil {
		now = time.Now
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, ServerName: serverName}
	if caFile != "" {
		pool, err := CertPool(caFile)
		if err != nil {
			return nil, fmt.Errorf("collector CA: %w", err)
		}
		cfg.RootCAs = pool
	}
	if fingerprint == "" {
		return cfg, nil
	}
	pin, err := ParseFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	// The pin replaces (or, with caFile, adds to) the standard verification:
	// the standard one would need the CA in a pool we do not have yet.
	roots := cfg.RootCAs
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return verifyPinned(cs, pin, roots, serverName, now())
	}
	return cfg, nil
}

// verifyPinned checks the collector's chain against a pinned CA fingerprint
// (and, when roots is not nil, the roots too).
func verifyPinned(cs tls.ConnectionState, pin string, roots *x509.CertPool, serverName string, now time.Time) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("collector sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	var pinned *x509.Certificate
	for _, c := range cs.PeerCertificates[1:] {
		if Fingerprint(c) == pin {
			pinned = c
		}
	}
	if pinned == nil {
		return fmt.Errorf("collector's certificate chain has no CA with the pinned fingerprint %s (does its certificate file hold the chain, as `ca init` writes it?)", pin)
	}
	pool := x509.NewCertPool()
	pool.AddCert(pinned)
	opts := x509.VerifyOptions{Roots: pool, DNSName: serverName, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("collector certificate against the pinned CA: %w", err)
	}
	if roots != nil {
		opts.Roots = roots
		if _, err := leaf.Verify(opts); err != nil {
			return fmt.Errorf("collector certificate against the CA file: %w", err)
		}
	}
	return nil
}
