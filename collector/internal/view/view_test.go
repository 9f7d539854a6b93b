package view

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

// Every CSV row has one cell per header column, and a part's JSON keeps
// its size a number and an unknown maker null.
func TestCSVRowsFitTheirHeaders(t *testing.T) {
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	removed := at.Add(time.Hour)
	p := PartOf(store.Part{ID: 7, HostID: "h", Kind: store.KindMemory, Slot: "A1", PartNumber: "PN", SerialNumber: "S",
		SizeBytes: 32 << 30, FirstSeen: at, RemovedAt: &removed, Identity: "memory@h|A1|PN|1"})
	judged := p
	yes := true
	judged.InBaseline, judged.Status = &yes, "recorded"
	h := HostOf(store.Host{ID: "h", Labels: map[string]string{"b": "2", "a": "1"}, FirstSeen: at})
	e := EventOf(store.Event{ID: 1, Time: at, HostID: "h", Kind: store.EventHostEnrolled})
	for _, c := range []struct {
		name   string
		row    []string
		header []string
	}{
		{"part", p.CSVRow(), PartCSVHeader},
		{"judged part", judged.CSVRow(), PartJudgedCSVHeader},
		{"host", h.CSVRow(), HostCSVHeader},
		{"event", e.CSVRow(), EventCSVHeader},
	} {
		if len(c.row) != len(c.header) {
			t.Errorf("%s: %d cells for %d columns: %q", c.name, len(c.row), len(c.header), c.row)
		}
	}
	if got := h.CSVRow()[2]; got != "a=1;b=2" {
		t.Errorf("host labels cell %q, want a=1;b=2", got)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["size_bytes"] != float64(32<<30) || m["maker"] != nil || m["schema_version"] != float64(Version) || m["last_seen"] != nil {
		t.Errorf("part JSON %s", b)
	}
	if _, ok := m["maker"]; !ok {
		t.Errorf("part JSON without maker: %s", b)
	}
}
