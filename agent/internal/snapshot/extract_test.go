package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/hostfixture"
)

// tarEntry describes one entry of a hand-made archive.
type tarEntry struct {
	name string
	typ  byte
	link string
	data string
	size int64 // overrides len(data) in the header when > 0
}

func file(name, data string) tarEntry  { return tarEntry{name: name, typ: tar.TypeReg, data: data} }
func dir(name string) tarEntry         { return tarEntry{name: name, typ: tar.TypeDir} }
func symlink(name, to string) tarEntry { return tarEntry{name: name, typ: tar.TypeSymlink, link: to} }

// makeArchive builds a gzip'ed tar of entries, written as given (the tar
// writer's own checks are bypassed where they would refuse hostile names by
// using the PAX format, which carries any name).
func makeArchive(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Format: tar.FormatPAX}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.data))
		}
		if e.size > 0 {
			hdr.Size = e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("header %q: %v", e.name, err)
		}
		if e.typ == tar.TypeReg && e.size == 0 {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		} else if e.size > 0 {
			if _, err := tw.Write(bytes.Repeat([]byte{'x'}, int(e.size))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox is a directory holding the extraction directory and a marker, so
// that anything written beside the extraction directory shows.
func sandbox(t testing.TB) (outer, target string) {
	t.Helper()
	outer = t.TempDir()
	if err := os.WriteFile(filepath.Join(outer, "marker"), []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	return outer, filepath.Join(outer, "x")
}

// assertContained fails when anything but the extraction directory and the
// marker exists in outer, or a link inside target leads out of it.
func assertContained(t testing.TB, outer, target string) {
	t.Helper()
	ents, err := os.ReadDir(outer)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "x" && e.Name() != "marker" {
			t.Errorf("%s was created outside the extraction directory", e.Name())
		}
	}
	if b, err := os.ReadFile(filepath.Join(outer, "marker")); err != nil || string(b) != "untouched" {
		t.Errorf("marker beside the extraction directory changed: %q, %v", b, err)
	}
	targetReal, err := filepath.EvalSymlinks(target)
	if err != nil {
		return // nothing extracted
	}
	filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling: leads nowhere
		}
		if real != targetReal && !strings.HasPrefix(real, targetReal+string(filepath.Separator)) {
			t.Errorf("link %s leads to %s, outside %s", p, real, targetReal)
		}
		return nil
	})
}

func TestExtractRejectsHostileArchives(t *testing.T) {
	t.Parallel()
	small := limits{entries: 8, fileBytes: 64, totalBytes: 64 << 10}
	for _, tc := range []struct {
		name    string
		entries []tarEntry
		lim     limits
		want    string
	}{
		{"parent escape", []tarEntry{file("../x", "evil")}, defaultLimits, `".." in entry name`},
		{"parent escape inside a path", []tarEntry{file("sys/../../x", "evil")}, defaultLimits, `".." in entry name`},
		{"absolute path", []tarEntry{file("/etc/x", "evil")}, defaultLimits, "absolute entry name"},
		{"backslash", []tarEntry{file(`..\x`, "evil")}, defaultLimits, "backslash"},
		{"absolute link", []tarEntry{symlink("etc", "/etc")}, defaultLimits, "absolute symbolic link"},
		{"link climbing out", []tarEntry{symlink("sys", "../outside")}, defaultLimits, "leads outside"},
		{"link out then a file through it", []tarEntry{symlink("l", "../"), file("l/x", "evil")}, defaultLimits, "leads outside"},
		{"link inside then a file through it", []tarEntry{dir("d/"), symlink("l", "d"), file("l/x", "evil")}, defaultLimits, "refusing to write through it"},
		{"link inside then a directory through it", []tarEntry{dir("d/"), symlink("l", "d"), dir("l/sub/")}, defaultLimits, "refusing to write through it"},
		{"escape through a chain of links", []tarEntry{dir("d/"), symlink("m", "d/.."), symlink("x", "m/..")}, defaultLimits, "leads outside"},
		{"hard link", []tarEntry{file("a", "x"), {name: "b", typ: tar.TypeLink, link: "a"}}, defaultLimits, "hard links"},
		{"character device", []tarEntry{{name: "dev/null", typ: tar.TypeChar}}, defaultLimits, "not allowed"},
		{"FIFO", []tarEntry{{name: "fifo", typ: tar.TypeFifo}}, defaultLimits, "not allowed"},
		{"duplicate file", []tarEntry{file("a", "1"), file("a", "2")}, defaultLimits, "duplicate entry"},
		{"file over a directory", []tarEntry{dir("a/"), file("a", "2")}, defaultLimits, "duplicate entry"},
		{"file then a file below it", []tarEntry{file("a", "1"), file("a/b", "2")}, defaultLimits, "not a directory"},
		{"oversized entry", []tarEntry{{name: "big", typ: tar.TypeReg, size: 65}}, small, "over the 64-byte limit"},
		{"too many entries", []tarEntry{dir("a/"), dir("b/"), dir("c/"), dir("d/"), dir("e/"), dir("f/"), dir("g/"), dir("h/"), dir("i/")}, small, "more than 8 entries"},
		{"too many bytes", []tarEntry{{name: "a", typ: tar.TypeReg, size: 60}, {name: "b", typ: tar.TypeReg, size: 60}}, limits{entries: 10, fileBytes: 64, totalBytes: 1024}, "decompresses to more than"},
		{"empty name", []tarEntry{file("", "x")}, defaultLimits, "empty entry name"},
		{"unclean name", []tarEntry{file("a//b", "x")}, defaultLimits, "not a clean path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			outer, target := sandbox(t)
			_, err := extract(context.Background(), bytes.NewReader(makeArchive(t, tc.entries...)), target, tc.lim)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("extract: %v, want an error containing %q", err, tc.want)
			}
			assertContained(t, outer, target)
		})
	}
}

