package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/render"
	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/policy"
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
	spdFiles      []string
	smartctlFiles []string
	policyFile    string
	assumeNew     bool
	sendAddr      string
	insecure      bool
	tlsCert       string
	tlsKey        string
	tlsCA         string
}

// ExitViolations is the exit status of a scan that found policy violations,
// so a provisioning pipeline can gate on it.
const ExitViolations = cmdutil.ExitViolations

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

With --root, scan reads a captured host tree (an unpacked snapshot) as that
host: its symbolic links resolve inside DIR as if chrooted there, so a link
to /etc/machine-id, "../../..", or any sysfs link leads to the tree's file,
never to this machine's.

With --spd, SPD EEPROM images (binary, hexdump -C, i2cdump or plain hex) are
decoded and merged: the SPD names the DRAM die maker as well as the module
maker. A file too short to hold an SPD image (blank, whitespace only, a
fragment of a dump) is an error, not a module. On a live host the EEPROMs
exposed by the ee1004, spd5118 and at24 drivers are read automatically
(root only).

With --smartctl, the drives come from smartctl output in a support bundle
(smartctl -i, -a or -x text, or smartctl --json; one drive or several to a
file) instead of this host, and are identified as a live scan identifies
them; smartctl's "Model Family" line names the maker of a model nothing
else names (evidence smartctl-model-family). smartctl's text does not name
the device it read: the "Device: /dev/sda" line or the smartctl command
line printed before each output ("# smartctl -a /dev/sda") does, or a
sosreport's file name (smartctl_-a_.dev.sda). A drive whose output names
no device is named FILE#N, its place in the file, with a warning, or is
an error when it has no serial number or WWN either. Alone it gives an
inventory of those drives only; with --smbios, --dmidecode or --spd, one
inventory of those modules and these drives.

With --policy, every part is checked against a procurement policy (see
docs/policy.md). A one-shot scan has no history, so its parts count as the
host's existing installs unless --assume-new treats them all as new installs,
the acceptance gate for a new server.

Exit status: 0 success (warnings included), 1 error, 3 policy violations found.`,
		Example: `  memledger-agent scan
  memledger-agent scan --format json --output inventory.json
  memledger-agent scan --smbios dump.bin
  sudo dmidecode -t 17 | memledger-agent scan --dmidecode - --host-id db-17
  memledger-agent scan --spd dimm0.hex --spd dimm1.bin
  memledger-agent scan --dmidecode dmidecode.txt --smartctl smartctl-x.txt --host-id db-17
  for d in /dev/sd? /dev/nvme?; do smartctl -j -x $d; done | memledger-agent scan --smartctl - --host-id db-17
  memledger-agent scan --format cyclonedx --output hbom.cdx.json
  memledger-agent scan --policy /etc/memledger/policy.yaml --assume-new
  memledger-agent scan --send collector.example:7420 --label site=fra1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScan(cmd, f, stdin, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "table", "output format: table, json (protojson of memledger.v1.Inventory) or cyclonedx (CycloneDX 1.6 hardware BOM)")
	cmdutil.OutputFlag(fl, &f.output)
	fl.StringVar(&f.smbiosFile, "smbios", "", "read SMBIOS from `FILE` (dmidecode --dump-bin output or a raw table) instead of this host")
	fl.StringVar(&f.dmidecodeFile, "dmidecode", "", "read dmidecode text from `FILE` (\"-\" for stdin) instead of this host")
	fl.StringVar(&f.root, "root", "/", "read the host's files under `DIR` (a captured host tree; its links resolve inside DIR) instead of /")
	fl.StringVar(&f.hostID, "host-id", "", "host identity to report (default: /etc/machine-id; for dumps: the SMBIOS system UUID)")
	fl.StringVar(&f.hostname, "hostname", "", "host name to report (default: this host's; useful with --smbios/--dmidecode)")
	fl.StringArrayVar(&f.labels, "label", nil, "attach a host label `KEY=VALUE` (repeatable), e.g. --label site=fra1 --label cii=true")
	fl.StringArrayVar(&f.spdFiles, "spd", nil, "decode the SPD EEPROM image in `FILE` (binary or hex dump; repeatable) instead of this host's")
	fl.StringArrayVar(&f.smartctlFiles, "smartctl", nil, "read drives from smartctl -i/-a/-x text or --json output in `FILE` (\"-\" for stdin; repeatable) instead of this host's")
	fl.StringVar(&f.policyFile, "policy", "", "check every part against the policy in `FILE` (exit 3 on violations)")
	fl.BoolVar(&f.assumeNew, "assume-new", false, "with --policy: treat every part as a new install (acceptance gate for new servers)")
	fl.StringVar(&f.sendAddr, "send", "", "also send the inventory to the collector at `ADDR` (host:port) and wait for its acknowledgement")
	fl.BoolVar(&f.insecure, "insecure", false, "with --send: talk to the collector in plaintext (test setups only)")
	fl.StringVar(&f.tlsCert, "tls-cert", "/var/lib/memledger-agent/tls/agent.crt", "with --send: this host's client certificate `FILE` (see memledger-agent enroll)")
	fl.StringVar(&f.tlsKey, "tls-key", "/var/lib/memledger-agent/tls/agent.key", "with --send: the client certificate's key `FILE`")
	fl.StringVar(&f.tlsCA, "tls-ca", "/var/lib/memledger-agent/tls/ca.crt", "with --send: the CA `FILE` that signed the collector's certificate")
	cmd.MarkFlagsMutuallyExclusive("smbios", "dmidecode")
	return cmd
}

