//go:build linux

package fileutil

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// openResolvedByKernel opens rel under root with openat2(2) and
// RESOLVE_IN_ROOT, which resolves every link as a process chrooted to root
// would (absolute links against root, ".." stopping at root, ELOOP after 40
// links) in one system call, where ResolveInRoot's walk takes an Lstat
// through root per component: on a sysfs attribute behind a link, 165 µs
// against 6 µs, which made a scan of a tree four times slower. Magic links
// (/proc/self/fd/N) are refused. pathOnly opens with O_PATH, for a stat.
//
// ok is false where the kernel lacks openat2 (before 5.6), a seccomp
// filter refuses it, or the resolution raced a rename (EAGAIN): the caller
// walks instead, and the walk's answer stands.
func openResolvedByKernel(root *os.Root, rel string, pathOnly bool) (f *os.File, ok bool, err error) {
	if !kernelResolve {
		return nil, false, nil
	}
	dir, err := root.Open(".")
	if err != nil {
		return nil, true, err
	}
	defer dir.Close()
	name := strings.Join(SplitPath(rel), "/")
	if name == "" {
		name = "."
	}
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	if pathOnly {
		how.Flags = unix.O_PATH | unix.O_CLOEXEC
	}
	for {
		fd, err := unix.Openat2(int(dir.Fd()), name, &how)
		switch err {
		case nil:
			return os.NewFile(uintptr(fd), HostPath(rel)), true, nil
		case unix.EINTR:
			continue
		case unix.ENOSYS, unix.EPERM, unix.EAGAIN:
			return nil, false, nil
		}
		return nil, true, err
	}
}
