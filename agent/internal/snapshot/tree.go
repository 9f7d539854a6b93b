package snapshot

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/memledger/memledger/internal/fileutil"
)

// kind is the type of a captured path.
type kind uint8

const (
	kindDir kind = iota + 1
	kindFile
	kindLink
)

// entry is one captured path.
type entry struct {
	kind   kind
	data   []byte // kindFile: the content
	target string // kindLink: the link text, relative, slash-separated
}

// tree is a captured (or extracted) set of paths, keyed by slash-separated
// path relative to the root, without leading or trailing slash.
type tree map[string]*entry

// maxLinkHops bounds the links followed while resolving one path: the
// capture's resolution and the extraction's check agree on it.
const maxLinkHops = fileutil.MaxLinkHops

// sortedPaths returns the paths with every parent before its children.
// Plain string order does that: a parent is a prefix of its children.
func (t tree) sortedPaths() []string {
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// addParents makes sure every ancestor of every path is a directory entry,
// so the archive creates parents before children.
func (t tree) addParents() {
	for p := range t {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := t[d]; ok {
				break
			}
			t[d] = &entry{kind: kindDir}
		}
	}
}

func (t tree) stats() Stats {
	var s Stats
	for _, e := range t {
		switch e.kind {
		case kindDir:
			s.Dirs++
		case kindFile:
			s.Files++
			s.Bytes += int64(len(e.data))
		case kindLink:
			s.Symlinks++
		}
	}
	return s
}

// lookup implements linkView over the captured tree.
func (t tree) lookup(p string) (kind, string, bool) {
	e, ok := t[p]
	if !ok {
		return 0, "", false
	}
	return e.kind, e.target, true
}

// linkView tells what a path is in a tree whose links are being checked.
type linkView interface {
	// lookup returns the kind of p and, for a link, its text; ok is false
	// when p does not exist.
	lookup(p string) (k kind, target string, ok bool)
}

// checkLink resolves the link at linkPath (whose text is target) the way
// the kernel will once the tree is on disk, and fails with errEscape when
// the resolution climbs above the tree's root, and with an error when it
// meets an absolute link or more than maxLinkHops links. A missing
// component is taken as a directory, which is the conservative choice: it
// can only find more escapes, not fewer.
func checkLink(v linkView, linkPath, target string) error {
	if target == "" {
		return errors.New("empty symbolic link")
	}
	if path.IsAbs(target) {
		return fmt.Errorf("absolute symbolic link target %q: %w", target, errEscape)
	}
	stack := fileutil.SplitPath(path.Dir(linkPath))
	pending := fileutil.SplitPath(target)
	for hops := 0; len(pending) > 0; {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case ".":
			continue
		case "..":
			if len(stack) == 0 {
				return fmt.Errorf("target %q: %w", target, errEscape)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		p := strings.Join(append(stack[:len(stack):len(stack)], c), "/")
		k, text, ok := v.lookup(p)
		if ok && k == kindLink {
			if hops++; hops > maxLinkHops {
				return fmt.Errorf("target %q: more than %d levels of symbolic links", target, maxLinkHops)
			}
			if text == "" || path.IsAbs(text) {
				return fmt.Errorf("target %q passes through %s, a link to %q: %w", target, p, text, errEscape)
			}
			pending = append(fileutil.SplitPath(text), pending...)
			continue
		}
		if ok && k == kindFile && len(pending) > 0 {
			return nil // a path through a file resolves nowhere
		}
		stack = append(stack, c)
	}
	return nil
}

// relPath spells the path to target from directory fromDir, both
// slash-separated, relative to the root and clean ("" or "." for the root).
func relPath(fromDir, target string) string {
	from, to := fileutil.SplitPath(cleanRel(fromDir)), fileutil.SplitPath(cleanRel(target))
	common := 0
	for common < len(from) && common < len(to) && from[common] == to[common] {
		common++
	}
	parts := make([]string, 0, len(from)-common+len(to)-common)
	for range len(from) - common {
		parts = append(parts, "..")
	}
	parts = append(parts, to[common:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

func cleanRel(p string) string {
	p = path.Clean("/" + p)[1:]
	return p
}
