// Package report computes the collector's policy exposure report from the
// ledger, renders it (table, CSV, JSON, self-contained HTML) and keeps the
// last known policy status of every part so that a change becomes a
// policy_status event (Tracker).
//
// A report is computed in one streaming pass over the ledger's parts
// (Build: store.Store.ForEachPartGroup, which decodes no stored record),
// each group judged by the pure policy engine at the report's as-of time,
// or, in a serving collector, summed from the live aggregates its Tracker
// keeps (Tracker.Report, live.go). The JSON shape is documented in
// docs/reports.md.
package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
	"github.com/memledger/memledger/internal/policy"
)

// ErrUnknownRule: Options.Rules names a rule the policy lacks.
var ErrUnknownRule = errors.New("unknown rule")

// Options select what a report covers.
type Options struct {
	// AsOf is the instant the fleet is judged at: the parts installed then,
	// the rules and waivers in force then. Zero means Now.
	AsOf time.Time
	// Rules restricts the per-rule sections and the violation list to these
	// rule ids; empty means every rule. Unknown ids are an error.
	Rules []string
	// GroupBy is a host label key: per rule, parts are also counted by the
	// value of this label ("" for hosts without it).
	GroupBy string
	// Now is when the report is made (default time.Now).
	Now func() time.Time
}

// Counts holds part counts by policy status.
type Counts struct {
	Violation int `json:"violation"`
	Waived    int `json:"waived"`
	Recorded  int `json:"recorded"`
	Removed   int `json:"removed"`
	Allowed   int `json:"allowed"`
}

func (c *Counts) add(s policy.Status, n int) {
	switch s {
	case policy.StatusViolation:
		c.Violation += n
	case policy.StatusWaived:
		c.Waived += n
	case policy.StatusRecorded:
		c.Recorded += n
	case policy.StatusRemoved:
		c.Removed += n
	case policy.StatusAllowed:
		c.Allowed += n
	}
}

// Get returns the count of one status.
func (c Counts) Get(s policy.Status) int {
	switch s {
	case policy.StatusViolation:
		return c.Violation
	case policy.StatusWaived:
		return c.Waived
	case policy.StatusRecorded:
		return c.Recorded
	case policy.StatusRemoved:
		return c.Removed
	case policy.StatusAllowed:
		return c.Allowed
	}
	return 0
}

// Total is the sum of all statuses.
func (c Counts) Total() int { return c.Violation + c.Waived + c.Recorded + c.Removed + c.Allowed }

// Statuses lists the statuses in report order, worst first.
var Statuses = []policy.Status{policy.StatusViolation, policy.StatusWaived, policy.StatusRecorded, policy.StatusRemoved, policy.StatusAllowed}

// Report is the exposure report. Its JSON form is documented in
// docs/reports.md.
type Report struct {
	// SchemaVersion is view.Version: violations and clashes name hosts and
	// parts with the fields of the collector's one shape.
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	AsOf          time.Time `json:"as_of"`
	// Policy names the policy file; "" when the collector has none.
	Policy  string `json:"policy"`
	GroupBy string `json:"group_by,omitempty"`
	Totals  Totals `json:"totals"`
	Rules   []Rule `json:"rules"`
	// Violations lists every part in violation of a selected rule at AsOf,
	// ordered by host, slot, rule.
	Violations []Violation `json:"violations"`
	// SerialClashes lists the serial clashes recorded up to AsOf: a host
	// reported a real serial another host still carried (a clone module,
	// or a host reporting what it does not carry); each kept its own part.
	// Oldest first.
	SerialClashes []SerialClash `json:"serial_clashes"`
	// UnreadHosts lists the hosts whose latest full reports could not read
	// their memory or their drives: their parts of that kind are counted
	// as last read. They are the hosts as they stand now, whatever AsOf
	// (like labels, the ledger keeps no history of it). Ordered by host id.
	UnreadHosts []UnreadHost `json:"unread_hosts"`
}

// UnreadHost is a host whose memory or drives were not read completely.
type UnreadHost struct {
	HostID   string `json:"host_id"`
	Hostname string `json:"hostname,omitempty"`
	// MemoryUnreadSince and StorageUnreadSince are when its full reports
	// began to leave that domain unread; absent while it is read.
	MemoryUnreadSince  *time.Time `json:"memory_unread_since,omitempty"`
	StorageUnreadSince *time.Time `json:"storage_unread_since,omitempty"`
}

