package server

import (
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// DefaultMaxClockSkew is how far ahead of the collector's clock an agent's
// sequence (Unix microseconds, send.NextSequence) and collectedAt may be.
// Offline inventories loaded by "memledger-collector ingest" get the same
// allowance.
const DefaultMaxClockSkew = 5 * time.Minute

// CheckReportClock refuses a report whose sequence or collected_at lies
// more than skew after receivedAt. Sequences are a hybrid clock in Unix
// microseconds, and the ledger answers DUPLICATE to every report not newer
// than a host's last one: a sequence far in the future (2^63-1, or a host
// clock set years ahead) would freeze the host's ledger until that time.
// A sequence below the bound (small counters of tests and old tools) is
// accepted. The error is a *ValidationError naming the field.
func CheckReportClock(req *memledgerv1.ReportRequest, receivedAt time.Time, skew time.Duration) error {
	bound := receivedAt.Add(skew)
	if us := SequenceBound(receivedAt, skew); us > 0 && req.GetSequence() > us {
		ahead := time.Duration(req.GetSequence()-uint64(receivedAt.UnixMicro())) * time.Microsecond
		return &ValidationError{Field: "sequence", Reason: fmt.Sprintf(
			"%d is %s ahead of the collector's clock (Unix microseconds), more than the allowed skew of %s: check the host's clock",
			req.GetSequence(), humanAhead(ahead), skew)}
	}
	if at, ok := collectedAt(req); ok && at.After(bound) {
		field := "inventory.collected_at"
		if req.GetHeartbeat() != nil {
			field = "heartbeat.collected_at"
		}
		return &ValidationError{Field: field, Reason: fmt.Sprintf(
			"%s is %s ahead of the collector's clock, more than the allowed skew of %s: check the host's clock",
			at.UTC().Format(time.RFC3339), at.Sub(receivedAt).Round(time.Second), skew)}
	}
	return nil
}

// SequenceBound is the highest sequence accepted at receivedAt: its Unix
// microseconds plus skew (0 before 1970, where no bound applies). The
// store treats a host's recorded last sequence above it as poisoned
// (store.Report.MaxSequence).
func SequenceBound(receivedAt time.Time, skew time.Duration) uint64 {
	if us := receivedAt.Add(skew).UnixMicro(); us > 0 {
		return uint64(us)
	}
	return 0
}

// humanAhead renders d, which may exceed time.Duration's range in spirit
// (it saturates): "292y" rather than a 20-digit number of hours.
func humanAhead(d time.Duration) string {
	if d < 0 || d > 24*365*time.Hour {
		return "more than a year"
	}
	return d.Round(time.Second).String()
}

// collectedAt is the agent's observation time of req, when it carries a
// valid one.
func collectedAt(req *memledgerv1.ReportRequest) (time.Time, bool) {
	ts := req.GetInventory().GetCollectedAt()
	if hb := req.GetHeartbeat(); hb != nil {
		ts = hb.GetCollectedAt()
	}
	if ts == nil || ts.CheckValid() != nil {
		return time.Time{}, false
	}
	return ts.AsTime(), true
}

// ObservedAt is the time the ledger records req at: when the agent saw the
// inventory (a report spooled during an outage keeps the time of its
// scan), never later than receivedAt, the collector's own clock. The store
// keeps it from going before the host's last recorded report (a host's
// time in the ledger never goes backwards).
func ObservedAt(req *memledgerv1.ReportRequest, receivedAt time.Time) time.Time {
	if at, ok := collectedAt(req); ok && at.Before(receivedAt) && at.UnixMicro() > 0 {
		return at
	}
	return receivedAt
}

// clockRefusal is the status that ends a stream whose report failed
// CheckReportClock: OutOfRange, which agents answer by resynchronising
// their sequence from the clock (a report with a fresh sequence and a full
// inventory), rather than InvalidArgument, which says the report itself is
// malformed.
func clockRefusal(seq uint64, err error) error {
	return status.Errorf(codes.OutOfRange, "report sequence %d: %v", seq, err)
}
