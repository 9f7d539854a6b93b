package agentconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/memledger/memledger/internal/testcorpus"
)

func resolve(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	c := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c, c.Resolve(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

// The shipped packaging/config/agent.yaml loads with this loader.
func TestShippedConfigLoads(t *testing.T) {
	path := filepath.Join(testcorpus.RepoRoot(t), "packaging", "config", "agent.yaml")
	c, err := resolve(t, []string{"--config", path}, nil)
	if err != nil {
		t.Fatalf("shipped %s: %v", path, err)
	}
	if c.ConfigFile != path || c.Collector != "localhost:7420" || c.Interval != time.Hour ||
		c.TLSCA != "/var/lib/memledger-agent/tls/ca.crt" || c.TLSCert != "/var/lib/memledger-agent/tls/agent.crt" ||
		c.TLSKey != "/var/lib/memledger-agent/tls/agent.key" || c.StateDir != "/var/lib/memledger-agent" || len(c.Labels) != 0 ||
		c.KeepConnection {
		t.Errorf("shipped config read as %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.yaml")
	os.WriteFile(file, []byte("collector: file:1\ninterval: 30m\nlabel: [site=fra1, role=db]\nspool-max-bytes: 2MiB\ninsecure: true\nkeep-connection: true\n"), 0o600)
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(c *Config) string
	}{
		{"file over default", []string{"--config", file}, nil, func(c *Config) string {
			if c.Collector != "file:1" || c.Interval != 30*time.Minute || c.SpoolMaxBytes != 2<<20 || !c.Insecure || !c.KeepConnection ||
				!reflect.DeepEqual(c.Labels, []string{"site=fra1", "role=db"}) || c.Jitter != DefaultJitter {
				return "file values not applied"
			}
			return ""
		}},
		{"env over file", []string{"--config", file}, map[string]string{"MEMLEDGER_COLLECTOR": "env:2", "MEMLEDGER_LABEL": "a=1,b=2", "MEMLEDGER_SPOOL_MAX_ENTRIES": "7"}, func(c *Config) string {
			if c.Collector != "env:2" || !reflect.DeepEqual(c.Labels, []string{"a=1", "b=2"}) || c.SpoolMaxEntries != 7 || c.Interval != 30*time.Minute {
				return "env values not applied over the file"
			}
			return ""
		}},
		{"flag over env", []string{"--config", file, "--collector", "flag:3"}, map[string]string{"MEMLEDGER_COLLECTOR": "env:2"}, func(c *Config) string {
			if c.Collector != "flag:3" {
				return "flag did not win"
			}
			return ""
		}},
		{"config from env", nil, map[string]string{"MEMLEDGER_CONFIG": file}, func(c *Config) string {
			if c.ConfigFile != file || c.Collector != "file:1" {
				return "MEMLEDGER_CONFIG not read"
			}
			return ""
		}},
		{"empty MEMLEDGER_CONFIG reads no file", nil, map[string]string{"MEMLEDGER_CONFIG": ""}, func(c *Config) string {
			if c.ConfigFile != "" || c.Collector != DefaultCollector {
				return "a file was read"
			}
			return ""
		}},
		{"sizes in binary and decimal units", []string{"--config", "", "--spool-max-bytes", "1.5GiB"}, map[string]string{}, func(c *Config) string {
			if c.SpoolMaxBytes != 3<<29 {
				return "spool-max-bytes 1.5GiB not 1610612736"
			}
			return ""
		}},
		{"size from env", []string{"--config", file}, map[string]string{"MEMLEDGER_SPOOL_MAX_BYTES": "5MB"}, func(c *Config) string {
			if c.SpoolMaxBytes != 5e6 {
				return "MEMLEDGER_SPOOL_MAX_BYTES=5MB not 5000000"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Errorf("%s: %+v", msg, c)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), 0o600)
		return p
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown key names file:line", []string{"--config", write("typo.yaml", "collector: a:1\n\nintervall: 1h\n")}, nil, "typo.yaml:3: unknown key \"intervall\""},
		{"explicit missing file", []string{"--config", filepath.Join(dir, "missing.yaml")}, nil, "missing.yaml"},
		{"bad duration in file", []string{"--config", write("dur.yaml", "interval: soon\n")}, nil, "dur.yaml:1: interval"},
		{"bad size in env", []string{"--config", ""}, map[string]string{"MEMLEDGER_SPOOL_MAX_BYTES": "lots"}, `environment MEMLEDGER_SPOOL_MAX_BYTES="lots": invalid argument "lots" for "--spool-max-bytes" flag: size "lots": want a positive number of bytes`},
		{"bad size in file", []string{"--config", write("size.yaml", "collector: a:1\nspool-max-bytes: 0\n")}, nil, `size.yaml:2: spool-max-bytes: invalid argument "0" for "--spool-max-bytes" flag: size "0"`},
		{"size too small", []string{"--config", "", "--spool-max-bytes", "1000"}, nil, "spool-max-bytes 1000: want at least 1KiB"},
		{"missing file named by env", nil, map[string]string{"MEMLEDGER_CONFIG": filepath.Join(dir, "gone.yaml")}, "gone.yaml"},
		{"interval too short", []string{"--config", "", "--interval", "10ms"}, nil, "interval 10ms"},
		{"bad label", []string{"--config", "", "--label", "novalue"}, nil, "label \"novalue\""},
		{"bad log level", []string{"--config", "", "--log-level", "loud"}, nil, "log-level"},
		{"partial TLS", []string{"--config", "", "--tls-cert", "a.crt"}, nil, "go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// A missing file at the default place is fine (flags and env only).
func TestMissingDefaultFileIsFine(t *testing.T) {
	if _, err := os.Stat(DefaultPath); err == nil {
		t.Skipf("%s exists on this machine", DefaultPath)
	}
	c, err := resolve(t, nil, nil)
	if err != nil || c.ConfigFile != "" {
		t.Fatalf("no config file: %v (file %q)", err, c.ConfigFile)
	}
}

func TestTLSConfig(t *testing.T) {
	c := &Config{}
	if _, err := c.TLSConfig(); !errors.Is(err, ErrNoTransport) || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("no certs, no insecure: %v, want ErrNoTransport", err)
	}
	c.Insecure = true
	if tc, err := c.TLSConfig(); tc != nil || err != nil {
		t.Fatalf("insecure: %v %v, want nil nil", tc, err)
	}
	c = &Config{TLSCert: "/nonexistent/a.crt", TLSKey: "/nonexistent/a.key", TLSCA: "/nonexistent/ca.crt"}
	if _, err := c.TLSConfig(); err == nil || !strings.Contains(err.Error(), "/nonexistent/") {
		t.Fatalf("missing cert files: %v, want an error naming them", err)
	}
}

// A command's own extra flags (doctor --timeout) are not config file keys:
// the file is shared with run, which would reject them.
func TestOtherFlagsAreNotFileKeys(t *testing.T) {
	fs := pflag.NewFlagSet("doctor", pflag.ContinueOnError)
	c := Register(fs)
	fs.Duration("timeout", time.Second, "")
	p := filepath.Join(t.TempDir(), "agent.yaml")
	os.WriteFile(p, []byte("collector: a:1\ntimeout: 5s\n"), 0o600)
	fs.Parse([]string{"--config", p})
	if err := c.Resolve(fs, func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), `agent.yaml:2: unknown key "timeout"`) {
		t.Fatalf("Resolve: %v, want timeout rejected at line 2", err)
	}
}
