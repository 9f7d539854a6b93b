package cli

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

type row struct {
	name string
	n    int
}

var rowColumns = []column[row]{
	{header: "NAME", text: func(r row) string { return r.name }},
	{header: "SIZE NOW", text: func(r row) string { return sizeText(store.KindMemory, uint64(r.n)) }},
}

// rowView is the machine view of a row.
type rowView struct {
	N    int    `json:"n"`
	Name string `json:"name"`
}

func (v rowView) CSVRow() []string { return []string{v.Name, strconv.Itoa(v.N)} }

func TestRender(t *testing.T) {
	rows := []row{{"a, \"quoted\"", 8 << 30}, {"tab\there", 0}}
	toView := func(r row) rowView { return rowView{N: r.n, Name: r.name} }
	tests := []struct {
		format string
		items  []row
		want   string
	}{
		{formatTable, rows, "NAME         SIZE NOW\na, \"quoted\"  8 GiB\ntab\\there    -\n"},
		{formatCSV, rows, "name,n\n\"a, \"\"quoted\"\"\",8589934592\ntab\there,0\n"},
		{formatJSON, rows[:1], "[\n  {\n    \"n\": 8589934592,\n    \"name\": \"a, \\\"quoted\\\"\"\n  }\n]\n"},
		{formatJSON, nil, "[]\n"},
		{formatTable, nil, "NAME  SIZE NOW\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := render(&b, tt.format, rowColumns, tt.items, toView, []string{"name", "n"}); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("render %s:\n%q\nwant\n%q", tt.format, b.String(), tt.want)
		}
	}
}

func TestSizeText(t *testing.T) {
	tests := []struct {
		kind store.PartKind
		n    uint64
		want string
	}{
		{store.KindMemory, 64 << 30, "64 GiB"},
		{store.KindMemory, 512 << 20, "512 MiB"},
		{store.KindDrive, 3840755982336, "3.84 TB"},
		{store.KindDrive, 960197124096, "960.2 GB"},
		{store.KindDrive, 1000, "1 kB"},
		{store.KindDrive, 0, ""},
	}
	for _, tt := range tests {
		if got := sizeText(tt.kind, tt.n); got != tt.want {
			t.Errorf("sizeText(%s, %d) = %q, want %q", tt.kind, tt.n, got, tt.want)
		}
	}
}

func TestMakerText(t *testing.T) {
	tests := []struct {
		v    store.Vendor
		want string
	}{
		{store.Vendor{ID: "crucial", Name: "Crucial", Parent: "micron"}, "Crucial (Micron Technology)"},
		{store.Vendor{ID: "micron", Name: "Micron Technology", Parent: "micron"}, "Micron Technology"},
		{store.Vendor{ID: "acme", Name: "", Parent: "bigco"}, "acme (bigco)"},
		{store.Vendor{}, ""},
	}
	for _, tt := range tests {
		if got := makerText(tt.v); got != tt.want {
			t.Errorf("makerText(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in, want string
	}{
		{"2025-03-01T08:30:00+02:00", "2025-03-01T06:30:00Z"},
		{"2025-03-01", "2025-03-01T00:00:00Z"},
		{"24h", "2025-03-09T12:00:00Z"},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if err != nil || got.Format(time.RFC3339) != tt.want {
			t.Errorf("parseTime(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5h", "2025-13-01"} {
		if _, err := parseTime(bad, now); err == nil {
			t.Errorf("parseTime(%q) succeeded", bad)
		}
	}
}

func TestParseLabelChanges(t *testing.T) {
	set, unset, err := parseLabelChanges([]string{"env=prod", "rack-", "empty=", "a-b=c"})
	if err != nil {
		t.Fatal(err)
	}
	if labelsText(set) != "a-b=c,empty=,env=prod" || strings.Join(unset, ",") != "rack" {
		t.Errorf("set %v unset %v", set, unset)
	}
	for _, bad := range [][]string{{"x"}, {"=v"}, {"-"}, {"a=1", "a=2"}, {"a=1", "a-"}, {"a!b=1"}} {
		if _, _, err := parseLabelChanges(bad); err == nil {
			t.Errorf("parseLabelChanges(%q) succeeded", bad)
		}
	}
}

func TestReadInventoryFile(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	inv := hostB(now.Add(-time.Hour))
	good, err := protojson.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	snake, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    string
		wantErr string
	}{
		{"camelCase", string(good), ""},
		{"proto names", string(snake), ""},
		{"not json", "hello", "f.json: not an inventory"},
		{"truncated", string(good[:len(good)/2]), "f.json: truncated: the JSON ends at line 1 ("},
		{"empty", " \n", "f.json: empty file, not an inventory"},
		{"garbled, not cut", `{"host":{"hostId":"h"}]}`, "f.json: not an inventory"},
		{"unknown field", `{"host":{"hostId":"h"},"cpu":"x"}`, `unknown field "cpu"`},
		{"no collectedAt", `{"host":{"hostId":"h"}}`, "collectedAt: required"},
		{"no host", `{"collectedAt":"2025-03-01T00:00:00Z"}`, "host.host_id: required"},
		{"before 1970", `{"host":{"hostId":"h"},"collectedAt":"1969-03-01T00:00:00Z"}`, "before 1970"},
		{"too many modules", `{"host":{"hostId":"h"},"collectedAt":"2025-03-01T00:00:00Z","memoryModules":[` + strings.Repeat(`{},`, 1024) + `{}]}`, "1025 modules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readInventoryFile("f.json", strings.NewReader(tt.data), now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if f.report.HostID != "host-b" || f.report.Sequence != uint64(now.Add(-time.Hour).UnixMicro()) || !f.report.ReceivedAt.Equal(now.Add(-time.Hour)) {
					t.Errorf("report %+v", f.report)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzReadInventoryFile(f *testing.F) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, inv := range []*memledgerv1.Inventory{
		hostA(now.Add(-time.Hour), "0K1NG001"),
		hostB(now.Add(-time.Hour)),
		{Host: &memledgerv1.Host{HostId: "h"}, CollectedAt: timestamppb.New(now)},
	} {
		b, err := protojson.Marshal(inv)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"host":{"hostId":"h","labels":{"a":"\u0000"}},"collectedAt":"2025-03-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readInventoryFile("fuzz.json", bytes.NewReader(data), now)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error %q does not start with the file name", err)
			}
			return
		}
		if got.report.HostID == "" || got.report.Sequence == 0 || got.report.Inventory == nil {
			t.Fatalf("accepted file gives an incomplete report %+v", got.report)
		}
		if _, err := json.Marshal(view.HostOf(store.Host{ID: got.report.HostID})); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUnreadText(t *testing.T) {
	at := time.Date(2026, 10, 1, 14, 2, 0, 0, time.UTC)
	for _, tt := range []struct {
		h    store.Host
		want string
	}{
		{store.Host{ID: "h"}, ""},
		{store.Host{ID: "h", MemoryUnreadSince: at}, "memory 2026-10-01 14:02"},
		{store.Host{ID: "h", StorageUnreadSince: at.Add(time.Hour)}, "storage 2026-10-01 15:02"},
		{store.Host{ID: "h", MemoryUnreadSince: at, StorageUnreadSince: at}, "memory 2026-10-01 14:02, storage 2026-10-01 14:02"},
	} {
		if got := unreadText(tt.h); got != tt.want {
			t.Errorf("unreadText(%+v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}
