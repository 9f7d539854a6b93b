// Tests of memledger's packaging: the systemd units (systemd-analyze), the
// maintainer scripts (run against scratch roots, never the real system) and
// the deb and rpm packages that packaging/build.sh makes (contents,
// conffiles, scripts, and a deb install/upgrade/remove/purge cycle in a
// scratch root with dpkg --root).
//
// Tools are skipped with a message when absent: systemd-analyze, systemctl,
// dpkg-deb/dpkg, unshare. Running the maintainer scripts needs root (useradd
// --prefix), as in CI; `go test -short` skips the package build.
package packaging_test

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

// The two packages and what each carries.
type pkgSpec struct {
	name    string // package, binary and unit base name
	config  string // config file name in /etc/memledger
	exec    string // the unit's ExecStart
	maxExpo float64
}

var pkgs = []pkgSpec{
	{
		name:   "memledger-agent",
		config: "agent.yaml",
		exec:   "/usr/bin/memledger-agent run --config /etc/memledger/agent.yaml",
		// systemd-analyze security (systemd 252) scored 1.5 when written,
		// 0.3 of it for the capability the agent needs; the slack absorbs
		// other systemd versions' weights. TestUnitDirectives pins each
		// directive.
		maxExpo: 1.8,
	},
	{
		name:    "memledger-collector",
		config:  "collector.yaml",
		exec:    "/usr/bin/memledger-collector serve --config /etc/memledger/collector.yaml",
		maxExpo: 1.4, // 1.1 when written
	},
}

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found in PATH (%v): install it to run this test", name, err)
	}
	return p
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("maintainer scripts create users with useradd --prefix, which needs root: run as root (CI does) to execute them in a scratch root")
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs a command and returns its combined output; a failure is fatal.
func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func runErr(t testing.TB, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cleanEnv is the test's environment without DPKG_ROOT, so that no script
// is ever pointed somewhere by accident, and with a plain locale for
// parseable output.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DPKG_ROOT=") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// ---------------------------------------------------------------------------
// systemd units

// unitEntry is one "Key=value" line of a unit file.
type unitEntry struct {
	section, key, value string
	line                int
}

// parseUnit reads a unit file's entries in order (keys may repeat).
func parseUnit(data []byte) ([]unitEntry, error) {
	var out []unitEntry
	section := ""
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasSuffix(line, `\`):
			return nil, fmt.Errorf("line %d: continuation lines are not used in memledger units", i+1)
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			return nil, fmt.Errorf("line %d: want Key=value inside a [Section]: %q", i+1, line)
		}
		out = append(out, unitEntry{section: section, key: strings.TrimSpace(k), value: strings.TrimSpace(v), line: i + 1})
	}
	return out, nil
}

// values returns every value of section.key, in order.
func values(entries []unitEntry, section, key string) []string {
	var vs []string
	for _, e := range entries {
		if e.section == section && e.key == key {
			vs = append(vs, e.value)
		}
	}
	return vs
}

// verifyUnit runs systemd-analyze verify on a copy of the unit whose
// ExecStart binary is replaced by a stand-in, since verify insists that the
// binary exists and the real one lives in /usr/bin only once installed.
func verifyUnit(t *testing.T, unitPath, binary string) error {
	t.Helper()
	dir := t.TempDir()
	stand := filepath.Join(dir, filepath.Base(binary))
	if err := os.WriteFile(stand, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, unitPath)
	if !bytes.Contains(data, []byte("ExecStart="+binary+" ")) {
		return fmt.Errorf("%s: no ExecStart=%s", unitPath, binary)
	}
	copyPath := filepath.Join(dir, filepath.Base(unitPath))
	if err := os.WriteFile(copyPath, bytes.ReplaceAll(data, []byte("ExecStart="+binary+" "), []byte("ExecStart="+stand+" ")), 0o644); err != nil {
		t.Fatal(err)
	}
	return analyzeVerify(t, copyPath)
}

// analyzeVerify runs systemd-analyze verify on a unit file. verify exits 0
// even for unknown keys and unparsable values (it only warns), so any
// output at all is a failure.
func analyzeVerify(t *testing.T, unitPath string) error {
	t.Helper()
	out, err := runErr(t, nil, "systemd-analyze", "verify", unitPath)
	if err != nil || strings.TrimSpace(out) != "" {
		return fmt.Errorf("systemd-analyze verify %s: %v\n%s", filepath.Base(unitPath), err, out)
	}
	return nil
}

// exposure returns the overall exposure systemd-analyze security --offline
// gives the unit (0 best, 10 worst).
func exposure(t *testing.T, unitPath, binary string) float64 {
	t.Helper()
	dir := t.TempDir()
	data := bytes.ReplaceAll(readFile(t, unitPath), []byte("ExecStart="+binary+" "), []byte("ExecStart=/bin/true "))
	copyPath := filepath.Join(dir, filepath.Base(unitPath))
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, nil, "systemd-analyze", "security", "--offline=yes", "--no-pager", copyPath)
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in systemd-analyze security output:\n%s", out)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestUnitsVerify(t *testing.T) {
	needTool(t, "systemd-analyze")
	root := testcorpus.RepoRoot(t)
	for _, p := range pkgs {
		t.Run(p.name, func(t *testing.T) {
			unit := filepath.Join(root, "packaging", "systemd", p.name+".service")
			if err := verifyUnit(t, unit, "/usr/bin/"+p.name); err != nil {
				t.Error(err)
			}
			expo := exposure(t, unit, "/usr/bin/"+p.name)
			t.Logf("systemd-analyze security --offline=yes %s.service: overall exposure %.1f", p.name, expo)
			if expo > p.maxExpo {
				t.Errorf("exposure %.1f, want at most %.1f: run systemd-analyze security --offline=yes on the unit to see what got weaker", expo, p.maxExpo)
			}
		})
	}
}

// TestVerifyCatchesMistakes makes sure verifyUnit fails on the mistakes
// systemd-analyze only warns about, so TestUnitsVerify can fail.
func TestVerifyCatchesMistakes(t *testing.T) {
	needTool(t, "systemd-analyze")
	good := readFile(t, filepath.Join(testcorpus.RepoRoot(t), "packaging", "systemd", "memledger-agent.service"))
	tests := []struct {
		name     string
		from, to string
		standIn  bool // replace the binary as TestUnitsVerify does
	}{
		{"misspelt key", "ProtectSystem=strict", "ProtectSytem=strict", true},
		{"bad value", "Restart=on-failure", "Restart=sometimes", true},
		{"bad duration", "WatchdogSec=2min", "WatchdogSec=two", true},
		{"missing binary", "ExecStart=/usr/bin/memledger-agent ", "ExecStart=/nonexistent/memledger-agent ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tt.from)) {
				t.Fatalf("unit has no %q to break", tt.from)
			}
			bad := filepath.Join(t.TempDir(), "memledger-agent.service")
			if err := os.WriteFile(bad, bytes.Replace(good, []byte(tt.from), []byte(tt.to), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			var err error
			if tt.standIn {
				err = verifyUnit(t, bad, "/usr/bin/memledger-agent")
			} else {
				err = analyzeVerify(t, bad)
			}
			if err == nil {
				t.Errorf("verify accepted the unit with %q", tt.to)
			}
		})
	}
}

// TestUnitDirectives pins what the issue requires of each unit, so that a
// later edit cannot silently drop it.
func TestUnitDirectives(t *testing.T) {
	common := map[string]string{
		"Type":                    "notify",
		"Restart":                 "on-failure",
		"StateDirectoryMode":      "0750",
		"UMask":                   "0077",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"ProtectClock":            "yes",
		"ProtectHostname":         "yes",
		"RestrictNamespaces":      "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"RestrictRealtime":        "yes",
		"RestrictSUIDSGID":        "yes",
		"SystemCallArchitectures": "native",
		"SystemCallErrorNumber":   "EPERM",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	}
	specific := map[string]map[string]string{
		"memledger-agent": {
			"User":                  "memledger-agent",
			"Group":                 "memledger-agent",
			"StateDirectory":        "memledger-agent",
			"AmbientCapabilities":   "CAP_DAC_READ_SEARCH",
			"CapabilityBoundingSet": "CAP_DAC_READ_SEARCH",
		},
		"memledger-collector": {
			"User":                  "memledger-collector",
			"Group":                 "memledger-collector",
			"StateDirectory":        "memledger-collector",
			"AmbientCapabilities":   "",
			"CapabilityBoundingSet": "",
		},
	}
	root := testcorpus.RepoRoot(t)
	for _, p := range pkgs {
		t.Run(p.name, func(t *testing.T) {
			entries, err := parseUnit(readFile(t, filepath.Join(root, "packaging", "systemd", p.name+".service")))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"ExecStart": p.exec}
			for k, v := range common {
				want[k] = v
			}
			for k, v := range specific[p.name] {
				want[k] = v
			}
			for k, v := range want {
				if got := values(entries, "Service", k); !slices.Equal(got, []string{v}) {
					t.Errorf("[Service] %s = %q, want exactly %q", k, got, v)
				}
			}
			if got := values(entries, "Service", "SystemCallFilter"); len(got) == 0 || got[0] != "@system-service" {
				t.Errorf("SystemCallFilter = %q, want @system-service first", got)
			}
			if got := values(entries, "Service", "WatchdogSec"); len(got) != 1 || got[0] == "0" {
				t.Errorf("WatchdogSec = %q, want one non-zero value", got)
			}
			// Writable paths come from StateDirectory only.
			for _, k := range []string{"ReadWritePaths", "ReadWriteDirectories"} {
				if got := values(entries, "Service", k); len(got) != 0 {
					t.Errorf("%s = %q: the state directory is the only writable place", k, got)
				}
			}
			if got := values(entries, "Install", "WantedBy"); !slices.Equal(got, []string{"multi-user.target"}) {
				t.Errorf("[Install] WantedBy = %q, want multi-user.target", got)
			}
		})
	}
	t.Run("collector file limit", func(t *testing.T) {
		entries, err := parseUnit(readFile(t, filepath.Join(root, "packaging", "systemd", "memledger-collector.service")))
		if err != nil {
			t.Fatal(err)
		}
		got := values(entries, "Service", "LimitNOFILE")
		if len(got) != 1 {
			t.Fatalf("LimitNOFILE = %q, want one value", got)
		}
		// 10,000 agents hold a stream each, plus the database and HTTP.
		if n, err := strconv.Atoi(got[0]); err != nil || n < 20000 {
			t.Errorf("LimitNOFILE = %q, want a number of at least 20000", got[0])
		}
	})
}

// ---------------------------------------------------------------------------
// maintainer scripts

// The maintainer scripts, one copy for both packages: the deb names and the
// nfpm names of the rpm scriptlets.
var debScripts = []string{"postinst", "prerm", "postrm"}
var rpmScripts = []struct{ file, nfpm string }{
	{"post.sh", "postinstall"},
	{"preun.sh", "preremove"},
	{"postun.sh", "postremove"},
}

// renderScript returns packaging/scripts/KIND/NAME as packaging/build.sh
// renders it for pkg.
func renderScript(t testing.TB, root, kind, name, pkg string) []byte {
	t.Helper()
	return bytes.ReplaceAll(readFile(t, filepath.Join(root, "packaging", "scripts", kind, name)), []byte("@PACKAGE@"), []byte(pkg))
}

// TestScriptTemplates checks the shared scripts: executable, POSIX sh,
// with nothing left of the placeholder once rendered.
func TestScriptTemplates(t *testing.T) {
	root := testcorpus.RepoRoot(t)
	var names [][2]string
	for _, s := range debScripts {
		names = append(names, [2]string{"deb", s})
	}
	for _, s := range rpmScripts {
		names = append(names, [2]string{"rpm", s.file})
	}
	for _, n := range names {
		path := filepath.Join(root, "packaging", "scripts", n[0], n[1])
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s/%s is not executable", n[0], n[1])
		}
		for _, p := range pkgs {
			got := renderScript(t, root, n[0], n[1], p.name)
			if !bytes.HasPrefix(got, []byte("#!/bin/sh\n")) {
				t.Errorf("%s/%s does not start with #!/bin/sh", n[0], n[1])
			}
			if regexp.MustCompile(`@[A-Z_]+@`).Match(got) {
				t.Errorf("%s/%s rendered for %s keeps a placeholder", n[0], n[1], p.name)
			}
			if !bytes.Contains(got, []byte("pkg="+p.name+"\n")) {
				t.Errorf("%s/%s rendered for %s does not set pkg=%s", n[0], n[1], p.name, p.name)
			}
			if out, err := runErr(t, nil, "sh", "-n", "-c", string(got)); err != nil {
				t.Errorf("%s/%s: sh -n: %v\n%s", n[0], n[1], err, out)
			}
		}
	}
}

func enabled(root, unit string) bool {
	_, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants", unit))
	return err == nil
}

// dbLines returns the lines of root/etc/FILE (passwd, group) for name.
func dbLines(t *testing.T, root, file, name string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(readFile(t, filepath.Join(root, "etc", file))), "\n") {
		if strings.HasPrefix(l, name+":") {
			out = append(out, l)
		}
	}
	return out
}

// TestScriptCalls checks what the rendered scripts ask of systemd's tools
// and deb-systemd-helper, with systemd running and without, for deb's and
// rpm's arguments. It fakes /run/systemd/system (and hides /var/lib) in a
// private mount namespace (unshare) and replaces the tools with stubs in
// PATH that log their arguments, so the real system is never touched. The
// real tools' effects are checked by the dpkg --root life cycle in
// TestPackages.
func TestScriptCalls(t *testing.T) {
	needRoot(t)
	needTool(t, "unshare")
	if out, err := runErr(t, nil, "unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib"); err != nil {
		t.Skipf("cannot make a private mount namespace to fake /run/systemd/system (%v): %s", err, out)
	}
	root := testcorpus.RepoRoot(t)
	const (
		users   = "systemd-sysusers PKG.conf"
		dirs    = "systemd-tmpfiles --create PKG.conf"
		reload  = "systemctl --system daemon-reload"
		unmask  = "deb-systemd-helper unmask UNIT"
		wasOn   = "deb-systemd-helper --quiet was-enabled UNIT"
		enable  = "deb-systemd-helper enable UNIT"
		update  = "deb-systemd-helper update-state UNIT"
		rpmLoad = "systemctl daemon-reload"
	)
	tests := []struct {
		kind, script string
		args         []string
		wasEnabled   bool     // deb-systemd-helper was-enabled's answer
		live, off    []string // calls with systemd running, and without
		output       map[string]string
		wantErr      bool
	}{
		{kind: "deb", script: "postinst", args: []string{"configure", ""}, wasEnabled: true,
			live: []string{users, dirs, unmask, wasOn, enable, reload},
			off:  []string{users, dirs, unmask, wasOn, enable}},
		{kind: "deb", script: "postinst", args: []string{"configure", "1.0.0"}, wasEnabled: true,
			live: []string{users, dirs, unmask, wasOn, enable, reload, "deb-systemd-invoke try-restart UNIT"},
			off:  []string{users, dirs, unmask, wasOn, enable}},
		// An administrator's disable survives the upgrade.
		{kind: "deb", script: "postinst", args: []string{"configure", "1.0.0"}, wasEnabled: false,
			live: []string{users, dirs, unmask, wasOn, update, reload, "deb-systemd-invoke try-restart UNIT"},
			off:  []string{users, dirs, unmask, wasOn, update}},
		{kind: "deb", script: "postinst", args: []string{"abort-upgrade", "1.0.0"}, wasEnabled: true,
			live: []string{unmask, wasOn, enable, reload}, off: []string{unmask, wasOn, enable}},
		{kind: "deb", script: "postinst", args: []string{"bogus"}, wantErr: true},
		{kind: "deb", script: "prerm", args: []string{"remove"},
			live: []string{"deb-systemd-invoke stop UNIT"}},
		{kind: "deb", script: "prerm", args: []string{"upgrade", "1.1.0"}},
		{kind: "deb", script: "prerm", args: []string{"failed-upgrade", "1.0.0"}},
		{kind: "deb", script: "prerm", args: []string{"bogus"}, wantErr: true},
		{kind: "deb", script: "postrm", args: []string{"remove"},
			live: []string{reload, "deb-systemd-helper mask UNIT"}, off: []string{"deb-systemd-helper mask UNIT"}},
		{kind: "deb", script: "postrm", args: []string{"purge"},
			live: []string{reload, "deb-systemd-helper purge UNIT", unmask},
			off:  []string{"deb-systemd-helper purge UNIT", unmask},
			output: map[string]string{
				"memledger-agent":     "purged /var/lib/memledger-agent",
				"memledger-collector": "kept /var/lib/memledger-collector (the ledger, enrollment tokens), /etc/memledger/tls (the fleet CA: ca.key is its private key)",
			}},
		{kind: "deb", script: "postrm", args: []string{"upgrade", "1.1.0"}},
		{kind: "deb", script: "postrm", args: []string{"bogus"}, wantErr: true},

		{kind: "rpm", script: "post.sh", args: []string{"1"},
			live: []string{users, dirs, rpmLoad, "systemctl --no-reload enable UNIT"},
			off:  []string{users, dirs, "systemctl --no-reload enable UNIT"}},
		{kind: "rpm", script: "post.sh", args: []string{"2"},
			live: []string{users, dirs, rpmLoad, "systemctl try-restart UNIT"},
			off:  []string{users, dirs}},
		{kind: "rpm", script: "post.sh", args: []string{"bogus"}, wantErr: true},
		{kind: "rpm", script: "preun.sh", args: []string{"0"},
			live: []string{"systemctl stop UNIT", "systemctl --no-reload disable UNIT"},
			off:  []string{"systemctl --no-reload disable UNIT"}},
		{kind: "rpm", script: "preun.sh", args: []string{"1"}},
		{kind: "rpm", script: "postun.sh", args: []string{"0"}, live: []string{rpmLoad},
			output: map[string]string{
				"memledger-agent":     "kept /var/lib/memledger-agent",
				"memledger-collector": "/etc/memledger/tls (the fleet CA: ca.key is its private key)",
			}},
		{kind: "rpm", script: "postun.sh", args: []string{"1"}},
		{kind: "rpm", script: "postun.sh", args: []string{"bogus"}, wantErr: true},
	}
	for _, p := range pkgs {
		unit := p.name + ".service"
		for _, tt := range tests {
			for _, live := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/%s %s/was-enabled=%v/live=%v", p.name, tt.kind, tt.script, strings.Join(tt.args, " "), tt.wasEnabled, live)
				t.Run(name, func(t *testing.T) {
					stubs := t.TempDir()
					log := filepath.Join(stubs, "calls")
					for _, tool := range []string{"systemctl", "systemd-sysusers", "systemd-tmpfiles", "deb-systemd-helper", "deb-systemd-invoke"} {
						body := "#!/bin/sh\necho \"" + tool + " $*\" >>" + shellQuote(log) + "\n"
						if tool == "deb-systemd-helper" {
							body += `case "$*" in *was-enabled*) exit "$STUB_WAS_ENABLED" ;; esac` + "\n"
						}
						if err := os.WriteFile(filepath.Join(stubs, tool), []byte(body), 0o755); err != nil {
							t.Fatal(err)
						}
					}
					script := filepath.Join(stubs, "script")
					if err := os.WriteFile(script, renderScript(t, root, tt.kind, tt.script, p.name), 0o755); err != nil {
						t.Fatal(err)
					}
					setup := "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib"
					if live {
						setup += " && mkdir -p /run/systemd/system"
					}
					wasEnabled := "1"
					if tt.wasEnabled {
						wasEnabled = "0"
					}
					args := append([]string{"--mount", "--propagation", "private", "sh", "-c", setup + ` && exec sh "$@"`, "sh", script}, tt.args...)
					out, err := runErr(t, []string{"PATH=" + stubs + ":" + os.Getenv("PATH"), "STUB_WAS_ENABLED=" + wasEnabled}, "unshare", args...)
					if (err != nil) != tt.wantErr {
						t.Fatalf("err = %v, want error %v\n%s", err, tt.wantErr, out)
					}
					if tt.wantErr {
						if !strings.Contains(out, "unknown argument '"+tt.args[0]+"'") {
							t.Errorf("output does not name the argument:\n%s", out)
						}
						return
					}
					var calls []string
					if b, err := os.ReadFile(log); err == nil {
						calls = strings.Split(strings.TrimSpace(string(b)), "\n")
					} else if !errors.Is(err, os.ErrNotExist) {
						t.Fatal(err)
					}
					want := tt.off
					if live {
						want = tt.live
					}
					var wantCalls []string
					for _, w := range want {
						w = strings.ReplaceAll(w, "UNIT", unit)
						wantCalls = append(wantCalls, strings.ReplaceAll(w, "PKG", p.name))
					}
					if !slices.Equal(calls, wantCalls) {
						t.Errorf("calls\n%q\nwant\n%q\n%s", calls, wantCalls, out)
					}
					if w := tt.output[p.name]; !strings.Contains(out, w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				})
			}
		}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ---------------------------------------------------------------------------
// packages

// The version given to build.sh, and what deb, rpm and the binaries make of
// it.
const (
	buildVersion = "v1.2.3-rc1"
	binVersion   = "1.2.3-rc1"
	pkgVersion   = "1.2.3~rc1" // rpm Version; Release is 1
	debVersion   = pkgVersion + "-1"
)

// TestPackages builds all packages once with the documented command and
// checks them.
func TestPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building the packages compiles both binaries and nfpm")
	}
	needTool(t, "dpkg-deb")
	root := testcorpus.RepoRoot(t)
	dist := t.TempDir()
	out, err := runErr(t, []string{"DIST=" + dist, "GOARCH=" + runtime.GOARCH}, filepath.Join(root, "packaging", "build.sh"), buildVersion)
	if err != nil {
		t.Fatalf("packaging/build.sh %s: %v\n%s", buildVersion, err, out)
	}
	debArch := runtime.GOARCH
	rpmArch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i386", "arm": "armhfp"}[runtime.GOARCH]
	debPath := func(p pkgSpec) string {
		return filepath.Join(dist, fmt.Sprintf("%s_%s_%s.deb", p.name, debVersion, debArch))
	}
	rpmPath := func(p pkgSpec) string {
		return filepath.Join(dist, fmt.Sprintf("%s-%s-1.%s.rpm", p.name, pkgVersion, rpmArch))
	}

	t.Run("binaries", func(t *testing.T) {
		for _, p := range pkgs {
			bin := filepath.Join(dist, "bin", p.name)
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			for _, prog := range f.Progs {
				if prog.Type == elf.PT_INTERP {
					t.Errorf("%s is dynamically linked; build.sh must build it with CGO_ENABLED=0", p.name)
				}
			}
			if syms, _ := f.Symbols(); len(syms) > 0 {
				t.Errorf("%s has a symbol table; build.sh strips it (-s -w)", p.name)
			}
			f.Close()
			if info, err := buildinfo.ReadFile(bin); err != nil {
				t.Error(err)
			} else if !slices.Contains(info.Settings, debug.BuildSetting{Key: "-tags", Value: "grpcnotrace"}) {
				t.Errorf("%s was built without -tags grpcnotrace (build settings %v)", p.name, info.Settings)
			}
			if got := run(t, nil, bin, "--version"); !strings.Contains(got, binVersion) {
				t.Errorf("%s --version = %q, want it to contain %q (-X .../internal/version.Version)", p.name, got, binVersion)
			}
		}
	})

	t.Run("checksums", func(t *testing.T) {
		sums := string(readFile(t, filepath.Join(dist, "SHA256SUMS")))
		for _, p := range pkgs {
			for _, name := range []string{filepath.Base(debPath(p)), filepath.Base(rpmPath(p))} {
				if !strings.Contains(sums, "  "+name+"\n") {
					t.Errorf("SHA256SUMS lacks %s:\n%s", name, sums)
				}
			}
		}
		run(t, nil, "sh", "-c", `cd "$1" && sha256sum --check --strict SHA256SUMS`, "sh", dist)
	})

	for _, p := range pkgs {
		t.Run("deb/"+p.name, func(t *testing.T) { checkDeb(t, root, p, debPath(p)) })
		t.Run("rpm/"+p.name, func(t *testing.T) { checkRPM(t, root, p, rpmPath(p)) })
	}
	t.Run("lintian", func(t *testing.T) { checkLintian(t, debPath(pkgs[0]), debPath(pkgs[1])) })
	t.Run("rpmlint", func(t *testing.T) { checkRPMLint(t, root) })
	t.Run("deb/install", func(t *testing.T) { checkDebInstall(t, debPath(pkgs[0]), debPath(pkgs[1])) })
	t.Run("deb/readme", func(t *testing.T) {
		checkReadmeInstall(t, root, map[string]string{pkgs[0].name: debPath(pkgs[0]), pkgs[1].name: debPath(pkgs[1])})
	})
}

// checkLintian runs lintian on the debs: no errors or warnings (infos and
// pedantic tags are shown in the log).
func checkLintian(t *testing.T, debs ...string) {
	needTool(t, "lintian")
	out, err := runErr(t, nil, "lintian", append([]string{"--no-cfg", "--display-level", ">=pedantic"}, debs...)...)
	t.Logf("lintian --display-level '>=pedantic':\n%s", out)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "E: ") || strings.HasPrefix(l, "W: ") {
			t.Errorf("lintian: %s", l)
		}
	}
	if err != nil && !t.Failed() {
		t.Errorf("lintian: %v", err)
	}
}

// checkRPMLint builds the rpms of a release (nfpm's rpm changelog can
// spell a pre-release only as 1.2.3-rc1, which rpmlint finds incoherent
// with the package's 1.2.3~rc1) and runs rpmlint on them with
// packaging/rpmlint.toml: nothing but the missing signature of a local
// build. nfpm's rpm payload names files by absolute path and rpmlint
// extracts it with cpio -id, which would write them into /: a cpio in PATH
// adds --no-absolute-filenames.
func checkRPMLint(t *testing.T, repo string) {
	for _, tool := range []string{"rpmlint", "rpm", "rpm2cpio", "cpio"} {
		needTool(t, tool)
	}
	cpio, _ := exec.LookPath("cpio")
	wrap := t.TempDir()
	if err := os.WriteFile(filepath.Join(wrap, "cpio"), []byte("#!/bin/sh\nexec "+shellQuote(cpio)+" --no-absolute-filenames \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	if out, err := runErr(t, []string{"DIST=" + dist, "FORMATS=rpm"}, filepath.Join(repo, "packaging", "build.sh"), "v1.2.3"); err != nil {
		t.Fatalf("packaging/build.sh v1.2.3: %v\n%s", err, out)
	}
	rpms, err := filepath.Glob(filepath.Join(dist, "*.rpm"))
	if err != nil || len(rpms) != len(pkgs) {
		t.Fatalf("rpms %q, %v: want one per package", rpms, err)
	}
	out, _ := runErr(t, []string{"PATH=" + wrap + ":" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir()}, "rpmlint", append([]string{"-c", filepath.Join(repo, "packaging", "rpmlint.toml")}, rpms...)...)
	t.Logf("rpmlint -c packaging/rpmlint.toml:\n%s", out)
	if !strings.Contains(out, fmt.Sprintf("%d packages and 0 specfiles checked", len(pkgs))) {
		t.Fatalf("rpmlint checked no packages:\n%s", out)
	}
	tag := regexp.MustCompile(`^\S+: ([EW]): (\S+)`)
	signatures := 0
	for _, l := range strings.Split(out, "\n") {
		m := tag.FindStringSubmatch(l)
		switch {
		case m == nil:
		case m[1] == "E" && m[2] == "no-signature":
			signatures++
		default:
			t.Errorf("rpmlint: %s", l)
		}
	}
	if signatures != len(pkgs) {
		t.Errorf("rpmlint reported %d missing signatures, want one per unsigned package", signatures)
	}
}

// packagedFiles lists the files every build of package p carries in
// format (deb or rpm), apart from the manual pages of its subcommands
// (isManPage), which follow the command tree.
func packagedFiles(p pkgSpec, format string) []string {
	zsh := "/usr/share/zsh/vendor-completions/_" + p.name
	if format == "rpm" {
		zsh = "/usr/share/zsh/site-functions/_" + p.name
	}
	files := []string{
		"/usr/bin/" + p.name,
		"/usr/lib/systemd/system/" + p.name + ".service",
		"/usr/lib/sysusers.d/" + p.name + ".conf",
		"/usr/lib/tmpfiles.d/" + p.name + ".conf",
		"/etc/memledger/" + p.config,
		"/usr/share/man/man1/" + p.name + ".1.gz",
		"/usr/share/bash-completion/completions/" + p.name,
		zsh,
		"/usr/share/fish/vendor_completions.d/" + p.name + ".fish",
		"/usr/share/doc/" + p.name + "/copyright",
		"/usr/share/doc/" + p.name + "/README.md",
		"/usr/share/lintian/overrides/" + p.name,
	}
	if format == "deb" {
		// nfpm makes it from packaging/changelog.yaml; rpm keeps the
		// changelog in its header.
		files = append(files, "/usr/share/doc/"+p.name+"/changelog.Debian.gz")
	}
	return files
}

// isManPage reports whether path is the manual page of a command of p.
func isManPage(p pkgSpec, path string) bool {
	return regexp.MustCompile(`^/usr/share/man/man1/` + regexp.QuoteMeta(p.name) + `(-[a-z-]+)?\.1\.gz$`).MatchString(path)
}

func checkDeb(t *testing.T, root string, p pkgSpec, deb string) {
	fields := map[string]string{
		"Package":      p.name,
		"Version":      debVersion,
		"Architecture": runtime.GOARCH,
		"Depends":      "systemd | systemd-standalone-sysusers | systemd-sysusers, systemd | systemd-standalone-tmpfiles | systemd-tmpfiles",
		"Section":      "admin",
	}
	for k, want := range fields {
		if got := strings.TrimSpace(run(t, nil, "dpkg-deb", "--field", deb, k)); got != want {
			t.Errorf("%s: %s = %q, want %q", filepath.Base(deb), k, got, want)
		}
	}
	if m := strings.TrimSpace(run(t, nil, "dpkg-deb", "--field", deb, "Maintainer")); !strings.Contains(m, "<") {
		t.Errorf("Maintainer = %q, want Name <email>", m)
	}

	info := run(t, nil, "dpkg-deb", "--info", deb)
	for _, s := range debScripts {
		if !regexp.MustCompile(`(?m)^\s+\d+ bytes,\s+\d+ lines\s+\*\s+` + s + `\s+#!/bin/sh$`).MatchString(info) {
			t.Errorf("dpkg-deb --info lists no executable %s:\n%s", s, info)
		}
		got := run(t, nil, "dpkg-deb", "--info", deb, s)
		if want := renderScript(t, root, "deb", s, p.name); got != string(want) {
			t.Errorf("%s is not packaging/scripts/deb/%s rendered for %s", s, s, p.name)
		}
	}
	if got, want := run(t, nil, "dpkg-deb", "--info", deb, "conffiles"), "/etc/memledger/"+p.config+"\n"; got != want {
		t.Errorf("conffiles = %q, want %q", got, want)
	}

	// dpkg-deb --contents: "-rwxr-xr-x root/root 13476002 2026-01-01 00:00 ./usr/bin/x"
	type entry struct{ mode, owner string }
	got := map[string]entry{}
	for _, l := range strings.Split(strings.TrimSpace(run(t, nil, "dpkg-deb", "--contents", deb)), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			t.Fatalf("unexpected dpkg-deb --contents line %q", l)
		}
		if strings.HasPrefix(f[0], "d") {
			continue
		}
		got[strings.TrimPrefix(f[5], ".")] = entry{f[0], f[1]}
	}
	want := map[string]entry{}
	for _, f := range packagedFiles(p, "deb") {
		want[f] = entry{"-rw-r--r--", "root/root"}
	}
	want["/usr/bin/"+p.name] = entry{"-rwxr-xr-x", "root/root"}
	for path, w := range want {
		if g, ok := got[path]; !ok {
			t.Errorf("the deb lacks %s", path)
		} else if g.mode != w.mode || (g.owner != w.owner && g.owner != "0/0") {
			t.Errorf("%s: %s %s, want %s %s", path, g.mode, g.owner, w.mode, w.owner)
		}
	}
	for path, g := range got {
		if _, ok := want[path]; !ok && !isManPage(p, path) {
			t.Errorf("the deb carries unexpected %s", path)
		} else if !ok && (g.mode != "-rw-r--r--" || g.owner != "root/root") {
			t.Errorf("%s: %s %s, want -rw-r--r-- root/root", path, g.mode, g.owner)
		}
	}
	for _, src := range []struct{ inPkg, repo string }{
		{"./usr/lib/systemd/system/" + p.name + ".service", "packaging/systemd/" + p.name + ".service"},
		{"./etc/memledger/" + p.config, "packaging/config/" + p.config},
		{"./usr/lib/sysusers.d/" + p.name + ".conf", "packaging/sysusers/" + p.name + ".conf"},
		{"./usr/lib/tmpfiles.d/" + p.name + ".conf", "packaging/tmpfiles/" + p.name + ".conf"},
	} {
		if got := run(t, nil, "sh", "-c", `dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2"`, "sh", deb, src.inPkg); got != string(readFile(t, filepath.Join(root, src.repo))) {
			t.Errorf("%s in the deb is not %s", src.inPkg, src.repo)
		}
	}
}

