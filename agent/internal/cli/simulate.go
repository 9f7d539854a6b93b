package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/enroll"
	"github.com/memledger/memledger/agent/internal/simulate"
	"github.com/memledger/memledger/internal/cliconfig"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/pki"
)

// simulateTLSFlags are how the simulated hosts authenticate, with the
// agent's flag names: a client certificate (one host) or enrollment (every
// host gets its own), or --insecure.
type simulateTLSFlags struct {
	insecure                bool
	tlsCert, tlsKey, tlsCA  string
	token, caSHA256, caFile string
	serverName              string
}

// newSimulateCommand is "memledger-agent simulate", the fleet simulator.
func newSimulateCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		o    simulate.Options
		mode string
		sec  simulateTLSFlags
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate a fleet of agents streaming to a collector and measure it",
		Long: `simulate runs N synthetic hosts against a collector, each streaming inventory
reports on its own jittered schedule, like real agents: a full inventory
first, then heartbeats while nothing changes, a full inventory after a
hardware change (--churn: a module swapped, a drive added or removed) or when
the collector asks for one. The hosts carry a realistic vendor mix: Samsung,
SK hynix, Micron, Crucial and Kingston modules; Micron, Samsung, KIOXIA and
Solidigm NVMe drives, identified by the same code as real scans.

The hosts talk to the collector as agents do, over mutual TLS. The collector
accepts a report only from the host its certificate names, so each simulated
host enrolls for its own certificate (--token, with --ca-sha256 or --ca-file,
as "memledger-agent enroll"; create the token with --uses at least --hosts),
or a single host (--hosts 1) uses an existing certificate (--tls-cert,
--tls-key, --tls-ca) and reports as the host it names. --insecure talks
plaintext to a collector serving --insecure (test setups only).

A progress line goes to standard error every second; the summary (reports/s,
acked/s, ack latency percentiles, lost reports and, with --collector-pid, the
collector's peak RSS) to standard output at the end.

--reconnect gives each report a connection of its own, as agents that report
hourly and hold no idle stream: a fleet of 100,000 hosts then needs only the
connections of the hosts reporting at a given moment. Reports are spread over
--interval (a compressed hour) by --spread.
The exit status is 1 when reports were lost (sent and never acknowledged)
or streams broke.

--interval 0 sends back to back, as fast as acknowledgements come back with
--window reports in flight per host: a throughput benchmark. --mode full
sends every report as a full inventory, --mode heartbeat only what agents
must. Host ids start with "sim-" and are reproducible with --seed.`,
		Example: `  memledger-agent simulate --collector ledger.internal:7420 --hosts 1000 --duration 1m \
      --token "$TOKEN" --ca-sha256 "$FINGERPRINT"
  memledger-agent simulate --collector ledger.internal:7420 --hosts 1 \
      --tls-cert agent.crt --tls-key agent.key --tls-ca ca.crt
  memledger-agent simulate --collector 127.0.0.1:7420 --insecure --hosts 64 --interval 0 --window 8 --mode full --duration 30s
  memledger-agent simulate --collector 127.0.0.1:7420 --insecure --hosts 10000 --interval 5m --duration 10m --concurrency 100
  memledger-agent simulate --collector ledger.internal:7420 --hosts 100000 --reconnect --interval 5m --duration 12m \
      --mode heartbeat --token "$TOKEN" --ca-sha256 "$FINGERPRINT" --collector-pid "$(pidof memledger-collector)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Mode = simulate.Mode(mode)
			o.Progress = stderr
			o.Terminal = simulateIsTerminal(stderr)
			if !cmd.Flags().Changed("full-ratio") {
				o.FullRatio = 0 // the mode's default
			}
			if sec.token == "" {
				sec.token, _ = os.LookupEnv(cliconfig.EnvName("token"))
			}
			cleanup, err := sec.apply(&o)
			if err != nil {
				return err
			}
			defer cleanup()
			sum, err := simulate.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprint(stdout, sum.String()); err != nil {
				return err
			}
			if sum.Failed() {
				return &ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("simulate: %d reports lost, %d broken streams", sum.Lost(), sum.StreamErrors)}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Collector, "collector", "", "the collector's `ADDR` (host:port), required")
	fl.IntVar(&o.Hosts, "hosts", 100, "number of simulated hosts")
	fl.DurationVar(&o.Duration, "duration", 30*time.Second, "how long the hosts report")
	fl.DurationVar(&o.Interval, "interval", 10*time.Second, "mean time between a host's reports, jittered ±50% (0: back to back)")
	fl.StringVar(&mode, "mode", string(simulate.ModeMixed), "what unchanged hosts send: full, heartbeat or mixed")
	fl.Float64Var(&o.FullRatio, "full-ratio", 0.1, "with --mode mixed, share of unchanged reports sent as full inventories")
	fl.Float64Var(&o.Churn, "churn", 0.01, "probability that a report follows a hardware change")
	fl.IntVar(&o.Modules, "modules", 16, "memory modules per host")
	fl.IntVar(&o.Drives, "drives", 4, "drives per host")
	fl.IntVar(&o.Connections, "concurrency", 0, "gRPC connections the hosts share (0: one per host, like real agents; only with --insecure)")
	fl.IntVar(&o.Window, "window", 1, "most unacknowledged reports per host (1: wait for each ack)")
	fl.BoolVar(&o.Reconnect, "reconnect", false, "connect for each report and disconnect after its ack, holding no idle stream (TLS handshake included in the latency)")
	fl.DurationVar(&o.Spread, "spread", 0, "spread the hosts' first reports over this `DURATION` (default: --interval, at most 30s; with --reconnect, --interval; half of a shorter --duration)")
	fl.IntVar(&o.CollectorPID, "collector-pid", 0, "the collector's process `PID` on this machine: the summary gives its peak RSS (VmHWM)")
	fl.IntVar(&o.ReportsPerHost, "reports", 0, "stop each host after `N` reports (0: report until --duration ends)")
	fl.Uint64Var(&o.Seed, "seed", 0, "seed for a reproducible fleet and schedule (0: random)")
	fl.BoolVar(&o.Send.Gzip, "gzip", false, "compress reports with gzip")
	fl.BoolVar(&sec.insecure, "insecure", false, "talk to the collector in plaintext, without TLS (test setups only)")
	fl.StringVar(&sec.tlsCert, "tls-cert", "", "with --hosts 1: the client certificate `FILE` (PEM) the host reports with")
	fl.StringVar(&sec.tlsKey, "tls-key", "", "the client certificate's private key `FILE` (PEM)")
	fl.StringVar(&sec.tlsCA, "tls-ca", "", "the CA certificate `FILE` that signed the collector's certificate")
	fl.StringVar(&sec.token, "token", "", "enroll every simulated host with this `TOKEN` (env MEMLEDGER_TOKEN; --uses at least --hosts)")
	fl.StringVar(&sec.caSHA256, "ca-sha256", "", "with --token: trust the collector whose CA has this SHA-256 `FINGERPRINT`")
	fl.StringVar(&sec.caFile, "ca-file", "", "with --token: trust the collector whose certificate this CA `FILE` signed")
	fl.StringVar(&sec.serverName, "server-name", "", "with --token: the `NAME` in the collector's certificate (default: the host of --collector)")
	_ = cmd.MarkFlagRequired("collector")
	cmd.MarkFlagsMutuallyExclusive("insecure", "tls-cert")
	cmd.MarkFlagsMutuallyExclusive("insecure", "token")
	cmd.MarkFlagsMutuallyExclusive("tls-cert", "token")
	return cmd
}

// apply sets o's transport from the flags. cleanup removes what
// enrollment wrote.
func (f simulateTLSFlags) apply(o *simulate.Options) (cleanup func(), err error) {
	cleanup = func() {}
	switch {
	case f.insecure:
		o.Send.Insecure = true
		return cleanup, nil
	case f.tlsCert != "" || f.tlsKey != "":
		if f.tlsCert == "" || f.tlsKey == "" || f.tlsCA == "" {
			return cleanup, cmdutil.UsageErrorf("--tls-cert, --tls-key and --tls-ca go together")
		}
		if o.Hosts != 1 {
			return cleanup, cmdutil.UsageErrorf("--tls-cert names one host; with --hosts %d every host needs its own certificate: enroll them with --token", o.Hosts)
		}
		certs, err := pki.LoadCerts(f.tlsCert)
		if err != nil {
			return cleanup, err
		}
		if o.HostID, err = pki.HostIDFromCert(certs[0]); err != nil {
			return cleanup, fmt.Errorf("--tls-cert %s: %w", f.tlsCert, err)
		}
		cfg, err := pki.ClientTLSConfig(f.tlsCert, f.tlsKey, f.tlsCA)
		if err != nil {
			return cleanup, err
		}
		o.HostTLS = func(context.Context, string) (*tls.Config, error) { return cfg, nil }
		return cleanup, nil
	case f.token != "":
		if f.caSHA256 == "" && f.caFile == "" {
			return cleanup, cmdutil.UsageErrorf("--token needs --ca-sha256 or --ca-file: there is no trust on first use")
		}
		if o.Connections != 0 {
			return cleanup, cmdutil.UsageErrorf("--concurrency %d: enrolled hosts each have their own connection (their certificate names them)", o.Connections)
		}
		dir, err := os.MkdirTemp("", "memledger-simulate-tls-")
		if err != nil {
			return cleanup, err
		}
		o.HostTLS = func(ctx context.Context, hostID string) (*tls.Config, error) {
			paths := enroll.DefaultPaths(filepath.Join(dir, hostID))
			if _, err := enroll.Enroll(ctx, enroll.Options{
				Collector: o.Collector, Token: f.token, HostID: hostID, Paths: paths,
				CAFile: f.caFile, CASHA256: f.caSHA256, ServerName: f.serverName,
			}); err != nil {
				return nil, fmt.Errorf("enroll: %w", err)
			}
			return pki.ClientTLSConfig(paths.Cert, paths.Key, paths.CA)
		}
		return func() { os.RemoveAll(dir) }, nil
	}
	return cleanup, cmdutil.UsageError(errors.New("no TLS configuration for the collector: enroll the simulated hosts with --token and --ca-sha256 (or --ca-file), give --hosts 1 a certificate with --tls-cert, --tls-key and --tls-ca, or pass --insecure for a plaintext test collector"))
}

// simulateIsTerminal reports whether w is a terminal, where the progress
// line is rewritten in place instead of printed line after line.
func simulateIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
