package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/policy"
	"github.com/memledger/memledger/internal/suggest"
)

// readFlags are the filters shared by hosts and parts.
type readFlags struct {
	hosts   []string
	labels  []string
	vendor  string
	removed string
	format  string
	output  string
}

func (f *readFlags) register(cmd *cobra.Command, removedHelp string) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.hosts, "host", nil, "only the host with this id or hostname `H` (repeatable)")
	fl.StringArrayVar(&f.labels, "label", nil, "only hosts whose labels match `SEL`: k=v, k!=v, k, !k, or several joined by commas (repeatable: all must match)")
	fl.StringVar(&f.vendor, "vendor", "", "only parts by maker `SLUG` or its parent company (micron finds Micron, Crucial and Micron DRAM on Kingston modules)")
	fl.StringVarP(&f.format, "format", "f", formatTable, "output format: table, json (one array) or csv (see docs/reports.md for the fields)")
	cmdutil.OutputFlag(fl, &f.output)
	fl.StringVar(&f.removed, "removed", "", removedHelp)
	fl.Lookup("removed").NoOptDefVal = "include"
}

// removedFilter maps --removed to the store's filter.
func removedFilter(v string) (store.RemovedFilter, error) {
	switch v {
	case "", "false", "no":
		return store.ActiveOnly, nil
	case "include", "true", "yes":
		return store.IncludeRemoved, nil
	case "only":
		return store.OnlyRemoved, nil
	}
	return 0, cmdutil.UsageErrorf("--removed=%q: want --removed (include removed parts) or --removed=only", v)
}

func parseSelectors(terms []string) ([]store.LabelSelector, error) {
	var sels []store.LabelSelector
	for _, t := range terms {
		s, err := store.ParseSelectors(t)
		if err != nil {
			return nil, cmdutil.UsageErrorf("--label %q: %w", t, err)
		}
		sels = append(sels, s...)
	}
	return sels, nil
}

// resolveHosts turns host ids or hostnames into host ids; a name that
// matches no host is a usage error listing the closest ones (a typo must
// not look like an empty fleet).
func resolveHosts(ctx context.Context, st store.Store, names []string) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	for _, n := range names {
		found, err := store.HostsNamed(ctx, st, n)
		if err != nil {
			return nil, lookupError(err)
		}
		for _, h := range found {
			if !seen[h.ID] {
				seen[h.ID] = true
				ids = append(ids, h.ID)
			}
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// resolveHost finds the one host a command acts on, by id or hostname.
func resolveHost(ctx context.Context, st store.Store, name string) (store.Host, error) {
	h, err := store.ResolveHost(ctx, st, name)
	return h, lookupError(err)
}

// lookupError makes a name that matches no host, or several where one is
// needed, a usage error; other errors (the database's) stay failures.
func lookupError(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguous) {
		return cmdutil.UsageError(err)
	}
	return err
}

// checkVendor validates --vendor as a policy's vendors are validated.
func checkVendor(slug string) error {
	if slug == "" {
		return nil
	}
	if err := policy.CheckVendorSlug(strings.ToLower(slug)); err != nil {
		return cmdutil.UsageErrorf("--vendor: %w", err)
	}
	return nil
}

// checkLabelKeys refuses selectors on a label key no host in the ledger
// carries (store.CheckLabelKeys), as a usage error.
func checkLabelKeys(ctx context.Context, st store.Store, sels []store.LabelSelector) error {
	keys := make([]string, len(sels))
	for i, sel := range sels {
		keys[i] = sel.Key
	}
	err := store.CheckLabelKeys(ctx, st, keys...)
	if errors.Is(err, store.ErrInvalid) {
		return cmdutil.UsageErrorf("--label: %w", err)
	}
	return err
}

// hostnamesOf maps the ids of the hosts items belong to to their
// hostnames, for the HOSTNAME column beside HOST.
func hostnamesOf[T any](ctx context.Context, st store.Store, items []T, hostID func(T) string) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, it := range items {
		if id := hostID(it); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	names := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return names, nil
	}
	hosts, err := st.Hosts(ctx, store.HostFilter{IDs: ids})
	if err != nil {
		return nil, fmt.Errorf("look up hostnames: %w", err)
	}
	for _, h := range hosts {
		names[h.ID] = h.Hostname
	}
	return names, nil
}

