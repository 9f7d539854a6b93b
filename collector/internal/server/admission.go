package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/memledger/memledger/collector/internal/ratelimit"
	"github.com/memledger/memledger/collector/internal/store"
)

// Per-host admission (docs/security.md, "Limits"): one enrolled agent,
// hostile or broken, must not grow the ledger without bound, hold the
// committers or starve the fleet. Each host gets token buckets for its
// reports and its full reports, and a daily budget of ledger events; a
// report over a limit ends its stream with ResourceExhausted and the
// reason before it is decoded (an agent backs off and sends it again
// later: nothing is lost), is counted (Stats.Refused, the OnRefused hook:
// memledger_ingest_refused_total) and is logged at most once per host and
// limit per LogInterval.

// refusalHold is how long a report refused by a host limit holds its
// stream before the refusal is sent.
const refusalHold = time.Second

// HostLimits bound what one host may make the collector do. Zero fields
// take the defaults (DefaultHostLimits); a negative field turns its limit
// off (replays, benchmarks).
type HostLimits struct {
	// ReportsPerHour bounds a host's reports of any kind: a bucket that
	// holds this many and refills at this rate (default 360: a report
	// every 10 s sustained, an hour's worth at once after an outage).
	ReportsPerHour int
	// FullReportsPerHour bounds full inventories the same way (default
	// 30: an agent sends one when its inventory changed or the collector
	// asked, on a one-hour scan interval).
	FullReportsPerHour int
	// EventsPerDay bounds the ledger events (host enrolled, parts added,
	// removed, moved, changed, labels changed) a host's reports may make
	// in 24 hours (default 3000: enrolling a host of several hundred
	// parts, then a few changes a day). A full report reserves the most
	// events it can make (2 × its parts + the parts of the host's last
	// full report, or Limits.MaxParts when unknown, + 2) when admitted and
	// gives back what it did not use once committed, so reports in flight cannot
	// overshoot; the day's first report is always admitted, so a host
	// makes at most EventsPerDay + 3 × Limits.MaxParts + 2 events a day.
	// Once spent, the host's full reports are refused until its day is
	// over; heartbeats still record that it is alive. A restart does not
	// end the day: it is read back from the ledger (seed).
	EventsPerDay int
	// LogInterval is how often a refusal is logged per host and limit
	// (default 10m).
	LogInterval time.Duration
}

// DefaultHostLimits returns the per-host limits the collector uses unless
// configured.
func DefaultHostLimits() HostLimits {
	return HostLimits{ReportsPerHour: 360, FullReportsPerHour: 30, EventsPerDay: 3000, LogInterval: 10 * time.Minute}
}

func (l HostLimits) withDefaults() HostLimits {
	d := DefaultHostLimits()
	if l.ReportsPerHour == 0 {
		l.ReportsPerHour = d.ReportsPerHour
	}
	if l.FullReportsPerHour == 0 {
		l.FullReportsPerHour = d.FullReportsPerHour
	}
	if l.EventsPerDay == 0 {
		l.EventsPerDay = d.EventsPerDay
	}
	if l.LogInterval <= 0 {
		l.LogInterval = d.LogInterval
	}
	return l
}

// Limit names, as in memledger_ingest_refused_total{limit} and the log.
const (
	LimitReportsPerHour     = "reports_per_hour"
	LimitFullReportsPerHour = "full_reports_per_hour"
	LimitEventsPerDay       = "events_per_day"
)

// hostAdmission is one host's state.
type hostAdmission struct {
	reports, full ratelimit.Bucket
	// dayStart is when the host's current event day began; events counts
	// the events committed since, reserved the most that the admitted
	// full reports not yet committed can add.
	dayStart time.Time
	events   int
	reserved int
	// lastParts is how many parts the host's last admitted full report
	// listed (-1: unknown): a report removes at most those.
	lastParts int
	// logged is when each limit's refusal was last logged.
	logged map[string]time.Time
	seen   time.Time
	// seeded says the day's events were read from the ledger (seed).
	seeded bool
}

// eventCounter reads a host's recent ledger events (store.EventCounter).
type eventCounter interface {
	CountRecentEvents(ctx context.Context, hostID string, window time.Duration, limit int) (store.RecentEvents, error)
}

