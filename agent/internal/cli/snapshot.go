package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/snapshot"
	"github.com/memledger/memledger/internal/fileutil"
)

type snapshotFlags struct {
	output       string
	root         string
	scrubSerials bool
}

// newSnapshotCommand is `memledger-agent snapshot`: it captures the files a
// scan reads into a .tar.gz for a bug report or a test fixture.
func newSnapshotCommand(stdout, stderr io.Writer) *cobra.Command {
	var f snapshotFlags
	cmd := &cobra.Command{
		Use:   "snapshot --output FILE.tar.gz",
		Short: "Capture the files a scan reads into an archive, for bug reports and tests",
		Long: `snapshot captures exactly the files "memledger-agent scan" reads (SMBIOS
tables, udev records, SPD EEPROMs, the sysfs attributes of every drive and
its controller, the host identity files) into a gzip'ed tar archive, with
the sysfs symbolic links they are reached through. Nothing else is read:
no directory is copied whole and no binary or debug attribute is opened.

Unpacked, the archive is a host tree that "scan --root" reads like the
live host:

    mkdir host && tar -xzf FILE.tar.gz -C host
    memledger-agent scan --root host

Run as root: the SMBIOS tables and SPD EEPROMs are root-only, and a
snapshot taken without them makes the scan fall back as a non-root scan
does. What could not be read is listed in the archive's MANIFEST.json.

--scrub-serials replaces every serial number (DIMMs, SPD, drives, system,
baseboard, the SMBIOS system UUID), wherever it appears, by a token of the
same length and shape, consistent within the snapshot, so the scan of the
snapshot still matches SPD EEPROMs to their DIMMs and still identifies
every maker. MANIFEST.json says what was masked. The archive is written
with mode 0600 either way: it describes the host.`,
		Example: `  sudo memledger-agent snapshot --output db-17.tar.gz --scrub-serials
  sudo memledger-agent snapshot --output - --scrub-serials | ssh support@example.com 'cat > db-17.tar.gz'
  memledger-agent snapshot --root examples/workstation --output workstation.tar.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runSnapshot(ctx, f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "write the archive to `FILE` (replaced atomically, mode 0600); \"-\" writes it to standard output")
	fl.StringVar(&f.root, "root", "/", "capture the host tree under `DIR` instead of /")
	fl.BoolVar(&f.scrubSerials, "scrub-serials", false, "mask serial numbers and the system UUID (same length, consistent within the snapshot)")
	return cmd
}

func runSnapshot(ctx context.Context, f snapshotFlags, stdout, stderr io.Writer) error {
	if f.output == "" {
		return errors.New(`snapshot: --output is required (a file name, or "-" for standard output)`)
	}
	var buf bytes.Buffer
	st, err := snapshot.Write(ctx, &buf, snapshot.Options{Root: f.root, ScrubSerials: f.scrubSerials})
	if err != nil {
		return err
	}
	where := f.output
	if f.output == "-" {
		where = "standard output"
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("snapshot: writing to standard output: %w", err)
		}
	} else if err := fileutil.WriteAtomic(f.output, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	line := fmt.Sprintf("snapshot of %s written to %s: %s", f.root, where, st)
	for _, s := range st.Skipped {
		if strings.Contains(s.Reason, "permission denied") {
			line += "; some files are root-only: run as root for a complete snapshot"
			break
		}
	}
	_, err = fmt.Fprintln(stderr, line)
	return err
}
