package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/agent/internal/simulate"
)

// newSimulateCommand is "memledger-agent simulate", the fleet simulator.
func newSimulateCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		o        simulate.Options
		mode     string
		insecure bool
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

A progress line goes to standard error every second; the summary (reports/s,
acked/s, ack latency percentiles) to standard output at the end.

--interval 0 sends back to back, as fast as acknowledgements come back with
--window reports in flight per host: a throughput benchmark. --mode full
sends every report as a full inventory, --mode heartbeat only what agents
must. Host ids start with "sim-" and are reproducible with --seed.`,
		Example: `  memledger-agent simulate --collector 127.0.0.1:7420 --hosts 1000 --duration 1m
  memledger-agent simulate --collector 127.0.0.1:7420 --hosts 64 --interval 0 --window 8 --mode full --duration 30s
  memledger-agent simulate --collector 127.0.0.1:7420 --hosts 10000 --interval 5m --duration 10m --concurrency 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Mode = simulate.Mode(mode)
			o.Send = send.Options{Insecure: insecure, Gzip: o.Send.Gzip}
			o.Progress = stderr
			o.Terminal = simulateIsTerminal(stderr)
			if !cmd.Flags().Changed("full-ratio") {
				o.FullRatio = 0 // the mode's default
			}
			sum, err := simulate.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(stdout, sum.String())
			return err
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
	fl.IntVar(&o.Connections, "concurrency", 0, "gRPC connections the hosts share (0: one per host, like real agents)")
	fl.IntVar(&o.Window, "window", 1, "most unacknowledged reports per host (1: wait for each ack)")
	fl.IntVar(&o.ReportsPerHost, "reports", 0, "stop each host after `N` reports (0: report until --duration ends)")
	fl.Uint64Var(&o.Seed, "seed", 0, "seed for a reproducible fleet and schedule (0: random)")
	fl.BoolVar(&o.Send.Gzip, "gzip", false, "compress reports with gzip")
	fl.BoolVar(&insecure, "insecure", true, "plaintext gRPC; temporary: TLS comes in a later release and then becomes the default")
	_ = cmd.MarkFlagRequired("collector")
	return cmd
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
