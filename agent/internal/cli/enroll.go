package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/agent/internal/agentconfig"
	"github.com/memledger/memledger/agent/internal/enroll"
	"github.com/memledger/memledger/internal/cmdutil"
)

type enrollFlags struct {
	token      string
	caSHA256   string
	caFile     string
	serverName string
	renew      bool
}

// newEnrollCommand is `memledger-agent enroll`: get this host's client
// certificate from the collector (or renew it with --renew).
func newEnrollCommand(stdout, stderr io.Writer) *cobra.Command {
	var f enrollFlags
	var cfg *agentconfig.Config
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Get this host's client certificate from the collector",
		Long: `enroll obtains this host's mutual TLS certificate from the collector's fleet
CA (docs/security.md). It generates a private key here (it never leaves this
host), sends a certificate request with the enrollment token from
"memledger-collector enroll-token create", and stores the key (0600), the
certificate and the CA at --tls-key, --tls-cert and --tls-ca (from the config
file, else <state-dir>/tls/agent.key, agent.crt and ca.crt).

Before it has a certificate the agent must still know it talks to the real
collector: give --ca-file (a copy of the fleet's ca.crt) or --ca-sha256 (the
fingerprint "memledger-collector ca init" printed). There is no trust on
first use.

The token may come from the environment (MEMLEDGER_TOKEN) rather than the
command line, where other users could see it.

With --renew it renews an existing certificate instead, once two thirds of
its lifetime have passed (the agent daemon does this by itself).`,
		Example: `  memledger-agent enroll --collector collector.example.com:7420 --token "$TOKEN" \
      --ca-sha256 3f1c...e2
  memledger-agent enroll --collector 10.0.0.5:7420 --token "$TOKEN" --ca-file ca.crt --host-id db-17
  memledger-agent enroll --renew`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Resolve(cmd.Flags(), os.LookupEnv); err != nil {
				return cmdutil.UsageError(err)
			}
			return runEnroll(cmd, stdout, cfg, f)
		},
	}
	fl := cmd.Flags()
	cfg = agentconfig.Register(fl)
	agentconfig.HideDaemonFlags(fl, "insecure")
	fl.StringVar(&f.token, "token", "", "the enrollment `TOKEN` (env MEMLEDGER_TOKEN)")
	fl.StringVar(&f.caSHA256, "ca-sha256", "", "trust the collector whose CA has this SHA-256 `FINGERPRINT` (printed by ca init)")
	fl.StringVar(&f.caFile, "ca-file", "", "trust the collector whose certificate this CA `FILE` signed")
	fl.StringVar(&f.serverName, "server-name", "", "the `NAME` in the collector's certificate (default: the host of --collector)")
	fl.BoolVar(&f.renew, "renew", false, "renew the existing certificate if it is due, instead of enrolling")
	cmd.SetErr(stderr)
	return cmd
}

func runEnroll(cmd *cobra.Command, stdout io.Writer, cfg *agentconfig.Config, f enrollFlags) error {
	if cfg.Insecure {
		return cmdutil.UsageError(errors.New("enroll always uses TLS: --insecure does not apply"))
	}
	paths := enroll.DefaultPaths(cfg.StateDir)
	if cfg.HasTLS() {
		paths = enroll.Paths{Cert: cfg.TLSCert, Key: cfg.TLSKey, CA: cfg.TLSCA}
	}
	if f.renew {
		renewed, notAfter, err := enroll.RenewIfDue(cmd.Context(), cfg.Collector, paths, time.Now())
		if err != nil {
			return err
		}
		if renewed {
			fmt.Fprintf(stdout, "renewed %s, valid until %s\n", paths.Cert, notAfter.Format(time.RFC3339))
		} else {
			fmt.Fprintf(stdout, "%s is not due for renewal (valid until %s)\n", paths.Cert, notAfter.Format(time.RFC3339))
		}
		return nil
	}
	hostID := cfg.HostID
	if hostID == "" {
		var err error
		if hostID, err = machineID(cfg.Root); err != nil {
			return err
		}
	}
	res, err := enroll.Enroll(cmd.Context(), enroll.Options{
		Collector:  cfg.Collector,
		Token:      f.token,
		HostID:     hostID,
		Paths:      paths,
		CAFile:     f.caFile,
		CASHA256:   f.caSHA256,
		ServerName: f.serverName,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled host %s: certificate valid until %s\n  tls-cert: %s\n  tls-key:  %s\n  tls-ca:   %s\nCA SHA-256: %s\n",
		res.HostID, res.NotAfter.Format(time.RFC3339), paths.Cert, paths.Key, paths.CA, res.CAFingerprint)
	if !cfg.HasTLS() {
		fmt.Fprintln(stdout, "Set tls-cert, tls-key and tls-ca to these paths in the agent's config file.")
	}
	return nil
}

// machineID is the host identity a scan reports by default: root's
// /etc/machine-id, else the D-Bus copy.
func machineID(root string) (string, error) {
	for _, p := range []string{"etc/machine-id", "var/lib/dbus/machine-id"} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err == nil {
			if id := string(bytes.TrimSpace(b)); id != "" {
				return id, nil
			}
		}
	}
	return "", errors.New("no machine id (/etc/machine-id): give --host-id")
}
