package pki_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/pki/pkitest"
)

// newTLSFleet is a CA and a collector certificate (chain file) for
// localhost and 127.0.0.1.
func newTLSFleet(t *testing.T) *pkitest.Fleet {
	t.Helper()
	return pkitest.NewFleet(t, "tls test CA", time.Now(), "localhost", "127.0.0.1")
}

// writeClient issues a certificate for host, valid from now for an hour,
// and moves it and its key onto certFile and keyFile, as renewal replaces
// them.
func writeClient(t *testing.T, f *pkitest.Fleet, certFile, keyFile, host string, now time.Time) {
	t.Helper()
	cert, key := f.ClientFiles(t, host, now, time.Hour)
	if err := errors.Join(os.Rename(key, keyFile), os.Rename(cert, certFile)); err != nil {
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
					if h, err := pki.HostIDFromCert(st.VerifiedChains[0][0]); err == nil {
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

func TestServerTLSConfigClientAuth(t *testing.T) {
	f := newTLSFleet(t)
	other := newTLSFleet(t)
	goodCert, goodKey := f.ClientFiles(t, "host-a", time.Now(), time.Hour)
	badCert, badKey := other.ClientFiles(t, "host-a", time.Now(), time.Hour)
	good, err := pki.ClientTLSConfig(goodCert, goodKey, f.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := pki.ClientTLSConfig(badCert, badKey, f.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	none := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: x509.NewCertPool()}
	none.RootCAs.AddCert(f.CA.Cert)

	for _, require := range []bool{true, false} {
		srv, err := pki.ServerTLSConfig(f.ServerCertFile, f.ServerKeyFile, f.CAFile, require)
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
	if _, err := pki.ServerTLSConfig(f.ServerCertFile, f.ServerKeyFile, "", true); err == nil {
		t.Error("ServerTLSConfig without a client CA succeeded")
	}
}

func TestPinnedTLSConfig(t *testing.T) {
	f := newTLSFleet(t)
	other := newTLSFleet(t)
	srv, err := pki.ServerTLSConfig(f.ServerCertFile, f.ServerKeyFile, f.CAFile, false)
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
		{"pin", "", pki.Fingerprint(f.CA.Cert), "localhost", ""},
		{"pin with colons", "", colonHex(pki.Fingerprint(f.CA.Cert)), "127.0.0.1", ""},
		{"CA file", f.CAFile, "", "localhost", ""},
		{"CA file and pin", f.CAFile, pki.Fingerprint(f.CA.Cert), "localhost", ""},
		{"wrong pin", "", pki.Fingerprint(other.CA.Cert), "localhost", "no CA with the pinned fingerprint"},
		{"other CA file", other.CAFile, "", "localhost", "certificate"},
		{"pin, wrong name", "", pki.Fingerprint(f.CA.Cert), "evil.example.com", "evil.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := pki.PinnedTLSConfig(tc.caFile, tc.pin, tc.serverName, nil)
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
	if _, err := pki.PinnedTLSConfig("", "", "localhost", nil); err == nil || !strings.Contains(err.Error(), "no way to trust") {
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

// An agent's configuration picks up a renewed certificate without a
// restart, and resumes its TLS session on the next connection with the same
// identity; after a renewal it makes a full handshake with the new
// certificate, so a ticket never outlives the certificate it was issued to.
func TestClientTLSConfigRenewalAndResumption(t *testing.T) {
	f := newTLSFleet(t)
	srv, err := pki.ServerTLSConfig(f.ServerCertFile, f.ServerKeyFile, f.CAFile, true)
	if err != nil {
		t.Fatal(err)
	}
	resumed := make(chan bool, 8)
	srv.VerifyConnection = func(cs tls.ConnectionState) error {
		resumed <- cs.DidResume
		return nil
	}
	addr := serve(t, srv)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key")
	writeClient(t, f, certFile, keyFile, "old-name", time.Now())
	cli, err := pki.ClientTLSConfig(certFile, keyFile, f.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if cli.MinVersion != tls.VersionTLS13 {
		t.Errorf("MinVersion %x, want TLS 1.3", cli.MinVersion)
	}
	steps := []struct {
		name       string
		renew      string
		want       string
		wantResume bool
	}{
		{"first connection", "", "old-name", false},
		{"next connection", "", "old-name", true},
		{"after renewal", "new-name", "new-name", false},
		{"next after renewal", "", "new-name", true},
	}
	for _, s := range steps {
		if s.renew != "" {
			writeClient(t, f, certFile, keyFile, s.renew, time.Now().Add(time.Second))
		}
		got, err := whoami(addr, cli)
		if err != nil || got != s.want {
			t.Fatalf("%s: %q, %v; want %q", s.name, got, err, s.want)
		}
		if r := <-resumed; r != s.wantResume {
			t.Errorf("%s: resumed %v, want %v", s.name, r, s.wantResume)
		}
	}
}
