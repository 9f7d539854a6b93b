package packaging_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/memledger/memledger/internal/testcorpus"
)

// fleetSteps returns the command lines of README.md's "Install on a fleet"
// section: every line of its ```sh blocks, in order, without trailing
// comments. The test runs exactly these, so README and test cannot drift.
func fleetSteps(readme string) ([]string, error) {
	const heading = "\n## Install on a fleet\n"
	start := strings.Index(readme, heading)
	if start < 0 {
		return nil, errors.New(`README.md has no "## Install on a fleet" section`)
	}
	section := readme[start+len(heading):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	comment := regexp.MustCompile(`\s+#\s.*$`)
	var steps []string
	inBlock := false
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "```sh"):
			inBlock = true
		case strings.HasPrefix(line, "```"):
			inBlock = false
		case inBlock:
			if l := strings.TrimSpace(comment.ReplaceAllString(line, "")); l != "" {
				steps = append(steps, l)
			}
		}
	}
	if len(steps) == 0 {
		return nil, errors.New(`README.md's "Install on a fleet" has no sh blocks`)
	}
	return steps, nil
}

func TestFleetSteps(t *testing.T) {
	steps, err := fleetSteps(string(readFile(t, filepath.Join(testcorpus.RepoRoot(t), "README.md"))))
	if err != nil {
		t.Fatal(err)
	}
	// The install needs at least these; the order is README's.
	for _, want := range []string{"sudo apt install ./memledger-collector_", "ca init", "enroll-token create", "sudo systemctl start memledger-collector", "memledger-agent enroll", "sudo systemctl start memledger-agent", "hosts"} {
		if !slices.ContainsFunc(steps, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no step with %q in %q", want, steps)
		}
	}
	if _, err := fleetSteps("# x\n## Install on a fleet\n\n    sudo true\n## Next\n"); err == nil {
		t.Error("a section without sh blocks was accepted")
	}
}

// The edits an administrator makes with sudoedit, as README's comments on
// those lines say. A sudoedit of any other file fails the test.
var fleetEdits = map[string]func(string) string{
	// Defaults kept: SQLite in the state directory, no policy.
	"/etc/memledger/collector.yaml": func(s string) string { return s },
	"/etc/memledger/agent.yaml": func(s string) string {
		s = regexp.MustCompile(`(?m)^collector: .*$`).ReplaceAllString(s, "collector: ledger.internal:7420")
		return regexp.MustCompile(`(?m)^label: \[\]$`).ReplaceAllString(s, "label: [site=fra1, cii=true]")
	},
}

// sudoStandIn runs README's sudo lines as the test (root) can: `sudo -u
// USER CMD...` as USER with USER's groups and nothing else, `sudo CMD...`
// as root.
const sudoStandIn = `#!/bin/sh
if [ "$1" = -u ]; then
	user=$2
	shift 2
	exec setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --init-groups "$@"
fi
exec "$@"
`

// fleetHost is a scratch root with the debs installed by dpkg --root, seen
// by the steps through a private mount and network namespace: the root's
// /etc and /var/lib are mounted on /etc and /var/lib, its /usr/bin comes
// first in PATH, ledger.internal is 127.0.0.1, and only loopback exists.
type fleetHost struct {
	*dpkgRoot
	t      *testing.T
	holder *exec.Cmd // owns the namespaces
	bin    string    // stand-ins for sudo
	env    []string  // TOKEN and FINGERPRINT once known
}

func newFleetHost(t *testing.T) *fleetHost {
	t.Helper()
	h := &fleetHost{dpkgRoot: newDpkgRoot(t, true), t: t, bin: t.TempDir()}
	// The service users run binaries and a notify socket under the test's
	// temporary directories (0700 by default).
	for _, d := range []string{h.dir, filepath.Dir(h.dir), h.bin, filepath.Dir(h.bin)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(h.bin, "sudo"), []byte(sudoStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(h.dir, "etc/hosts"), "127.0.0.1 ledger.internal\n")
	if !h.exists("etc/machine-id") || len(bytes.TrimSpace(readFile(t, filepath.Join(h.dir, "etc/machine-id")))) == 0 {
		// A booted host has one; the agent's host id defaults to it.
		if err := os.WriteFile(filepath.Join(h.dir, "etc/machine-id"), []byte("5f1d6e0a2b3c4d5e6f708192a3b4c5d6\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	setup := fmt.Sprintf("mount --bind %s /etc && mount --bind %s /var/lib && ip link set lo up && echo ready && exec sleep 3600",
		shellQuote(filepath.Join(h.dir, "etc")), shellQuote(filepath.Join(h.dir, "var/lib")))
	h.holder = exec.Command("unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", setup)
	out, err := h.holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	h.holder.Stderr = &stderr
	if err := h.holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.holder.Process.Kill(); _ = h.holder.Wait() })
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Skipf("cannot make a private mount and network namespace (unshare, mount --bind, ip): %q %v %s", line, err, stderr.String())
	}
	return h
}

