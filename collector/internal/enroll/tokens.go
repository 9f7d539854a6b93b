package enroll

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/pki"
)

// Token errors, returned by Tokens.Consume (test with errors.Is).
var (
	ErrTokenUnknown = errors.New("unknown enrollment token")
	ErrTokenExpired = errors.New("token expired")
	ErrTokenUsed    = errors.New("token already used")
	ErrTokenHost    = errors.New("token is for another host")
	// ErrTokenNotBound refuses a token that is neither bound to the host
	// nor made with --replace, for a host that already holds a valid
	// certificate (or was revoked).
	ErrTokenNotBound = errors.New("host already enrolled: needs a token for this host (enroll-token create --host-id) or one made with --replace")
)

// tokenBytes is the entropy of a token.
const tokenBytes = 32

// TokenInfo is what the tokens file holds about one token: never the token
// itself, only its SHA-256.
type TokenInfo struct {
	// SHA256 is the hex SHA-256 of the token string.
	SHA256 string `json:"sha256"`
	// HostID, when set, is the only host the token may enroll.
	HostID    string    `json:"host_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// UsesLeft counts down to 0 on each enrollment.
	UsesLeft int `json:"uses_left"`
	// Replace lets the token enroll a host that already holds a valid
	// certificate, whose certificate it then revokes.
	Replace bool `json:"replace,omitempty"`
}

type tokensFile struct {
	Version int         `json:"version"`
	Tokens  []TokenInfo `json:"tokens"`
}

// Tokens is the enrollment token store: a small JSON file (mode 0600,
// replaced atomically) in the collector's state directory. Its methods
// serialise within one process; `enroll-token create` run while the
// collector consumes a token could in principle lose one of the two updates
// (the file is re-read on every call, so the window is one read-modify-write).
type Tokens struct {
	path string
	mu   sync.Mutex
}

// NewTokens returns the store kept at path (created on first write).
func NewTokens(path string) *Tokens { return &Tokens{path: path} }

// Path is the store's file.
func (t *Tokens) Path() string { return t.path }

// CreateOptions describe a new token.
type CreateOptions struct {
	TTL    time.Duration
	HostID string // optional
	Uses   int    // default 1
	// Replace: the token may re-enroll hosts already enrolled.
	Replace bool
}

// Create makes a token valid for opts.TTL from now, stores its hash and
// returns the token (base64url of 32 random bytes): the only time it is seen.
func (t *Tokens) Create(opts CreateOptions, now time.Time) (string, TokenInfo, error) {
	if opts.TTL <= 0 {
		return "", TokenInfo{}, fmt.Errorf("token lifetime %v: want a positive duration", opts.TTL)
	}
	if opts.Uses == 0 {
		opts.Uses = 1
	}
	if opts.Uses < 0 {
		return "", TokenInfo{}, fmt.Errorf("token uses %d: want 1 or more", opts.Uses)
	}
	if opts.HostID != "" {
		if err := pki.ValidateHostID(opts.HostID); err != nil {
			return "", TokenInfo{}, fmt.Errorf("token host id: %w", err)
		}
	}
	// A token is pasted as a command-line argument (enroll-token revoke
	// TOKEN), where a leading '-' would read as a flag: draw again then
	// (one of the 64 values of the first character is never used).
	var tok string
	for tok == "" || tok[0] == '-' {
		raw := make([]byte, tokenBytes)
		if _, err := rand.Read(raw); err != nil {
			return "", TokenInfo{}, fmt.Errorf("random token: %w", err)
		}
		tok = base64.RawURLEncoding.EncodeToString(raw)
	}
	info := TokenInfo{
		SHA256:    hashToken(tok),
		HostID:    opts.HostID,
		CreatedAt: now.UTC(),
		ExpiresAt: now.Add(opts.TTL).UTC(),
		UsesLeft:  opts.Uses,
		Replace:   opts.Replace,
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.load()
	if err != nil {
		return "", TokenInfo{}, err
	}
	f.Tokens = append(pruneExpired(f.Tokens, now), info)
	if err := t.save(f); err != nil {
		return "", TokenInfo{}, err
	}
	return tok, info, nil
}

// Consume spends one use of token for hostID at now. It returns
// ErrTokenUnknown, ErrTokenExpired, ErrTokenUsed or ErrTokenHost when the
// token may not enroll hostID; the store is unchanged then.
func (t *Tokens) Consume(token, hostID string, now time.Time) error {
	return t.consume(token, hostID, now, false)
}

// ConsumeReplacing is Consume for a host that already holds a valid
// certificate or was revoked: only a token bound to hostID or made with
// Replace may enroll it (ErrTokenNotBound otherwise), so a multi-use
// rollout token cannot take over an enrolled host.
func (t *Tokens) ConsumeReplacing(token, hostID string, now time.Time) error {
	return t.consume(token, hostID, now, true)
}

func (t *Tokens) consume(token, hostID string, now time.Time, replacing bool) error {
	h := hashToken(token)
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.load()
	if err != nil {
		return err
	}
	idx := -1
	for i := range f.Tokens {
		// Constant time, though the hash already hides the token.
		if subtle.ConstantTimeCompare([]byte(f.Tokens[i].SHA256), []byte(h)) == 1 {
			idx = i
		}
	}
	if idx < 0 {
		return ErrTokenUnknown
	}
	info := &f.Tokens[idx]
	switch {
	case !now.Before(info.ExpiresAt):
		return fmt.Errorf("%w at %s", ErrTokenExpired, info.ExpiresAt.Format(time.RFC3339))
	case info.UsesLeft <= 0:
		return ErrTokenUsed
	case info.HostID != "" && info.HostID != hostID:
		return fmt.Errorf("%w (%.80q, not %.80q)", ErrTokenHost, info.HostID, hostID)
	case replacing && info.HostID == "" && !info.Replace:
		return ErrTokenNotBound
	}
	// A spent token stays in the file until it expires, so that reusing it
	// is answered "already used" rather than "unknown".
	info.UsesLeft--
	f.Tokens = pruneExpired(f.Tokens, now)
	return t.save(f)
}

// List returns the stored tokens (hashes only), soonest expiry first.
func (t *Tokens) List() ([]TokenInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.load()
	if err != nil {
		return nil, err
	}
	sort.Slice(f.Tokens, func(i, j int) bool { return f.Tokens[i].ExpiresAt.Before(f.Tokens[j].ExpiresAt) })
	return f.Tokens, nil
}

// MinRevokePrefix is the shortest prefix of a token's SHA-256 that Revoke
// accepts.
const MinRevokePrefix = 8

// ErrTokenAmbiguous: a prefix names more than one token.
var ErrTokenAmbiguous = errors.New("names more than one token")

// Revoke removes the token that ref names: the token itself, or its
// SHA-256 (as List shows it) or a prefix of it of at least MinRevokePrefix
// hex digits. Agents can no longer enroll with it. It returns what the
// file held about the token; ErrTokenUnknown when ref names none.
func (t *Tokens) Revoke(ref string) (TokenInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.load()
	if err != nil {
		return TokenInfo{}, err
	}
	h, prefix := hashToken(ref), strings.ToLower(ref)
	if len(prefix) < MinRevokePrefix {
		prefix = ""
	}
	idx := -1
	for i, info := range f.Tokens {
		if info.SHA256 == h || (prefix != "" && strings.HasPrefix(info.SHA256, prefix)) {
			if idx >= 0 {
				return TokenInfo{}, fmt.Errorf("%q %w: give more of the SHA-256", ref, ErrTokenAmbiguous)
			}
			idx = i
		}
	}
	if idx < 0 {
		return TokenInfo{}, fmt.Errorf("%w: no token or SHA-256 prefix %.80q in %s", ErrTokenUnknown, ref, t.path)
	}
	info := f.Tokens[idx]
	f.Tokens = append(f.Tokens[:idx], f.Tokens[idx+1:]...)
	return info, t.save(f)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// pruneExpired drops tokens expired more than a day ago (kept a day so that
// a late reuse is answered "expired", not "unknown").
func pruneExpired(ts []TokenInfo, now time.Time) []TokenInfo {
	out := ts[:0]
	for _, ti := range ts {
		if now.Sub(ti.ExpiresAt) < 24*time.Hour {
			out = append(out, ti)
		}
	}
	return out
}

func (t *Tokens) load() (tokensFile, error) {
	var f tokensFile
	data, err := os.ReadFile(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return tokensFile{Version: 1}, nil
	}
	if err != nil {
		return f, fmt.Errorf("enrollment tokens: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("enrollment tokens %s: %w", t.path, err)
	}
	if f.Version != 1 {
		return f, fmt.Errorf("enrollment tokens %s: version %d, want 1", t.path, f.Version)
	}
	return f, nil
}

func (t *Tokens) save(f tokensFile) error {
	f.Version = 1
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("enrollment tokens: %w", err)
	}
	if err := fileutil.WriteAtomic(t.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("enrollment tokens: %w", err)
	}
	return nil
}
