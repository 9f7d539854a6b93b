package cli

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/cmdutil"
)

// The read commands refuse a filter that names nothing, as a policy with
// the same typo is refused, with exit status 2 and the close matches.
func TestFiltersNamingNothingAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	t0 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	mustRun(t, db, "ingest", writeInventory(t, dir, "a.json", hostA(t0, "0K1NG001")), writeInventory(t, dir, "b.json", hostB(t0)))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"parts", "--vendor", "micorn"}, `--vendor: unknown vendor slug "micorn" (did you mean micron`},
		{[]string{"hosts", "--vendor", "micorn"}, `unknown vendor slug "micorn" (did you mean micron`},
		{[]string{"parts", "--vendor", "Micron"}, ""}, // case does not matter on the command line
		{[]string{"parts", "--label", "stie=fra1"}, `no host in the ledger has a label "stie" (did you mean site?)`},
		{[]string{"hosts", "--label", "!stie"}, `label "stie"`},
		{[]string{"parts", "--host", "db-71"}, `no host "db-71" in the ledger (neither a host id nor a hostname) (did you mean db-17?)`},
		{[]string{"history", "--host", "web-4"}, `did you mean web-3?`},
		{[]string{"history", "--kind", "part_remove"}, `did you mean part_removed`},
		{[]string{"label", "hots-a", "x=y"}, `did you mean host-a`},
		{[]string{"parts", "--format", "xml"}, `--format "xml"`},
		{[]string{"parts", "--limit", "many"}, `invalid argument "many"`},
		{[]string{"parts", "--bogus"}, `unknown flag: --bogus`},
		{[]string{"hosts", "extra"}, `unknown command "extra"`},
		{[]string{"label"}, `requires at least 1 arg`},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"report", "--fail-on", "waived"}, `--fail-on "waived": want violation`},
	} {
		_, _, err := runCLI(t, nil, "", append(tt.args, "--db", db)...)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error containing %q", tt.args, err, tt.want)
			continue
		}
		if code := cmdutil.ExitCode(err); code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
	}
}

// A hostname two hosts carry is refused where one host is needed, naming
// both ids; in filters it selects both.
func TestAmbiguousHostname(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	t0 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	twin := hostB(t0)
	twin.Host.HostId = "host-c"
	twin.MemoryModules[0].SerialNumber = "4E000002"
	mustRun(t, db, "ingest", writeInventory(t, dir, "b.json", hostB(t0)), writeInventory(t, dir, "c.json", twin))
	for _, args := range [][]string{{"history", "--host", "web-3"}, {"label", "web-3", "x=y"}} {
		_, _, err := runCLI(t, nil, "", append(args, "--db", db)...)
		if err == nil || !strings.Contains(err.Error(), `hostname "web-3" names 2 hosts (host-b, host-c): give a host id`) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error listing both ids", args, err)
		}
	}
	rows := readCSV(t, mustRun(t, db, "parts", "--host", "web-3", "--format", "csv"))
	if len(rows) != 3 || rows[1][1] != "web-3" || rows[2][1] != "web-3" {
		t.Errorf("parts --host web-3: %q, want both hosts' parts with their hostname", rows)
	}
}

func TestReportFailOnViolation(t *testing.T) {
	dsn, pol := reportLedger(t)
	out := filepath.Join(t.TempDir(), "report.txt")
	_, _, err := runCLI(t, nil, "", "report", "--db", dsn, "--policy", pol, "--as-of", "2025-03-26", "--fail-on", "violation", "-f", "table", "-o", out)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitViolations {
		t.Fatalf("report --fail-on violation with a violation: exit %d (%v), want 3", code, err)
	}
	if b, _ := os.ReadFile(out); !regexp.MustCompile(`(?m)^cii-micron +db-17 +db-17\.example\.net +nvme1n1 .*MICSSD01`).Match(b) {
		t.Errorf("the report was not written before exiting 3, or its violation lacks the hostname:\n%s", b)
	}
	html, _, err := runCLI(t, nil, "", "report", "--db", dsn, "--policy", pol, "--as-of", "2025-03-26", "-f", "html")
	if err != nil || !strings.Contains(html, "<td>db-17</td><td>db-17.example.net</td><td>nvme1n1</td>") {
		t.Errorf("html report: %v; its violation lacks the hostname", err)
	}
	// Before the violating SSD arrived: exit 0.
	if _, _, err := runCLI(t, nil, "", "report", "--db", dsn, "--policy", pol, "--as-of", "2025-03-12", "--fail-on", "violation"); err != nil {
		t.Fatalf("no violation: %v", err)
	}
	// Without --fail-on violations do not change the exit status.
	if _, _, err := runCLI(t, nil, "", "report", "--db", dsn, "--policy", pol, "--as-of", "2025-03-26"); err != nil {
		t.Fatalf("without --fail-on: %v", err)
	}
}

