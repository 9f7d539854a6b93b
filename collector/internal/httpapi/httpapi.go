// Package httpapi is the collector's HTTP listener: the exposure report
// dashboard, the JSON/CSV API, policy reload, Prometheus metrics and a
// health check.
//
//	GET  /report                  the HTML report (query as /api/v1/report)
//	GET  /                        the HTML report too, unless Options.Pages
//	                              serves "/" (the dashboard)
//	GET  /api/v1/report           JSON (default) or CSV (?format=csv; with
//	                              &violations=1 the violation list); query
//	                              as_of=DATE, rule=ID (repeatable),
//	                              group_by=LABEL
//	GET  /api/v1/hosts/{id}       one host (by id or hostname) with its parts and their policy
//	                              findings; JSON, or CSV of the parts
//	POST /api/v1/policy/reload    reload the policy file: 200 with the new
//	                              policy's rules, 422 with the file:line
//	                              errors (the old policy stays in force),
//	                              429 within ReloadInterval of the last one
//	GET  /metrics                 Prometheus metrics
//	GET  /healthz                 liveness: 200 "ok" while the ledger answers
//	GET  /readyz                  readiness: 200 "ready" while the ledger
//	                              answers and accepts writes (Options.Ready),
//	                              503 with the reason otherwise
//
// Authentication is not this package's job: Options.Middleware wraps every
// route (the collector installs its bearer-token guard there, which keeps
// /healthz open).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/memledger/memledger/internal/csvsafe"

	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
	"github.com/memledger/memledger/internal/policy"
)

// Options configure the handler.
type Options struct {
	Store store.Store
	// Policy returns the policy in force; nil or returning nil: none.
	Policy func() *policy.Policy
	// Reload reloads the policy file; nil: the reload endpoint answers 409
	// (the collector runs without --policy).
	Reload func(ctx context.Context) error
	// Registry is served at /metrics; nil: 404.
	Registry *prometheus.Registry
	// Middleware wraps every route (authentication); nil: none.
	Middleware func(http.Handler) http.Handler
	// Pages, when set, serves every path the API does not (the dashboard,
	// collector/internal/dashboard); nil: / is the HTML report.
	Pages http.Handler
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock of reports (default time.Now).
	Now func() time.Time
	// Ready says whether the ledger accepts writes (nil: it does); an
	// error makes /readyz answer 503 with it.
	Ready func() error
	// ReloadInterval is the least time between two policy reloads
	// (default 2s); a reload sooner is answered 429 with Retry-After.
	ReloadInterval time.Duration
	// Report computes the exposure report under the policy in force
	// (the collector passes its Tracker's live report); nil: report.Build
	// of Store and Policy, which reads the ledger.
	Report func(ctx context.Context, opts report.Options) (*report.Report, error)
}

// New returns the HTTP handler.
func New(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Policy == nil {
		o.Policy = func() *policy.Policy { return nil }
	}
	if o.ReloadInterval <= 0 {
		o.ReloadInterval = 2 * time.Second
	}
	a := &api{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /report", a.dashboard)
	if o.Pages != nil {
		mux.Handle("/", o.Pages)
	} else {
		mux.HandleFunc("GET /{$}", a.dashboard)
	}
	mux.HandleFunc("GET /api/v1/report", a.report)
	mux.HandleFunc("GET /api/v1/hosts/{id}", a.host)
	mux.HandleFunc("POST /api/v1/policy/reload", a.reload)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	if o.Registry != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{ErrorLog: slogErrorLog{o.Logger}}))
	}
	var h http.Handler = mux
	if o.Middleware != nil {
		h = o.Middleware(h)
	}
	return h
}

type api struct {
	o Options

	reloadMu   sync.Mutex
	lastReload time.Time
}

// slogErrorLog adapts promhttp's error log to slog.
type slogErrorLog struct{ l *slog.Logger }

func (s slogErrorLog) Println(v ...any) { s.l.Error("metrics_error", "error", fmt.Sprint(v...)) }

// httpError is an error with the status it answers.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// BadRequest is an error that answers 400 with its message.
func BadRequest(format string, args ...any) error { return badRequest(format, args...) }

// ErrorStatus is the status and message a client gets for err: the
// message of BadRequest, 404 for store.ErrNotFound, 400 for
// store.ErrInvalid and ErrAmbiguous; anything else is internal (500, a
// message that hides it: the caller logs err).
func ErrorStatus(err error) (status int, msg string, internal bool) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg, false
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error(), false
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrAmbiguous):
		return http.StatusBadRequest, err.Error(), false
	}
	return http.StatusInternalServerError, "internal error (see the collector's log)", true
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, internal := ErrorStatus(err)
	if internal {
		a.o.Logger.Error("http_request_failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to do
}

// reportOptions reads as_of, rule and group_by.
func reportOptions(r *http.Request, now func() time.Time) (report.Options, error) {
	q := r.URL.Query()
	o := report.Options{Rules: q["rule"], GroupBy: q.Get("group_by"), Now: now}
	if s := q.Get("as_of"); s != "" {
		t, err := ParseAsOf(s)
		if err != nil {
			return o, badRequest("as_of: %v", err)
		}
		o.AsOf = t
	}
	return o, nil
}

// ParseAsOf reads a report date: YYYY-MM-DD (the end of that day, UTC: the
// fleet as it stood that day) or an RFC 3339 instant.
func ParseAsOf(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(24*time.Hour - time.Microsecond), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or an RFC 3339 time such as 2025-03-01T12:00:00Z", s)
	}
	return t.UTC(), nil
}

