// Package testcorpus locates the shared conformance corpus (../shared beside
// the repository) for tests. The corpus is real hardware data that is not
// part of the project and is never copied into it; tests that need it skip
// with a clear message when it is absent.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides the location of the shared directory (the one holding
// corpus/ and reference/).
const EnvVar = "MEMLEDGER_SHARED"

// SharedDir returns the shared directory, or "" when it cannot be found.
func SharedDir() string {
	if d := os.Getenv(EnvVar); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		if parent := filepath.Dir(dir); parent == dir {
			return ""
		}
	}
}

// Dir returns the path of sub (e.g. "corpus", "illumos-libjedec-spd") under
// the shared directory, skipping the test when it does not exist.
func Dir(t testing.TB, sub ...string) string {
	t.Helper()
	shared := SharedDir()
	p := filepath.Join(append([]string{shared}, sub...)...)
	if shared == "" {
		t.Skipf("shared corpus not found: no go.mod above the working directory and %s unset", EnvVar)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared corpus not found at %s (set %s to the folder holding corpus/ and reference/): %v", p, EnvVar, err)
	}
	return p
}
