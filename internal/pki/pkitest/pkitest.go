// Package pkitest issues a test fleet's certificates the way the collector's
// CA does, and writes them to files the way the binaries read them: the
// CA's certificate, the collector's server certificate (with the CA in its
// chain) and key, and agents' client certificates and keys. Only tests
// import it.
package pkitest

import (
	"crypto/ecdsa"
	"path/filepath"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/pki"
)

// Fleet is a CA and, when NewFleet was given server names, the collector's
// certificate, all written under one temporary directory.
type Fleet struct {
	CA     *pki.CA
	CAFile string // the CA's certificate (PEM)
	// ServerCertFile holds the collector's certificate followed by the
	// CA's; ServerKeyFile its key. Both are empty without server names.
	ServerCertFile, ServerKeyFile string
}

// NewFleet makes a CA named name, valid from notBefore, writes its
// certificate, and, when serverNames are given, issues and writes the
// collector's server certificate for them (host names or IP addresses).
func NewFleet(t testing.TB, name string, notBefore time.Time, serverNames ...string) *Fleet {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.NewCA(name, notBefore)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fleet{CA: ca, CAFile: filepath.Join(dir, "ca.crt")}
	if err := pki.WriteCerts(f.CAFile, ca.Cert); err != nil {
		t.Fatal(err)
	}
	if len(serverNames) == 0 {
		return f
	}
	cert, key, err := ca.NewServerCert(serverNames, notBefore)
	if err != nil {
		t.Fatal(err)
	}
	f.ServerCertFile, f.ServerKeyFile = filepath.Join(dir, "collector.crt"), filepath.Join(dir, "collector.key")
	if err := pki.WriteCerts(f.ServerCertFile, cert, ca.Cert); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteKey(f.ServerKeyFile, key); err != nil {
		t.Fatal(err)
	}
	return f
}

// ClientFiles issues a client certificate for host, valid from notBefore
// for validity (0: the CA's default), as enrolment does from an agent's
// CSR, and writes it and its key to new files; it returns their paths.
func (f *Fleet) ClientFiles(t testing.TB, host string, notBefore time.Time, validity time.Duration) (certFile, keyFile string) {
	t.Helper()
	key, der := CSR(t, host)
	csr, err := pki.ParseCSR(der)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := f.CA.SignClient(csr, host, notBefore, validity)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, host+".crt"), filepath.Join(dir, host+".key")
	if err := pki.WriteCerts(certFile, cert); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteKey(keyFile, key); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// CSR makes a new key and an agent's certificate signing request for host,
// as memledger-agent enroll sends it (DER).
func CSR(t testing.TB, host string) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.CreateCSR(key, host)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}
