package pki

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsFleet is a CA, a collector certificate (chain file) and a listener
// that reports each client's host id.
type tlsFleet struct {
	ca                      *CA
	caFile, srvCert, srvKey string
}

func newTLSFleet(t *testing.T) *tlsFleet {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	ca, err := NewCA("tls test CA", now)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.NewServerCert([]string{"localhost", "127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	f := &tlsFleet{ca: ca, caFile: filepath.Join(dir, "ca.crt"), srvCert: filepath.Join(dir, "srv.crt"), srvKey: filepath.Join(dir, "srv.key")}
	if err := WriteCerts(f.caFile, ca.Cert); err != nil {
		t.Fatal(err)
	}
	if err := WriteCerts(f.srvCert, cert, ca.Cert); err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(f.srvKey, key); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *tlsFleet) writeClient(t *testing.T, certFile, keyFile, host string, now time.Time) {
	t.Helper()
	key, csr := mustCSR(t, host)
	cert, err := f.ca.SignClient(csr, host, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKey(keyFile, key); err != nil {
		t.Fatal(err)
	}
	if err := WriteCerts(certFile, cert); err != nil {
		t.Fatal(err)
	}
}

// serve accepts TLS connections and writes each client's host id (or
// "none") to it.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	lis, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				tc := c.(*tls.Conn)
				if err := tc.Handshake(); err != nil {
					return
				}
				id := "none"
				if st := tc.ConnectionState(); len(st.VerifiedChains) > 0 {
					if h, err := HostIDFromCert(st.VerifiedChains[0][0]); err == nil {
						id = h
					}
				}
				io.WriteString(c, id)
			}(c)
		}
	}()
	return lis.Addr().String()
}

// whoami connects and returns what the server says about the client.
func whoami(addr string, cfg *tls.Config) (string, error) {
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestClientTLSConfigPicksUpRenewedCertificate(t *testing.T) {
	f := newTLSFleet(t)
	srv, err := ServerTLSConfig(f.srvCert, f.srvKey, f.caFile, true)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key")
	f.writeClient(t, certFile, keyFile, "old-name", time.Now())
	cli, err := ClientTLSConfig(certFile, keyFile, f.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if cli.MinVersion != tls.VersionTLS13 {
		t.Errorf("MinVersion %x, want TLS 1.3", cli.MinVersion)
	}
	if got, err := whoami(addr, cli); err != nil || got != "old-name" {
		t.Fatalf("first handshake: %q, %v", got, err)
	}
	// Renewal replaces the files; the same config must present the new
	// certificate. (A new host name makes the change visible.)
	f.writeClient(t, certFile, keyFile, "new-name", time.Now().Add(time.Second))
	if got, err := whoami(addr, cli); err != nil || got != "new-name" {
		t.Fatalf("after renewal: %q, %v; want new-name", got, err)
	}
}

func TestServerTLSConfigClientAuth(t *testing.T) {
	f := newTLSFleet(t)
	other := newTLSFleet(t)
	dir := t.TempDir()
	goodCert, goodKey := filepath.Join(dir, "good.crt"), filepath.Join(dir, "good.key")
	f.writeClient(t, goodCert, goodKey, "host-a", time.Now())
	badCert, badKey := filepath.Join(dir, "bad.crt"), filepath.Join(dir, "bad.key")
	other.writeClient(t, badCert, badKey, "host-a", time.Now())
	good, err := ClientTLSConfig(goodCert, goodKey, f.caFile)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := ClientTLSConfig(badCert, badKey, f.caFile)
	if err != nil {
		t.Fatal(err)
	}
	none := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: x509.NewCertPool()}
	none.RootCAs.AddCert(f.ca.Cert)

	for _, require := range []bool{true, false} {
		srv, err := ServerTLSConfig(f.srvCert, f.srvKey, f.caFile, require)
		if err != nil {
			t.Fatal(err)
		}
		addr := serve(t, srv)
		tests := []struct {
			name    string
			cfg     *tls.Config
			want    string
			wantErr bool
		}{
			{"fleet certificate", good, "host-a", false},
			{"another CA's certificate", bad, "", true},
			{"no certificate", none, "none", require},
		}
		for _, tc := range tests {
			got, err := whoami(addr, tc.cfg)
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Errorf("require=%v %s: %q, %v; want %q (error %v)", require, tc.name, got, err, tc.want, tc.wantErr)
			}
		}
	}
	if _, err := ServerTLSConfig(f.srvCert, f.srvKey, "", true); err == nil {
		t.Error("ServerTLSConfig without a client CA succeeded")
	}
}

func TestPinnedTLSConfig(t *testing.T) {
	f := newTLSFleet(t)
	other := newTLSFleet(t)
	srv, err := ServerTLSConfig(f.srvCert, f.srvKey, f.caFile, false)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, srv)
	tests := []struct {
		name       string
		caFile     string
		pin        string
		serverName string
		wantErr    string
	}{
		{"pin", "", Fingerprint(f.ca.Cert), "localhost", ""},
		{"pin with colons", "", colonHex(Fingerprint(f.ca.Cert)), "127.0.0.1", ""},
		{"CA file", f.caFile, "", "localhost", ""},
		{"CA file and pin", f.caFile, Fingerprint(f.ca.Cert), "localhost", ""},
		{"wrong pin", "", Fingerprint(other.ca.Cert), "localhost", "no CA with the pinned fingerprint"},
		{"other CA file", other.caFile, "", "localhost", "certificate"},
		{"pin, wrong name", "", Fingerprint(f.ca.Cert), "evil.example.com", "evil.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := PinnedTLSConfig(tc.caFile, tc.pin, tc.serverName, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := whoami(addr, cfg)
			if tc.wantErr == "" {
				if err != nil || got != "none" {
					t.Fatalf("got %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
	if _, err := PinnedTLSConfig("", "", "localhost", nil); err == nil || !strings.Contains(err.Error(), "no way to trust") {
		t.Errorf("no trust anchor: %v", err)
	}
}

func colonHex(h string) string {
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}
