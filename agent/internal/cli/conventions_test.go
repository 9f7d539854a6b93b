package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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

// Execute builds only the scan command for "scan ...": whatever a scan
// command line prints or fails with must be what the full tree gives.
func TestScanTreeAnswersLikeFullTree(t *testing.T) {
	t.Parallel()
	execute := func(root *cobra.Command, out, errOut *bytes.Buffer, args []string) string {
		err := cmdutil.Execute(context.Background(), root, args)
		return fmt.Sprintf("exit %d, error %v\nstdout:\n%s\nstderr:\n%s", cmdutil.ExitCode(err), err, out, errOut)
	}
	for _, args := range [][]string{
		{"scan", "--help"}, {"scan", "-h"}, {"scan", "--bogus"}, {"scan", "--format", "xml", "--smbios", "x"},
		{"scan", "extra"}, {"scan", "--smbios", "a", "--dmidecode", "b"}, {"scan", "--assume-new", "--smbios", "x"},
		{"scan", "--smbios", "/nonexistent"}, {"scan", "help"}, {"scan", "--version"},
	} {
		var fullOut, fullErr, leanOut, leanErr bytes.Buffer
		full := execute(newRootCommand(strings.NewReader(""), &fullOut, &fullErr), &fullOut, &fullErr, args)
		lean := execute(newScanRoot(strings.NewReader(""), &leanOut, &leanErr), &leanOut, &leanErr, args)
		if full != lean {
			t.Errorf("%q: the scan-only tree answers\n%s\nthe full tree\n%s", args, lean, full)
		}
	}
}
