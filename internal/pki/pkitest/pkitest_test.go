package pkitest

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/pki"
)

func TestFleetCertificatesChainToTheCA(t *testing.T) {
	now := time.Now()
	f := NewFleet(t, "test CA", now, "localhost", "127.0.0.1")
	roots := x509.NewCertPool()
	roots.AddCert(f.CA.Cert)

	chain, err := pki.LoadCerts(f.ServerCertFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || !chain[1].Equal(f.CA.Cert) {
		t.Fatalf("server chain of %d certificates, want the server's and the CA's", len(chain))
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: name}); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	if _, err := pki.LoadKey(f.ServerKeyFile); err != nil {
		t.Errorf("server key: %v", err)
	}

	certFile, keyFile := f.ClientFiles(t, "db-17", now, time.Hour)
	certs, err := pki.LoadCerts(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if host, err := pki.HostIDFromCert(certs[0]); err != nil || host != "db-17" {
		t.Errorf("client certificate names %q (%v), want db-17", host, err)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := pki.LoadKey(keyFile); err != nil {
		t.Errorf("client key: %v", err)
	}
}

func TestFleetWithoutServerNames(t *testing.T) {
	f := NewFleet(t, "test CA", time.Now())
	if f.ServerCertFile != "" || f.ServerKeyFile != "" {
		t.Errorf("server files %q %q issued without names", f.ServerCertFile, f.ServerKeyFile)
	}
	if _, err := pki.LoadCerts(f.CAFile); err != nil {
		t.Error(err)
	}
}
