package dashboard

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
)

// idChunk bounds the ids of one store query (SQLite's variable limit).
const idChunk = 500

// hostsByID reads the full records of hosts ids, in chunks.
func hostsByID(ctx context.Context, st store.Store, ids []string) (map[string]store.Host, error) {
	out := make(map[string]store.Host, len(ids))
	for chunk := range slices.Chunk(ids, idChunk) {
		hs, err := st.Hosts(ctx, store.HostFilter{IDs: chunk})
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			out[h.ID] = h
		}
	}
	return out, nil
}

// hostOrders maps the hosts page's sort parameter to the store's order.
var hostOrders = map[string]store.HostOrder{
	"hostname":   store.HostsByHostname,
	"id":         store.HostsByID,
	"first_seen": store.HostsByFirstSeen,
	"last_seen":  store.HostsByLastSeen,
}

type hostRow struct {
	view.Host
	Labels []string
}

func (d *Dashboard) hosts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	format, err := listFormat(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	var filter store.HostFilter
	for _, l := range q["label"] {
		if strings.TrimSpace(l) == "" {
			continue
		}
		sels, err := store.ParseSelectors(l)
		if err != nil {
			d.fail(w, r, badRequest("label %q: %v", l, err))
			return
		}
		filter.Labels = append(filter.Labels, sels...)
	}
	sortKey, dir := cmp.Or(q.Get("sort"), "hostname"), q.Get("dir")
	order, ok := hostOrders[sortKey]
	if !ok {
		d.fail(w, r, badRequest("sort %q: want hostname, id, first_seen or last_seen", sortKey))
		return
	}
	filter.Order, filter.Desc = order, dir == "desc"
	filter.Search = strings.TrimSpace(q.Get("q"))
	filter.Vendor = strings.ToLower(strings.TrimSpace(q.Get("vendor")))
	status := q.Get("status")
	if status != "" && status != "violation" && status != "clean" {
		d.fail(w, r, badRequest("status %q: want violation or clean", status))
		return
	}
	cur, err := cursorOf[store.HostKey](r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if cur.key != nil && cur.key.Order != filter.Order {
		d.fail(w, r, badRequest("cursor of another sort: follow the page's own links"))
		return
	}
	var keep func(string) bool // the status filter; nil keeps every host
	var violating []store.HostBrief
	byID := map[string]store.HostBrief{}
	if status != "" {
		violating, err = d.violatingHosts(ctx, filter)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		for _, h := range violating {
			byID[h.ID] = h
		}
		keep = func(id string) bool { _, in := byID[id]; return in == (status == "violation") }
	}
	if format != "" {
		lw := startDownload(w, format, "hosts", view.HostCSVHeader, view.Host.CSVRow)
		each := func(hs []store.Host) error { return lw.write(hostViews(hs)) }
		if status == "violation" {
			err = d.hostsOfBriefs(ctx, violating, each)
		} else {
			err = d.scanHosts(ctx, filter, keep, 0, each)
		}
		lw.finish(d, r, err)
		return
	}
	// Counting a vendor's hosts or a search's reads the parts or names of
	// every host (0.7 s at 100,000 hosts): those pages, as the parts
	// list, read one row more than they show instead.
	counted := status == "violation" || filter.Vendor == "" && filter.Search == ""
	var (
		hosts []store.Host
		total int
	)
	if status == "violation" {
		total = len(violating)
		err = d.hostsOfBriefs(ctx, briefsPage(violating, filter, cur, d.o.PageSize+1), func(hs []store.Host) error {
			hosts = append(hosts, hs...)
			return nil
		})
	} else {
		if counted {
			total, err = d.o.Store.CountHosts(ctx, filter)
			total -= len(violating) // none without a status; the violating hosts for clean
		}
		if err == nil {
			f := filter
			f.After, f.Desc = cur.key, filter.Desc != cur.back
			err = d.scanHosts(ctx, f, keep, d.o.PageSize+1, func(hs []store.Host) error {
				hosts = append(hosts, hs...)
				return nil
			})
		}
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	keyOf := func(h store.Host) store.HostKey { return h.Key(filter.Order) }
	if status == "violation" {
		// The briefs' keys, which the page's cursors are compared with.
		keyOf = func(h store.Host) store.HostKey { return byID[h.ID].Key(filter.Order) }
	}
	hosts, pg := keysetPage(r.URL.Query(), hosts, d.o.PageSize, cur, keyOf)
	if counted {
		pg.Total, pg.Counted = total, true
	}
	views := hostViews(hosts)
	rows := make([]hostRow, len(views))
	for i, h := range views {
		rows[i] = hostRow{Host: h, Labels: labelList(h.Labels)}
	}
	d.render(w, r, http.StatusOK, "hosts", page{Title: "Hosts", Data: map[string]any{"Rows": rows, "Pager": pg, "Sort": sortKey, "Dir": dir}})
}

func hostViews(hs []store.Host) []view.Host {
	out := make([]view.Host, len(hs))
	for i, h := range hs {
		out[i] = view.HostOf(h)
	}
	return out
}

// hostBatch is the number of hosts (and part rows) a download reads per
// query.
const hostBatch = 500

// scanHosts reads the hosts of f (in its order, from f.After) in keyset
// batches, and passes each batch's hosts that keep accepts (all with a
// nil keep) to each, until want hosts were passed (0: all of them).
func (d *Dashboard) scanHosts(ctx context.Context, f store.HostFilter, keep func(string) bool, want int, each func([]store.Host) error) error {
	f.Limit = hostBatch
	if want > 0 && keep == nil {
		f.Limit = want
	}
	for passed := 0; ; {
		hs, err := d.o.Store.Hosts(ctx, f)
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			return nil
		}
		last := hs[len(hs)-1].Key(f.Order)
		full := len(hs) == f.Limit
		if keep != nil {
			hs = slices.DeleteFunc(hs, func(h store.Host) bool { return !keep(h.ID) })
		}
		if want > 0 {
			hs = hs[:min(len(hs), want-passed)]
		}
		if len(hs) > 0 {
			if err := each(hs); err != nil {
				return err
			}
		}
		passed += len(hs)
		if !full || want > 0 && passed == want {
			return nil
		}
		f.After = &last
	}
}

// violatingHosts are the hosts of filter (order aside) that the fleet
// report (the Tracker's live one in a serving collector) names in
// violation: a small set, read by id rather than by walking the fleet,
// and sorted in filter's order (the hostname in byte order).
func (d *Dashboard) violatingHosts(ctx context.Context, filter store.HostFilter) ([]store.HostBrief, error) {
	rep, err := d.fleetReport(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range rep.Violations {
		ids = append(ids, v.HostID)
	}
	slices.Sort(ids)
	var out []store.HostBrief
	for chunk := range slices.Chunk(slices.Compact(ids), idChunk) {
		f := filter
		f.IDs = chunk
		err := d.o.Store.ForEachHost(ctx, f, func(h store.HostBrief) error {
			out = append(out, h)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b store.HostBrief) int {
		return compareHostKeys(a.Key(filter.Order), b.Key(filter.Order), filter.Desc)
	})
	return out, nil
}

// compareHostKeys orders keys as the store's host lists do (hostnames in
// byte order).
func compareHostKeys(a, b store.HostKey, desc bool) int {
	c := cmp.Or(strings.Compare(a.Hostname, b.Hostname), a.Seen.Compare(b.Seen), strings.Compare(a.ID, b.ID))
	if desc {
		return -c
	}
	return c
}

// briefsPage is what the store would answer for the page at cur of a
// list held in memory: up to n hosts after cur's key, or before it,
// nearest first.
func briefsPage(list []store.HostBrief, filter store.HostFilter, cur cursor[store.HostKey], n int) []store.HostBrief {
	if cur.key == nil {
		return list[:min(n, len(list))]
	}
	i, found := slices.BinarySearchFunc(list, *cur.key, func(h store.HostBrief, k store.HostKey) int {
		return compareHostKeys(h.Key(filter.Order), k, filter.Desc)
	})
	if !cur.back {
		if found {
			i++
		}
		return list[i:min(len(list), i+n)]
	}
	page := slices.Clone(list[max(0, i-n):i])
	slices.Reverse(page)
	return page
}

// hostsOfBriefs passes the full records of hosts to each, in their order,
// a chunk at a time.
func (d *Dashboard) hostsOfBriefs(ctx context.Context, hosts []store.HostBrief, each func([]store.Host) error) error {
	for chunk := range slices.Chunk(hosts, idChunk) {
		ids := make([]string, len(chunk))
		for i, h := range chunk {
			ids[i] = h.ID
		}
		full, err := hostsByID(ctx, d.o.Store, ids)
		if err != nil {
			return err
		}
		hs := make([]store.Host, 0, len(ids))
		for _, id := range ids {
			if h, ok := full[id]; ok {
				hs = append(hs, h)
			}
		}
		if err := each(hs); err != nil {
			return err
		}
	}
	return nil
}

func labelList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// ----- one host -----

func (d *Dashboard) host(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h, err := store.ResolveHost(ctx, d.o.Store, r.PathValue("id"))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	parts, err := report.HostParts(ctx, d.o.Store, d.o.Policy(), h, d.o.Now())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var present, removed []view.Part
	for _, p := range parts {
		if p.RemovedAt != nil {
			removed = append(removed, p)
		} else {
			present = append(present, p)
		}
	}
	events, err := d.o.Store.Events(ctx, store.EventFilter{HostID: h.ID, Newest: true, Limit: 200})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	evs := make([]view.Event, len(events))
	for i, e := range events {
		evs[i] = view.EventOf(e)
	}
	hv := view.HostOf(h)
	d.render(w, r, http.StatusOK, "host", page{Title: "Host " + cmp.Or(h.Hostname, h.ID), Data: map[string]any{
		"Host": hv, "Labels": labelList(hv.Labels), "Present": present, "Removed": removed, "Events": evs,
		"API": "/api/v1/hosts/" + url.PathEscape(h.ID)}})
}

// ----- parts -----

func (d *Dashboard) parts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	format, err := listFormat(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	filter := store.PartFilter{Vendor: strings.ToLower(strings.TrimSpace(q.Get("vendor")))}
	switch k := q.Get("kind"); k {
	case "":
	case string(store.KindMemory), string(store.KindDrive):
		filter.Kinds = []store.PartKind{store.PartKind(k)}
	default:
		d.fail(w, r, badRequest("kind %q: want %s or %s", k, store.KindMemory, store.KindDrive))
		return
	}
	if s := strings.TrimSpace(q.Get("as_of")); s != "" {
		t, err := httpapi.ParseAsOf(s)
		if err != nil {
			d.fail(w, r, badRequest("as_of: %v", err))
			return
		}
		filter.AsOf = t
	}
	// A drive's model is its part number in the ledger. Both searches are
	// prefix matches the store answers from its indexes.
	filter.PartNumberPrefix = strings.TrimSpace(cmp.Or(q.Get("part"), q.Get("model")))
	filter.SerialPrefix = strings.TrimSpace(q.Get("serial"))
	cur, err := cursorOf[store.PartKey](r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if format != "" {
		// The whole list, streamed in keyset batches.
		lw := startDownload(w, format, "parts", view.PartCSVHeader, view.Part.CSVRow)
		filter.Limit = hostBatch
		for {
			list, err := d.o.Store.Parts(ctx, filter)
			if err == nil && len(list) > 0 {
				var views []view.Part
				if views, err = d.partViews(ctx, list); err == nil {
					err = lw.write(views)
				}
			}
			if err != nil || len(list) < filter.Limit {
				lw.finish(d, r, err)
				return
			}
			k := list[len(list)-1].Key()
			filter.After = &k
		}
	}
	// A page reads its rows and one more (which shows there is a next
	// page), from its cursor over the parts_listing index, without
	// counting the list.
	filter.Limit, filter.After, filter.Desc = d.o.PageSize+1, cur.key, cur.back
	list, err := d.o.Store.Parts(ctx, filter)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	list, pg := keysetPage(r.URL.Query(), list, d.o.PageSize, cur, store.Part.Key)
	views, err := d.partViews(ctx, list)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "parts", page{Title: "Parts", Data: map[string]any{"Rows": views, "Pager": pg}})
}

// partViews are the views of parts with their hosts' names.
func (d *Dashboard) partViews(ctx context.Context, list []store.Part) ([]view.Part, error) {
	var hostIDs []string
	for _, p := range list {
		hostIDs = append(hostIDs, p.HostID)
	}
	slices.Sort(hostIDs)
	hosts, err := hostsByID(ctx, d.o.Store, slices.Compact(hostIDs))
	if err != nil {
		return nil, err
	}
	views := make([]view.Part, len(list))
	for i, p := range list {
		views[i] = view.PartOf(p)
		views[i].Hostname = hosts[p.HostID].Hostname
	}
	return views, nil
}
