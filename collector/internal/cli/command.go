package cli

import (
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Command returns memledger-collector's command tree, reading and writing
// nothing, for the generator of its manual pages and shell completions
// (collector/internal/gendocs).
func Command() *cobra.Command {
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, lookupEnv: os.LookupEnv}
	return a.rootCommand()
}
