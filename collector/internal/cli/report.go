package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/policy"
)

type reportFlags struct {
	format     string
	rules      []string
	asOf       string
	groupBy    string
	policy     string
	violations bool
	output     string
	failOn     string
}

func (a *app) reportCommand() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report the fleet's exposure to the procurement policy",
		Long: `report judges every part in the ledger against the policy (--policy, see
docs/policy.md) and prints fleet totals; per rule the hosts exposed and the
parts recorded, in violation, waived and removed, by vendor, component and
(--group-by) label; the list of violations with host, slot, part, serial and
first seen; and each rule's exposure over time.

--as-of DATE shows the fleet as it stood at the end of that day (UTC), from
the ledger's history: the parts installed then, judged by the rules and
waivers in force then. Host labels are today's: the ledger does not keep
their history.

--format html writes one self-contained page (inline CSS and SVG charts, no
external assets) to mail or print; json's shape is in docs/reports.md; csv
writes the counts, or with --violations the violation list.

With --fail-on violation the exit status is 3 when any part is in violation
(the report is written all the same), so a CI job or cron can gate on it.`,
		Example: `  memledger-collector report --policy /etc/memledger/policy.yaml
  memledger-collector report --policy policy.yaml --rule cac-2023-micron --group-by site
  memledger-collector report --policy policy.yaml --as-of 2024-06-30 --format html -o exposure.html
  memledger-collector report --policy policy.yaml --format csv --violations
  memledger-collector report --policy policy.yaml --fail-on violation -o exposure.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runReport(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "table", "output format: "+strings.Join(report.Formats, ", "))
	fl.StringArrayVar(&f.rules, "rule", nil, "report on this rule `ID` only (repeatable)")
	fl.StringVar(&f.asOf, "as-of", "", "the fleet as it stood at `DATE` (YYYY-MM-DD: end of that day, UTC; or RFC 3339)")
	fl.StringVar(&f.groupBy, "group-by", "", "also count parts by the value of host `LABEL`")
	fl.StringVar(&f.policy, "policy", "", "procurement policy `FILE`; without one the report holds fleet totals only")
	fl.BoolVar(&f.violations, "violations", false, "table and csv: list the violations only")
	cmdutil.OutputFlag(fl, &f.output)
	fl.StringVar(&f.failOn, "fail-on", "", "exit 3 when the report finds any part in this `STATUS` (violation)")
	return cmd
}

func (a *app) runReport(ctx context.Context, f reportFlags) (err error) {
	if !slices.Contains(report.Formats, f.format) {
		return cmdutil.UsageErrorf("--format %q: want %s", f.format, strings.Join(report.Formats, ", "))
	}
	if f.failOn != "" && f.failOn != string(policy.StatusViolation) {
		return cmdutil.UsageErrorf("--fail-on %q: want violation", f.failOn)
	}
	opts := report.Options{Rules: f.rules, GroupBy: f.groupBy}
	if f.asOf != "" {
		if opts.AsOf, err = httpapi.ParseAsOf(f.asOf); err != nil {
			return cmdutil.UsageErrorf("--as-of: %w", err)
		}
	}
	var pol *policy.Policy
	if f.policy != "" {
		if pol, err = policy.LoadFile(f.policy); err != nil {
			return fmt.Errorf("--policy: %w", err)
		}
	} else if len(f.rules) > 0 {
		return cmdutil.UsageErrorf("--rule needs a policy (--policy FILE)")
	} else if f.failOn != "" {
		return cmdutil.UsageErrorf("--fail-on needs a policy (--policy FILE)")
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	if f.groupBy != "" {
		if err := store.CheckLabelKeys(ctx, st, f.groupBy); err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return cmdutil.UsageErrorf("--group-by: %w", err)
			}
			return err
		}
	}
	rep, err := report.Build(ctx, st, pol, opts)
	if errors.Is(err, report.ErrUnknownRule) {
		return cmdutil.UsageErrorf("--rule: %w", err)
	}
	if err != nil {
		return err
	}
	out := cmdutil.NewOutput(f.output, a.stdout)
	if err := report.Write(out, rep, f.format, f.violations); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// The violation list holds the selected rules' violations (--rule).
	if f.failOn != "" && len(rep.Violations) > 0 {
		return &ExitError{Code: cmdutil.ExitViolations, Err: fmt.Errorf("%d violation(s) of the policy in %s", len(rep.Violations), f.policy)}
	}
	return nil
}
