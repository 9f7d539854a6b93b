package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
)

// /api/v1/hosts/{id} says since when a host's memory has gone unread, and
// says nothing of a domain its last report read.
func TestHostUnreadSince(t *testing.T) {
	st := rt.OpenStore(t)
	rt.Apply(t, st,
		fx.Full(fx.PartlyRead("read"), 1, fx.At(1)),
		fx.Full(fx.PartlyRead("unread"), 1, fx.At(1)),
		fx.Full(fx.PartlyRead("unread", "memory"), 2, fx.At(2)),
		fx.Full(fx.PartlyRead("unread", "memory", "storage"), 3, fx.At(3)),
	)
	srv := httptest.NewServer(New(Options{Store: st}))
	t.Cleanup(srv.Close)
	for host, want := range map[string]map[string]string{
		"read":   {},
		"unread": {"memory_unread_since": fx.At(2).Format(time.RFC3339), "storage_unread_since": fx.At(3).Format(time.RFC3339)},
	} {
		resp, err := http.Get(srv.URL + "/api/v1/hosts/" + host)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET hosts/%s: %d %s %v", host, resp.StatusCode, body, err)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"memory_unread_since", "storage_unread_since"} {
			v, present := got[key]
			if w, set := want[key]; set != present || set && v != w {
				t.Errorf("host %s: %s = %v (present %v), want %q (absent when not set)", host, key, v, present, w)
			}
		}
	}
}
