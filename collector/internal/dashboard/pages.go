package dashboard

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/internal/csvsafe"
)

// page is what every template gets.
type page struct {
	Title     string
	Principal string
	// CSRF is the session's token for the sign-out form (the sign-in
	// form's own on /signin).
	CSRF string
	// Query is the request's query, to build links that keep filters.
	Query url.Values
	Data  any
}

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"date": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"charts":  report.ChartsSVG,
	"qset":    withParam,
	"inc":     func(n int) int { return n + 1 },
	"pathesc": url.PathEscape,
	"none": func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	},
}).ParseFS(assets, "templates/*.tmpl"))

// withParam returns the link "?query" of q with key set to value (the
// list's cursor and page dropped unless key is one: a new sort or filter
// starts at the first page). The values are query-encoded, so the result
// is a safe URL.
func withParam(q url.Values, key, value string) template.URL {
	c := url.Values{}
	for k, v := range q {
		if !cursorParams[k] {
			c[k] = v
		}
	}
	if value == "" {
		c.Del(key)
	} else {
		c.Set(key, value)
	}
	return template.URL("?" + c.Encode()) //nolint:gosec // encoded by url.Values
}

// cursorParams are the parameters of a list's position and download.
var cursorParams = map[string]bool{"page": true, "after": true, "before": true, "format": true}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if ss, ok := r.Context().Value(principalKey{}).(*session); ok {
		p.Principal, p.CSRF = ss.principal.Name, ss.csrf
	}
	if p.Query == nil {
		p.Query = r.URL.Query()
	}
	var buf strings.Builder
	if err := tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		d.o.Logger.Error("dashboard_render_failed", "page", name, "error", err)
		http.Error(w, "internal error (see the collector's log)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, buf.String())
}

var badRequest = httpapi.BadRequest

// listFormat is the download format of a list: "" (the page), csv or json.
func listFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "html":
		return "", nil
	case "csv", "json":
		return f, nil
	default:
		return "", badRequest("format %q: want csv or json", f)
	}
}

// download writes a list in the one shape: JSON array of items, or CSV of
// header and rows.
func download[T any](w http.ResponseWriter, format, name string, header []string, items []T, row func(T) []string) {
	lw := startDownload(w, format, name, header, row)
	_ = lw.write(items) // the client went away: nothing to do
	lw.finish(nil, nil, nil)
}

// listWriter writes a download as its rows arrive, so that a list of
// millions of rows is never held whole: a JSON array (as an indenting
// json.Encoder would write it) or CSV. Nothing is sent before the first
// row (or the end of an empty list), so a failure before it is still
// answered with an error status.
type listWriter[T any] struct {
	w            http.ResponseWriter
	format, name string
	header       []string
	cw           *csvsafe.Writer
	row          func(T) []string
	n            int
	begun        bool
}

func startDownload[T any](w http.ResponseWriter, format, name string, header []string, row func(T) []string) *listWriter[T] {
	return &listWriter[T]{w: w, format: format, name: name, header: header, row: row}
}

func (lw *listWriter[T]) begin() error {
	if lw.begun {
		return nil
	}
	lw.begun = true
	if lw.format == "json" {
		lw.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		lw.w.Header().Set("Content-Disposition", `attachment; filename="`+lw.name+`.json"`)
		return nil
	}
	lw.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	lw.w.Header().Set("Content-Disposition", `attachment; filename="`+lw.name+`.csv"`)
	lw.cw = csvsafe.NewWriter(lw.w)
	return lw.cw.Write(lw.header)
}

func (lw *listWriter[T]) write(items []T) error {
	if len(items) == 0 {
		return nil
	}
	if err := lw.begin(); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	for _, it := range items {
		if lw.cw != nil {
			if err := lw.cw.Write(lw.row(it)); err != nil {
				return fmt.Errorf("download: %w", err)
			}
			lw.n++
			continue
		}
		b, err := json.MarshalIndent(it, "  ", "  ")
		if err != nil {
			return fmt.Errorf("download: %w", err)
		}
		sep := ",\n  "
		if lw.n == 0 {
			sep = "[\n  "
		}
		if _, err := io.WriteString(lw.w, sep); err != nil {
			return fmt.Errorf("download: %w", err)
		}
		if _, err := lw.w.Write(b); err != nil {
			return fmt.Errorf("download: %w", err)
		}
		lw.n++
	}
	return nil
}

