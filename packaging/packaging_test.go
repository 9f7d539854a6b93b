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
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
		"User":                    "memledger",
		"Group":                   "memledger",
		"StateDirectory":          "memledger",
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
			"AmbientCapabilities":   "CAP_DAC_READ_SEARCH",
			"CapabilityBoundingSet": "CAP_DAC_READ_SEARCH",
		},
		"memledger-collector": {
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

// scriptNames maps the nfpm script names to dpkg's.
var scriptNames = []struct{ file, deb string }{
	{"postinstall.sh", "postinst"},
	{"preremove.sh", "prerm"},
	{"postremove.sh", "postrm"},
}

// The scripts of the two packages differ only in the package's name; the
// test keeps them from drifting apart.
func TestScriptsDifferOnlyInName(t *testing.T) {
	dir := filepath.Join(testcorpus.RepoRoot(t), "packaging", "scripts")
	for _, s := range scriptNames {
		agent := readFile(t, filepath.Join(dir, "memledger-agent", s.file))
		collector := readFile(t, filepath.Join(dir, "memledger-collector", s.file))
		if want := bytes.ReplaceAll(agent, []byte("memledger-agent"), []byte("memledger-collector")); !bytes.Equal(collector, want) {
			t.Errorf("%s: the collector's script differs from the agent's by more than the name; keep them in step", s.file)
		}
		for _, pkg := range []string{"memledger-agent", "memledger-collector"} {
			fi, err := os.Stat(filepath.Join(dir, pkg, s.file))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s/%s is not executable", pkg, s.file)
			}
		}
	}
}

