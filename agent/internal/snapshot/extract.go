package snapshot

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/memledger/memledger/internal/fileutil"
)

// Limits Extract enforces, generous for any real snapshot (a large server's
// is a few thousand entries and a few MiB) and small enough that a hostile
// archive cannot fill a disk.
const (
	MaxExtractEntries    = 200_000
	MaxExtractFileBytes  = 16 << 20
	MaxExtractTotalBytes = 1 << 30 // decompressed, headers included
)

type limits struct {
	entries               int
	fileBytes, totalBytes int64
}

var defaultLimits = limits{entries: MaxExtractEntries, fileBytes: MaxExtractFileBytes, totalBytes: MaxExtractTotalBytes}

// Extract unpacks a snapshot (a gzip'ed tar archive) into dir, which must
// be empty or not exist yet. It accepts only regular files, directories and
// relative symbolic links, and refuses, with an error naming the entry:
// absolute names and names with "..", links whose target is absolute or
// leads outside dir (also through other links, checked once everything is
// unpacked), any entry that would be written through a symbolic link,
// duplicate entries, hard links, devices and FIFOs, entries over
// MaxExtractFileBytes, more than MaxExtractEntries entries, and archives
// that decompress to more than MaxExtractTotalBytes.
//
// Nothing is ever written outside dir (all writes go through an os.Root).
// On error dir may hold the entries before the bad one; no link leading
// outside it is left behind.
func Extract(ctx context.Context, r io.Reader, dir string) error {
	_, err := extract(ctx, r, dir, defaultLimits)
	return err
}

// extract is Extract with limits; it also returns the path components its
// filesystem calls walked (extractor.pathSteps).
func extract(ctx context.Context, r io.Reader, dir string, lim limits) (pathSteps int, err error) {
	if err := prepareDir(dir); err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, fmt.Errorf("snapshot: extract: %w", err)
	}
	defer root.Close()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("snapshot: extract: not a gzip'ed tar archive: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(&capReader{r: gz, left: lim.totalBytes})
	x := &extractor{root: root, lim: lim, dirs: &dirNode{}}
	err = x.entries(ctx, tr)
	// Links are checked however the archive ended: one that stopped half
	// way may already have laid a link leading out.
	if lerr := x.checkLinks(); err == nil {
		err = lerr
	}
	return x.pathSteps, err
}

func (x *extractor) entries(ctx context.Context, tr *tar.Reader) error {
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("snapshot: extract interrupted: %w", err)
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("snapshot: extract: archive entry %d: %w", n, err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if n > x.lim.entries {
			return fmt.Errorf("snapshot: extract: more than %d entries", x.lim.entries)
		}
		if err := x.entry(hdr, tr); err != nil {
			return fmt.Errorf("snapshot: extract: archive entry %d %q: %w", n, hdr.Name, err)
		}
	}
}

// prepareDir creates dir, or checks that it is an empty directory.
func prepareDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case err == nil && len(ents) > 0:
		return fmt.Errorf("snapshot: extract: %s is not empty", dir)
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("snapshot: extract: %w", err)
		}
		return nil
	}
	return fmt.Errorf("snapshot: extract: %w", err)
}

// errArchiveTooLarge is returned when an archive decompresses past the
// limit.
var errArchiveTooLarge = errors.New("archive decompresses to more than the limit")

// capReader fails once more than left bytes have been read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n == 0 && err != nil {
			return 0, err // the end (or a read error) right at the limit
		}
		return 0, fmt.Errorf("%w (%d bytes)", errArchiveTooLarge, MaxExtractTotalBytes)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

type extractor struct {
	root  *os.Root
	lim   limits
	links []string // symbolic links created, checked at the end
	// dirs is the tree of directories made or checked, so that parents
	// are checked once.
	dirs *dirNode
	// pathSteps counts the path components the filesystem calls walk
	// (each call walks its whole path, one component at a time): the work
	// that must stay linear in the archive's size
	// (TestExtractDeepPathLinear).
	pathSteps int
}

