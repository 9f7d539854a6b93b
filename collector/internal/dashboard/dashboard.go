// Package dashboard is the collector's browsable web dashboard: a sign-in
// page that turns a token of the collector's token file into a session
// cookie, and server-rendered pages (html/template, no script) with
// stable URLs that link each other:
//
//	GET  /                 fleet: per rule hosts exposed, parts by status,
//	                       exposure over time (SVG), top vendors
//	GET  /hosts            hosts: search, filter by label, vendor, status;
//	                       sortable, paged
//	GET  /hosts/{id}       one host: facts, labels, parts judged by the
//	                       policy, removed parts, event history
//	GET  /parts            parts: vendor (parent-aware), part number,
//	                       serial, model; as of a date; paged
//	GET  /violations       violations with the waiver that would cover each
//	GET  /signin, POST /signin, POST /signout
//	GET  /static/app.css
//
// Every list answers ?format=csv and ?format=json with the same filters,
// in the collector's one shape (collector/internal/view), CSV through
// internal/csvsafe.
//
// Middleware wraps the whole HTTP listener: it sets the security headers
// on every response, lets a request with a live session cookie through
// (state-changing ones only with the session's CSRF token), sends a
// browser without one to the sign-in page, and leaves every other request
// to the bearer-token guard, so the API keeps accepting bearer tokens.
package dashboard

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/policy"
)

