package engine

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/pki"
)

// prepared is a report validated and digested outside the transaction
// (pure CPU work; doing it before taking the write lock keeps transactions
// short).
type prepared struct {
	rep store.Report
	// received is when the report was received; at is the time the
	// transaction records it at: received, or the host's last sighting
	// when that is later (applyOne).
	received, at time.Time
	seq          int64
	digest       string
	// pre is the full report's digest and encoding, and its parts once
	// observed: only when the digest differs from the held one (most full
	// reports repeat the held inventory); kept across transaction retries.
	pre      *store.Precomputed
	rejected error
}

// observe returns the parts observed in the inventory, computed once.
func (p *prepared) observe() ([]ledger.Observed, error) {
	return p.pre.Observe(p.rep, nil)
}

func (e *Engine) prepare(r store.Report) *prepared {
	p := &prepared{rep: r}
	reject := func(format string, args ...any) *prepared {
		p.rejected = fmt.Errorf("report of host %q sequence %d: %s: %w",
			ledger.CleanText(truncate(r.HostID, 80)), r.Sequence, fmt.Sprintf(format, args...), store.ErrInvalid)
		return p
	}
	switch {
	case r.HostID == "":
		return reject("empty host id")
	case len(r.HostID) > pki.MaxHostIDBytes:
		// Host ids are primary keys and appear in every event row; the
		// limit is the protocol's (docs/protocol.md).
		return reject("host id is %d bytes, more than %d", len(r.HostID), pki.MaxHostIDBytes)
	case !utf8.ValidString(r.HostID):
		return reject("host id is not valid UTF-8")
	case strings.IndexByte(r.HostID, 0) >= 0:
		return reject("host id contains a NUL byte at offset %d", strings.IndexByte(r.HostID, 0))
	case r.Sequence == 0:
		return reject("sequence 0 is invalid")
	case r.Sequence > math.MaxInt64:
		return reject("sequence exceeds %d", int64(math.MaxInt64))
	case r.Inventory == nil && r.HeartbeatDigest == "":
		return reject("neither an inventory nor a heartbeat digest")
	case r.Inventory != nil && r.HeartbeatDigest != "":
		return reject("both an inventory and a heartbeat digest")
	}
	p.seq = int64(r.Sequence)
	p.received = r.ReceivedAt
	if p.received.IsZero() {
		p.received = e.Now()
	}
	p.received = Norm(p.received)
	if r.Inventory == nil {
		if !isDigest(r.HeartbeatDigest) {
			return reject("heartbeat digest %q is not 64 lowercase hex digits", ledger.CleanText(truncate(r.HeartbeatDigest, 80)))
		}
		p.digest = r.HeartbeatDigest
		return p
	}
	if id := r.Inventory.GetHost().GetHostId(); id != "" && id != r.HostID {
		return reject("inventory names host %q", ledger.CleanText(truncate(id, 80)))
	}
	// Observe fails only on null list elements (a message built in Go, not
	// decoded) and on encoding errors, which Digest meets first; checking
	// the former here means Observe cannot fail inside the transaction.
	for i, m := range r.Inventory.GetMemoryModules() {
		if m == nil {
			return reject("memory_modules[%d] is null", i)
		}
	}
	for i, d := range r.Inventory.GetStorageDevices() {
		if d == nil {
			return reject("storage_devices[%d] is null", i)
		}
	}
	if p.pre = r.Pre; p.pre == nil {
		var err error
		if p.pre, err = store.Precompute(r, store.CheckUTF8); err != nil {
			return reject("%v", err)
		}
	}
	p.digest = p.pre.Digest
	return p
}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
