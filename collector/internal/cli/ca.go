package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/memledger/memledger/collector/internal/dashboard"
	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/collector/internal/httpauth"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/pki"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Defaults of the fleet PKI files (docs/security.md). The packaged
// collector.yaml names the same paths.
const (
	DefaultCADir      = "/etc/memledger/tls"
	DefaultTokensFile = "/var/lib/memledger-collector/tokens.json"
)

// File names inside --ca-dir, as `ca init` writes them.
const (
	caCertName     = "ca.crt"
	caKeyName      = "ca.key"
	serverCertName = "collector.crt"
	serverKeyName  = "collector.key"
)

// securityFlags are serve's transport security and HTTP authentication
// flags.
type securityFlags struct {
	tlsCert, tlsKey, tlsCA string
	insecure               bool
	caDir                  string
	tokensFile             string
	certsFile              string
	httpTokenFile          string
	metricsOpen            bool
}

func addSecurityFlags(fl *pflag.FlagSet, f *securityFlags) {
	fl.StringVar(&f.tlsCert, "tls-cert", "", "the collector's TLS certificate `FILE` (PEM; may hold the chain; default with --ca-dir: DIR/collector.crt)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the collector's TLS private key `FILE` (default with --ca-dir: DIR/collector.key)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "the CA `FILE` that signs agent certificates; agents without one are refused (default with --ca-dir: DIR/ca.crt)")
	fl.BoolVar(&f.insecure, "insecure", false, "serve plaintext gRPC with no client authentication (test setups only; any agent may report for any host)")
	fl.StringVar(&f.caDir, "ca-dir", "", "enable enrollment (memledger-agent enroll) with the fleet CA in `DIR` made by `ca init`")
	fl.StringVar(&f.tokensFile, "tokens-file", DefaultTokensFile, "enrollment tokens `FILE` (hashes only; see enroll-token create)")
	fl.StringVar(&f.certsFile, "certs-file", "", "certificate registry `FILE`: hosts' enrollments and revocations (ca revoke); checked at every handshake and on open streams (default: certs.json beside --tokens-file, "+DefaultCertsFile+")")
	fl.StringVar(&f.httpTokenFile, "http-token-file", "", "`FILE` of bearer tokens (one a line) the HTTP API requires")
	fl.BoolVar(&f.metricsOpen, "metrics-open", false, "serve /metrics on the HTTP listener without a bearer token")
}

// serveSecurity turns the flags into the gRPC server's TLS configuration,
// the certificate registry and, with --ca-dir, the enrollment service.
// With --insecure all are nil and a loud warning is logged.
func (a *app) serveSecurity(f securityFlags) (*tls.Config, memledgerv1.EnrollServiceServer, *enroll.Registry, error) {
	if f.insecure {
		a.logger.Warn("insecure_plaintext",
			"detail", "--insecure: gRPC is plaintext and unauthenticated; any agent on the network can report for any host. Use only in test setups.")
		return nil, nil, nil, nil
	}
	cfg, svc, err := a.serveTLS(f)
	if err != nil {
		return nil, nil, nil, err
	}
	reg := enroll.NewRegistry(f.certsPath())
	if _, err := reg.Revocations(time.Now()); err != nil {
		return nil, nil, nil, fmt.Errorf("--certs-file: %w", err)
	}
	// A nil *enroll.Service must not become a non-nil interface: the
	// server would register it and every Enroll call would crash.
	var enrollSrv memledgerv1.EnrollServiceServer
	if svc != nil {
		svc.Registry = reg
		enrollSrv = svc
	}
	return cfg, enrollSrv, reg, nil
}

// certsPath is --certs-file, by default certs.json beside --tokens-file.
func (f securityFlags) certsPath() string { return certsPath(f.certsFile, f.tokensFile) }

// certsPath is the certificate registry serve and ca revoke use:
// certsFile, or certs.json beside tokensFile. One rule for both, so a
// revocation lands in the file serve checks.
func certsPath(certsFile, tokensFile string) string {
	if certsFile != "" {
		return certsFile
	}
	return filepath.Join(filepath.Dir(tokensFile), filepath.Base(DefaultCertsFile))
}

// serveTLS is serveSecurity's TLS configuration and enrollment service.
func (a *app) serveTLS(f securityFlags) (*tls.Config, *enroll.Service, error) {
	if f.caDir != "" {
		def := func(p *string, name string) {
			if *p == "" {
				*p = filepath.Join(f.caDir, name)
			}
		}
		def(&f.tlsCert, serverCertName)
		def(&f.tlsKey, serverKeyName)
		def(&f.tlsCA, caCertName)
	}
	if f.tlsCert == "" || f.tlsKey == "" || f.tlsCA == "" {
		return nil, nil, errors.New("serve needs mutual TLS: --tls-cert, --tls-key and --tls-ca (or --ca-dir from `memledger-collector ca init`); --insecure serves plaintext for test setups")
	}
	var svc *enroll.Service
	if f.caDir != "" {
		ca, err := pki.LoadCA(filepath.Join(f.caDir, caCertName), filepath.Join(f.caDir, caKeyName))
		if err != nil {
			return nil, nil, fmt.Errorf("--ca-dir: %w", err)
		}
		// Certificates the CA issues must pass the client check.
		trusted, err := pki.LoadCerts(f.tlsCA)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-ca: %w", err)
		}
		found := false
		for _, c := range trusted {
			found = found || pki.Fingerprint(c) == pki.Fingerprint(ca.Cert)
		}
		if !found {
			return nil, nil, fmt.Errorf("--tls-ca %s does not hold the enrollment CA of --ca-dir %s: enrolled agents would be refused", f.tlsCA, f.caDir)
		}
		svc = &enroll.Service{CA: ca, Tokens: enroll.NewTokens(f.tokensFile), Logger: a.logger}
		a.logger.Info("enrollment_enabled", "ca_sha256", pki.Fingerprint(ca.Cert), "tokens_file", f.tokensFile)
	}
	// Without enrollment every connection must present a certificate at
	// the handshake; with it, Enroll is reachable without one and the
	// other RPCs check per call.
	cfg, err := pki.ServerTLSConfig(f.tlsCert, f.tlsKey, f.tlsCA, svc == nil)
	if err != nil {
		return nil, nil, fmt.Errorf("serve TLS: %w", err)
	}
	return cfg, svc, nil
}

