package policy_test

import (
	"fmt"
	"time"

	"github.com/memledger/memledger/internal/policy"
)

func ExamplePolicy_Evaluate() {
	pol, err := policy.Parse([]byte(`
rules:
  - id: cac-2023-micron
    title: "CAC ruling of 21 May 2023: no new Micron in critical infrastructure"
    match: {vendors: [micron]}
    scope: {cii: "true"}
    effective: 2023-05-21
    action: restrict-new
`), "policy.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	// A Crucial module (parent: Micron) added to a critical host in 2024.
	part := policy.Part{
		HostID: "db-17", HostLabels: map[string]string{"cii": "true"},
		Component: policy.ComponentModule, Vendor: "crucial", VendorParent: "micron",
		PartNumber: "CT32G4RFD432A", Serial: "E1F2", Slot: "A2",
		FirstSeen: time.Date(2024, 3, 2, 9, 30, 0, 0, time.UTC),
	}
	asOf := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range pol.Evaluate(part, asOf, policy.EvalOptions{}) {
		fmt.Printf("%s %s: %s\n", f.RuleID, f.Status, f.Reason)
	}
	// Output:
	// cac-2023-micron violation: new Crucial module CT32G4RFD432A serial E1F2 in slot A2 first seen 2024-03-02, after rule effective 2023-05-21
}
