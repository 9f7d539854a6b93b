package enroll

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/pki/pkitest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestTokens(t *testing.T) {
	type use struct {
		host    string
		at      time.Duration // after creation
		wantErr error
	}
	tests := []struct {
		name string
		opts CreateOptions
		uses []use
	}{
		{"single use", CreateOptions{TTL: time.Hour}, []use{
			{"h1", time.Minute, nil},
			{"h2", 2 * time.Minute, ErrTokenUsed},
			{"h1", 3 * time.Minute, ErrTokenUsed},
		}},
		{"expired", CreateOptions{TTL: time.Hour}, []use{
			{"h1", time.Hour, ErrTokenExpired},
			{"h1", 2 * time.Hour, ErrTokenExpired},
		}},
		{"three uses", CreateOptions{TTL: time.Hour, Uses: 3}, []use{
			{"h1", 0, nil}, {"h2", 0, nil}, {"h3", 0, nil}, {"h4", 0, ErrTokenUsed},
		}},
		{"host-bound", CreateOptions{TTL: time.Hour, HostID: "db-17"}, []use{
			{"db-18", 0, ErrTokenHost},
			{"db-17", 0, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.json")
			ts := NewTokens(path)
			tok, info, err := ts.Create(tc.opts, t0)
			if err != nil {
				t.Fatal(err)
			}
			if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
				t.Fatalf("token %q: want base64url of 32 bytes (%v)", tok, err)
			}
			if info.ExpiresAt != t0.Add(tc.opts.TTL) {
				t.Errorf("expires %v", info.ExpiresAt)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), tok) {
				t.Error("tokens file holds the token itself, want only its hash")
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("tokens file mode %v (%v), want 0600", fi.Mode().Perm(), err)
			}
			for i, u := range tc.uses {
				// A fresh store each time: state lives in the file.
				err := NewTokens(path).Consume(tok, u.host, t0.Add(u.at))
				if !errors.Is(err, u.wantErr) {
					t.Fatalf("use %d (%s at +%v): %v, want %v", i, u.host, u.at, err, u.wantErr)
				}
			}
			if err := ts.Consume("not-a-token", "h1", t0); !errors.Is(err, ErrTokenUnknown) {
				t.Errorf("unknown token: %v", err)
			}
		})
	}
}

func TestTokensCreateRefuses(t *testing.T) {
	ts := NewTokens(filepath.Join(t.TempDir(), "tokens.json"))
	for _, o := range []CreateOptions{{TTL: 0}, {TTL: -time.Hour}, {TTL: time.Hour, Uses: -1}, {TTL: time.Hour, HostID: " x"}} {
		if _, _, err := ts.Create(o, t0); err == nil {
			t.Errorf("Create(%+v) succeeded", o)
		}
	}
}

func TestTokensCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	for _, data := range []string{"{", `{"version":2,"tokens":[]}`} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		err := NewTokens(path).Consume("x", "h", t0)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("corrupt file %q: %v, want an error naming the file", data, err)
		}
	}
}

func newService(t *testing.T) (*Service, *Tokens) {
	t.Helper()
	ca, err := pki.NewCA("test", t0)
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens(filepath.Join(t.TempDir(), "tokens.json"))
	return &Service{CA: ca, Tokens: tokens, Now: func() time.Time { return t0.Add(time.Minute) }}, tokens
}

