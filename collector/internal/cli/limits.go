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
}

func addLimitFlags(fl *pflag.FlagSet, l *limitFlags) {
	fl.IntVar(&l.maxStreamsPerHost, "max-streams-per-host", 8, "most open gRPC streams of one agent certificate's host; more are refused with ResourceExhausted")
	fl.DurationVar(&l.streamIdleTimeout, "stream-idle-timeout", 10*time.Minute, "close an agent stream (and a connection without streams) idle this long")
	fl.IntVar(&l.maxConns, "max-conns", 20000, "most open gRPC connections; more wait in the listen backlog")
	fl.DurationVar(&l.maxClockSkew, "max-clock-skew", server.DefaultMaxClockSkew, "refuse reports whose sequence or collectedAt is further ahead of this collector's clock (OutOfRange; the agent resynchronises)")
}

// apply sets the limits on the server's options.
func (l limitFlags) apply(o *server.Options) {
	o.MaxClockSkew = l.maxClockSkew
	o.MaxStreamsPerHost = l.maxStreamsPerHost
	o.StreamIdleTimeout = l.streamIdleTimeout
	o.MaxConns = l.maxConns
}
