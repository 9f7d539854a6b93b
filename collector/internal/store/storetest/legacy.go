package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// A ledger as the release before serial clashes wrote it, for migration
// tests: two hosts of one board model ("legacy-a", "legacy-b") whose
// firmware writes "Undefined" as the serial of the module in DIMM_A1.
// That release took "Undefined" for a real serial, so the two modules
// were one part moving between the hosts on every report: the row on
// legacy-a removed when legacy-b reported (part_moved in both histories),
// the row on legacy-b active. Rows are written with the identity,
// real_serial and slot that release gave them.
const (
	LegacyPlaceholderSerial = "Undefined"
	LegacyIdentity          = "memory|skhynix|HMA84GR7CJR4N-XN|UNDEFINED"
	legacyRowA, legacyRowB  = 900001, 900002
)

// LegacyModule is the module both legacy hosts carry in DIMM_A1.
func LegacyModule() *memledgerv1.MemoryModule {
	return DIMM("DIMM_A1", Hynix, "HMA84GR7CJR4N-XN", LegacyPlaceholderSerial)
}

// LegacyHosts are the full reports that enroll the legacy hosts with no
// parts; apply them with the current code before WriteLegacyMerge.
func LegacyHosts() []store.Report {
	return []store.Report{Full(Inventory("legacy-a", nil, nil), 1, At(0)), Full(Inventory("legacy-b", nil, nil), 1, At(0))}
}

// LegacyWriter writes rows behind a store's back, in its driver's terms.
type LegacyWriter struct {
	// Exec runs one statement with $n placeholders.
	Exec func(q string, args ...any) error
	// Time and Bool convert values into the driver's column values.
	Time func(time.Time) any
	Bool func(bool) any
	// InsertIDClause goes before VALUES where the driver takes given ids
	// only when told (" OVERRIDING SYSTEM VALUE").
	InsertIDClause string
}

// WriteLegacyMerge writes the merged part rows, their stays and events.
func WriteLegacyMerge(t testing.TB, w LegacyWriter) {
	t.Helper()
	exec, ts, boolean := w.Exec, w.Time, w.Bool
	m := LegacyModule()
	record, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	slotKey := Bank + "/DIMM_A1"
	insertPart := func(id int64, host string, firstSeen, arrived time.Time, removed *time.Time) {
		var removedAt, lastSeen any
		if removed != nil {
			removedAt, lastSeen = ts(*removed), ts(arrived)
		}
		q := `INSERT INTO parts (id, host_id, kind, identity, real_serial, slot, slot_key, manufacturer_raw, part_number,
 serial_number, size_bytes, firmware, memory_type, form_factor, speed_mts, transport, maker_id, maker_parent,
 maker_evidence, dram_id, dram_parent, controller_id, controller_parent, record, first_seen, arrived_at, last_seen, removed_at)` +
			w.InsertIDClause + `
 VALUES ($1, $2, 'memory', $3, $4, 'DIMM_A1', $5, 'Hynix', 'HMA84GR7CJR4N-XN', $6, $7, '', 'DDR4', 'DIMM', 3200, '',
 'skhynix', 'skhynix', 'smbios-module-id', '', '', '', '', $8, $9, $10, $11, $12)`
		if err := exec(q, id, host, LegacyIdentity, boolean(true), slotKey, LegacyPlaceholderSerial, int64(m.GetSizeBytes()),
			record, ts(firstSeen), ts(arrived), lastSeen, removedAt); err != nil {
			t.Fatalf("write legacy part %d: %v", id, err)
		}
	}
	removedA := At(2)
	insertPart(legacyRowA, "legacy-a", At(1), At(1), &removedA)
	insertPart(legacyRowB, "legacy-b", At(2), At(2), nil)
	if err := exec(`INSERT INTO part_presence (part_id, host_id, since_at, until_at) VALUES ($1, 'legacy-a', $2, $3)`,
		legacyRowA, ts(At(1)), ts(At(2))); err != nil {
		t.Fatalf("write legacy stay: %v", err)
	}
	moved := `part moved: SK hynix DIMM HMA84GR7CJR4N-XN serial Undefined from slot DIMM_A1 of host legacy-a to slot DIMM_A1 of host legacy-b`
	for _, ev := range []struct {
		at                     time.Time
		host                   string
		part                   int64
		kind, message, details string
	}{
		{At(1), "legacy-a", legacyRowA, "part_added", "part added: SK hynix DIMM HMA84GR7CJR4N-XN serial Undefined in slot DIMM_A1", `{"identity":"` + LegacyIdentity + `"}`},
		{At(2), "legacy-a", legacyRowA, "part_moved", moved, `{"identity":"` + LegacyIdentity + `","from_host_id":"legacy-a","to_host_id":"legacy-b"}`},
		{At(2), "legacy-b", legacyRowB, "part_moved", moved, `{"identity":"` + LegacyIdentity + `","from_host_id":"legacy-a","to_host_id":"legacy-b"}`},
	} {
		if err := exec(`INSERT INTO events (at, host_id, part_id, kind, message, details) VALUES ($1, $2, $3, $4, $5, $6)`,
			ts(ev.at), ev.host, ev.part, ev.kind, ev.message, ev.details); err != nil {
			t.Fatalf("write legacy event: %v", err)
		}
	}
}

