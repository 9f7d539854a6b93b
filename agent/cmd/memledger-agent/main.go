// Command memledger-agent inventories a host's memory hardware: every DIMM
// and drive, who made it, and how we know.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/memledger/memledger/agent/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var exit *cli.ExitError
		if errors.As(err, &exit) {
			if exit.Err != nil {
				fmt.Fprintf(os.Stderr, "memledger-agent: %v\n", exit.Err)
			}
			os.Exit(exit.Code)
		}
		fmt.Fprintf(os.Stderr, "memledger-agent: %v\n", err)
		os.Exit(1)
	}
}
