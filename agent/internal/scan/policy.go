package scan

import (
	"time"

	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/policy"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// ApplyPolicy evaluates every part of the inventory against the policy and
// records the findings on the parts. A one-shot scan has no history, so the
// scan is treated as the host's first inventory (its baseline) seen at
// collection time, unless assumeNew asks to treat every part as a new
// install (the acceptance gate for new servers). It returns the number of
// parts with a violation.
func ApplyPolicy(inv *memledgerv1.Inventory, p *policy.Policy, assumeNew bool) int {
	seen := inv.GetCollectedAt().AsTime()
	if inv.GetCollectedAt() == nil {
		seen = time.Now().UTC()
	}
	host := inv.GetHost()
	base := policy.Part{
		HostID:     host.GetHostId(),
		HostLabels: host.GetLabels(),
		FirstSeen:  seen,
		InBaseline: true,
	}
	opts := policy.EvalOptions{AssumeNew: assumeNew}
	violations := 0
	for _, m := range inv.GetMemoryModules() {
		part := base
		part.Component = policy.ComponentModule
		part.Vendor, part.VendorParent = m.GetModuleVendor().GetId(), m.GetModuleVendor().GetParent()
		part.DRAMVendor, part.DRAMVendorParent = m.GetDramVendor().GetId(), m.GetDramVendor().GetParent()
		part.PartNumber, part.Serial, part.Slot = m.GetPartNumber(), m.GetSerialNumber(), inventory.Slot(m)
		findings := p.Evaluate(part, seen, opts)
		m.Policy = findingsProto(findings)
		if policy.Worst(findings) == policy.StatusViolation {
			violations++
		}
	}
	for _, d := range inv.GetStorageDevices() {
		part := base
		part.Component = policy.ComponentStorage
		part.Vendor, part.VendorParent = d.GetVendor().GetId(), d.GetVendor().GetParent()
		part.Model, part.Serial, part.Slot = d.GetModel(), d.GetSerialNumber(), d.GetName()
		findings := p.Evaluate(part, seen, opts)
		d.Policy = findingsProto(findings)
		if policy.Worst(findings) == policy.StatusViolation {
			violations++
		}
	}
	return violations
}

func findingsProto(findings []policy.Finding) []*memledgerv1.PolicyFinding {
	out := make([]*memledgerv1.PolicyFinding, 0, len(findings))
	for _, f := range findings {
		out = append(out, &memledgerv1.PolicyFinding{
			RuleId: f.RuleID, Status: string(f.Status), Component: f.Component, Reason: f.Reason,
		})
	}
	return out
}
