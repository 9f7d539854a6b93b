// Package doctor checks that the agent can do its job on this host and
// explains what to fix: SMBIOS and SPD readability, the udev fallback,
// storage visibility, the configuration, the state directory, the client
// certificate, and a round trip to the collector (the gRPC health service:
// it touches no ledger data).
//
// Every check yields one Result, OK, WARN or FAIL, with a hint for anything
// not OK. Every host path is read under Options.Root, as a process chrooted
// there reads it (links resolve inside the root), so that the checks run
// over captured or synthetic host trees as a scan reads them.
package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/memledger/memledger/agent/internal/agentconfig"
	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/pki"
	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/spd"
	"github.com/memledger/memledger/internal/termsafe"
)

// Status is a check's verdict.
type Status int

const (
	OK Status = iota
	Warn
	Fail
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	}
	return "FAIL"
}

// Result is one check's outcome.
type Result struct {
	Status Status
	// Check names the check: smbios, udev, spd, storage, config, state,
	// certificate, collector.
	Check   string
	Message string
	// Hint says what to do; empty for OK.
	Hint string
}

// Options say what to check.
type Options struct {
	// Root is the host root ("/").
	Root string
	// Config is the resolved configuration; nil when it failed to load
	// (ConfigErr says why), in which case the checks that need it FAIL.
	Config    *agentconfig.Config
	ConfigErr error
	// Timeout bounds the collector round trip (default 10s).
	Timeout time.Duration
	// Now is the clock for certificate expiry (time.Now).
	Now func() time.Time
	// CertWarn is how long before expiry a certificate draws a warning
	// (default 30 days).
	CertWarn time.Duration
}

// Run runs every check, in a fixed order.
func Run(ctx context.Context, opts Options) []Result {
	if opts.Root == "" {
		opts.Root = "/"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CertWarn <= 0 {
		opts.CertWarn = 30 * 24 * time.Hour
	}
	results := []Result{checkConfig(opts)}
	if tree, err := os.OpenRoot(opts.Root); err != nil {
		results = append(results, Result{
			Check: "root", Status: Fail,
			Message: "cannot open the host root: " + err.Error(),
			Hint:    "name an existing directory (a captured host tree) or / for this host",
		})
	} else {
		defer tree.Close()
		results = append(results,
			checkSMBIOS(tree),
			checkUdev(tree),
			checkSPD(tree),
			checkStorage(ctx, tree))
	}
	if opts.Config == nil {
		return results
	}
	results = append(results, checkState(opts.Config.StateDir))
	results = append(results, checkCertificate(opts.Config, opts.Now(), opts.CertWarn))
	results = append(results, checkCollector(ctx, opts.Config, opts.Timeout))
	return results
}

// Write prints results one a line ("OK   smbios      ...") and reports
// whether any failed.
func Write(w io.Writer, results []Result) (failed bool, err error) {
	for _, r := range results {
		// Messages quote what the host holds (device names, firmware
		// strings, file contents): escaped for the terminal, one line per
		// check.
		line := fmt.Sprintf("%-4s %-11s %s", r.Status, r.Check, termsafe.String(r.Message))
		if r.Hint != "" {
			line += ": hint: " + termsafe.String(r.Hint)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return failed, fmt.Errorf("write doctor report: %w", err)
		}
		if r.Status == Fail {
			failed = true
		}
	}
	return failed, nil
}

const privilegeHint = "run as root, or grant CAP_DAC_READ_SEARCH as the packaged systemd unit does"

func checkConfig(opts Options) Result {
	r := Result{Check: "config"}
	if opts.ConfigErr != nil {
		r.Status, r.Message = Fail, opts.ConfigErr.Error()
		r.Hint = "fix the setting named; keys are the flag names of memledger-agent run (see --help)"
		return r
	}
	c := opts.Config
	if c == nil {
		r.Status, r.Message = Fail, "no configuration"
		return r
	}
	src := "no config file (flags, environment and defaults)"
	if c.ConfigFile != "" {
		src = c.ConfigFile
	}
	r.Message = fmt.Sprintf("%s: collector %s, every %v (+ up to %v), state in %s", src, c.Collector, c.Interval, c.Jitter, c.StateDir)
	return r
}

// maxTableBytes bounds the SMBIOS table and udev record doctor reads.
const maxTableBytes = 64 << 20

func checkSMBIOS(root *os.Root) Result {
	r := Result{Check: "smbios"}
	entry, err := fileutil.ReadFileInRoot(root, "sys/firmware/dmi/tables/smbios_entry_point", maxTableBytes)
	var table []byte
	if err == nil {
		table, err = fileutil.ReadFileInRoot(root, "sys/firmware/dmi/tables/DMI", maxTableBytes)
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		r.Status, r.Message = Warn, "SMBIOS tables not readable: permission denied"
		r.Hint = privilegeHint + "; until then the udev database is used"
		return r
	case errors.Is(err, fs.ErrNotExist):
		r.Status, r.Message = Warn, "no SMBIOS tables under /sys/firmware/dmi/tables"
		r.Hint = "typical of virtual machines, containers and non-x86 boards; memory modules then come from udev or SPD only"
		return r
	case err != nil:
		r.Status, r.Message = Fail, "cannot read the SMBIOS tables: "+err.Error()
		r.Hint = "check the kernel's dmi-sysfs support"
		return r
	}
	t, err := smbios.ParseSysfs(entry, table)
	if t == nil {
		r.Status, r.Message = Fail, "SMBIOS tables do not decode: "+err.Error()
		r.Hint = "report this with the output of `dmidecode --dump-bin`"
		return r
	}
	devs, _ := t.MemoryDevices()
	r.Message = fmt.Sprintf("SMBIOS %d.%d tables readable (%d memory devices)", t.Version.Major, t.Version.Minor, len(devs))
	if err != nil {
		r.Status = Warn
		r.Message += "; damaged: " + err.Error()
		r.Hint = "the structures before the damage are used"
	}
	return r
}

func checkUdev(root *os.Root) Result {
	r := Result{Check: "udev"}
	data, err := fileutil.ReadFileInRoot(root, "run/udev/data/+dmi:id", maxTableBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Status, r.Message = Warn, "no udev DMI database (/run/udev/data/+dmi:id): no fallback when SMBIOS is not readable"
		r.Hint = "systemd 248 or newer writes it (udev rule 70-memory.rules, dmi_memory_id)"
		return r
	case err != nil:
		r.Status, r.Message = Warn, "udev DMI database not readable: "+err.Error()
		r.Hint = privilegeHint
		return r
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "E:MEMORY_DEVICE_") && strings.Contains(line, "_LOCATOR=") && !strings.Contains(line, "BANK_LOCATOR") {
			n++
		}
	}
	r.Message = fmt.Sprintf("udev DMI database readable (%d memory devices): fallback available", n)
	return r
}