// dirNode is a directory known to be a real directory (not a link).
type dirNode struct{ children map[string]*dirNode }

// step counts a filesystem call on p.
func (x *extractor) step(p string) { x.pathSteps += strings.Count(p, "/") + 1 }

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	name, err := entryName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "" {
		return nil // the archive's own top directory
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg, tar.TypeSymlink:
	case tar.TypeLink:
		return errors.New("hard links are not allowed in a snapshot")
	default:
		return fmt.Errorf("entry type %q is not allowed (only files, directories and symbolic links)", string(hdr.Typeflag))
	}
	if hdr.Typeflag == tar.TypeReg && (hdr.Size < 0 || hdr.Size > x.lim.fileBytes) { // the reader turns old archives' '\x00' into TypeReg
		return fmt.Errorf("file of %d bytes is over the %d-byte limit", hdr.Size, x.lim.fileBytes)
	}
	if hdr.Typeflag == tar.TypeSymlink {
		if err := checkLinkEntry(name, hdr.Linkname); err != nil {
			return err
		}
	}
	// Every call below names one component inside the entry's parent
	// directory: the work is linear in the name's length, where calls
	// with the whole name would walk it again at every level.
	parent, node, base, err := x.parents(name)
	if err != nil {
		return err
	}
	if parent != x.root {
		defer parent.Close()
	}
	x.step(base)
	switch hdr.Typeflag {
	case tar.TypeDir:
		fi, err := parent.Lstat(base)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			x.step(base)
			if err := parent.Mkdir(base, 0o755); err != nil {
				return err
			}
			node.child(base)
			return nil
		case err != nil:
			return err
		case fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0:
			node.child(base)
			return nil
		}
		return errors.New("directory entry conflicts with an earlier entry of another type")
	case tar.TypeReg:
		f, err := parent.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				return errors.New("duplicate entry")
			}
			return err
		}
		_, err = io.Copy(f, r) // the tar reader stops at hdr.Size
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	default: // tar.TypeSymlink
		if err := parent.Symlink(hdr.Linkname, base); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return errors.New("duplicate entry")
			}
			return err
		}
		x.links = append(x.links, name)
		return nil
	}
}

// checkLinkEntry checks a symbolic link entry's target as text.
func checkLinkEntry(name, target string) error {
	switch {
	case target == "":
		return errors.New("symbolic link without a target")
	case strings.ContainsRune(target, 0):
		return errors.New("NUL byte in symbolic link target")
	case path.IsAbs(target):
		return fmt.Errorf("absolute symbolic link target %q: %w", target, errEscape)
	case !lexicallyInside(path.Dir(name), target):
		return fmt.Errorf("symbolic link target %q: %w", target, errEscape)
	}
	return nil
}

// child returns n's child directory c, adding it.
func (n *dirNode) child(c string) *dirNode {
	if n.children == nil {
		n.children = map[string]*dirNode{}
	}
	ch := n.children[c]
	if ch == nil {
		ch = &dirNode{}
		n.children[c] = ch
	}
	return ch
}

// parents creates the missing parents of name and returns its parent
// directory, opened as a root (x.root for a top-level name; the caller
// closes any other), its node and name's last component. It descends one
// component at a time, each call naming a single component in the last
// directory opened, and refuses to go through a symbolic link or a file: a
// snapshot never needs to write through a link, and a hostile one would
// use that to write elsewhere.
func (x *extractor) parents(name string) (*os.Root, *dirNode, string, error) {
	cur, node := x.root, x.dirs
	closeCur := func() {
		if cur != x.root {
			cur.Close()
		}
	}
	rest := name
	for {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return cur, node, rest, nil
		}
		c := rest[:i]
		rest = rest[i+1:]
		prefix := name[:len(name)-len(rest)-1] // for messages only
		child := node.children[c]
		if child == nil {
			x.step(c)
			fi, err := cur.Lstat(c)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				x.step(c)
				if err := cur.Mkdir(c, 0o755); err != nil {
					closeCur()
					return nil, nil, "", err
				}
			case err != nil:
				closeCur()
				return nil, nil, "", err
			case fi.Mode()&fs.ModeSymlink != 0:
				closeCur()
				return nil, nil, "", fmt.Errorf("parent %s is a symbolic link: refusing to write through it", prefix)
			case !fi.IsDir():
				closeCur()
				return nil, nil, "", fmt.Errorf("parent %s is not a directory", prefix)
			}
			// Only this extractor writes here, and it never replaces a
			// directory: once checked, a parent stays a directory.
			child = node.child(c)
		}
		x.step(c)
		next, err := cur.OpenRoot(c)
		closeCur()
		if err != nil {
			return nil, nil, "", err
		}
		cur, node = next, child
	}
}

