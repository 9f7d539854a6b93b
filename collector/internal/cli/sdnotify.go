package cli

import (
	"context"
	"log/slog"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// notifySystemd tells systemd (Type=notify units) that the collector is
// ready, keeps its watchdog fed while ctx lives, and returns a function that
// announces the shutdown. Outside systemd (no NOTIFY_SOCKET) every call is a
// no-op.
func notifySystemd(ctx context.Context, logger *slog.Logger) (stopping func()) {
	if _, err := sddaemon.SdNotify(false, sddaemon.SdNotifyReady); err != nil {
		logger.Warn("systemd_notify_failed", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	if interval, err := sddaemon.SdWatchdogEnabled(false); err == nil && interval > 0 {
		go func() {
			t := time.NewTicker(interval / 2)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					sddaemon.SdNotify(false, sddaemon.SdNotifyWatchdog)
				}
			}
		}()
	}
	return func() {
		cancel()
		sddaemon.SdNotify(false, sddaemon.SdNotifyStopping)
	}
}