// SerialClash is one serial_clash the ledger recorded.
type SerialClash struct {
	Time time.Time `json:"time"`
	// HostID reported the serial while OtherHostID still carried it.
	HostID      string `json:"host_id"`
	Slot        string `json:"slot"`
	OtherHostID string `json:"other_host_id"`
	OtherSlot   string `json:"other_slot"`
	// Identity is the part's ledger identity: kind|part|serial.
	Identity string `json:"identity"`
	Message  string `json:"message"`
}

// Totals are fleet-wide numbers at AsOf.
type Totals struct {
	// Hosts known to the ledger at AsOf (first seen at or before it).
	Hosts int `json:"hosts"`
	// HostsWithViolations have at least one part in violation.
	HostsWithViolations int `json:"hosts_with_violations"`
	// Parts installed at AsOf (memory modules and drives).
	Parts  int `json:"parts"`
	Memory int `json:"memory"`
	Drives int `json:"drives"`
	// ByStatus counts each part judged at AsOf once, by its worst status
	// over all rules (removed parts included).
	ByStatus Counts `json:"by_status"`
}

// Rule is one rule's section of the report.
type Rule struct {
	ID        string    `json:"id"`
	Title     string    `json:"title,omitempty"`
	Action    string    `json:"action"`
	Effective time.Time `json:"effective"`
	// HostsExposed is the number of hosts carrying at least one installed
	// part the rule matches (violation, waived or recorded).
	HostsExposed int `json:"hosts_exposed"`
	// HostsInViolation carry at least one part in violation of it.
	HostsInViolation int    `json:"hosts_in_violation"`
	Counts           Counts `json:"counts"`
	// ByVendor groups by the maker's parent slug of the matching component
	// ("unknown" when unidentified), ByComponent by module/dram/storage,
	// ByGroup by the value of the GroupBy label (absent without GroupBy).
	ByVendor    []Group `json:"by_vendor"`
	ByComponent []Group `json:"by_component"`
	ByGroup     []Group `json:"by_group,omitempty"`
	// Exposure is the rule's exposure over time, one point per day on
	// which a count changed, up to AsOf.
	Exposure []Point `json:"exposure"`
}

// Group is a count of parts under one key.
type Group struct {
	Key    string `json:"key"`
	Counts Counts `json:"counts"`
}

// Point is the state of one rule at the end of a day.
type Point struct {
	Date   string `json:"date"`
	Counts Counts `json:"counts"`
}

// Violation is one part in violation of one rule.
type Violation struct {
	RuleID     string    `json:"rule"`
	HostID     string    `json:"host_id"`
	Hostname   string    `json:"hostname,omitempty"`
	Slot       string    `json:"slot"`
	Kind       string    `json:"kind"`
	Component  string    `json:"component"`
	Vendor     string    `json:"vendor"`
	PartNumber string    `json:"part_number"`
	Serial     string    `json:"serial_number"`
	FirstSeen  time.Time `json:"first_seen"`
	Reason     string    `json:"reason"`
}

