// Package httpauth guards the collector's HTTP API with bearer tokens
// (docs/security.md): every request must carry
//
//	Authorization: Bearer <token>
//
// with one of the configured tokens, except on open paths (/healthz and
// /readyz always, /metrics when the collector is configured with
// metrics-open: true). A token has a scope: read (GET and HEAD only, the
// default) or admin (every method: policy reload, labels).
package httpauth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// HealthPath (liveness) and ReadyPath (readiness) are always open: load
// balancers and systemd probes carry no token.
const (
	HealthPath = "/healthz"
	ReadyPath  = "/readyz"
)

// Token is one configured bearer token and its scope.
type Token struct {
	Secret string
	// Admin lets the token use every method; without it only GET and
	// HEAD (reading reports and metrics).
	Admin bool
}

// Scope names, as written in the token file.
const (
	ScopeRead  = "read"
	ScopeAdmin = "admin"
)

// MetricsPath is open when the collector is configured so.
const MetricsPath = "/metrics"

// Bearer returns middleware that lets a request through when it carries
// one of tokens as a bearer token whose scope allows its method, or when
// its path is HealthPath, ReadyPath or one of open (exact paths). A
// request without a known token gets 401 with a WWW-Authenticate
// challenge; a read token on a method other than GET or HEAD gets 403.
// With no tokens every non-open request is refused: a missing token file
// must not open the API.
//
// Tokens are compared in constant time: each candidate and each configured
// token are hashed with SHA-256 (so lengths do not leak) and every
// configured token is compared, whether or not an earlier one matched.
func Bearer(tokens []Token, open ...string) func(http.Handler) http.Handler {
	set := NewTokens(tokens)
	openPaths := map[string]bool{HealthPath: true, ReadyPath: true}
	for _, p := range open {
		openPaths[p] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if openPaths[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			tok, ok := bearerToken(r.Header.Get("Authorization"))
			found, admin := false, false
			if ok {
				found, admin = set.Match(tok)
			}
			if !found {
				w.Header().Set("WWW-Authenticate", `Bearer realm="memledger"`)
				http.Error(w, "unauthorized: send Authorization: Bearer <token> (the collector's http-token-file)", http.StatusUnauthorized)
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead && !admin {
				http.Error(w, "forbidden: "+r.Method+" needs a token with scope admin (\"<token> admin\" in the http-token-file); this one may read only", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bearerToken extracts the token of an Authorization header value; the
// scheme is case-insensitive (RFC 9110).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Tokens are the configured tokens, held as SHA-256 sums with their
// scopes: the bearer guard and the dashboard's sign-in check a token
// against them.
type Tokens struct{ sums []tokenSum }

// tokenSum is a configured token's SHA-256 and scope.
type tokenSum struct {
	sum   [sha256.Size]byte
	admin bool
}

// NewTokens holds tokens (empty ones ignored).
func NewTokens(tokens []Token) *Tokens {
	t := &Tokens{sums: make([]tokenSum, 0, len(tokens))}
	for _, tok := range tokens {
		if tok.Secret != "" {
			t.sums = append(t.sums, tokenSum{sha256.Sum256([]byte(tok.Secret)), tok.Admin})
		}
	}
	return t
}

// Match compares tok against every configured token in constant time and
// says whether one matched and whether it has the admin scope.
func (t *Tokens) Match(tok string) (found, admin bool) {
	got := sha256.Sum256([]byte(tok))
	f, a := 0, 0
	for i := range t.sums {
		eq := subtle.ConstantTimeCompare(t.sums[i].sum[:], got[:])
		f |= eq
		if t.sums[i].admin {
			a |= eq
		}
	}
	return f == 1, a == 1
}

// LoadTokens reads a token file: one token per line, optionally followed
// by its scope ("read", the default, or "admin"); blank lines and lines
// starting with # are ignored, surrounding white space trimmed. A file with
// no token is an error (it would lock everyone out, which is rarely meant).
func LoadTokens(path string) ([]Token, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("http token file: %w", err)
	}
	toks, err := ParseTokens(data)
	if err != nil {
		return nil, fmt.Errorf("http token file %s: %w", path, err)
	}
	return toks, nil
}

// minTokenLen refuses tokens too short to resist guessing.
const minTokenLen = 16

// ParseTokens parses the contents of a token file (see LoadTokens).
func ParseTokens(data []byte) ([]Token, error) {
	var toks []Token
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fields := strings.Fields(t)
		if len(fields) > 2 {
			return nil, fmt.Errorf("line %d: %d fields, want a token and optionally its scope (read or admin)", line, len(fields))
		}
		tok := Token{Secret: fields[0]}
		if len(tok.Secret) < minTokenLen {
			return nil, fmt.Errorf("line %d: token of %d characters, want at least %d", line, len(tok.Secret), minTokenLen)
		}
		if len(fields) == 2 {
			switch fields[1] {
			case ScopeRead:
			case ScopeAdmin:
				tok.Admin = true
			default:
				return nil, fmt.Errorf("line %d: scope %.40q, want read or admin", line, fields[1])
			}
		}
		toks = append(toks, tok)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errors.New("no token (one per line)")
	}
	return toks, nil
}