func runScan(cmd *cobra.Command, f scanFlags, stdin io.Reader, stdout, stderr io.Writer) error {
	if f.format != "table" && f.format != "json" && f.format != "cyclonedx" {
		return cmdutil.UsageErrorf("--format %q: want table, json or cyclonedx", f.format)
	}
	if f.assumeNew && f.policyFile == "" {
		return cmdutil.UsageErrorf("--assume-new needs --policy")
	}
	if n := stdinInputs(f); n > 1 {
		return cmdutil.UsageErrorf("%d inputs read from stdin (\"-\"): stdin can be read once", n)
	}
	labels, err := parseLabels(f.labels)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	var pol *policy.Policy
	if f.policyFile != "" {
		// Load the policy before scanning: a broken policy must not cost a
		// scan, and must never read as "no violations".
		if pol, err = policy.LoadFile(f.policyFile); err != nil {
			return fmt.Errorf("policy: %w", err)
		}
	}
	inv, err := scan.Scan(cmd.Context(), scan.Options{
		Root:          f.root,
		SMBIOSFile:    f.smbiosFile,
		DmidecodeFile: f.dmidecodeFile,
		HostID:        f.hostID,
		Hostname:      f.hostname,
		Labels:        labels,
		SPDFiles:      f.spdFiles,
		SmartctlFiles: f.smartctlFiles,
		Stdin:         stdin,
	})
	if err != nil {
		return err
	}
	violations := 0
	if pol != nil {
		violations = scan.ApplyPolicy(inv, pol, f.assumeNew)
	}
	if f.sendAddr != "" {
		// Sent before printing: a failed send must not look like success.
		opts := send.Options{Insecure: f.insecure, Gzip: true}
		if !f.insecure {
			if opts.TLS, err = pki.ClientTLSConfig(f.tlsCert, f.tlsKey, f.tlsCA); err != nil {
				return fmt.Errorf("sending to %s: %w (enroll this host with memledger-agent enroll, or pass --insecure for a test collector)", f.sendAddr, err)
			}
		}
		ack, err := send.Send(cmd.Context(), f.sendAddr, inv, opts)
		if err != nil {
			return fmt.Errorf("sending to %s: %w", f.sendAddr, err)
		}
		fmt.Fprintf(stderr, "sent to %s: %s\n", f.sendAddr, ack)
	}
	out := cmdutil.NewOutput(f.output, stdout)
	switch f.format {
	case "json":
		err = render.JSON(out, inv)
	case "cyclonedx":
		err = render.CycloneDX(out, inv)
	default:
		err = render.Table(out, inv)
	}
	if err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if violations > 0 {
		return &ExitError{Code: ExitViolations, Err: fmt.Errorf("%d part(s) violate the policy in %s", violations, f.policyFile)}
	}
	return nil
}

// stdinInputs counts the input files named "-".
func stdinInputs(f scanFlags) int {
	n := 0
	for _, name := range append(append([]string{f.smbiosFile, f.dmidecodeFile}, f.spdFiles...), f.smartctlFiles...) {
		if name == "-" {
			n++
		}
	}
	return n
}
