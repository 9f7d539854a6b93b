package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/memledger/memledger/collector/internal/server"
)

// limitFlags are serve's defences against a hostile or broken agent
// (docs/security.md lists each with its default and what fires).
type limitFlags struct {
	maxClockSkew time.Duration
}

func addLimitFlags(fl *pflag.FlagSet, l *limitFlags) {
	fl.DurationVar(&l.maxClockSkew, "max-clock-skew", server.DefaultMaxClockSkew, "refuse reports whose sequence or collectedAt is further ahead of this collector's clock (OutOfRange; the agent resynchronises)")
}

// apply sets the limits on the server's options.
func (l limitFlags) apply(o *server.Options) {
	o.MaxClockSkew = l.maxClockSkew
}
