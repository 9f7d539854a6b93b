package cli

import (
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/cmdutil"
)

// enroll and doctor share the daemon's config file but list only the
// flags that change what they do.
func TestHelpListsOnlyTheCommandsOwnFlags(t *testing.T) {
	t.Parallel()
	daemonOnly := []string{"--interval", "--jitter", "--spool-max-entries", "--spool-max-bytes", "--keep-connection", "--label", "--log-format"}
	for _, cmd := range []string{"enroll", "doctor"} {
		out, _, err := run(t, "", cmd, "--help")
		if err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		for _, flag := range daemonOnly {
			if strings.Contains(out, flag) {
				t.Errorf("%s --help lists the daemon's %s:\n%s", cmd, flag, out)
			}
		}
		if !strings.Contains(out, "--collector") || !strings.Contains(out, "--tls-ca") {
			t.Errorf("%s --help lacks its own flags:\n%s", cmd, out)
		}
	}
	out, _, err := run(t, "", "run", "--help")
	if err != nil || !strings.Contains(out, "--interval") || !strings.Contains(out, "--log-format") {
		t.Errorf("run --help: %v\n%s", err, out)
	}
}

func TestAgentConventions(t *testing.T) {
	t.Parallel()
	out, _, err := run(t, "", "completion", "bash")
	if err != nil || !strings.Contains(out, "__start_memledger-agent") {
		t.Errorf("completion bash: %v", err)
	}
	out, _, err = run(t, "", "version")
	if err != nil || !strings.HasPrefix(out, "memledger-agent ") || !strings.Contains(out, "build date:") {
		t.Errorf("version: %v %q", err, out)
	}
	for _, args := range [][]string{
		{"run", "--log-format", "xml", "--insecure", "--config", ""},
		{"nosuch"},
		{"simulate"}, // --collector is required
		{"scan", "--root"},
	} {
		if _, _, err := run(t, "", args...); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("%v: %v (exit %d), want a usage error (exit 2)", args, err, cmdutil.ExitCode(err))
		}
	}
}
