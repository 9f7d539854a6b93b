package cli

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/report"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

var partsSeries = regexp.MustCompile(`(?m)^memledger_parts\{component="\w+",rule="cii-micron",status="(\w+)",vendor="\w+"\} (\d+)$`)

// After a CLI ingest or label change, /metrics agrees with the dashboard's
// report: the collector follows writes made by other processes, not only
// its own commits.
func TestMetricsFollowIngestAndLabelCommands(t *testing.T) {
	dsn, pol := reportLedger(t)
	dir := t.TempDir()
	_, call, _ := serveHTTP(t, "--db", dsn, "--policy", pol, "--follow-interval", "50ms")
	get := func(path string) string {
		t.Helper()
		status, body := call("GET", path)
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		return body
	}
	dashboard := func() report.Counts {
		var rep report.Report
		if err := json.Unmarshal([]byte(get("/api/v1/report")), &rep); err != nil || len(rep.Rules) != 1 {
			t.Fatalf("report: %v", err)
		}
		return rep.Rules[0].Counts
	}
	metricCounts := func() report.Counts {
		var c report.Counts
		for _, m := range partsSeries.FindAllStringSubmatch(get("/metrics"), -1) {
			n, _ := strconv.Atoi(m[2])
			switch m[1] {
			case "violation":
				c.Violation += n
			case "waived":
				c.Waived += n
			case "recorded":
				c.Recorded += n
			case "removed":
				c.Removed += n
			case "allowed":
				c.Allowed += n
			}
		}
		return c
	}
	agree := func(what string, want func(report.Counts) bool) report.Counts {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			d, m := dashboard(), metricCounts()
			if d == m && want(d) {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: /metrics %+v, dashboard %+v", what, m, d)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	agree("at start", func(c report.Counts) bool { return c.Violation == 1 })

	// web-1 (a Micron DIMM before the rule, a Crucial one after) enters
	// the rule's scope.
	mustRun(t, dsn, "label", "web-1", "cii=true")
	labelled := agree("after label", func(c report.Counts) bool { return c.Violation == 2 })

	// A new critical host with two Micron modules, ingested offline: its
	// first inventory is its baseline, recorded.
	inv := &memledgerv1.Inventory{
		Host:        &memledgerv1.Host{HostId: "db-40", Hostname: "db-40.example.net", Labels: map[string]string{"cii": "true"}},
		CollectedAt: timestamppb.New(time.Now().Add(-time.Minute)),
		MemoryModules: []*memledgerv1.MemoryModule{
			module("DIMM_A1", micron, micron, "36ASF8G72PZ-3G2E1", "2C0FFEE9"),
			module("DIMM_A2", micron, micron, "36ASF8G72PZ-3G2E1", "2C0FFEEA"),
		},
	}
	mustRun(t, dsn, "ingest", writeInventory(t, dir, "db-40.json", inv))
	agree("after ingest", func(c report.Counts) bool { return c.Recorded == labelled.Recorded+2 })
}
