package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/syncbuf"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestCAInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	out, errOut, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", dir, "--server-name", "localhost,127.0.0.1")
	if err != nil {
		t.Fatalf("ca init: %v\n%s", err, errOut)
	}
	modes := map[string]os.FileMode{"ca.crt": 0o644, "ca.key": 0o600, "collector.crt": 0o644, "collector.key": 0o600}
	for name, want := range modes {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
	ca, err := pki.LoadCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "--ca-sha256): "+pki.Fingerprint(ca.Cert)) {
		t.Errorf("output lacks the CA fingerprint %s:\n%s", pki.Fingerprint(ca.Cert), out)
	}
	chain, err := pki.LoadCerts(filepath.Join(dir, "collector.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || pki.Fingerprint(chain[1]) != pki.Fingerprint(ca.Cert) {
		t.Errorf("collector.crt holds %d certificates, want the server certificate and the CA", len(chain))
	}
	if err := chain[0].VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	// A second init must not silently replace the CA.
	if _, _, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second ca init: %v, want refusal naming --force", err)
	}
	if _, _, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", dir, "--force"); err != nil {
		t.Fatalf("ca init --force: %v", err)
	}
	again, err := pki.LoadCerts(filepath.Join(dir, "ca.crt"))
	if err != nil || pki.Fingerprint(again[0]) == pki.Fingerprint(ca.Cert) {
		t.Fatalf("--force did not replace the CA (%v)", err)
	}
}

func TestEnrollTokenCreate(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	out, errOut, err := runCLI(t, nil, "", "enroll-token", "create", "--tokens-file", tokens, "--ttl", "1h", "--host-id", "db-17")
	if err != nil {
		t.Fatalf("enroll-token create: %v\n%s", err, errOut)
	}
	tok := strings.TrimSpace(out)
	if len(tok) != 43 {
		t.Fatalf("token %q: want 43 base64url characters", tok)
	}
	store := enroll.NewTokens(tokens)
	if err := store.Consume(tok, "db-18", time.Now()); err == nil {
		t.Error("host-bound token accepted for another host")
	}
	if err := store.Consume(tok, "db-17", time.Now()); err != nil {
		t.Errorf("consume: %v", err)
	}
	for _, args := range [][]string{{"--ttl", "0s"}, {"--uses", "0"}} {
		if _, _, err := runCLI(t, nil, "", append([]string{"enroll-token", "create", "--tokens-file", tokens}, args...)...); err == nil {
			t.Errorf("enroll-token create %v succeeded", args)
		}
	}
}

func TestServeSecurityFlagsAreConfigKeys(t *testing.T) {
	a := &app{}
	known := allFlagNames(a.rootCommand())
	for _, k := range []string{"tls-cert", "tls-key", "tls-ca", "insecure", "ca-dir", "tokens-file", "http-token-file", "metrics-open"} {
		if !known[k] {
			t.Errorf("config key %q is no flag", k)
		}
	}
}

func TestServeRefusesWithoutTLS(t *testing.T) {
	tmp := t.TempDir()
	db := "sqlite:" + filepath.Join(tmp, "ledger.db")
	caDir := filepath.Join(tmp, "tls")
	if _, _, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", caDir, "--server-name", "localhost"); err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(tmp, "other")
	if _, _, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", otherDir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no TLS flags", nil, "serve needs mutual TLS"},
		{"missing key", []string{"--tls-cert", filepath.Join(caDir, "collector.crt"), "--tls-ca", filepath.Join(caDir, "ca.crt")}, "serve needs mutual TLS"},
		{"enrollment CA not trusted", []string{"--ca-dir", caDir, "--tls-ca", filepath.Join(otherDir, "ca.crt")}, "does not hold the enrollment CA"},
		{"unreadable cert", []string{"--tls-cert", filepath.Join(tmp, "nope.crt"), "--tls-key", filepath.Join(caDir, "collector.key"), "--tls-ca", filepath.Join(caDir, "ca.crt")}, "nope.crt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--db", db, "--listen", "127.0.0.1:0"}, tc.args...)
			_, _, err := runCLI(t, map[string]string{}, "", args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve %v: %v, want %q", tc.args, err, tc.want)
			}
		})
	}
}