// scratchRoot makes a root tree with the files useradd and systemctl need.
func scratchRoot(t *testing.T, unit string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"etc/passwd":                     "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":                      "root:x:0:\n",
		"etc/shadow":                     "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":                    "root:*::\n",
		"usr/sbin/nologin":               "#!/bin/sh\nexit 1\n",
		"usr/lib/systemd/system/" + unit: "[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(name, "usr/sbin/") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
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

// TestScriptsInScratchRoot runs the maintainer scripts the way dpkg --root
// --force-script-chrootless does (DPKG_ROOT set), with both deb and rpm
// arguments, and checks the user, the enablement and the state directory.
func TestScriptsInScratchRoot(t *testing.T) {
	needRoot(t)
	needTool(t, "systemctl")
	needTool(t, "useradd")
	dir := filepath.Join(testcorpus.RepoRoot(t), "packaging", "scripts")

	const userLine = "memledger:x:%s:%s:memledger inventory:/var/lib/memledger:/usr/sbin/nologin"
	type state struct {
		user, group, enabled, ledger bool
	}
	tests := []struct {
		name    string
		script  string
		args    []string
		before  state
		want    state
		wantErr bool
		output  string // substring of the output, if any
	}{
		{name: "deb first install", script: "postinstall.sh", args: []string{"configure", ""},
			want: state{user: true, group: true, enabled: true}},
		{name: "deb upgrade keeps an admin's disable", script: "postinstall.sh", args: []string{"configure", "1.0.0"},
			before: state{user: true, group: true}, want: state{user: true, group: true}},
		{name: "deb upgrade keeps enabled", script: "postinstall.sh", args: []string{"configure", "1.0.0"},
			before: state{user: true, group: true, enabled: true}, want: state{user: true, group: true, enabled: true}},
		{name: "deb reinstall after removal: user exists", script: "postinstall.sh", args: []string{"configure", ""},
			before: state{user: true, group: true, ledger: true}, want: state{user: true, group: true, enabled: true, ledger: true}},
		{name: "group left over without user", script: "postinstall.sh", args: []string{"configure", ""},
			before: state{group: true}, want: state{user: true, group: true, enabled: true}},
		{name: "deb abort-upgrade changes nothing", script: "postinstall.sh", args: []string{"abort-upgrade", "1.0.0"}},
		{name: "rpm first install", script: "postinstall.sh", args: []string{"1"},
			want: state{user: true, group: true, enabled: true}},
		{name: "rpm upgrade keeps an admin's disable", script: "postinstall.sh", args: []string{"2"},
			before: state{user: true, group: true}, want: state{user: true, group: true}},
		{name: "postinstall unknown argument", script: "postinstall.sh", args: []string{"bogus"}, wantErr: true, output: "unknown argument 'bogus'"},

		{name: "deb remove disables", script: "preremove.sh", args: []string{"remove"},
			before: state{user: true, group: true, enabled: true, ledger: true}, want: state{user: true, group: true, ledger: true}},
		{name: "deb upgrade leaves enabled", script: "preremove.sh", args: []string{"upgrade", "1.1.0"},
			before: state{user: true, group: true, enabled: true}, want: state{user: true, group: true, enabled: true}},
		{name: "rpm erase disables", script: "preremove.sh", args: []string{"0"},
			before: state{user: true, group: true, enabled: true, ledger: true}, want: state{user: true, group: true, ledger: true}},
		{name: "rpm upgrade leaves enabled", script: "preremove.sh", args: []string{"1"},
			before: state{user: true, group: true, enabled: true}, want: state{user: true, group: true, enabled: true}},
		{name: "preremove unknown argument", script: "preremove.sh", args: []string{"bogus"}, wantErr: true, output: "unknown argument"},

		{name: "deb remove keeps ledger and user", script: "postremove.sh", args: []string{"remove"},
			before: state{user: true, group: true, ledger: true}, want: state{user: true, group: true, ledger: true}},
		{name: "deb purge keeps ledger and user", script: "postremove.sh", args: []string{"purge"},
			before: state{user: true, group: true, ledger: true}, want: state{user: true, group: true, ledger: true},
			output: "kept"},
		{name: "rpm erase keeps ledger and user", script: "postremove.sh", args: []string{"0"},
			before: state{user: true, group: true, ledger: true}, want: state{user: true, group: true, ledger: true}},
		{name: "deb upgrade", script: "postremove.sh", args: []string{"upgrade", "1.1.0"},
			before: state{user: true, group: true, ledger: true}, want: state{user: true, group: true, ledger: true}},
		{name: "postremove unknown argument", script: "postremove.sh", args: []string{"bogus"}, wantErr: true, output: "unknown argument"},
	}
	for _, p := range pkgs {
		unit := p.name + ".service"
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				root := scratchRoot(t, unit)
				if tt.before.group {
					appendFile(t, filepath.Join(root, "etc/group"), "memledger:x:990:\n")
					appendFile(t, filepath.Join(root, "etc/gshadow"), "memledger:!::\n")
				}
				if tt.before.user {
					appendFile(t, filepath.Join(root, "etc/passwd"), fmt.Sprintf(userLine+"\n", "990", "990"))
					appendFile(t, filepath.Join(root, "etc/shadow"), "memledger:!:19000::::::\n")
				}
				if tt.before.enabled {
					wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
					if err := os.MkdirAll(wants, 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.Symlink("/usr/lib/systemd/system/"+unit, filepath.Join(wants, unit)); err != nil {
						t.Fatal(err)
					}
				}
				ledger := filepath.Join(root, "var/lib/memledger/ledger.db")
				if tt.before.ledger {
					if err := os.MkdirAll(filepath.Dir(ledger), 0o750); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(ledger, []byte("precious"), 0o600); err != nil {
						t.Fatal(err)
					}
				}

				out, err := runErr(t, []string{"DPKG_ROOT=" + root}, "sh", append([]string{filepath.Join(dir, p.name, tt.script)}, tt.args...)...)
				if (err != nil) != tt.wantErr {
					t.Fatalf("%s %q: err = %v, want error %v\n%s", tt.script, tt.args, err, tt.wantErr, out)
				}
				if !strings.Contains(out, tt.output) {
					t.Errorf("output lacks %q:\n%s", tt.output, out)
				}

				users := dbLines(t, root, "passwd", "memledger")
				groups := dbLines(t, root, "group", "memledger")
				if got := len(users) == 1; got != tt.want.user || len(users) > 1 {
					t.Errorf("passwd has %q, want the memledger user: %v", users, tt.want.user)
				}
				if got := len(groups) == 1; got != tt.want.group || len(groups) > 1 {
					t.Errorf("group has %q, want the memledger group: %v", groups, tt.want.group)
				}
				if len(users) == 1 && len(groups) == 1 {
					gid := strings.Split(groups[0], ":")[2]
					uid := strings.Split(users[0], ":")[2]
					if want := fmt.Sprintf(userLine, uid, gid); users[0] != want {
						t.Errorf("user %q, want %q (system user, home /var/lib/memledger, no login, group memledger)", users[0], want)
					}
					if n, err := strconv.Atoi(uid); err != nil || n >= 1000 || n == 0 {
						t.Errorf("uid %s is not a system uid", uid)
					}
				}
				if got := enabled(root, unit); got != tt.want.enabled {
					t.Errorf("%s enabled = %v, want %v\n%s", unit, got, tt.want.enabled, out)
				}
				if tt.want.ledger {
					if b, err := os.ReadFile(ledger); err != nil || string(b) != "precious" {
						t.Errorf("ledger after %s %q: %q, %v; it must never be touched", tt.script, tt.args, b, err)
					}
				}
				if !tt.before.ledger {
					// Nothing but systemd creates the state directory.
					if _, err := os.Stat(filepath.Dir(ledger)); err == nil {
						t.Errorf("the script created /var/lib/memledger; StateDirectory= does that, with the right owner")
					}
				}
			})
		}
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestScriptsWithSystemd checks what the scripts ask systemctl on a live
// system (daemon-reload, enable, try-restart, stop, disable) and on one
// without a running systemd. It fakes /run/systemd/system in a private
// mount namespace (unshare) and replaces systemctl, getent, groupadd and
// useradd with stubs in PATH, so the real system is never touched.
func TestScriptsWithSystemd(t *testing.T) {
	needRoot(t)
	needTool(t, "unshare")
	if out, err := runErr(t, nil, "unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs tmpfs /run"); err != nil {
		t.Skipf("cannot make a private mount namespace to fake /run/systemd/system (%v): %s", err, out)
	}
	dir := filepath.Join(testcorpus.RepoRoot(t), "packaging", "scripts")

	tests := []struct {
		script string
		args   []string
		live   []string // systemctl calls with systemd running
		off    []string // and without
	}{
		{"postinstall.sh", []string{"configure", ""}, []string{"daemon-reload", "enable UNIT"}, []string{"enable UNIT"}},
		{"postinstall.sh", []string{"configure", "1.0.0"}, []string{"daemon-reload", "try-restart UNIT"}, nil},
		{"postinstall.sh", []string{"1"}, []string{"daemon-reload", "enable UNIT"}, []string{"enable UNIT"}},
		{"postinstall.sh", []string{"2"}, []string{"daemon-reload", "try-restart UNIT"}, nil},
		{"postinstall.sh", []string{"abort-upgrade", "1.0.0"}, nil, nil},
		{"preremove.sh", []string{"remove"}, []string{"stop UNIT", "--no-reload disable UNIT"}, []string{"--no-reload disable UNIT"}},
		{"preremove.sh", []string{"upgrade", "1.1.0"}, nil, nil},
		{"preremove.sh", []string{"failed-upgrade", "1.0.0", "1.1.0"}, nil, nil},
		{"preremove.sh", []string{"0"}, []string{"stop UNIT", "--no-reload disable UNIT"}, []string{"--no-reload disable UNIT"}},
		{"preremove.sh", []string{"1"}, nil, nil},
		{"postremove.sh", []string{"remove"}, []string{"daemon-reload"}, nil},
		{"postremove.sh", []string{"purge"}, []string{"daemon-reload"}, nil},
		{"postremove.sh", []string{"upgrade", "1.1.0"}, nil, nil},
		{"postremove.sh", []string{"0"}, []string{"daemon-reload"}, nil},
		{"postremove.sh", []string{"1"}, nil, nil},
	}
	for _, p := range pkgs {
		unit := p.name + ".service"
		for _, tt := range tests {
			for _, live := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s %s/live=%v", p.name, tt.script, strings.Join(tt.args, " "), live)
				t.Run(name, func(t *testing.T) {
					stubs := t.TempDir()
					log := filepath.Join(stubs, "calls")
					write := func(name, body string) {
						if err := os.WriteFile(filepath.Join(stubs, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
							t.Fatal(err)
						}
					}
					write("systemctl", `echo "$*" >>`+shellQuote(log))
					write("getent", "exit 0") // the user exists
					write("groupadd", `echo "unexpected groupadd $*" >&2; exit 99`)
					write("useradd", `echo "unexpected useradd $*" >&2; exit 99`)
					setup := "mount -t tmpfs tmpfs /run"
					if live {
						setup += " && mkdir -p /run/systemd/system"
					}
					args := append([]string{"--mount", "--propagation", "private", "sh", "-c", setup + ` && exec sh "$@"`, "sh",
						filepath.Join(dir, p.name, tt.script)}, tt.args...)
					out, err := runErr(t, []string{"PATH=" + stubs + ":" + os.Getenv("PATH")}, "unshare", args...)
					if err != nil {
						t.Fatalf("%v\n%s", err, out)
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
						wantCalls = append(wantCalls, strings.ReplaceAll(w, "UNIT", unit))
					}
					if !slices.Equal(calls, wantCalls) {
						t.Errorf("systemctl calls %q, want %q\n%s", calls, wantCalls, out)
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
	pkgVersion   = "1.2.3~rc1"
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
		return filepath.Join(dist, fmt.Sprintf("%s_%s_%s.deb", p.name, pkgVersion, debArch))
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
	t.Run("deb/install", func(t *testing.T) { checkDebInstall(t, debPath(pkgs[0]), debPath(pkgs[1])) })
}

func checkDeb(t *testing.T, root string, p pkgSpec, deb string) {
	fields := map[string]string{
		"Package":      p.name,
		"Version":      pkgVersion,
		"Architecture": runtime.GOARCH,
		"Depends":      "passwd",
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
	for _, s := range scriptNames {
		if !regexp.MustCompile(`(?m)^\s+\d+ bytes,\s+\d+ lines\s+\*\s+` + s.deb + `\s+#!/bin/sh$`).MatchString(info) {
			t.Errorf("dpkg-deb --info lists no executable %s:\n%s", s.deb, info)
		}
		got := run(t, nil, "dpkg-deb", "--info", deb, s.deb)
		want := readFile(t, filepath.Join(root, "packaging", "scripts", p.name, s.file))
		if got != string(want) {
			t.Errorf("%s is not packaging/scripts/%s/%s", s.deb, p.name, s.file)
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
	want := map[string]entry{
		"/usr/bin/" + p.name:                             {"-rwxr-xr-x", "root/root"},
		"/usr/lib/systemd/system/" + p.name + ".service": {"-rw-r--r--", "root/root"},
		"/etc/memledger/" + p.config:                     {"-rw-r--r--", "root/root"},
	}
	for path, w := range want {
		if g, ok := got[path]; !ok {
			t.Errorf("the deb lacks %s", path)
		} else if g != w {
			t.Errorf("%s: %s %s, want %s %s", path, g.mode, g.owner, w.mode, w.owner)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("the deb carries unexpected %s", path)
		}
	}
	for _, src := range []struct{ inPkg, repo string }{
		{"./usr/lib/systemd/system/" + p.name + ".service", "packaging/systemd/" + p.name + ".service"},
		{"./etc/memledger/" + p.config, "packaging/config/" + p.config},
	} {
		if got := run(t, nil, "sh", "-c", `dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2"`, "sh", deb, src.inPkg); got != string(readFile(t, filepath.Join(root, src.repo))) {
			t.Errorf("%s in the deb is not %s", src.inPkg, src.repo)
		}
	}
}

// checkDebInstall installs both debs into a scratch root with dpkg --root
// and walks an administrator's life cycle: install, disable and edit,
// upgrade, remove, purge.
func checkDebInstall(t *testing.T, agentDeb, collectorDeb string) {
	needTool(t, "dpkg")
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc", "usr/sbin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The packages depend on passwd (useradd); the scratch root has no
	// packages, so record a stand-in for it.
	status := "Package: passwd\nStatus: install ok installed\nPriority: required\nSection: admin\nMaintainer: stand-in <none@localhost>\nArchitecture: " + runtime.GOARCH + "\nVersion: 1:4.13\nDescription: stand-in for the tests\n\n"
	files := map[string]string{
		"var/lib/dpkg/status":           status,
		"var/lib/dpkg/info/passwd.list": "",
		"etc/passwd":                    "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":                     "root:x:0:\n",
		"etc/shadow":                    "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":                   "root:*::\n",
		"usr/sbin/nologin":              "#!/bin/sh\nexit 1\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dpkg := func(args ...string) string {
		t.Helper()
		// --force-script-chrootless: dpkg runs the scripts without chroot,
		// with DPKG_ROOT set, which the scripts honour. --force-not-root
		// lets the unpack work for a non-root user too.
		return run(t, nil, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--force-not-root", "--log=/dev/null"}, args...)...)
	}
	exists := func(p string) bool { _, err := os.Lstat(filepath.Join(root, p)); return err == nil }

	if os.Geteuid() != 0 {
		// Without root, useradd --prefix fails: check the unpacked files
		// only.
		dpkg("--unpack", agentDeb, collectorDeb)
		for _, p := range pkgs {
			for _, f := range []string{"usr/bin/" + p.name, "usr/lib/systemd/system/" + p.name + ".service", "etc/memledger/" + p.config} {
				if !exists(f) {
					t.Errorf("%s did not land in the scratch root", f)
				}
			}
		}
		t.Skip("not root: unpacked only; the maintainer scripts need root (useradd --prefix)")
	}

	dpkg("--install", agentDeb, collectorDeb)
	for _, p := range pkgs {
		if st := run(t, nil, "dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-f", "${Status} ${Version}", "-W", p.name); st != "install ok installed "+pkgVersion {
			t.Errorf("%s status %q, want installed %s", p.name, st, pkgVersion)
		}
		for f, mode := range map[string]os.FileMode{
			"usr/bin/" + p.name:                             0o755,
			"usr/lib/systemd/system/" + p.name + ".service": 0o644,
			"etc/memledger/" + p.config:                     0o644,
		} {
			fi, err := os.Stat(filepath.Join(root, f))
			if err != nil {
				t.Errorf("%s did not land: %v", f, err)
			} else if fi.Mode().Perm() != mode {
				t.Errorf("%s mode %v, want %v", f, fi.Mode().Perm(), mode)
			}
		}
		if !enabled(root, p.name+".service") {
			t.Errorf("%s.service not enabled after the first install", p.name)
		}
	}
	if u := dbLines(t, root, "passwd", "memledger"); len(u) != 1 || !strings.HasSuffix(u[0], ":memledger inventory:/var/lib/memledger:/usr/sbin/nologin") {
		t.Errorf("passwd: %q, want one memledger system user", u)
	}
	if g := dbLines(t, root, "group", "memledger"); len(g) != 1 {
		t.Errorf("group: %q, want one memledger group", g)
	}
	if exists("var/lib/memledger") {
		t.Error("install created /var/lib/memledger; StateDirectory= does")
	}

	// The administrator disables the agent and edits its config; systemd
	// has created the state directory and the collector its ledger.
	if err := os.Remove(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/memledger-agent.service")); err != nil {
		t.Fatal(err)
	}
	agentYAML := filepath.Join(root, "etc/memledger/agent.yaml")
	edited := string(readFile(t, agentYAML)) + "# edited by the administrator\n"
	if err := os.WriteFile(agentYAML, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(root, "var/lib/memledger/ledger.db")
	if err := os.MkdirAll(filepath.Dir(ledger), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ledger, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Upgrade (the same version again runs the same upgrade paths).
	dpkg("--install", agentDeb, collectorDeb)
	if enabled(root, "memledger-agent.service") {
		t.Error("the upgrade enabled the agent the administrator had disabled")
	}
	if !enabled(root, "memledger-collector.service") {
		t.Error("the upgrade disabled the collector")
	}
	if got := string(readFile(t, agentYAML)); got != edited {
		t.Error("the upgrade replaced the administrator's agent.yaml")
	}

	// Remove the collector: its files go, its conffile, the ledger and the
	// user stay.
	dpkg("--remove", "memledger-collector")
	for f, want := range map[string]bool{
		"usr/bin/memledger-collector":                                            false,
		"usr/lib/systemd/system/memledger-collector.service":                     false,
		"etc/systemd/system/multi-user.target.wants/memledger-collector.service": false,
		"etc/memledger/collector.yaml":                                           true,
		"usr/bin/memledger-agent":                                                true,
	} {
		if exists(f) != want {
			t.Errorf("after removing the collector: %s exists = %v, want %v", f, !want, want)
		}
	}
	// Purge: the conffile goes; the ledger and the user never do.
	out := dpkg("--purge", "memledger-collector")
	if exists("etc/memledger/collector.yaml") {
		t.Error("purge left collector.yaml")
	}
	if b, err := os.ReadFile(ledger); err != nil || string(b) != "precious" {
		t.Errorf("ledger after purge: %q, %v; it must survive", b, err)
	}
	if len(dbLines(t, root, "passwd", "memledger")) != 1 {
		t.Error("purge removed the memledger user")
	}
	if !strings.Contains(out, "kept") {
		t.Errorf("purge does not say what it kept:\n%s", out)
	}
	if !exists("etc/memledger/agent.yaml") {
		t.Error("purging the collector removed the agent's config")
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
	for tag, file := range map[uint32]string{tagPostIn: "postinstall.sh", tagPreUn: "preremove.sh", tagPostUn: "postremove.sh"} {
		if got, want := h.str(tag), string(readFile(t, filepath.Join(root, "packaging", "scripts", p.name, file))); strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("rpm scriptlet %d is not packaging/scripts/%s/%s:\n%s", tag, p.name, file, got)
		}
	}
	if req := h.strs[tagRequireName]; !slices.Contains(req, "/usr/sbin/useradd") || !slices.Contains(req, "/usr/sbin/groupadd") {
		t.Errorf("Requires %q, want /usr/sbin/useradd and /usr/sbin/groupadd", req)
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
	want := map[string]file{
		"/usr/bin/" + p.name:                             {0o755, 0, "root/root"},
		"/usr/lib/systemd/system/" + p.name + ".service": {0o644, 0, "root/root"},
		"/etc/memledger/" + p.config:                     {0o644, rpmFileConfig | rpmFileNoReplace, "root/root"},
	}
	for path, w := range want {
		g, ok := got[path]
		switch {
		case !ok:
			t.Errorf("the rpm lacks %s", path)
		case g.mode != w.mode || g.owner != w.owner:
			t.Errorf("%s: %o %s, want %o %s", path, g.mode, g.owner, w.mode, w.owner)
		case g.flags&(rpmFileConfig|rpmFileNoReplace) != w.flags:
			t.Errorf("%s: file flags %#x, want config|noreplace = %#x", path, g.flags, w.flags)
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
