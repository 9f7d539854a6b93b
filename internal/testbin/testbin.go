// Package testbin builds the project's commands for end-to-end tests that
// run them as processes: each once per test process, into one temporary
// directory that the test's TestMain removes. Only tests import it.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// The commands tests run.
const (
	Collector = "github.com/memledger/memledger/collector/cmd/memledger-collector"
	Agent     = "github.com/memledger/memledger/agent/cmd/memledger-agent"
)

var (
	mu     sync.Mutex
	dir    string
	builds = map[string]*build{}
)

type build struct {
	once sync.Once
	path string
	err  error
}

// Build builds the main package importPath with go build, once per test
// process, and returns the binary's path; a failed build fails tb, and
// every later call, with go build's output.
func Build(tb testing.TB, importPath string) string {
	tb.Helper()
	mu.Lock()
	b := builds[importPath]
	if b == nil {
		b = &build{}
		builds[importPath] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.path, b.err = goBuild(importPath) })
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

func goBuild(importPath string) (string, error) {
	mu.Lock()
	if dir == "" {
		d, err := os.MkdirTemp("", "memledger-testbin-")
		if err != nil {
			mu.Unlock()
			return "", fmt.Errorf("building %s: %w", importPath, err)
		}
		dir = d
	}
	bin := filepath.Join(dir, path.Base(importPath))
	mu.Unlock()
	// go test puts the toolchain that runs the test first on PATH.
	out, err := exec.Command("go", "build", "-o", bin, importPath).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", importPath, err, out)
	}
	return bin, nil
}

// RemoveAll removes the binaries built so far; call it from TestMain after
// m.Run.
func RemoveAll() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
		builds = map[string]*build{}
	}
}
