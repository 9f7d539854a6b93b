package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func mustCA(t testing.TB) *CA {
	t.Helper()
	ca, err := NewCA("test CA", t0)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustCSR(t testing.TB, host string) (*ecdsa.PrivateKey, *x509.CertificateRequest) {
	t.Helper()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := CreateCSR(key, host)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSR(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, csr
}

func TestNewCA(t *testing.T) {
	ca := mustCA(t)
	c := ca.Cert
	if !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: IsCA %v, key usage %b", c.IsCA, c.KeyUsage)
	}
	if got := c.NotAfter.Sub(t0); got != CAValidity {
		t.Errorf("CA validity %v, want %v", got, CAValidity)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("CA key %T, want ECDSA P-256", c.PublicKey)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
}

func TestSignClientCarriesHostIdentity(t *testing.T) {
	ca := mustCA(t)
	for _, host := range []string{"db-17", "4c4c4544-0042-3510-8052-b4c04f4d4e32", "rack 4/ü?#x"} {
		t.Run(host, func(t *testing.T) {
			key, csr := mustCSR(t, host)
			cert, err := ca.SignClient(csr, host, t0, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := HostIDFromCert(cert)
			if err != nil || got != host {
				t.Fatalf("HostIDFromCert = %q, %v; want %q", got, err, host)
			}
			if cert.Subject.CommonName != host {
				t.Errorf("CN %q, want %q", cert.Subject.CommonName, host)
			}
			if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
				t.Errorf("ext key usage %v, want client auth only", cert.ExtKeyUsage)
			}
			if got := cert.NotAfter.Sub(t0); got != ClientValidity {
				t.Errorf("validity %v, want %v", got, ClientValidity)
			}
			if !key.PublicKey.Equal(cert.PublicKey) {
				t.Error("certificate is not for the request's key")
			}
			pool := x509.NewCertPool()
			pool.AddCert(ca.Cert)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: t0, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("does not verify against the CA: %v", err)
			}
		})
	}
}

// A request cannot widen its identity: names come from the host id the CA
// was told, not from the request.
func TestSignClientIgnoresRequestedNames(t *testing.T) {
	ca := mustCA(t)
	key, _ := GenerateKey()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "host-b"},
		URIs:     []*url.URL{HostURI("host-b"), HostURI("host-c")},
		DNSNames: []string{"collector.example.com"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSR(der)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.SignClient(csr, "host-a", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := HostIDFromCert(cert); err != nil || id != "host-a" {
		t.Fatalf("host %q, %v; want host-a", id, err)
	}
	if len(cert.URIs) != 1 || len(cert.DNSNames) != 0 {
		t.Errorf("names URIs %v DNS %v, want only the host URI", cert.URIs, cert.DNSNames)
	}
}

func TestHostIDFromCertRefuses(t *testing.T) {
	mk := func(cn string, uris ...string) *x509.Certificate {
		c := &x509.Certificate{Subject: pkix.Name{CommonName: cn}}
		for _, u := range uris {
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			c.URIs = append(c.URIs, pu)
		}
		return c
	}
	tests := []struct {
		name string
		cert *x509.Certificate
		want string
	}{
		{"nil", nil, "no certificate"},
		{"no URI", mk("host-a"), "no memledger host identity"},
		{"other scheme only", mk("host-a", "spiffe://example.org/host-a"), "no memledger host identity"},
		{"wrong authority", mk("host-a", "memledger://agent/host-a"), "want memledger://host/<host_id>"},
		{"two hosts", mk("", "memledger://host/a", "memledger://host/b"), "has 2 memledger host URIs"},
		{"CN disagrees", mk("host-b", "memledger://host/host-a"), "CN \"host-b\" differs"},
		{"empty id", mk("", "memledger://host/"), "invalid host id: empty"},
		{"control char", mk("", "memledger://host/a%0Ab"), "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := HostIDFromCert(tc.cert)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("HostIDFromCert = %q, %v; want error %q", id, err, tc.want)
			}
		})
	}
}

