// Command gendocs writes memledger-collector's manual pages and shell
// completions for packaging/build.sh: gendocs DIR [VERSION].
package main

import (
	"fmt"
	"os"

	"github.com/memledger/memledger/collector/internal/cli"
	"github.com/memledger/memledger/packaging/mangen"
)

func main() {
	if err := mangen.Main(cli.Command(), os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}
