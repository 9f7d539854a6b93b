package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
)

// A part and a host have one JSON shape whatever prints or serves them:
// "parts" and "hosts --format json" and /api/v1/hosts/{id} give the same
// fields with the same values (the API adding only the policy's
// in_baseline, status and findings), sizes as numbers, and the shape's
// version.
func TestOneShapeForPartsAndHosts(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	mustRun(t, db, "ingest", writeInventory(t, dir, "a1.json", hostA(time.Now().Add(-time.Hour).UTC().Truncate(time.Second), "0K1NG001")))

	var cliParts, cliHosts []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, db, "parts", "--host", "host-a", "--format", "json")), &cliParts); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mustRun(t, db, "hosts", "--format", "json")), &cliHosts); err != nil {
		t.Fatal(err)
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := httptest.NewRecorder()
	httpapi.New(httpapi.Options{Store: st}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/hosts/host-a", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/hosts/host-a: %d %s", rec.Code, rec.Body)
	}
	var api map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil {
		t.Fatal(err)
	}
	apiParts, _ := api["parts"].([]any)
	delete(api, "parts")
	if len(cliHosts) == 0 || !reflect.DeepEqual(cliHosts[0], api) {
		t.Errorf("host:\n cli %v\n api %v", cliHosts, api)
	}
	if len(apiParts) != len(cliParts) || len(cliParts) != 5 {
		t.Fatalf("parts: cli %d, api %d, want 5", len(cliParts), len(apiParts))
	}
	byID := map[float64]map[string]any{}
	for _, p := range apiParts {
		m := p.(map[string]any)
		if _, ok := m["in_baseline"].(bool); !ok {
			t.Errorf("api part without in_baseline: %v", m)
		}
		delete(m, "in_baseline")
		byID[m["id"].(float64)] = m
	}
	for _, p := range cliParts {
		if !reflect.DeepEqual(p, byID[p["id"].(float64)]) {
			t.Errorf("part:\n cli %v\n api %v", p, byID[p["id"].(float64)])
		}
		if v, ok := p["size_bytes"].(float64); !ok || v <= 0 {
			t.Errorf("size_bytes %#v, want a number", p["size_bytes"])
		}
		if p["schema_version"] != float64(view.Version) {
			t.Errorf("schema_version %v, want %d", p["schema_version"], view.Version)
		}
		if _, ok := p["maker"]; !ok {
			t.Errorf("part without a maker field (null when unknown): %v", p)
		}
	}
}