// Options configure the dashboard.
type Options struct {
	Store store.Store
	// Policy returns the policy in force; nil or returning nil: none.
	Policy func() *policy.Policy
	// Auth checks the tokens entered on the sign-in page; nil: nobody can
	// sign in.
	Auth Authenticator
	// SessionTTL is how long a session lasts (default 12 hours).
	SessionTTL time.Duration
	// Report computes the fleet report under the policy in force (the
	// serving collector's live aggregates, docs/architecture.md); nil:
	// report.Build, which reads the whole ledger, cached for ReportMaxAge.
	Report func(ctx context.Context, opts report.Options) (*report.Report, error)
	// ReportMaxAge is how long the fleet report behind the fleet and
	// violations pages is reused (default 30 seconds; a policy reload
	// builds a new one at once). Negative: never reused.
	ReportMaxAge time.Duration
	// PageSize is the number of rows of a list page (default 50).
	PageSize int
	// Logger receives sign-ins and request errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Dashboard serves the pages and guards the listener.
type Dashboard struct {
	o        Options
	sessions *sessions
	mux      *http.ServeMux
	cache    reportCache
}

//go:embed templates/*.tmpl static/app.css
var assets embed.FS

// New returns the dashboard.
func New(o Options) *Dashboard {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Policy == nil {
		o.Policy = func() *policy.Policy { return nil }
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.ReportMaxAge == 0 {
		o.ReportMaxAge = 30 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 50
	}
	d := &Dashboard{o: o, sessions: newSessions(o.SessionTTL, o.Now), mux: http.NewServeMux()}
	d.mux.HandleFunc("GET /{$}", d.fleet)
	d.mux.HandleFunc("GET /hosts", d.hosts)
	d.mux.HandleFunc("GET /hosts/{id}", d.host)
	d.mux.HandleFunc("GET /parts", d.parts)
	d.mux.HandleFunc("GET /violations", d.violations)
	d.mux.HandleFunc("GET /signin", d.signinPage)
	d.mux.HandleFunc("POST /signin", d.signin)
	d.mux.HandleFunc("POST /signout", d.signout)
	d.mux.HandleFunc("GET /static/app.css", d.css)
	return d
}

// Handler serves the pages; mount it at "/".
func (d *Dashboard) Handler() http.Handler { return d.mux }

// contentSecurityPolicy allows the dashboard's own stylesheet and
// nothing else: no script at all, no framing, forms only to itself.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SetSecurityHeaders sets the headers every response carries. A handler
// that needs another Content-Security-Policy (the self-contained HTML
// report's inline style) overrides that one.
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with form posts, which the CSRF check refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// openPaths need no session nor token.
var openPaths = map[string]bool{"/signin": true, "/static/app.css": true}

type principalKey struct{}

// Middleware returns the guard of the whole listener; bearer is the
// bearer-token guard (httpauth.Bearer) that answers requests without a
// session.
func (d *Dashboard) Middleware(bearer func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		guarded := bearer(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			SetSecurityHeaders(w.Header())
			if openPaths[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			// A bearer token is an explicit credential, never sent by a
			// browser on its own: no CSRF check.
			if r.Header.Get("Authorization") == "" {
				if ss, ok := d.sessions.get(cookie(r, sessionCookie)); ok {
					if !safeMethod(r.Method) && !d.csrfOK(r, ss.csrf) {
						http.Error(w, "forbidden: missing or wrong CSRF token (reload the page and try again)", http.StatusForbidden)
						return
					}
					next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, ss)))
					return
				}
				if r.Method == http.MethodGet && wantsPage(r) {
					http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
			}
			guarded.ServeHTTP(w, r)
		})
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// wantsPage: a browser navigating to a page (not the API, metrics or a
// download), which is better sent to sign in than answered 401.
func wantsPage(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/metrics" || p == "/healthz" {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// csrfOK checks a state-changing request of a session: the form field
// csrf or the X-CSRF-Token header must carry the session's token, and an
// Origin header, when sent, must be this listener's.
func (d *Dashboard) csrfOK(r *http.Request, want string) bool {
	if !sameOrigin(r) {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return sameToken(got, want)
}

// sameOrigin: no Origin header (older browsers, curl), or the one of
// this listener.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host && u.Scheme == scheme(r)
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func (d *Dashboard) signinPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := d.sessions.get(cookie(r, sessionCookie)); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	d.renderSignin(w, r, http.StatusOK, "")
}

func (d *Dashboard) renderSignin(w http.ResponseWriter, r *http.Request, status int, problem string) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: tok, Path: "/signin", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	d.render(w, r, status, "signin", page{Title: "Sign in", CSRF: tok, Data: map[string]string{
		"Next": safeNext(r.FormValue("next")), "Problem": problem}})
}

// safeNext keeps a post-sign-in redirect on this site: a local absolute
// path, never //host or a scheme. Backslashes and control characters are
// refused outright: browsers read \ as / and drop tabs and newlines, so
// "/\t/evil.example" would become "//evil.example".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

func (d *Dashboard) signin(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) || !sameToken(r.PostFormValue("csrf"), cookie(r, signinCookie)) {
		http.Error(w, "forbidden: the sign-in form expired (reload it and try again)", http.StatusForbidden)
		return
	}
	if d.o.Auth == nil {
		d.renderSignin(w, r, http.StatusUnauthorized, "Sign-in is off: the collector has no token file (--http-token-file).")
		return
	}
	p, err := d.o.Auth.Authenticate(strings.TrimSpace(r.PostFormValue("token")))
	if err != nil {
		d.o.Logger.Warn("signin_refused", "remote", r.RemoteAddr, "error", err)
		d.renderSignin(w, r, http.StatusUnauthorized, "That token is not accepted.")
		return
	}
	id, ss := d.sessions.create(p)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, Expires: ss.expires, MaxAge: int(d.o.SessionTTL / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: "", Path: "/signin", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	d.o.Logger.Info("signin", "principal", p.Name, "remote", r.RemoteAddr)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (d *Dashboard) signout(w http.ResponseWriter, r *http.Request) {
	// Middleware checked the session's CSRF token.
	if id := cookie(r, sessionCookie); id != "" {
		d.sessions.delete(id)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (d *Dashboard) css(w http.ResponseWriter, r *http.Request) {
	data, err := assets.ReadFile("static/app.css")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(data)
}

func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, internal := httpapi.ErrorStatus(err)
	if internal {
		d.o.Logger.Error("dashboard_request_failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	d.render(w, r, status, "error", page{Title: http.StatusText(status), Data: msg})
}
