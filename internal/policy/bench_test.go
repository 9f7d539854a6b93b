package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchPolicy has 20 rules with patterns and scopes and 200 waivers, more
// than a real fleet policy.
func benchPolicy(b *testing.B) *Policy {
	var s strings.Builder
	s.WriteString("rules:\n")
	for i := range 20 {
		fmt.Fprintf(&s, "  - id: r%d\n    title: rule %d\n    match: {vendors: [micron, ymtc], part_numbers: [\"36ASF*\", \"re:^MT\"]}\n", i, i)
		fmt.Fprintf(&s, "    scope: {cii: \"true\", site: [a, b, c]}\n    effective: 2023-05-21\n    action: restrict-new\n")
	}
	s.WriteString("waivers:\n")
	for i := range 200 {
		fmt.Fprintf(&s, "  - {rule: r%d, host: host-%d, reason: bench, expires: 2030-01-01}\n", i%20, i)
	}
	p, err := Parse([]byte(s.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkEvaluate(b *testing.B) {
	p := benchPolicy(b)
	part := Part{
		HostID: "host-7", HostLabels: map[string]string{"cii": "true", "site": "b"},
		Component: ComponentModule, Vendor: "micron", VendorParent: "micron", PartNumber: "36ASF8G72PZ-3G2E1",
		Serial: "1A2B3C4D", Slot: "B2", FirstSeen: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC),
	}
	asOf := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if fs := p.Evaluate(part, asOf, EvalOptions{}); len(fs) != 20 {
			b.Fatalf("%d findings", len(fs))
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(fullPolicy)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "bench.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
