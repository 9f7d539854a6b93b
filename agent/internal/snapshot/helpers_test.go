package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/agent/internal/scan"
	"github.com/memledger/memledger/internal/hostfixture"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// fixedNow is the clock of every test snapshot.
func fixedNow() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC) }

func buildHost(t testing.TB, h hostfixture.Host) string {
	t.Helper()
	dir := t.TempDir()
	if err := hostfixture.Build(dir, h); err != nil {
		t.Fatal(err)
	}
	return dir
}

func scanRoot(t testing.TB, root string) *memledgerv1.Inventory {
	t.Helper()
	inv, err := scan.Scan(context.Background(), scan.Options{Root: root, Now: fixedNow})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return inv
}

func writeSnapshot(t testing.TB, opts Options) ([]byte, Stats) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	var buf bytes.Buffer
	st, err := Write(context.Background(), &buf, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), st
}

func extractSnapshot(t testing.TB, archive []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "host")
	if err := Extract(context.Background(), bytes.NewReader(archive), dir); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return dir
}

// archiveEntry is one tar entry read back.
type archiveEntry struct {
	name, link string
	typ        byte
	data       []byte
}

func readArchive(t testing.TB, archive []byte) []archiveEntry {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []archiveEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, archiveEntry{name: hdr.Name, link: hdr.Linkname, typ: hdr.Typeflag, data: data})
	}
}

// decompressed is the whole tar stream of a snapshot, headers included.
func decompressed(t testing.TB, archive []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sameInventory fails the test with a line diff when a and b differ once
// their collection time is cleared.
func sameInventory(t *testing.T, a, b *memledgerv1.Inventory) {
	t.Helper()
	a, b = proto.Clone(a).(*memledgerv1.Inventory), proto.Clone(b).(*memledgerv1.Inventory)
	a.CollectedAt, b.CollectedAt = nil, nil
	if proto.Equal(a, b) {
		return
	}
	opts := prototext.MarshalOptions{Multiline: true}
	at, bt := strings.Split(opts.Format(a), "\n"), strings.Split(opts.Format(b), "\n")
	var diff []string
	for i := 0; i < max(len(at), len(bt)); i++ {
		var x, y string
		if i < len(at) {
			x = at[i]
		}
		if i < len(bt) {
			y = bt[i]
		}
		if x != y {
			diff = append(diff, "- "+x, "+ "+y)
		}
		if len(diff) > 40 {
			break
		}
	}
	t.Errorf("inventories differ (- host tree, + snapshot):\n%s", strings.Join(diff, "\n"))
}
