package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
	// server, serverCA, tokenFile and timeout ask a serving collector
	// instead of reading the ledger (report_server.go).
	server    string
	serverCA  string
	tokenFile string
	timeout   time.Duration
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

It works in one of two modes:

  local (default)  reads the ledger (--db) and recomputes the report under
                   --policy: seconds on a fleet of 100,000 hosts.
  --server URL     asks a running collector (the base URL of its
                   --http-listen, http:// or https://) for its report,
                   under the collector's own policy: milliseconds, from
                   the aggregates it keeps live. It recomputes, in
                   seconds, an --as-of across a rule's effective date or
                   a waiver's expiry, and any report while it evaluates
                   the whole fleet (at start, hourly, on a policy
                   reload). --db is not read; --policy on the command
                   line is refused, one from MEMLEDGER_POLICY or --config
                   is not used.

With --server the bearer token is read from --token-file FILE, its first
token (the format of the collector's --http-token-file, which itself
serves): never from the command line, where ps would show it.
MEMLEDGER_TOKEN_FILE and the config key token-file name the file too.
--server-ca FILE trusts that PEM CA bundle for an https:// server (the
fleet CA of "ca init" is /etc/memledger/tls/ca.crt); default: the system's
roots. Errors name the URL: a refused connection, a missing or wrong
token (401), an unknown rule or label (exit 2, as locally), a failure of
the collector (5xx), an answer that is not a report or is over 1 GiB, no
answer within --timeout.

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
  memledger-collector report --policy policy.yaml --fail-on violation -o exposure.txt
  memledger-collector report --server https://collector.example.net:7421 --server-ca /etc/memledger/tls/ca.crt \
      --token-file ~/.config/memledger/http-token --fail-on violation`,
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
	fl.StringVar(&f.server, "server", "", "ask the collector serving HTTP at `URL` (http:// or https://, its --http-listen) instead of reading the ledger")
	fl.StringVar(&f.serverCA, "server-ca", "", "with an https:// --server: trust the CA certificates of this PEM `FILE` (default: the system's)")
	fl.StringVar(&f.tokenFile, "token-file", "", "with --server: send the first token of this `FILE` (format of the collector's --http-token-file) as the bearer token")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "with --server: give up when the whole answer has not come in this long (0: never)")
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
	if f.server == "" {
		for _, name := range []string{"server-ca", "token-file", "timeout"} {
			if a.onCommandLine[name] {
				return cmdutil.UsageErrorf("--%s needs --server", name)
			}
		}
	}
	var rep *report.Report
	if f.server != "" {
		if a.onCommandLine["policy"] {
			return cmdutil.UsageErrorf("--policy with --server: the report is judged under the collector's own policy; leave --policy out")
		}
		if rep, err = a.fetchReport(ctx, f); err != nil {
			return err
		}
		if f.failOn != "" && rep.Policy == "" {
			return cmdutil.UsageErrorf("--fail-on needs a policy: the collector at %s runs without one (serve --policy)", f.server)
		}
	} else if rep, err = a.buildReport(ctx, f, opts); err != nil {
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
		return &ExitError{Code: cmdutil.ExitViolations, Err: fmt.Errorf("%d violation(s) of the policy in %s", len(rep.Violations), rep.Policy)}
	}
	return nil
}

// buildReport recomputes the report from the ledger (--db) under --policy.
func (a *app) buildReport(ctx context.Context, f reportFlags, opts report.Options) (_ *report.Report, err error) {
	var pol *policy.Policy
	if f.policy != "" {
		if pol, err = policy.LoadFile(f.policy); err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
	} else if len(f.rules) > 0 {
		return nil, cmdutil.UsageErrorf("--rule needs a policy (--policy FILE)")
	} else if f.failOn != "" {
		return nil, cmdutil.UsageErrorf("--fail-on needs a policy (--policy FILE)")
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return nil, err
	}
	defer closeStore(st, &err)
	if f.groupBy != "" {
		if err := store.CheckLabelKeys(ctx, st, f.groupBy); err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return nil, cmdutil.UsageErrorf("--group-by: %w", err)
			}
			return nil, err
		}
	}
	rep, err := report.Build(ctx, st, pol, opts)
	if errors.Is(err, report.ErrUnknownRule) {
		return nil, cmdutil.UsageErrorf("--rule: %w", err)
	}
	return rep, err
}