// command returns cmd run inside the host's namespaces.
func (h *fleetHost) command(name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(h.t.Context(), "nsenter", append([]string{"--target", strconv.Itoa(h.holder.Process.Pid), "--mount", "--net", "--", name}, args...)...)
	cmd.Env = append([]string{
		"PATH=" + h.bin + ":" + filepath.Join(h.dir, "usr/bin") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "LC_ALL=C",
	}, h.env...)
	return cmd
}

// shell runs a README line with sh and returns its standard output and
// error.
func (h *fleetHost) shell(line string) (stdout, stderr string, err error) {
	cmd := h.command("sh", "-c", line)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// start does what `systemctl start UNIT` does with the unit file the
// package installed, without systemd: the state directory with its owner
// and mode, then ExecStart as User= and Group= with UMask= and
// AmbientCapabilities=, NOTIFY_SOCKET set, waiting for READY=1
// (Type=notify). ExecStart's /usr/bin is the scratch root's.
func (h *fleetHost) start(unit string) {
	t := h.t
	t.Helper()
	entries, err := parseUnit(readFile(t, filepath.Join(h.dir, "usr/lib/systemd/system", unit+".service")))
	if err != nil {
		t.Fatal(err)
	}
	get := func(key string) string {
		v := values(entries, "Service", key)
		if len(v) != 1 {
			t.Fatalf("%s: [Service] %s = %q, want one value", unit, key, v)
		}
		return v[0]
	}
	if get("Type") != "notify" {
		t.Fatalf("%s: Type=%s; start knows notify only", unit, get("Type"))
	}
	uid, gid := h.ids(get("User"))
	if g := dbLines(t, h.dir, "group", get("Group")); len(g) != 1 || strings.Split(g[0], ":")[2] != strconv.Itoa(gid) {
		t.Fatalf("%s: Group=%s is not User's primary group: %q", unit, get("Group"), g)
	}
	state := filepath.Join(h.dir, "var/lib", get("StateDirectory"))
	mode, err := strconv.ParseUint(get("StateDirectoryMode"), 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(state, os.FileMode(mode)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(state, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, os.FileMode(mode)); err != nil {
		t.Fatal(err)
	}

	args := []string{fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", gid), "--init-groups"}
	if caps := values(entries, "Service", "AmbientCapabilities"); len(caps) == 1 && caps[0] != "" {
		var set []string
		for _, c := range strings.Fields(caps[0]) {
			set = append(set, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
		}
		args = append(args, "--inh-caps="+strings.Join(set, ","), "--ambient-caps="+strings.Join(set, ","))
	}
	execStart := strings.Fields(get("ExecStart"))
	execStart[0] = filepath.Join(h.dir, execStart[0])
	args = append(args, "--", "sh", "-c", `umask "$0" && exec "$@"`, get("UMask"))
	args = append(args, execStart...)

	sockDir := t.TempDir()
	if err := os.Chmod(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sockPath := filepath.Join(sockDir, "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	if err := os.Chmod(sockPath, 0o777); err != nil {
		t.Fatal(err)
	}

	cmd := h.command("setpriv", args...)
	cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+sockPath)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		t.Logf("%s log:\n%s", unit, log.String())
	})
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				ready <- err
				return
			}
			if slices.Contains(strings.Split(string(buf[:n]), "\n"), "READY=1") {
				ready <- nil
				return
			}
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("%s: notify socket: %v", unit, err)
		}
	case err := <-exited:
		exited <- err
		t.Fatalf("%s exited before READY=1: %v", unit, err)
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s sent no READY=1 within 2 minutes", unit)
	}
}