func (a *app) hostsCommand() *cobra.Command {
	var f readFlags
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "List the hosts in the ledger",
		Long: `hosts lists the hosts the collector heard from: id, hostname, effective labels
(the agent's, overridden by "memledger-collector label"), number of parts on
the host now, when it was last seen (any report) and when its last full
inventory arrived.

With --vendor only hosts carrying a part of that maker are listed (with
--removed, also hosts where such a part was removed).`,
		Example: `  memledger-collector hosts
  memledger-collector hosts --vendor micron --label env=prod
  memledger-collector hosts --format csv > hosts.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runHosts(cmd.Context(), f)
		},
	}
	f.register(cmd, "with --vendor: also match hosts where such a part was removed (--removed=only: only those)")
	return cmd
}

func (a *app) runHosts(ctx context.Context, f readFlags) (err error) {
	if err := checkFormat(f.format); err != nil {
		return err
	}
	removed, err := removedFilter(f.removed)
	if err != nil {
		return err
	}
	if removed != store.ActiveOnly && f.vendor == "" {
		return cmdutil.UsageErrorf("hosts: --removed needs --vendor (it selects hosts by their removed parts)")
	}
	if err := checkVendor(f.vendor); err != nil {
		return err
	}
	sels, err := parseSelectors(f.labels)
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	if err := checkLabelKeys(ctx, st, sels); err != nil {
		return err
	}

	filter := store.HostFilter{Labels: sels}
	if len(f.hosts) > 0 {
		if filter.IDs, err = resolveHosts(ctx, st, f.hosts); err != nil {
			return err
		}
	}
	filter.Vendor, filter.VendorParts = strings.ToLower(f.vendor), removed
	hosts, err := st.Hosts(ctx, filter)
	if err != nil {
		return fmt.Errorf("list hosts: %w", err)
	}
	return renderTo(f.output, a.stdout, f.format, hostColumns, hosts, view.HostOf, view.HostCSVHeader)
}

var hostColumns = []column[store.Host]{
	{header: "HOST", text: func(h store.Host) string { return h.ID }},
	{header: "HOSTNAME", text: func(h store.Host) string { return h.Hostname }},
	{header: "LABELS", text: func(h store.Host) string { return labelsText(h.Labels) }},
	{header: "PARTS", text: func(h store.Host) string { return strconv.Itoa(h.ActiveParts) }},
	{header: "LAST SEEN", text: func(h store.Host) string { return tableTime(h.LastSeen) }},
	{header: "LAST REPORT", text: func(h store.Host) string { return tableTime(h.LastReportAt) }},
	{header: "SYSTEM", text: func(h store.Host) string { return strings.TrimSpace(h.SystemManufacturer + " " + h.SystemProduct) }},
	{header: "AGENT", text: func(h store.Host) string { return h.AgentVersion }},
	{header: "NOT READ SINCE", text: unreadText},
}

// unreadText names the domains the host's latest full reports could not
// read and since when ("memory 2026-10-01 14:02"), "" when every domain
// was read: the parts listed for such a domain are those last read.
func unreadText(h store.Host) string {
	var parts []string
	if !h.MemoryUnreadSince.IsZero() {
		parts = append(parts, "memory "+tableTime(h.MemoryUnreadSince))
	}
	if !h.StorageUnreadSince.IsZero() {
		parts = append(parts, "storage "+tableTime(h.StorageUnreadSince))
	}
	return strings.Join(parts, ", ")
}

type partsFlags struct {
	readFlags
	kind      string
	makerOnly bool
	asOf      string
	limit     int
}

func (a *app) partsCommand() *cobra.Command {
	var f partsFlags
	cmd := &cobra.Command{
		Use:   "parts",
		Short: "List memory modules and drives in the ledger",
		Long: `parts lists the parts of the fleet, one line per module or drive per host:
slot, maker (with its parent company, e.g. "Crucial (Micron Technology)"),
the DRAM maker of a module when known, part number, serial, size and when it
was first seen. A maker that could not be identified is shown as "-": the
ledger never guesses.

By default only parts on their hosts now are listed; --removed adds removed
parts (with the time of removal), --removed=only lists only those, and
--as-of lists what the hosts carried at a past instant.`,
		Example: `  memledger-collector parts --vendor micron
  memledger-collector parts --host db-17 --removed
  memledger-collector parts --vendor samsung --kind drive --label env=prod --format json
  memledger-collector parts --as-of 2025-01-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runParts(cmd.Context(), f)
		},
	}
	f.register(cmd, "include removed parts (--removed=only: only removed parts)")
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "", "only parts of this `KIND`: memory or drive")
	fl.BoolVar(&f.makerOnly, "maker-only", false, "with --vendor, match the module or drive maker only, not the DRAM maker")
	fl.StringVar(&f.asOf, "as-of", "", "list the parts present at `TIME` (RFC 3339, YYYY-MM-DD, or a duration ago such as 720h)")
	fl.IntVar(&f.limit, "limit", 0, "list at most `N` parts (0: all)")
	return cmd
}

