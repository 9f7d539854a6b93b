package fileutil

import (
	"os"
	"path/filepath"
	"strings"
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
