// Command memledger-collector receives memory inventories from memledger
// agents, keeps the fleet's ledger of parts and answers questions about it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/memledger/memledger/collector/internal/cli"
	"github.com/memledger/memledger/internal/cmdutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts a graceful shutdown, a second one
		// kills the process the default way.
		<-ctx.Done()
		stop()
	}()
	err := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(cmdutil.Report("memledger-collector", err, os.Stderr))
}
