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

// A host's unread times are in its JSON only when set, and in the last
// two CSV columns (empty when not set).
func TestHostUnreadSince(t *testing.T) {
	at := time.Date(2026, 10, 1, 14, 2, 0, 0, time.FixedZone("CEST", 2*3600))
	for _, c := range []struct {
		name            string
		host            store.Host
		memory, storage string
	}{
		{"read", store.Host{ID: "h"}, "", ""},
		{"memory unread", store.Host{ID: "h", MemoryUnreadSince: at}, "2026-10-01T12:02:00Z", ""},
		{"storage unread", store.Host{ID: "h", StorageUnreadSince: at}, "", "2026-10-01T12:02:00Z"},
	} {
		h := HostOf(c.host)
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"memory_unread_since": c.memory, "storage_unread_since": c.storage} {
			got, present := m[key]
			if want == "" && present || want != "" && got != want {
				t.Errorf("%s: JSON %s = %v (present %v), want %q (absent when empty)", c.name, key, got, present, want)
			}
		}
		row, n := h.CSVRow(), len(HostCSVHeader)
		if HostCSVHeader[n-2] != "memory_unread_since" || HostCSVHeader[n-1] != "storage_unread_since" ||
			row[n-2] != c.memory || row[n-1] != c.storage {
			t.Errorf("%s: CSV %q = %q, %q = %q; want %q, %q", c.name, HostCSVHeader[n-2], row[n-2], HostCSVHeader[n-1], row[n-1], c.memory, c.storage)
		}
	}
}
