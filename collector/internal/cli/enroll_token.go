package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/enroll"
)

type enrollTokenFlags struct {
	tokensFile string
	ttl        time.Duration
	hostID     string
	uses       int
	replace    bool
}

func (a *app) enrollTokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enroll-token",
		Short: "Manage the tokens agents enroll with",
		Long: `enroll-token manages the secrets agents present to enroll (memledger-agent
enroll --token): each has an expiry and a number of uses, and may be bound to
one host. The collector stores only their SHA-256 (serve --tokens-file).`,
		Example: `  memledger-collector enroll-token create --ttl 24h`,
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(a.enrollTokenCreateCommand())
	return cmd
}

func (a *app) enrollTokenCreateCommand() *cobra.Command {
	f := enrollTokenFlags{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Issue an enrollment token",
		Long: `enroll-token create prints a new secret token (32 random bytes, base64url)
that lets agents enroll (memledger-agent enroll --token) until it expires or
its uses are spent. The collector keeps only its SHA-256, in --tokens-file
(0600). With --host-id the token enrolls only that host.

An expired token is refused ("token expired"), a spent one too ("token
already used").`,
		Example: `  memledger-collector enroll-token create --ttl 24h
  memledger-collector enroll-token create --ttl 1h --host-id db-17
  memledger-collector enroll-token create --ttl 72h --uses 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runEnrollTokenCreate(f, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.tokensFile, "tokens-file", DefaultTokensFile, "enrollment tokens `FILE` (the collector's, see serve --tokens-file)")
	fl.DurationVar(&f.ttl, "ttl", 24*time.Hour, "how long the token is valid")
	fl.StringVar(&f.hostID, "host-id", "", "only this host may enroll with the token")
	fl.IntVar(&f.uses, "uses", 1, "how many agents may enroll with the token")
	fl.BoolVar(&f.replace, "replace", false, "the token may also enroll hosts that already hold a valid certificate (or were revoked), revoking it; without it only a token bound with --host-id may")
	return cmd
}

func (a *app) runEnrollTokenCreate(f enrollTokenFlags, now time.Time) error {
	if f.uses < 1 {
		return fmt.Errorf("--uses %d: want 1 or more", f.uses)
	}
	tok, info, err := enroll.NewTokens(f.tokensFile).Create(enroll.CreateOptions{TTL: f.ttl, HostID: f.hostID, Uses: f.uses, Replace: f.replace}, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, tok)
	a.logger.Info("enroll_token_created", "expires_at", info.ExpiresAt, "uses", info.UsesLeft, "host_id", info.HostID, "tokens_file", f.tokensFile)
	return nil
}
