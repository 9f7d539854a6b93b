package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// /api/v1/hosts/{name} finds a host by hostname as well as by id, and a
// hostname two hosts share is refused with both ids.
func TestHostByHostname(t *testing.T) {
	st := rt.OpenStore(t)
	named := func(id, hostname string) *memledgerv1.Inventory {
		inv := fx.Inventory(id, []*memledgerv1.MemoryModule{fx.DIMM("A1", fx.Micron, "36ASF8G72PZ-2G3B1", "S-"+id)}, nil)
		inv.Host.Hostname = hostname
		return inv
	}
	rt.Apply(t, st,
		fx.Full(named("4c4c4544-0001", "db-17.example.net"), 1, fx.At(1)),
		fx.Full(named("4c4c4544-0002", "web.example.net"), 1, fx.At(1)),
		fx.Full(named("4c4c4544-0003", "web.example.net"), 1, fx.At(1)),
	)
	srv := httptest.NewServer(New(Options{Store: st}))
	t.Cleanup(srv.Close)
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, name := range []string{"4c4c4544-0001", "db-17.example.net"} {
		status, body := get("/api/v1/hosts/" + name)
		var view HostView
		if status != 200 || json.Unmarshal([]byte(body), &view) != nil || view.ID != "4c4c4544-0001" || len(view.Parts) != 1 {
			t.Errorf("GET hosts/%s: %d %s", name, status, body)
		}
	}
	status, body := get("/api/v1/hosts/web.example.net")
	if status != 400 || !strings.Contains(body, "4c4c4544-0002, 4c4c4544-0003") {
		t.Errorf("ambiguous hostname: %d %s, want 400 listing both ids", status, body)
	}
	status, body = get("/api/v1/hosts/db-71.example.net")
	if status != 404 || !strings.Contains(body, "did you mean db-17.example.net") {
		t.Errorf("unknown hostname: %d %s, want 404 with the close match", status, body)
	}
}
