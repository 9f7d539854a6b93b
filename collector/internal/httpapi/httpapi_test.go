package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/metrics"
	"github.com/memledger/memledger/collector/internal/report"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
)

// fixture is the test fleet served with a policy that a test can swap.
type fixture struct {
	t       *testing.T
	srv     *httptest.Server
	pol     atomic.Pointer[policy.Policy]
	next    string // the policy text the next reload reads
	tracker *report.Tracker
	mwCalls atomic.Int64
}

func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	f := &fixture{t: t, next: rt.Policy}
	f.pol.Store(rt.MustPolicy(t, rt.Policy))
	clock := rt.FixedNow(now)
	f.tracker = report.NewTracker(st, f.pol.Load, report.TrackerOptions{Now: clock})
	m := metrics.New(metrics.Options{Tracker: f.tracker, Store: st, Now: clock, ReportingWindow: 30 * 24 * time.Hour})
	h := New(Options{
		Store: st, Policy: f.pol.Load, Registry: m.Registry, Now: clock,
		ReloadInterval: time.Nanosecond, // tests reload in a row
		Reload: func(ctx context.Context) error {
			p, err := policy.Parse([]byte(f.next), "policy.yaml")
			if err != nil {
				return err
			}
			f.pol.Store(p)
			_, err = f.tracker.Evaluate(ctx, nil)
			return err
		},
		Middleware: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				f.mwCalls.Add(1)
				next.ServeHTTP(w, r)
			})
		},
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	if _, err := f.tracker.Evaluate(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) do(method, path string) (int, string, http.Header) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, fx.At(25))
	tests := []struct {
		name   string
		method string
		path   string
		status int
		check  func(t *testing.T, body string)
	}{
		{"report json", "GET", "/api/v1/report", 200, func(t *testing.T, body string) {
			var rep report.Report
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Rules) != 1 || rep.Rules[0].Counts != (report.Counts{Violation: 1, Recorded: 1, Removed: 1}) {
				t.Errorf("rules %+v", rep.Rules)
			}
		}},
		{"report as of", "GET", "/api/v1/report?as_of=2025-03-05", 200, func(t *testing.T, body string) {
			var rep report.Report
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Rules[0].Counts != (report.Counts{Recorded: 2}) || rep.AsOf.Format(time.RFC3339) != "2025-03-05T23:59:59Z" {
				t.Errorf("as of: %v %+v", rep.AsOf, rep.Rules[0].Counts)
			}
		}},
		{"report csv", "GET", "/api/v1/report?format=csv&group_by=env", 200, func(t *testing.T, body string) {
			if !strings.Contains(body, "cii-micron,rule,,2,1,0,1,1,0\n") || !strings.Contains(body, "cii-micron,group,staging,,0,0,1,0,0\n") {
				t.Errorf("csv:\n%s", body)
			}
		}},
		{"violations csv", "GET", "/api/v1/report?format=csv&violations=1", 200, func(t *testing.T, body string) {
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || len(rows) != 2 || rows[1][8] != "MICSSD01" {
				t.Errorf("rows %q, %v", rows, err)
			}
		}},
		{"bad as_of", "GET", "/api/v1/report?as_of=yesterday", 400, func(t *testing.T, body string) {
			if !strings.Contains(body, "YYYY-MM-DD") {
				t.Errorf("body %s", body)
			}
		}},
		{"unknown rule", "GET", "/api/v1/report?rule=nope", 400, nil},
		{"unknown group_by label", "GET", "/api/v1/report?group_by=evn", 400, func(t *testing.T, body string) {
			if !strings.Contains(body, `no host in the ledger has a label \"evn\" (did you mean env?)`) {
				t.Errorf("body %s", body)
			}
		}},
		{"bad format", "GET", "/api/v1/report?format=xml", 400, nil},
		{"host", "GET", "/api/v1/hosts/db-17", 200, func(t *testing.T, body string) {
			var h HostView
			if err := json.Unmarshal([]byte(body), &h); err != nil {
				t.Fatal(err)
			}
			statuses := map[string]string{}
			for _, p := range h.Parts {
				statuses[p.SerialNumber] = p.Status
			}
			want := map[string]string{"MIC-A1": "removed", "SAM-A2": "allowed", "SAMDRV0": "allowed", "MICSSD01": "violation"}
			if len(statuses) != len(want) {
				t.Errorf("statuses %v, want %v", statuses, want)
			}
			for k, v := range want {
				if statuses[k] != v {
					t.Errorf("%s: %q, want %q", k, statuses[k], v)
				}
			}
		}},
		{"host csv", "GET", "/api/v1/hosts/db-18?format=csv", 200, func(t *testing.T, body string) {
			if !strings.Contains(body, "KING-B1") || !strings.Contains(body, ",true,recorded\n") {
				t.Errorf("csv:\n%s", body)
			}
		}},
		{"unknown host", "GET", "/api/v1/hosts/nope", 404, nil},
		{"healthz", "GET", "/healthz", 200, func(t *testing.T, body string) {
			if body != "ok\n" {
				t.Errorf("body %q", body)
			}
		}},
		{"dashboard", "GET", "/", 200, func(t *testing.T, body string) {
			if !strings.Contains(body, "<td>MICSSD01</td>") {
				t.Errorf("dashboard lacks the violation")
			}
		}},
		{"no such page", "GET", "/nope", 404, nil},
		{"reload needs POST", "GET", "/api/v1/policy/reload", 405, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.mwCalls.Load()
			status, body, _ := f.do(tc.method, tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if f.mwCalls.Load() != before+1 {
				t.Errorf("middleware not called")
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}
}

var partsLine = regexp.MustCompile(`(?m)^memledger_parts\{component="(\w+)",rule="([\w-]+)",status="(\w+)",vendor="(\w+)"\} (\d+)$`)

func partsMetrics(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	status, body, _ := f.do("GET", "/metrics")
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	out := map[string]string{}
	for _, m := range partsLine.FindAllStringSubmatch(body, -1) {
		out[m[2]+"/"+m[3]+"/"+m[1]+"/"+m[4]] = m[5]
	}
	return out
}

// TestEndToEndWaiver: agents' reports are in the ledger (a new Micron SSD
// after the rule's date); the report and /metrics show one violation and
// the recorded rest; a waiver added by a policy reload turns it into
// waived; a bad policy is refused with its line and the old one stays.
func TestEndToEndWaiver(t *testing.T) {
	f := newFixture(t, fx.At(25))
	want := map[string]string{
		"cii-micron/violation/storage/micron": "1",
		"cii-micron/recorded/dram/micron":     "1",
		"cii-micron/removed/module/micron":    "1",
	}
	if got := partsMetrics(t, f); !mapsEqual(got, want) {
		t.Errorf("metrics before waiver %v, want %v", got, want)
	}
	_, body, _ := f.do("GET", "/metrics")
	for _, line := range []string{"memledger_hosts 3", "memledger_hosts_reporting 3"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}

	f.next = rt.Policy + rt.Waiver
	if status, body, _ := f.do("POST", "/api/v1/policy/reload"); status != 200 || !strings.Contains(body, `"cii-micron"`) {
		t.Fatalf("reload: %d %s", status, body)
	}
	want["cii-micron/waived/storage/micron"] = "1"
	delete(want, "cii-micron/violation/storage/micron")
	if got := partsMetrics(t, f); !mapsEqual(got, want) {
		t.Errorf("metrics after waiver %v, want %v", got, want)
	}
	_, body, _ = f.do("GET", "/api/v1/report")
	var rep report.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Rules[0].Counts != (report.Counts{Waived: 1, Recorded: 1, Removed: 1}) || len(rep.Violations) != 0 {
		t.Errorf("report after waiver: %+v, %d violations", rep.Rules[0].Counts, len(rep.Violations))
	}

	f.next = rt.Policy + "  - bogus: 1\n"
	status, body, _ := f.do("POST", "/api/v1/policy/reload")
	if status != http.StatusUnprocessableEntity || !regexp.MustCompile(`policy\.yaml:\d+`).MatchString(body) {
		t.Errorf("bad reload: %d %s, want 422 naming policy.yaml:LINE", status, body)
	}
	if got := partsMetrics(t, f); !mapsEqual(got, want) {
		t.Errorf("metrics after a refused reload %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Policy reloads are rate limited: 53,004 reloads in 15 s raised ingest
// p99 from 6 to 29 ms.
func TestReloadRateLimited(t *testing.T) {
	st := rt.OpenStore(t)
	var reloads atomic.Int64
	srv := httptest.NewServer(New(Options{Store: st, ReloadInterval: time.Hour,
		Reload: func(context.Context) error { reloads.Add(1); return nil }}))
	defer srv.Close()
	codes := []int{}
	for range 5 {
		resp, err := http.Post(srv.URL+"/api/v1/policy/reload", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[200 429 429 429 429]" || reloads.Load() != 1 {
		t.Fatalf("statuses %v, %d reloads; want one reload, then 429", codes, reloads.Load())
	}
}

// /readyz reflects whether the ledger accepts writes; /healthz (liveness)
// only whether it answers: a collector whose every commit fails on a full
// disk is alive but not ready.
func TestReadyzSeparateFromHealthz(t *testing.T) {
	st := rt.OpenStore(t)
	var writeErr atomic.Pointer[error]
	srv := httptest.NewServer(New(Options{Store: st, Ready: func() error {
		if p := writeErr.Load(); p != nil {
			return *p
		}
		return nil
	}}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	full := errors.New("last commit failed: database or disk is full")
	writeErr.Store(&full)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "disk is full") {
		t.Fatalf("/readyz with failing commits: %d %q, want 503 with the reason", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz with failing commits: %d, want 200 (alive)", code)
	}
}

func TestReloadWithoutPolicy(t *testing.T) {
	st := rt.OpenStore(t)
	srv := httptest.NewServer(New(Options{Store: st}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/v1/policy/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("status %d, want 409", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics without a registry: %d, want 404", resp.StatusCode)
	}
}

func TestPromtoolAcceptsMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found (Debian package prometheus; .ci/run installs it): ", err)
	}
	f := newFixture(t, fx.At(25))
	f.do("GET", "/api/v1/report") // something for the histograms' neighbours
	_, body, _ := f.do("GET", "/metrics")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestDashboardInChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium not found at /usr/bin/chromium (Debian package chromium; .ci/run installs it): ", err)
	}
	f := newFixture(t, fx.At(25))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"), "--dump-dom", f.srv.URL+"/?group_by=env")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("chromium: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []*regexp.Regexp{
		// The server drew the rule's charts; no script runs.
		regexp.MustCompile(`<rect class="bar violation" data-status="violation" data-count="1"`),
		regexp.MustCompile(`<rect class="bar recorded" data-status="recorded" data-count="1"`),
		regexp.MustCompile(`<rect class="bar removed" data-status="removed" data-count="1"`),
		regexp.MustCompile(`<rect class="bar waived" data-status="waived" data-count="0"`),
		regexp.MustCompile(`<text class="bar-value" data-status="violation"[^>]*>1</text>`),
		regexp.MustCompile(`<path class="line-violation" data-status="violation" data-last="1"`),
		regexp.MustCompile(`<path class="line-recorded" data-status="recorded" data-last="1"`),
		// The server-rendered tables.
		regexp.MustCompile(`<td class="n" data-total="hosts">3</td>`),
		regexp.MustCompile(`<td>db-17</td><td>db-17.example.net</td><td>nvme1n1</td><td>micron</td><td>MTFDKCC960TFR</td><td>MICSSD01</td><td>2025-03-13</td>`),
		regexp.MustCompile(`<td>env</td><td>staging</td><td class="n">0</td><td class="n">0</td><td class="n">1</td>`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("rendered page lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}
