package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/internal/version"
)

func testRoot(runErr error) *cobra.Command {
	root := &cobra.Command{Use: "prog", SilenceErrors: true, SilenceUsage: true}
	sub := &cobra.Command{
		Use:  "sub ARG",
		Args: cobra.ExactArgs(1),
		RunE: func(*cobra.Command, []string) error { return runErr },
	}
	sub.Flags().Int("n", 0, "a number")
	sub.Flags().String("req", "", "required")
	_ = sub.MarkFlagRequired("req")
	root.AddCommand(sub)
	root.SetOut(new(bytes.Buffer))
	root.SetErr(new(bytes.Buffer))
	return root
}

func TestExecuteExitCodes(t *testing.T) {
	failed := errors.New("the work failed")
	for _, tt := range []struct {
		name   string
		args   []string
		runErr error
		want   int
	}{
		{"success", []string{"sub", "x", "--req", "r"}, nil, 0},
		{"failure in RunE", []string{"sub", "x", "--req", "r"}, failed, 1},
		{"usage error from RunE", []string{"sub", "x", "--req", "r"}, UsageErrorf("--format %q: want table", "xml"), 2},
		{"violations", []string{"sub", "x", "--req", "r"}, &ExitError{Code: ExitViolations}, 3},
		{"unknown flag", []string{"sub", "x", "--req", "r", "--bogus"}, nil, 2},
		{"bad flag value", []string{"sub", "x", "--req", "r", "--n", "many"}, nil, 2},
		{"missing argument", []string{"sub", "--req", "r"}, nil, 2},
		{"extra argument", []string{"sub", "x", "y", "--req", "r"}, nil, 2},
		{"required flag missing", []string{"sub", "x"}, nil, 2},
		{"unknown command", []string{"nosuch"}, nil, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Execute(context.Background(), testRoot(tt.runErr), tt.args)
			if got := ExitCode(err); got != tt.want {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.want)
			}
		})
	}
}

func TestReportPointsUsageErrorsAtHelp(t *testing.T) {
	var buf bytes.Buffer
	err := Execute(context.Background(), testRoot(nil), []string{"sub", "x", "--bogus"})
	if code := Report("prog", err, &buf); code != 2 {
		t.Fatalf("Report: %d, want 2", code)
	}
	want := "prog: unknown flag: --bogus\nRun 'prog sub --help' for usage.\n"
	if buf.String() != want {
		t.Fatalf("Report wrote %q, want %q", buf.String(), want)
	}
	buf.Reset()
	if code := Report("prog", errors.New("disk full"), &buf); code != 1 || buf.String() != "prog: disk full\n" {
		t.Fatalf("plain error: %d %q", code, buf.String())
	}
	buf.Reset()
	if code := Report("prog", errors.New("no host \"db\x1b[2J\"\nsecond line"), &buf); code != 1 || buf.String() != "prog: no host \"db\\x1b[2J\"\nsecond line\n" {
		t.Fatalf("control characters in an error: %d %q", code, buf.String())
	}
	buf.Reset()
	if code := Report("prog", &ExitError{Code: 3}, &buf); code != 3 || buf.Len() != 0 {
		t.Fatalf("silent exit 3: %d %q", code, buf.String())
	}
}

func TestVersionCommandAndFlag(t *testing.T) {
	root := testRoot(nil)
	SetVersion(root)
	var out bytes.Buffer
	root.SetOut(&out)
	if err := Execute(context.Background(), root, []string{"version"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"prog ", "commit:", "build date:", "go:         go1."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
	root = testRoot(nil)
	SetVersion(root)
	out.Reset()
	root.SetOut(&out)
	if err := Execute(context.Background(), root, []string{"--version"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "prog ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("--version: %q", out.String())
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0d18db6a1b2c3d4e5f60718293a4b5c6d7e8f901"},
		{Key: "vcs.time", Value: "2026-01-31T12:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	info := version.FromBuildInfo(bi, "", "", "")
	if info.Version != "devel" || info.Commit != "0d18db6a1b2c3d4e5f60718293a4b5c6d7e8f901" || info.Date != "2026-01-31T12:00:00Z" || !info.Modified || info.GoVersion != "go1.26.0" {
		t.Fatalf("from vcs settings: %+v", info)
	}
	if got := info.Short(); got != "devel-0d18db6a1b2c-dirty" {
		t.Errorf("Short = %q", got)
	}
	if got := info.Long("prog"); !strings.HasPrefix(got, "prog devel-0d18db6a1b2c-dirty (commit 0d18db6a1b2c-dirty, built 2026-01-31T12:00:00Z, go1.26.0 ") {
		t.Errorf("Long = %q", got)
	}
	// Link-time values win over the toolchain's.
	info = version.FromBuildInfo(bi, "1.2.0", "abc123", "2026-02-01T00:00:00Z")
	if info.Version != "1.2.0" || info.Commit != "abc123" || info.Date != "2026-02-01T00:00:00Z" || info.Modified || info.Short() != "1.2.0" {
		t.Fatalf("with ldflags: %+v", info)
	}
	if info := version.FromBuildInfo(nil, "", "", ""); info.Version != "devel" || info.Short() != "devel" {
		t.Fatalf("without build info: %+v", info)
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("started", "port", 1)
	l.Debug("hidden")
	if got := buf.String(); !strings.HasPrefix(got, `{"time":`) || !strings.Contains(got, `"msg":"started","port":1}`) || strings.Contains(got, "hidden") {
		t.Fatalf("json log: %q", got)
	}
	for _, bad := range [][2]string{{"loud", "text"}, {"info", "xml"}} {
		if _, err := NewLogger(&buf, bad[0], bad[1]); ExitCode(err) != ExitUsage {
			t.Errorf("NewLogger(%q, %q): %v, want a usage error", bad[0], bad[1], err)
		}
	}
}

func TestOutputReplacesFileOrWritesStdout(t *testing.T) {
	var stdout bytes.Buffer
	o := NewOutput("", &stdout)
	o.Write([]byte("table\n"))
	if stdout.Len() != 0 {
		t.Fatal("written before Close")
	}
	if err := o.Close(); err != nil || stdout.String() != "table\n" {
		t.Fatalf("stdout: %v %q", err, stdout.String())
	}
	path := filepath.Join(t.TempDir(), "out.csv")
	o = NewOutput(path, &stdout)
	o.Write([]byte("a,b\n"))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "a,b\n" {
		t.Fatalf("file holds %q", b)
	}
	o = NewOutput(filepath.Join(t.TempDir(), "no", "such", "dir", "x"), &stdout)
	if err := o.Close(); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Fatalf("unwritable output: %v", err)
	}
}