// entryName checks and cleans an entry name: relative, slash-separated,
// no "." or ".." or empty components (a leading "./" is accepted, as tar
// -C dir . writes it). "" stands for the top directory itself.
func entryName(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("empty entry name")
	case strings.ContainsRune(name, 0):
		return "", errors.New("NUL byte in entry name")
	case strings.ContainsRune(name, '\\'):
		return "", errors.New("backslash in entry name")
	case path.IsAbs(name):
		return "", errors.New("absolute entry name")
	}
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimSuffix(name, "/")
	if name == "" || name == "." {
		return "", nil
	}
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "..":
			return "", errors.New(`".." in entry name`)
		case "", ".":
			return "", errors.New("entry name is not a clean path")
		}
	}
	return name, nil
}

// lexicallyInside reports whether target, read from directory dir (both
// relative to the top), stays inside the top as text.
func lexicallyInside(dir, target string) bool {
	depth := len(fileutil.SplitPath(cleanRel(dir)))
	for _, c := range fileutil.SplitPath(target) {
		switch c {
		case ".":
		case "..":
			if depth--; depth < 0 {
				return false
			}
		default:
			depth++
		}
	}
	return true
}

// checkLinks resolves every link created, now that the whole tree is on
// disk: a link may stay inside as text and still lead out through other
// links ("m -> d/.." then "x -> m/.."). Every such link is removed.
func (x *extractor) checkLinks() error {
	view := &rootView{x: x}
	defer view.close()
	var first error
	for _, name := range x.links {
		x.step(name)
		fi, err := x.root.Lstat(name)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		x.step(name)
		target, err := x.root.Readlink(name)
		if err == nil {
			err = checkLink(view, name, target)
		}
		if err != nil {
			x.root.Remove(name)
			if first == nil {
				first = fmt.Errorf("snapshot: extract: symbolic link %q removed: %w", name, err)
			}
		}
	}
	return first
}

// rootView is linkView over an extracted tree. checkLink looks up a
// target's components in turn ("a", "a/b", "a/b/c"): the view keeps the
// last directory it found open, so that each lookup names one component
// in it, and resolving a target is linear in its length.
type rootView struct {
	x *extractor
	// dir is the directory lookup last found, opened, at path dirPath
	// (nil: none, lookups start at the top).
	dir     *os.Root
	dirPath string
}

func (v *rootView) close() {
	if v.dir != nil {
		v.dir.Close()
		v.dir, v.dirPath = nil, ""
	}
}

func (v *rootView) lookup(p string) (kind, string, bool) {
	in, rel := v.x.root, p
	if v.dir != nil && len(p) > len(v.dirPath) && p[len(v.dirPath)] == '/' && strings.HasPrefix(p, v.dirPath) && !strings.Contains(p[len(v.dirPath)+1:], "/") {
		in, rel = v.dir, p[len(v.dirPath)+1:]
	}
	v.x.step(rel)
	fi, err := in.Lstat(rel)
	if err != nil {
		return 0, "", false
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		v.x.step(rel)
		target, err := in.Readlink(rel)
		if err != nil {
			return 0, "", false
		}
		return kindLink, target, true
	case fi.IsDir():
		v.x.step(rel)
		if d, err := in.OpenRoot(rel); err == nil {
			v.close()
			v.dir, v.dirPath = d, p
		}
		return kindDir, "", true
	}
	return kindFile, "", true
}
