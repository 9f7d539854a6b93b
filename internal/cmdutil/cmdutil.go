// Package cmdutil holds the command-line conventions both memledger
// binaries share: exit statuses, usage errors, the version command, the
// logger behind --log-level and --log-format, and -o/--output.
//
// Exit statuses:
//
//	0  success (warnings included)
//	1  failure: the work could not be done
//	2  usage: unknown command or flag, bad flag value, missing argument
//	3  policy violations found (scan --policy, report --fail-on violation)
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/internal/termsafe"
)

// Exit statuses of both binaries.
const (
	ExitFailure    = 1
	ExitUsage      = 2
	ExitViolations = 3
)

// ExitError carries a specific exit status out to main. Err may be nil when
// the command has already said everything.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks err as a usage error (exit status 2): the command line
// asked for something that cannot be done as written.
func UsageError(err error) error {
	if err == nil {
		return nil
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return err
	}
	return &ExitError{Code: ExitUsage, Err: err}
}

// UsageErrorf is UsageError(fmt.Errorf(format, args...)).
func UsageErrorf(format string, args ...any) error {
	return UsageError(fmt.Errorf(format, args...))
}

// ExitCode is the exit status for err: 0 for nil, an ExitError's code, 1
// otherwise.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	return ExitFailure
}

// Execute runs root with args and classifies its error: whatever fails
// before a command's RunE starts (unknown command or flag, a flag value
// that does not parse, wrong arguments, a required flag missing, flags
// that exclude each other, a bad configuration) is a usage error. RunE
// marks its own usage errors with UsageError.
func Execute(ctx context.Context, root *cobra.Command, args []string) error {
	started := false
	markRun(root, &started)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError(err) })
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return nil
	}
	if !started {
		err = UsageError(err)
	}
	var exit *ExitError
	if errors.As(err, &exit) && exit.Code == ExitUsage && cmd != nil {
		return &usageHint{err: err, path: cmd.CommandPath()}
	}
	return err
}

// markRun wraps every command's RunE so that Execute knows whether the
// command itself ran.
func markRun(c *cobra.Command, started *bool) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*started = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRun(sub, started)
	}
}

// usageHint is a usage error that knows which command's help to point at.
type usageHint struct {
	err  error
	path string
}

func (u *usageHint) Error() string { return u.err.Error() }
func (u *usageHint) Unwrap() error { return u.err }

// Report writes err for people, as prog: message (and, for a usage error,
// where the help is) to w, and returns the exit status. Only main calls it.
func Report(prog string, err error, w io.Writer) int {
	code := ExitCode(err)
	if code == 0 {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) && exit.Err == nil {
		return code
	}
	// Errors quote what they were given, which may come from an agent or a
	// file: escaped for the terminal, line by line (joined errors keep
	// their lines).
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = termsafe.String(l)
	}
	fmt.Fprintf(w, "%s: %s\n", prog, strings.Join(lines, "\n"))
	var hint *usageHint
	if errors.As(err, &hint) {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", hint.path)
	}
	return code
}
