package enroll

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/pki/pkitest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// fakeCollector is an EnrollService over real TLS on loopback, with the
// token rules of the collector's (expired, already used), recording what
// agents send. (The collector's own service is tested in
// collector/internal/enroll and end to end in collector/internal/server.)
type fakeCollector struct {
	memledgerv1.UnimplementedEnrollServiceServer
	ca       *pki.CA
	caFile   string
	addr     string
	validity time.Duration

	mu       sync.Mutex
	used     map[string]bool
	requests [][]byte // every request, encoded as sent
}

func startFakeCollector(t *testing.T, validity time.Duration) *fakeCollector {
	t.Helper()
	fleet := pkitest.NewFleet(t, "fake fleet CA", time.Now(), "127.0.0.1")
	f := &fakeCollector{ca: fleet.CA, caFile: fleet.CAFile, validity: validity, used: map[string]bool{}}
	cfg, err := pki.ServerTLSConfig(fleet.ServerCertFile, fleet.ServerKeyFile, fleet.CAFile, false)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	memledgerv1.RegisterEnrollServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	f.addr = lis.Addr().String()
	return f
}

func (f *fakeCollector) record(m proto.Message) {
	b, _ := proto.Marshal(m)
	f.mu.Lock()
	f.requests = append(f.requests, b)
	f.mu.Unlock()
}

func (f *fakeCollector) issue(csrDER []byte, host string) (*memledgerv1.EnrollResponse, error) {
	csr, err := pki.ParseCSR(csrDER)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	cert, err := f.ca.SignClient(csr, host, time.Now(), f.validity)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &memledgerv1.EnrollResponse{CertificateDer: cert.Raw, CaDer: f.ca.Cert.Raw}, nil
}

func (f *fakeCollector) Enroll(_ context.Context, req *memledgerv1.EnrollRequest) (*memledgerv1.EnrollResponse, error) {
	f.record(req)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case req.GetToken() == "expired":
		return nil, status.Error(codes.PermissionDenied, "token expired")
	case f.used[req.GetToken()]:
		return nil, status.Error(codes.PermissionDenied, "token already used")
	}
	f.used[req.GetToken()] = true
	return f.issue(req.GetCsrDer(), req.GetHostId())
}

func (f *fakeCollector) Renew(ctx context.Context, req *memledgerv1.RenewRequest) (*memledgerv1.EnrollResponse, error) {
	f.record(req)
	p, _ := peer.FromContext(ctx)
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 {
		return nil, status.Error(codes.Unauthenticated, "no client certificate")
	}
	host, err := pki.HostIDFromCert(info.State.VerifiedChains[0][0])
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return f.issue(req.GetCsrDer(), host)
}

func TestEnroll(t *testing.T) {
	fc := startFakeCollector(t, 0)
	ctx := context.Background()
	pin := pki.Fingerprint(fc.ca.Cert)
	other, err := pki.NewCA("other", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		caFile  string
		pin     string
		wantErr string
	}{
		{"pinned CA", "t1", "", pin, ""},
		{"CA file", "t2", fc.caFile, "", ""},
		{"CA file and pin", "t3", fc.caFile, pin, ""},
		{"expired token", "expired", "", pin, "token expired"},
		{"reused token", "t1", "", pin, "token already used"},
		{"wrong pin", "t4", "", pki.Fingerprint(other.Cert), "pinned fingerprint"},
		{"no trust anchor", "t5", "", "", "no way to trust the collector"},
		{"empty token", "", "", pin, "enrollment token: empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			paths := DefaultPaths(t.TempDir())
			res, err := Enroll(ctx, Options{Collector: fc.addr, Token: tc.token, HostID: "db-17", Paths: paths, CAFile: tc.caFile, CASHA256: tc.pin})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Enroll: %v, want %q", err, tc.wantErr)
				}
				for _, p := range []string{paths.Cert, paths.Key, paths.CA} {
					if _, err := os.Stat(p); !os.IsNotExist(err) {
						t.Errorf("refused enrollment left %s (%v)", p, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Enroll: %v", err)
			}
			if res.HostID != "db-17" || res.CAFingerprint != pin {
				t.Errorf("result %+v", res)
			}
			checkFiles(t, paths, "db-17", fc)
		})
	}
}

