package testbin

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// A small main package of the module, quick to build.
const smallCommand = "github.com/memledger/memledger/internal/jep106/internal/gen"

// fatalRecorder is a testing.TB whose Fatal is recorded, not fatal.
type fatalRecorder struct {
	testing.TB
	fatal string
}

func (r *fatalRecorder) Helper()           {}
func (r *fatalRecorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }

func TestBuildOnceAndRemoveAll(t *testing.T) {
	t.Cleanup(RemoveAll)
	first := Build(t, smallCommand)
	fi, err := os.Stat(first)
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("built binary %s: %v, mode %v", first, err, fi.Mode())
	}
	if again := Build(t, smallCommand); again != first {
		t.Errorf("second Build = %s, want the first build %s", again, first)
	}
	RemoveAll()
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("after RemoveAll, stat %s: %v", first, err)
	}
}

func TestBuildFailureNamesThePackage(t *testing.T) {
	t.Cleanup(RemoveAll)
	const missing = "github.com/memledger/memledger/no/such/command"
	for range 2 {
		r := &fatalRecorder{TB: t}
		Build(r, missing)
		if !strings.Contains(r.fatal, "go build "+missing) {
			t.Errorf("failed build reported %q, want it to name %s", r.fatal, missing)
		}
	}
}
