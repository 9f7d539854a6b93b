package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/report"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Payloads an agent could send as a host name, a label, a part number or
// a serial: the dashboard must show them as text.
const (
	xssScript = `<script>alert("host")</script>`
	xssImg    = `"><img src=x onerror=alert(1)>`
	xssURL    = `javascript:alert(1)`
)

const e2eToken = "dashboard-e2e-token-0123456789"

// e2eFleet is the reporttest fleet plus a host whose agent sends hostile
// strings, served by serve's own handler; db and policyFile are for the
// CLI.
func e2eFleet(t *testing.T) (srv *httptest.Server, db, policyFile string) {
	t.Helper()
	dir := t.TempDir()
	db = "sqlite:" + filepath.Join(dir, "ledger.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rt.SeedFleet(t, st, 20)
	evil := fx.DIMM("A1", fx.Micron, xssURL, xssScript)
	inv := rt.WithLabels(fx.Inventory("evil-1", []*memledgerv1.MemoryModule{evil}, nil), map[string]string{"cii": "true", "note": xssImg})
	inv.Host.Hostname = xssScript
	rt.Apply(t, st, fx.Full(inv, 1, fx.At(14)))
	policyFile = filepath.Join(dir, "policy.yaml")
	tokenFile := filepath.Join(dir, "tokens")
	for name, text := range map[string]string{policyFile: rt.Policy, tokenFile: e2eToken + "\n"} {
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pol := rt.MustPolicy(t, rt.Policy)
	guard, err := securityFlags{httpTokenFile: tokenFile}.httpMiddleware()
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(newHTTPHandler(httpapi.Options{Store: st, Policy: func() *policy.Policy { return pol }, Logger: slog.New(slog.DiscardHandler)}, guard))
	t.Cleanup(srv.Close)
	return srv, db, policyFile
}

// cliCSV runs a read command with --format csv and returns its rows.
func cliCSV(t *testing.T, db string, args ...string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(mustRun(t, db, append(args, "--format", "csv")...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func csvColumn(rows [][]string, name string) []string {
	var out []string
	for i, h := range rows[0] {
		if h == name {
			for _, r := range rows[1:] {
				out = append(out, r[i])
			}
		}
	}
	return out
}

// TestDashboardEndToEnd drives the dashboard in headless Chromium, with
// scripts enabled and disabled: sign in, land on the fleet page, follow a
// violation to its host, filter hosts by label and vendor, search a
// serial, download a CSV; the numbers on the pages equal the CLI's, and
// hostile strings from an agent render as text.
func TestDashboardEndToEnd(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium not found at /usr/bin/chromium (Debian package chromium; .ci/run installs it): ", err)
	}
	srv, db, policyFile := e2eFleet(t)

	// The CLI's numbers.
	var rep report.Report
	if err := json.Unmarshal([]byte(mustRun(t, db, "report", "--policy", policyFile, "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) == 0 {
		t.Fatal("the fixture has no violation to follow")
	}
	prodHosts := csvColumn(cliCSV(t, db, "hosts", "--label", "env=prod"), "host_id")
	micronParts := cliCSV(t, db, "parts", "--vendor", "micron")
	micronHosts := map[string]bool{}
	for _, h := range csvColumn(micronParts, "host_id") {
		micronHosts[h] = true
	}
	wantFiltered := 0
	for _, h := range prodHosts {
		if micronHosts[h] {
			wantFiltered++
		}
	}
	wantSerial := 0
	for _, s := range csvColumn(cliCSV(t, db, "parts"), "serial_number") {
		if strings.HasPrefix(s, "WEB-A") { // the serial search is a prefix match
			wantSerial++
		}
	}

	for _, scripts := range []bool{true, false} {
		t.Run("scripts="+strconv.FormatBool(scripts), func(t *testing.T) {
			opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
				chromedp.NoSandbox, chromedp.DisableGPU)
			actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
			defer cancel()
			ctx, cancel := chromedp.NewContext(actx)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
			defer cancel()
			if !scripts {
				if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(true)); err != nil {
					t.Fatal(err)
				}
			}
			var loc string
			text := func(sel string) string {
				var s string
				if err := chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery)); err != nil {
					t.Fatalf("%s: %v", sel, err)
				}
				return strings.TrimSpace(s)
			}
			number := func(sel string) int {
				n, err := strconv.Atoi(text(sel))
				if err != nil {
					t.Fatalf("%s: %v", sel, err)
				}
				return n
			}
			// Sign in: the fleet page sends the browser to the sign-in
			// page, which brings it back.
			if err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/"),
				chromedp.WaitReady("#token", chromedp.ByQuery),
				chromedp.Location(&loc)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(loc, "/signin?next=%2F") {
				t.Errorf("unsigned browser at %s, want the sign-in page", loc)
			}
			if err := chromedp.Run(ctx,
				chromedp.SendKeys("#token", e2eToken, chromedp.ByQuery),
				clickAndWait("#signin-submit"),
				chromedp.WaitReady("#totals", chromedp.ByQuery),
				chromedp.Location(&loc)); err != nil {
				t.Fatal(err)
			}
			if loc != srv.URL+"/" {
				t.Errorf("signed in at %s, want the fleet page", loc)
			}
			for sel, want := range map[string]int{
				`[data-total="hosts"]`:                   rep.Totals.Hosts,
				`[data-total="hosts_with_violations"]`:   rep.Totals.HostsWithViolations,
				`[data-total="parts"]`:                   rep.Totals.Parts,
				`[data-rule-hosts-exposed="cii-micron"]`: rep.Rules[0].HostsExposed,
			} {
				if got := number(sel); got != want {
					t.Errorf("fleet page %s = %d, the CLI's report says %d", sel, got, want)
				}
			}
			var svgs int
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("div.charts svg rect.bar").length`, &svgs)); err != nil {
				t.Fatal(err)
			}
			if svgs != 5 {
				t.Errorf("fleet page draws %d bars, want 5", svgs)
			}

			// Follow a violation to its host.
			v := rep.Violations[0]
			if err := chromedp.Run(ctx,
				clickAndWait(`a[href="/violations?rule=cii-micron"]`),
				chromedp.WaitReady("#violations", chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			if got := number("#total"); got != len(rep.Violations) {
				t.Errorf("violations page lists %d, the CLI's report %d", got, len(rep.Violations))
			}
			if err := chromedp.Run(ctx,
				clickAndWait(`#violations a.host-link`),
				chromedp.WaitReady("#facts", chromedp.ByQuery),
				chromedp.Location(&loc)); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(loc, "/hosts/"+v.HostID) {
				t.Errorf("violation link led to %s, want host %s", loc, v.HostID)
			}
			if !strings.Contains(text("table.host-parts"), v.Serial) {
				t.Errorf("host page of %s lacks the violating part %s", v.HostID, v.Serial)
			}

			// Filter hosts by label and vendor.
			if err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/hosts"),
				chromedp.WaitReady("#label", chromedp.ByQuery),
				chromedp.SendKeys("#label", "env=prod", chromedp.ByQuery),
				chromedp.SendKeys("#vendor", "micron", chromedp.ByQuery),
				clickAndWait("#host-filter-submit"),
				chromedp.WaitReady("#hosts", chromedp.ByQuery),
				chromedp.Location(&loc)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(loc, "label=env%3Dprod") || !strings.Contains(loc, "vendor=micron") {
				t.Errorf("filtered hosts at %s", loc)
			}
			if got := number("#total"); got != wantFiltered || wantFiltered == 0 {
				t.Errorf("hosts env=prod with micron: page %d, CLI %d", got, wantFiltered)
			}

			// Search a serial, then download that list as CSV.
			var href string
			if err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/parts"),
				chromedp.WaitReady("#serial", chromedp.ByQuery),
				chromedp.SendKeys("#serial", "WEB-A", chromedp.ByQuery),
				clickAndWait("#part-filter-submit"),
				chromedp.WaitReady("#parts", chromedp.ByQuery),
				chromedp.AttributeValue("a.download-csv", "href", &href, nil, chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			if got := number("#total"); got != wantSerial || wantSerial == 0 {
				t.Errorf("parts with serial WEB-A: page %d, CLI %d", got, wantSerial)
			}
			if !strings.Contains(href, "serial=WEB-A") || !strings.Contains(href, "format=csv") {
				t.Errorf("download link %q, want the search's CSV", href)
			}
			checkSessionCookie(ctx, t)
			rows := downloadCSV(ctx, t, "a.download-csv", "parts.csv")
			if len(rows)-1 != wantSerial || rows[0][0] != "id" {
				t.Errorf("downloaded CSV %q, want %d parts", rows, wantSerial)
			}
			// The CSV of a vendor equals the CLI's.
			if err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/parts?vendor=micron"),
				chromedp.WaitReady("#parts", chromedp.ByQuery)); err != nil {
				t.Fatal(err)
			}
			rows = downloadCSV(ctx, t, "a.download-csv", "parts.csv")
			if strings.Join(csvColumn(rows, "serial_number"), ",") != strings.Join(csvColumn(micronParts, "serial_number"), ",") {
				t.Errorf("micron parts CSV %q, CLI %q", csvColumn(rows, "serial_number"), csvColumn(micronParts, "serial_number"))
			}

			// Hostile strings render as text.
			var html string
			var imgs, scriptsInPage int
			if err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/hosts/evil-1"),
				chromedp.WaitReady("#facts", chromedp.ByQuery),
				chromedp.OuterHTML("html", &html, chromedp.ByQuery),
				chromedp.Evaluate(`document.querySelectorAll("img").length`, &imgs),
				chromedp.Evaluate(`document.scripts.length`, &scriptsInPage)); err != nil {
				t.Fatal(err)
			}
			if got := text("#hostname"); got != xssScript {
				t.Errorf("hostname shows as %q, want the text %q", got, xssScript)
			}
			if got := text("#labels"); !strings.Contains(got, "note="+xssImg) {
				t.Errorf("labels show as %q, want the text %q", got, xssImg)
			}
			if got := text("table.host-parts .part-number"); got != xssURL {
				t.Errorf("part number shows as %q", got)
			}
			if got := text("table.host-parts .serial"); got != xssScript {
				t.Errorf("serial shows as %q", got)
			}
			if imgs != 0 || scriptsInPage != 0 || strings.Contains(html, `href="javascript:`) {
				t.Errorf("hostile strings became markup: %d img, %d script\n%s", imgs, scriptsInPage, html)
			}
		})
	}

	// Security headers on every page, the sign-in page included; the API
	// keeps accepting bearer tokens and refuses anonymous requests.
	for _, path := range []string{"/signin", "/", "/hosts", "/parts", "/violations", "/hosts/db-17", "/report", "/api/v1/report"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e2eToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusOK || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			strings.Contains(h.Get("Content-Security-Policy"), "script-src") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("GET %s: %d, headers %v", path, resp.StatusCode, h)
		}
	}
	resp, err := http.Get(srv.URL + "/api/v1/report")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous API request: %d, want 401", resp.StatusCode)
	}
}

