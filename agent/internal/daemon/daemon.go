// Package daemon is the long-running agent ("memledger-agent run"): it
// scans the host at start, then every interval (with jitter), on SIGHUP and
// when the collector asks for a full inventory (a NEED_FULL ack); it sends
// a full inventory when the host changed and a small heartbeat when it did
// not.
//
// Delivery is at-least-once on the wire and exactly-once in the ledger:
// every report is spooled (agent/internal/spool) before it is sent and
// forgotten only once the collector acknowledges it; a report sent again
// after a lost ack (collector restart, agent crash) is answered DUPLICATE
// and changes nothing. Reports keep their sequence across restarts.
//
// The main loop owns scanning and the systemd watchdog; a sender goroutine
// owns the connection: it drains the spool in sequence order, reconnecting
// with capped exponential backoff and full jitter. Once every spooled
// report is acknowledged it closes the connection (unless KeepConnection)
// and dials again when the next report is spooled: an agent reporting
// hourly holds no stream and no connection on the collector in between. Every wait selects on
// the context, so SIGTERM stops the daemon within moments; an abandoned
// send is still in the spool.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/agent/internal/spool"
	"github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// ScanFunc scans the host once.
type ScanFunc func(ctx context.Context) (*memledgerv1.Inventory, error)

// Options configure Run. Zero fields take the defaults named.
type Options struct {
	// Collector is the collector's address, host:port.
	Collector string
	// Send configures the connection (TLS or Insecure, gzip).
	Send send.Options
	// Scan scans the host.
	Scan ScanFunc
	// StateDir holds the spool (StateDir/spool) and the state file
	// (StateDir/state.json).
	StateDir string
	// Spool bounds the spool (Logger is set from Logger).
	Spool spool.Options
	// Interval between scans (default 1h); Jitter is the most random time
	// added to each.
	Interval time.Duration
	Jitter   time.Duration
	// Rescan asks for a scan now (SIGHUP).
	Rescan <-chan struct{}
	// Backoff paces reconnection attempts (DefaultBackoff).
	Backoff Backoff
	// KeepConnection holds the connection to the collector open between
	// reports, as agents did before idle connections were closed. By
	// default the sender closes it once the spool is empty: each idle
	// connection costs the collector memory and goroutines for a report
	// an hour, and a reconnect costs one handshake per report.
	KeepConnection bool
	// BatchSize is the most reports sent on one stream before waiting for
	// their acks (default 32; the collector's stream window is 64).
	BatchSize int
	// Notify sends a systemd notification ("READY=1"); the default is
	// sd_notify, a no-op outside systemd.
	Notify func(state string) error
	// WatchdogInterval is how often the main loop pings the systemd
	// watchdog; default half of WatchdogSec when systemd enabled it, else
	// never.
	WatchdogInterval time.Duration
	// Logger receives the daemon's log (nil discards it).
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time

	// afterSend, when set (tests), runs after each report is written to
	// the stream and before its ack is read.
	afterSend func(seq uint64)
}

// Backoff is capped exponential backoff with full jitter: the n-th
// consecutive failure waits a uniformly random time in [0, min(Max,
// Min*2^(n-1))].
type Backoff struct {
	Min, Max time.Duration
}

// DefaultBackoff waits up to 1s after the first failure, up to 5 minutes
// after many.
var DefaultBackoff = Backoff{Min: time.Second, Max: 5 * time.Minute}

// Delay returns the wait after the n-th consecutive failure (n >= 1); r
// is a uniform random number in [0, 1).
func (b Backoff) Delay(n int, r float64) time.Duration {
	if n < 1 {
		n = 1
	}
	limit := b.Min
	for i := 1; i < n && limit < b.Max; i++ {
		limit *= 2
	}
	if limit > b.Max {
		limit = b.Max
	}
	return time.Duration(r * float64(limit))
}

