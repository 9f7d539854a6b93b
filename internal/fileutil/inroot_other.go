//go:build !linux

package fileutil

import "os"

// openResolvedByKernel is Linux's openat2 path; elsewhere the caller walks
// (ResolveInRoot).
func openResolvedByKernel(*os.Root, string, bool) (*os.File, bool, error) {
	return nil, false, nil
}
