package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/store"
)

func (a *app) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the rules that tie the ledger's tables together",
		Long: `check reads the whole ledger and verifies the rules that tie its tables
together: every part, event and presence interval names a host (and part)
that exists, an event's part is on the event's host, and presence intervals
are closed (a present part's current stay runs from its last arrival), end
no earlier than they start, and a removed part has one that ends at its
removal; a part's stays, taken as [start, end), overlap neither each other
nor a present part's current stay (one that ends the instant it starts
covers no time); a part active on several hosts at once (one real serial
reported by two hosts: a clone module, or a host reporting what it does not
carry) has a serial_clash event in each host's history. It then lists the
serial clashes standing now, which are not errors.

On PostgreSQL the collector's write path, not foreign keys, keeps these rules
(foreign keys cost a tenth of the ingest rate; see docs/architecture.md).
check is how an operator confirms them: after restoring a backup, after
running several collectors on one database, or before an audit relies on the
ledger. It only reads, but it reads every row: on a large ledger, run it
off-peak.

Exit status 0 when every rule holds; 1 with each broken rule and the number
of rows that break it.`,
		Example: `  memledger-collector check --db sqlite:/var/lib/memledger-collector/ledger.db
  MEMLEDGER_DB=postgres://memledger@db.example/memledger memledger-collector check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCheck(cmd.Context())
		},
	}
}

// integrityChecker is implemented by the store drivers
// (engine.Engine.CheckIntegrity).
type integrityChecker interface {
	CheckIntegrity(ctx context.Context) error
}

func (a *app) runCheck(ctx context.Context) (err error) {
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	c, ok := st.(integrityChecker)
	if !ok {
		return fmt.Errorf("the %T driver cannot check a ledger", st)
	}
	a.logger.Info("integrity_check_started", "db", store.RedactDSN(a.db))
	start := time.Now()
	if err := c.CheckIntegrity(ctx); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	fmt.Fprintf(a.stdout, "ledger %s: every rule holds (%s)\n", store.RedactDSN(a.db), time.Since(start).Round(time.Millisecond))
	if cl, ok := st.(serialClashLister); ok {
		clashes, err := cl.ActiveSerialClashes(ctx)
		if err != nil {
			return err
		}
		ids := slices.Sorted(maps.Keys(clashes))
		fmt.Fprintf(a.stdout, "serial clashes: %d parts active on more than one host\n", len(ids))
		for _, id := range ids {
			fmt.Fprintf(a.stdout, "  %s on %s\n", id, strings.Join(clashes[id], ", "))
		}
	}
	return nil
}

// serialClashLister is implemented by the store drivers
// (engine.Engine.ActiveSerialClashes).
type serialClashLister interface {
	ActiveSerialClashes(ctx context.Context) (map[string][]string, error)
}
