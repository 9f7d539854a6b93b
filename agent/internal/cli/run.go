package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/agentconfig"
	"github.com/memledger/memledger/agent/internal/daemon"
	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/agent/internal/spool"
	"github.com/memledger/memledger/internal/cmdutil"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func newRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var cfg *agentconfig.Config
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent daemon: scan periodically and report to the collector",
		Long: `run scans this host at start, then every --interval (plus a random delay of
up to --jitter), on SIGHUP and whenever the collector asks for a full
inventory. It sends a full inventory when something changed and a small
heartbeat when nothing did.

Every report is written to the spool under --state-dir before it is sent and
deleted only once the collector acknowledges it, so reports survive collector
outages, restarts and crashes and arrive exactly once in the ledger.

Once every report is acknowledged the agent closes its connection to the
collector and reconnects for the next report, so an idle agent costs the
collector nothing; --keep-connection holds it open instead.

Settings come from flags, then MEMLEDGER_<FLAG> environment variables (e.g.
MEMLEDGER_COLLECTOR), then the config file (--config, default
/etc/memledger/agent.yaml; keys are the flag names), then defaults.

TLS is the default: give --tls-ca, --tls-cert and --tls-key (memledger-agent
enroll writes them). --insecure talks plaintext, for test setups only.

Under systemd (Type=notify) run reports READY and pings the watchdog; it logs
to standard error for journald. SIGTERM stops it within seconds, exit 0.`,
		Example: `  memledger-agent run
  memledger-agent run --config /etc/memledger/agent.yaml
  memledger-agent run --collector 127.0.0.1:7420 --insecure --state-dir /tmp/agent --interval 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Resolve(cmd.Flags(), os.LookupEnv); err != nil {
				return cmdutil.UsageError(err)
			}
			return runDaemon(cmd.Context(), cfg, stderr)
		},
	}
	cfg = agentconfig.Register(cmd.Flags())
	return cmd
}

// runDaemon runs the daemon with cfg until ctx ends (SIGTERM).
func runDaemon(ctx context.Context, cfg *agentconfig.Config, stderr io.Writer) error {
	level, _ := agentconfig.ParseLevel(cfg.LogLevel) // validated by Resolve
	logger, err := cmdutil.NewLogger(stderr, level.String(), cfg.LogFormat)
	if err != nil {
		return err
	}
	tlsConf, err := cfg.TLSConfig()
	if err != nil {
		return fmt.Errorf("refusing to start: %w", err)
	}
	labels, err := cfg.LabelMap()
	if err != nil {
		return err
	}

	// SIGHUP asks for a scan now.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	rescan := make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case rescan <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()

	root, hostID := cfg.Root, cfg.HostID
	return daemon.Run(ctx, daemon.Options{
		Collector: cfg.Collector,
		Send:      send.Options{Insecure: cfg.Insecure, TLS: tlsConf, Gzip: true},
		Scan: func(ctx context.Context) (*memledgerv1.Inventory, error) {
			return scan.Scan(ctx, scan.Options{Root: root, HostID: hostID, Labels: labels})
		},
		StateDir: cfg.StateDir,
		Spool:    spool.Options{MaxEntries: cfg.SpoolMaxEntries, MaxBytes: cfg.SpoolMaxBytes},
		Interval: cfg.Interval,
		Jitter:   cfg.Jitter,
		Rescan:   rescan,
		Logger:   logger,

		KeepConnection: cfg.KeepConnection,
	})
}