// admission holds every host's state.
type admission struct {
	lim      HostLimits
	maxParts int
	logger   *slog.Logger
	// onRefused, when set, is called for each refused report with the
	// limit's name.
	onRefused func(limit string)
	// ledger, when set, seeds a host's day the first time the process
	// admits a full report of it (seed).
	ledger eventCounter

	mu      sync.Mutex
	hosts   map[string]*hostAdmission
	pruneAt int
	refused atomic.Uint64
}

func newAdmission(lim HostLimits, maxParts int, logger *slog.Logger, onRefused func(string)) *admission {
	return &admission{lim: lim.withDefaults(), maxParts: maxParts, logger: logger, onRefused: onRefused, hosts: map[string]*hostAdmission{}, pruneAt: 1024}
}

// hostLocked returns host's state, creating it.
func (a *admission) hostLocked(host string, now time.Time) *hostAdmission {
	h := a.hosts[host]
	if h == nil {
		if len(a.hosts) >= a.pruneAt {
			a.pruneLocked(now)
		}
		h = &hostAdmission{lastParts: -1}
		a.hosts[host] = h
	}
	h.seen = now
	return h
}

// pruneLocked forgets hosts not seen for a day (their buckets are full
// again and their event day is over), so the map follows the hosts that
// report, not every host id ever seen.
func (a *admission) pruneLocked(now time.Time) {
	for id, h := range a.hosts {
		if now.Sub(h.seen) > 24*time.Hour {
			delete(a.hosts, id)
		}
	}
	a.pruneAt = max(1024, 2*len(a.hosts))
}

// admit decides whether host may send one more report at now: full says
// it carries an inventory of items modules, drives and warnings. It
// returns the events reserved for the report, to hand to settle once its
// outcome is known, or the ResourceExhausted status that refuses it.
func (a *admission) admit(ctx context.Context, host string, seq uint64, full bool, items int, now time.Time) (reserved int, err error) {
	if full {
		a.seed(ctx, host, now)
	}
	a.mu.Lock()
	h := a.hostLocked(host, now)
	need := 0
	if full {
		// Each part listed may arrive (or move, or return) and change;
		// each part of the previous inventory may be removed; the host
		// may be enrolled and its labels changed.
		items = min(items, a.maxParts)
		removable := h.lastParts
		if removable < 0 {
			removable = a.maxParts
		}
		need = 2*items + removable + 2
	}
	limit, reason := "", ""
	switch {
	case !h.reports.Take(a.lim.ReportsPerHour, time.Hour, now):
		limit = LimitReportsPerHour
		reason = fmt.Sprintf("more than %d reports an hour (--max-reports-per-hour); retry in %s", a.lim.ReportsPerHour, h.reports.Wait(a.lim.ReportsPerHour, time.Hour))
	case full && a.lim.EventsPerDay >= 0 && h.eventsToday(now)+h.reserved > 0 && h.events+h.reserved+need > a.lim.EventsPerDay:
		limit = LimitEventsPerDay
		reason = fmt.Sprintf("its reports made %d ledger events since %s (and may make %d more in flight); this one may make %d, over the %d a day allowed (--max-events-per-day): full reports are refused until %s, heartbeats are accepted",
			h.events, h.dayStart.UTC().Format(time.RFC3339), h.reserved, need, a.lim.EventsPerDay, h.dayStart.Add(24*time.Hour).UTC().Format(time.RFC3339))
	case full && !h.full.Take(a.lim.FullReportsPerHour, time.Hour, now):
		limit = LimitFullReportsPerHour
		reason = fmt.Sprintf("more than %d full inventories an hour (--max-full-reports-per-hour); retry in %s", a.lim.FullReportsPerHour, h.full.Wait(a.lim.FullReportsPerHour, time.Hour))
	}
	if limit == "" && full {
		h.lastParts = items
	}
	if limit == "" && a.lim.EventsPerDay >= 0 {
		h.reserved += need
		reserved = need
	}
	if limit == "" {
		a.mu.Unlock()
		return reserved, nil
	}
	logIt := now.Sub(h.logged[limit]) >= a.lim.LogInterval
	if logIt {
		if h.logged == nil {
			h.logged = map[string]time.Time{}
		}
		h.logged[limit] = now
	}
	a.mu.Unlock()
	a.refused.Add(1)
	if a.onRefused != nil {
		a.onRefused(limit)
	}
	if logIt {
		a.logger.Warn("host_over_limit", "host_id", host, "limit", limit, "reason", reason, "next_log_after", a.lim.LogInterval)
	}
	return 0, status.Errorf(codes.ResourceExhausted, "report sequence %d of host %.80q refused: %s", seq, host, reason)
}

