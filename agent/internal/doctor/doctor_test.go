package doctor

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/memledger/memledger/agent/internal/agentconfig"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/pki/pkitest"
)

// healthServer serves the gRPC health service with the ingest service
// SERVING, as the collector does.
func healthServer(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus(send.IngestService, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func deadAddr(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func byCheck(results []Result) map[string]Result {
	m := map[string]Result{}
	for _, r := range results {
		m[r.Check] = r
	}
	return m
}

func TestHosts(t *testing.T) {
	server := t.TempDir()
	if err := hostfixture.Build(server, hostfixture.TwoSocketServer()); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name      string
		root      string
		collector string
		want      map[string]Status
		contains  map[string]string
	}{
		{
			name: "server with collector up", root: server, collector: healthServer(t),
			want: map[string]Status{"config": OK, "smbios": OK, "spd": OK, "storage": OK, "state": OK, "certificate": Warn, "collector": OK},
			contains: map[string]string{
				"smbios": "SMBIOS 3.", "spd": "SPD EEPROMs readable", "storage": "5 drives visible",
				"collector": "SERVING (plaintext)", "certificate": "plaintext",
			},
		},
		{
			name: "bare VM, collector down", root: empty, collector: deadAddr(t),
			want: map[string]Status{"smbios": Warn, "udev": Warn, "spd": Warn, "storage": Warn, "collector": Fail},
			contains: map[string]string{
				"smbios": "no SMBIOS tables", "spd": "ee1004", "collector": "cannot reach the collector",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &agentconfig.Config{Collector: tt.collector, Insecure: true, StateDir: t.TempDir(), Interval: time.Hour}
			res := byCheck(Run(context.Background(), Options{Root: tt.root, Config: cfg, Timeout: 3 * time.Second}))
			for check, want := range tt.want {
				if got := res[check]; got.Status != want {
					t.Errorf("%s: %v (%s), want %v", check, got.Status, got.Message, want)
				}
			}
			for check, want := range tt.contains {
				if r := res[check]; !strings.Contains(r.Message+" "+r.Hint, want) {
					t.Errorf("%s: %q (hint %q) lacks %q", check, r.Message, r.Hint, want)
				}
			}
			for _, r := range res {
				if r.Status != OK && r.Hint == "" {
					t.Errorf("%s is %v without a hint: %s", r.Check, r.Status, r.Message)
				}
			}
		})
	}
}

func TestConfigErrorFails(t *testing.T) {
	res := Run(context.Background(), Options{Root: t.TempDir(), ConfigErr: errors.New("agent.yaml:3: unknown key \"intervall\"")})
	r := byCheck(res)["config"]
	if r.Status != Fail || !strings.Contains(r.Message, "agent.yaml:3") {
		t.Fatalf("config check: %+v", r)
	}
	var out bytes.Buffer
	failed, err := Write(&out, res)
	if err != nil || !failed {
		t.Fatalf("Write: failed=%v err=%v, want failed", failed, err)
	}
	if !strings.HasPrefix(out.String(), "FAIL config      agent.yaml:3") {
		t.Errorf("output:\n%s", out.String())
	}
}

// A root that cannot be opened fails once, by name, instead of each host
// check reporting its files missing.
func TestMissingRootFails(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing")
	res := byCheck(Run(context.Background(), Options{Root: missing, ConfigErr: errors.New("no config")}))
	r := res["root"]
	if r.Status != Fail || !strings.Contains(r.Message, missing) || r.Hint == "" {
		t.Errorf("root check: %+v, want a failure naming %s", r, missing)
	}
	for _, c := range []string{"smbios", "udev", "spd", "storage"} {
		if _, ok := res[c]; ok {
			t.Errorf("%s checked under a root that cannot be opened", c)
		}
	}
}

func TestStateDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	spooled := t.TempDir()
	os.MkdirAll(filepath.Join(spooled, "spool"), 0o700)
	os.WriteFile(filepath.Join(spooled, "spool", "00000000000000000001.hb.pb"), []byte("x"), 0o600)
	tests := []struct {
		dir  string
		want Status
		msg  string
	}{
		{t.TempDir(), OK, "writable, 0 unsent"},
		{filepath.Join(t.TempDir(), "missing"), Warn, "does not exist"},
		{file, Fail, "not a directory"},
		{spooled, Warn, "1 unsent"},
	}
	for _, tt := range tests {
		r := checkState(tt.dir)
		if r.Status != tt.want || !strings.Contains(r.Message, tt.msg) {
			t.Errorf("checkState(%s) = %v %q, want %v containing %q", tt.dir, r.Status, r.Message, tt.want, tt.msg)
		}
	}
}

// writeClientCert makes a CA and an agent certificate valid from now for
// validity, and returns a config naming the files.
func writeClientCert(t *testing.T, now time.Time, validity time.Duration) *agentconfig.Config {
	t.Helper()
	fleet := pkitest.NewFleet(t, "test CA", now.Add(-time.Hour))
	certFile, keyFile := fleet.ClientFiles(t, "host-1", now, validity)
	return &agentconfig.Config{TLSCert: certFile, TLSKey: keyFile, TLSCA: fleet.CAFile}
}

func TestCertificate(t *testing.T) {
	now := time.Now()
	const month = 30 * 24 * time.Hour
	c := writeClientCert(t, now, 365*24*time.Hour)
	tests := []struct {
		name string
		at   time.Time
		want Status
		msg  string
	}{
		{"valid", now.Add(time.Hour), OK, "valid until"},
		{"expires soon", now.Add(365*24*time.Hour - 10*24*time.Hour), Warn, "expires in"},
		{"expired", now.Add(400 * 24 * time.Hour), Fail, "expired on"},
		{"not yet valid", now.Add(-48 * time.Hour), Fail, "not valid before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkCertificate(c, tt.at, month)
			if r.Status != tt.want || !strings.Contains(r.Message, tt.msg) || !strings.Contains(r.Message, "host-1") {
				t.Errorf("%v %q, want %v containing %q and the host id", r.Status, r.Message, tt.want, tt.msg)
			}
		})
	}

	other := writeClientCert(t, now, time.Hour)
	mismatched := *c
	mismatched.TLSKey = other.TLSKey
	broken := []struct {
		name string
		c    *agentconfig.Config
		msg  string
	}{
		{"no TLS at all", &agentconfig.Config{}, "no TLS configuration"},
		{"missing cert", &agentconfig.Config{TLSCert: "/nonexistent.crt", TLSKey: c.TLSKey, TLSCA: c.TLSCA}, "client certificate"},
		{"key of another cert", &mismatched, "private key"},
		{"CA not PEM", &agentconfig.Config{TLSCert: c.TLSCert, TLSKey: c.TLSKey, TLSCA: c.TLSKey}, "collector CA"},
	}
	for _, tt := range broken {
		t.Run(tt.name, func(t *testing.T) {
			r := checkCertificate(tt.c, now, month)
			if r.Status != Fail || !strings.Contains(r.Message, tt.msg) || r.Hint == "" {
				t.Errorf("%v %q (hint %q), want FAIL containing %q", r.Status, r.Message, r.Hint, tt.msg)
			}
		})
	}
}

// A TLS collector that the configured CA did not sign fails with a TLS hint.
func TestCollectorTLSHandshakeFails(t *testing.T) {
	c := writeClientCert(t, time.Now(), time.Hour)
	c.Collector = healthServer(t) // plaintext server: the TLS handshake fails
	r := checkCollector(context.Background(), c, 3*time.Second)
	if r.Status != Fail || r.Hint == "" {
		t.Fatalf("%+v, want FAIL with a hint", r)
	}
}

// What the host holds reaches the terminal escaped, one line per check.
func TestWriteEscapesControlCharacters(t *testing.T) {
	var buf bytes.Buffer
	_, err := Write(&buf, []Result{{Status: Warn, Check: "drives", Message: "nvme0n1 model \"SSD\x1b[2J\"\nsecond", Hint: "see \x1b]0;x\x07"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "WARN drives      nvme0n1 model \"SSD\\x1b[2J\"\\nsecond: hint: see \\x1b]0;x\\x07\n"
	if buf.String() != want {
		t.Errorf("Write: %q, want %q", buf.String(), want)
	}
}
