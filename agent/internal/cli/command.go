package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Command returns memledger-agent's command tree, reading and writing
// nothing, for the generator of its manual pages and shell completions
// (agent/internal/gendocs).
func Command() *cobra.Command {
	return newRootCommand(strings.NewReader(""), io.Discard, io.Discard)
}