func TestExtractRejectsBadInput(t *testing.T) {
	t.Parallel()
	outer, target := sandbox(t)
	if err := Extract(context.Background(), strings.NewReader("this is not gzip"), target); err == nil || !strings.Contains(err.Error(), "not a gzip'ed tar") {
		t.Errorf("Extract of garbage: %v", err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write([]byte("gzip, but not a tar archive at all, and long enough to fill a header block? no."))
	gz.Close()
	if err := Extract(context.Background(), &buf, filepath.Join(outer, "y")); err == nil {
		t.Error("Extract of a gzip'ed non-tar: want an error")
	}
	// A truncated archive.
	full := makeArchive(t, file("a", strings.Repeat("z", 4096)))
	if err := Extract(context.Background(), bytes.NewReader(full[:len(full)/2]), filepath.Join(outer, "z")); err == nil {
		t.Error("Extract of a truncated archive: want an error")
	}

	// An archive cut short after a chain of links that leads out: the
	// links already laid are checked all the same (found by FuzzExtract).
	// The padding does not compress, so the cut falls inside it.
	outer, target = sandbox(t)
	pad := make([]byte, 32<<10)
	for i, x := 0, uint32(1); i < len(pad); i++ {
		x = x*1664525 + 1013904223
		pad[i] = byte(x >> 24)
	}
	cut := makeArchive(t, dir("d/"), symlink("m", "d/.."), symlink("x", "m/.."), file("pad", string(pad)))
	err := Extract(context.Background(), bytes.NewReader(cut[:len(cut)-1024]), target)
	if err == nil {
		t.Error("Extract of an archive cut short: want an error")
	}
	if _, lerr := os.Lstat(filepath.Join(target, "x")); lerr == nil {
		t.Errorf("the link leading out was left in place (error %v)", err)
	}
	assertContained(t, outer, target)
}

func TestExtractWantsAnEmptyDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "existing"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Extract(context.Background(), bytes.NewReader(makeArchive(t, file("a", "1"))), dir)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Extract into a non-empty directory: %v", err)
	}
	if err := Extract(context.Background(), bytes.NewReader(makeArchive(t, file("a", "1"))), t.TempDir()); err != nil {
		t.Errorf("Extract into an empty directory: %v", err)
	}
}

func TestExtractAcceptsOrdinaryArchives(t *testing.T) {
	t.Parallel()
	_, target := sandbox(t)
	archive := makeArchive(t,
		dir("./"), // tar -C dir . writes the top directory and ./-prefixed names
		file("./etc/machine-id", "abc\n"),
		file("sys/devices/a/b/serial", "S1\n"),
		symlink("sys/block/sda", "../devices/a/b"), // parent sys/block created on the way
		symlink("sys/dangling", "devices/none"),
		dir("sys/devices/"), // a directory entry after its children: fine
	)
	if err := Extract(context.Background(), bytes.NewReader(archive), target); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(target, "sys/block/sda/serial"))
	if err != nil || string(b) != "S1\n" {
		t.Errorf("file through an extracted link: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(target, "etc/machine-id")); err != nil || string(b) != "abc\n" {
		t.Errorf("./-prefixed file: %q, %v", b, err)
	}
}

func TestExtractHonoursContext(t *testing.T) {
	t.Parallel()
	archive, _ := writeSnapshot(t, Options{Root: buildHost(t, hostfixture.Workstation())})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Extract(ctx, bytes.NewReader(archive), filepath.Join(t.TempDir(), "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Extract with a cancelled context: %v", err)
	}
}

// A 161-byte archive with a 4,000-level path cost 44 s of CPU: every
// filesystem call named the whole path from the top, which the kernel
// (and os.Root) walks one component at a time, at every level. The work,
// counted as path components walked, now grows linearly with the depth.
func TestExtractDeepPathLinear(t *testing.T) {
	steps := func(depth int) int {
		name := strings.Repeat("a/", depth) + "f"
		archive := makeArchive(t, file(name, "x"), symlink(strings.Repeat("a/", depth)+"l", "f"),
			// A deep target (the kernel allows 4,095 bytes): checked one
			// component at a time.
			symlink("top", strings.Repeat("a/", depth/4)+"a"))
		_, target := sandbox(t)
		n, err := extract(context.Background(), bytes.NewReader(archive), target, defaultLimits)
		if err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		if _, err := os.Stat(filepath.Join(target, filepath.FromSlash(strings.Repeat("a/", 3)))); err != nil {
			t.Fatalf("depth %d: not extracted: %v", depth, err)
		}
		return n
	}
	small, large := steps(1000), steps(4000)
	t.Logf("path components walked: %d at depth 1000, %d at depth 4000", small, large)
	// Linear: four times the depth, about four times the work (quadratic
	// would be sixteen); and a few steps per level.
	if large > 5*small || large > 20*4000 {
		t.Errorf("work %d at depth 4000 vs %d at depth 1000: not linear in the depth", large, small)
	}
}