func TestReadCommandsWriteOutputFiles(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	t0 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	mustRun(t, db, "ingest", writeInventory(t, dir, "a.json", hostA(t0, "0K1NG001")))
	for _, cmd := range []string{"hosts", "parts", "history"} {
		path := filepath.Join(dir, cmd+".csv")
		if out := mustRun(t, db, cmd, "-f", "csv", "-o", path); out != "" {
			t.Errorf("%s -o wrote to stdout: %q", cmd, out)
		}
		b, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(b), "host-a") || !strings.Contains(string(b), "db-17") {
			t.Errorf("%s -o %s: %v %q", cmd, path, err, b)
		}
	}
}

func TestCollectorVersionAndCompletion(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "version")
	if err != nil || !strings.HasPrefix(out, "memledger-collector ") || !strings.Contains(out, "commit:") || !strings.Contains(out, "go:") {
		t.Errorf("version: %v %q", err, out)
	}
	out, _, err = runCLI(t, nil, "", "--version")
	if err != nil || !strings.HasPrefix(out, "memledger-collector ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: %v %q", err, out)
	}
	out, _, err = runCLI(t, nil, "", "completion", "bash")
	if err != nil || !strings.Contains(out, "__start_memledger-collector") {
		t.Errorf("completion bash: %v", err)
	}
	if _, _, err := runCLI(t, nil, "", "hosts", "--log-format", "xml"); cmdutil.ExitCode(err) != 2 {
		t.Errorf("--log-format xml: %v, want a usage error", err)
	}
}

// serve on a port in use reports it before it opens (and migrates) the
// ledger or starts the policy runtime.
func TestServeBindsBeforeTouchingTheLedger(t *testing.T) {
	_, pol := reportLedger(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, args := range [][]string{
		{"--listen", busy.Addr().String(), "--http-listen", "127.0.0.1:0"},
		{"--listen", "127.0.0.1:0", "--http-listen", busy.Addr().String()},
	} {
		path := filepath.Join(t.TempDir(), "new.db")
		_, stderr, err := runCLI(t, nil, "", append([]string{"serve", "--insecure", "--db", "sqlite:" + path, "--policy", pol}, args...)...)
		if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
			t.Fatalf("serve %v on a port in use: %v", args, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("serve %v created the ledger %s before binding: %v", args, path, err)
		}
		if strings.Contains(stderr, "policy_status_load_failed") || strings.Contains(stderr, "context canceled") {
			t.Errorf("serve %v logged work it then cancelled:\n%s", args, stderr)
		}
	}
}

// Each command's help lists only the flags that change what it does: the
// ledger's --db is on the commands that open it, not on ca or
// enroll-token.
func TestHelpListsOnlyTheCommandsOwnFlags(t *testing.T) {
	for args, wantDB := range map[string]bool{
		"ca init": false, "ca renew-server": false, "enroll-token create": false, "version": false,
		"parts": true, "serve": true, "report": true, "ingest": true,
	} {
		out, _, err := runCLI(t, nil, "", append(strings.Fields(args), "--help")...)
		if err != nil {
			t.Fatalf("%s --help: %v", args, err)
		}
		if got := strings.Contains(out, "--db DSN"); got != wantDB {
			t.Errorf("%s --help lists --db: %v, want %v", args, got, wantDB)
		}
	}
}
