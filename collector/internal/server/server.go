// Package server is the collector's gRPC ingest service: agents open a
// Report stream (memledger.v1.IngestService) and send inventory reports;
// the server validates each one, hands it to a single group-committing
// writer (Committer) and acknowledges it, in order per stream, only once it
// is durably committed.
//
// Untrusted input: every report is decoded and validated by this package
// (so that a bad one ends its stream with InvalidArgument and a reason, not
// a generic decoding failure), bounded in size, count and bytes in flight.
// A stream that cannot make progress (a slow agent, a full commit queue)
// stops reading, and gRPC flow control pushes back on that agent only.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // agents may compress reports
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Options configure a Server. Zero fields take the defaults named.
type Options struct {
	// Limits bound each report (DefaultLimits).
	Limits Limits
	// Committer tunes group commit.
	Committer CommitterOptions
	// Committers is the number of group committers (default 2). Hosts are
	// spread over them, each host always on the same one so its reports
	// stay in order; with two, one prepares a batch while the other's
	// transaction is written and synced. The queue size applies to each.
	Committers int
	// StreamWindow is the most reports one stream may have received but
	// not yet acknowledged (default 64). Agents may pipeline that many.
	StreamWindow int
	// MaxInflightBytes bounds the memory of all reports received and not
	// yet committed, over all streams (default 128 MiB), counted as
	// decodedFactor times their encoded size (budget.go).
	MaxInflightBytes int64
	// MaxRecvMsgSize bounds one report's encoded size (default 4 MiB).
	MaxRecvMsgSize int
	// MaxStreams bounds the concurrently open streams of every service
	// (default 20000); more are refused with ResourceExhausted.
	MaxStreams int
	// MaxStreamsPerHost bounds the open streams of one client
	// certificate's host, with TLS (default 8: an agent uses one at a
	// time, a one-shot scan or doctor another).
	MaxStreamsPerHost int
	// MaxStreamsPerConn bounds the streams on one connection (default 1024).
	MaxStreamsPerConn int
	// StreamIdleTimeout ends a Report stream on which nothing was received
	// or acknowledged for this long (default 10m), with Unavailable: an
	// agent reconnects when it has a report. Connections without streams
	// are closed after the same time.
	StreamIdleTimeout time.Duration
	// MaxConns bounds the open connections (default 20000); beyond it
	// new connections wait in the listen backlog.
	MaxConns int
	// ShutdownTimeout bounds the drain on shutdown (default 30s).
	ShutdownTimeout time.Duration
	// HostLimits bound each host's reports and ledger events
	// (admission.go; DefaultHostLimits).
	HostLimits HostLimits
	// OnRefused, when set, is called for every report refused by a host
	// limit, with the limit's name (metrics). It must not block.
	OnRefused func(limit string)
	// MaxClockSkew is how far ahead of the collector's clock a report's
	// sequence and collected_at may be (DefaultMaxClockSkew); further
	// ahead, the stream ends with OutOfRange (CheckReportClock).
	MaxClockSkew time.Duration
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
	// Now returns the time a report is received (default time.Now).
	Now func() time.Time
	// TLS, when set, serves over TLS with this configuration and binds
	// every Report stream to the host id of the agent's verified client
	// certificate (identity.go). Nil serves plaintext with no binding
	// (--insecure).
	TLS *tls.Config
	// Enroll, when set, is served as memledger.v1.EnrollService on the
	// same listener.
	Enroll memledgerv1.EnrollServiceServer
	// CheckCert, when set with TLS, is asked about every verified client
	// certificate: at the handshake, when a stream or call starts, and
	// every RevocationCheckInterval for the streams open; an error
	// (revocation) refuses the connection, refuses the call with
	// PermissionDenied or ends the stream with PermissionDenied.
	CheckCert func(host string, cert *x509.Certificate) error
	// RevocationCheckInterval is how often open streams are checked with
	// CheckCert (default 5s).
	RevocationCheckInterval time.Duration
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.withDefaults()
	if o.Committers <= 0 {
		o.Committers = 2
	}
	if o.StreamWindow <= 0 {
		o.StreamWindow = 64
	}
	if o.MaxInflightBytes <= 0 {
		o.MaxInflightBytes = 128 << 20
	}
	if o.MaxRecvMsgSize <= 0 {
		o.MaxRecvMsgSize = 4 << 20
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 20000
	}
	if o.MaxStreamsPerConn <= 0 {
		o.MaxStreamsPerConn = 1024
	}
	if o.MaxStreamsPerHost <= 0 {
		o.MaxStreamsPerHost = 8
	}
	if o.StreamIdleTimeout <= 0 {
		o.StreamIdleTimeout = 10 * time.Minute
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 20000
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.RevocationCheckInterval <= 0 {
		o.RevocationCheckInterval = 5 * time.Second
	}
	if o.MaxClockSkew <= 0 {
		o.MaxClockSkew = DefaultMaxClockSkew
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Committer.Logger == nil {
		o.Committer.Logger = o.Logger
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// IngestServiceName is the gRPC service the server implements.
const IngestServiceName = "memledger.v1.IngestService"

// Server serves IngestService, gRPC health and server reflection. A Server
// serves once: after Serve returns it cannot be restarted.
type Server struct {
	opts      Options
	grpc      *grpc.Server
	health    *health.Server
	committer *committerGroup
	budget    *budget
	admission *admission

	// intake guards draining: a stream submits a report and queues its
	// ticket under the read lock, so that once shutdown holds the write
	// lock every submitted report is in its stream's queue.
	intake   sync.RWMutex
	draining bool
	drainCh  chan struct{}

	// slots admits streams (streams.go).
	slots          streamSlots
	refusedStreams atomic.Uint64

	streams  atomic.Int64
	rejected atomic.Uint64

	// gate holds Accept while the budget is exhausted (Serve sets it).
	gate atomic.Pointer[acceptGate]
}

// New returns a server that commits to st. The caller keeps ownership of
// st and closes it after Serve returns.
func New(st store.Store, opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:      opts,
		committer: newCommitterGroup(st, opts.Committers, opts.Committer),
		budget:    newBudget(opts.MaxInflightBytes),
		admission: newAdmission(opts.HostLimits, opts.Limits.MaxParts, opts.Logger, opts.OnRefused),
		drainCh:   make(chan struct{}),
		health:    health.NewServer(),
	}
	if c, ok := st.(eventCounter); ok {
		s.admission.ledger = c
	}
	s.grpc = grpc.NewServer(
		grpc.ForceServerCodecV2(reportCodec{base: encoding.GetCodecV2("proto")}),
		grpc.MaxRecvMsgSize(opts.MaxRecvMsgSize),
		grpc.MaxConcurrentStreams(uint32(opts.MaxStreamsPerConn)),
		// Agents stream for days and report rarely: keep idle connections,
		// but find dead peers, and refuse pings more frequent than this.
		// A connection that opens no stream (a stranger holding a socket)
		// is closed after the idle timeout.
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 2 * time.Minute, Timeout: 20 * time.Second, MaxConnectionIdle: opts.StreamIdleTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 15 * time.Second, PermitWithoutStream: true}),
		grpc.ConnectionTimeout(20*time.Second),
		// Ten thousand idle agents: smaller per-connection read buffers
		// (the default is 32 KiB each); write buffers are shared.
		grpc.ReadBufferSize(8<<10),
		// Fixed flow-control windows (no BDP growth): what a peer can
		// make the collector receive, decrypt and buffer on a stream it
		// refuses (an agent over its limits opening streams in a loop)
		// stays small. 256 KiB per stream moves a 4 MiB report in 16
		// round trips.
		grpc.InitialWindowSize(256<<10),
		grpc.InitialConnWindowSize(1<<20),
		opts.transportOption(), // TLS, unless --insecure
		grpc.StreamInterceptor(s.admitStream),
		grpc.UnaryInterceptor(s.admitUnary),
	)
	s.grpc.RegisterService(&ingestServiceDesc, s)
	s.registerEnroll()
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(IngestServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	return s
}

// Serve accepts agents on lis until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets every stream acknowledge the reports
// it already received (committing them), ends the streams with Unavailable
// and waits for the last batch. It returns nil after a clean shutdown.
// The listener is closed on return.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	errc := make(chan error, 1)
	gate := newAcceptGate(netutil.LimitListener(lis, s.opts.MaxConns), s.budget.exhausted, s.opts.Logger)
	s.gate.Store(gate)
	lis = gate
	if s.opts.TLS != nil && s.opts.CheckCert != nil {
		stop := make(chan struct{})
		defer close(stop)
		go s.recheckStreams(stop)
	}
	go func() { errc <- s.grpc.Serve(lis) }()
	select {
	case err := <-errc:
		shutErr := s.shutdown()
		return errors.Join(fmt.Errorf("serve on %s: %w", lis.Addr(), err), shutErr)
	case <-ctx.Done():
		s.opts.Logger.Info("shutdown_started", "streams", s.streams.Load())
		err := s.shutdown()
		<-errc // Serve returns once stopped
		return err
	}
}

// shutdown drains the streams, stops the gRPC server and the committer.
func (s *Server) shutdown() error {
	s.health.Shutdown()
	s.intake.Lock()
	if !s.draining {
		s.draining = true
		close(s.drainCh)
	}
	s.intake.Unlock()

	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(s.opts.ShutdownTimeout)
	defer timer.Stop()
	var errs []error
	select {
	case <-stopped:
	case <-timer.C:
		// Streams stuck on agents that do not read their acks: cut them.
		// Their unacknowledged reports are sent again after reconnecting.
		s.opts.Logger.Warn("shutdown_timeout", "streams", s.streams.Load(), "timeout", s.opts.ShutdownTimeout)
		s.grpc.Stop()
		<-stopped
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := s.committer.Close(ctx); err != nil {
		errs = append(errs, err)
	}
	st := s.committer.Stats()
	s.opts.Logger.Info("shutdown_finished", "batches", st.Batches, "reports", st.Reports)
	return errors.Join(errs...)
}

// Stats are a snapshot of the server's counters.
type Stats struct {
	// Streams is the number of open Report streams.
	Streams int64
	// InflightBytes is the memory the in-flight budget counts for the
	// reports received and not yet committed (inflightCost: their encoded
	// size times decodedFactor).
	InflightBytes int64
	// Rejected counts streams ended with InvalidArgument or OutOfRange.
	Rejected uint64
	// RefusedStreams counts streams refused by a stream cap.
	RefusedStreams uint64
	// Refused counts reports refused by a host limit (HostLimits).
	Refused uint64
	// AcceptPaused is how long new connections were held in the listen
	// backlog for an exhausted in-flight budget, in all (acceptGate).
	AcceptPaused time.Duration
	Committer    CommitterStats
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Streams:        s.streams.Load(),
		InflightBytes:  s.budget.inUse(),
		Rejected:       s.rejected.Load(),
		RefusedStreams: s.refusedStreams.Load(),
		Refused:        s.admission.refused.Load(),
		Committer:      s.committer.Stats(),
	}
	if g := s.gate.Load(); g != nil {
		st.AcceptPaused = time.Duration(g.pausedNanos.Load())
	}
	return st
}

// rawReport is a received report not yet decoded: the server decodes it
// itself so that a malformed one (invalid UTF-8, bad wire format) is
// answered InvalidArgument with a reason; gRPC's own decoding would answer
// Internal.
type rawReport struct{ b []byte }

// reportCodec is the proto codec, except that it hands rawReport the bytes.
type reportCodec struct{ base encoding.CodecV2 }

func (c reportCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c reportCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*rawReport); ok {
		r.b = data.Materialize() // data is reused after we return: copy
		return nil
	}
	return c.base.Unmarshal(data, v)
}

