// Command memledger-agent inventories a host's memory hardware: every DIMM
// and drive, who made it, and how we know.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/memledger/memledger/agent/internal/cli"
	"github.com/memledger/memledger/internal/cmdutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(cmdutil.Report("memledger-agent", err, os.Stderr))
}
