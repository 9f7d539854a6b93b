package enroll

import (
	"crypto/x509"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "certs.json")
	r := NewRegistry(path)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cert := func(serial int64) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), NotAfter: t0.Add(90 * 24 * time.Hour)}
	}
	if err := r.Check("h1", cert(1), t0); err != nil {
		t.Fatalf("no registry file: %v", err)
	}
	if err := r.Record("h1", cert(0x1a), false, t0); err != nil {
		t.Fatal(err)
	}
	if enrolled, revoked, err := r.Standing("h1", t0); err != nil || !enrolled || revoked {
		t.Fatalf("Standing after Record = %v %v %v", enrolled, revoked, err)
	}
	if enrolled, _, _ := r.Standing("h1", t0.Add(91*24*time.Hour)); enrolled {
		t.Error("an expired certificate still stands")
	}
	// Replacing revokes the previous serial.
	if err := r.Record("h1", cert(0x2b), true, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.Check("h1", cert(0x1a), t0.Add(2*time.Hour)); !errors.Is(err, ErrRevoked) {
		t.Errorf("replaced certificate: %v, want ErrRevoked", err)
	}
	if err := r.Check("h1", cert(0x2b), t0.Add(2*time.Hour)); err != nil {
		t.Errorf("current certificate: %v", err)
	}
	// Another process (ca revoke) revokes the host: noticed.
	if err := NewRegistry(path).RevokeHost("h1", "stolen", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.Check("h1", cert(0x2b), t0.Add(4*time.Hour)); !errors.Is(err, ErrRevoked) {
		t.Errorf("after the host's revocation: %v, want ErrRevoked", err)
	}
	if _, revoked, _ := r.Standing("h1", t0.Add(4*time.Hour)); !revoked {
		t.Error("revoked host not reported revoked")
	}
	// Enrolled again afterwards: the new certificate is valid.
	if err := r.Record("h1", cert(0x3c), true, t0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := r.Check("h1", cert(0x3c), t0.Add(6*time.Hour)); err != nil {
		t.Errorf("certificate issued after the revocation: %v", err)
	}
	if err := r.RevokeSerial("zz", "", time.Time{}, t0); err == nil {
		t.Error("RevokeSerial accepted a serial that is not hex")
	}
	// A corrupt registry fails closed.
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewRegistry(path).Check("h1", cert(0x3c), t0); err == nil {
		t.Error("a corrupt registry let a certificate through")
	}
}