// finish ends the list. err, a failure that cut it short, is answered by
// d as the request's error when nothing was sent yet; else it can only be
// logged, and the list is left unterminated (a JSON array without its
// end, CSV rows unflushed) so that no client takes it for whole.
func (lw *listWriter[T]) finish(d *Dashboard, r *http.Request, err error) {
	if err != nil {
		if !lw.begun && d != nil {
			d.fail(lw.w, r, err)
		} else if d != nil {
			d.o.Logger.Warn("dashboard_download_failed", "rows", lw.n, "error", err)
		}
		return
	}
	if lw.begin() != nil {
		return // the client went away
	}
	if lw.cw != nil {
		lw.cw.Flush()
		return
	}
	end := "\n]\n"
	if lw.n == 0 {
		end = "[]\n"
	}
	_, _ = io.WriteString(lw.w, end) // the client went away: nothing to do
}

// pager is the position of a list page and its links.
type pager struct {
	// Shown rows of Total (Counted: lists that know their length).
	Shown, Total int
	Counted      bool
	// First, Prev and Next link to the first, previous and next pages
	// ("": none).
	First, Prev, Next template.URL
	// Page of Pages: lists held in memory (violations), paged by number.
	Page, Pages int
}

// cursor is the position a list page starts from: after (or, back,
// before) key; no key on the first page.
type cursor[K any] struct {
	key  *K
	back bool
}

