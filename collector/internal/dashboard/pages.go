package dashboard

import (
	"cmp"
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

// withParam returns the link "?query" of q with key set to value (page
// reset to 1 unless key is page): the links of sort headers, pagers and
// downloads. The values are query-encoded, so the result is a safe URL.
func withParam(q url.Values, key, value string) template.URL {
	c := url.Values{}
	for k, v := range q {
		if k != "page" && k != "format" {
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
	if format == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []T{}
		}
		_ = enc.Encode(items) // the client went away: nothing to do
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	cw := csvsafe.NewWriter(w)
	_ = cw.Write(header)
	for _, it := range items {
		_ = cw.Write(row(it))
	}
	cw.Flush()
}

// pager is one page of a list.
type pager struct {
	Page, Pages, Total, From, To int
	// More: the list goes on past Total (the stream stopped once it had
	// the page and one row more).
	More bool
}

func paginate(r *http.Request, total, size int) (pager, error) {
	p := pager{Page: 1, Total: total, Pages: max(1, (total+size-1)/size)}
	n, err := pageWanted(r)
	if err != nil {
		return p, err
	}
	p.Page = min(n, p.Pages)
	p.From = (p.Page - 1) * size
	p.To = min(total, p.From+size)
	return p, nil
}

// pageWanted is the page the request asks for (1 without ?page).
func pageWanted(r *http.Request) (int, error) {
	s := r.URL.Query().Get("page")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest("page %q: want a number from 1", s)
	}
	return n, nil
}

func (p pager) Prev() int { return p.Page - 1 }
func (p pager) Next() int {
	if p.Page >= p.Pages {
		return 0
	}
	return p.Page + 1
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
	pg, err := paginate(r, len(list), d.o.PageSize)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rows := make([]violationRow, 0, pg.To-pg.From)
	for _, v := range list[pg.From:pg.To] {
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