func TestParseCSRRefuses(t *testing.T) {
	_, csr := mustCSR(t, "h")
	bad := append([]byte(nil), csr.Raw...)
	bad[len(bad)-3] ^= 0xff // break the signature
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaCSR, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "h"}}, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		der  []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"garbage", []byte("not a csr"), "certificate request (9 bytes)"},
		{"truncated", csr.Raw[:len(csr.Raw)/2], "certificate request ("},
		{"bad signature", bad, "signature"},
		{"RSA key", rsaCSR, "keys are not accepted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseCSR(tc.der); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCSR: %v, want error %q", err, tc.want)
			}
		})
	}
}

func TestNewServerCert(t *testing.T) {
	ca := mustCA(t)
	cert, key, err := ca.NewServerCert([]string{"collector.example.com", "10.0.0.5"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, name := range []string{"collector.example.com", "10.0.0.5"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, CurrentTime: t0}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Error("key does not match")
	}
	for _, names := range [][]string{nil, {""}, {"http://x"}} {
		if _, _, err := ca.NewServerCert(names, t0); err == nil {
			t.Errorf("NewServerCert(%q) succeeded", names)
		}
	}
}

func TestFilesRoundTripAndModes(t *testing.T) {
	dir := t.TempDir()
	ca := mustCA(t)
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := WriteCerts(certFile, ca.Cert); err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(keyFile, ca.Key); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{certFile: 0o644, keyFile: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), want)
		}
	}
	loaded, err := LoadCA(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(loaded.Cert) != Fingerprint(ca.Cert) {
		t.Error("loaded CA differs")
	}
	// A key from elsewhere is refused.
	other := mustCA(t)
	if err := WriteKey(keyFile, other.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(certFile, keyFile); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("LoadCA with another key: %v", err)
	}
	// A key in a certificate file is named.
	if _, err := LoadCerts(keyFile); err == nil || !strings.Contains(err.Error(), `PEM block 1 is "PRIVATE KEY"`) {
		t.Errorf("LoadCerts(key file): %v", err)
	}
	if _, err := LoadCerts(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

func TestParseFingerprint(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	colons := strings.ToUpper(strings.TrimSuffix(strings.Repeat("AB:", 32), ":"))
	for in, want := range map[string]string{hex: hex, colons: hex, " " + hex + "\n": hex} {
		if got, err := ParseFingerprint(in); err != nil || got != want {
			t.Errorf("ParseFingerprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ab", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
		if _, err := ParseFingerprint(in); err == nil {
			t.Errorf("ParseFingerprint(%q) succeeded", in)
		}
	}
}

func FuzzParseCSR(f *testing.F) {
	key, _ := GenerateKey()
	der, _ := CreateCSR(key, "db-17")
	f.Add(der)
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		csr, err := ParseCSR(b)
		if err != nil {
			return
		}
		if csr.CheckSignature() != nil {
			t.Fatal("accepted a request with a bad signature")
		}
	})
}

func FuzzParseCertsAndHostID(f *testing.F) {
	ca, _ := NewCA("fuzz", t0)
	_, csr := mustCSR(f, "db-17")
	cert, _ := ca.SignClient(csr, "db-17", t0, 0)
	f.Add(EncodeCerts(cert, ca.Cert))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		certs, err := ParseCerts("fuzz", b)
		if err != nil {
			return
		}
		for _, c := range certs {
			if id, err := HostIDFromCert(c); err == nil && ValidateHostID(id) != nil {
				t.Fatalf("HostIDFromCert returned invalid id %q", id)
			}
		}
	})
}

func FuzzParseKey(f *testing.F) {
	key, _ := GenerateKey()
	b, _ := EncodeKey(key)
	f.Add(b)
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseKey("fuzz", b) // must not panic
	})
}