// cursorOf reads ?after= or ?before= (a key of the list's order, as
// keysetPage writes it).
func cursorOf[K any](r *http.Request) (cursor[K], error) {
	q := r.URL.Query()
	s, back := q.Get("after"), false
	if b := q.Get("before"); b != "" {
		if s != "" {
			return cursor[K]{}, badRequest("after and before: want one of them")
		}
		s, back = b, true
	}
	if s == "" {
		return cursor[K]{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	var k K
	if err == nil {
		err = json.Unmarshal(raw, &k)
	}
	if err != nil {
		return cursor[K]{}, badRequest("cursor %q: not one of this list's (follow the page's links)", s)
	}
	return cursor[K]{key: &k, back: back}, nil
}

func cursorString(k any) string {
	b, _ := json.Marshal(k) // keys are strings, numbers and times
	return base64.RawURLEncoding.EncodeToString(b)
}

// keysetPage makes the page at cur of rows, read from the store as up to
// size+1 rows after cur's key (before it, nearest first, when cur goes
// back): the one extra row says that the list goes on. It links the
// neighbouring pages by the keys of the page's first and last rows.
func keysetPage[T, K any](q url.Values, rows []T, size int, cur cursor[K], key func(T) K) ([]T, pager) {
	more := len(rows) > size
	rows = rows[:min(len(rows), size)]
	if cur.back {
		slices.Reverse(rows)
	}
	pg := pager{Shown: len(rows)}
	if cur.key != nil {
		pg.First = withParam(q, "after", "")
	} else if !more {
		pg.Total, pg.Counted = len(rows), true // the whole list
	}
	if len(rows) == 0 {
		return rows, pg
	}
	// Going back, the rows after the page include the cursor's; going on,
	// those before it.
	if more || cur.back {
		pg.Next = withParam(q, "after", cursorString(key(rows[len(rows)-1])))
	}
	if more && cur.back || cur.key != nil && !cur.back {
		pg.Prev = withParam(q, "before", cursorString(key(rows[0])))
	}
	return rows, pg
}

// paginate is the page ?page= asks for of a list held in memory.
func paginate(r *http.Request, total, size int) (p pager, from, to int, err error) {
	pages := max(1, (total+size-1)/size)
	n := 1
	q := r.URL.Query()
	if s := q.Get("page"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			return pager{}, 0, 0, badRequest("page %q: want a number from 1", s)
		}
	}
	n = min(n, pages)
	from, to = (n-1)*size, min(total, n*size)
	p = pager{Shown: to - from, Total: total, Counted: true, Page: n, Pages: pages}
	if n > 1 {
		p.First, p.Prev = withParam(q, "page", ""), withParam(q, "page", strconv.Itoa(n-1))
	}
	if n < pages {
		p.Next = withParam(q, "page", strconv.Itoa(n+1))
	}
	return p, from, to, nil
}

// ----- fleet -----

type fleetRule struct {
	report.Rule
	Charts     template.HTML
	TopVendors []report.Group
}

func (d *Dashboard) fleet(w http.ResponseWriter, r *http.Request) {
	rep, err := d.fleetReport(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rules := make([]fleetRule, len(rep.Rules))
	for i, ru := range rep.Rules {
		charts, err := report.ChartsSVG(ru, rep.AsOf)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		top := slices.Clone(ru.ByVendor)
		slices.SortStableFunc(top, func(a, b report.Group) int { return cmp.Compare(b.Counts.Total(), a.Counts.Total()) })
		rules[i] = fleetRule{Rule: ru, Charts: charts, TopVendors: top[:min(len(top), 5)]}
	}
	d.render(w, r, http.StatusOK, "fleet", page{Title: "Fleet", Data: map[string]any{"Report": rep, "Rules": rules}})
}

// ----- violations -----

type violationRow struct {
	report.Violation
	Waiver string
}

// waiverYAML is the policy file entry that would cover v (docs/policy.md):
// strings quoted as JSON, which YAML reads as double-quoted scalars.
func waiverYAML(v report.Violation, now time.Time) string {
	q := func(s string) string {
		b, _ := json.Marshal(s) // a string always marshals
		return string(b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  - rule: %s\n    host: %s\n", q(v.RuleID), q(v.HostID))
	if v.Serial != "" {
		fmt.Fprintf(&b, "    serial: %s\n", q(v.Serial))
	} else {
		b.WriteString("    # no serial: covers every part of the host under the rule\n")
	}
	fmt.Fprintf(&b, "    reason: %s\n    # approved_by: who signs it\n    expires: %s\n", q("why "+v.Slot+" may stay: ticket, plan"),
		now.UTC().AddDate(0, 3, 0).Format(time.DateOnly))
	return b.String()
}

func (d *Dashboard) violations(w http.ResponseWriter, r *http.Request) {
	format, err := listFormat(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	rep, err := d.fleetReport(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rule := q.Get("rule")
	if rule != "" && !slices.ContainsFunc(rep.Rules, func(ru report.Rule) bool { return ru.ID == rule }) {
		d.fail(w, r, badRequest("rule %q: the policy has no such rule", rule))
		return
	}
	search := strings.ToLower(strings.TrimSpace(q.Get("q")))
	var list []report.Violation
	for _, v := range rep.Violations {
		if (rule == "" || v.RuleID == rule) && (search == "" || containsFold(search, v.HostID, v.Hostname, v.Serial, v.PartNumber)) {
			list = append(list, v)
		}
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="violations.csv"`)
		_ = report.WriteViolationsCSV(w, &report.Report{Violations: list})
		return
	}
	if format == "json" {
		download(w, format, "violations", nil, list, nil)
		return
	}
	pg, from, to, err := paginate(r, len(list), d.o.PageSize)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rows := make([]violationRow, 0, to-from)
	for _, v := range list[from:to] {
		rows = append(rows, violationRow{Violation: v, Waiver: waiverYAML(v, d.o.Now())})
	}
	d.render(w, r, http.StatusOK, "violations", page{Title: "Violations", Data: map[string]any{
		"Rows": rows, "Pager": pg, "Rules": rep.Rules, "Policy": rep.Policy}})
}

// containsFold: one of fields contains needle (already lower case).
func containsFold(needle string, fields ...string) bool {
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
}
