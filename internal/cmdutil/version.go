package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/internal/version"
)

// SetVersion gives root a --version flag printing version.Info.Long and
// adds the "version" command, which prints each field on a line of its own.
func SetVersion(root *cobra.Command) {
	info := version.Get()
	root.Version = info.Short()
	root.SetVersionTemplate(info.Long(root.Name()) + "\n")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Long: `version prints what this binary was built from: the release version, the
git commit (with -dirty when the tree had uncommitted changes), the build
date (set by release builds, else the commit's time) and the Go toolchain.
--version prints the same on one line.`,
		Example: "  " + root.Name() + " version\n  " + root.Name() + " --version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), versionText(root.Name(), info))
			return err
		},
	})
}

func versionText(prog string, i version.Info) string {
	or := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	commit := or(i.Commit)
	if i.Modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("%s %s\ncommit:     %s\nbuild date: %s\ngo:         %s %s\n",
		prog, i.Short(), commit, or(i.Date), i.GoVersion, i.Platform)
}
