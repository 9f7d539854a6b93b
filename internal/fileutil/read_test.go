package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFileLimit(small, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("file of exactly the limit: %q, %v", b, err)
	}
	if _, err := ReadFileLimit(small, 9); err == nil || !strings.Contains(err.Error(), small+": larger than 9 bytes") {
		t.Errorf("file over the limit: %v, want an error naming it and the limit", err)
	}
	// A device that never ends is refused after limit+1 bytes.
	if _, err := ReadFileLimit("/dev/zero", 1<<20); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("/dev/zero: %v, want larger than 1 MiB", err)
	}
	if _, err := ReadFileLimit(dir, 10); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("a directory: %v, want an error naming it", err)
	}
}

// A named pipe nobody writes must not hang the read: opened without waiting
// for a writer, it reads as empty.
func TestReadFileLimitFIFOWithoutWriter(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := ReadFileLimit(fifo, 1<<10)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || len(r.b) != 0 {
			t.Errorf("FIFO without a writer: %q, %v, want empty", r.b, r.err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the reader so the test process can end.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("ReadFileLimit blocked on a FIFO without a writer")
	}
}

// A pipe with a writer is read to its end, as a shell's <(...) is.
func TestReadFileLimitFIFOWithWriter(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Opening read-write never blocks and keeps a writer on the pipe.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte, 1)
	go func() {
		b, err := ReadFileLimit(fifo, 1<<10)
		if err != nil {
			t.Errorf("FIFO with a writer: %v", err)
		}
		done <- b
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := w.Write([]byte("version: 1\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if b := <-done; string(b) != "version: 1\n" {
		t.Errorf("FIFO with a writer read %q", b)
	}
}
