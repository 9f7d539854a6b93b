package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/syncbuf"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestCheckReportClock(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	us := func(t time.Time) uint64 { return uint64(t.UnixMicro()) }
	withCollected := func(req *memledgerv1.ReportRequest, at time.Time) *memledgerv1.ReportRequest {
		if hb := req.GetHeartbeat(); hb != nil {
			hb.CollectedAt = timestamppb.New(at)
		} else {
			req.GetInventory().CollectedAt = timestamppb.New(at)
		}
		return req
	}
	inv := func() *memledgerv1.Inventory { return testInventory("h1", 1, 0, 0) }
	digest := mustDigest(t, inv())
	for _, tc := range []struct {
		name  string
		req   *memledgerv1.ReportRequest
		field string // "" when accepted
	}{
		{"small counter", fullReport("h1", 3, inv()), ""},
		{"now", fullReport("h1", us(now), inv()), ""},
		{"within skew", fullReport("h1", us(now.Add(4*time.Minute)), inv()), ""},
		{"beyond skew", fullReport("h1", us(now.Add(6*time.Minute)), inv()), "sequence"},
		{"max int64", heartbeat("h1", math.MaxInt64, digest), "sequence"},
		{"max uint64", heartbeat("h1", math.MaxUint64, digest), "sequence"},
		{"inventory from the future", withCollected(fullReport("h1", us(now), inv()), now.Add(time.Hour)), "inventory.collected_at"},
		{"heartbeat from the future", withCollected(heartbeat("h1", us(now), digest), now.Add(time.Hour)), "heartbeat.collected_at"},
		{"spooled a day ago", withCollected(fullReport("h1", us(now.Add(-24*time.Hour)), inv()), now.Add(-24*time.Hour)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReportClock(tc.req, now, DefaultMaxClockSkew)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("error %v, want a ValidationError on %s", err, tc.field)
			}
		})
	}
}

func TestObservedAt(t *testing.T) {
	received := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hour := received.Add(-time.Hour)
	inv := testInventory("h1", 1, 0, 0)
	inv.CollectedAt = timestamppb.New(hour)
	if got := ObservedAt(fullReport("h1", 1, inv), received); !got.Equal(hour) {
		t.Errorf("spooled inventory: %v, want its collected_at %v", got, hour)
	}
	inv.CollectedAt = timestamppb.New(received.Add(time.Minute))
	if got := ObservedAt(fullReport("h1", 1, inv), received); !got.Equal(received) {
		t.Errorf("collected_at after receipt: %v, want receipt %v", got, received)
	}
	hb := heartbeat("h1", 1, "d")
	if got := ObservedAt(hb, received); !got.Equal(received) {
		t.Errorf("heartbeat without collected_at: %v, want receipt", got)
	}
	hb.GetHeartbeat().CollectedAt = timestamppb.New(hour)
	if got := ObservedAt(hb, received); !got.Equal(hour) {
		t.Errorf("spooled heartbeat: %v, want %v", got, hour)
	}
}

