package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/report"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
)

// reportLedger writes the report test fleet to a SQLite ledger and a
// policy file, and returns the DSN and the policy path.
func reportLedger(t *testing.T) (dsn, policyPath string) {
	t.Helper()
	dir := t.TempDir()
	dsn = "sqlite:" + filepath.Join(dir, "ledger.db")
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	rt.SeedFleet(t, st, 20)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	policyPath = filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyPath, []byte(rt.Policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return dsn, policyPath
}

func TestReportCommand(t *testing.T) {
	dsn, pol := reportLedger(t)
	out := filepath.Join(t.TempDir(), "exposure.html")
	tests := []struct {
		name    string
		args    []string
		want    []string // substrings of stdout
		wantErr string
	}{
		{"table", []string{"--policy", pol, "--as-of", "2025-03-26"},
			[]string{"3 hosts (1 with violations)", "Rule cii-micron (restrict-new from 2025-03-11)", "MICSSD01"}, ""},
		{"as of before the SSD", []string{"--policy", pol, "--as-of", "2025-03-12", "--format", "csv"},
			[]string{"cii-micron,rule,,2,0,0,2,0,0\n"}, ""},
		{"json group by", []string{"--policy", pol, "--as-of", "2025-03-26", "--format", "json", "--group-by", "env"},
			[]string{`"group_by": "env"`, `"key": "staging"`}, ""},
		{"violations csv", []string{"--policy", pol, "--as-of", "2025-03-26", "--format", "csv", "--violations"},
			[]string{"cii-micron,db-17,db-17.example.net,nvme1n1,drive,storage,micron,MTFDKCC960TFR,MICSSD01,2025-03-13T08:00:00Z,"}, ""},
		{"html to a file", []string{"--policy", pol, "--format", "html", "-o", out}, nil, ""},
		{"no policy", []string{"--as-of", "2025-03-26", "--format", "json"}, []string{`"policy": ""`, `"parts": 6`}, ""},
		{"unknown rule", []string{"--policy", pol, "--rule", "nope"}, nil, `unknown rule "nope"`},
		{"rule without policy", []string{"--rule", "cii-micron"}, nil, "--rule needs a policy"},
		{"bad as-of", []string{"--policy", pol, "--as-of", "last tuesday"}, nil, "--as-of"},
		{"bad format", []string{"--format", "pdf"}, nil, `--format "pdf"`},
		{"bad policy", []string{"--policy", filepath.Join(t.TempDir(), "none.yaml")}, nil, "--policy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCLI(t, nil, "", append([]string{"report", "--db", dsn}, tc.args...)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	html, err := os.ReadFile(out)
	// Both charts are in the file as SVG: they show with scripts stripped.
	if err != nil || !strings.Contains(string(html), `<svg class="chart-bars"`) || !strings.Contains(string(html), `<svg class="chart-exposure"`) {
		t.Errorf("html file lacks its SVG charts: %v", err)
	}
}

// The shipped collector.yaml names http-listen and policy: both must be
// flags, or every command would refuse the file.
func TestShippedConfigKeysAreFlags(t *testing.T) {
	dsn, _ := reportLedger(t)
	cfg := filepath.Join("..", "..", "..", "packaging", "config", "collector.yaml")
	if _, err := os.Stat(cfg); err != nil {
		t.Skipf("shipped config not found at %s: %v", cfg, err)
	}
	if _, stderr, err := runCLI(t, nil, "", "report", "--config", cfg, "--db", dsn, "--format", "json"); err != nil {
		t.Fatalf("report --config %s: %v\n%s", cfg, err, stderr)
	}
}

func waitFile(t *testing.T, path string, errc <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		select {
		case err := <-errc:
			t.Fatalf("serve ended early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s not written", path)
	return ""
}

// serveHTTP runs serve in the background with the HTTP listener, a
// read-only and an admin bearer token (call sends the read-only one,
// callAs the one given) and args (the ledger, the policy, ...); it stops
// when the test ends and must then exit cleanly.
func serveHTTP(t *testing.T, args ...string) (base string, call func(method, path string) (int, string), callAs func(token, method, path string) (int, string)) {
	t.Helper()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "http-token")
	if err := os.WriteFile(tokenFile, []byte("s3cret-token-for-tests\nadm1n-token-for-tests admin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := filepath.Join(dir, "http-addr")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		noEnv := func(string) (string, bool) { return "", false }
		errc <- run(ctx, append([]string{"serve", "--insecure", "--listen", "127.0.0.1:0",
			"--http-listen", "127.0.0.1:0", "--http-addr-file", httpAddr, "--http-token-file", tokenFile}, args...),
			strings.NewReader(""), io.Discard, io.Discard, noEnv)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	base = "http://" + waitFile(t, httpAddr, errc)
	callAs = func(token, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	call = func(method, path string) (int, string) {
		t.Helper()
		return callAs("s3cret-token-for-tests", method, path)
	}
	return base, call, callAs
}

// TestServeHTTPAndPolicyReload runs serve with the HTTP listener and a
// policy: the report shows the violation; a bad policy file is refused by
// the reload API (422, old policy kept), and with a read-only token (403);
// SIGHUP loads a good one.
func TestServeHTTPAndPolicyReload(t *testing.T) {
	dsn, pol := reportLedger(t)
	base, call, callAs := serveHTTP(t, "--db", dsn, "--policy", pol)
	counts := func() report.Counts {
		t.Helper()
		status, body := call("GET", "/api/v1/report")
		var rep report.Report
		if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || len(rep.Rules) != 1 {
			t.Fatalf("report: %d %s", status, body)
		}
		return rep.Rules[0].Counts
	}
	if got := counts(); got.Violation != 1 {
		t.Fatalf("counts %+v, want one violation", got)
	}
	if status, body := call("GET", "/healthz"); status != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", status, body)
	}
	if status, body := call("GET", "/readyz"); status != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", status, body)
	}
	resp, err := http.Get(base + "/api/v1/report")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("report without token: %d, want 401", resp.StatusCode)
	}

	if err := os.WriteFile(pol, []byte(rt.Policy+"  - id: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, body := call("POST", "/api/v1/policy/reload"); status != http.StatusForbidden {
		t.Errorf("reload with a read token: %d %s, want 403", status, body)
	}
	if status, body := callAs("adm1n-token-for-tests", "POST", "/api/v1/policy/reload"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "policy.yaml:") {
		t.Errorf("bad reload: %d %s", status, body)
	}
	if got := counts(); got.Violation != 1 {
		t.Errorf("after a refused reload: %+v, want the old policy's violation", got)
	}

	if err := os.WriteFile(pol, []byte(rt.Policy+rt.Waiver), 0o644); err != nil {
		t.Fatal(err)
	}
	// The waiver expires 2025-04-01, before this test runs: it shows as an
	// expired waiver in the reason, and the report stays a violation; what
	// SIGHUP must change is the policy in force, visible in the reasons.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := call("GET", "/api/v1/report?format=csv&violations=1")
		if strings.Contains(body, "waiver expired 2025-04-01") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not load the new policy:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
