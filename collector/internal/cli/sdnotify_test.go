package cli

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Under systemd (NOTIFY_SOCKET, WATCHDOG_USEC) the collector says READY,
// feeds the watchdog and says STOPPING when it shuts down.
func TestNotifySystemd(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000") // 100 ms: pings every 50 ms

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopping := notifySystemd(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var got []string
	buf := make([]byte, 256)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < 3 {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, string(buf[:n]))
	}
	stopping()
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no STOPPING after %v: %v", got, err)
		}
		if msg := string(buf[:n]); msg == "STOPPING=1" {
			break
		}
	}
	if got[0] != "READY=1" || !strings.Contains(strings.Join(got[1:], ","), "WATCHDOG=1") {
		t.Errorf("messages %v: want READY=1 then WATCHDOG=1", got)
	}
}
