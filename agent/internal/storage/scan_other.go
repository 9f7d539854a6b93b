//go:build !linux

package storage

import (
	"context"
	"os"
)

// Scan is not available on this system; it returns ErrUnsupported.
func Scan(ctx context.Context, root *os.Root) ([]Drive, []Warning, error) {
	return nil, nil, ErrUnsupported
}
