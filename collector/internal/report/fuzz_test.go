package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzRender: hostile host ids, serials and reasons (they come from agents)
// never break the HTML (the SVG charts included) out of its text and
// attribute contexts, the JSON
// and CSV always parse back, and nothing panics.
func FuzzRender(f *testing.F) {
	f.Add("db-17", "MICSSD01", "new Micron drive", "env")
	f.Add("</script><script>alert(1)</script>", "<b>x", `"quoted", with, commas`, "a\"b")
	f.Add("\x00\xff", "line\nbreak", "<!--", "</style>")
	f.Fuzz(func(t *testing.T, host, serial, reason, group string) {
		rep := &Report{
			AsOf: time.Unix(0, 0).UTC(), GroupBy: group, Policy: reason,
			Rules: []Rule{{ID: group, Title: reason, Action: "deny", Counts: Counts{Violation: 1},
				ByVendor: []Group{{Key: host, Counts: Counts{Violation: 1}}}, ByGroup: []Group{{Key: group}},
				Exposure: []Point{{Date: "2025-01-01", Counts: Counts{Violation: 1}}}}},
			Violations: []Violation{{RuleID: "r", HostID: host, Serial: serial, Slot: serial, Reason: reason}},
		}
		var buf bytes.Buffer
		if err := WriteHTML(&buf, rep); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		lower := strings.ToLower(html)
		if n := strings.Count(lower, "<script"); n != 0 {
			t.Errorf("%d <script> tags, want none", n)
		}
		if n := strings.Count(lower, "<svg"); n != 2 {
			t.Errorf("%d <svg> tags, want the rule's 2 charts", n)
		}
		buf.Reset()
		if err := WriteJSON(&buf, rep); err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("json does not parse back: %v", err)
		}
		buf.Reset()
		if err := WriteViolationsCSV(&buf, rep); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv: %d rows, %v", len(rows), err)
		}
	})
}