func TestServiceEnroll(t *testing.T) {
	svc, tokens := newService(t)
	tok, _, err := tokens.Create(CreateOptions{TTL: time.Hour}, t0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, csr := pkitest.CSR(t, "db-17")
	tests := []struct {
		name     string
		req      *memledgerv1.EnrollRequest
		wantCode codes.Code
		wantMsg  string
	}{
		{"bad host id", &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: ""}, codes.InvalidArgument, "host_id"},
		{"bad csr", &memledgerv1.EnrollRequest{Token: tok, CsrDer: []byte("junk"), HostId: "db-17"}, codes.InvalidArgument, "csr_der"},
		{"huge csr", &memledgerv1.EnrollRequest{Token: tok, CsrDer: make([]byte, MaxCSRBytes+1), HostId: "db-17"}, codes.InvalidArgument, "csr_der"},
		{"no token", &memledgerv1.EnrollRequest{CsrDer: csr, HostId: "db-17"}, codes.Unauthenticated, "token"},
		{"unknown token", &memledgerv1.EnrollRequest{Token: "nope", CsrDer: csr, HostId: "db-17"}, codes.PermissionDenied, "unknown token"},
		// The refusals above spent nothing: the token still works once.
		{"valid", &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "db-17"}, codes.OK, ""},
		{"reused", &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "db-17"}, codes.PermissionDenied, "token already used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := svc.Enroll(ctx, tc.req)
			if got := status.Code(err); got != tc.wantCode || (tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg)) {
				t.Fatalf("Enroll: %v, want %v %q", err, tc.wantCode, tc.wantMsg)
			}
			if err != nil {
				return
			}
			cert, err := x509.ParseCertificate(resp.GetCertificateDer())
			if err != nil {
				t.Fatal(err)
			}
			if id, err := pki.HostIDFromCert(cert); err != nil || id != "db-17" {
				t.Errorf("host %q, %v", id, err)
			}
			if !resp.GetNotAfter().AsTime().Equal(cert.NotAfter) {
				t.Errorf("not_after %v, certificate %v", resp.GetNotAfter().AsTime(), cert.NotAfter)
			}
			if string(resp.GetCaDer()) != string(svc.CA.Cert.Raw) {
				t.Error("ca_der is not the CA")
			}
		})
	}
}

func TestServiceEnrollExpiredToken(t *testing.T) {
	svc, tokens := newService(t)
	tok, _, err := tokens.Create(CreateOptions{TTL: 30 * time.Second}, t0) // the service's clock is t0+1m
	if err != nil {
		t.Fatal(err)
	}
	_, csr := pkitest.CSR(t, "h")
	_, err = svc.Enroll(context.Background(), &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "h"})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "token expired") {
		t.Fatalf("Enroll: %v, want PermissionDenied token expired", err)
	}
}

func TestServiceRenewNeedsCertificate(t *testing.T) {
	svc, _ := newService(t)
	_, csr := pkitest.CSR(t, "h")
	_, err := svc.Renew(context.Background(), &memledgerv1.RenewRequest{CsrDer: csr})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Renew without a peer: %v, want Unauthenticated", err)
	}
}

func FuzzTokensFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"tokens":[{"sha256":"00","expires_at":"2030-01-01T00:00:00Z","uses_left":1}]}`))
	f.Add([]byte(`{"version":1,"tokens":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "tokens.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_ = NewTokens(path).Consume("x", "h", t0) // must not panic
	})
}

// Every request is reported to Observe with its kind and outcome.
func TestServiceObserve(t *testing.T) {
	svc, tokens := newService(t)
	var seen []string
	svc.Observe = func(kind, outcome string) { seen = append(seen, kind+" "+outcome) }
	tok, _, err := tokens.Create(CreateOptions{TTL: time.Hour}, t0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, csr := pkitest.CSR(t, "db-17")
	svc.Enroll(ctx, &memledgerv1.EnrollRequest{Token: "nope", CsrDer: csr, HostId: "db-17"})
	svc.Enroll(ctx, &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "db-17"})
	svc.Renew(ctx, &memledgerv1.RenewRequest{CsrDer: csr})
	// A tokens file that cannot be read is the collector's fault.
	svc.Tokens = NewTokens(t.TempDir()) // a directory, not a file
	svc.Enroll(ctx, &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "db-17"})
	want := "enroll refused,enroll issued,renew refused,enroll failed"
	if got := strings.Join(seen, ","); got != want {
		t.Errorf("observed %q, want %q", got, want)
	}
}

// A token is given to commands as an argument (enroll-token revoke TOKEN),
// so it never starts with '-', which would read as a flag. One in 64
// base64url tokens would: 500 tokens find that almost surely.
func TestTokensNeverStartWithADash(t *testing.T) {
	ts := NewTokens(filepath.Join(t.TempDir(), "tokens.json"))
	for range 500 {
		tok, _, err := ts.Create(CreateOptions{TTL: time.Hour, Uses: 1}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(tok, "-") {
			t.Fatalf("token %q starts with '-'", tok)
		}
	}
}
