package cli

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/render"
	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/internal/fileutil"
)

type scanFlags struct {
	format        string
	output        string
	smbiosFile    string
	dmidecodeFile string
	root          string
	hostID        string
	hostname      string
	labels        []string
}

func newScanCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Scan this host (or a dump of another) once and print its inventory",
		Long: `scan reads the host's SMBIOS tables (/sys/firmware/dmi/tables, readable by
root or with CAP_DAC_READ_SEARCH) and falls back to the udev database
(/run/udev/data/+dmi:id, world-readable) when it may not. Every module's maker
is identified with evidence: the SMBIOS 3.2 module manufacturer id, a JEP106
code hidden in the manufacturer string, the maker's name, or the part number.
A maker that cannot be identified is reported unknown, never guessed.

Instead of this host, scan can read a "dmidecode --dump-bin" file or raw
table (--smbios) or dmidecode text from a support bundle (--dmidecode).

Exit status: 0 success (warnings included), 1 error.`,
		Example: `  memledger-agent scan
  memledger-agent scan --format json --output inventory.json
  memledger-agent scan --smbios dump.bin
  sudo dmidecode -t 17 | memledger-agent scan --dmidecode - --host-id db-17`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScan(cmd, f, stdin, stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "table", "output format: table or json (protojson of memledger.v1.Inventory)")
	fl.StringVarP(&f.output, "output", "o", "", "write to `FILE` instead of standard output (replaced atomically)")
	fl.StringVar(&f.smbiosFile, "smbios", "", "read SMBIOS from `FILE` (dmidecode --dump-bin output or a raw table) instead of this host")
	fl.StringVar(&f.dmidecodeFile, "dmidecode", "", "read dmidecode text from `FILE` (\"-\" for stdin) instead of this host")
	fl.StringVar(&f.root, "root", "/", "read the host's files under `DIR` (a captured host tree) instead of /")
	fl.StringVar(&f.hostID, "host-id", "", "host identity to report (default: /etc/machine-id; for dumps: the SMBIOS system UUID)")
	fl.StringVar(&f.hostname, "hostname", "", "host name to report (default: this host's; useful with --smbios/--dmidecode)")
	fl.StringArrayVar(&f.labels, "label", nil, "attach a host label `KEY=VALUE` (repeatable), e.g. --label site=fra1 --label cii=true")
	cmd.MarkFlagsMutuallyExclusive("smbios", "dmidecode")
	return cmd
}

func runScan(cmd *cobra.Command, f scanFlags, stdin io.Reader, stdout io.Writer) error {
	if f.format != "table" && f.format != "json" {
		return fmt.Errorf("--format %q: want table or json", f.format)
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return err
	}
	inv, err := scan.Scan(cmd.Context(), scan.Options{
		Root:          f.root,
		SMBIOSFile:    f.smbiosFile,
		DmidecodeFile: f.dmidecodeFile,
		HostID:        f.hostID,
		Hostname:      f.hostname,
		Labels:        labels,
		Stdin:         stdin,
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch f.format {
	case "json":
		err = render.JSON(&buf, inv)
	default:
		err = render.Table(&buf, inv)
	}
	if err != nil {
		return err
	}
	if f.output != "" {
		return fileutil.WriteAtomic(f.output, buf.Bytes(), 0o644)
	}
	_, err = stdout.Write(buf.Bytes())
	return err
}
