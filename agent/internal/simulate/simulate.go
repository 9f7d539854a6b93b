// Package simulate is a fleet simulator (in the spirit of Fleet's
// osquery-perf): N synthetic hosts with a realistic vendor mix stream
// inventory reports to a collector, each on its own jittered schedule, with
// hardware churn, while the simulator measures reports/s, acks/s and ack
// latency. It drives the collector exactly as agents do, through
// agent/internal/send.
package simulate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/agent/internal/send"
	"github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Mode says what a report carries when the host's hardware did not change.
type Mode string

const (
	// ModeFull: every report is a full inventory.
	ModeFull Mode = "full"
	// ModeHeartbeat: heartbeats, except a host's first report, reports
	// after a change and answers to NEED_FULL (what real agents do).
	ModeHeartbeat Mode = "heartbeat"
	// ModeMixed: like heartbeat, but a share of unchanged reports
	// (FullRatio) are full inventories anyway, as after agent restarts.
	ModeMixed Mode = "mixed"
)

// Options configure a simulation.
type Options struct {
	// Collector is the collector's address, host:port.
	Collector string
	// Hosts is the number of simulated hosts (default 100).
	Hosts int
	// Duration is how long hosts report; then the simulator waits up to
	// DrainTimeout for outstanding acks (default 30s).
	Duration time.Duration
	// Interval is a host's mean time between reports, each jittered by
	// ±50% (default 10s). 0 sends back to back, as fast as the Window of
	// unacknowledged reports allows: a throughput benchmark.
	Interval time.Duration
	// Mode (default mixed) and FullRatio, the share of unchanged reports
	// sent as full inventories in mixed mode (default 0.1).
	Mode      Mode
	FullRatio float64
	// Churn is the probability that a report follows a hardware change: a
	// module swapped, a drive added or removed (default 0.01).
	Churn float64
	// Modules and Drives per host (defaults 16 and 4).
	Modules, Drives int
	// Connections is the number of gRPC connections the hosts share;
	// 0 gives each host its own, as real agents have.
	Connections int
	// Window is the most unacknowledged reports per host (default 1: send,
	// wait for the ack; more pipelines).
	Window int
	// ReportsPerHost stops each host after that many reports (0: report
	// until Duration ends); with Interval 0 it replays, say, a year of
	// daily reports in seconds.
	ReportsPerHost int
	// Seed makes the fleet and its schedule reproducible (0: random).
	Seed uint64
	// HostPrefix starts every host id (default "sim-<seed>").
	HostPrefix string
	// Send configures the connections: Insecure, or TLS shared by every
	// connection, or per host with HostTLS.
	Send send.Options
	// HostTLS, when set, gives each host the TLS configuration of its own
	// client certificate (the collector binds a stream to the host its
	// certificate names), and each host gets its own connection, as real
	// agents have. It is called once per host before the fleet starts.
	HostTLS func(ctx context.Context, hostID string) (*tls.Config, error)
	// HostID, with Hosts 1, is the simulated host's id instead of
	// HostPrefix-00000 (to match a client certificate).
	HostID string
	// Progress receives a progress line every ProgressEvery (default 1s);
	// nil disables it. With Terminal the line is rewritten in place.
	Progress      io.Writer
	ProgressEvery time.Duration
	Terminal      bool
	// DrainTimeout bounds the wait for outstanding acks after Duration
	// (default 10s).
	DrainTimeout time.Duration
	// Reconnect gives each report its own connection and stream: the
	// host connects (TLS handshake included), sends, waits for the ack
	// and disconnects, as an agent reporting hourly that holds no idle
	// stream. Window does not apply (one report per connection).
	Reconnect bool
	// Spread is the interval over which the hosts' first reports are
	// spread (default: Interval, at most 30s; with Reconnect, Interval;
	// half of Duration when that is shorter), so a fleet does not report
	// in step.
	Spread time.Duration
	// CollectorPID, when set, names the collector's process: the summary
	// gives its peak resident memory (VmHWM of ProcRoot/PID/status, so
	// the collector must run on this machine).
	CollectorPID int
	// ProcRoot is where proc is mounted (default /proc).
	ProcRoot string
}

