// Package agentconfig is the configuration of the long-running agent
// ("memledger-agent run" and "doctor"): every setting is a flag, an
// environment variable MEMLEDGER_<FLAG_UPPER_SNAKE> and a key of the YAML
// file /etc/memledger/agent.yaml (the key is the flag name, dashes
// included), in this order of precedence:
//
//	flag > environment > config file > default
//
// An unknown key in the file is an error naming file:line. The loader is
// internal/cliconfig's, shared with the collector; this package holds the
// agent's settings, its default file and which keys that file may hold.
package agentconfig

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/memledger/memledger/internal/cliconfig"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/pki"
)

// DefaultPath is the config file read when --config is not given. It may be
// missing; a file named explicitly must exist.
const DefaultPath = "/etc/memledger/agent.yaml"

// Defaults.
const (
	DefaultCollector = "localhost:7420"
	DefaultInterval  = time.Hour
	DefaultJitter    = 5 * time.Minute
	DefaultStateDir  = "/var/lib/memledger-agent"
)

// Config is the agent daemon's configuration.
type Config struct {
	// ConfigFile is the config file read ("" when none was).
	ConfigFile string

	Collector string
	Interval  time.Duration
	// Jitter is the most random time added to each interval, so that a
	// fleet restarted together does not report together.
	Jitter          time.Duration
	StateDir        string
	Labels          []string
	HostID          string
	TLSCert         string
	TLSKey          string
	TLSCA           string
	Insecure        bool
	SpoolMaxEntries int
	SpoolMaxBytes   int64
	// KeepConnection holds the collector connection open between reports
	// (daemon.Options.KeepConnection); by default it closes when idle.
	KeepConnection bool
	// Root is the host root to scan ("/"; a captured tree in tests).
	Root      string
	LogLevel  string
	LogFormat string

	// keys are the flags Register added: the keys a config file may
	// hold, whatever other flags a command has.
	keys map[string]bool
}

// Register adds every setting's flag (and --config) to fs and returns the
// Config they fill; call Resolve after fs is parsed.
func Register(fs *pflag.FlagSet) *Config {
	c := &Config{SpoolMaxBytes: 64 << 20, keys: map[string]bool{}}
	before := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { before[f.Name] = true })
	defer fs.VisitAll(func(f *pflag.Flag) {
		if !before[f.Name] {
			c.keys[f.Name] = true
		}
	})
	fs.String(cliconfig.ConfigFlag, DefaultPath, "read settings from the YAML `FILE` (keys are these flag names)")
	fs.StringVar(&c.Collector, "collector", DefaultCollector, "the collector's gRPC address `HOST:PORT`")
	fs.DurationVar(&c.Interval, "interval", DefaultInterval, "scan and report every `DURATION`")
	fs.DurationVar(&c.Jitter, "jitter", DefaultJitter, "add a random delay of up to `DURATION` to each interval")
	fs.StringVar(&c.StateDir, "state-dir", DefaultStateDir, "keep the report spool and sequence in `DIR`")
	fs.StringArrayVar(&c.Labels, "label", nil, "attach a host label `KEY=VALUE` (repeatable)")
	fs.StringVar(&c.HostID, "host-id", "", "host identity to report (default: /etc/machine-id)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "this agent's client certificate `FILE` (PEM)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "this agent's private key `FILE` (PEM)")
	fs.StringVar(&c.TLSCA, "tls-ca", "", "the CA certificate `FILE` that signed the collector's certificate")
	fs.BoolVar(&c.Insecure, "insecure", false, "talk to the collector in plaintext, without TLS (test setups only)")
	fs.IntVar(&c.SpoolMaxEntries, "spool-max-entries", 1000, "most reports kept while the collector is unreachable")
	fs.BoolVar(&c.KeepConnection, "keep-connection", false, "keep the connection to the collector open between reports (default: close it once every report is acknowledged, reconnect at the next)")
	fs.Var((*cliconfig.ByteSize)(&c.SpoolMaxBytes), "spool-max-bytes", "most bytes of reports kept while the collector is unreachable (e.g. 64MiB)")
	fs.StringVar(&c.Root, "root", "/", "scan the host files under `DIR` instead of / (tests, captured trees)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format on standard error: text or json")
	return c
}

// daemonOnly are the settings only the daemon acts on.
var daemonOnly = []string{"interval", "jitter", "label", "spool-max-entries", "spool-max-bytes", "keep-connection", "log-level", "log-format"}

// HideDaemonFlags hides from fs's help the settings only "run" acts on
// (and extra ones), for the commands that share the daemon's config file
// (enroll, doctor): they still read and validate them, so a config file
// that run accepts is accepted there too, but their help lists only what
// changes what they do.
func HideDaemonFlags(fs *pflag.FlagSet, extra ...string) {
	for _, name := range append(daemonOnly, extra...) {
		_ = fs.MarkHidden(name)
	}
}

