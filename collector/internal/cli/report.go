package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/internal/fileutil"
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
writes the counts, or with --violations the violation list.`,
		Example: `  memledger-collector report --policy /etc/memledger/policy.yaml
  memledger-collector report --policy policy.yaml --rule cac-2023-micron --group-by site
  memledger-collector report --policy policy.yaml --as-of 2024-06-30 --format html -o exposure.html
  memledger-collector report --policy policy.yaml --format csv --violations`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runReport(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(report.Formats, ", "))
	fl.StringArrayVar(&f.rules, "rule", nil, "report on this rule `ID` only (repeatable)")
	fl.StringVar(&f.asOf, "as-of", "", "the fleet as it stood at `DATE` (YYYY-MM-DD: end of that day, UTC; or RFC 3339)")
	fl.StringVar(&f.groupBy, "group-by", "", "also count parts by the value of host `LABEL`")
	fl.StringVar(&f.policy, "policy", "", "procurement policy `FILE`; without one the report holds fleet totals only")
	fl.BoolVar(&f.violations, "violations", false, "table and csv: list the violations only")
	fl.StringVarP(&f.output, "output", "o", "", "write to `FILE` (replaced atomically) instead of standard output")
	return cmd
}

func (a *app) runReport(ctx context.Context, f reportFlags) (err error) {
	if !slices.Contains(report.Formats, f.format) {
		return fmt.Errorf("--format %q: want %s", f.format, strings.Join(report.Formats, ", "))
	}
	opts := report.Options{Rules: f.rules, GroupBy: f.groupBy}
	if f.asOf != "" {
		if opts.AsOf, err = httpapi.ParseAsOf(f.asOf); err != nil {
			return fmt.Errorf("--as-of: %w", err)
		}
	}
	var pol *policy.Policy
	if f.policy != "" {
		if pol, err = policy.LoadFile(f.policy); err != nil {
			return fmt.Errorf("--policy: %w", err)
		}
	} else if len(f.rules) > 0 {
		return fmt.Errorf("--rule needs a policy (--policy FILE)")
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	rep, err := report.Build(ctx, st, pol, opts)
	if err != nil {
		return err
	}
	if f.output == "" {
		return report.Write(a.stdout, rep, f.format, f.violations)
	}
	var buf strings.Builder
	if err := report.Write(&buf, rep, f.format, f.violations); err != nil {
		return err
	}
	if err := fileutil.WriteAtomic(f.output, []byte(buf.String()), 0o644); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}
