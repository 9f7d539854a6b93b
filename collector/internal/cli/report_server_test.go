package cli

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/cmdutil"
)

// readToken writes the read-only bearer token of serveHTTP to a file, as
// report --token-file reads it.
func readToken(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "http-token")
	if err := os.WriteFile(path, []byte("# the collector's read token\n\n"+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReportServerEqualsLocal: report --server renders the serving
// collector's report exactly as report --policy renders the ledger's, in
// every format. 2025-03-31 is before the waiver's expiry, so the collector
// recomputes; 2026-01-01 is in the policy's present epoch, which the
// collector answers from its live aggregates.
func TestReportServerEqualsLocal(t *testing.T) {
	dsn, pol := goldenLedger(t)
	base, _, _ := serveHTTP(t, "--db", dsn, "--policy", pol)
	tok := readToken(t, "s3cret-token-for-tests")
	for _, asOf := range []string{"2025-03-31", "2026-01-01"} {
		for _, format := range [][]string{
			{"--format", "table"},
			{"--format", "table", "--violations"},
			{"--format", "csv"},
			{"--format", "csv", "--violations"},
			{"--format", "json"},
			{"--format", "html"},
		} {
			t.Run(asOf+strings.Join(format, "_"), func(t *testing.T) {
				args := append([]string{"report", "--as-of", asOf, "--group-by", "site"}, format...)
				local := mustRun(t, dsn, append(args, "--policy", pol)...)
				remote, stderr, err := runCLI(t, nil, "", append(args, "--server", base, "--token-file", tok)...)
				if err != nil {
					t.Fatalf("report --server: %v\n%s", err, stderr)
				}
				mask := func(s string) string { return reportGenerated.ReplaceAllString(s, "${1}(report time)") }
				if mask(remote) != mask(local) {
					t.Errorf("report --server differs from the local report:\n--- server\n%s\n--- local\n%s", remote, local)
				}
				if !strings.Contains(local, "no-new-micron") {
					t.Errorf("the report lacks the rule:\n%s", local)
				}
			})
		}
	}
}

func TestReportServer(t *testing.T) {
	dsn, pol := reportLedger(t)
	base, _, _ := serveHTTP(t, "--db", dsn, "--policy", pol)
	tok := readToken(t, "s3cret-token-for-tests")
	report := func(args ...string) (string, error) {
		t.Helper()
		// No --db: a report from the server must not need the ledger.
		out, _, err := runCLI(t, nil, "", append([]string{"report", "--server", base}, args...)...)
		return out, err
	}

	out := filepath.Join(t.TempDir(), "report.txt")
	_, err := report("--token-file", tok, "--as-of", "2025-03-26", "--fail-on", "violation", "-o", out)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitViolations {
		t.Fatalf("--fail-on violation with a violation: exit %d (%v), want 3", code, err)
	}
	if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte("MICSSD01")) {
		t.Errorf("the report was not written before exiting 3:\n%s", b)
	}
	if _, err := report("--token-file", tok, "--as-of", "2025-03-12", "--fail-on", "violation"); err != nil {
		t.Errorf("--fail-on without a violation: %v", err)
	}
	if got, err := report("--token-file", tok, "--as-of", "2025-03-26", "--rule", "cii-micron", "--format", "csv"); err != nil ||
		!strings.Contains(got, "cii-micron,rule,,2,1,0,1,1,0\n") {
		t.Errorf("--rule cii-micron: %v\n%s", err, got)
	}

	wrong := readToken(t, "not-the-token-of-the-collector")
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no token", nil, 1, "wants a bearer token: give --token-file"},
		{"wrong token", []string{"--token-file", wrong}, 1, "does not accept the token of --token-file " + wrong},
		{"unknown rule", []string{"--token-file", tok, "--rule", "nope"}, 2, `unknown rule "nope"`},
		{"unknown label", []string{"--token-file", tok, "--group-by", "sight"}, 2, `label "sight"`},
		{"policy", []string{"--token-file", tok, "--policy", pol}, 2, "--policy with --server"},
		{"bad as-of", []string{"--token-file", tok, "--as-of", "yesterday"}, 2, "--as-of"},
		{"missing token file", []string{"--token-file", filepath.Join(t.TempDir(), "none")}, 1, "--token-file"},
		{"CA over http", []string{"--token-file", tok, "--server-ca", pol}, 2, "--server-ca needs an https:// --server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report(tc.args...)
			if code := cmdutil.ExitCode(err); code != tc.wantCode || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Errorf("exit %d (%v), want %d and %q", code, err, tc.wantCode, tc.want)
			}
		})
	}

	// A --policy from the environment (or a config file shared with
	// serve) is the collector's own: not an error, not used.
	if _, _, err := runCLI(t, map[string]string{"MEMLEDGER_POLICY": "/nonexistent.yaml"}, "", "report", "--server", base, "--token-file", tok); err != nil {
		t.Errorf("MEMLEDGER_POLICY with --server: %v", err)
	}
	if _, _, err := runCLI(t, nil, "", "report", "--db", dsn, "--token-file", tok); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--token-file needs --server") {
		t.Errorf("--token-file without --server: %v", err)
	}
	for _, bad := range []string{"ftp://example.net", "example.net:7421", "http://user:pw@example.net", "http://example.net/?x=1"} {
		if _, _, err := runCLI(t, nil, "", "report", "--server", bad); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--server") {
			t.Errorf("--server %s: %v, want a usage error", bad, err)
		}
	}
}

