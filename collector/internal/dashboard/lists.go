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
	var (
		hosts []store.Host
		pg    pager
	)
	if status == "" {
		hosts, pg, err = d.hostPage(ctx, r, filter, format != "")
	} else {
		hosts, pg, err = d.hostPageByStatus(ctx, r, filter, status == "violation", format != "")
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	views := make([]view.Host, len(hosts))
	for i, h := range hosts {
		views[i] = view.HostOf(h)
	}
	if format != "" {
		download(w, format, "hosts", view.HostCSVHeader, views, view.Host.CSVRow)
		return
	}
	rows := make([]hostRow, len(views))
	for i, h := range views {
		rows[i] = hostRow{Host: h, Labels: labelList(h.Labels)}
	}
	d.render(w, r, http.StatusOK, "hosts", page{Title: "Hosts", Data: map[string]any{"Rows": rows, "Pager": pg, "Sort": sortKey, "Dir": dir}})
}

// hostPage reads one page of hosts (all of them for a download) from the
// store, which filters, sorts, counts and pages in SQL.
func (d *Dashboard) hostPage(ctx context.Context, r *http.Request, filter store.HostFilter, all bool) ([]store.Host, pager, error) {
	if all {
		hosts, err := d.o.Store.Hosts(ctx, filter)
		return hosts, pager{}, err
	}
	total, err := d.o.Store.CountHosts(ctx, filter)
	if err != nil {
		return nil, pager{}, err
	}
	pg, err := paginate(r, total, d.o.PageSize)
	if err != nil || pg.To == pg.From {
		return nil, pg, err
	}
	filter.Limit, filter.Offset = pg.To-pg.From, pg.From
	hosts, err := d.o.Store.Hosts(ctx, filter)
	return hosts, pg, err
}

// hostPageByStatus is hostPage for hosts with (or without) a violation:
// the policy's verdicts are the fleet report's, not SQL, so the hosts
// stream in the page's order and are kept or dropped by the report.
func (d *Dashboard) hostPageByStatus(ctx context.Context, r *http.Request, filter store.HostFilter, violating, all bool) ([]store.Host, pager, error) {
	rep, err := d.fleetReport(ctx)
	if err != nil {
		return nil, pager{}, err
	}
	inViolation := map[string]bool{}
	for _, v := range rep.Violations {
		inViolation[v.HostID] = true
	}
	var ids []string
	err = d.o.Store.ForEachHost(ctx, filter, func(h store.HostBrief) error {
		if inViolation[h.ID] == violating {
			ids = append(ids, h.ID)
		}
		return nil
	})
	if err != nil {
		return nil, pager{}, err
	}
	var pg pager
	if !all {
		if pg, err = paginate(r, len(ids), d.o.PageSize); err != nil {
			return nil, pg, err
		}
		ids = ids[pg.From:pg.To]
	}
	full, err := hostsByID(ctx, d.o.Store, ids)
	if err != nil {
		return nil, pg, err
	}
	hosts := make([]store.Host, 0, len(ids))
	for _, id := range ids {
		if h, ok := full[id]; ok {
			hosts = append(hosts, h)
		}
	}
	return hosts, pg, nil
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
	// A page reads its rows and one more (which shows there is a next
	// page), without counting the list. Downloads read it all.
	var pg pager
	if format == "" {
		n, err := pageWanted(r)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		filter.Limit, filter.Offset = d.o.PageSize+1, (n-1)*d.o.PageSize
		pg = pager{Page: n, Pages: n, From: filter.Offset}
	}
	list, err := d.o.Store.Parts(ctx, filter)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if format == "" {
		if pg.More = len(list) > d.o.PageSize; pg.More {
			list = list[:d.o.PageSize]
			pg.Pages++
		}
		pg.To = pg.From + len(list)
		pg.Total = pg.To
	}
	var hostIDs []string
	for _, p := range list {
		hostIDs = append(hostIDs, p.HostID)
	}
	slices.Sort(hostIDs)
	hosts, err := hostsByID(ctx, d.o.Store, slices.Compact(hostIDs))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	views := make([]view.Part, len(list))
	for i, p := range list {
		views[i] = view.PartOf(p)
		views[i].Hostname = hosts[p.HostID].Hostname
	}
	if format != "" {
		download(w, format, "parts", view.PartCSVHeader, views, view.Part.CSVRow)
		return
	}
	d.render(w, r, http.StatusOK, "parts", page{Title: "Parts", Data: map[string]any{"Rows": views, "Pager": pg}})
}