// httpGuard is the HTTP listener's bearer-token guard and the dashboard's
// sign-in check, both from --http-token-file.
type httpGuard struct {
	bearer func(http.Handler) http.Handler
	signin dashboard.Authenticator // nil without a token file
}

// httpMiddleware is the HTTP API's bearer-token guard from
// --http-token-file and --metrics-open (/healthz is always open), and the
// dashboard's sign-in with the same tokens. Without a token file every
// other path is refused and nobody can sign in: the API never opens by
// accident.
func (f securityFlags) httpMiddleware() (httpGuard, error) {
	var tokens []httpauth.Token
	if f.httpTokenFile != "" {
		var err error
		if tokens, err = httpauth.LoadTokens(f.httpTokenFile); err != nil {
			return httpGuard{}, fmt.Errorf("--http-token-file: %w", err)
		}
	}
	var open []string
	if f.metricsOpen {
		open = append(open, httpauth.MetricsPath)
	}
	g := httpGuard{bearer: httpauth.Bearer(tokens, open...)}
	if len(tokens) > 0 {
		set := httpauth.NewTokens(tokens)
		g.signin = dashboard.AuthenticatorFunc(func(tok string) (dashboard.Principal, error) {
			found, admin := set.Match(tok)
			if !found {
				return dashboard.Principal{}, dashboard.ErrBadToken
			}
			if admin {
				return dashboard.Principal{Name: "admin token"}, nil
			}
			return dashboard.Principal{Name: "read token"}, nil
		})
	}
	return g, nil
}

type caInitFlags struct {
	dir         string
	serverNames []string
	commonName  string
	force       bool
}

func (a *app) caCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Manage the fleet CA that signs agent certificates",
		Long: `ca manages the certificate authority of fleets without their own PKI: it
signs the agents' client certificates (memledger-agent enroll) and the
collector's server certificate. Fleets with their own PKI skip it and point
serve's --tls-cert, --tls-key and --tls-ca at their files.`,
		Example: `  memledger-collector ca init --server-name collector.example.com,10.0.0.5
  memledger-collector ca renew-server`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.caInitCommand(), a.caRenewServerCommand(), a.caRevokeCommand())
	return cmd
}

