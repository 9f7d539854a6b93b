package dashboard

import (
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/collector/internal/report"
	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	"github.com/memledger/memledger/collector/internal/store"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/policy"
)

const token = "dashboard-test-token-0123456789"

func newServer(t *testing.T) *httptest.Server { t.Helper(); return newServerPaged(t, 0) }

// newServerPaged serves lists of pageSize rows (0: the default).
func newServerPaged(t *testing.T, pageSize int) *httptest.Server {
	t.Helper()
	st := rt.OpenStore(t)
	rt.SeedFleet(t, st, 20)
	return serve(t, st, pageSize)
}

// serve serves st's ledger under the test fleet's policy.
func serve(t *testing.T, st store.Store, pageSize int) *httptest.Server {
	t.Helper()
	pol := rt.MustPolicy(t, rt.Policy)
	d := New(Options{Store: st, Policy: func() *policy.Policy { return pol }, Now: rt.FixedNow(fx.At(25)), PageSize: pageSize,
		Auth: AuthenticatorFunc(func(tok string) (Principal, error) {
			if tok != token {
				return Principal{}, ErrBadToken
			}
			return Principal{Name: "token"}, nil
		})})
	bearer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(d.Middleware(bearer)(d.Handler()))
	t.Cleanup(srv.Close)
	return srv
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func signIn(t *testing.T, srv *httptest.Server, tok string) (*http.Client, *http.Response, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body := get(t, c, srv.URL+"/")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sign-in form:\n%s", body)
	}
	resp, err := c.PostForm(srv.URL+"/signin", url.Values{"csrf": {m[1]}, "token": {tok}, "next": {"/hosts"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return c, resp, string(b)
}

func TestSignInOut(t *testing.T) {
	srv := newServer(t)
	if _, resp, body := signIn(t, srv, "wrong-token-0123456789"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not accepted") {
		t.Errorf("wrong token: %d\n%s", resp.StatusCode, body)
	}
	c, resp, body := signIn(t, srv, token)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/hosts" || !strings.Contains(body, `id="hosts"`) {
		t.Fatalf("sign-in: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	// The session's CSRF token guards sign-out: without it, 403.
	resp, err := c.PostForm(srv.URL+"/signout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without CSRF token: %d, want 403", resp.StatusCode)
	}
	m := csrfField.FindStringSubmatch(body)
	resp, err = c.PostForm(srv.URL+"/signout", url.Values{"csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/signin" {
		t.Errorf("after sign-out at %s", resp.Request.URL)
	}
	if resp, _ := get(t, c, srv.URL+"/hosts"); resp.Request.URL.Path != "/signin" {
		t.Errorf("signed-out session still reaches %s", resp.Request.URL)
	}
}

func TestSignInNeedsFormToken(t *testing.T) {
	srv := newServer(t)
	resp, err := http.PostForm(srv.URL+"/signin", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's CSRF cookie: %d, want 403", resp.StatusCode)
	}
}

func bearerGet(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var totalRe = regexp.MustCompile(`<span class="total" id="total">(\d+)</span>`)

// TestListsDownloadWithTheirFilters: a list's CSV and JSON hold the rows
// its page counts, under the same filters.
func TestListsDownloadWithTheirFilters(t *testing.T) {
	srv := newServer(t)
	for _, path := range []string{"/hosts?label=env%3Dprod", "/hosts?vendor=micron", "/hosts?status=violation",
		"/parts?vendor=micron", "/parts?serial=web-a", "/violations?rule=cii-micron"} {
		code, body := bearerGet(t, srv, path)
		m := totalRe.FindStringSubmatch(body)
		if code != http.StatusOK || m == nil {
			t.Fatalf("%s: %d\n%s", path, code, body)
		}
		_, csvBody := bearerGet(t, srv, path+"&format=csv")
		rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
		if err != nil {
			t.Fatalf("%s csv: %v", path, err)
		}
		_, jsonBody := bearerGet(t, srv, path+"&format=json")
		var items []json.RawMessage
		if err := json.Unmarshal([]byte(jsonBody), &items); err != nil {
			t.Fatalf("%s json: %v", path, err)
		}
		if strconv.Itoa(len(rows)-1) != m[1] || strconv.Itoa(len(items)) != m[1] || m[1] == "0" {
			t.Errorf("%s: page counts %s, csv %d rows, json %d items", path, m[1], len(rows)-1, len(items))
		}
	}
	if code, _ := bearerGet(t, srv, "/violations?rule=nope"); code != http.StatusBadRequest {
		t.Errorf("unknown rule: %d, want 400", code)
	}
	if code, _ := bearerGet(t, srv, "/hosts?sort=nope"); code != http.StatusBadRequest {
		t.Errorf("unknown sort: %d, want 400", code)
	}
	if _, body := bearerGet(t, srv, "/hosts?q=no-such-host&format=json"); strings.TrimSpace(body) != "[]" {
		t.Errorf("empty host list as JSON: %q, want []", body)
	}
	byName := cursorString(store.HostKey{Order: store.HostsByHostname, Hostname: "db-01", ID: "db-01"})
	for _, path := range []string{"/parts?after=!!!", "/parts?after=bm90IGpzb24", "/hosts?after=" + byName + "&sort=id",
		"/hosts?after=" + byName + "&before=" + byName, "/hosts?status=violation&sort=last_seen&before=" + byName} {
		if code, _ := bearerGet(t, srv, path); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", path, code)
		}
	}
}

func TestWaiverYAMLParsesAsAPolicyWaiver(t *testing.T) {
	v := report.Violation{RuleID: "cii-micron", HostID: "db-17", Serial: `MIC"SSD: 01`, Slot: "nvme1n1"}
	text := rt.Policy + "waivers:\n" + waiverYAML(v, fx.At(25))
	pol, err := policy.Parse([]byte(text), "policy.yaml")
	if err != nil {
		t.Fatalf("waiver snippet does not parse:\n%s\n%v", text, err)
	}
	if len(pol.Waivers) != 1 || pol.Waivers[0].Serial != v.Serial || pol.Waivers[0].HostID != "db-17" {
		t.Errorf("waiver %+v", pol.Waivers)
	}
}

// TestSecureCookieUnderTLS: over HTTPS the session cookie is Secure,
// HttpOnly, SameSite=Strict and expires.
func TestSecureCookieUnderTLS(t *testing.T) {
	st := rt.OpenStore(t)
	d := New(Options{Store: st, Auth: AuthenticatorFunc(func(string) (Principal, error) { return Principal{Name: "token"}, nil })})
	srv := httptest.NewTLSServer(d.Middleware(func(h http.Handler) http.Handler { return h })(d.Handler()))
	defer srv.Close()
	c := srv.Client()
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no form:\n%s", body)
	}
	resp, err = c.PostForm(srv.URL+"/signin", url.Values{"csrf": {m[1]}, "token": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			session = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly ||
		session.SameSite != http.SameSiteStrictMode || session.MaxAge <= 0 || session.Expires.IsZero() {
		t.Errorf("sign-in over TLS: %d, cookie %+v", resp.StatusCode, session)
	}
}

var hostLink = regexp.MustCompile(`class="host-link" href="/hosts/([^"]+)"`)

// TestListPagesFollowTheDownload: walking a list's pages by their next
// links shows, in order, exactly the rows its download lists (the store
// sorts and pages them); the serial search is a prefix match.
func TestListPagesFollowTheDownload(t *testing.T) {
	srv := newServerPaged(t, 7)
	for _, c := range []struct{ path, column string }{
		{"/parts?kind=", "host_id"},
		{"/parts?serial=web-a", "serial_number"},
		{"/parts?part=36asf", "host_id"},
		{"/hosts?sort=hostname", "host_id"},
		{"/hosts?sort=last_seen&dir=desc", "host_id"},
		{"/hosts?sort=id&dir=desc&vendor=micron", "host_id"},
		{"/hosts?q=WEB", "host_id"},
		{"/hosts?status=clean", "host_id"},
		{"/hosts?status=violation&sort=hostname&dir=desc", "host_id"},
		{"/hosts?status=clean&sort=first_seen&q=a", "host_id"},
	} {
		_, csvBody := bearerGet(t, srv, c.path+"&format=csv")
		rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
		if err != nil {
			t.Fatalf("%s csv: %v", c.path, err)
		}
		col := slices.Index(rows[0], c.column)
		var want []string
		for _, r := range rows[1:] {
			want = append(want, r[col])
		}
		cells := hostLink
		if c.column == "serial_number" {
			cells = serialCell
		}
		list, _, _ := strings.Cut(c.path, "?")
		// Forward by the next links, then back from the last page by the
		// previous links.
		var got, back []string
		var backPages [][]string
		pages, link, rel := 0, c.path, "next"
		for link != "" && pages <= 200 {
			body := bearerBody(t, srv, link)
			var rows []string
			for _, m := range cells.FindAllStringSubmatch(body, -1) {
				rows = append(rows, m[1])
			}
			if rel == "next" {
				pages++
				got = append(got, rows...)
				if link = pageLink(body, list, "next"); link == "" {
					link, rel = pageLink(body, list, "prev"), "prev"
				}
				continue
			}
			backPages = append(backPages, rows)
			link = pageLink(body, list, "prev")
		}
		for _, rows := range slices.Backward(backPages) {
			back = append(back, rows...)
		}
		if n := min(len(want), 7*(pages-1)); !slices.Equal(back, want[:n]) {
			t.Errorf("%s: previous links show %v, want %v", c.path, back, want[:n])
		}
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: pages show %v, download %v", c.path, got, want)
		}
		if pages != (len(want)+6)/7 {
			t.Errorf("%s: %d pages for %d rows of 7 a page", c.path, pages, len(want))
		}
		for _, s := range want {
			if c.column == "serial_number" && !strings.HasPrefix(s, "WEB-A") {
				t.Errorf("serial search web-a found %q", s)
			}
		}
	}
}

var serialCell = regexp.MustCompile(`<td class="serial">([^<]*)</td>`)

var relLink = regexp.MustCompile(`<a rel="(\w+)" href="([^"]*)"`)

// pageLink is the path of the page's rel link ("" without one).
func pageLink(body, list, rel string) string {
	for _, m := range relLink.FindAllStringSubmatch(body, -1) {
		if m[1] == rel {
			return list + html.UnescapeString(m[2])
		}
	}
	return ""
}

func bearerBody(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	_, body := bearerGet(t, srv, path)
	return body
}

// TestStreamedJSONIsTheEncodersArray: a download written in batches is
// byte for byte the indented array json.Encoder writes of the whole list.
func TestStreamedJSONIsTheEncodersArray(t *testing.T) {
	type item struct {
		Name string            `json:"name"`
		Tags map[string]string `json:"tags"`
	}
	all := []item{{"a<b>", map[string]string{"k": "v"}}, {"b", nil}, {"c", map[string]string{}}}
	for n := range len(all) + 1 {
		rec := httptest.NewRecorder()
		lw := startDownload(rec, "json", "items", nil, func(item) []string { return nil })
		for batch := range slices.Chunk(all[:n], 2) {
			if err := lw.write(batch); err != nil {
				t.Fatal(err)
			}
		}
		lw.finish(nil, nil, nil)
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(append([]item{}, all[:n]...)); err != nil {
			t.Fatal(err)
		}
		if rec.Body.String() != want.String() {
			t.Errorf("%d items streamed:\n%s\nencoder:\n%s", n, rec.Body.String(), want.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%d items: Content-Type %q", n, ct)
		}
	}
}