func TestReportServerRefused(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + lis.Addr().String()
	lis.Close()
	_, _, err = runCLI(t, nil, "", "report", "--server", url)
	if err == nil || !strings.Contains(err.Error(), "report from "+url+": connection refused") {
		t.Errorf("closed port: %v", err)
	}
}

// A hostile or broken server gets a clear error, never a panic or a
// report made of whatever it sent.
func TestReportServerHostile(t *testing.T) {
	old := maxServerReport
	maxServerReport = 1 << 20
	t.Cleanup(func() { maxServerReport = old })
	tok := readToken(t, "s3cret-token-for-tests")
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"garbage", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"schema_version": 1, "rules": [{"id": `) },
			"not a report's JSON"},
		{"html", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "<html><body>hello</body></html>") },
			"not a report's JSON"},
		{"empty object", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{}`) }, "no schema_version"},
		{"wrong types", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, `{"schema_version": 1, "rules": [{"counts": {"violation": "many"}}]}`)
		}, "not a report's JSON"},
		{"trailing data", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"schema_version": 1} {}`) },
			"not a report's JSON"},
		{"huge", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, `{"schema_version": 1, "policy": "`)
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for range 64 { // 4 MiB, past the bound
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "larger than 1 MiB"},
		{"500", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error": "internal error (see the collector's log)"}`)
		}, "the collector failed (500 Internal Server Error): internal error (see the collector's log)"},
		{"502 text", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "upstream down\nmore lines")
		}, "(502 Bad Gateway): upstream down"},
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "no report API there"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.example/", http.StatusFound)
		}, `redirects to "http://elsewhere.example/"`},
		{"403", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "forbidden", http.StatusForbidden) },
			"may not read reports"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, "no answer within 200ms (--timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, _, err := runCLI(t, nil, "", "report", "--server", srv.URL, "--token-file", tok, "--timeout", "200ms")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("err %v, want %q and the server's URL", err, tc.want)
			}
		})
	}
}

// Over https, report --server trusts --server-ca; without it the fleet
// CA's certificate is refused with a hint.
func TestReportServerHTTPS(t *testing.T) {
	dsn, pol := reportLedger(t)
	dir := filepath.Join(t.TempDir(), "tls")
	if _, stderr, err := runCLI(t, nil, "", "ca", "init", "--ca-dir", dir, "--server-name", "127.0.0.1"); err != nil {
		t.Fatalf("ca init: %v\n%s", err, stderr)
	}
	base, _, _ := serveHTTP(t, "--db", dsn, "--policy", pol,
		"--http-tls-cert", filepath.Join(dir, "collector.crt"), "--http-tls-key", filepath.Join(dir, "collector.key"))
	base = "https://" + strings.TrimPrefix(base, "http://")
	tok := readToken(t, "s3cret-token-for-tests")
	out, stderr, err := runCLI(t, nil, "", "report", "--server", base, "--server-ca", filepath.Join(dir, "ca.crt"), "--token-file", tok,
		"--as-of", "2025-03-26", "--format", "csv", "--violations")
	if err != nil || !strings.Contains(out, "MICSSD01") {
		t.Fatalf("report over https: %v\n%s%s", err, out, stderr)
	}
	_, _, err = runCLI(t, nil, "", "report", "--server", base, "--token-file", tok)
	if err == nil || !strings.Contains(err.Error(), "--server-ca FILE") {
		t.Errorf("https without --server-ca: %v, want the hint", err)
	}
}

// An answer without some lists (an older collector's: unread_hosts came
// later) is written with them empty, in the documented shape.
func TestReportServerFillsMissingLists(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"schema_version": 1, "as_of": "2025-03-31T23:59:59.999999Z", "policy": "p.yaml", "rules": null}`)
	}))
	defer srv.Close()
	out, _, err := runCLI(t, nil, "", "report", "--server", srv.URL, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range []string{"rules", "violations", "serial_clashes", "unread_hosts"} {
		if !strings.Contains(out, `"`+list+`": []`) {
			t.Errorf("%s is not an empty list:\n%s", list, out)
		}
	}
}