// serveInBackground runs serve until the test ends and returns its address
// and log.
func serveInBackground(t *testing.T, args ...string) (string, *syncbuf.Buffer) {
	t.Helper()
	tmp := t.TempDir()
	addrFile := filepath.Join(tmp, "addr")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	go func() {
		all := append([]string{"serve", "--db", "sqlite:" + filepath.Join(tmp, "ledger.db"), "--listen", "127.0.0.1:0", "--addr-file", addrFile}, args...)
		done <- run(ctx, all, strings.NewReader(""), &bytes.Buffer{}, &logs, func(string) (string, bool) { return "", false })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil {
			return strings.TrimSpace(string(b)), &logs
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not listen:\n%s", logs.String())
	return "", nil
}

func TestServeInsecureWarnsLoudly(t *testing.T) {
	_, logs := serveInBackground(t, "--insecure")
	if !strings.Contains(logs.String(), "level=WARN msg=insecure_plaintext") {
		t.Errorf("no insecure warning at start:\n%s", logs.String())
	}
}

// TestServeEnrollment runs the documented flow: ca init, enroll-token
// create, serve --ca-dir, then an agent without a certificate enrolls over
// TLS trusting the CA fingerprint.
func TestServeEnrollment(t *testing.T) {
	tmp := t.TempDir()
	caDir := filepath.Join(tmp, "tls")
	tokens := filepath.Join(tmp, "tokens.json")
	if _, _, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", caDir, "--server-name", "localhost,127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, nil, "", "enroll-token", "create", "--tokens-file", tokens, "--ttl", "1h")
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out)
	addr, logs := serveInBackground(t, "--ca-dir", caDir, "--tokens-file", tokens)

	caCerts, err := pki.LoadCerts(filepath.Join(caDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pki.PinnedTLSConfig("", pki.Fingerprint(caCerts[0]), "127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.CreateCSR(key, "db-17")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := memledgerv1.NewEnrollServiceClient(cc).Enroll(ctx, &memledgerv1.EnrollRequest{Token: tok, CsrDer: csr, HostId: "db-17"})
	if err != nil {
		t.Fatalf("Enroll: %v\n%s", err, logs.String())
	}
	if len(resp.GetCertificateDer()) == 0 {
		t.Fatal("no certificate")
	}
	if !strings.Contains(logs.String(), "enrollment_enabled") {
		t.Errorf("log lacks enrollment_enabled:\n%s", logs.String())
	}

	// ca revoke given serve's --tokens-file finds the registry serve reads
	// (certs.json beside it): the running collector refuses the host's
	// certificate.
	if _, _, err := runCLI(t, nil, "", "ca", "revoke", "--tokens-file", tokens, "--host-id", "db-17", "--reason", "test"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, nil, "", "ca", "revoke", "--certs-file", filepath.Join(tmp, "certs.json"), "--list")
	if err != nil || !strings.Contains(out, `"db-17"`) {
		t.Fatalf("ca revoke --list: %q %v", out, err)
	}
	agentCfg := cfg.Clone()
	agentCfg.Certificates = []tls.Certificate{{Certificate: [][]byte{resp.GetCertificateDer()}, PrivateKey: key}}
	acc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(agentCfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer acc.Close()
	s, err := memledgerv1.NewIngestServiceClient(acc).Report(ctx)
	if err == nil {
		_ = s.Send(&memledgerv1.ReportRequest{HostId: "db-17", Sequence: 1})
		_, err = s.Recv()
	}
	if err == nil || !strings.Contains(logs.String(), "handshake_refused host_id=db-17") {
		t.Fatalf("report with a revoked certificate: %v, want the handshake refused\n%s", err, logs.String())
	}
}
