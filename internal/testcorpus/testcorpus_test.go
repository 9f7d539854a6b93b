package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRepoRootHoldsThisPackage(t *testing.T) {
	root := RepoRoot(t)
	for _, p := range []string{"go.mod", filepath.Join("internal", "testcorpus", "testcorpus.go")} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("RepoRoot %s: %v", root, err)
		}
	}
	if want := filepath.Join(root, "..", "shared"); os.Getenv(EnvVar) == "" && SharedDir() != want {
		t.Errorf("SharedDir() = %q, want %q beside the repository", SharedDir(), want)
	}
}

func TestRepoRootOutsideARepository(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := repoRoot(); err == nil {
		t.Error("repoRoot found a go.mod above a fresh temporary directory")
	}
	if got := SharedDir(); got != "" && os.Getenv(EnvVar) == "" {
		t.Errorf("SharedDir() = %q outside a repository, want \"\"", got)
	}
}
