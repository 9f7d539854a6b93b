package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/memledger/memledger/internal/golden"
	"github.com/memledger/memledger/internal/testcorpus"
	"github.com/memledger/memledger/internal/version"
)

// scanTime matches the collection time that scan stamps on an inventory
// (JSON collectedAt, CycloneDX metadata.timestamp): the one value of a scan
// of a captured host tree that varies from run to run, so the golden files
// hold a placeholder in its place.
var scanTime = regexp.MustCompile(`("(?:collectedAt|timestamp)": )"[0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]*"`)

// TestScanExamplesGolden scans every captured host under examples/ as
// "memledger-agent scan --root" does, in each output format, and compares
// the output with testdata/scan/EXAMPLE.{txt,json,cdx.json}. Maker
// identification shows in all three, so a change there shows as a diff;
// after reviewing it, accept it with
//
//	go test ./agent/internal/cli -run Golden -update
//
// Masked: the collection time (scanTime). The tool version is pinned to
// "golden" rather than masked.
func TestScanExamplesGolden(t *testing.T) {
	old := version.Version
	version.Version = "golden"
	t.Cleanup(func() { version.Version = old })

	examples := filepath.Join(testcorpus.RepoRoot(t), "examples")
	entries, err := os.ReadDir(examples)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		for _, f := range []struct{ format, ext string }{{"table", ".txt"}, {"json", ".json"}, {"cyclonedx", ".cdx.json"}} {
			t.Run(e.Name()+f.ext, func(t *testing.T) {
				out, stderr, err := run(t, "", "scan", "--root", filepath.Join(examples, e.Name()), "--format", f.format)
				if err != nil {
					t.Fatalf("scan: %v\n%s", err, stderr)
				}
				got := scanTime.ReplaceAll([]byte(out), []byte(`$1"(scan time)"`))
				golden.Check(t, filepath.Join("testdata", "scan", e.Name()+f.ext), got)
			})
		}
	}
	if n == 0 {
		t.Fatalf("no example hosts under %s", examples)
	}
}
