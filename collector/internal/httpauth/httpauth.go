// Package httpauth guards the collector's HTTP API with bearer tokens
// (docs/security.md): every request must carry
//
//	Authorization: Bearer <token>
//
// with one of the configured tokens, except on open paths (/healthz always,
// /metrics when the collector is configured with metrics-open: true).
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

// HealthPath is always open: load balancers and systemd probes carry no
// token.
const HealthPath = "/healthz"

// MetricsPath is open when the collector is configured so.
const MetricsPath = "/metrics"

// Bearer returns middleware that lets a request through when it carries
// one of tokens as a bearer token, or when its path is HealthPath or one of
// open (exact paths). Other requests get 401 with a WWW-Authenticate
// challenge. With no tokens every non-open request is refused: a missing
// token file must not open the API.
//
// Tokens are compared in constant time: each candidate and each configured
// token are hashed with SHA-256 (so lengths do not leak) and every
// configured token is compared, whether or not an earlier one matched.
func Bearer(tokens []string, open ...string) func(http.Handler) http.Handler {
	set := NewTokens(tokens)
	openPaths := map[string]bool{HealthPath: true}
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
			if !ok || !set.Match(tok) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="memledger"`)
				http.Error(w, "unauthorized: send Authorization: Bearer <token> (the collector's http-token-file)", http.StatusUnauthorized)
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

// Tokens are the configured tokens, held as SHA-256 sums: the bearer
// guard and the dashboard's sign-in check a token against them.
type Tokens struct{ sums [][sha256.Size]byte }

// NewTokens holds tokens (empty ones ignored).
func NewTokens(tokens []string) *Tokens {
	t := &Tokens{sums: make([][sha256.Size]byte, 0, len(tokens))}
	for _, tok := range tokens {
		if tok != "" {
			t.sums = append(t.sums, sha256.Sum256([]byte(tok)))
		}
	}
	return t
}

// Match compares tok against every configured token in constant time.
func (t *Tokens) Match(tok string) bool {
	got := sha256.Sum256([]byte(tok))
	found := 0
	for i := range t.sums {
		found |= subtle.ConstantTimeCompare(t.sums[i][:], got[:])
	}
	return found == 1
}

// LoadTokens reads a token file: one token per line; blank lines and lines
// starting with # are ignored, surrounding white space trimmed. A file with
// no token is an error (it would lock everyone out, which is rarely meant).
func LoadTokens(path string) ([]string, error) {
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
func ParseTokens(data []byte) ([]string, error) {
	var toks []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(t) < minTokenLen {
			return nil, fmt.Errorf("line %d: token of %d characters, want at least %d", line, len(t), minTokenLen)
		}
		if strings.ContainsAny(t, " \t") {
			return nil, fmt.Errorf("line %d: token contains white space", line)
		}
		toks = append(toks, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errors.New("no token (one per line)")
	}
	return toks, nil
}
