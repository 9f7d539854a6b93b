package dashboard

import (
	"context"
	"sync"
	"time"

	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/internal/policy"
)

// reportCache holds the fleet's current report for a short while: the
// fleet page, the violations page and the hosts status filter all need it,
// and over 100,000 hosts it takes about two seconds to build
// (docs/benchmarks.md). A new policy builds a new one at once.
type reportCache struct {
	mu    sync.Mutex // held while building: one build at a time
	rep   *report.Report
	pol   *policy.Policy
	built time.Time
}

// fleetReport is the report of every rule now: under a policy the live
// report when the collector gives one (it follows every commit and costs
// milliseconds; without a policy it keeps no aggregates), else a
// recomputation at most ReportMaxAge old.
func (d *Dashboard) fleetReport(ctx context.Context) (*report.Report, error) {
	if d.o.Report != nil && d.o.Policy() != nil {
		return d.o.Report(ctx, report.Options{Now: d.o.Now})
	}
	c := &d.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	pol := d.o.Policy()
	now := d.o.Now()
	if c.rep != nil && c.pol == pol && now.Sub(c.built) < d.o.ReportMaxAge && !now.Before(c.built) {
		return c.rep, nil
	}
	rep, err := report.Build(ctx, d.o.Store, pol, report.Options{Now: d.o.Now})
	if err != nil {
		return nil, err
	}
	c.rep, c.pol, c.built = rep, pol, now
	return rep, nil
}
