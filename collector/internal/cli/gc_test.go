package cli

import (
	"bytes"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// serve's --gc-percent: given explicitly it wins; otherwise GOGC in the
// environment is left alone; otherwise the default applies.
func TestSetGCPercent(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	current := func() int {
		v := debug.SetGCPercent(100)
		debug.SetGCPercent(v)
		return v
	}
	tests := []struct {
		name     string
		percent  int
		explicit bool
		gogc     string // "" : unset
		want     int
		wantLog  string
	}{
		{name: "default", percent: defaultGCPercent, want: defaultGCPercent, wantLog: "source=default"},
		{name: "GOGC kept", percent: defaultGCPercent, gogc: "150", want: 100, wantLog: "source=GOGC"},
		{name: "flag wins over GOGC", percent: 300, explicit: true, gogc: "150", want: 300, wantLog: "source=setting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			var log bytes.Buffer
			a := &app{
				logger: slog.New(slog.NewTextHandler(&log, nil)),
				lookupEnv: func(k string) (string, bool) {
					if k == "GOGC" && tc.gogc != "" {
						return tc.gogc, true
					}
					return "", false
				},
			}
			a.setGCPercent(tc.percent, tc.explicit)
			if got := current(); got != tc.want {
				t.Errorf("GC percent %d, want %d", got, tc.want)
			}
			if !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("log %q lacks %q", log.String(), tc.wantLog)
			}
		})
	}
}

// serve's --memory-limit: given explicitly it wins; otherwise GOMEMLIMIT
// in the environment is left alone; otherwise 90% of the cgroup's limit,
// when there is one; otherwise none.
func TestSetMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(orig)
	const gib = 1 << 30
	noLimit := func() (uint64, error) { return 0, memlimit.ErrNoLimit }
	oneGiB := func() (uint64, error) { return gib, nil }
	tests := []struct {
		name       string
		limit      int64
		gomemlimit string // "" : unset
		cgroup     func() (uint64, error)
		want       int64
		wantLog    string
	}{
		{name: "none", cgroup: noLimit, want: math.MaxInt64, wantLog: "memory_limit_none"},
		{name: "cgroup", cgroup: oneGiB, want: gib * 9 / 10, wantLog: "source=cgroup"},
		{name: "GOMEMLIMIT kept", gomemlimit: "2GiB", cgroup: oneGiB, want: math.MaxInt64, wantLog: "source=GOMEMLIMIT"},
		{name: "flag wins", limit: 900 << 20, gomemlimit: "2GiB", cgroup: oneGiB, want: 900 << 20, wantLog: "source=setting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			var log bytes.Buffer
			a := &app{
				logger: slog.New(slog.NewTextHandler(&log, nil)),
				lookupEnv: func(k string) (string, bool) {
					if k == "GOMEMLIMIT" && tc.gomemlimit != "" {
						return tc.gomemlimit, true
					}
					return "", false
				},
			}
			a.setMemoryLimit(tc.limit, tc.cgroup)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("memory limit %d, want %d", got, tc.want)
			}
			if !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("log %q lacks %q", log.String(), tc.wantLog)
			}
		})
	}
}
