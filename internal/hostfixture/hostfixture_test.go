package hostfixture

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestExamplesAreCurrent fails when examples/ differs from what the presets
// generate: regenerate with go run ./internal/hostfixture/cmd/mkexamples.
func TestExamplesAreCurrent(t *testing.T) {
	for name, h := range Examples() {
		t.Run(name, func(t *testing.T) {
			committed := filepath.Join("..", "..", "examples", name)
			if _, err := os.Stat(committed); err != nil {
				t.Fatalf("examples/%s missing: run go run ./internal/hostfixture/cmd/mkexamples -out examples", name)
			}
			fresh := t.TempDir()
			if err := Build(fresh, h); err != nil {
				t.Fatal(err)
			}
			want, got := tree(t, fresh), tree(t, committed)
			for p, w := range want {
				g, ok := got[p]
				if !ok {
					t.Errorf("examples/%s lacks %s", name, p)
				} else if !bytes.Equal(g, w) {
					t.Errorf("examples/%s/%s is stale", name, p)
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("examples/%s has %s, which the generator no longer writes", name, p)
				}
			}
		})
	}
}

// tree maps every file and symlink under root to its content or link text.
func tree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = []byte("-> " + target)
			return err
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			out[rel] = b
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildRejectsBadHost(t *testing.T) {
	h := Workstation()
	h.NVMe[0].PCIAddr = "not-a-pci-address"
	if err := Build(t.TempDir(), h); err == nil {
		t.Error("a malformed PCI address was accepted")
	}
}
