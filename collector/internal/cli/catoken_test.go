package cli

import (
	"crypto/x509"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/pki"
)

func TestCARenewServer(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", dir, "--server-name", "ledger.internal,10.0.0.5"); err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "collector.crt"), filepath.Join(dir, "collector.key")
	before, err := pki.LoadCerts(certPath)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, nil, "", "ca", "renew-server", "--ca-dir", dir)
	if err != nil || !strings.Contains(out, "for ledger.internal, 10.0.0.5") {
		t.Fatalf("ca renew-server: %v\n%s", err, out)
	}
	after, err := pki.LoadCerts(certPath)
	if err != nil {
		t.Fatal(err)
	}
	leaf := after[0]
	if leaf.SerialNumber.Cmp(before[0].SerialNumber) == 0 {
		t.Error("the certificate was not replaced")
	}
	if !slices.Equal(leaf.DNSNames, []string{"ledger.internal"}) || len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "10.0.0.5" {
		t.Errorf("names %v %v, want the old certificate's", leaf.DNSNames, leaf.IPAddresses)
	}
	ca, err := pki.LoadCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "ledger.internal", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("renewed certificate does not chain to the CA: %v", err)
	}
	if _, err := pki.ServerTLSConfig(certPath, keyPath, filepath.Join(dir, "ca.crt"), true); err != nil {
		t.Errorf("renewed key and certificate do not pair: %v", err)
	}
	out, _, err = runCLI(t, nil, "", "ca", "renew-server", "--ca-dir", dir, "--server-name", "other.internal")
	if err != nil || !strings.Contains(out, "for other.internal") {
		t.Errorf("--server-name: %v %s", err, out)
	}
	if _, _, err := runCLI(t, nil, "", "ca", "renew-server", "--ca-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--ca-dir") {
		t.Errorf("without a CA: %v", err)
	}
}

func TestEnrollTokenListAndRevoke(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	create := func(args ...string) string {
		out, _, err := runCLI(t, nil, "", append([]string{"enroll-token", "create", "--tokens-file", tokens}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	first := create("--ttl", "1h", "--host-id", "db-17")
	second := create("--ttl", "2h", "--uses", "5")
	out, _, err := runCLI(t, nil, "", "enroll-token", "list", "--tokens-file", tokens)
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^([0-9a-f]{12})\s+(\S+)\s+.*\s+(\d+)\s+(valid|spent|expired)$`).FindAllStringSubmatch(out, -1)
	if len(rows) != 2 || rows[0][2] != "db-17" || rows[0][3] != "1" || rows[1][2] != "-" || rows[1][3] != "5" || strings.Contains(out, first) {
		t.Fatalf("list:\n%s", out)
	}
	// Revoke the first by its listed prefix, the second by the token.
	if out, _, err := runCLI(t, nil, "", "enroll-token", "revoke", "--tokens-file", tokens, rows[0][1][:8]); err != nil || !strings.HasPrefix(out, "revoked "+rows[0][1]) {
		t.Fatalf("revoke by prefix: %v %s", err, out)
	}
	if err := enroll.NewTokens(tokens).Consume(first, "db-17", time.Now()); err == nil {
		t.Error("a revoked token still enrolls")
	}
	if err := enroll.NewTokens(tokens).Consume(second, "db-18", time.Now()); err != nil {
		t.Errorf("the other token: %v", err)
	}
	if _, _, err := runCLI(t, nil, "", "enroll-token", "revoke", "--tokens-file", tokens, second); err != nil {
		t.Fatalf("revoke by token: %v", err)
	}
	if out, _, _ := runCLI(t, nil, "", "enroll-token", "list", "--tokens-file", tokens); strings.Count(out, "\n") != 1 {
		t.Errorf("list after revoking both:\n%s", out)
	}
	for _, ref := range []string{"deadbeefdeadbeef", "abc"} {
		_, _, err := runCLI(t, nil, "", "enroll-token", "revoke", "--tokens-file", tokens, ref)
		if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "unknown enrollment token") {
			t.Errorf("revoke %s: %v, want a usage error", ref, err)
		}
	}
}