func (o *Options) setDefaults() error {
	if o.Collector == "" {
		return errors.New("simulate: no collector address")
	}
	if o.Hosts == 0 {
		o.Hosts = 100
	}
	if o.Duration == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Mode == "" {
		o.Mode = ModeMixed
	}
	if o.FullRatio == 0 && o.Mode == ModeMixed {
		o.FullRatio = 0.1
	}
	if o.Modules == 0 {
		o.Modules = 16
	}
	if o.Drives == 0 {
		o.Drives = 4
	}
	if o.Window == 0 {
		o.Window = 1
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()
	}
	if o.HostPrefix == "" {
		o.HostPrefix = fmt.Sprintf("sim-%d", o.Seed%100000)
	}
	if o.ProgressEvery == 0 {
		o.ProgressEvery = time.Second
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 10 * time.Second
	}
	if o.Spread == 0 {
		o.Spread = min(o.Interval, 30*time.Second)
		if o.Reconnect {
			o.Spread = o.Interval
		}
		// A run shorter than the spread would leave most hosts silent
		// (3 hosts for 3s at the 10s default often sent nothing): then
		// every host reports in the first half of the run.
		if o.Duration < o.Spread {
			o.Spread = o.Duration / 2
		}
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	switch {
	case o.Hosts < 0:
		return fmt.Errorf("simulate: hosts %d: want at least 1", o.Hosts)
	case o.Duration < 0:
		return fmt.Errorf("simulate: duration %v: want a positive duration", o.Duration)
	case o.Interval < 0:
		return fmt.Errorf("simulate: interval %v: want 0 or more", o.Interval)
	case o.Mode != ModeFull && o.Mode != ModeHeartbeat && o.Mode != ModeMixed:
		return fmt.Errorf("simulate: mode %q: want full, heartbeat or mixed", o.Mode)
	case o.FullRatio < 0 || o.FullRatio > 1:
		return fmt.Errorf("simulate: full ratio %v: want 0 to 1", o.FullRatio)
	case o.Churn < 0 || o.Churn > 1:
		return fmt.Errorf("simulate: churn %v: want 0 to 1", o.Churn)
	case o.Modules < 0 || o.Modules > 1024 || o.Drives < 0 || o.Drives > 1000:
		return fmt.Errorf("simulate: %d modules and %d drives per host: want 0-1024 and 0-1000", o.Modules, o.Drives)
	case o.Connections < 0:
		return fmt.Errorf("simulate: connections %d: want 0 or more", o.Connections)
	case o.Window < 1:
		return fmt.Errorf("simulate: window %d: want at least 1", o.Window)
	case o.ReportsPerHost < 0:
		return fmt.Errorf("simulate: reports per host %d: want 0 or more", o.ReportsPerHost)
	case o.HostTLS != nil && o.Connections != 0:
		return fmt.Errorf("simulate: connections %d: with per-host certificates every host has its own connection (0)", o.Connections)
	case o.Spread < 0:
		return fmt.Errorf("simulate: spread %v: want 0 or more", o.Spread)
	case o.CollectorPID < 0:
		return fmt.Errorf("simulate: collector pid %d: want a process id", o.CollectorPID)
	case o.Reconnect && o.Connections != 0:
		return fmt.Errorf("simulate: connections %d: with a connection per report there is nothing to share (0)", o.Connections)
	case o.HostID != "" && o.Hosts != 1:
		return fmt.Errorf("simulate: a host id (%q) names one host, not %d", o.HostID, o.Hosts)
	}
	return nil
}

// Summary is what a simulation measured.
type Summary struct {
	Hosts int
	// Connected is the most host streams open at once.
	Connected int64
	// Elapsed is the sending phase (Duration, or less when cancelled).
	Elapsed time.Duration
	// Sent counts reports sent, split into full and heartbeat.
	Sent, FullSent, HeartbeatSent uint64
	// Acked counts acknowledgements received, by status.
	Acked, Committed, Duplicate, NeedFull uint64
	// Changes counts hardware changes (churn) simulated.
	Changes uint64
	// StreamErrors counts streams that broke (hosts reconnect and go on).
	StreamErrors uint64
	// Latency is from sending a report to receiving its ack.
	Latency Latency
	// FirstError is the first stream error, for the report.
	FirstError string
	// CollectorPeakRSS is the collector's peak resident memory in bytes
	// (0: not measured, see Options.CollectorPID); CollectorRSSError says
	// why it could not be read.
	CollectorPeakRSS  int64
	CollectorRSSError string
}

// Lost counts reports sent and never acknowledged: lost with a broken
// stream, or still unacknowledged when the drain timed out.
func (s Summary) Lost() uint64 {
	if s.Sent > s.Acked {
		return s.Sent - s.Acked
	}
	return 0
}

// Failed says reports were lost or streams broke: what a real fleet
// would see as gaps or retries.
func (s Summary) Failed() bool { return s.Lost() > 0 || s.StreamErrors > 0 }

// ReportsPerSecond is the send rate over Elapsed.
func (s Summary) ReportsPerSecond() float64 { return perSecond(s.Sent, s.Elapsed) }

// AckedPerSecond is the ack rate over Elapsed.
func (s Summary) AckedPerSecond() float64 { return perSecond(s.Acked, s.Elapsed) }

func perSecond(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// String is the final report printed by "memledger-agent simulate".
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hosts:        %d (at most %d streams open at once)\n", s.Hosts, s.Connected)
	fmt.Fprintf(&b, "elapsed:      %s\n", s.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "sent:         %d reports (%d full, %d heartbeats), %.0f reports/s\n", s.Sent, s.FullSent, s.HeartbeatSent, s.ReportsPerSecond())
	fmt.Fprintf(&b, "acked:        %d (%d committed, %d duplicate, %d need full), %.0f acked/s\n", s.Acked, s.Committed, s.Duplicate, s.NeedFull, s.AckedPerSecond())
	fmt.Fprintf(&b, "ack latency:  p50 %s  p90 %s  p99 %s  max %s\n", fmtDur(s.Latency.P50), fmtDur(s.Latency.P90), fmtDur(s.Latency.P99), fmtDur(s.Latency.Max))
	fmt.Fprintf(&b, "churn:        %d hardware changes\n", s.Changes)
	fmt.Fprintf(&b, "lost:         %d reports sent and never acknowledged\n", s.Lost())
	fmt.Fprintf(&b, "errors:       %d broken streams", s.StreamErrors)
	if s.FirstError != "" {
		fmt.Fprintf(&b, " (first: %s)", s.FirstError)
	}
	b.WriteByte('\n')
	switch {
	case s.CollectorRSSError != "":
		fmt.Fprintf(&b, "collector:    peak RSS not measured: %s\n", s.CollectorRSSError)
	case s.CollectorPeakRSS > 0:
		fmt.Fprintf(&b, "collector:    peak RSS %d MiB\n", s.CollectorPeakRSS>>20)
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	}
}

// counters are shared by all hosts.
type counters struct {
	sent, full, heartbeat          atomic.Uint64
	acked, committed, dup, needAll atomic.Uint64
	changes, streamErrs            atomic.Uint64
	open, maxOpen                  atomic.Int64
	latency                        histogram
	firstErr                       atomic.Pointer[string]
}

func (c *counters) streamOpened() {
	n := c.open.Add(1)
	for {
		m := c.maxOpen.Load()
		if n <= m || c.maxOpen.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *counters) streamError(err error) {
	c.streamErrs.Add(1)
	msg := err.Error()
	c.firstErr.CompareAndSwap(nil, &msg)
}

// Run simulates the fleet until Duration has passed or ctx is cancelled,
// then waits for outstanding acks and returns the summary. It fails only
// when the simulation cannot start (bad options, no connection); broken
// streams are counted, and their hosts reconnect.
func Run(ctx context.Context, opts Options) (Summary, error) {
	if err := opts.setDefaults(); err != nil {
		return Summary{}, err
	}
	hosts := make([]*hostSim, opts.Hosts)
	for i := range hosts {
		// Each host has its own random stream: reproducible per seed, and
		// no lock shared by thousands of goroutines.
		r := rand.New(rand.NewPCG(opts.Seed, uint64(i)))
		h := newHost(r, opts.HostPrefix, i, opts.Modules, opts.Drives)
		if opts.HostID != "" {
			h.inv.Host.HostId = opts.HostID
		}
		hosts[i] = &hostSim{opts: &opts, h: h, r: r}
	}
	conns, err := dialHosts(ctx, opts, hosts)
	if err != nil {
		return Summary{}, err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var c counters
	start := time.Now()
	sendCtx, stopSending := context.WithTimeout(ctx, opts.Duration)
	defer stopSending()
	// Acks are awaited a little longer than sends; a cancelled ctx ends
	// everything at once.
	ackCtx, stopAcks := context.WithCancel(ctx)
	defer stopAcks()

	var wg sync.WaitGroup
	for _, sim := range hosts {
		sim.c = &c
		wg.Add(1)
		go func() {
			defer wg.Done()
			sim.run(sendCtx, ackCtx)
		}()
	}

	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	progress := newProgressPrinter(opts, &c, start)
	ticker := time.NewTicker(opts.ProgressEvery)
	defer ticker.Stop()
	var elapsed time.Duration
	sendingDone := sendCtx.Done()
	var drainTimer <-chan time.Time
loop:
	for {
		select {
		case <-done:
			break loop
		case <-ticker.C:
			progress.line(false)
		case <-sendingDone:
			elapsed = time.Since(start)
			sendingDone = nil
			drainTimer = time.After(opts.DrainTimeout)
		case <-drainTimer:
			stopAcks() // give up on acks that did not come
			drainTimer = nil
		}
	}
	if elapsed == 0 {
		elapsed = time.Since(start)
	}
	progress.line(true)
	sum := Summary{
		Hosts:         opts.Hosts,
		Connected:     c.maxOpen.Load(),
		Elapsed:       elapsed,
		Sent:          c.sent.Load(),
		FullSent:      c.full.Load(),
		HeartbeatSent: c.heartbeat.Load(),
		Acked:         c.acked.Load(),
		Committed:     c.committed.Load(),
		Duplicate:     c.dup.Load(),
		NeedFull:      c.needAll.Load(),
		Changes:       c.changes.Load(),
		StreamErrors:  c.streamErrs.Load(),
		Latency:       c.latency.snapshot(),
		FirstError:    deref(c.firstErr.Load()),
	}
	if opts.CollectorPID > 0 {
		path := filepath.Join(opts.ProcRoot, strconv.Itoa(opts.CollectorPID), "status")
		if b, err := os.ReadFile(path); err != nil {
			sum.CollectorRSSError = err.Error()
		} else if sum.CollectorPeakRSS, err = PeakRSS(b); err != nil {
			sum.CollectorRSSError = fmt.Sprintf("%s: %v", path, err)
		}
	}
	return sum, nil
}

// PeakRSS reads the peak resident set size (VmHWM, in bytes) from the
// text of a Linux /proc/PID/status file.
func PeakRSS(status []byte) (int64, error) { return StatusSize(status, "VmHWM") }

// StatusSize reads the size field (VmHWM, VmRSS, ...; "NAME: N kB"), in
// bytes, from the text of a Linux /proc/PID/status file.
func StatusSize(status []byte, field string) (int64, error) {
	for line := range strings.Lines(string(status)) {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s line %q: want \"%s: N kB\"", field, strings.TrimSpace(line), field)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 || kb > math.MaxInt64>>10 {
			return 0, fmt.Errorf("%s line %q: bad size", field, strings.TrimSpace(line))
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line (not a Linux process status file?)", field)
}

// dialHosts connects the hosts: each with its own certificate (HostTLS),
// else over Connections shared connections (0: one per host).
func dialHosts(ctx context.Context, opts Options, hosts []*hostSim) ([]*grpc.ClientConn, error) {
	var conns []*grpc.ClientConn
	fail := func(err error) ([]*grpc.ClientConn, error) {
		for _, c := range conns {
			c.Close()
		}
		return nil, fmt.Errorf("simulate: %w", err)
	}
	if opts.HostTLS != nil {
		for _, h := range hosts {
			id := h.h.inv.GetHost().GetHostId()
			cfg, err := opts.HostTLS(ctx, id)
			if err != nil {
				return fail(fmt.Errorf("host %s: %w", id, err))
			}
			so := opts.Send
			so.Insecure, so.TLS = false, cfg
			if opts.Reconnect {
				h.send = so // connects for each report
				continue
			}
			cc, err := send.Dial(opts.Collector, so)
			if err != nil {
				return fail(err)
			}
			conns = append(conns, cc)
			h.cc = cc
		}
		return conns, nil
	}
	if opts.Reconnect {
		for _, h := range hosts {
			h.send = opts.Send
		}
		return nil, nil
	}
	nconn := opts.Connections
	if nconn == 0 || nconn > opts.Hosts {
		nconn = opts.Hosts
	}
	for range nconn {
		cc, err := send.Dial(opts.Collector, opts.Send)
		if err != nil {
			return fail(err)
		}
		conns = append(conns, cc)
	}
	for i, h := range hosts {
		h.cc = conns[i%nconn]
	}
	return conns, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// hostSim is one simulated agent.
type hostSim struct {
	opts *Options
	c    *counters
	h    *host
	r    *rand.Rand
	cc   grpc.ClientConnInterface
	// send configures the connection of each report (Options.Reconnect).
	send send.Options

	seq      uint64
	digest   string // of h.inv
	needFull atomic.Bool
	sent     int // reports sent, for ReportsPerHost
	// firstAt delays the host's first report (zero: at once).
	firstAt time.Time
}

// run reports until sendCtx ends, reconnecting after a broken stream, and
// then waits (up to ackCtx) for the outstanding acks.
func (s *hostSim) run(sendCtx, ackCtx context.Context) {
	s.needFull.Store(true) // a host's first report is full
	// Hosts connect at once but spread their first reports, so they do
	// not all report in step.
	if spread := s.opts.Spread; spread > 0 {
		s.firstAt = time.Now().Add(time.Duration(s.r.Int64N(int64(spread))))
	}
	if s.opts.Reconnect {
		s.reportEach(sendCtx, ackCtx)
		return
	}
	for sendCtx.Err() == nil {
		err := s.stream(sendCtx, ackCtx)
		if err == nil || s.done() {
			return
		}
		s.c.streamError(err)
		s.needFull.Store(true) // after reconnecting, resynchronise
		// Back off before reconnecting, like an agent would.
		if !sleep(sendCtx, time.Second+time.Duration(s.r.Int64N(int64(time.Second)))) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// stream runs one Report stream: it returns nil when the sending phase
// ended and every ack arrived (or ackCtx ended), an error when the stream
// broke.
func (s *hostSim) stream(sendCtx, ackCtx context.Context) error {
	st, err := send.OpenStream(ackCtx, s.cc, reportCodec())
	if err != nil {
		return err
	}
	defer st.Close()
	s.c.streamOpened()
	defer s.c.open.Add(-1)

	// sentAt carries the send time of each unacknowledged report, in
	// order; its capacity is the window, so a full channel means wait.
	sentAt := make(chan time.Time, s.opts.Window)
	recvErr := make(chan error, 1)
	go func() { recvErr <- s.receive(st, sentAt) }()

	next := time.Now()
	if s.firstAt.After(next) {
		next, s.firstAt = s.firstAt, time.Time{}
	}
sending:
	for !s.done() {
		if s.opts.Interval > 0 {
			if !sleepUntil(sendCtx, next, recvErr) {
				break sending
			}
			// Jitter each interval by ±50%.
			next = next.Add(s.opts.Interval/2 + time.Duration(s.r.Int64N(int64(s.opts.Interval)+1)))
		}
		req := s.nextReport()
		// Wait for room in the window (an ack) before sending.
		select {
		case sentAt <- time.Now():
		case <-sendCtx.Done():
			break sending
		case err := <-recvErr:
			return streamEnded(err)
		}
		if err := st.Send(req); err != nil {
			// The receiver has the stream's status.
			return streamEnded(<-recvErr)
		}
		s.countSent(req)
	}
	// Sending is over: let the collector acknowledge what is in flight.
	if err := st.CloseSend(); err != nil {
		return nil
	}
	if err := <-recvErr; err != nil && ackCtx.Err() == nil {
		return err
	}
	return nil
}

// done reports whether the host sent all its reports.
func (s *hostSim) done() bool {
	return s.opts.ReportsPerHost > 0 && s.sent >= s.opts.ReportsPerHost
}

// streamEnded turns the end of a stream while still sending into an error.
func streamEnded(err error) error {
	if err == nil {
		return errors.New("the collector ended the stream")
	}
	return err
}

// sleepUntil waits for t; false when ctx ends first or the stream broke
// (the error is put back for the caller).
func sleepUntil(ctx context.Context, t time.Time, recvErr chan error) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case err := <-recvErr:
		recvErr <- err
		return false
	}
}

// reportEach sends each report on a connection of its own (see
// Options.Reconnect) until sendCtx ends. A report that fails is counted
// as a broken stream and lost; the host's next report is then a full one.
func (s *hostSim) reportEach(sendCtx, ackCtx context.Context) {
	next := time.Now()
	if s.firstAt.After(next) {
		next = s.firstAt
	}
	for !s.done() {
		if s.opts.Interval > 0 {
			if !sleep(sendCtx, time.Until(next)) {
				return
			}
			next = next.Add(s.opts.Interval/2 + time.Duration(s.r.Int64N(int64(s.opts.Interval)+1)))
		} else if sendCtx.Err() != nil {
			return
		}
		if err := s.reportOnce(ackCtx); err != nil {
			s.c.streamError(err)
			s.needFull.Store(true)
		}
	}
}

// reportOnce connects, sends one report, waits for its ack and closes.
// The latency recorded runs from the connection's start to the ack: what
// an agent that connects to report waits.
func (s *hostSim) reportOnce(ctx context.Context) error {
	t0 := time.Now()
	cc, err := send.Dial(s.opts.Collector, s.send)
	if err != nil {
		return err
	}
	defer cc.Close()
	st, err := send.OpenStream(ctx, cc, reportCodec())
	if err != nil {
		return err
	}
	defer st.Close()
	s.c.streamOpened()
	defer s.c.open.Add(-1)
	req := s.nextReport()
	if err := st.Send(req); err != nil {
		_, rerr := st.Recv() // the stream's status
		return streamEnded(rerr)
	}
	s.countSent(req)
	if err := st.CloseSend(); err != nil {
		return err
	}
	ack, err := st.Recv()
	if err != nil {
		return streamEnded(err)
	}
	s.observeAck(ack, t0)
	return nil
}

func (s *hostSim) countSent(req *memledgerv1.ReportRequest) {
	s.c.sent.Add(1)
	s.sent++
	if req.GetHeartbeat() != nil {
		s.c.heartbeat.Add(1)
	} else {
		s.c.full.Add(1)
	}
}

// receive reads acks until the stream ends; nil at a clean end.
func (s *hostSim) receive(st *send.Stream, sentAt chan time.Time) error {
	for {
		ack, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if status.Code(err) == codes.Canceled {
				return nil
			}
			return err
		}
		s.observeAck(ack, <-sentAt)
	}
}

// observeAck counts an ack of a report sent at t0.
func (s *hostSim) observeAck(ack send.Ack, t0 time.Time) {
	s.c.latency.record(time.Since(t0))
	s.c.acked.Add(1)
	switch ack.Status {
	case memledgerv1.AckStatus_ACK_STATUS_COMMITTED:
		s.c.committed.Add(1)
	case memledgerv1.AckStatus_ACK_STATUS_DUPLICATE:
		s.c.dup.Add(1)
	case memledgerv1.AckStatus_ACK_STATUS_NEED_FULL:
		s.c.needAll.Add(1)
		s.needFull.Store(true)
	}
}

// nextReport decides what the host reports now: a full inventory after a
// change, when the collector asked for one, or as the mode says; a
// heartbeat otherwise.
func (s *hostSim) nextReport() *memledgerv1.ReportRequest {
	now := time.Now()
	s.seq = send.NextSequence(s.seq, now)
	full := s.needFull.Swap(false)
	if s.opts.Churn > 0 && s.r.Float64() < s.opts.Churn {
		s.h.churn(s.r)
		s.digest = ""
		s.c.changes.Add(1)
		full = true
	}
	switch s.opts.Mode {
	case ModeFull:
		full = true
	case ModeMixed:
		if !full && s.r.Float64() < s.opts.FullRatio {
			full = true
		}
	}
	if full {
		// A shallow copy with this report's collected_at: the host's
		// inventory is replaced, never modified, on churn, so reports in
		// flight keep their content, and a deep copy per report would cost
		// the simulator CPU the collector needs on a shared machine.
		src := s.h.inv
		inv := &memledgerv1.Inventory{
			Host:           src.Host,
			CollectedAt:    timestamppb.New(now),
			AgentVersion:   src.AgentVersion,
			MemoryModules:  src.MemoryModules,
			StorageDevices: src.StorageDevices,
			Warnings:       src.Warnings,
			Sources:        src.Sources,
			Incomplete:     src.Incomplete,
		}
		// The digest a heartbeat needs is computed when one is sent.
		return send.FullReport(inv, s.seq, now)
	}
	if s.digest == "" {
		d, err := inventory.Digest(s.h.inv)
		if err == nil {
			s.digest = d
		}
	}
	return send.HeartbeatReport(s.h.inv.GetHost().GetHostId(), s.seq, s.digest, now, now)
}
