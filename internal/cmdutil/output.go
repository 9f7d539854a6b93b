package cmdutil

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/memledger/memledger/internal/fileutil"
)

// OutputFlag adds -o/--output to fl, filling *path.
func OutputFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVarP(path, "output", "o", "", "write to `FILE` (replaced atomically) instead of standard output")
}

// Output collects what a command writes and, at Close, writes it to the
// file named by -o/--output (replaced atomically, so a failed command
// leaves the old file whole) or to standard output.
type Output struct {
	path   string
	stdout io.Writer
	buf    bytes.Buffer
}

// NewOutput writes to path, or to stdout when path is empty.
func NewOutput(path string, stdout io.Writer) *Output {
	return &Output{path: path, stdout: stdout}
}

// Write buffers p.
func (o *Output) Write(p []byte) (int, error) { return o.buf.Write(p) }

// Close writes what was buffered to its destination.
func (o *Output) Close() error {
	if o.path == "" {
		_, err := o.stdout.Write(o.buf.Bytes())
		return err
	}
	if err := fileutil.WriteAtomic(o.path, o.buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}
