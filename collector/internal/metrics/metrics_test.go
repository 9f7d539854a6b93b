package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestObserveCommit(t *testing.T) {
	m := New(Options{})
	full := store.Report{HostID: "a", Inventory: &memledgerv1.Inventory{}}
	hb := store.Report{HostID: "b", HeartbeatDigest: "d"}
	m.ObserveCommit([]store.Report{full, hb, hb}, []store.Outcome{{Status: store.Committed}, {Status: store.NeedFull}, {Status: store.Duplicate}}, 3*time.Millisecond, nil)
	m.ObserveCommit([]store.Report{full}, nil, time.Second, errors.New("disk full"))
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	var commits, batchSum uint64
	var batchTotal float64
	for _, fam := range fams {
		switch fam.GetName() {
		case "memledger_ingest_reports_total":
			for _, mt := range fam.GetMetric() {
				key := ""
				for _, l := range mt.GetLabel() {
					key += l.GetName() + "=" + l.GetValue() + " "
				}
				got[key] = mt.GetCounter().GetValue()
			}
		case "memledger_ingest_commit_seconds":
			commits = fam.GetMetric()[0].GetHistogram().GetSampleCount()
		case "memledger_ingest_batch_size":
			batchSum = fam.GetMetric()[0].GetHistogram().GetSampleCount()
			batchTotal = fam.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	want := map[string]float64{
		"kind=full outcome=committed ":      1,
		"kind=heartbeat outcome=need_full ": 1,
		"kind=heartbeat outcome=duplicate ": 1,
		"kind=full outcome=failed ":         1,
		"kind=heartbeat outcome=committed ": 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s= %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if commits != 2 || batchSum != 2 || batchTotal != 4 {
		t.Errorf("histograms: %d commits, %d batches of %v reports; want 2, 2, 4", commits, batchSum, batchTotal)
	}
}