func (c reportCodec) Name() string { return c.base.Name() }

// reportHandler is what ingestServiceDesc's handler needs.
type reportHandler interface {
	handleReport(grpc.ServerStream) error
}

// ingestServiceDesc is memledgerv1.IngestService_ServiceDesc with a handler
// that receives raw reports (see rawReport). Service and method names and
// the proto file are the same, so clients and reflection see the generated
// service.
var ingestServiceDesc = grpc.ServiceDesc{
	ServiceName: memledgerv1.IngestService_ServiceDesc.ServiceName,
	HandlerType: (*reportHandler)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName: "Report",
		Handler: func(srv any, stream grpc.ServerStream) error {
			return srv.(reportHandler).handleReport(stream)
		},
		ServerStreams: true,
		ClientStreams: true,
	}},
	Metadata: memledgerv1.IngestService_ServiceDesc.Metadata,
}

// handleReport serves one Report stream.
func (s *Server) handleReport(ss grpc.ServerStream) error {
	s.streams.Add(1) // admitted by admitStream
	defer s.streams.Add(-1)
	ctx, cancel := context.WithCancel(ss.Context())
	defer cancel()
	r := &reportStream{
		s:        s,
		ss:       ss,
		ctx:      ctx,
		slots:    make(chan struct{}, s.opts.StreamWindow),
		inflight: make(chan *inflight, s.opts.StreamWindow),
		recvDone: make(chan error, 1),
	}
	r.peer = peerAddr(ctx)
	if err := r.bindIdentity(); err != nil {
		return err
	}
	// A stream that neither sends nor waits for an ack holds a slot and
	// memory for nothing: cut it once idle.
	r.idle = time.AfterFunc(s.opts.StreamIdleTimeout, func() {
		r.idled.Store(true)
		cancel()
	})
	defer r.idle.Stop()
	go r.recvLoop()
	err := r.run()
	if st, ok := status.FromError(err); ok && (st.Code() == codes.InvalidArgument || st.Code() == codes.OutOfRange) {
		s.rejected.Add(1)
		host := ""
		if h := r.logHost.Load(); h != nil {
			host = *h
		}
		s.opts.Logger.Warn("report_rejected", "peer", r.peer, "host_id", host, "reason", st.Message())
	}
	return err
}