func (a *app) caInitCommand() *cobra.Command {
	var f caInitFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the fleet CA (and the collector's server certificate)",
		Long: `ca init creates a certificate authority for fleets without their own PKI:
ECDSA P-256, self-signed, valid 10 years, written to --ca-dir as ca.crt (0644)
and ca.key (0600). With --server-name it also issues the collector's server
certificate for those names (DNS names or IP addresses), collector.crt (the
certificate followed by the CA, so agents can check a pinned CA) and
collector.key (0600).

It prints the CA's SHA-256 fingerprint: give it to agents as --ca-sha256 when
they enroll without a copy of ca.crt. Serve with --ca-dir to enable
enrollment; see docs/security.md.

An existing CA is never overwritten unless --force is given (that would
invalidate every agent certificate).`,
		Example: `  memledger-collector ca init --server-name collector.example.com,10.0.0.5
  memledger-collector ca init --ca-dir /srv/memledger/tls --server-name localhost`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCAInit(f, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "ca-dir", DefaultCADir, "write the CA (and server certificate) to `DIR`")
	fl.StringSliceVar(&f.serverNames, "server-name", nil, "also issue the collector's server certificate for these `NAMES` (comma-separated DNS names or IPs)")
	fl.StringVar(&f.commonName, "common-name", "memledger fleet CA", "the CA's subject common name")
	fl.BoolVar(&f.force, "force", false, "replace an existing CA (every agent must enroll again)")
	return cmd
}

func (a *app) runCAInit(f caInitFlags, now time.Time) error {
	caCert, caKey := filepath.Join(f.dir, caCertName), filepath.Join(f.dir, caKeyName)
	if !f.force {
		for _, p := range []string{caCert, caKey} {
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("%s exists: a new CA would invalidate every agent certificate (--force replaces it)", p)
			}
		}
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("--ca-dir: %w", err)
	}
	ca, err := pki.NewCA(f.commonName, now)
	if err != nil {
		return err
	}
	// Key first: a certificate without its key is useless, the reverse is
	// just retried.
	if err := pki.WriteKey(caKey, ca.Key); err != nil {
		return err
	}
	if err := pki.WriteCerts(caCert, ca.Cert); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "CA certificate: %s\nCA key:         %s (keep it secret)\n", caCert, caKey)
	if len(f.serverNames) > 0 {
		if err := a.writeServerCert(f.dir, ca, f.serverNames, now); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.stdout, "CA SHA-256 fingerprint (agents: --ca-sha256): %s\n", pki.Fingerprint(ca.Cert))
	return nil
}

// writeServerCert issues the collector's server certificate for names and
// writes it (followed by the CA) and its key to dir, key first.
func (a *app) writeServerCert(dir string, ca *pki.CA, names []string, now time.Time) error {
	cert, key, err := ca.NewServerCert(names, now)
	if err != nil {
		return err
	}
	srvCert, srvKey := filepath.Join(dir, serverCertName), filepath.Join(dir, serverKeyName)
	if err := pki.WriteKey(srvKey, key); err != nil {
		return err
	}
	if err := pki.WriteCerts(srvCert, cert, ca.Cert); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "server certificate: %s for %s (valid until %s)\nserver key:         %s\n",
		srvCert, strings.Join(names, ", "), cert.NotAfter.Format(time.DateOnly), srvKey)
	return nil
}

type caRenewFlags struct {
	dir         string
	serverNames []string
}

func (a *app) caRenewServerCommand() *cobra.Command {
	var f caRenewFlags
	cmd := &cobra.Command{
		Use:   "renew-server",
		Short: "Issue the collector's server certificate again, with a new key",
		Long: `ca renew-server issues a new server certificate (and key) for the collector
from the fleet CA in --ca-dir, replacing collector.crt and collector.key
atomically. It keeps the names of the current certificate unless
--server-name gives new ones. A running serve picks the new certificate up
at the next TLS handshake; agents need nothing, as the CA is unchanged.

Renew before the certificate expires (see "openssl x509 -enddate -noout -in
/etc/memledger/tls/collector.crt"); run it as the user that runs serve, so
that the key stays readable by the service.`,
		Example: `  memledger-collector ca renew-server
  memledger-collector ca renew-server --server-name ledger.internal,10.0.0.5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCARenewServer(f, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "ca-dir", DefaultCADir, "the fleet CA and the server certificate are in `DIR`")
	fl.StringSliceVar(&f.serverNames, "server-name", nil, "issue the certificate for these `NAMES` (comma-separated DNS names or IPs; default: the current certificate's)")
	return cmd
}

func (a *app) runCARenewServer(f caRenewFlags, now time.Time) error {
	ca, err := pki.LoadCA(filepath.Join(f.dir, caCertName), filepath.Join(f.dir, caKeyName))
	if err != nil {
		return fmt.Errorf("--ca-dir: %w", err)
	}
	names := f.serverNames
	if len(names) == 0 {
		current := filepath.Join(f.dir, serverCertName)
		certs, err := pki.LoadCerts(current)
		if err != nil {
			return fmt.Errorf("%w (give the names with --server-name)", err)
		}
		for _, ip := range certs[0].IPAddresses {
			names = append(names, ip.String())
		}
		names = append(certs[0].DNSNames, names...)
		if len(names) == 0 {
			return cmdutil.UsageErrorf("%s names no host: give the names with --server-name", current)
		}
	}
	return a.writeServerCert(f.dir, ca, names, now)
}