// dpkgRoot is a scratch root for dpkg --root, with a stand-in for the
// systemd package the debs depend on (the tools themselves are the host's:
// systemd-sysusers --root and systemd-tmpfiles --root work on the root).
type dpkgRoot struct {
	t   *testing.T
	dir string
}

// newDpkgRoot makes a scratch root. With hostEtc the root's /etc starts as
// a copy of the host's (so that host tools run against it, with it mounted
// on /etc, find their configuration); otherwise it holds only root's user.
func newDpkgRoot(t *testing.T, hostEtc bool) *dpkgRoot {
	t.Helper()
	r := &dpkgRoot{t: t, dir: t.TempDir()}
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc", "usr/sbin"} {
		if err := os.MkdirAll(filepath.Join(r.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	status := "Package: systemd\nStatus: install ok installed\nPriority: important\nSection: admin\nMaintainer: stand-in <none@localhost>\nArchitecture: " + runtime.GOARCH + "\nVersion: 252\nDescription: stand-in for the tests\n\n"
	files := map[string]string{
		"var/lib/dpkg/status":            status,
		"var/lib/dpkg/info/systemd.list": "",
	}
	if hostEtc {
		run(t, nil, "cp", "-a", "/etc/.", filepath.Join(r.dir, "etc"))
	} else {
		for k, v := range map[string]string{
			"etc/passwd":  "root:x:0:0:root:/root:/bin/sh\n",
			"etc/group":   "root:x:0:\n",
			"etc/shadow":  "root:*:19000:0:99999:7:::\n",
			"etc/gshadow": "root:*::\n",
		} {
			files[k] = v
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// dpkg runs dpkg on the scratch root and returns its output.
// --force-script-chrootless: dpkg runs the scripts without chroot, with
// DPKG_ROOT set, which the scripts honour. --force-not-root lets the
// unpack work for a non-root user too.
func (r *dpkgRoot) dpkg(args ...string) string {
	r.t.Helper()
	return run(r.t, nil, "dpkg", append([]string{"--root=" + r.dir, "--force-script-chrootless", "--force-not-root", "--log=/dev/null"}, args...)...)
}

func (r *dpkgRoot) exists(p string) bool {
	_, err := os.Lstat(filepath.Join(r.dir, p))
	return err == nil
}

// owner returns the uid, gid and permission bits of a file in the root.
func (r *dpkgRoot) owner(p string) (uid, gid int, mode os.FileMode, err error) {
	fi, err := os.Lstat(filepath.Join(r.dir, p))
	if err != nil {
		return 0, 0, 0, err
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid), fi.Mode().Perm(), nil
}

// ids returns the uid and gid of name in the root's passwd.
func (r *dpkgRoot) ids(name string) (uid, gid int) {
	r.t.Helper()
	lines := dbLines(r.t, r.dir, "passwd", name)
	if len(lines) != 1 {
		r.t.Fatalf("passwd has %q for %s, want one line", lines, name)
	}
	f := strings.Split(lines[0], ":")
	uid, err1 := strconv.Atoi(f[2])
	gid, err2 := strconv.Atoi(f[3])
	if err := errors.Join(err1, err2); err != nil {
		r.t.Fatal(err)
	}
	return uid, gid
}

// needPackageTools skips unless the tools the debs' maintainer scripts run
// are here.
func needPackageTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"dpkg", "systemd-sysusers", "systemd-tmpfiles", "deb-systemd-helper"} {
		needTool(t, tool)
	}
}

// checkDebInstall installs both debs into a scratch root with dpkg --root
// and walks an administrator's life cycle: install, disable and edit,
// upgrade, remove, purge.
func checkDebInstall(t *testing.T, agentDeb, collectorDeb string) {
	needTool(t, "dpkg")
	r := newDpkgRoot(t, false)
	if os.Geteuid() != 0 {
		// Without root the scripts cannot create users and chown: check
		// the unpacked files only.
		r.dpkg("--unpack", agentDeb, collectorDeb)
		for _, p := range pkgs {
			for _, f := range []string{"usr/bin/" + p.name, "usr/lib/systemd/system/" + p.name + ".service", "etc/memledger/" + p.config} {
				if !r.exists(f) {
					t.Errorf("%s did not land in the scratch root", f)
				}
			}
		}
		t.Skip("not root: unpacked only; the maintainer scripts need root (systemd-sysusers, chown)")
	}
	needPackageTools(t)

	r.dpkg("--install", agentDeb, collectorDeb)
	uids := map[string]int{}
	for _, p := range pkgs {
		if st := run(t, nil, "dpkg-query", "--admindir="+filepath.Join(r.dir, "var/lib/dpkg"), "-f", "${Status} ${Version}", "-W", p.name); st != "install ok installed "+debVersion {
			t.Errorf("%s status %q, want installed %s", p.name, st, debVersion)
		}
		if !enabled(r.dir, p.name+".service") {
			t.Errorf("%s.service not enabled after the first install", p.name)
		}
		// Its own system user and group, no login, home its state directory.
		users := dbLines(t, r.dir, "passwd", p.name)
		if len(users) != 1 || !regexp.MustCompile(`^`+p.name+`:x:\d+:\d+:[^:]*:/var/lib/`+p.name+`:/(usr/)?sbin/nologin$`).MatchString(users[0]) {
			t.Fatalf("passwd: %q, want one %s system user with home /var/lib/%s and no login", users, p.name, p.name)
		}
		uid, gid := r.ids(p.name)
		if uid == 0 || uid >= 1000 {
			t.Errorf("%s uid %d is not a system uid", p.name, uid)
		}
		if g := dbLines(t, r.dir, "group", p.name); len(g) != 1 || strings.Split(g[0], ":")[2] != strconv.Itoa(gid) {
			t.Errorf("group: %q, want %s with gid %d", g, p.name, gid)
		}
		uids[p.name] = uid
		dirs := map[string]os.FileMode{"var/lib/" + p.name: 0o750}
		if p.name == "memledger-collector" {
			dirs["etc/memledger/tls"] = 0o750
		}
		for d, mode := range dirs {
			u, g, m, err := r.owner(d)
			if err != nil {
				t.Errorf("install did not create %s: %v", d, err)
			} else if u != uid || g != gid || m != mode {
				t.Errorf("%s: %d:%d %v, want %d:%d %v", d, u, g, m, uid, gid, mode)
			}
		}
	}
	if uids["memledger-agent"] == uids["memledger-collector"] {
		t.Error("the agent and the collector share a uid")
	}

	// The administrator disables the agent and edits its config; the
	// collector has made its CA and ledger.
	if err := os.Remove(filepath.Join(r.dir, "etc/systemd/system/multi-user.target.wants/memledger-agent.service")); err != nil {
		t.Fatal(err)
	}
	agentYAML := filepath.Join(r.dir, "etc/memledger/agent.yaml")
	edited := string(readFile(t, agentYAML)) + "# edited by the administrator\n"
	if err := os.WriteFile(agentYAML, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	precious := []string{"var/lib/memledger-collector/ledger.db", "etc/memledger/tls/ca.key"}
	for _, f := range precious {
		if err := os.WriteFile(filepath.Join(r.dir, f), []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keptPrecious := func(when string) {
		t.Helper()
		for _, f := range precious {
			if b, err := os.ReadFile(filepath.Join(r.dir, f)); err != nil || string(b) != "precious" {
				t.Errorf("%s after %s: %q, %v; it must survive", f, when, b, err)
			}
		}
	}

	// Upgrade (the same version again runs the same upgrade paths).
	r.dpkg("--install", agentDeb, collectorDeb)
	if enabled(r.dir, "memledger-agent.service") {
		t.Error("the upgrade enabled the agent the administrator had disabled")
	}
	if !enabled(r.dir, "memledger-collector.service") {
		t.Error("the upgrade disabled the collector")
	}
	if got := string(readFile(t, agentYAML)); got != edited {
		t.Error("the upgrade replaced the administrator's agent.yaml")
	}
	keptPrecious("the upgrade")

	// Remove the collector: its files go and the unit is masked; its
	// conffile, ledger, CA and user stay.
	r.dpkg("--remove", "memledger-collector")
	for f, want := range map[string]bool{
		"usr/bin/memledger-collector":                        false,
		"usr/lib/systemd/system/memledger-collector.service": false,
		"etc/memledger/collector.yaml":                       true,
		"usr/bin/memledger-agent":                            true,
	} {
		if r.exists(f) != want {
			t.Errorf("after removing the collector: %s exists = %v, want %v", f, !want, want)
		}
	}
	if l, err := os.Readlink(filepath.Join(r.dir, "etc/systemd/system/memledger-collector.service")); err != nil || l != "/dev/null" {
		t.Errorf("after removal the unit is not masked: %q, %v", l, err)
	}
	keptPrecious("removal")

	// Purge the collector: conffile, mask and enablement go; the ledger,
	// the CA and the user stay, and it says so.
	out := r.dpkg("--purge", "memledger-collector")
	for _, f := range []string{"etc/memledger/collector.yaml", "etc/systemd/system/memledger-collector.service", "etc/systemd/system/multi-user.target.wants/memledger-collector.service"} {
		if r.exists(f) {
			t.Errorf("purge left %s", f)
		}
	}
	keptPrecious("purge")
	for _, w := range []string{"kept /var/lib/memledger-collector", "/etc/memledger/tls (the fleet CA: ca.key is its private key)", "rm -r /var/lib/memledger-collector /etc/memledger/tls"} {
		if !strings.Contains(out, w) {
			t.Errorf("purge does not say %q:\n%s", w, out)
		}
	}
	if len(dbLines(t, r.dir, "passwd", "memledger-collector")) != 1 {
		t.Error("purge removed the memledger-collector user")
	}
	if !r.exists("etc/memledger/agent.yaml") {
		t.Error("purging the collector removed the agent's config")
	}

	// Purge the agent: its state (key, certificate, spool) goes too.
	if err := os.WriteFile(filepath.Join(r.dir, "var/lib/memledger-agent/spool"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = r.dpkg("--purge", "memledger-agent")
	if r.exists("var/lib/memledger-agent") || r.exists("etc/memledger/agent.yaml") {
		t.Errorf("agent purge left /var/lib/memledger-agent or agent.yaml:\n%s", out)
	}
	if !strings.Contains(out, "purged /var/lib/memledger-agent") {
		t.Errorf("agent purge does not say what it deleted:\n%s", out)
	}
	if len(dbLines(t, r.dir, "passwd", "memledger-agent")) != 1 {
		t.Error("purge removed the memledger-agent user")
	}
}

// ---------------------------------------------------------------------------
// rpm

// RPM header tags and file flags used here (rpm's lib/rpmtag.h).
const (
	tagName        = 1000
	tagVersion     = 1001
	tagRelease     = 1002
	tagArch        = 1022
	tagPostIn      = 1024
	tagPreUn       = 1025
	tagPostUn      = 1026
	tagFileModes   = 1030
	tagFileFlags   = 1037
	tagFileUser    = 1039
	tagFileGroup   = 1040
	tagRequireName = 1049
	tagDirIndexes  = 1116
	tagBaseNames   = 1117
	tagDirNames    = 1118

	rpmFileConfig    = 1 << 0
	rpmFileDoc       = 1 << 1
	rpmFileNoReplace = 1 << 4
)

// rpmHeader is a decoded RPM header: its tags' values as strings (STRING,
// STRING_ARRAY, I18NSTRING) or integers (INT16, INT32).
type rpmHeader struct {
	strs map[uint32][]string
	ints map[uint32][]uint32
}

// readRPM decodes the main header of the RPM file at path: lead (96
// bytes), signature header padded to 8 bytes, then the header.
func readRPM(path string) (*rpmHeader, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 96 || !bytes.Equal(data[:4], []byte{0xed, 0xab, 0xee, 0xdb}) {
		return nil, fmt.Errorf("%s: no RPM lead magic", path)
	}
	_, sigLen, err := parseRPMHeader(data[96:])
	if err != nil {
		return nil, fmt.Errorf("%s: signature header at offset 96: %w", path, err)
	}
	off := 96 + (sigLen+7)/8*8
	if off > len(data) {
		return nil, fmt.Errorf("%s: signature header runs past the end", path)
	}
	h, _, err := parseRPMHeader(data[off:])
	if err != nil {
		return nil, fmt.Errorf("%s: header at offset %d: %w", path, off, err)
	}
	return h, nil
}

// parseRPMHeader decodes one header structure and returns it and its size.
func parseRPMHeader(b []byte) (*rpmHeader, int, error) {
	if len(b) < 16 || !bytes.Equal(b[:4], []byte{0x8e, 0xad, 0xe8, 0x01}) {
		return nil, 0, errors.New("no header magic")
	}
	n := int(binary.BigEndian.Uint32(b[8:]))
	size := int(binary.BigEndian.Uint32(b[12:]))
	storeOff := 16 + 16*n
	if n > 1<<16 || size > 1<<28 || storeOff+size > len(b) {
		return nil, 0, fmt.Errorf("header of %d entries and %d bytes does not fit in %d bytes", n, size, len(b))
	}
	store := b[storeOff : storeOff+size]
	h := &rpmHeader{strs: map[uint32][]string{}, ints: map[uint32][]uint32{}}
	for i := range n {
		e := b[16+16*i:]
		tag, typ := binary.BigEndian.Uint32(e), binary.BigEndian.Uint32(e[4:])
		off, count := int(binary.BigEndian.Uint32(e[8:])), int(binary.BigEndian.Uint32(e[12:]))
		if off > len(store) || count > len(store) {
			return nil, 0, fmt.Errorf("tag %d: offset %d count %d outside the %d-byte store", tag, off, count, len(store))
		}
		switch typ {
		case 3, 4: // INT16, INT32
			w := 2
			if typ == 4 {
				w = 4
			}
			if off+w*count > len(store) {
				return nil, 0, fmt.Errorf("tag %d: %d integers at %d run past the store", tag, count, off)
			}
			for j := range count {
				v := store[off+w*j:]
				if w == 2 {
					h.ints[tag] = append(h.ints[tag], uint32(binary.BigEndian.Uint16(v)))
				} else {
					h.ints[tag] = append(h.ints[tag], binary.BigEndian.Uint32(v))
				}
			}
		case 6, 8, 9: // STRING, STRING_ARRAY, I18NSTRING
			if typ == 6 {
				count = 1
			}
			p := off
			for range count {
				end := bytes.IndexByte(store[p:], 0)
				if end < 0 {
					return nil, 0, fmt.Errorf("tag %d: unterminated string at %d", tag, p)
				}
				h.strs[tag] = append(h.strs[tag], string(store[p:p+end]))
				p += end + 1
			}
		}
	}
	return h, storeOff + size, nil
}

func (h *rpmHeader) str(tag uint32) string {
	if v := h.strs[tag]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func checkRPM(t *testing.T, root string, p pkgSpec, path string) {
	h, err := readRPM(path)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[uint32]string{tagName: p.name, tagVersion: pkgVersion, tagRelease: "1"} {
		if got := h.str(tag); got != want {
			t.Errorf("rpm tag %d = %q, want %q", tag, got, want)
		}
	}
	t.Logf("%s: arch %s", filepath.Base(path), h.str(tagArch))
	for tag, file := range map[uint32]string{tagPostIn: "post.sh", tagPreUn: "preun.sh", tagPostUn: "postun.sh"} {
		if got, want := h.str(tag), string(renderScript(t, root, "rpm", file, p.name)); strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("rpm scriptlet %d is not packaging/scripts/rpm/%s rendered for %s:\n%s", tag, file, p.name, got)
		}
	}
	if req := h.strs[tagRequireName]; !slices.Contains(req, "/usr/bin/systemd-sysusers") || !slices.Contains(req, "/usr/bin/systemd-tmpfiles") {
		t.Errorf("Requires %q, want /usr/bin/systemd-sysusers and /usr/bin/systemd-tmpfiles", req)
	}

	base, dirs, idx := h.strs[tagBaseNames], h.strs[tagDirNames], h.ints[tagDirIndexes]
	modes, flags := h.ints[tagFileModes], h.ints[tagFileFlags]
	users, groups := h.strs[tagFileUser], h.strs[tagFileGroup]
	if len(idx) != len(base) || len(modes) != len(base) || len(flags) != len(base) || len(users) != len(base) || len(groups) != len(base) {
		t.Fatalf("file tags disagree: %d names, %d dir indexes, %d modes, %d flags, %d users, %d groups", len(base), len(idx), len(modes), len(flags), len(users), len(groups))
	}
	type file struct {
		mode  uint32
		flags uint32
		owner string
	}
	got := map[string]file{}
	for i, b := range base {
		if int(idx[i]) >= len(dirs) {
			t.Fatalf("file %q: dir index %d of %d", b, idx[i], len(dirs))
		}
		if modes[i]&0o170000 == 0o040000 {
			continue // directories
		}
		got[dirs[idx[i]]+b] = file{modes[i] & 0o7777, flags[i], users[i] + "/" + groups[i]}
	}
	want := map[string]file{}
	for _, f := range packagedFiles(p, "rpm") {
		want[f] = file{0o644, 0, "root/root"}
		if strings.HasPrefix(f, "/usr/share/doc/") || isManPage(p, f) {
			want[f] = file{0o644, rpmFileDoc, "root/root"}
		}
	}
	want["/usr/bin/"+p.name] = file{0o755, 0, "root/root"}
	want["/etc/memledger/"+p.config] = file{0o644, rpmFileConfig | rpmFileNoReplace, "root/root"}
	for path := range got {
		if _, ok := want[path]; !ok && isManPage(p, path) {
			want[path] = file{0o644, rpmFileDoc, "root/root"}
		}
	}
	for path, w := range want {
		g, ok := got[path]
		switch {
		case !ok:
			t.Errorf("the rpm lacks %s", path)
		case g.mode != w.mode || g.owner != w.owner:
			t.Errorf("%s: %o %s, want %o %s", path, g.mode, g.owner, w.mode, w.owner)
		case g.flags&(rpmFileConfig|rpmFileNoReplace|rpmFileDoc) != w.flags:
			t.Errorf("%s: file flags %#x, want %#x", path, g.flags, w.flags)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("the rpm carries unexpected %s", path)
		}
	}

	// With rpm itself present, cross-check the listing.
	if _, err := exec.LookPath("rpm"); err == nil {
		list := strings.Fields(run(t, nil, "rpm", "-qpl", "--nosignature", path))
		for path := range want {
			if !slices.Contains(list, path) {
				t.Errorf("rpm -qpl lacks %s: %q", path, list)
			}
		}
	} else {
		t.Log("rpm not installed: checked the package by decoding its header")
	}
}
