package report

import (
	"context"
	"fmt"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/view"
	"github.com/memledger/memledger/internal/policy"
)

// HostParts returns every part of host h, removed ones too, in the
// collector's one shape, each judged at now by pol (nil: no verdicts):
// its baseline flag, worst status and one finding per rule with the
// reason. /api/v1/hosts/{id} and the dashboard's host page show this.
func HostParts(ctx context.Context, st store.Store, pol *policy.Policy, h store.Host, now time.Time) ([]view.Part, error) {
	filter := store.PartFilter{HostIDs: []string{h.ID}, Removed: store.IncludeRemoved}
	parts, err := st.Parts(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("parts of host %s: %w", h.ID, err)
	}
	out := make([]view.Part, len(parts))
	byID := make(map[int64]*view.Part, len(parts))
	for i, p := range parts {
		out[i] = view.PartOf(p)
		out[i].Hostname = h.Hostname
		byID[p.ID] = &out[i]
	}
	// Baselines and verdicts come from the parts' briefs, which policy
	// evaluation reads everywhere else too.
	err = st.ForEachPart(ctx, filter, func(p store.PartBrief) error {
		pv := byID[p.ID]
		if pv == nil {
			return nil // arrived between the two reads: the next request lists it
		}
		inBaseline := p.InBaseline
		pv.InBaseline = &inBaseline
		if pol != nil {
			fs := pol.Evaluate(PolicyPart(p, h.Labels), now, policy.EvalOptions{})
			pv.Status = string(policy.Worst(fs))
			for _, f := range fs {
				pv.Findings = append(pv.Findings, view.Finding{Rule: f.RuleID, Status: string(f.Status), Component: f.Component, Reason: f.Reason})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("judge parts of host %s: %w", h.ID, err)
	}
	return out, nil
}
