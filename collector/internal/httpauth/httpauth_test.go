package httpauth

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	tokA = "0123456789abcdef0123456789abcdef"
	tokB = "fedcba9876543210fedcba9876543210"
)

// read makes read-scoped tokens.
func read(secrets ...string) []Token {
	var toks []Token
	for _, s := range secrets {
		toks = append(toks, Token{Secret: s})
	}
	return toks
}

func TestBearer(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	tests := []struct {
		name   string
		tokens []string
		open   []string
		path   string
		header string
		want   int
	}{
		{"valid token", []string{tokA}, nil, "/v1/parts", "Bearer " + tokA, http.StatusTeapot},
		{"second configured token", []string{tokA, tokB}, nil, "/v1/parts", "Bearer " + tokB, http.StatusTeapot},
		{"scheme case-insensitive", []string{tokA}, nil, "/v1/parts", "bearer " + tokA, http.StatusTeapot},
		{"missing header", []string{tokA}, nil, "/v1/parts", "", http.StatusUnauthorized},
		{"wrong token", []string{tokA}, nil, "/v1/parts", "Bearer " + tokB, http.StatusUnauthorized},
		{"token prefix", []string{tokA}, nil, "/v1/parts", "Bearer " + tokA[:20], http.StatusUnauthorized},
		{"token with suffix", []string{tokA}, nil, "/v1/parts", "Bearer " + tokA + "x", http.StatusUnauthorized},
		{"basic scheme", []string{tokA}, nil, "/v1/parts", "Basic " + tokA, http.StatusUnauthorized},
		{"scheme only", []string{tokA}, nil, "/v1/parts", "Bearer", http.StatusUnauthorized},
		{"empty token", []string{tokA}, nil, "/v1/parts", "Bearer  ", http.StatusUnauthorized},
		{"no tokens configured", nil, nil, "/v1/parts", "Bearer ", http.StatusUnauthorized},
		{"empty configured token matches nothing", []string{""}, nil, "/v1/parts", "Bearer x", http.StatusUnauthorized},
		{"healthz always open", []string{tokA}, nil, "/healthz", "", http.StatusTeapot},
		{"readyz always open", []string{tokA}, nil, "/readyz", "", http.StatusTeapot},
		{"metrics closed by default", []string{tokA}, nil, "/metrics", "", http.StatusUnauthorized},
		{"metrics open when configured", []string{tokA}, []string{MetricsPath}, "/metrics", "", http.StatusTeapot},
		{"open path is exact", []string{tokA}, []string{MetricsPath}, "/metrics/x", "", http.StatusUnauthorized},
		{"healthz prefix is not open", []string{tokA}, nil, "/healthzz", "", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Bearer(read(tc.tokens...), tc.open...)(ok)
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// A read token may only read: any other method needs the admin scope
// (53,004 policy reloads in 15 s came from a read-only dashboard token).
func TestBearerScopes(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := Bearer([]Token{{Secret: tokA}, {Secret: tokB, Admin: true}})(ok)
	for _, tc := range []struct {
		method, tok string
		want        int
	}{
		{http.MethodGet, tokA, http.StatusTeapot},
		{http.MethodHead, tokA, http.StatusTeapot},
		{http.MethodPost, tokA, http.StatusForbidden},
		{http.MethodDelete, tokA, http.StatusForbidden},
		{http.MethodPost, tokB, http.StatusTeapot},
		{http.MethodGet, tokB, http.StatusTeapot},
	} {
		req := httptest.NewRequest(tc.method, "/api/v1/policy/reload", nil)
		req.Header.Set("Authorization", "Bearer "+tc.tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s with %s token: %d, want %d", tc.method, map[string]string{tokA: "read", tokB: "admin"}[tc.tok], rec.Code, tc.want)
		}
	}
}

// TestMatchComparesEveryToken checks the constant-time path's logic: the
// result is the same whichever position the matching token has, and a
// token differing only in its last byte does not match.
func TestMatchComparesEveryToken(t *testing.T) {
	tokens := func(toks ...string) *Tokens {
		var ts []Token
		for _, tk := range toks {
			ts = append(ts, Token{Secret: tk})
		}
		return NewTokens(ts)
	}
	near := tokA[:len(tokA)-1] + "0"
	tests := []struct {
		toks []string
		tok  string
		want bool
	}{
		{[]string{tokA, tokB}, tokA, true},
		{[]string{tokB, tokA}, tokA, true},
		{[]string{tokA, tokA}, tokA, true},
		{[]string{tokA, tokB}, near, false},
		{nil, tokA, false},
	}
	for _, tc := range tests {
		if got, _ := tokens(tc.toks...).Match(tc.tok); got != tc.want {
			t.Errorf("match(%v, %q) = %v, want %v", tc.toks, tc.tok, got, tc.want)
		}
	}
}

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Token
		wantErr string
	}{
		{"one", tokA + "\n", read(tokA), ""},
		{"comments and blanks", "# ops\n\n  " + tokA + "  \n" + tokB, read(tokA, tokB), ""},
		{"scopes", tokA + " read\n" + tokB + "\tadmin\n", []Token{{Secret: tokA}, {Secret: tokB, Admin: true}}, ""},
		{"empty", "\n# nothing\n", nil, "no token"},
		{"short", "# x\nshort\n", nil, "line 2: token of 5 characters"},
		{"unknown scope", tokA + " " + tokB, nil, "line 1: scope"},
		{"three fields", tokA + " admin x", nil, "line 1: 3 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTokens([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestLoadTokens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "http-token")
	if _, err := LoadTokens(p); err == nil || !strings.Contains(err.Error(), "http token file") {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(p, []byte(tokA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTokens(p)
	if err != nil || len(got) != 1 || got[0] != (Token{Secret: tokA}) {
		t.Fatalf("LoadTokens = %v, %v", got, err)
	}
}

func FuzzParseTokens(f *testing.F) {
	f.Add([]byte(tokA + "\n"))
	f.Add([]byte("# comment\n\n" + tokA + "\r\n" + tokB))
	f.Add([]byte("short\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		toks, err := ParseTokens(data)
		if err != nil {
			return
		}
		for _, tk := range toks {
			if len(tk.Secret) < minTokenLen || strings.ContainsAny(tk.Secret, " \t\n") {
				t.Fatalf("accepted bad token %q", tk.Secret)
			}
		}
	})
}

func BenchmarkBearer(b *testing.B) {
	h := Bearer(read(tokA, tokB))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/v1/parts", nil)
	req.Header.Set("Authorization", "Bearer "+tokB)
	rec := httptest.NewRecorder()
	for b.Loop() {
		h.ServeHTTP(rec, req)
	}
}
