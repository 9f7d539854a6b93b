// Package version reports the version of the memledger binaries.
package version

import "runtime/debug"

// Version is set at link time by release builds:
//
//	go build -ldflags "-X github.com/memledger/memledger/internal/version.Version=1.2.3"
//
// Otherwise it is derived from the module build information.
var Version = ""

// String returns the version of the running binary, never empty.
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}
