package fileutil

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestWriteAtomicAndSyncDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteAtomic(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(path, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "two" {
		t.Errorf("after two writes: %q, %v", b, err)
	}
	if err := SyncDir(dir); err != nil {
		t.Errorf("sync of a directory: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if err := SyncDir(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("sync of a missing directory: %v, want an error naming it", err)
	}
}

// TestWriteAtomicWritesSpecialFilesInPlace: "-o /dev/null" or "-o
// /dev/stdout" once renamed a regular file over the device node or the
// link, which as root replaced the system's /dev/null.
func TestWriteAtomicWritesSpecialFilesInPlace(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "stdout") // as /dev/stdout -> /proc/self/fd/1
	if err := os.Symlink("fifo", link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, link} {
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- string(b)
		}()
		if err := WriteAtomic(path, []byte("through the pipe"), 0o644); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Fatalf("after writing %s: the FIFO is %s; want a FIFO still", path, describe(fi, err))
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("after writing %s: the link is %s; want a symbolic link still", path, describe(fi, err))
		}
		if s := <-got; s != "through the pipe" {
			t.Errorf("writing %s: the FIFO's reader got %q, want %q", path, s, "through the pipe")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("directory holds %d entries after the writes, want 2 (no temporary file left)", len(entries))
	}
}

// describe gives the mode of an Lstat result, or its error.
func describe(fi os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return "mode " + fi.Mode().String()
}
