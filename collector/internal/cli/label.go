package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/cmdutil"
)

func (a *app) labelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "label HOST [KEY=VALUE | KEY-]...",
		Short: "Set, override or unset a host's labels on the collector",
		Long: `label changes the collector-side labels of a host (given by host id or
hostname). KEY=VALUE sets a label, overriding what the agent reports for that
key; KEY- hides the key, even when the agent reports it. The agent's own
labels (memledger-agent --label) stay recorded; the effective labels are the
agent's overlaid by these. It prints the host id, hostname and effective
labels, separated by tabs (without changes, that is all it does).

Every change is recorded in the host's history (labels_changed).`,
		Example: `  memledger-collector label db-17 env=prod rack=r12
  memledger-collector label db-17 rack-
  memledger-collector label db-17`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLabel(cmd.Context(), args[0], args[1:])
		},
	}
	return cmd
}

// parseLabelChanges splits KEY=VALUE and KEY- arguments.
func parseLabelChanges(args []string) (set map[string]string, unset []string, err error) {
	set = map[string]string{}
	for _, arg := range args {
		if k, v, ok := strings.Cut(arg, "="); ok {
			if err := store.ValidateLabelKey(k); err != nil {
				return nil, nil, fmt.Errorf("%q: %w", arg, err)
			}
			if _, dup := set[k]; dup {
				return nil, nil, fmt.Errorf("%q: key %q given twice", arg, k)
			}
			set[k] = v
			continue
		}
		if k, ok := strings.CutSuffix(arg, "-"); ok {
			if err := store.ValidateLabelKey(k); err != nil {
				return nil, nil, fmt.Errorf("%q: %w", arg, err)
			}
			unset = append(unset, k)
			continue
		}
		return nil, nil, fmt.Errorf("%q: want KEY=VALUE to set a label or KEY- to unset it", arg)
	}
	for _, k := range unset {
		if _, both := set[k]; both {
			return nil, nil, fmt.Errorf("label %q is both set and unset", k)
		}
	}
	return set, unset, nil
}

func (a *app) runLabel(ctx context.Context, host string, changes []string) (err error) {
	set, unset, err := parseLabelChanges(changes)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	target, err := resolveHost(ctx, st, host)
	if err != nil {
		return err
	}
	id := target.ID
	if len(set) > 0 || len(unset) > 0 {
		if err := st.SetLabels(ctx, id, set, unset); err != nil {
			return fmt.Errorf("label %s: %w", id, err)
		}
	}
	h, err := st.Host(ctx, id)
	if err != nil {
		return fmt.Errorf("read host %s: %w", id, err)
	}
	fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", cell(h.ID), cell(h.Hostname), cell(labelsText(h.Labels)))
	return nil
}
