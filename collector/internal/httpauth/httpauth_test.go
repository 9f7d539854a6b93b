package httpauth

import (
	"crypto/sha256"
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
		{"metrics closed by default", []string{tokA}, nil, "/metrics", "", http.StatusUnauthorized},
		{"metrics open when configured", []string{tokA}, []string{MetricsPath}, "/metrics", "", http.StatusTeapot},
		{"open path is exact", []string{tokA}, []string{MetricsPath}, "/metrics/x", "", http.StatusUnauthorized},
		{"healthz prefix is not open", []string{tokA}, nil, "/healthzz", "", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Bearer(tc.tokens, tc.open...)(ok)
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

// TestMatchComparesEveryToken checks the constant-time path's logic: the
// result is the same whichever position the matching token has, and a
// token differing only in its last byte does not match.
func TestMatchComparesEveryToken(t *testing.T) {
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
		if got := NewTokens(tc.toks).Match(tc.tok); got != tc.want {
			t.Errorf("match(%v, %q) = %v, want %v", tc.toks, tc.tok, got, tc.want)
		}
	}
}

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{"one", tokA + "\n", []string{tokA}, ""},
		{"comments and blanks", "# ops\n\n  " + tokA + "  \n" + tokB, []string{tokA, tokB}, ""},
		{"empty", "\n# nothing\n", nil, "no token"},
		{"short", "# x\nshort\n", nil, "line 2: token of 5 characters"},
		{"inner space", tokA + " " + tokB, nil, "line 1: token contains white space"},
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
			if err != nil || strings.Join(got, ",") != strings.Join(tc.want, ",") {
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
	if err != nil || len(got) != 1 || got[0] != tokA {
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
			if len(tk) < minTokenLen || strings.ContainsAny(tk, " \t\n") {
				t.Fatalf("accepted bad token %q", tk)
			}
		}
	})
}

func BenchmarkBearer(b *testing.B) {
	h := Bearer([]string{tokA, tokB})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/v1/parts", nil)
	req.Header.Set("Authorization", "Bearer "+tokB)
	rec := httptest.NewRecorder()
	for b.Loop() {
		h.ServeHTTP(rec, req)
	}
}

func sha(s string) [32]byte { return sha256.Sum256([]byte(s)) }
