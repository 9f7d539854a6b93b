package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/enroll"
)

// DefaultCertsFile is the certificate registry: each host's enrollment
// and the revocations (serve --certs-file, ca revoke --certs-file).
const DefaultCertsFile = "/var/lib/memledger-collector/certs.json"

type caRevokeFlags struct {
	certsFile  string
	tokensFile string
	hostID     string
	serial     string
	reason     string
	list       bool
}

func (a *app) caRevokeCommand() *cobra.Command {
	var f caRevokeFlags
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke an agent certificate, or every certificate of a host",
		Long: `ca revoke records a revocation in the certificate registry (--certs-file,
the file serve reads): --host-id revokes every certificate of the host issued
until now, --serial one certificate (the hex serial that the collector's
certificate_issued log line names). A running collector notices within
seconds: revoked certificates fail the TLS handshake, calls with them are
refused (PermissionDenied) and their open streams end (PermissionDenied),
and they cannot renew. A revoked host enrolls again only with a token bound
to it (enroll-token create --host-id) or made with --replace.

--list prints the revocations in force.`,
		Example: `  memledger-collector ca revoke --host-id db-17 --reason "key on a stolen disk"
  memledger-collector ca revoke --serial 5d1f0c2a9e --reason decommissioned
  memledger-collector ca revoke --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCARevoke(f, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.certsFile, "certs-file", "", "the certificate registry `FILE` (the collector's, see serve --certs-file; default: certs.json beside --tokens-file, as serve)")
	fl.StringVar(&f.tokensFile, "tokens-file", DefaultTokensFile, "enrollment tokens `FILE` of the collector, beside which its registry lies")
	fl.StringVar(&f.hostID, "host-id", "", "revoke every certificate of this host")
	fl.StringVar(&f.serial, "serial", "", "revoke the certificate with this hex serial number")
	fl.StringVar(&f.reason, "reason", "", "why (kept in the registry and logged)")
	fl.BoolVar(&f.list, "list", false, "list the revocations in force")
	return cmd
}

func (a *app) runCARevoke(f caRevokeFlags, now time.Time) error {
	reg := enroll.NewRegistry(certsPath(f.certsFile, f.tokensFile))
	if f.list {
		revs, err := reg.Revocations(now)
		if err != nil {
			return err
		}
		for _, rv := range revs {
			what := "host"
			if rv.Serial != "" {
				what = "serial " + rv.Serial
			}
			fmt.Fprintf(a.stdout, "%s\t%s\t%q\t%q\n", rv.At.Format(time.RFC3339), what, rv.HostID, rv.Reason)
		}
		return nil
	}
	switch {
	case (f.hostID == "") == (f.serial == ""):
		return errors.New("give exactly one of --host-id and --serial (or --list)")
	case f.hostID != "":
		if err := reg.RevokeHost(f.hostID, f.reason, now); err != nil {
			return err
		}
		a.logger.Info("host_revoked", "host_id", f.hostID, "reason", f.reason, "certs_file", f.certsFile)
	default:
		if err := reg.RevokeSerial(f.serial, f.reason, time.Time{}, now); err != nil {
			return err
		}
		a.logger.Info("certificate_revoked", "serial", f.serial, "reason", f.reason, "certs_file", f.certsFile)
	}
	return nil
}