// seed reads, once per host and process, the events the host's reports
// made in its last day from the ledger into its day, so that a collector
// restart gives no host a new day. The read stops after the most events
// a host can make in a day, one indexed query per host; a failed read is
// logged and tried again at the host's next full report.
//
// The ledger keeps the agent's observation times, which advance no
// faster than the collector's clock: the day is counted back from the
// host's last sighting (store.EventCounter), so a host claiming old times
// cannot hide its events. Such a day, which began before the collector's
// last 24 hours, is taken to begin now: when it began is not recorded.
func (a *admission) seed(ctx context.Context, host string, now time.Time) {
	if a.ledger == nil || a.lim.EventsPerDay < 0 {
		return
	}
	a.mu.Lock()
	h := a.hosts[host]
	done := h != nil && h.seeded
	a.mu.Unlock()
	if done {
		return
	}
	rec, err := a.ledger.CountRecentEvents(ctx, host, 24*time.Hour, a.lim.EventsPerDay+3*a.maxParts+2)
	if err != nil {
		a.logger.Warn("admission_seed_failed", "host_id", host, "error", err)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	h = a.hostLocked(host, now)
	if h.seeded {
		return
	}
	h.seeded = true
	if rec.Count == 0 {
		return
	}
	h.eventsToday(now)
	first := rec.First
	if now.Sub(first) >= 24*time.Hour {
		first = now
	}
	if first.Before(h.dayStart) {
		h.dayStart = first
	}
	// Events this process counted since it started are in the ledger
	// too, once committed: the larger count covers both.
	h.events = max(h.events, rec.Count)
}

// eventsToday returns the events of the host's current day, starting a
// new day when the last one is over.
func (h *hostAdmission) eventsToday(now time.Time) int {
	if h.dayStart.IsZero() || now.Sub(h.dayStart) >= 24*time.Hour {
		h.dayStart, h.events = now, 0
	}
	return h.events
}

// settle replaces a report's reservation by the events it made (0 when
// it was not committed). A report whose stream ends before its outcome is
// known keeps its reservation until the host's day is over: the host is
// limited more, never less.
func (a *admission) settle(host string, reserved, events int, now time.Time) {
	if a.lim.EventsPerDay < 0 || (reserved == 0 && events <= 0) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.hostLocked(host, now)
	h.reserved = max(0, h.reserved-reserved)
	h.eventsToday(now)
	h.events += max(0, events)
}

// peekedReport is what peekReport reads.
type peekedReport struct {
	host string
	seq  uint64
	full bool
	// items counts the inventory's memory modules, drives and warnings:
	// what costs memory once decoded beyond the encoded bytes
	// (inflightCost).
	items int
}

// peekReport reads a report's host_id, sequence, whether it carries an
// inventory and how many items that inventory lists, from the wire format
// without decoding: admission and the in-flight budget act before the
// expensive decode. Malformed input gives what was read so far;
// DecodeReport rejects it with the reason.
func peekReport(b []byte) (p peekedReport) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return p
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return p
			}
			p.host, n = string(v), m
		case num == 2 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return p
			}
			p.seq, n = v, m
		case num == 3 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return p
			}
			// The oneof's last field wins, as in decoding; repeated
			// inventory fields are merged, so their items add up.
			if !p.full {
				p.items = 0
			}
			p.full, n = true, m
			p.items += countInventoryItems(v)
		default:
			// A known field with another wire type is kept as an
			// unknown field by the decoder: it selects no body.
			if num == 4 && typ == protowire.BytesType {
				p.full, p.items = false, 0
			}
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return p
			}
		}
		b = b[n:]
	}
	return p
}

// countInventoryItems counts the memory_modules (4), storage_devices (5)
// and warnings (6) fields of an encoded Inventory.
func countInventoryItems(b []byte) int {
	items := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return items
		}
		b = b[n:]
		if num >= 4 && num <= 6 && typ == protowire.BytesType {
			items++
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return items
		}
		b = b[n:]
	}
	return items
}
