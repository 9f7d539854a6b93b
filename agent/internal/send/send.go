// Package send delivers inventories to a memledger collector over gRPC
// (memledger.v1.IngestService): Send for a one-shot report ("scan --send"),
// and Stream, the reusable pipelined client the fleet simulator and the
// agent daemon use.
//
// Protocol in short (docs/protocol.md has the whole story): an agent opens a
// Report stream and sends reports, each with a sequence number that
// increases per host; the collector acknowledges each one, in order, once it
// is durably committed. A report the collector already holds is answered
// DUPLICATE, so re-sending after a lost ack is always safe. A malformed
// report ends the stream with InvalidArgument and the reason.
package send

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/protobuf/types/known/timestamppb"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// NextSequence returns the sequence of a host's next report after last: a
// hybrid clock, max(last+1, now in Unix microseconds). Successive reports
// of one agent always increase, even when the clock steps back, and a
// stateless one-shot scan (NextSequence(0, now)) still sorts after the
// reports a daemon sent before it and before those it sends later.
func NextSequence(last uint64, now time.Time) uint64 {
	next := last + 1
	if us := now.UnixMicro(); us > 0 && uint64(us) > next {
		next = uint64(us)
	}
	return next
}

// Options configure the connection to the collector.
type Options struct {
	// Insecure sends in plaintext (test setups only). Without it TLS is
	// required: a nil TLS is refused rather than silently downgraded.
	Insecure bool
	// TLS configures (mutual) TLS to the collector; see
	// agentconfig.Config.TLSConfig. Ignored when Insecure is set.
	TLS *tls.Config
	// Timeout bounds a whole Send: connect, report, acknowledgement
	// (default 30s). Streams are bounded by their context only.
	Timeout time.Duration
	// Gzip compresses reports (the collector accepts gzip).
	Gzip bool
	// DialOptions are added to the connection's options (tests, keepalive).
	DialOptions []grpc.DialOption
}

// ErrTLSUnsupported is returned when Options.Insecure is false and no TLS
// configuration is given.
var ErrTLSUnsupported = errors.New("no TLS configuration for the collector: give --tls-ca, --tls-cert and --tls-key, or --insecure for plaintext (test setups only)")

// Dial returns a connection to the collector at addr (host:port). It
// connects lazily, on first use.
func Dial(addr string, opts Options) (*grpc.ClientConn, error) {
	if addr == "" {
		return nil, errors.New("collector address: empty (want host:port)")
	}
	var creds credentials.TransportCredentials
	switch {
	case opts.Insecure:
		creds = insecure.NewCredentials()
	case opts.TLS != nil:
		creds = credentials.NewTLS(opts.TLS)
	default:
		return nil, ErrTLSUnsupported
	}
	dialOpts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, opts.DialOptions...)
	if opts.Gzip {
		dialOpts = append(dialOpts, grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
	}
	cc, err := grpc.NewClient(addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("collector %s: %w", addr, err)
	}
	return cc, nil
}

// Ack is the collector's acknowledgement of one report.
type Ack struct {
	Sequence uint64
	Status   memledgerv1.AckStatus
	// Message says why for DUPLICATE and NEED_FULL.
	Message string
}

// String renders the ack for people: "committed", "duplicate (...)".
func (a Ack) String() string {
	var s string
	switch a.Status {
	case memledgerv1.AckStatus_ACK_STATUS_COMMITTED:
		s = "committed"
	case memledgerv1.AckStatus_ACK_STATUS_DUPLICATE:
		s = "duplicate"
	case memledgerv1.AckStatus_ACK_STATUS_NEED_FULL:
		s = "need full inventory"
	default:
		s = a.Status.String()
	}
	if a.Message != "" {
		s += " (" + a.Message + ")"
	}
	return s
}

// FullReport wraps inv as report seq of its host, sent now.
func FullReport(inv *memledgerv1.Inventory, seq uint64, now time.Time) *memledgerv1.ReportRequest {
	return &memledgerv1.ReportRequest{
		HostId:   inv.GetHost().GetHostId(),
		Sequence: seq,
		Body:     &memledgerv1.ReportRequest_Inventory{Inventory: inv},
		SentAt:   timestamppb.New(now),
	}
}

// HeartbeatReport says host's inventory still has digest (see
// inventory.Digest) as of collectedAt.
func HeartbeatReport(hostID string, seq uint64, digest string, collectedAt, now time.Time) *memledgerv1.ReportRequest {
	return &memledgerv1.ReportRequest{
		HostId:   hostID,
		Sequence: seq,
		Body: &memledgerv1.ReportRequest_Heartbeat{Heartbeat: &memledgerv1.Heartbeat{
			InventoryDigest: digest,
			CollectedAt:     timestamppb.New(collectedAt),
		}},
		SentAt: timestamppb.New(now),
	}
}