// A report with a sequence far in the future used to be committed and make
// every later report of its host a DUPLICATE: the host's ledger froze.
// Now it ends the stream with OutOfRange and the host goes on reporting.
func TestServerRefusesFutureSequenceHostNotFrozen(t *testing.T) {
	st := openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	ts := startServer(t, st, Options{})
	cc := dial(t, ts.addr)
	inv := testInventory("h1", 4, 1, 0)

	poison := openStream(t, cc)
	if err := poison.Send(fullReport("h1", math.MaxInt64, inv)); err != nil {
		t.Fatal(err)
	}
	_, err := poison.Recv()
	if status.Code(err) != codes.OutOfRange {
		t.Fatalf("sequence 2^63-1: %v, want OutOfRange", err)
	}

	s := openStream(t, cc)
	seq := uint64(time.Now().UnixMicro())
	if err := s.Send(fullReport("h1", seq, inv)); err != nil {
		t.Fatal(err)
	}
	if ack := recvAck(t, s); ack.GetStatus() != memledgerv1.AckStatus_ACK_STATUS_COMMITTED {
		t.Fatalf("report after the refused one: %v, want COMMITTED (host frozen?)", ack)
	}
	h, err := st.Host(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	if h.LastSequence != seq {
		t.Errorf("last sequence %d, want %d", h.LastSequence, seq)
	}
}

// A report spooled while the collector was down is recorded at the time
// the agent saw the inventory, not at its delivery; one claiming a time
// before the host's last report is recorded at that report's time.
func TestServerRecordsObservationTime(t *testing.T) {
	st := openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	now := time.Now().UTC().Truncate(time.Microsecond)
	ts := startServer(t, st, Options{Now: func() time.Time { return now }})
	s := openStream(t, dial(t, ts.addr))
	inv := testInventory("h1", 2, 0, 0)
	seen := now.Add(-3 * time.Hour)
	inv.CollectedAt = timestamppb.New(seen)
	if err := s.Send(fullReport("h1", uint64(seen.UnixMicro()), inv)); err != nil {
		t.Fatal(err)
	}
	recvAck(t, s)
	h, err := st.Host(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	if !h.FirstSeen.Equal(seen) || !h.LastReportAt.Equal(seen) {
		t.Fatalf("first seen %v, last report %v; want the observation time %v", h.FirstSeen, h.LastReportAt, seen)
	}
	// A later report whose clock says it was seen before: never before the
	// host's last recorded report.
	hb := heartbeat("h1", uint64(seen.UnixMicro())+1, mustDigest(t, inv))
	hb.GetHeartbeat().CollectedAt = timestamppb.New(seen.Add(-time.Hour))
	if err := s.Send(hb); err != nil {
		t.Fatal(err)
	}
	recvAck(t, s)
	if h, err = st.Host(context.Background(), "h1"); err != nil {
		t.Fatal(err)
	}
	if h.LastSeen.Before(seen) {
		t.Fatalf("last seen %v went before the host's last report %v", h.LastSeen, seen)
	}
}

// A ledger that a collector older than the clock check let freeze (last
// sequence 2^63-1) recovers: the host's next report is committed, its
// sequence becomes the last one, the collector logs the poisoned value,
// and from there the host's reports are exactly-once again.
func TestServerRecoversPoisonedSequence(t *testing.T) {
	st := openLedger(t, "sqlite:"+filepath.Join(t.TempDir(), "ledger.db"))
	inv := testInventory("h1", 4, 1, 0)
	// As the old collector committed it, through the store.
	old := ToStoreReport(fullReport("h1", math.MaxInt64, inv), time.Now())
	if out, err := st.Apply(context.Background(), []store.Report{old}); err != nil || out[0].Status != store.Committed {
		t.Fatalf("seed the poisoned sequence: %v %+v", err, out)
	}
	var logs syncbuf.Buffer
	ts := startServer(t, st, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s := openStream(t, dial(t, ts.addr))
	seq := uint64(time.Now().UnixMicro())
	changed := testInventory("h1", 3, 1, 0)
	for i, want := range []memledgerv1.AckStatus{memledgerv1.AckStatus_ACK_STATUS_COMMITTED, memledgerv1.AckStatus_ACK_STATUS_DUPLICATE} {
		if err := s.Send(fullReport("h1", seq, changed)); err != nil {
			t.Fatal(err)
		}
		if ack := recvAck(t, s); ack.GetStatus() != want {
			t.Fatalf("report %d with sequence %d: %v, want %v", i+1, seq, ack, want)
		}
	}
	h, err := st.Host(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	if h.LastSequence != seq || h.ActiveParts != 4 {
		t.Errorf("last sequence %d (want %d), %d active parts (want 4)", h.LastSequence, seq, h.ActiveParts)
	}
	line := fmt.Sprintf("poisoned_sequence_replaced host_id=h1 poisoned_sequence=%d sequence=%d", uint64(math.MaxInt64), seq)
	if got := logs.String(); strings.Count(got, "poisoned_sequence_replaced") != 1 || !strings.Contains(got, line) {
		t.Errorf("log, want one line with %q:\n%s", line, got)
	}
}
