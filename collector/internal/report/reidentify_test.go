package report

import (
	"context"
	"testing"

	rt "github.com/memledger/memledger/collector/internal/report/reporttest"
	fx "github.com/memledger/memledger/collector/internal/store/storetest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// TestMakerReidentifiedIsNoNewInstall: modules whose maker an older agent
// left unknown, installed before the restrict-new rule's effective date
// (one in the host's first inventory, one added later), are reported as
// Micron by a newer agent after that date. They were there before: recorded,
// not violations.
func TestMakerReidentifiedIsNoNewInstall(t *testing.T) {
	st := rt.OpenStore(t)
	cii := map[string]string{"cii": "true"}
	first := fx.DIMM("A1", nil, "36ASF4G72PZ-2G9E2", "REID0001")
	later := fx.DIMM("A2", nil, "36ASF4G72PZ-2G9E2", "REID0002")
	rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory("reid", []*memledgerv1.MemoryModule{first}, nil), cii), 1, fx.At(0)))
	rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory("reid", []*memledgerv1.MemoryModule{first, later}, nil), cii), 2, fx.At(5)))
	reidentified := []*memledgerv1.MemoryModule{
		fx.DIMM("A1", fx.Micron, "36ASF4G72PZ-2G9E2", "REID0001"),
		fx.DIMM("A2", fx.Micron, "36ASF4G72PZ-2G9E2", "REID0002"),
	}
	rt.Apply(t, st, fx.Full(rt.WithLabels(fx.Inventory("reid", reidentified, nil), cii), 3, fx.At(15)))

	rep, err := Build(context.Background(), st, rt.MustPolicy(t, rt.Policy), Options{AsOf: fx.At(20), Now: rt.FixedNow(fx.At(50))})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rules) != 1 {
		t.Fatalf("%d rules, want 1", len(rep.Rules))
	}
	if want := (Counts{Recorded: 2}); rep.Rules[0].Counts != want {
		t.Errorf("counts %+v, want %+v", rep.Rules[0].Counts, want)
	}
	if len(rep.Violations) != 0 {
		t.Errorf("violations %+v, want none", rep.Violations)
	}
}
