package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/inventory"
)

// fakeStore is an in-memory store.Store with Apply's sequence and digest
// semantics, so the server and committer can be tested without a database
// and with injected failures and delays.
type fakeStore struct {
	mu      sync.Mutex
	hosts   map[string]*fakeHost
	applied []store.Report // every report that changed something, in commit order
	calls   [][]store.Report

	// delay makes every Apply take this long (a slow disk).
	delay time.Duration
	// fail, when set, makes Apply fail for batches it returns an error for.
	fail func(reports []store.Report) error
	// gate, when set, is received from before every Apply (tests pause the
	// committer with it).
	gate chan struct{}
	// atGate counts Apply calls waiting at the gate.
	atGate atomic.Int32
}

type fakeHost struct {
	lastSeq uint64
	digest  string
}

func newFakeStore() *fakeStore { return &fakeStore{hosts: map[string]*fakeHost{}} }

func (f *fakeStore) Apply(ctx context.Context, reports []store.Report) ([]store.Outcome, error) {
	if f.gate != nil {
		f.atGate.Add(1)
		select {
		case <-f.gate:
			f.atGate.Add(-1)
		case <-ctx.Done():
			f.atGate.Add(-1)
			return nil, ctx.Err()
		}
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, append([]store.Report(nil), reports...))
	if f.fail != nil {
		if err := f.fail(reports); err != nil {
			return nil, err
		}
	}
	out := make([]store.Outcome, len(reports))
	for i, r := range reports {
		if r.HostID == "" || r.Sequence == 0 || (r.Inventory == nil) == (r.HeartbeatDigest == "") {
			out[i] = store.Outcome{Status: store.Rejected, Message: "malformed", Err: fmt.Errorf("malformed report: %w", store.ErrInvalid)}
			continue
		}
		h := f.hosts[r.HostID]
		if h != nil && r.Sequence <= h.lastSeq {
			out[i] = store.Outcome{Status: store.Duplicate, Digest: h.digest, Message: fmt.Sprintf("sequence %d already seen (last %d)", r.Sequence, h.lastSeq)}
			continue
		}
		if h == nil {
			h = &fakeHost{}
			f.hosts[r.HostID] = h
		}
		h.lastSeq = r.Sequence
		if r.Inventory == nil {
			if r.HeartbeatDigest != h.digest {
				out[i] = store.Outcome{Status: store.NeedFull, Digest: h.digest, Message: "unknown digest"}
				continue
			}
			out[i] = store.Outcome{Status: store.Committed, Digest: h.digest}
			f.applied = append(f.applied, r)
			continue
		}
		d, err := inventory.Digest(r.Inventory)
		if err != nil {
			return nil, err
		}
		h.digest = d
		out[i] = store.Outcome{Status: store.Committed, Digest: d, Events: 1}
		f.applied = append(f.applied, r)
	}
	return out, nil
}

// appliedSeqs returns the sequences applied for host, in order.
func (f *fakeStore) appliedSeqs(host string) []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var seqs []uint64
	for _, r := range f.applied {
		if r.HostID == host {
			seqs = append(seqs, r.Sequence)
		}
	}
	return seqs
}

func (f *fakeStore) numCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

var errFakeUnsupported = errors.New("fake store: not supported")

func (f *fakeStore) Hosts(context.Context, store.HostFilter) ([]store.Host, error) {
	return nil, errFakeUnsupported
}

func (f *fakeStore) Host(context.Context, string) (store.Host, error) {
	return store.Host{}, errFakeUnsupported
}

func (f *fakeStore) Parts(context.Context, store.PartFilter) ([]store.Part, error) {
	return nil, errFakeUnsupported
}

func (f *fakeStore) ForEachPart(context.Context, store.PartFilter, func(store.PartBrief) error) error {
	return errFakeUnsupported
}

func (f *fakeStore) ForEachPartGroup(context.Context, store.PartFilter, func(store.PartGroup) error) error {
	return errFakeUnsupported
}

func (f *fakeStore) ForEachHost(context.Context, store.HostFilter, func(store.HostBrief) error) error {
	return errFakeUnsupported
}

func (f *fakeStore) CountHosts(context.Context, store.HostFilter) (int, error) {
	return 0, errFakeUnsupported
}

func (f *fakeStore) Events(context.Context, store.EventFilter) ([]store.Event, error) {
	return nil, errFakeUnsupported
}

func (f *fakeStore) SetLabels(context.Context, string, map[string]string, []string) error {
	return errFakeUnsupported
}

func (f *fakeStore) AppendEvents(context.Context, []store.Event) error { return errFakeUnsupported }

func (f *fakeStore) Close() error { return nil }
