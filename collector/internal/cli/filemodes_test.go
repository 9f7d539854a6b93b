package cli

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve started with ca.key and collector.key at 0666 and a
// world-readable token file without a word: now each is named.
func TestWarnFileModes(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("secret\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	write(caKeyName, 0o666)
	write(serverKeyName, 0o640) // the packaged mode: root:memledger-collector 0640
	tokens := write("tokens.json", 0o644)
	httpTokens := write("http-tokens", 0o660)
	var logs bytes.Buffer
	f := securityFlags{caDir: dir, tokensFile: tokens, httpTokenFile: httpTokens}
	f.warnFileModes(slog.New(slog.NewTextHandler(&logs, nil)))
	out := logs.String()
	for _, want := range []string{caKeyName, "tokens.json", "http-tokens", "mode 0666", "chmod 0600"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, serverKeyName) {
		t.Errorf("warned about %s at 0640:\n%s", serverKeyName, out)
	}
	if n := strings.Count(out, "secret_file_mode"); n != 3 {
		t.Errorf("%d warnings, want 3:\n%s", n, out)
	}
}

// --http-max-conns caps the HTTP connections: file descriptors ran out
// under a connection flood. Beyond the cap a connection waits until one
// closes.
func TestHTTPMaxConns(t *testing.T) {
	tmp := t.TempDir()
	httpAddrFile := filepath.Join(tmp, "http-addr")
	serveInBackground(t, "--insecure", "--http-listen", "127.0.0.1:0", "--http-addr-file", httpAddrFile, "--http-max-conns", "1")
	b, err := os.ReadFile(httpAddrFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimSpace(string(b))
	first, err := net.Dial("tcp", addr) // holds the only slot, sends nothing
	if err != nil {
		t.Fatal(err)
	}
	get := func(timeout time.Duration) error {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	if err := get(500 * time.Millisecond); err == nil {
		t.Fatal("a second connection was served while the first held the only slot")
	}
	first.Close()
	if err := get(10 * time.Second); err != nil {
		t.Fatalf("after the first connection closed: %v", err)
	}
}