func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = time.Hour
	}
	if o.Backoff.Min <= 0 || o.Backoff.Max < o.Backoff.Min {
		o.Backoff = DefaultBackoff
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Notify == nil {
		o.Notify = func(state string) error {
			_, err := sddaemon.SdNotify(false, state)
			return err
		}
	}
	if o.WatchdogInterval == 0 {
		if d, err := sddaemon.SdWatchdogEnabled(false); err == nil && d > 0 {
			o.WatchdogInterval = d / 2
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Spool.Logger = o.Logger
	return o
}

// daemon is one Run's state.
type daemon struct {
	opts  Options
	log   *slog.Logger
	spool *spool.Spool
	state state

	wake     chan struct{} // a report was spooled
	needFull chan struct{} // the collector asked for a full inventory
	// resync: the collector refused a sequence or time as too far ahead of
	// its clock (OutOfRange); the sequence restarts from the clock.
	resync chan struct{}
}

// Run runs the agent until ctx is cancelled, then returns nil. It returns
// an error only for a configuration that cannot work (no scanner, no
// collector address, no transport); a collector that is down, a failing
// scan or an unwritable spool are logged and retried.
func Run(ctx context.Context, opts Options) error {
	opts = opts.withDefaults()
	if opts.Scan == nil {
		return errors.New("daemon: no scan function")
	}
	if opts.StateDir == "" {
		return errors.New("daemon: no state directory")
	}
	// Dialing connects lazily: this only checks the address and the
	// transport before anything starts. The sender dials its own
	// connections, when it has reports to send.
	cc, err := send.Dial(opts.Collector, opts.Send)
	if err != nil {
		return err
	}
	cc.Close()

	d := &daemon{
		opts:     opts,
		log:      opts.Logger,
		wake:     make(chan struct{}, 1),
		needFull: make(chan struct{}, 1),
		resync:   make(chan struct{}, 1),
	}
	d.state, err = loadState(stateFile(opts.StateDir))
	if err != nil {
		// A corrupt state file costs at most one full inventory that a
		// heartbeat would have done: the sequence restarts from the clock
		// and the spool.
		d.log.Warn("state_unreadable", "file", stateFile(opts.StateDir), "error", err.Error())
	}
	spoolDir := spoolDir(opts.StateDir)
	d.spool, err = spool.Open(spoolDir, opts.Spool)
	if err != nil {
		d.log.Error("spool_unavailable", "dir", spoolDir, "error", err.Error(),
			"hint", "reports are kept in memory only until this is fixed: check that the state directory exists and belongs to the agent's user (StateDirectory=memledger-agent)")
		d.spool = spool.NewMemory(opts.Spool, err)
	}
	if n := d.spool.Len(); n > 0 {
		d.log.Info("spool_loaded", "reports", n, "dir", spoolDir)
	}
	if m := d.spool.MaxSequence(); m > d.state.LastSequence {
		d.state.LastSequence = m
	}
	if opts.Send.Insecure {
		d.log.Warn("insecure_transport", "collector", opts.Collector, "message", "sending reports in PLAINTEXT without TLS (--insecure): test setups only")
	}
	d.log.Info("agent_started", "collector", opts.Collector, "interval", opts.Interval, "jitter", opts.Jitter, "state_dir", opts.StateDir)

	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		d.sendLoop(ctx)
	}()
	d.notify("READY=1")
	d.mainLoop(ctx)
	d.notify("STOPPING=1")
	<-senderDone
	d.log.Info("agent_stopped", "unsent_reports", d.spool.Len())
	return nil
}

func (d *daemon) notify(state string) {
	if err := d.opts.Notify(state); err != nil {
		d.log.Warn("sd_notify_failed", "state", state, "error", err.Error())
	}
}

// mainLoop scans at start and then on the timer, on Rescan and on
// NEED_FULL, and pings the watchdog, until ctx ends.
func (d *daemon) mainLoop(ctx context.Context) {
	var watchdog <-chan time.Time
	if d.opts.WatchdogInterval > 0 {
		t := time.NewTicker(d.opts.WatchdogInterval)
		defer t.Stop()
		watchdog = t.C
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	scanNow, forceFull, reason := true, false, "start"
	// A host whose clock is far ahead is refused again after every
	// resync: its next resync waits for the next scheduled scan.
	var resyncedAt time.Time
	for {
		if scanNow {
			d.scanAndSpool(ctx, reason, forceFull)
			// The daemon sleeps for an hour between scans: hand the
			// scan's garbage back to the OS now rather than keep it
			// resident (idle RSS budget: 20 MB). One GC per scan costs
			// about a millisecond.
			debug.FreeOSMemory()
			scanNow, forceFull = false, false
			timer.Reset(d.nextInterval())
		}
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			scanNow, reason = true, "interval"
		case <-d.opts.Rescan:
			scanNow, reason = true, "rescan_requested"
		case <-d.needFull:
			scanNow, forceFull, reason = true, true, "collector_requested_full"
		case <-d.resync:
			// Sequences continue from the clock rather than from the
			// refused one, and a full inventory replaces the reports
			// that were set aside.
			d.state.LastSequence = 0
			forceFull = true
			if now := d.opts.Now(); resyncedAt.IsZero() || now.Sub(resyncedAt) >= d.opts.Interval {
				resyncedAt = now
				scanNow, reason = true, "sequence_resync"
			}
		case <-watchdog:
			d.notify("WATCHDOG=1")
		}
		if scanNow && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

func (d *daemon) nextInterval() time.Duration {
	if d.opts.Jitter <= 0 {
		return d.opts.Interval
	}
	return d.opts.Interval + time.Duration(rand.Float64()*float64(d.opts.Jitter))
}

// scanAndSpool scans once and spools a full inventory when it differs from
// the last full one spooled (or forceFull), a heartbeat otherwise.
func (d *daemon) scanAndSpool(ctx context.Context, reason string, forceFull bool) {
	start := time.Now()
	inv, err := d.opts.Scan(ctx)
	if ctx.Err() != nil {
		// Stopping: a scan cut short may miss parts (the storage scan
		// honours ctx) and must not be reported as the host's inventory.
		return
	}
	if err != nil {
		d.log.Error("scan_failed", "reason", reason, "error", err.Error())
		return
	}
	hostID := inv.GetHost().GetHostId()
	if hostID == "" {
		d.log.Error("scan_failed", "reason", reason, "error", "no host id: /etc/machine-id is missing; set host-id")
		return
	}
	digest, err := inventory.Digest(inv)
	if err != nil {
		d.log.Error("scan_failed", "reason", reason, "error", err.Error())
		return
	}
	now := d.opts.Now()
	seq := send.NextSequence(d.state.LastSequence, now)
	var req *memledgerv1.ReportRequest
	full := forceFull || digest != d.state.LastFullDigest || hostID != d.state.HostID
	if full {
		req = send.FullReport(inv, seq, now)
	} else {
		req = send.HeartbeatReport(hostID, seq, digest, inv.GetCollectedAt().AsTime(), now)
	}
	d.state.LastSequence = seq
	e, perr := d.spool.Put(req)
	queued := e.Sequence != 0
	if full && queued {
		d.state.LastFullDigest, d.state.HostID = digest, hostID
	}
	if err := saveState(stateFile(d.opts.StateDir), d.state); err != nil {
		d.log.Error("state_write_failed", "error", err.Error(), "hint", "sequences continue from the clock; check the state directory's free space and permissions")
	}
	kind := "heartbeat"
	if full {
		kind = "full"
	}
	d.log.Info("scanned", "reason", reason, "report", kind, "sequence", seq, "modules", len(inv.GetMemoryModules()),
		"drives", len(inv.GetStorageDevices()), "warnings", len(inv.GetWarnings()), "duration", time.Since(start))
	switch {
	case perr != nil && queued:
		d.log.Error("spool_write_failed", "sequence", seq, "error", perr.Error(),
			"hint", "the report is held in memory and still sent; free disk space or fix the state directory's permissions so reports survive a restart")
	case perr != nil:
		d.log.Error("report_not_queued", "sequence", seq, "error", perr.Error())
		return
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// sendLoop drains the spool to the collector until ctx ends. It dials
// when there are reports to send and closes the connection whenever the
// spool is empty (unless KeepConnection) and on return.
func (d *daemon) sendLoop(ctx context.Context) {
	var cc *grpc.ClientConn
	defer func() {
		if cc != nil {
			cc.Close()
		}
	}()
	failures := 0
	for {
		if d.spool.Len() == 0 {
			if cc != nil && !d.opts.KeepConnection {
				// Everything is acknowledged, hence durable on the
				// collector: nothing is lost by closing.
				cc.Close()
				cc = nil
				d.log.Debug("collector_disconnected_idle", "collector", d.opts.Collector)
			}
			select {
			case <-ctx.Done():
				return
			case <-d.wake:
				continue
			}
		}
		var err error
		if cc == nil {
			cc, err = send.Dial(d.opts.Collector, d.opts.Send)
		}
		if err == nil {
			err = d.deliver(ctx, cc)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			wait := d.opts.Backoff.Delay(failures, rand.Float64())
			d.log.Warn("send_failed", "collector", d.opts.Collector, "error", err.Error(),
				"attempt", failures, "retry_in", wait.Round(time.Millisecond), "unsent_reports", d.spool.Len())
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		if failures > 0 {
			d.log.Info("collector_reachable", "collector", d.opts.Collector, "after_attempts", failures)
		}
		failures = 0
	}
}

// deliver sends the oldest BatchSize spooled reports on one stream and
// handles their acks.
func (d *daemon) deliver(ctx context.Context, cc *grpc.ClientConn) error {
	batch := d.spool.Pending()
	if len(batch) > d.opts.BatchSize {
		batch = batch[:d.opts.BatchSize]
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := send.OpenStream(sctx, cc)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, e := range batch {
		if err := s.Send(e.Report); err != nil {
			break // Recv below says why the stream ended
		}
		if d.opts.afterSend != nil {
			d.opts.afterSend(e.Report.GetSequence())
		}
	}
	s.CloseSend()
	acked := 0
	for {
		ack, err := s.Recv()
		if ctx.Err() != nil {
			// Stopping: abandon the send; what is not acknowledged yet
			// stays spooled and goes again after the restart.
			return ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			if acked < len(batch) {
				return fmt.Errorf("collector ended the stream after %d of %d acknowledgements", acked, len(batch))
			}
			return nil
		}
		if err != nil {
			if status.Code(err) == codes.OutOfRange {
				if p := s.Pending(); len(p) > 0 {
					d.setAsideAheadOfClock(p[0], err)
				}
			}
			if status.Code(err) == codes.InvalidArgument {
				// The collector refuses the oldest unacknowledged report
				// for good: set it aside so it blocks nothing behind it.
				if p := s.Pending(); len(p) > 0 {
					d.log.Error("report_rejected", "sequence", p[0], "error", err.Error(), "hint", "the report was moved to the spool's quarantine directory")
					d.spool.Quarantine(p[0], "rejected by the collector: "+err.Error())
				}
			}
			return err
		}
		acked++
		d.handleAck(ack)
	}
}

// setAsideAheadOfClock handles the collector's refusal of report seq as
// too far ahead of its clock (a sequence or collectedAt beyond its skew
// allowance). Every spooled report from seq on was numbered after it, so
// the collector would refuse them all: they are quarantined, and the main
// loop restarts the sequence from the clock with a full inventory.
func (d *daemon) setAsideAheadOfClock(seq uint64, err error) {
	reason := "refused by the collector as ahead of its clock: " + err.Error()
	n := 0
	for _, e := range d.spool.Pending() {
		if e.Sequence >= seq {
			d.spool.Quarantine(e.Sequence, reason)
			n++
		}
	}
	d.log.Error("report_ahead_of_collector_clock", "sequence", seq, "quarantined_reports", n, "error", err.Error(),
		"hint", "check this host's clock (NTP); the agent restarts its sequence from the clock and sends a full inventory")
	select {
	case d.resync <- struct{}{}:
	default:
	}
}

func (d *daemon) handleAck(ack send.Ack) {
	if err := d.spool.Ack(ack.Sequence); err != nil {
		d.log.Warn("spool_remove_failed", "sequence", ack.Sequence, "error", err.Error())
	}
	switch ack.Status {
	case memledgerv1.AckStatus_ACK_STATUS_COMMITTED:
		d.log.Debug("report_committed", "sequence", ack.Sequence)
	case memledgerv1.AckStatus_ACK_STATUS_DUPLICATE:
		d.log.Info("report_duplicate", "sequence", ack.Sequence, "message", ack.Message)
	case memledgerv1.AckStatus_ACK_STATUS_NEED_FULL:
		d.log.Info("collector_needs_full_inventory", "sequence", ack.Sequence, "message", ack.Message)
		select {
		case d.needFull <- struct{}{}:
		default:
		}
	default:
		d.log.Warn("unknown_ack_status", "sequence", ack.Sequence, "status", ack.Status.String())
	}
}
