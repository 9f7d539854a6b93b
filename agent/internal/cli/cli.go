// Package cli is memledger-agent's command line: it parses flags, runs the
// work and reports errors; only main exits.
package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/inventory"
)

// ExitError carries a specific exit status (2: usage, 3: policy violations
// found) out to main.
type ExitError = cmdutil.ExitError

// Execute runs the command line args (without the program name).
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "scan" {
		// A one-shot scan builds only its own command: building the other
		// five and their flags (the daemon's settings three times over)
		// cost a one-shot scan as much as identifying its modules
		// (docs/benchmarks.md). TestScanTreeAnswersLikeFullTree checks that
		// a scan command line gets the answers the full tree gives.
		return cmdutil.Execute(ctx, newScanRoot(stdin, stdout, stderr), args)
	}
	return cmdutil.Execute(ctx, newRootCommand(stdin, stdout, stderr), args)
}

// newScanRoot is the root command with the scan command alone.
func newScanRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := newRoot(stdin, stdout, stderr)
	root.AddCommand(newScanCommand(stdin, stdout, stderr))
	return root
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := newRoot(stdin, stdout, stderr)
	root.AddCommand(newScanCommand(stdin, stdout, stderr))
	root.AddCommand(newSnapshotCommand(stdout, stderr))
	root.AddCommand(newSimulateCommand(stdout, stderr))
	root.AddCommand(newRunCommand(stdout, stderr))
	root.AddCommand(newEnrollCommand(stdout, stderr))
	root.AddCommand(newDoctorCommand(stdout, stderr))
	cmdutil.SetVersion(root)
	return root
}

// newRoot is the root command without its subcommands.
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "memledger-agent",
		Short: "Inventory a host's memory hardware and who made it",
		Long: `memledger-agent finds every memory module (and, with SPD and storage
scanning, every DRAM die maker and drive) in a host, identifies its maker with
evidence (Crucial is Micron; a Kingston module may carry Micron DRAM), and
prints or sends the inventory.

Run "memledger-agent scan" for a one-shot scan of this host; "run" is the
daemon the systemd unit starts; "enroll" obtains this host's certificate;
"doctor" checks that everything the agent needs is in place.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root
}

// parseLabels turns repeated --label KEY=VALUE flags into a map.
func parseLabels(pairs []string) (map[string]string, error) {
	labels, err := inventory.ParseLabels(pairs)
	if err != nil {
		return nil, fmt.Errorf("--label %w", err)
	}
	return labels, nil
}