// checkReadmeInstall runs README's "Install on a fleet" as written on one
// scratch host that is both collector and agent: its sudo lines as the
// service users, `apt install` as dpkg --root, `systemctl start` as the
// unit's ExecStart under its User=, sudoedit as the edit its comment asks
// for. It ends with the agent enrolled and its report in the ledger, and
// checks that the agent's user cannot read the collector's secrets.
func checkReadmeInstall(t *testing.T, repo string, debs map[string]string) {
	if os.Geteuid() != 0 {
		t.Skip("not root: the steps need users, chown and namespaces")
	}
	needPackageTools(t)
	for _, tool := range []string{"unshare", "nsenter", "setpriv", "ip", "openssl", "install"} {
		needTool(t, tool)
	}
	steps, err := fleetSteps(string(readFile(t, filepath.Join(repo, "README.md"))))
	if err != nil {
		t.Fatal(err)
	}
	h := newFleetHost(t)
	hostID := "" // from the agent's enroll

	aptInstall := regexp.MustCompile(`^sudo apt install \./(memledger-[a-z]+)_\S+\.deb$`)
	sudoedit := regexp.MustCompile(`^sudoedit (\S+)$`)
	systemctlStart := regexp.MustCompile(`^sudo systemctl start (\S+)$`)
	fingerprint := regexp.MustCompile(`CA SHA-256 fingerprint \(agents: --ca-sha256\): ([0-9a-f]{64})`)
	enrolled := regexp.MustCompile(`(?m)^enrolled host (\S+):`)
	for _, step := range steps {
		t.Logf("$ %s", step)
		switch m := []([]string){aptInstall.FindStringSubmatch(step), sudoedit.FindStringSubmatch(step), systemctlStart.FindStringSubmatch(step)}; {
		case strings.HasPrefix(step, "packaging/build.sh "):
			// TestPackages built the debs with it.
		case m[0] != nil:
			deb, ok := debs[m[0][1]]
			if !ok {
				t.Fatalf("README installs %s, which build.sh does not make", m[0][1])
			}
			h.dpkg("--install", deb)
		case m[1] != nil:
			edit, ok := fleetEdits[m[1][1]]
			if !ok {
				t.Fatalf("README edits %s: add what its comment asks to fleetEdits", m[1][1])
			}
			path := filepath.Join(h.dir, m[1][1])
			if err := os.WriteFile(path, []byte(edit(string(readFile(t, path)))), 0o644); err != nil {
				t.Fatal(err)
			}
		case m[2] != nil:
			h.start(m[2][1])
		case strings.Contains(step, " hosts"):
			// The first report arrives a moment after the agent's start.
			if hostID == "" {
				t.Fatalf("%s: no agent enrolled before it", step)
			}
			inLedger := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(hostID) + `\s`)
			var out, errOut string
			deadline := time.Now().Add(2 * time.Minute)
			for {
				out, errOut, err = h.shell(step)
				if err == nil && inLedger.MatchString(out) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no host %s in the ledger after 2 minutes: %v\n%s%s", step, hostID, err, out, errOut)
				}
				time.Sleep(time.Second)
			}
			t.Logf("%s", out)
		default:
			out, errOut, err := h.shell(step)
			if err != nil {
				t.Fatalf("%s: %v\n%s%s", step, err, out, errOut)
			}
			if m := fingerprint.FindStringSubmatch(out); m != nil {
				h.env = append(h.env, "FINGERPRINT="+m[1])
			}
			if m := enrolled.FindStringSubmatch(out); m != nil {
				hostID = m[1]
			}
			if strings.Contains(step, "enroll-token create") {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				h.env = append(h.env, "TOKEN="+lines[len(lines)-1])
			}
			t.Logf("%s%s", out, errOut)
		}
	}

	// Who owns what, and that the agent's uid reads none of it.
	collectorUID, _ := h.ids("memledger-collector")
	agentUID, _ := h.ids("memledger-agent")
	for path, want := range map[string]struct {
		uid  int
		mode os.FileMode
	}{
		"etc/memledger/tls/ca.key":                {collectorUID, 0o600},
		"etc/memledger/tls/collector.key":         {collectorUID, 0o600},
		"var/lib/memledger-collector/tokens.json": {collectorUID, 0o600},
		"var/lib/memledger-collector/ledger.db":   {collectorUID, 0o600},
		"var/lib/memledger-agent/tls/agent.key":   {agentUID, 0o600},
	} {
		uid, _, mode, err := h.owner(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		} else if uid != want.uid || mode != want.mode {
			t.Errorf("/%s: uid %d mode %v, want %d %v", path, uid, mode, want.uid, want.mode)
		}
	}
	for _, path := range []string{"/etc/memledger/tls/ca.key", "/var/lib/memledger-collector/ledger.db", "/etc/memledger/http-token"} {
		out, errOut, err := h.shell("sudo -u memledger-agent cat " + path)
		if err == nil || !strings.Contains(errOut, "Permission denied") {
			t.Errorf("the agent's user read %s: %v %q %s", path, err, out, errOut)
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

// TestCopyrightNamesNotice keeps the packages' copyright file in step with
// NOTICE: every generated file NOTICE names a data source for has its own
// Files paragraph.
func TestCopyrightNamesNotice(t *testing.T) {
	root := testcorpus.RepoRoot(t)
	notice := string(readFile(t, filepath.Join(root, "NOTICE")))
	copyright := string(readFile(t, filepath.Join(root, "packaging", "copyright")))
	files := regexp.MustCompile(`\(([a-z0-9_./-]+\.go)\)`).FindAllStringSubmatch(notice, -1)
	if len(files) == 0 {
		t.Fatal("NOTICE names no generated file in parentheses")
	}
	for _, f := range files {
		if !regexp.MustCompile(`(?m)^Files: .*\b` + regexp.QuoteMeta(f[1]) + `\b`).MatchString(copyright) {
			t.Errorf("packaging/copyright has no Files paragraph for %s, which NOTICE names", f[1])
		}
	}
	for _, want := range []string{"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", "\nLicense: Apache-2.0\n", "/usr/share/common-licenses/Apache-2.0"} {
		if !strings.Contains(copyright, want) {
			t.Errorf("packaging/copyright lacks %q", want)
		}
	}
}
