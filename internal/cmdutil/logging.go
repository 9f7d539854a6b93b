package cmdutil

import (
	"fmt"
	"io"
	"log/slog"
)

// Log formats accepted by --log-format.
var LogFormats = []string{"text", "json"}

// NewLogger is the logger of --log-level (debug, info, warn or error) and
// --log-format (text or json), writing to w. A bad value is a usage error.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, UsageErrorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, UsageError(fmt.Errorf("--log-format %q: want text or json", format))
}
