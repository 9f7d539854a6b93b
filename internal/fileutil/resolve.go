package fileutil

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// MaxLinkHops is how many symbolic links ResolveInRoot follows before it
// gives up with ELOOP, as Linux's path walk does (40).
const MaxLinkHops = 40

// ResolveInRoot resolves rel, a slash-separated path under root, as the
// kernel would for a process chrooted to root: relative links against their
// directory, absolute links against root, ".." at root stays at root, and
// at most MaxLinkHops links. Every component must exist. It returns the
// resolved path relative to root (slash-separated, no leading slash, "" for
// root itself) and the Lstat of its last component.
//
// Sysfs is a tree of relative links (/sys/block/sda ->
// ../devices/pci0000:00/...), and where a path resolves to tells where a
// device is attached; a captured host tree must record the links a path
// passes through. The walk goes through root, an *os.Root, so no link can
// lead it outside the tree even if the tree changes meanwhile.
//
// visit, when not nil, is called for each symbolic link met (linkTarget its
// text) and each directory passed through (linkTarget ""), in walk order,
// with its path relative to root.
func ResolveInRoot(root *os.Root, rel string, visit func(p string, fi fs.FileInfo, linkTarget string)) (string, fs.FileInfo, error) {
	pending := SplitPath(rel)
	var done []string
	var last fs.FileInfo
	for hops := 0; len(pending) > 0; {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			last = nil // the parent's, read at the end if the walk ends here
			continue
		}
		cur := strings.Join(append(done[:len(done):len(done)], comp), "/")
		fi, err := root.Lstat(cur)
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if hops++; hops > MaxLinkHops {
				return "", nil, fmt.Errorf("resolve %s: %w", rel, syscall.ELOOP)
			}
			target, err := root.Readlink(cur)
			if err != nil {
				return "", nil, err
			}
			if visit != nil {
				visit(cur, fi, target)
			}
			if path.IsAbs(target) {
				done = done[:0]
			}
			pending = append(SplitPath(target), pending...)
			continue
		}
		if fi.IsDir() {
			if visit != nil {
				visit(cur, fi, "")
			}
		} else if len(pending) > 0 {
			return "", nil, fmt.Errorf("resolve %s: %s: %w", rel, cur, syscall.ENOTDIR)
		}
		done = append(done, comp)
		last = fi
	}
	resolved := strings.Join(done, "/")
	if last == nil { // root itself, or a directory reached by ".."
		name := resolved
		if name == "" {
			name = "."
		}
		fi, err := root.Lstat(name)
		if err != nil {
			return "", nil, err
		}
		last = fi
	}
	return resolved, last, nil
}

// SplitPath splits a slash-separated path into its components, leaving out
// empty ones and "." (path.Dir of a top-level name is ".").
func SplitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}
