package dashboard

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/collector/internal/view"
)

// A host whose memory or storage its reports have not read lately says
// since when on its page, above the parts last read; a host read
// completely says nothing of it. The hosts list's downloads carry the
// times.
func TestHostPageSaysWhatWasNotRead(t *testing.T) {
	st := rt.OpenStore(t)
	memoryAt := fx.At(2).Add(14*time.Hour + 2*time.Minute)
	rt.Apply(t, st,
		fx.Full(fx.PartlyRead("read"), 1, fx.At(1)),
		fx.Full(fx.PartlyRead("no-memory"), 1, fx.At(1)),
		fx.Full(fx.PartlyRead("no-memory", "memory"), 2, memoryAt),
		fx.Full(fx.PartlyRead("no-storage", "storage"), 1, fx.At(3)),
	)
	srv := serve(t, st, 0)
	memoryNotice := `<p class="problem" id="memory-unread">Memory not read since ` + memoryAt.UTC().Format("2006-01-02 15:04") +
		` UTC: the agent's reports since then could not read it; the modules below are those last read.</p>`
	storageNotice := `<p class="problem" id="storage-unread">Storage not read since ` + fx.At(3).UTC().Format("2006-01-02 15:04") +
		` UTC: the agent's reports since then could not read it; the drives below are those last read.</p>`
	for host, want := range map[string][]string{"read": nil, "no-memory": {memoryNotice}, "no-storage": {storageNotice}} {
		code, body := bearerGet(t, srv, "/hosts/"+host)
		if code != 200 {
			t.Fatalf("/hosts/%s: %d\n%s", host, code, body)
		}
		for _, notice := range []string{memoryNotice, storageNotice} {
			if shown, wanted := strings.Contains(body, notice), strings.Contains(strings.Join(want, "\n"), notice); shown != wanted {
				t.Errorf("/hosts/%s: notice %q shown %v, want %v\n%s", host, notice, shown, wanted, body)
			}
		}
		if n := strings.Count(body, `-unread">`); n != len(want) {
			t.Errorf("/hosts/%s: %d unread notices, want %d", host, n, len(want))
		}
	}

	// The host list marks the hosts with a domain not read, and since when.
	_, list := bearerGet(t, srv, "/hosts")
	for _, mark := range []string{
		`memory not read since ` + memoryAt.UTC().Format(time.DateOnly) + `</span>`,
		`storage not read since ` + fx.At(3).UTC().Format(time.DateOnly) + `</span>`,
	} {
		if n := strings.Count(list, mark); n != 1 {
			t.Errorf("/hosts: %q %d times, want once\n%s", mark, n, list)
		}
	}
	if n := strings.Count(list, `class="problem unread"`); n != 2 {
		t.Errorf("/hosts: %d unread marks, want 2 (no-memory, no-storage)", n)
	}

	_, jsonBody := bearerGet(t, srv, "/hosts?format=json")
	var hosts []view.Host
	if err := json.Unmarshal([]byte(jsonBody), &hosts); err != nil {
		t.Fatal(err)
	}
	_, csvBody := bearerGet(t, srv, "/hosts?format=csv")
	rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	text := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	got := map[string]string{}
	for _, h := range hosts {
		got["json "+h.HostID] = text(h.MemoryUnreadSince) + "," + text(h.StorageUnreadSince)
	}
	for _, r := range rows[1:] {
		got["csv "+r[0]] = strings.Join(r[len(r)-2:], ",")
	}
	for _, format := range []string{"json", "csv"} {
		for host, want := range map[string]string{"read": ",", "no-memory": memoryAt.Format(time.RFC3339) + ",", "no-storage": "," + fx.At(3).Format(time.RFC3339)} {
			if got[format+" "+host] != want {
				t.Errorf("%s of hosts, %s: unread since %q, want %q", format, host, got[format+" "+host], want)
			}
		}
	}
}
