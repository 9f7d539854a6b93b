package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// The functions below read a host tree (a captured host, or "/" for the
// live one) as a process chrooted to it would: rel is a slash-separated
// path under root, every symbolic link met on the way resolves inside root
// (ResolveInRoot: "/etc/x" is root's etc/x, ".." stops at root), and the
// file is opened through root, so nothing outside it is ever read, even if
// the tree changes meanwhile. Errors are *fs.PathError naming the path as
// that host sees it ("/" + rel), not where root lies on this machine, so a
// host and a copy of it report the same path.

// kernelResolve lets the kernel resolve paths in one call where it can
// (openResolvedByKernel); tests turn it off to run the walk too.
var kernelResolve = true

// OpenInRoot is OpenInput for rel under root: a named pipe is opened
// without waiting for a writer.
func OpenInRoot(root *os.Root, rel string) (*os.File, error) {
	if f, ok, err := openResolvedByKernel(root, rel, false); ok {
		if err != nil {
			return nil, inRootError("open", rel, err)
		}
		return f, nil
	}
	resolved, _, err := ResolveInRoot(root, rel, nil)
	if err != nil {
		return nil, inRootError("open", rel, err)
	}
	if resolved == "" {
		resolved = "."
	}
	f, err := root.OpenFile(resolved, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, inRootError("open", rel, err)
	}
	return f, nil
}

// ReadFileInRoot is ReadFileLimit for rel under root.
func ReadFileInRoot(root *os.Root, rel string, limit int64) ([]byte, error) {
	f, err := OpenInRoot(root, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadAllLimit(f, HostPath(rel), limit)
	if err != nil {
		return nil, inRootError("read", rel, err)
	}
	return data, nil
}

// ReadDirInRoot is os.ReadDir for rel under root: the directory's entries
// sorted by name (entries that are links are not followed).
func ReadDirInRoot(root *os.Root, rel string) ([]fs.DirEntry, error) {
	f, err := OpenInRoot(root, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, inRootError("readdir", rel, err)
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

// StatInRoot is os.Stat for rel under root.
func StatInRoot(root *os.Root, rel string) (fs.FileInfo, error) {
	if f, ok, err := openResolvedByKernel(root, rel, true); ok {
		if err != nil {
			return nil, inRootError("stat", rel, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, inRootError("stat", rel, err)
		}
		return fi, nil
	}
	_, fi, err := ResolveInRoot(root, rel, nil)
	if err != nil {
		return nil, inRootError("stat", rel, err)
	}
	return fi, nil
}

// HostPath is rel, a slash-separated path under a host root, as that host
// names it: "/" followed by its components.
func HostPath(rel string) string {
	return "/" + strings.Join(SplitPath(rel), "/")
}

// inRootError names rel as its host does in an error about it, keeping
// the underlying cause (an errno for errors.Is, or the size error).
func inRootError(op, rel string, err error) error {
	var pe *fs.PathError
	var errno syscall.Errno
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &errno):
		err = errno
	default:
		return err // already names HostPath(rel)
	}
	return &fs.PathError{Op: op, Path: HostPath(rel), Err: err}
}
