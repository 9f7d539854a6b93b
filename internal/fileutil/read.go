package fileutil

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// OpenInput opens a file that a user or a host tree names, for reading. It
// never blocks in open: a named pipe is opened without waiting for a writer
// (O_NONBLOCK), so one that nobody writes reads as empty instead of hanging
// the command where no signal can end it. Reads still wait for the data of
// a writer that is there (a shell's <(...) included); regular files and
// devices read as with os.Open.
func OpenInput(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// ReadFileLimit reads the file name whole, opened with OpenInput, and
// refuses one larger than limit bytes after reading at most limit+1 of them,
// so that a wrong file (/dev/zero, a disk image) cannot exhaust memory.
func ReadFileLimit(name string, limit int64) ([]byte, error) {
	f, err := OpenInput(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAllLimit(f, name, limit)
}

// ReadAllLimit reads r, named name in errors, to its end, and refuses more
// than limit bytes after reading at most limit+1 of them: a file, or the
// body of an HTTP answer, that never ends cannot exhaust memory.
func ReadAllLimit(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: larger than %s", name, sizeText(limit))
	}
	return data, nil
}

// sizeText writes a limit as people set it: whole MiB or KiB, else bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
