//go:build !linux

package storage

import (
	"context"
)

// Scan is not available on this system; it returns ErrUnsupported.
func Scan(ctx context.Context, root string) ([]Drive, []Warning, error) {
	return nil, nil, ErrUnsupported
}
