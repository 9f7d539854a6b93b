package maker

import (
	"bytes"
	"errors"
	"flag"
	"go/format"
	"io/fs"
	"os"
	"testing"
)

// The drive tables (oui_gen.go, drivedb_gen.go) are generated from files of
// Debian packages by tests of this package, so that the generators use the
// package's own name matcher (byName) and catalogue: one answer to "which
// maker does this name mean". Run
//
//	go generate ./internal/maker
//
// (or go test -run 'TableIsCurrent' -update-tables ./internal/maker) after
// installing a newer package; without -update-tables the same tests fail
// when a table no longer matches its source, and skip with a message when
// the source is not installed.
var updateTables = flag.Bool("update-tables", false, "rewrite the generated drive tables from their sources")

// checkGenerated compares a generated file with what its generator produces
// now, or rewrites it under -update-tables.
func checkGenerated(t *testing.T, path string, src []byte) {
	t.Helper()
	out, err := format.Source(src)
	if err != nil {
		t.Fatalf("generated %s does not format: %v\n%s", path, err, src)
	}
	if *updateTables {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, out) {
		t.Errorf("%s is stale: its source changed; run go generate ./internal/maker and review the diff", path)
	}
}

// readSource reads a generator's input, skipping the test when the package
// that ships it is not installed.
func readSource(t *testing.T, path, debianPackage string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is absent (install Debian package %s): generated table not checked", path, debianPackage)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}