// reportStream is one agent's stream: recvLoop reads, validates and submits
// reports; run acknowledges them in order.
type reportStream struct {
	s    *Server
	ss   grpc.ServerStream
	ctx  context.Context
	peer string

	// slots holds one token per report received and not yet acknowledged;
	// recvLoop takes one before reading, so it stops reading at the window.
	slots chan struct{}
	// inflight is the queue of received reports in order; it never blocks
	// a sender holding a slot.
	inflight chan *inflight
	// recvDone gets recvLoop's final error (nil at the agent's end of
	// stream) after its last push to inflight.
	recvDone chan error

	// hostID is the host of the stream's first report and last the last
	// sequence decoded; both belong to recvLoop.
	hostID string
	last   uint64
	// lastDigest is the digest of the stream's last full inventory: a
	// report repeating it is not observed ahead of Apply, which will most
	// likely find it held and not need the parts.
	lastDigest string
	// observed remembers what observing the parts of the stream's last
	// changed inventory gave, from its second one on (observedOne): the
	// next one mostly lists the same parts (recvLoop's).
	observed    ledger.ObserveMemo
	observedOne bool
	// certHost is the host id of the agent's client certificate, when
	// the server runs with TLS (identity.go).
	certHost string
	// logHost is hostID for the log, readable from any goroutine.
	logHost atomic.Pointer[string]
	// idle fires after StreamIdleTimeout without a report received or an
	// ack sent, and sets idled before it cancels ctx.
	idle  *time.Timer
	idled atomic.Bool
}

