//go:build !linux

package sqlite

import "os"

// The collector is built and supported for Linux; elsewhere (development
// machines) the WAL is fsynced and, files not being told apart, its
// directory entry is left to the system.

type fileID struct{}

func fileIDOf(os.FileInfo) fileID { return fileID{} }

func fdatasync(f *os.File) error { return f.Sync() }
