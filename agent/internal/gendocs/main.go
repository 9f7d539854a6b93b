// Command gendocs writes memledger-agent's manual pages and shell
// completions for packaging/build.sh: gendocs DIR [VERSION].
package main

import (
	"fmt"
	"os"

	"github.com/memledger/memledger/agent/internal/cli"
	"github.com/memledger/memledger/packaging/mangen"
)

func main() {
	if err := mangen.Main(cli.Command(), os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}