func checkSPD(root *os.Root) Result {
	r := Result{Check: "spd"}
	eeproms, errs := spd.Find(root)
	readable := 0
	for _, e := range eeproms {
		if e.Data != nil {
			readable++
		}
	}
	switch {
	case len(errs) > 0 && readable == 0:
		r.Status, r.Message = Warn, fmt.Sprintf("%d SPD EEPROM(s) found, none readable: %v", len(eeproms), errs[0])
		r.Hint = "reading SPD EEPROMs needs root"
	case len(errs) > 0:
		r.Status, r.Message = Warn, fmt.Sprintf("%d of %d SPD EEPROMs readable: %v", readable, len(eeproms), errs[0])
		r.Hint = "reading SPD EEPROMs needs root"
	case len(eeproms) == 0:
		r.Status, r.Message = Warn, "no SPD EEPROMs exposed"
		r.Hint = "load the ee1004 (DDR4) or spd5118 (DDR5) kernel module to learn DRAM die makers"
	default:
		r.Message = fmt.Sprintf("%d SPD EEPROMs readable", readable)
	}
	return r
}

func checkStorage(ctx context.Context, root *os.Root) Result {
	r := Result{Check: "storage"}
	drives, warnings, err := storage.Scan(ctx, root)
	switch {
	case errors.Is(err, storage.ErrUnsupported):
		r.Status, r.Message = Warn, err.Error()
		return r
	case errors.Is(err, fs.ErrNotExist):
		r.Status, r.Message = Warn, "no drives visible: "+err.Error()
		r.Hint = "normal in containers; on a server, check that sysfs is mounted on /sys"
		return r
	case errors.Is(err, fs.ErrPermission):
		r.Status, r.Message = Fail, "cannot list drives: "+err.Error()
		r.Hint = privilegeHint
		return r
	case err != nil:
		r.Status, r.Message = Fail, "cannot list drives: "+err.Error()
		r.Hint = "check that /sys is mounted"
		return r
	case len(drives) == 0:
		r.Status, r.Message = Warn, "no drives visible under /sys/block"
		r.Hint = "normal in containers; on a server, check that /sys is the host's"
		return r
	}
	r.Message = countOf(len(drives), "drive", "drives") + " visible"
	if len(warnings) > 0 {
		// A warning may name one drive or all of them (no udev
		// database): count warnings, not drives.
		r.Status = Warn
		r.Message += fmt.Sprintf(", %s: %s", countOf(len(warnings), "warning", "warnings"), warnings[0].Message)
		r.Hint = "run memledger-agent scan to see every warning"
	}
	return r
}

