package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/memledger/memledger/collector/internal/server"
)

// limitFlags are serve's defences against a hostile or broken agent
// (docs/security.md lists each with its default and what fires).
type limitFlags struct {
	maxClockSkew      time.Duration
	maxStreamsPerHost int
	streamIdleTimeout time.Duration
	maxConns          int
	host              server.HostLimits
	maxParts          int
	httpMaxConns      int
}

func addLimitFlags(fl *pflag.FlagSet, l *limitFlags) {
	fl.IntVar(&l.maxStreamsPerHost, "max-streams-per-host", 8, "most open gRPC streams of one agent certificate's host; more are refused with ResourceExhausted")
	fl.DurationVar(&l.streamIdleTimeout, "stream-idle-timeout", 10*time.Minute, "close an agent stream (and a connection without streams) idle this long")
	fl.IntVar(&l.maxConns, "max-conns", 20000, "most open gRPC connections; more wait in the listen backlog")
	d := server.DefaultHostLimits()
	fl.IntVar(&l.host.ReportsPerHour, "max-reports-per-hour", d.ReportsPerHour, "most reports of any kind one host may send in an hour (burst and hourly rate; -1: no limit); more are refused with ResourceExhausted")
	fl.IntVar(&l.host.FullReportsPerHour, "max-full-reports-per-hour", d.FullReportsPerHour, "most full inventories one host may send in an hour (-1: no limit)")
	fl.IntVar(&l.host.EventsPerDay, "max-events-per-day", d.EventsPerDay, "most ledger events one host's reports may make in 24 hours; then its full reports are refused until the day is over (-1: no limit)")
	fl.IntVar(&l.maxParts, "max-parts", server.DefaultLimits().MaxParts, "most memory modules and drives one report may list (InvalidArgument beyond)")
	fl.IntVar(&l.httpMaxConns, "http-max-conns", 256, "most open HTTP connections; more wait in the listen backlog")
	fl.DurationVar(&l.maxClockSkew, "max-clock-skew", server.DefaultMaxClockSkew, "refuse reports whose sequence or collectedAt is further ahead of this collector's clock (OutOfRange; the agent resynchronises)")
}

// apply sets the limits on the server's options.
func (l limitFlags) apply(o *server.Options) {
	o.MaxClockSkew = l.maxClockSkew
	o.MaxStreamsPerHost = l.maxStreamsPerHost
	o.StreamIdleTimeout = l.streamIdleTimeout
	o.MaxConns = l.maxConns
	o.HostLimits = l.host
	o.Limits.MaxParts = l.maxParts
}
