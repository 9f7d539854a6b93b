// Package golden compares a test's output with a file kept under the
// package's testdata/ directory, byte for byte, and rewrites that file when
// the test runs with -update:
//
//	go test ./agent/internal/render -update
//
// A mismatch is reported as a unified diff (- golden file, + output), so a
// change in maker identification or in a renderer reads as the lines it
// changed. Only test binaries import this package.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the output the tests produce")

// Check compares got with the golden file at path (relative to the test's
// package directory, e.g. "testdata/scan/workstation.txt"). With -update it
// writes got to path instead, creating its directory.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (write it with go test -update)", path, err)
	}
	if bytes.Equal(want, got) {
		return
	}
	t.Errorf("output differs from %s (- golden, + output); if the change is intended, rerun with -update and review the diff:\n%s",
		path, diff.Diff(path, want, "output", got))
}