// checkFiles asserts the stored files: modes, the certificate for the
// stored key and host, and that no request ever carried the key.
func checkFiles(t *testing.T, paths Paths, host string, fc *fakeCollector) {
	t.Helper()
	for p, want := range map[string]os.FileMode{paths.Cert: 0o644, paths.Key: 0o600, paths.CA: 0o644} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode().Perm(), want)
		}
	}
	key, err := pki.LoadKey(paths.Key)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.LoadCerts(paths.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Public().(*ecdsa.PublicKey).Equal(certs[0].PublicKey) {
		t.Error("stored certificate is not for the stored key")
	}
	if id, err := pki.HostIDFromCert(certs[0]); err != nil || id != host {
		t.Errorf("stored certificate host %q, %v", id, err)
	}
	cas, err := pki.LoadCerts(paths.CA)
	if err != nil || pki.Fingerprint(cas[0]) != pki.Fingerprint(fc.ca.Cert) {
		t.Errorf("stored CA is not the fleet CA (%v)", err)
	}
	// The key never leaves the host: no request holds its private scalar
	// or its encoding, and the CSR sent is for its public key.
	priv := key.(*ecdsa.PrivateKey)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	scalar, err := priv.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	found := false
	for _, req := range fc.requests {
		if bytes.Contains(req, scalar) || bytes.Contains(req, pkcs8) {
			t.Fatal("a request carried the private key")
		}
		var er memledgerv1.EnrollRequest
		if proto.Unmarshal(req, &er) == nil && len(er.GetCsrDer()) > 0 {
			if csr, err := x509.ParseCertificateRequest(er.GetCsrDer()); err == nil && priv.PublicKey.Equal(csr.PublicKey) {
				found = true
			}
		}
	}
	if !found {
		t.Error("no request carried a CSR for the stored key")
	}
}

func TestDue(t *testing.T) {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{NotBefore: nb, NotAfter: nb.Add(90 * 24 * time.Hour)}
	tests := []struct {
		at   time.Duration
		want bool
	}{
		{0, false},
		{59 * 24 * time.Hour, false},
		{60*24*time.Hour - time.Second, false},
		{60 * 24 * time.Hour, true},
		{89 * 24 * time.Hour, true},
		{91 * 24 * time.Hour, true},
	}
	for _, tc := range tests {
		if got := Due(cert, nb.Add(tc.at)); got != tc.want {
			t.Errorf("Due at +%v = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestRenewIfDue(t *testing.T) {
	fc := startFakeCollector(t, 3*time.Hour)
	ctx := context.Background()
	paths := DefaultPaths(t.TempDir())
	if _, err := Enroll(ctx, Options{Collector: fc.addr, Token: "r1", HostID: "db-17", Paths: paths, CASHA256: pki.Fingerprint(fc.ca.Cert)}); err != nil {
		t.Fatal(err)
	}
	before, err := pki.LoadCerts(paths.Cert)
	if err != nil {
		t.Fatal(err)
	}
	keyBefore, err := os.ReadFile(paths.Key)
	if err != nil {
		t.Fatal(err)
	}
	n := len(fc.requests)

	// Not due: nothing is sent.
	renewed, notAfter, err := RenewIfDue(ctx, fc.addr, paths, time.Now())
	if err != nil || renewed || !notAfter.Equal(before[0].NotAfter) {
		t.Fatalf("RenewIfDue now = %v, %v, %v; want no renewal", renewed, notAfter, err)
	}
	if len(fc.requests) != n {
		t.Fatal("a certificate not due was renewed")
	}

	// Due (two thirds of 3h after NotBefore, which is backdated 5 min).
	renewed, notAfter, err = RenewIfDue(ctx, fc.addr, paths, time.Now().Add(2*time.Hour))
	if err != nil || !renewed {
		t.Fatalf("RenewIfDue when due = %v, %v", renewed, err)
	}
	after, err := pki.LoadCerts(paths.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if after[0].SerialNumber.Cmp(before[0].SerialNumber) == 0 || !notAfter.Equal(after[0].NotAfter) {
		t.Error("the certificate file was not replaced by the renewed one")
	}
	keyAfter, err := os.ReadFile(paths.Key)
	if err != nil || !bytes.Equal(keyBefore, keyAfter) {
		t.Error("renewal changed the key file")
	}
	checkFiles(t, paths, "db-17", fc)

	// Expired: enroll again.
	if _, _, err := RenewIfDue(ctx, fc.addr, paths, time.Now().Add(4*time.Hour)); err == nil || !strings.Contains(err.Error(), "enroll again") {
		t.Errorf("RenewIfDue after expiry: %v", err)
	}
	// Missing certificate.
	if _, _, err := RenewIfDue(ctx, fc.addr, DefaultPaths(t.TempDir()), time.Now()); err == nil {
		t.Error("RenewIfDue without a certificate succeeded")
	}
}
