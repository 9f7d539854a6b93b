// Package version reports the version of the memledger binaries: the
// release, the commit and build date it was built from, and the Go
// version.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
)

// Version, Commit and Date are set at link time by release builds:
//
//	go build -ldflags "-X github.com/memledger/memledger/internal/version.Version=1.2.3
//	  -X github.com/memledger/memledger/internal/version.Commit=0d18db6...
//	  -X github.com/memledger/memledger/internal/version.Date=2026-01-31T12:00:00Z"
//
// Whatever is not set is derived from the build information the Go
// toolchain embeds (the vcs.revision, vcs.time and vcs.modified settings of
// a build inside a git checkout).
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is what a binary knows about its build.
type Info struct {
	// Version is the release ("1.2.0"), or "devel" for a build that is not
	// one.
	Version string
	// Commit is the full revision built from, "" when unknown.
	Commit string
	// Modified says the working tree had uncommitted changes.
	Modified bool
	// Date is the build date as given at link time, else the commit's
	// time (RFC 3339), "" when unknown.
	Date string
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
	// Platform is GOOS/GOARCH.
	Platform string
}

// Get returns the running binary's build information.
func Get() Info {
	info, _ := debug.ReadBuildInfo()
	return FromBuildInfo(info, Version, Commit, Date)
}

// FromBuildInfo combines the link-time values with the toolchain's build
// information (nil when the binary has none).
func FromBuildInfo(bi *debug.BuildInfo, version, commit, date string) Info {
	out := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if out.Version == "" {
			out.Version = "devel"
		}
		return out
	}
	if bi.GoVersion != "" {
		out.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if out.Commit == "" {
				out.Commit = s.Value
			}
		case "vcs.time":
			if out.Date == "" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					out.Date = t.UTC().Format(time.RFC3339)
				}
			}
		case "vcs.modified":
			out.Modified = s.Value == "true" && commit == ""
		}
	}
	if out.Version == "" {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			out.Version = v
		} else {
			out.Version = "devel"
		}
	}
	return out
}

// String returns the version of the running binary, never empty: the
// release, or for other builds "devel-<commit>[-dirty]". Agents report it
// as their agent_version.
func String() string { return Get().Short() }

// Short is the one-word version: Version, or "devel-<12 hex>[-dirty]"
// for a development build with a known commit.
func (i Info) Short() string {
	if i.Version != "devel" || i.Commit == "" {
		return i.Version
	}
	s := "devel-" + shortCommit(i.Commit)
	if i.Modified {
		s += "-dirty"
	}
	return s
}

// Long is the "--version" line: "PROG VERSION (commit C, built D, GO
// PLATFORM)", unknown parts left out.
func (i Info) Long(prog string) string {
	s := prog + " " + i.Short() + " ("
	if i.Commit != "" {
		s += "commit " + shortCommit(i.Commit)
		if i.Modified {
			s += "-dirty"
		}
		s += ", "
	}
	if i.Date != "" {
		s += "built " + i.Date + ", "
	}
	return s + fmt.Sprintf("%s %s)", i.GoVersion, i.Platform)
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
