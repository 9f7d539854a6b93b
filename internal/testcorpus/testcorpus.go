// Package testcorpus locates the shared conformance corpus (../shared beside
// the repository) for tests. The corpus is real hardware data that is not
// part of the project and is never copied into it; tests that need it skip
// with a clear message when it is absent.
package testcorpus

import (
	"fmt"
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
	root, err := repoRoot()
	if err != nil {
		return ""
	}
	return filepath.Join(root, "..", "shared")
}

// RepoRoot returns the repository's root directory, for tests that read
// files outside their package (examples/, packaging/, docs/): the nearest
// directory above the working directory, which go test sets to the
// package's, that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("finding the repository root: no go.mod above %s", wd)
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
