package metrics

import (
	"errors"
	"runtime"
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

func TestBuildInfoIngestEnrollmentsAndReloads(t *testing.T) {
	m := New(Options{Ingest: func() IngestStats {
		return IngestStats{StreamsOpen: 7, StreamsRejected: 2, QueueDepth: 31, InflightBytes: 4096, AcceptPaused: 1500 * time.Millisecond}
	}})
	m.ObserveEnrollment("enroll", "issued")
	m.ObserveEnrollment("enroll", "refused")
	m.ObserveEnrollment("enroll", "refused")
	m.ObserveEnrollment("renew", "issued")
	m.ObservePolicyReload(nil)
	m.ObservePolicyReload(errors.New("policy.yaml:3: bad date"))
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, fam := range fams {
		for _, mt := range fam.GetMetric() {
			key := fam.GetName()
			for _, l := range mt.GetLabel() {
				if fam.GetName() == "memledger_build_info" && l.GetName() != "goversion" {
					continue // the test binary has no version or commit
				}
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case mt.GetGauge() != nil:
				got[key] = mt.GetGauge().GetValue()
			case mt.GetCounter() != nil:
				got[key] = mt.GetCounter().GetValue()
			}
		}
	}
	want := map[string]float64{
		"memledger_build_info goversion=" + runtime.Version():     1,
		"memledger_streams_open":                                  7,
		"memledger_streams_rejected_total":                        2,
		"memledger_ingest_queue_depth":                            31,
		"memledger_ingest_inflight_bytes":                         4096,
		"memledger_ingest_accept_paused_seconds_total":            1.5,
		"memledger_enrollments_total kind=enroll outcome=issued":  1,
		"memledger_enrollments_total kind=enroll outcome=refused": 2,
		"memledger_enrollments_total kind=enroll outcome=failed":  0,
		"memledger_enrollments_total kind=renew outcome=issued":   1,
		"memledger_policy_reloads_total outcome=ok":               1,
		"memledger_policy_reloads_total outcome=failed":           1,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}
