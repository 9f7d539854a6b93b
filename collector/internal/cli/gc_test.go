package cli

import (
	"bytes"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
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
