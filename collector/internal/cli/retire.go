package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/store"
)

func (a *app) retireCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "retire HOST",
		Short: "Record that a host is out of service; its parts leave it",
		Long: `retire records that a host (given by host id or hostname) is out of
service, now: a host_retired event in its history, and each part it carries
removed at that time with a part_removed event. Nothing is deleted: its
parts, stays and history remain, and reports as of an earlier date still
show them on the host.

After it, a module or drive with a real serial that another host reports
moved there from the retired host (part_moved), where before it was a
serial clash: the retired host no longer carries it. Retiring a host that
is retired and has not reported since changes nothing. A retired host that
reports again is in service again: the parts it lists are back.

It asks nothing and prints the host id, hostname, the retirement time and
the number of parts removed, separated by tabs.`,
		Example: `  memledger-collector retire db-17
  memledger-collector retire db-17.example.net --db postgres://memledger@db/memledger`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRetire(cmd.Context(), args[0])
		},
	}
}

func (a *app) runRetire(ctx context.Context, host string) (err error) {
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	r, ok := st.(store.Retirer)
	if !ok {
		return fmt.Errorf("retire %s: this ledger's store cannot retire hosts", host)
	}
	target, err := resolveHost(ctx, st, host)
	if err != nil {
		return err
	}
	ret, err := r.RetireHost(ctx, target.ID, time.Time{})
	if err != nil {
		return fmt.Errorf("retire %s: %w", target.ID, err)
	}
	note := fmt.Sprintf("%d parts removed", len(ret.PartsRemoved))
	if ret.AlreadyRetired {
		note = "already retired, not reported since: nothing changed"
	}
	fmt.Fprintf(a.stdout, "%s\t%s\t%s\t%s\n", cell(target.ID), cell(target.Hostname), ret.At.UTC().Format(time.RFC3339), note)
	return nil
}