// clickAndWait clicks sel and waits until the browser has left the page
// and loaded the next one (a click returns before the navigation ends).
func clickAndWait(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var before string
		if err := chromedp.Location(&before).Do(ctx); err != nil {
			return err
		}
		var marker bool
		if err := chromedp.Evaluate(`document.documentElement.dataset.leaving = "1", true`, &marker).Do(ctx); err != nil {
			return err
		}
		if err := chromedp.Click(sel, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		for {
			var state string
			err := chromedp.Evaluate(`document.documentElement.dataset.leaving ? "old" : document.readyState`, &state).Do(ctx)
			if err == nil && state == "complete" {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// checkSessionCookie: the browser holds the session cookie HttpOnly,
// SameSite=Strict and with an expiry.
func checkSessionCookie(ctx context.Context, t *testing.T) {
	t.Helper()
	var cookies []*network.Cookie
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cookies {
		if c.Name == "memledger_session" {
			found = true
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Expires <= 0 {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, an expiry", c)
			}
		}
	}
	if !found {
		t.Error("the browser holds no session cookie")
	}
}

// downloadCSV clicks the page's link sel and lets the browser itself
// download the file (into a new temporary directory, with its session),
// then parses it as CSV; the file name the server suggests must be name.
func downloadCSV(ctx context.Context, t *testing.T, sel, name string) [][]string {
	t.Helper()
	dir := t.TempDir()
	began := make(chan string, 1)
	done := make(chan *browser.EventDownloadProgress, 1)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chromedp.ListenTarget(lctx, func(ev any) {
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			select {
			case began <- e.SuggestedFilename:
			default:
			}
		case *browser.EventDownloadProgress:
			if e.State == browser.DownloadProgressStateCompleted || e.State == browser.DownloadProgressStateCanceled {
				select {
				case done <- e:
				default:
				}
			}
		}
	})
	if err := chromedp.Run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click(sel, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	var ev *browser.EventDownloadProgress
	select {
	case ev = <-done:
	case <-ctx.Done():
		t.Fatalf("download by %s: %v", sel, ctx.Err())
	}
	if ev.State != browser.DownloadProgressStateCompleted {
		t.Fatalf("download by %s: %s", sel, ev.State)
	}
	select {
	case got := <-began:
		if got != name {
			t.Errorf("download by %s named %q, want %q", sel, got, name)
		}
	default:
		t.Errorf("download by %s: no downloadWillBegin event", sel)
	}
	// AllowAndName saves the file under the download's GUID.
	body, err := os.ReadFile(filepath.Join(dir, ev.GUID))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("downloaded %s: %v\n%s", name, err, body)
	}
	return rows
}