func (a *app) runParts(ctx context.Context, f partsFlags) (err error) {
	if err := checkFormat(f.format); err != nil {
		return err
	}
	filter := store.PartFilter{Vendor: strings.ToLower(f.vendor), MakerOnly: f.makerOnly, Limit: f.limit}
	if filter.Removed, err = removedFilter(f.removed); err != nil {
		return err
	}
	if f.makerOnly && f.vendor == "" {
		return cmdutil.UsageErrorf("--maker-only needs --vendor")
	}
	if err := checkVendor(f.vendor); err != nil {
		return err
	}
	if f.limit < 0 {
		return cmdutil.UsageErrorf("--limit %d: want 0 or more", f.limit)
	}
	switch f.kind {
	case "":
	case string(store.KindMemory), string(store.KindDrive):
		filter.Kinds = []store.PartKind{store.PartKind(f.kind)}
	default:
		return cmdutil.UsageErrorf("--kind %q: want memory or drive", f.kind)
	}
	if f.asOf != "" {
		if filter.AsOf, err = parseTime(f.asOf, time.Now()); err != nil {
			return cmdutil.UsageErrorf("--as-of: %w", err)
		}
	}
	if filter.HostLabels, err = parseSelectors(f.labels); err != nil {
		return err
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	if err := checkLabelKeys(ctx, st, filter.HostLabels); err != nil {
		return err
	}
	if len(f.hosts) > 0 {
		if filter.HostIDs, err = resolveHosts(ctx, st, f.hosts); err != nil {
			return err
		}
	}
	parts, err := st.Parts(ctx, filter)
	if err != nil {
		return fmt.Errorf("list parts: %w", err)
	}
	hostnames, err := hostnamesOf(ctx, st, parts, func(p store.Part) string { return p.HostID })
	if err != nil {
		return err
	}
	cols := partColumns(hostnames)
	if filter.Removed != store.ActiveOnly {
		cols = append(cols[:len(cols):len(cols)], column[store.Part]{
			header: "REMOVED",
			text:   func(p store.Part) string { return tableTime(deref(p.RemovedAt)) },
		})
	}
	toView := func(p store.Part) view.Part {
		v := view.PartOf(p)
		v.Hostname = hostnames[p.HostID]
		return v
	}
	return renderTo(f.output, a.stdout, f.format, cols, parts, toView, view.PartCSVHeader)
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// partColumns are the columns of parts; hostnames maps the parts' host
// ids to their hostnames.
func partColumns(hostnames map[string]string) []column[store.Part] {
	return []column[store.Part]{
		{header: "HOST", text: func(p store.Part) string { return p.HostID }},
		{header: "HOSTNAME", text: func(p store.Part) string { return hostnames[p.HostID] }},
		{header: "KIND", text: func(p store.Part) string { return string(p.Kind) }},
		{header: "SLOT", text: func(p store.Part) string { return p.Slot }},
		{header: "MAKER", text: func(p store.Part) string { return makerText(p.Maker) }},
		{header: "DRAM", text: func(p store.Part) string { return makerText(p.DRAM) }},
		{header: "PART NUMBER", text: func(p store.Part) string { return p.PartNumber }},
		{header: "SERIAL", text: func(p store.Part) string { return p.SerialNumber }},
		{header: "SIZE", text: func(p store.Part) string { return sizeText(p.Kind, p.SizeBytes) }},
		{header: "FIRST SEEN", text: func(p store.Part) string { return tableTime(p.FirstSeen) }},
	}
}

type historyFlags struct {
	host   string
	kinds  []string
	since  string
	until  string
	limit  int
	newest bool
	format string
	output string
}

func (a *app) historyCommand() *cobra.Command {
	var f historyFlags
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show the ledger's event log",
		Long: `history prints the append-only event log, oldest first: hosts enrolled
or retired, parts added, removed, returned or moved, serial clashes (one real serial
reported by two hosts at once: each keeps its own part), identities
corrected by a migration, decoded facts changed, labels changed, policy
verdicts. A module swapped between two reports shows as one part removed
and one part added.`,
		Example: `  memledger-collector history --host db-17
  memledger-collector history --kind part_removed --since 720h
  memledger-collector history --host db-17 --newest --limit 20 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runHistory(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.host, "host", "", "only events of the host with this id or hostname `H`")
	fl.StringArrayVar(&f.kinds, "kind", nil, "only events of `KIND` (repeatable): host_enrolled, host_retired, part_added, part_removed, part_returned, part_moved, serial_clash, identity_corrected, fields_changed, labels_changed, policy_status")
	fl.StringVar(&f.since, "since", "", "only events at or after `TIME` (RFC 3339, YYYY-MM-DD, or a duration ago such as 24h)")
	fl.StringVar(&f.until, "until", "", "only events before `TIME`")
	fl.IntVar(&f.limit, "limit", 0, "at most `N` events (0: all); with --newest the last N")
	fl.BoolVar(&f.newest, "newest", false, "newest events first")
	fl.StringVarP(&f.format, "format", "f", formatTable, "output format: table, json (one array) or csv (see docs/reports.md for the fields)")
	cmdutil.OutputFlag(fl, &f.output)
	return cmd
}

func eventKindNames() []string {
	names := make([]string, 0, len(eventKinds))
	for k := range eventKinds {
		names = append(names, string(k))
	}
	return names
}

var eventKinds = map[store.EventKind]bool{
	store.EventHostEnrolled: true, store.EventPartAdded: true, store.EventPartRemoved: true,
	store.EventPartReturned: true, store.EventPartMoved: true, store.EventFieldsChanged: true,
	store.EventLabelsChanged: true, store.EventPolicyStatus: true, store.EventSerialClash: true,
	store.EventIdentityCorrected: true, store.EventHostRetired: true,
}

func (a *app) runHistory(ctx context.Context, f historyFlags) (err error) {
	if err := checkFormat(f.format); err != nil {
		return err
	}
	if f.limit < 0 {
		return cmdutil.UsageErrorf("--limit %d: want 0 or more", f.limit)
	}
	filter := store.EventFilter{Limit: f.limit, Newest: f.newest}
	for _, k := range f.kinds {
		if !eventKinds[store.EventKind(k)] {
			return cmdutil.UsageErrorf("--kind %q: not an event kind%s", k, suggest.Hint(k, eventKindNames()))
		}
		filter.Kinds = append(filter.Kinds, store.EventKind(k))
	}
	now := time.Now()
	if f.since != "" {
		if filter.Since, err = parseTime(f.since, now); err != nil {
			return cmdutil.UsageErrorf("--since: %w", err)
		}
	}
	if f.until != "" {
		if filter.Until, err = parseTime(f.until, now); err != nil {
			return cmdutil.UsageErrorf("--until: %w", err)
		}
	}
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	if f.host != "" {
		h, err := resolveHost(ctx, st, f.host)
		if err != nil {
			return fmt.Errorf("--host: %w", err)
		}
		filter.HostID = h.ID
	}
	events, err := st.Events(ctx, filter)
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	hostnames, err := hostnamesOf(ctx, st, events, func(e store.Event) string { return e.HostID })
	if err != nil {
		return err
	}
	toView := func(e store.Event) view.Event {
		v := view.EventOf(e)
		v.Hostname = hostnames[e.HostID]
		return v
	}
	return renderTo(f.output, a.stdout, f.format, eventColumns(hostnames), events, toView, view.EventCSVHeader)
}

// eventColumns are the columns of history; hostnames maps the events' host
// ids to their hostnames.
func eventColumns(hostnames map[string]string) []column[store.Event] {
	return []column[store.Event]{
		{header: "TIME", text: func(e store.Event) string { return tableTime(e.Time) }},
		{header: "HOST", text: func(e store.Event) string { return e.HostID }},
		{header: "HOSTNAME", text: func(e store.Event) string { return hostnames[e.HostID] }},
		{header: "EVENT", text: func(e store.Event) string { return string(e.Kind) }},
		{header: "MESSAGE", text: func(e store.Event) string { return e.Message }},
	}
}

// parseTime reads an instant: RFC 3339, a date (midnight UTC), or a Go
// duration meaning that long before now ("24h").
func parseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2025-03-01T12:00:00Z), a date (2025-03-01) or a duration ago (24h)", s)
}
