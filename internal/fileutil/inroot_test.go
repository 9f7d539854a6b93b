package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// inRootTree builds, in a temp dir, a host tree "root" and beside it an
// "outside" dir holding files of the same names with other content, and
// links in the tree that would lead there if followed from this machine's
// root: absolute ones and ones climbing with "..".
func inRootTree(t *testing.T) (root *os.Root, outside string) {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	write := func(p, content string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"usr/lib/os-release", "data/id", "data/list/a"} {
		write(filepath.Join(dir, name), "tree "+name)
		write(filepath.Join(outside, name), "outside "+name)
	}
	// Absolute: read from here it is outside's file; chrooted, the tree's.
	ln(filepath.Join(outside, "usr/lib/os-release"), "etc/abs-outside")
	ln("/usr/lib/os-release", "etc/os-release")
	// Climbing out: "../.." from root/etc/x is base, then outside/data/id.
	ln("../../outside/data/id", "etc/up-outside")
	ln("../../../../../../data/id", "etc/up-root")
	ln("/data/list", "etc/listdir")
	ln("/etc/self", "etc/self") // a loop once chrooted
	if err := syscall.Mkfifo(filepath.Join(dir, "etc/fifo"), 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	ln("/etc/fifo", "etc/fifo-link")
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, outside
}

// bothResolvers runs test with the kernel's resolution (openat2, where
// the kernel has it) and with the walk, which must agree.
func bothResolvers(t *testing.T, test func(t *testing.T)) {
	for _, kernel := range []bool{true, false} {
		name := "walk"
		if kernel {
			name = "kernel"
		}
		t.Run(name, func(t *testing.T) {
			defer func(was bool) { kernelResolve = was }(kernelResolve)
			kernelResolve = kernel
			test(t)
		})
	}
}

func TestReadFileInRoot(t *testing.T) { bothResolvers(t, testReadFileInRoot) }

func testReadFileInRoot(t *testing.T) {
	root, outside := inRootTree(t)
	tests := []struct {
		rel, want string
		err       error  // errors.Is
		errText   string // in the message
	}{
		{rel: "etc/os-release", want: "tree usr/lib/os-release"},
		{rel: "/etc//./os-release", want: "tree usr/lib/os-release"},
		{rel: "etc/up-root", want: "tree data/id"},
		// A link naming the outside directory by its absolute path leads,
		// chrooted, to a path that does not exist in the tree.
		{rel: "etc/abs-outside", err: fs.ErrNotExist, errText: "open /etc/abs-outside"},
		{rel: "etc/up-outside", err: fs.ErrNotExist, errText: "open /etc/up-outside"},
		{rel: "etc/self", err: syscall.ELOOP, errText: "open /etc/self"},
		{rel: "etc/missing", err: fs.ErrNotExist, errText: "open /etc/missing"},
		{rel: "etc/os-release/x", err: syscall.ENOTDIR, errText: "open /etc/os-release/x"},
		{rel: "etc", errText: "read /etc"},
		{rel: "etc/fifo-link", want: ""}, // no writer: empty, never a hang
	}
	for _, tc := range tests {
		done := make(chan struct{})
		var (
			got []byte
			err error
		)
		go func() {
			defer close(done)
			got, err = ReadFileInRoot(root, tc.rel, 1<<10)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadFileInRoot(%q) blocked", tc.rel)
		}
		if tc.err != nil || tc.errText != "" {
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) || !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("ReadFileInRoot(%q) = %q, %v; want error %v containing %q", tc.rel, got, err, tc.err, tc.errText)
			}
			if err != nil && strings.Contains(err.Error(), outside) {
				t.Errorf("ReadFileInRoot(%q) error %v names a path outside the root", tc.rel, err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("ReadFileInRoot(%q) = %q, %v; want %q", tc.rel, got, err, tc.want)
		}
	}
	if _, err := ReadFileInRoot(root, "etc/os-release", 4); err == nil || err.Error() != "read /etc/os-release: larger than 4 bytes" {
		t.Errorf("over the limit: %v, want the size error naming /etc/os-release", err)
	}
}

func TestReadDirAndStatInRoot(t *testing.T) { bothResolvers(t, testReadDirAndStatInRoot) }

func testReadDirAndStatInRoot(t *testing.T) {
	root, _ := inRootTree(t)
	ents, err := ReadDirInRoot(root, "etc/listdir")
	if err != nil || len(ents) != 1 || ents[0].Name() != "a" {
		t.Fatalf("ReadDirInRoot(etc/listdir) = %v, %v; want the tree's data/list", ents, err)
	}
	ents, err = ReadDirInRoot(root, "etc")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "abs-outside fifo fifo-link listdir os-release self up-outside up-root" {
		t.Errorf("ReadDirInRoot(etc) = %s, want every entry sorted", got)
	}
	if _, err := ReadDirInRoot(root, "etc/os-release"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("ReadDirInRoot of a file: %v, want ENOTDIR", err)
	}
	fi, err := StatInRoot(root, "etc/os-release")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len("tree usr/lib/os-release")) {
		t.Errorf("StatInRoot(etc/os-release) = %v, %v; want the tree's regular file", fi, err)
	}
	if _, err := StatInRoot(root, "etc/up-outside"); !errors.Is(err, fs.ErrNotExist) || err.Error() != "stat /etc/up-outside: no such file or directory" {
		t.Errorf("StatInRoot(etc/up-outside) error = %v, want not found, named as the host names it", err)
	}
}
