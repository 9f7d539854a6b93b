package cli

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/agentconfig"
	"github.com/memledger/memledger/agent/internal/doctor"
)

func newDoctorCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		cfg     *agentconfig.Config
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that the agent can read this host and reach the collector",
		Long: `doctor checks, and explains what to fix: the configuration (the same
settings as run), SMBIOS table readability and permissions, the udev DMI
fallback, SPD EEPROMs, drive visibility, the state directory, the client
certificate (key, CA, validity and expiry) and a round trip to the collector
(its gRPC health service, including the TLS handshake; no report is sent).

Each line is OK, WARN or FAIL with a hint. Exit status 1 when any check FAILs.
Run it as the agent's user to see what the daemon sees.`,
		Example: `  memledger-agent doctor
  sudo -u memledger-agent memledger-agent doctor --config /etc/memledger/agent.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := doctor.Options{Root: cfg.Root, Timeout: timeout}
			if err := cfg.Resolve(cmd.Flags(), os.LookupEnv); err != nil {
				opts.ConfigErr = err
				opts.Root = cmd.Flag("root").Value.String()
			} else {
				opts.Root, opts.Config = cfg.Root, cfg
			}
			failed, err := doctor.Write(stdout, doctor.Run(cmd.Context(), opts))
			if err != nil {
				return err
			}
			if failed {
				return &ExitError{Code: 1, Err: errors.New("doctor: some checks failed (see FAIL lines)")}
			}
			return nil
		},
	}
	cfg = agentconfig.Register(cmd.Flags())
	agentconfig.HideDaemonFlags(cmd.Flags())
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give the collector round trip up to `DURATION`")
	return cmd
}