func (a *api) build(r *http.Request) (*report.Report, error) {
	o, err := reportOptions(r, a.o.Now)
	if err != nil {
		return nil, err
	}
	var rep *report.Report
	if a.o.Report != nil {
		rep, err = a.o.Report(r.Context(), o) // checks GroupBy itself
	} else {
		if o.GroupBy != "" {
			if err := store.CheckLabelKeys(r.Context(), a.o.Store, o.GroupBy); err != nil {
				return nil, err // ErrInvalid: 400 with the close matches
			}
		}
		rep, err = report.Build(r.Context(), a.o.Store, a.o.Policy(), o)
	}
	if errors.Is(err, report.ErrUnknownRule) {
		return nil, badRequest("%v", err)
	}
	return rep, err
}

func (a *api) dashboard(w http.ResponseWriter, r *http.Request) {
	rep, err := a.build(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page has no script and loads nothing from elsewhere.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	if err := report.WriteHTML(w, rep); err != nil {
		a.o.Logger.Error("http_write_failed", "path", r.URL.Path, "error", err)
	}
}

func (a *api) report(w http.ResponseWriter, r *http.Request) {
	rep, err := a.build(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, http.StatusOK, rep)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		violations, _ := strconv.ParseBool(r.URL.Query().Get("violations"))
		if err := report.Write(w, rep, "csv", violations); err != nil {
			a.o.Logger.Error("http_write_failed", "path", r.URL.Path, "error", err)
		}
	default:
		a.fail(w, r, badRequest("format %q: want json or csv", f))
	}
}

// HostView is the JSON of /api/v1/hosts/{id}: the host and its parts,
// removed ones too, in the collector's one shape (collector/internal/view),
// each part judged now by the policy in force.
type HostView struct {
	view.Host
	Parts []view.Part `json:"parts"`
}

func (a *api) host(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h, err := store.ResolveHost(ctx, a.o.Store, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	parts, err := report.HostParts(ctx, a.o.Store, a.o.Policy(), h, a.o.Now())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	hv := HostView{Host: view.HostOf(h), Parts: parts}
	if r.URL.Query().Get("format") != "csv" {
		writeJSON(w, http.StatusOK, hv)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csvsafe.NewWriter(w)
	_ = cw.Write(view.PartJudgedCSVHeader)
	for _, p := range hv.Parts {
		if p.InBaseline == nil {
			continue
		}
		_ = cw.Write(p.CSVRow())
	}
	cw.Flush()
}

func (a *api) reload(w http.ResponseWriter, r *http.Request) {
	if a.o.Reload == nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "the collector runs without a policy file (--policy)"})
		return
	}
	// Each reload re-evaluates the whole fleet: a client that reloads in
	// a loop would slow ingest down.
	a.reloadMu.Lock()
	now := time.Now()
	if wait := a.o.ReloadInterval - now.Sub(a.lastReload); wait > 0 {
		a.reloadMu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf("the policy was reloaded less than %s ago: retry later", a.o.ReloadInterval)})
		return
	}
	a.lastReload = now
	a.reloadMu.Unlock()
	if err := a.o.Reload(r.Context()); err != nil {
		// The policy's own errors name the file and line; they are what the
		// operator needs to fix it.
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
		return
	}
	out := map[string]any{"status": "reloaded"}
	if pol := a.o.Policy(); pol != nil {
		out["policy"] = pol.Source
		out["rules"] = pol.RuleIDs()
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	if err := a.ledgerAnswers(r.Context()); err != nil {
		a.o.Logger.Warn("healthz_failed", "error", err)
		http.Error(w, "ledger unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// ledgerAnswers asks the database something: any answer, "not found"
// included, shows it is up.
func (a *api) ledgerAnswers(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := a.o.Store.Host(ctx, "healthz-probe"); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// readyz is readiness: the ledger answers and accepts writes. A ledger
// that answers reads while every commit fails (a full disk) is alive but
// not ready: /healthz says ok, /readyz 503.
func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	err := a.ledgerAnswers(r.Context())
	if err == nil && a.o.Ready != nil {
		err = a.o.Ready()
	}
	if err != nil {
		a.o.Logger.Warn("readyz_failed", "error", err)
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}