// Resolve fills the settings the command line left unset from the
// environment (lookupEnv, usually os.LookupEnv) and the config file, then
// validates them. The config file is --config, else MEMLEDGER_CONFIG, else
// DefaultPath when it exists (cliconfig.Resolve).
func (c *Config) Resolve(flags *pflag.FlagSet, lookupEnv func(string) (string, bool)) error {
	path, err := cliconfig.Resolve(flags, cliconfig.Known{
		Key:  func(k string) bool { return c.keys[k] },
		Hint: "keys are the flag names of memledger-agent run, e.g. collector, interval, tls-ca",
	}, lookupEnv)
	if err != nil {
		return err
	}
	c.ConfigFile = path
	c.defaultTLSPaths()
	return c.Validate()
}

// Validate checks the settings' values.
func (c *Config) Validate() error {
	var errs []error
	if c.Collector == "" {
		errs = append(errs, errors.New("collector: empty (want host:port)"))
	}
	if c.Interval < time.Second {
		errs = append(errs, fmt.Errorf("interval %v: want at least 1s", c.Interval))
	}
	if c.Jitter < 0 {
		errs = append(errs, fmt.Errorf("jitter %v: must not be negative", c.Jitter))
	}
	if c.StateDir == "" {
		errs = append(errs, errors.New("state-dir: empty"))
	}
	if c.SpoolMaxEntries < 1 {
		errs = append(errs, fmt.Errorf("spool-max-entries %d: want at least 1", c.SpoolMaxEntries))
	}
	if c.SpoolMaxBytes < 1<<10 {
		errs = append(errs, fmt.Errorf("spool-max-bytes %d: want at least 1KiB", c.SpoolMaxBytes))
	}
	if _, err := c.LabelMap(); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if !slices.Contains(cmdutil.LogFormats, c.LogFormat) {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	set := 0
	for _, f := range []string{c.TLSCert, c.TLSKey, c.TLSCA} {
		if f != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		errs = append(errs, errors.New("tls-cert, tls-key and tls-ca go together: set all three or none"))
	}
	return errors.Join(errs...)
}

// LabelMap returns the labels as a map.
func (c *Config) LabelMap() (map[string]string, error) {
	labels, err := inventory.ParseLabels(c.Labels)
	if err != nil {
		return nil, fmt.Errorf("label %w", err)
	}
	return labels, nil
}

// SpoolDir is where reports wait for their acknowledgement.
func (c *Config) SpoolDir() string { return filepath.Join(c.StateDir, "spool") }

// StateFile holds the last sequence and the digest of the last full
// inventory spooled.
func (c *Config) StateFile() string { return filepath.Join(c.StateDir, "state.json") }

// defaultTLSPaths points the TLS files, when none is configured, at the
// ones `memledger-agent enroll` writes and renews under the state directory
// (the only place the hardened service may write).
func (c *Config) defaultTLSPaths() {
	if c.TLSCert == "" && c.TLSKey == "" && c.TLSCA == "" {
		dir := filepath.Join(c.StateDir, "tls")
		c.TLSCert, c.TLSKey, c.TLSCA = filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key"), filepath.Join(dir, "ca.crt")
	}
}

// HasTLS reports whether client certificates are configured.
func (c *Config) HasTLS() bool { return c.TLSCert != "" && c.TLSKey != "" && c.TLSCA != "" }

// ErrNoTransport says neither TLS nor --insecure is configured.
var ErrNoTransport = errors.New("no TLS configuration: set tls-ca, tls-cert and tls-key (memledger-agent enroll writes them), or --insecure for plaintext (test setups only)")

// TLSConfig returns the mutual TLS configuration for the collector, nil
// with Insecure. Without certificates and without Insecure it returns
// ErrNoTransport: plaintext is never a silent fallback.
func (c *Config) TLSConfig() (*tls.Config, error) {
	if c.Insecure {
		return nil, nil
	}
	if !c.HasTLS() {
		return nil, ErrNoTransport
	}
	cfg, err := clientTLS(c.TLSCert, c.TLSKey, c.TLSCA)
	if err != nil {
		return nil, fmt.Errorf("%w (enroll this host with memledger-agent enroll, set tls-cert, tls-key and tls-ca, or pass --insecure for a test collector)", err)
	}
	return cfg, nil
}

// clientTLS builds the client TLS configuration (internal/pki: TLS 1.3,
// certificate re-read when renewed).
var clientTLS = pki.ClientTLSConfig

// ParseLevel parses a log level name.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log-level %q: want debug, info, warn or error", s)
}