// Send reports inv once to the collector at addr, as a one-shot scan does:
// a new stream, one full report with sequence NextSequence(0, now), its
// acknowledgement. A DUPLICATE ack means the collector already holds a
// newer report of the host; it is not an error.
func Send(ctx context.Context, addr string, inv *memledgerv1.Inventory, opts Options) (Ack, error) {
	if inv.GetHost().GetHostId() == "" {
		return Ack{}, errors.New("send inventory: no host id (set --host-id)")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cc, err := Dial(addr, opts)
	if err != nil {
		return Ack{}, err
	}
	defer cc.Close()
	s, err := OpenStream(ctx, cc)
	if err != nil {
		return Ack{}, fmt.Errorf("send to collector %s: %w", addr, err)
	}
	now := time.Now()
	if err := s.Send(FullReport(inv, NextSequence(0, now), now)); err != nil {
		// The collector ended the stream: its status says why.
		if _, rerr := s.Recv(); rerr != nil && !errors.Is(rerr, io.EOF) {
			err = rerr
		}
		return Ack{}, fmt.Errorf("send to collector %s: %w", addr, err)
	}
	if err := s.CloseSend(); err != nil {
		return Ack{}, fmt.Errorf("send to collector %s: %w", addr, err)
	}
	ack, err := s.Recv()
	if err != nil {
		return Ack{}, fmt.Errorf("send to collector %s: %w", addr, err)
	}
	return ack, nil
}

// Stream is one Report stream to the collector with pipelining: Send does
// not wait for acknowledgements, Recv returns them in order and checks that
// each one answers the oldest report not yet acknowledged. One goroutine
// may call Send while another calls Recv. Reconnecting (and re-sending the
// Pending reports) is the caller's job.
type Stream struct {
	client grpc.BidiStreamingClient[memledgerv1.ReportRequest, memledgerv1.ReportResponse]
	cancel context.CancelFunc

	mu      sync.Mutex
	pending []uint64 // sequences sent, not yet acknowledged, oldest first
}

// OpenStream opens a Report stream on cc. Cancelling ctx or calling Close
// ends it.
func OpenStream(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*Stream, error) {
	ctx, cancel := context.WithCancel(ctx)
	c, err := memledgerv1.NewIngestServiceClient(cc).Report(ctx, opts...)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open report stream: %w", err)
	}
	return &Stream{client: c, cancel: cancel}, nil
}

// Send sends one report. It blocks only on flow control (the collector
// pushes back when it is busy). The report counts as pending until its
// acknowledgement, even when Send fails.
func (s *Stream) Send(req *memledgerv1.ReportRequest) error {
	s.mu.Lock()
	s.pending = append(s.pending, req.GetSequence())
	s.mu.Unlock()
	if err := s.client.Send(req); err != nil {
		if errors.Is(err, io.EOF) {
			// gRPC reports the stream's end as io.EOF on Send; the status
			// saying why comes from Recv (which may run in another
			// goroutine, so it is not called here).
			return fmt.Errorf("report sequence %d: the collector ended the stream (Recv returns why): %w", req.GetSequence(), err)
		}
		return fmt.Errorf("report sequence %d: %w", req.GetSequence(), err)
	}
	return nil
}

// Recv returns the next acknowledgement. io.EOF means the collector closed
// the stream cleanly after acknowledging everything (after CloseSend). A
// gRPC status error ends the stream: codes.InvalidArgument carries the
// reason a report was rejected, codes.Unavailable asks to reconnect and
// send the Pending reports again.
func (s *Stream) Recv() (Ack, error) {
	resp, err := s.client.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Ack{}, io.EOF
		}
		return Ack{}, err
	}
	ack := Ack{Sequence: resp.GetSequence(), Status: resp.GetStatus(), Message: resp.GetMessage()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return ack, fmt.Errorf("collector acknowledged sequence %d, which was not sent on this stream", ack.Sequence)
	}
	if want := s.pending[0]; want != ack.Sequence {
		return ack, fmt.Errorf("collector acknowledged sequence %d out of order (oldest unacknowledged is %d)", ack.Sequence, want)
	}
	s.pending = s.pending[1:]
	return ack, nil
}

// Pending returns the sequences sent and not yet acknowledged, oldest
// first: after a broken stream, the reports to send again.
func (s *Stream) Pending() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.pending...)
}

// CloseSend says no more reports follow; the collector acknowledges the
// ones in flight and ends the stream (Recv returns io.EOF).
func (s *Stream) CloseSend() error { return s.client.CloseSend() }

// Close abandons the stream at once.
func (s *Stream) Close() { s.cancel() }