// CheckLegacyMergeMigrated checks a store opened on the legacy ledger
// after the reidentify migration: the merged part is split back into one
// part per host, each with its host's fingerprint identity, the slot
// inventory.Slot names, and an identity_corrected event naming the other
// host; no row or event is gone; the integrity rules hold. The hosts then
// report the module in round after round, in both orders: it stays on
// each host (the one the old rule had taken from legacy-a returns there
// once), and nothing moves.
func CheckLegacyMergeMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	checkIntegrity := func(when string) {
		t.Helper()
		if err := s.(integrityChecker).CheckIntegrity(ctx); err != nil {
			t.Fatalf("check %s: %v", when, err)
		}
	}
	checkIntegrity("after the migration")
	parts, err := s.Parts(ctx, store.PartFilter{HostIDs: []string{"legacy-a", "legacy-b"}, Removed: store.IncludeRemoved})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 {
		t.Fatalf("legacy parts after the migration: %+v, want the 2 rows", parts)
	}
	wantSlot := inventory.Slot(LegacyModule())
	for _, p := range parts {
		if p.RealSerial || !strings.HasPrefix(p.Identity, "memory@"+p.HostID+"|") || p.Slot != wantSlot {
			t.Errorf("part %d on %s after the migration: identity %q, real %v, slot %q", p.ID, p.HostID, p.Identity, p.RealSerial, p.Slot)
		}
		evs, err := s.Events(ctx, store.EventFilter{PartID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []store.EventKind
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
		}
		last := evs[len(evs)-1]
		var d struct {
			OldIdentity string   `json:"old_identity"`
			Identity    string   `json:"identity"`
			MergedWith  []string `json:"merged_with_hosts"`
		}
		if err := json.Unmarshal(last.Details, &d); err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"legacy-a": "legacy-b", "legacy-b": "legacy-a"}[p.HostID]
		if last.Kind != store.EventIdentityCorrected || d.OldIdentity != LegacyIdentity || d.Identity != p.Identity ||
			len(d.MergedWith) != 1 || d.MergedWith[0] != other || !strings.Contains(last.Message, other) {
			t.Errorf("part %d on %s: events %v, last %s %s", p.ID, p.HostID, kinds, last.Kind, last.Details)
		}
		if n := len(kinds); (p.HostID == "legacy-a" && n != 3) || (p.HostID == "legacy-b" && n != 2) {
			t.Errorf("part %d on %s: events %v: the legacy ones must stay", p.ID, p.HostID, kinds)
		}
	}

	before, err := s.Events(ctx, store.EventFilter{Newest: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	seq := map[string]uint64{"legacy-a": 1, "legacy-b": 1}
	for round := range 4 {
		hosts := []string{"legacy-a", "legacy-b"}
		if round%2 == 1 {
			hosts[0], hosts[1] = hosts[1], hosts[0]
		}
		for _, h := range hosts {
			seq[h]++
			inv := Inventory(h, []*memledgerv1.MemoryModule{LegacyModule()}, nil)
			inv.Host.Kernel = "6.1.0-" + string(rune('a'+round))
			out, err := s.Apply(ctx, []store.Report{Full(inv, seq[h], At(3+round))})
			if err != nil || out[0].Status != store.Committed {
				t.Fatalf("report of %s in round %d: %v %+v", h, round, err, out)
			}
		}
	}
	evs, err := s.Events(ctx, store.EventFilter{AfterID: before[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		switch {
		case ev.Kind == store.EventPartReturned && ev.HostID == "legacy-a" && ev.PartID == legacyRowA:
		case ev.Kind == store.EventFieldsChanged && ev.PartID == 0:
		default:
			t.Errorf("after the migration: %s on %s: %s", ev.Kind, ev.HostID, ev.Message)
		}
	}
	for _, h := range []string{"legacy-a", "legacy-b"} {
		active, err := s.Parts(ctx, store.PartFilter{HostIDs: []string{h}})
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 || (h == "legacy-a" && active[0].ID != legacyRowA) || (h == "legacy-b" && active[0].ID != legacyRowB) {
			t.Errorf("%s after its reports: %+v", h, active)
		}
	}
	checkIntegrity("after the reports")
}
