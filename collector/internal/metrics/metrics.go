// Package metrics holds the collector's Prometheus metrics, on a private
// registry (with the Go and process collectors) that the HTTP API serves at
// /metrics:
//
//	memledger_parts{rule,status,component,vendor}   gauge: parts matched by
//	    each policy rule, by status, matched component and maker's parent
//	    slug, from the last evaluation (parts no rule matches are not
//	    counted here)
//	memledger_hosts_reporting                       gauge: hosts seen (any
//	    report, heartbeats included) within the reporting window
//	memledger_hosts                                 gauge: hosts in the ledger
//	memledger_ingest_reports_total{kind,outcome}    counter: reports
//	    committed by outcome (committed, duplicate, need_full, rejected,
//	    failed); kind is full or heartbeat
//	memledger_ingest_commit_seconds                 histogram: time of one
//	    group commit (store.Apply)
//	memledger_ingest_batch_size                     histogram: reports per
//	    group commit
//	memledger_ingest_refused_total{limit}           counter: reports refused
//	    by a per-host limit (reports_per_hour, full_reports_per_hour,
//	    events_per_day)
//	memledger_ingest_queue_depth                    gauge: reports waiting
//	    for a group commit
//	memledger_ingest_inflight_bytes                 gauge: bytes of reports
//	    received and not yet committed
//	memledger_streams_open                          gauge: agent report
//	    streams open now
//	memledger_streams_rejected_total                counter: streams ended
//	    for a malformed report (InvalidArgument)
//	memledger_enrollments_total{kind,outcome}       counter: certificate
//	    requests; kind is enroll or renew, outcome issued, refused or failed
//	memledger_policy_reloads_total{outcome}         counter: policy reloads
//	    (SIGHUP, POST /api/v1/policy/reload), outcome ok or failed
//	memledger_build_info{version,commit,build_date,goversion}   gauge: 1
//
// memledger_parts follows every write to the ledger, this process's
// commits and those of "memledger-collector ingest" and "label" alike (see
// report.Tracker's PollEvery).
package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/version"
)

// Options configure the metrics.
type Options struct {
	// Tracker supplies memledger_parts; nil leaves it out.
	Tracker *report.Tracker
	// Store supplies the host gauges; nil leaves them out.
	Store store.Store
	// ReportingWindow: a host counts as reporting when it was seen this
	// recently (default 2h: twice the agent's default report interval).
	ReportingWindow time.Duration
	// HostsCacheTTL bounds how often a scrape reads the hosts (default
	// 30s): a fleet of 100,000 hosts is not read on every scrape.
	HostsCacheTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Ingest supplies the gRPC ingest's gauges at scrape time (and the
	// count of rejected streams); nil leaves them out.
	Ingest func() IngestStats
}

// IngestStats is what the gRPC ingest reports at scrape time.
type IngestStats struct {
	StreamsOpen     int64
	StreamsRejected uint64
	QueueDepth      int
	InflightBytes   int64
	// AcceptPaused is how long new connections have been held in the
	// listen backlog for an exhausted in-flight budget.
	AcceptPaused time.Duration
}

// Metrics is the collector's metrics.
type Metrics struct {
	// Registry is what /metrics serves.
	Registry *prometheus.Registry

	reports     *prometheus.CounterVec
	commitDur   prometheus.Histogram
	batchSize   prometheus.Histogram
	enrollments *prometheus.CounterVec
	reloads     *prometheus.CounterVec
	refused     *prometheus.CounterVec
}

// New registers the collector's metrics on a new registry.
func New(o Options) *Metrics {
	if o.ReportingWindow <= 0 {
		o.ReportingWindow = 2 * time.Hour
	}
	if o.HostsCacheTTL <= 0 {
		o.HostsCacheTTL = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memledger_ingest_reports_total",
			Help: "Agent reports handled by the group committer, by kind (full, heartbeat) and outcome (committed, duplicate, need_full, rejected, failed).",
		}, []string{"kind", "outcome"}),
		commitDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "memledger_ingest_commit_seconds",
			Help:    "Duration of one group commit of agent reports to the ledger.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14), // 1ms .. 8s
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "memledger_ingest_batch_size",
			Help:    "Reports committed in one group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 .. 512
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "memledger_ingest_refused_total",
			Help: "Agent reports refused by a per-host limit (ResourceExhausted), by limit.",
		}, []string{"limit"}),
	}
	m.enrollments = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "memledger_enrollments_total",
		Help: "Certificate requests of agents, by kind (enroll, renew) and outcome (issued, refused, failed).",
	}, []string{"kind", "outcome"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "memledger_policy_reloads_total",
		Help: "Policy reloads (SIGHUP, POST /api/v1/policy/reload), by outcome (ok, failed).",
	}, []string{"outcome"})
	info := version.Get()
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "memledger_build_info",
		Help: "Always 1; the labels say what the collector was built from.",
		ConstLabels: prometheus.Labels{
			"version": info.Short(), "commit": info.Commit, "build_date": info.Date, "goversion": info.GoVersion,
		},
	})
	buildInfo.Set(1)
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.reports, m.commitDur, m.batchSize, m.enrollments, m.reloads, m.refused, buildInfo,
	)
	if o.Ingest != nil {
		m.Registry.MustRegister(ingestCollector(o.Ingest))
	}
	if o.Tracker != nil {
		m.Registry.MustRegister(&partsCollector{tr: o.Tracker})
	}
	if o.Store != nil {
		m.Registry.MustRegister(&hostsCollector{o: o})
	}
	// Pre-create the common series so that they read 0, not absent.
	for _, kind := range []string{"full", "heartbeat"} {
		for _, outcome := range []string{"committed", "duplicate", "need_full", "rejected", "failed"} {
			m.reports.WithLabelValues(kind, outcome)
		}
	}
	for _, kind := range []string{"enroll", "renew"} {
		for _, outcome := range []string{"issued", "refused", "failed"} {
			m.enrollments.WithLabelValues(kind, outcome)
		}
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("failed")
	return m
}

