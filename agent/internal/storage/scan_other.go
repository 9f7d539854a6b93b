//go:build !linux

package storage

import (
	"context"
	"errors"
)

// ErrUnsupported is returned by Scan on systems other than Linux.
var ErrUnsupported = errors.New("storage scanning is Linux-only (it reads sysfs and the udev database)")

// Scan is not available on this system; it returns ErrUnsupported.
func Scan(ctx context.Context, root string) ([]Drive, []Warning, error) {
	return nil, nil, ErrUnsupported
}