// Build computes the report for pol (nil: no policy, totals only) from st.
func Build(ctx context.Context, st store.Store, pol *policy.Policy, opts Options) (*Report, error) {
	rep := newReport(pol, opts)
	asOf := rep.AsOf
	if pol == nil {
		pol = &policy.Policy{}
	}
	selected, err := selectRules(pol, opts.Rules)
	if err != nil {
		return nil, err
	}
	b := newBuilder(pol, selected, asOf, opts.GroupBy)
	// One set-based pass counts groups of alike parts. Hosts whose
	// waivers name serials are judged part by part, and the parts of
	// groups in violation are listed, in a second pass over those hosts
	// only. The database streams groups while another goroutine judges
	// them (and, first, loads the hosts): the two halves of the work
	// overlap on a multi-core machine.
	perPart := map[string]bool{}   // hosts counted part by part
	violating := map[string]bool{} // hosts whose violations to list
	var hosts *Hosts
	var hostsErr error
	hostsLoaded := make(chan struct{})
	go func() {
		defer close(hostsLoaded)
		hosts, hostsErr = LoadHosts(ctx, st)
	}()
	// Room for a good share of a large fleet's groups, so the database
	// keeps streaming while the hosts load.
	batches := make(chan []store.PartGroup, 64)
	judged := make(chan error, 1)
	go func() {
		<-hostsLoaded
		err := hostsErr
		if err == nil {
			for _, h := range hosts.byID {
				if !h.firstSeen.After(asOf) {
					rep.Totals.Hosts++
				}
			}
		}
		for batch := range batches {
			if err != nil {
				continue // drain: the producer stops at its next send
			}
			for _, g := range batch {
				h := hosts.get(g.HostID)
				if h == nil || h.firstSeen.After(asOf) {
					continue
				}
				if b.serialWaivers[g.HostID] {
					perPart[g.HostID] = true
					continue
				}
				if b.addGroup(g, h) {
					violating[g.HostID] = true
				}
			}
		}
		judged <- err
	}()
	const batchSize = 1024
	batch := make([]store.PartGroup, 0, batchSize)
	err = st.ForEachPartGroup(ctx, store.PartFilter{Removed: store.IncludeRemoved}, func(g store.PartGroup) error {
		batch = append(batch, g)
		if len(batch) == batchSize {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]store.PartGroup, 0, batchSize)
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	if jerr := <-judged; jerr != nil && err == nil {
		err = jerr
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	detail := make([]string, 0, len(perPart)+len(violating))
	for id := range perPart {
		detail = append(detail, id)
	}
	for id := range violating {
		detail = append(detail, id)
	}
	sort.Strings(detail)
	for len(detail) > 0 {
		chunk := detail[:min(len(detail), detailChunk)]
		detail = detail[len(chunk):]
		err = st.ForEachPart(ctx, store.PartFilter{HostIDs: chunk, Removed: store.IncludeRemoved}, func(p store.PartBrief) error {
			h := hosts.get(p.HostID)
			if perPart[p.HostID] {
				b.add(p, h)
			} else {
				b.addViolations(p, h)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	b.finish(rep)
	if err := ledgerLists(ctx, st, rep); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return rep, nil
}

// ledgerLists fills the lists a report reads from the ledger, not from
// part counts: serial clashes and unread hosts. Build and the Tracker's
// live report share it.
func ledgerLists(ctx context.Context, st store.Store, rep *Report) error {
	var err error
	if rep.SerialClashes, err = serialClashes(ctx, st, rep.AsOf); err != nil {
		return err
	}
	rep.UnreadHosts, err = unreadHosts(ctx, st)
	return err
}

// unreadHosts lists the hosts whose memory or storage is unread now.
func unreadHosts(ctx context.Context, st store.Store) ([]UnreadHost, error) {
	hosts, err := st.Hosts(ctx, store.HostFilter{Unread: true, Order: store.HostsByID})
	if err != nil {
		return nil, fmt.Errorf("unread hosts: %w", err)
	}
	out := make([]UnreadHost, 0, len(hosts))
	for _, h := range hosts {
		// The one shape of a host (view) converts the times.
		v := view.HostOf(h)
		out = append(out, UnreadHost{HostID: v.HostID, Hostname: v.Hostname,
			MemoryUnreadSince: v.MemoryUnreadSince, StorageUnreadSince: v.StorageUnreadSince})
	}
	return out, nil
}

// newReport is the empty report of opts: its times and policy name.
func newReport(pol *policy.Policy, opts Options) *Report {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	gen := now().UTC().Truncate(time.Second)
	asOf := opts.AsOf
	if asOf.IsZero() {
		asOf = gen
	}
	rep := &Report{SchemaVersion: view.Version, GeneratedAt: gen, AsOf: asOf.UTC(), GroupBy: opts.GroupBy}
	rep.FillEmptyLists()
	if pol != nil {
		rep.Policy = pol.Source
	}
	return rep
}

// FillEmptyLists makes rep's nil lists empty, so that its JSON keeps one
// shape, "[]" where a list has nothing, never null: every report Build
// makes, and one decoded from a collector's answer that left a list out
// (an older collector's, without the lists added since).
func (rep *Report) FillEmptyLists() {
	if rep.Rules == nil {
		rep.Rules = []Rule{}
	}
	if rep.Violations == nil {
		rep.Violations = []Violation{}
	}
	if rep.SerialClashes == nil {
		rep.SerialClashes = []SerialClash{}
	}
	if rep.UnreadHosts == nil {
		rep.UnreadHosts = []UnreadHost{}
	}
}

// serialClashes reads the serial clashes recorded up to asOf. The ledger
// writes each in both hosts' histories; the reporting host's copy is kept.
func serialClashes(ctx context.Context, st store.Store, asOf time.Time) ([]SerialClash, error) {
	evs, err := st.Events(ctx, store.EventFilter{Kinds: []store.EventKind{store.EventSerialClash}, Until: asOf.Add(time.Microsecond)})
	if err != nil {
		return nil, fmt.Errorf("serial clashes: %w", err)
	}
	out := []SerialClash{}
	for _, ev := range evs {
		var d struct {
			Identity    string `json:"identity"`
			HostID      string `json:"host_id"`
			Slot        string `json:"slot"`
			OtherHostID string `json:"other_host_id"`
			OtherSlot   string `json:"other_slot"`
		}
		if err := json.Unmarshal(ev.Details, &d); err != nil {
			return nil, fmt.Errorf("serial clash event %d: details: %w", ev.ID, err)
		}
		if d.HostID != ev.HostID {
			continue // the other host's copy
		}
		out = append(out, SerialClash{Time: ev.Time, HostID: d.HostID, Slot: d.Slot, OtherHostID: d.OtherHostID,
			OtherSlot: d.OtherSlot, Identity: d.Identity, Message: ev.Message})
	}
	return out, nil
}

// detailChunk bounds the host ids of one query of the second pass.
const detailChunk = 2000

// selectRules returns the rule indexes the report covers.
func selectRules(pol *policy.Policy, ids []string) ([]bool, error) {
	sel := make([]bool, len(pol.Rules))
	if len(ids) == 0 {
		for i := range sel {
			sel[i] = true
		}
		return sel, nil
	}
	for _, id := range ids {
		i := slices.IndexFunc(pol.Rules, func(r policy.Rule) bool { return r.ID == id })
		if i < 0 {
			known := strings.Join(pol.RuleIDs(), ", ")
			if known == "" {
				known = "none"
			}
			return nil, fmt.Errorf("%w %q (policy rules: %s)", ErrUnknownRule, id, known)
		}
		sel[i] = true
	}
	return sel, nil
}

// hostInfo is what evaluation needs of a host.
type hostInfo struct {
	id, hostname string
	labels       map[string]string
	// labelsKey identifies the label set, for the evaluation cache.
	labelsKey int
	firstSeen time.Time
	lastSeen  time.Time
}

// Hosts is a snapshot of the fleet's hosts, for evaluation.
type Hosts struct {
	byID map[string]*hostInfo
}

func (h *Hosts) get(id string) *hostInfo {
	if h == nil {
		return nil
	}
	return h.byID[id]
}

// LoadHosts reads every host of the ledger.
func LoadHosts(ctx context.Context, st store.Store) (*Hosts, error) {
	return loadHosts(ctx, st, store.HostFilter{})
}

func loadHosts(ctx context.Context, st store.Store, f store.HostFilter) (*Hosts, error) {
	out := &Hosts{byID: map[string]*hostInfo{}}
	keys := map[string]int{}
	err := st.ForEachHost(ctx, f, func(h store.HostBrief) error {
		k := labelsCanon(h.Labels)
		n, ok := keys[k]
		if !ok {
			n = len(keys)
			keys[k] = n
		}
		out.byID[h.ID] = &hostInfo{id: h.ID, hostname: h.Hostname, labels: h.Labels, labelsKey: n, firstSeen: h.FirstSeen, lastSeen: h.LastSeen}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load hosts: %w", err)
	}
	return out, nil
}

// Reporting counts the hosts last seen at or after since.
func (h *Hosts) Reporting(since time.Time) int {
	n := 0
	for _, hi := range h.byID {
		if !hi.lastSeen.Before(since) {
			n++
		}
	}
	return n
}

func labelsCanon(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	return b.String()
}