// ObserveRefused counts one report refused by the per-host limit named;
// its signature fits server.Options.OnRefused.
func (m *Metrics) ObserveRefused(limit string) { m.refused.WithLabelValues(limit).Inc() }

// ObserveEnrollment counts one certificate request; its signature fits
// enroll.Service.Observe.
func (m *Metrics) ObserveEnrollment(kind, outcome string) {
	m.enrollments.WithLabelValues(kind, outcome).Inc()
}

// ObservePolicyReload counts one policy reload.
func (m *Metrics) ObservePolicyReload(err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.reloads.WithLabelValues(outcome).Inc()
}

var (
	streamsOpenDesc = prometheus.NewDesc("memledger_streams_open", "Agent report streams open now.", nil, nil)
	streamsRejDesc  = prometheus.NewDesc("memledger_streams_rejected_total", "Agent report streams ended for a malformed report (InvalidArgument).", nil, nil)
	queueDepthDesc  = prometheus.NewDesc("memledger_ingest_queue_depth", "Reports waiting for a group commit.", nil, nil)
	inflightDesc    = prometheus.NewDesc("memledger_ingest_inflight_bytes", "Bytes of agent reports received and not yet committed.", nil, nil)
	acceptDesc      = prometheus.NewDesc("memledger_ingest_accept_paused_seconds_total", "Time new agent connections were left in the listen backlog because the in-flight budget was exhausted (the ledger commits more slowly than agents report).", nil, nil)
)

// ingestCollector reads the ingest's counters at scrape time.
type ingestCollector func() IngestStats

func (c ingestCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- streamsOpenDesc
	ch <- streamsRejDesc
	ch <- queueDepthDesc
	ch <- inflightDesc
	ch <- acceptDesc
}

func (c ingestCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(streamsOpenDesc, prometheus.GaugeValue, float64(s.StreamsOpen))
	ch <- prometheus.MustNewConstMetric(streamsRejDesc, prometheus.CounterValue, float64(s.StreamsRejected))
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(s.QueueDepth))
	ch <- prometheus.MustNewConstMetric(inflightDesc, prometheus.GaugeValue, float64(s.InflightBytes))
	ch <- prometheus.MustNewConstMetric(acceptDesc, prometheus.CounterValue, s.AcceptPaused.Seconds())
}

// ObserveCommit records one group commit; its signature fits
// server.CommitterOptions.OnCommit.
func (m *Metrics) ObserveCommit(reports []store.Report, outcomes []store.Outcome, took time.Duration, err error) {
	m.commitDur.Observe(took.Seconds())
	m.batchSize.Observe(float64(len(reports)))
	for i, r := range reports {
		kind := "full"
		if r.Inventory == nil {
			kind = "heartbeat"
		}
		outcome := "failed"
		if err == nil && i < len(outcomes) {
			outcome = outcomes[i].Status.String()
		}
		m.reports.WithLabelValues(kind, outcome).Inc()
	}
}

var partsDesc = prometheus.NewDesc("memledger_parts",
	"Parts matched by a policy rule at the last evaluation, by rule, status, matched component and maker (parent vendor slug).",
	[]string{"rule", "status", "component", "vendor"}, nil)

// partsCollector reads the tracker's statuses at scrape time.
type partsCollector struct{ tr *report.Tracker }

func (c *partsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- partsDesc }

func (c *partsCollector) Collect(ch chan<- prometheus.Metric) {
	c.tr.CountBy(func(rule string, e report.StatusEntry, n int) {
		ch <- prometheus.MustNewConstMetric(partsDesc, prometheus.GaugeValue, float64(n), rule, string(e.Status), e.Component, e.Vendor)
	})
}

var (
	reportingDesc = prometheus.NewDesc("memledger_hosts_reporting",
		"Hosts that sent any report (full or heartbeat) within the reporting window.", nil, nil)
	hostsDesc = prometheus.NewDesc("memledger_hosts", "Hosts in the ledger.", nil, nil)
)

// hostsCollector counts hosts, reading the ledger at most once per TTL.
type hostsCollector struct {
	o         Options
	mu        sync.Mutex
	readAt    time.Time
	total     int
	reporting int
	ok        bool
}

func (c *hostsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- reportingDesc
	ch <- hostsDesc
}

func (c *hostsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.o.Now()
	if !c.ok || now.Sub(c.readAt) >= c.o.HostsCacheTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		hosts, err := c.o.Store.Hosts(ctx, store.HostFilter{})
		cancel()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(hostsDesc, err)
			return
		}
		c.total, c.reporting = len(hosts), 0
		since := now.Add(-c.o.ReportingWindow)
		for _, h := range hosts {
			if !h.LastSeen.Before(since) {
				c.reporting++
			}
		}
		c.readAt, c.ok = now, true
	}
	ch <- prometheus.MustNewConstMetric(reportingDesc, prometheus.GaugeValue, float64(c.reporting))
	ch <- prometheus.MustNewConstMetric(hostsDesc, prometheus.GaugeValue, float64(c.total))
}
