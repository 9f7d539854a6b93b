package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/internal/cmdutil"
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
		Example: `  memledger-collector enroll-token create --ttl 24h
  memledger-collector enroll-token list
  memledger-collector enroll-token revoke 3f1c0a9e`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(a.enrollTokenCreateCommand(), a.enrollTokenListCommand(), a.enrollTokenRevokeCommand())
	return cmd
}

func (a *app) enrollTokenListCommand() *cobra.Command {
	var tokensFile string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the enrollment tokens",
		Long: `enroll-token list prints the tokens in --tokens-file, soonest expiry first:
the first 12 hex digits of each token's SHA-256 (the token itself is never
stored), the host it is bound to, when it was created and expires, the uses
left and its state (valid, spent or expired). Revoke one with
"enroll-token revoke" and its SHA-256 prefix.`,
		Example: `  memledger-collector enroll-token list
  memledger-collector enroll-token list --tokens-file /srv/memledger/tokens.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runEnrollTokenList(tokensFile, time.Now())
		},
	}
	cmd.Flags().StringVar(&tokensFile, "tokens-file", DefaultTokensFile, "enrollment tokens `FILE` (the collector's, see serve --tokens-file)")
	return cmd
}

func (a *app) runEnrollTokenList(path string, now time.Time) error {
	tokens, err := enroll.NewTokens(path).List()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SHA256\tHOST\tCREATED\tEXPIRES\tUSES LEFT\tSTATE")
	for _, t := range tokens {
		state := "valid"
		switch {
		case !now.Before(t.ExpiresAt):
			state = "expired"
		case t.UsesLeft <= 0:
			state = "spent"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", t.SHA256[:min(12, len(t.SHA256))], cell(t.HostID),
			tableTime(t.CreatedAt), tableTime(t.ExpiresAt), t.UsesLeft, state)
	}
	return tw.Flush()
}

func (a *app) enrollTokenRevokeCommand() *cobra.Command {
	var tokensFile string
	cmd := &cobra.Command{
		Use:   "revoke SHA256-PREFIX|TOKEN...",
		Short: "Revoke enrollment tokens",
		Long: `enroll-token revoke removes tokens from --tokens-file, so that no agent can
enroll with them any more. Name each by the SHA-256 "enroll-token list"
shows (at least 8 hex digits of it) or by the token itself. Certificates
already issued with a token stay valid.`,
		Example: `  memledger-collector enroll-token revoke 3f1c0a9e
  memledger-collector enroll-token revoke 3f1c0a9e7d22 91bb00c4`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runEnrollTokenRevoke(tokensFile, args)
		},
	}
	cmd.Flags().StringVar(&tokensFile, "tokens-file", DefaultTokensFile, "enrollment tokens `FILE` (the collector's, see serve --tokens-file)")
	return cmd
}

func (a *app) runEnrollTokenRevoke(path string, refs []string) error {
	tokens := enroll.NewTokens(path)
	for _, ref := range refs {
		info, err := tokens.Revoke(ref)
		if errors.Is(err, enroll.ErrTokenUnknown) || errors.Is(err, enroll.ErrTokenAmbiguous) {
			return cmdutil.UsageError(err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "revoked %s (expires %s, %d uses left)\n", info.SHA256[:min(12, len(info.SHA256))], tableTime(info.ExpiresAt), info.UsesLeft)
		a.logger.Info("enroll_token_revoked", "sha256", info.SHA256, "tokens_file", path)
	}
	return nil
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
		return cmdutil.UsageErrorf("--uses %d: want 1 or more", f.uses)
	}
	tok, info, err := enroll.NewTokens(f.tokensFile).Create(enroll.CreateOptions{TTL: f.ttl, HostID: f.hostID, Uses: f.uses, Replace: f.replace}, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, tok)
	a.logger.Info("enroll_token_created", "expires_at", info.ExpiresAt, "uses", info.UsesLeft, "host_id", info.HostID, "tokens_file", f.tokensFile)
	return nil
}