// active pushes the idle deadline back.
func (r *reportStream) active() { r.idle.Reset(r.s.opts.StreamIdleTimeout) }

// inflight is one received report: its ticket, or the error that ends the
// stream at this point.
type inflight struct {
	seq uint64
	// host and reserved are the report's admission (admission.go).
	host     string
	reserved int
	ticket   *Ticket
	err      error
}

func (r *reportStream) recvLoop() {
	r.recvDone <- r.receive()
}

// receive reads reports until the stream ends, a report is bad or the
// collector drains; see recvLoop.
func (r *reportStream) receive() error {
	s := r.s
	for {
		select {
		case r.slots <- struct{}{}:
		case <-r.ctx.Done():
			return nil
		}
		var raw rawReport
		if err := r.ss.RecvMsg(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		r.active()
		// Per-host limits, before the report costs any decoding.
		peek := peekReport(raw.b)
		host, seq := peek.host, peek.seq
		if r.certHost != "" {
			host = r.certHost
		}
		reserved := 0
		if host != "" {
			var err error
			if reserved, err = s.admission.admit(r.ctx, host, seq, peek.full, peek.items, s.opts.Now()); err != nil {
				// Held a moment before the stream ends: an agent that
				// retries at once gets at most MaxStreamsPerHost
				// refusals a second, each costing one report's receipt.
				hold := time.NewTimer(refusalHold)
				select {
				case <-hold.C:
				case <-r.ctx.Done():
				}
				hold.Stop()
				r.inflight <- &inflight{seq: seq, err: err}
				return nil
			}
		}
		// The report's events reservation is settled when it is acked
		// (ack); on the paths below that end the stream before, it stays
		// until the host's day is over.
		held, err := s.budget.acquire(r.ctx, inflightCost(len(raw.b), peek.items))
		if err != nil {
			return nil // the stream is gone
		}
		rep, err := r.decode(raw.b)
		if err != nil {
			s.admission.settle(host, reserved, 0, s.opts.Now())
			s.budget.release(held)
			r.inflight <- &inflight{seq: rep.Sequence, err: err}
			return nil
		}
		s.intake.RLock()
		if s.draining {
			s.intake.RUnlock()
			s.budget.release(held)
			return nil
		}
		t, err := s.committer.Submit(r.ctx, rep, func() { s.budget.release(held) })
		if err != nil {
			s.intake.RUnlock()
			s.budget.release(held)
			return nil // stream gone or committer closed: the report stays unacknowledged
		}
		r.inflight <- &inflight{seq: rep.Sequence, host: host, reserved: reserved, ticket: t}
		s.intake.RUnlock()
	}
}

// decode turns raw bytes into a validated store report, or an
// InvalidArgument status naming the problem.
func (r *reportStream) decode(b []byte) (store.Report, error) {
	req, err := DecodeReport(b, r.s.opts.Limits)
	if err != nil {
		if req == nil {
			if r.last == 0 {
				return store.Report{}, status.Errorf(codes.InvalidArgument, "first report of the stream: %v", err)
			}
			return store.Report{}, status.Errorf(codes.InvalidArgument, "report after sequence %d: %v", r.last, err)
		}
		return store.Report{Sequence: req.GetSequence()}, status.Errorf(codes.InvalidArgument, "report sequence %d: %v", req.GetSequence(), err)
	}
	if err := r.checkIdentity(req); err != nil {
		return store.Report{Sequence: req.GetSequence()}, err
	}
	if r.hostID == "" {
		r.hostID = strings.Clone(req.GetHostId()) // kept for the stream's life: not the first report's buffer
		r.logHost.Store(&r.hostID)
	} else if req.GetHostId() != r.hostID {
		return store.Report{Sequence: req.GetSequence()}, status.Errorf(codes.InvalidArgument,
			"report sequence %d: host_id %.80q differs from this stream's host %.80q (one stream per host)", req.GetSequence(), req.GetHostId(), r.hostID)
	}
	receivedAt := r.s.opts.Now()
	if err := CheckReportClock(req, receivedAt, r.s.opts.MaxClockSkew); err != nil {
		return store.Report{Sequence: req.GetSequence()}, clockRefusal(req.GetSequence(), err)
	}
	r.last = req.GetSequence()
	rep := ToStoreReport(req, receivedAt)
	rep.MaxSequence = SequenceBound(receivedAt, r.s.opts.MaxClockSkew)
	// Digest (and observe a changed inventory) here, in parallel with the
	// committer, whose goroutine is the ingest's bottleneck.
	// Errors are left to Apply, which rejects the report with the reason.
	// DecodeReport validated every string as UTF-8.
	if pre, err := store.Precompute(rep, store.KnownValidUTF8); err == nil && pre != nil {
		if pre.Digest != r.lastDigest {
			// The memo from the second changed inventory on: most
			// streams send one (on connecting) and then heartbeats,
			// and 10,000 idle streams would hold ~90 MB of memos.
			memo := &r.observed
			if !r.observedOne {
				memo, r.observedOne = nil, true
			}
			pre.Observe(rep, memo)
		}
		r.lastDigest = pre.Digest
		rep.Pre = pre
	}
	return rep, nil
}

// DecodeReport decodes and validates one encoded ReportRequest. On a
// decoding error it returns a nil request; on a validation error the decoded
// request too (for its sequence). Errors wrap ErrInvalidReport.
func DecodeReport(b []byte, lim Limits) (*memledgerv1.ReportRequest, error) {
	req := new(memledgerv1.ReportRequest)
	// The generated decoder (vtprotobuf) takes half the time of
	// proto.Unmarshal, the largest cost of a changed report in the
	// collector. Unlike proto.Unmarshal it accepts strings that are not
	// UTF-8; ValidateReport rejects them. Its unsafe variant does not copy
	// strings: they point into b, which the caller must leave unchanged
	// (the stream's copy of the message, owned by the report), and what
	// outlives the report must copy the strings it keeps, or it keeps the
	// whole message alive: the stream's host id, the engine's part row
	// cache (setObserved) and the policy queue do
	// (TestDecodedReportsAreNotRetained).
	if err := req.UnmarshalVTUnsafe(b); err != nil {
		return nil, fmt.Errorf("cannot decode %d bytes as memledger.v1.ReportRequest: %v: %w", len(b), err, ErrInvalidReport)
	}
	if err := ValidateReport(req, lim); err != nil {
		return req, err
	}
	return req, nil
}

// ToStoreReport converts a validated report received at receivedAt. It is
// recorded at ObservedAt: the agent's observation time, bounded by
// receivedAt.
func ToStoreReport(req *memledgerv1.ReportRequest, receivedAt time.Time) store.Report {
	rep := store.Report{
		HostID:     req.GetHostId(),
		Sequence:   req.GetSequence(),
		ReceivedAt: ObservedAt(req, receivedAt).UTC().Truncate(time.Microsecond),
	}
	if hb := req.GetHeartbeat(); hb != nil {
		rep.HeartbeatDigest = hb.GetInventoryDigest()
	} else {
		rep.Inventory = req.GetInventory()
	}
	return rep
}

// run acknowledges the stream's reports in order until it ends.
func (r *reportStream) run() error {
	for {
		select {
		case it := <-r.inflight:
			if err := r.ack(it); err != nil {
				return err
			}
		case recvErr := <-r.recvDone:
			// Everything recvLoop queued is in inflight by now.
			if err := r.ackQueued(); err != nil {
				return err
			}
			return recvErr
		case <-r.s.drainCh:
			// Intake is closed: every submitted report is in inflight.
			if err := r.ackQueued(); err != nil {
				return err
			}
			return status.Error(codes.Unavailable, "collector is shutting down: reconnect and send unacknowledged reports again")
		case <-r.ctx.Done():
			if err := context.Cause(r.ctx); status.Code(err) == codes.PermissionDenied {
				return err // revoked (streams.go)
			}
			if r.idled.Load() {
				r.s.opts.Logger.Info("stream_idle_closed", "peer", r.peer, "idle", r.s.opts.StreamIdleTimeout)
				return status.Errorf(codes.Unavailable, "stream idle for %s: closed; reconnect to report", r.s.opts.StreamIdleTimeout)
			}
			return status.FromContextError(r.ctx.Err()).Err()
		}
	}
}

// ackQueued acknowledges the reports already queued.
func (r *reportStream) ackQueued() error {
	for {
		select {
		case it := <-r.inflight:
			if err := r.ack(it); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// ack waits for one report's outcome and sends its acknowledgement; it
// returns the status that ends the stream when the report was rejected or
// not committed.
func (r *reportStream) ack(it *inflight) error {
	defer func() { <-r.slots }()
	if it.err != nil {
		return it.err
	}
	out, err := it.ticket.Wait(r.ctx)
	if err == nil || r.ctx.Err() == nil {
		// The outcome is known (a failed commit made no events); a
		// report abandoned while waiting keeps its reservation.
		r.s.admission.settle(it.host, it.reserved, out.Events, r.s.opts.Now())
	}
	if err != nil {
		if r.ctx.Err() != nil {
			return status.FromContextError(r.ctx.Err()).Err()
		}
		// The details are in the collector's log (committer); agents get
		// no database internals.
		return status.Errorf(codes.Unavailable, "report sequence %d was not committed (database error): send it again", it.seq)
	}
	if out.PoisonedSequence != 0 {
		// A collector before the clock check committed it; the host
		// reports again from here (store.Report.MaxSequence).
		r.s.opts.Logger.Warn("poisoned_sequence_replaced", "host_id", it.host, "poisoned_sequence", out.PoisonedSequence, "sequence", it.seq)
	}
	resp := &memledgerv1.ReportResponse{Sequence: it.seq, Message: out.Message}
	switch out.Status {
	case store.Committed:
		resp.Status = memledgerv1.AckStatus_ACK_STATUS_COMMITTED
	case store.Duplicate:
		resp.Status = memledgerv1.AckStatus_ACK_STATUS_DUPLICATE
	case store.NeedFull:
		resp.Status = memledgerv1.AckStatus_ACK_STATUS_NEED_FULL
	case store.Rejected:
		msg := out.Message
		if out.Err != nil {
			msg = out.Err.Error()
		}
		return status.Errorf(codes.InvalidArgument, "report sequence %d: %s", it.seq, msg)
	default:
		return status.Errorf(codes.Internal, "report sequence %d: store returned unknown status %v", it.seq, out.Status)
	}
	if err := r.ss.SendMsg(resp); err != nil {
		return err
	}
	r.active()
	return nil
}