func checkState(dir string) Result {
	r := Result{Check: "state"}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Status, r.Message = Warn, fmt.Sprintf("state directory %s does not exist yet", dir)
		r.Hint = "systemd creates it (StateDirectory=memledger-agent); run also creates it"
		return r
	case err != nil:
		r.Status, r.Message = Fail, "state directory: "+err.Error()
		r.Hint = "the spool lives there: fix its permissions"
		return r
	case !fi.IsDir():
		r.Status, r.Message = Fail, fmt.Sprintf("state directory %s is not a directory", dir)
		r.Hint = "remove it or set state-dir"
		return r
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		r.Status, r.Message = Fail, "state directory not writable: "+err.Error()
		r.Hint = "reports cannot be spooled; chown it to the agent's user (memledger-agent) or free disk space"
		return r
	}
	f.Close()
	os.Remove(f.Name())
	unsent, _ := filepath.Glob(filepath.Join(dir, "spool", "*.pb"))
	r.Message = fmt.Sprintf("state directory %s writable, %d unsent reports spooled", dir, len(unsent))
	if len(unsent) > 0 {
		r.Status = Warn
		r.Hint = "reports wait for the collector; see the collector check"
	}
	return r
}

func checkCertificate(c *agentconfig.Config, now time.Time, warnBefore time.Duration) Result {
	r := Result{Check: "certificate"}
	if c.Insecure {
		r.Status, r.Message = Warn, "insecure: reports go to the collector in plaintext, without TLS"
		r.Hint = "run memledger-agent enroll and remove insecure from the configuration"
		return r
	}
	if !c.HasTLS() {
		r.Status, r.Message = Fail, agentconfig.ErrNoTransport.Error()
		r.Hint = "run memledger-agent enroll"
		return r
	}
	certs, err := pki.LoadCerts(c.TLSCert)
	if err != nil {
		r.Status, r.Message, r.Hint = Fail, "client certificate: "+err.Error(), "check tls-cert; memledger-agent enroll writes it"
		return r
	}
	leaf := certs[0]
	if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
		r.Status, r.Message, r.Hint = Fail, "private key: "+err.Error(), "tls-key must be the key of tls-cert, readable by the agent's user"
		return r
	}
	if _, err := pki.CertPool(c.TLSCA); err != nil {
		r.Status, r.Message, r.Hint = Fail, "collector CA: "+err.Error(), "check tls-ca"
		return r
	}
	return certValidity(leaf, now, warnBefore)
}

// certValidity judges a certificate's validity period.
func certValidity(leaf *x509.Certificate, now time.Time, warnBefore time.Duration) Result {
	r := Result{Check: "certificate"}
	subject := leaf.Subject.CommonName
	if id, err := pki.HostIDFromCert(leaf); err == nil {
		subject = id
	}
	left := leaf.NotAfter.Sub(now)
	switch {
	case now.Before(leaf.NotBefore):
		r.Status, r.Message = Fail, fmt.Sprintf("certificate for %s is not valid before %s", subject, leaf.NotBefore.UTC().Format(time.RFC3339))
		r.Hint = "check this host's clock"
	case left <= 0:
		r.Status, r.Message = Fail, fmt.Sprintf("certificate for %s expired on %s", subject, leaf.NotAfter.UTC().Format(time.RFC3339))
		r.Hint = "renew it: memledger-agent enroll"
	case left < warnBefore:
		r.Status, r.Message = Warn, fmt.Sprintf("certificate for %s expires in %d days (%s)", subject, int(left.Hours()/24), leaf.NotAfter.UTC().Format(time.RFC3339))
		r.Hint = "renew it soon: memledger-agent enroll"
	default:
		r.Message = fmt.Sprintf("certificate for %s valid until %s (%d days)", subject, leaf.NotAfter.UTC().Format(time.RFC3339), int(left.Hours()/24))
	}
	return r
}

func checkCollector(ctx context.Context, c *agentconfig.Config, timeout time.Duration) Result {
	r := Result{Check: "collector"}
	tc, err := c.TLSConfig()
	if err != nil {
		r.Status, r.Message, r.Hint = Fail, "cannot build the TLS configuration: "+err.Error(), "see the certificate check"
		return r
	}
	cc, err := send.Dial(c.Collector, send.Options{Insecure: c.Insecure, TLS: tc})
	if err != nil {
		r.Status, r.Message, r.Hint = Fail, err.Error(), "set collector to host:port"
		return r
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := send.CheckHealth(ctx, cc); err != nil {
		r.Status = Fail
		r.Message = fmt.Sprintf("cannot reach the collector at %s: %v", c.Collector, err)
		msg := err.Error()
		switch {
		case strings.Contains(msg, "certificate") || strings.Contains(msg, "x509") || strings.Contains(msg, "tls:"):
			r.Hint = "TLS handshake failed: tls-ca must be the CA that signed the collector's certificate, and the collector must trust this agent's certificate"
		case strings.Contains(msg, "NOT_SERVING"):
			r.Hint = "the collector is shutting down or not ready; check its log"
		default:
			r.Hint = "is memledger-collector serve running there, and does the firewall allow the port?"
		}
		return r
	}
	transport := "TLS"
	if c.Insecure {
		transport = "plaintext"
	}
	r.Message = fmt.Sprintf("collector %s answers SERVING (%s)", c.Collector, transport)
	return r
}

// countOf is "1 drive" or "2 drives".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
