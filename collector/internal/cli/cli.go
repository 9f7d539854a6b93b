// Package cli is memledger-collector's command line: serve (the gRPC ingest
// service), ingest (inventory files made offline), label, and the read
// commands hosts, parts and history. It parses flags, runs the work and
// returns errors; only main exits.
//
// Every flag can also be given as an environment variable
// (MEMLEDGER_<FLAG>) or as a key of the YAML file named by --config; see
// package config for the precedence.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/memledger/memledger/collector/internal/store"
	_ "github.com/memledger/memledger/collector/internal/store/alldrivers" // sqlite: and postgres:// DSNs
	"github.com/memledger/memledger/collector/internal/store/sqlite"
	"github.com/memledger/memledger/internal/cliconfig"
	"github.com/memledger/memledger/internal/cmdutil"
)

// DefaultDB is the ledger used when --db is not given.
const DefaultDB = "sqlite:/var/lib/memledger-collector/ledger.db"

// ExitError carries a specific exit status (2: usage, 3: policy violations
// found) out to main.
type ExitError = cmdutil.ExitError

// Execute runs the command line args (without the program name) with the
// process environment.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return run(ctx, args, stdin, stdout, stderr, os.LookupEnv)
}

// run is Execute with an injected environment, for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: lookupEnv}
	return cmdutil.Execute(ctx, a.rootCommand(), args)
}

// app holds what all commands share.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)

	db        string
	logLevel  string
	logFormat string
	logger    *slog.Logger
	// onCommandLine names the flags given on the command line, not by
	// the environment or the config file (configure).
	onCommandLine map[string]bool
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "memledger-collector",
		Short: "Receive memory inventories from agents and keep the fleet's ledger",
		Long: `memledger-collector receives inventories from memledger agents over gRPC,
keeps a ledger of every memory module and drive of every host (first seen,
last seen, removed: nothing is ever deleted) and answers questions about it.

Every flag may also be set in the environment as MEMLEDGER_<FLAG> (e.g.
MEMLEDGER_DB, MEMLEDGER_BATCH_MAX) or in the YAML file named by --config,
whose keys are the flag names. A flag on the command line wins over the
environment, which wins over the file.`,
		Example: `  memledger-collector serve --db sqlite:/var/lib/memledger-collector/ledger.db --listen :7420
  memledger-collector parts --vendor micron --label env=prod
  memledger-collector history --host db-17`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.configure(cmd)
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	pf := root.PersistentFlags()
	pf.String(cliconfig.ConfigFlag, "", "read flag values from the YAML `FILE` (keys are flag names; env MEMLEDGER_CONFIG)")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format on standard error: text or json")
	root.AddCommand(
		a.serveCommand(),
		a.ingestCommand(),
		a.labelCommand(),
		a.retireCommand(),
		a.hostsCommand(),
		a.partsCommand(),
		a.historyCommand(),
		a.checkCommand(),
		a.reportCommand(),
		a.caCommand(),
		a.enrollTokenCommand(),
	)
	cmdutil.SetVersion(root)
	// --db on the commands that use the ledger only, so that the help of
	// the others (ca, enroll-token, version) lists only their own flags.
	for _, sub := range root.Commands() {
		if usesLedger[sub.Name()] {
			sub.Flags().StringVar(&a.db, "db", DefaultDB, "the ledger `DSN`: sqlite:PATH or postgres://USER@HOST/DB")
		}
	}
	return root
}

// usesLedger names the commands that open the ledger (--db).
var usesLedger = map[string]bool{
	"serve": true, "ingest": true, "label": true, "hosts": true, "parts": true,
	"history": true, "check": true, "report": true, "retire": true,
}

// configure applies the environment and the config file to cmd's flags,
// then sets up logging. It runs before every command.
func (a *app) configure(cmd *cobra.Command) error {
	a.onCommandLine = map[string]bool{}
	cmd.Flags().Visit(func(f *pflag.Flag) { a.onCommandLine[f.Name] = true })
	known := allFlagNames(cmd.Root())
	if _, err := cliconfig.Resolve(cmd.Flags(), cliconfig.Known{
		Key:  func(k string) bool { return known[k] },
		Hint: "keys are the flag names of memledger-collector commands, e.g. db, listen",
	}, a.lookupEnv); err != nil {
		return err
	}
	logger, err := cmdutil.NewLogger(a.stderr, a.logLevel, a.logFormat)
	if err != nil {
		return err
	}
	a.logger = logger
	return nil
}

// allFlagNames lists the flags of every command, the keys a config file may
// use.
func allFlagNames(root *cobra.Command) map[string]bool {
	names := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { names[f.Name] = true }
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return names
}

// openStore opens the ledger named by --db. With mustExist, a SQLite file
// that does not exist, or is empty, is an error instead of a new empty
// ledger: a read command pointed at the wrong path (or at a ledger lost
// to a full disk) should say so, not report an empty fleet.
func (a *app) openStore(ctx context.Context, mustExist bool) (store.Store, error) {
	if mustExist && strings.HasPrefix(a.db, "sqlite:") {
		o, err := sqlite.ParseDSN(a.db)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(o.Path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no ledger at %s (serve creates it; choose another with --db or MEMLEDGER_DB)", o.Path)
			}
			return nil, fmt.Errorf("ledger %s: %w", o.Path, err)
		}
		if fi.Mode().IsRegular() && fi.Size() == 0 {
			return nil, fmt.Errorf("no ledger at %s: the file is empty (serve creates a ledger; choose another with --db or MEMLEDGER_DB)", o.Path)
		}
	}
	st, err := store.Open(ctx, a.db)
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", store.RedactDSN(a.db), err)
	}
	return st, nil
}

// closeStore closes st, adding its error to *errp.
func closeStore(st store.Store, errp *error) {
	if err := st.Close(); err != nil && *errp == nil {
		*errp = fmt.Errorf("close ledger: %w", err)
	}
}
