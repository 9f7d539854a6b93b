package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
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

// A ledger as the release before maker-free identities wrote it, for the
// rekey migration's tests. Its real-serial identities name the identified
// maker, and an agent upgrade re-identified makers:
//   - "mk-up": a Kingston module reported first with its maker unknown
//     (row mkUnknown, in the host's first inventory), then as kingston
//     (row mkKingston): the old rule removed the first and added the
//     second, a new install under a restrict-new rule. An NVMe drive
//     (row mkDrive) whose maker did not change;
//   - "mk-b" and "mk-c" carry one part number and serial, as micron and
//     as unknown: two identities then, a serial clash now;
//   - "mk-twin" lists two modules sharing part number and serial, as
//     wilkelektroniksa and goodram.
const (
	mkUnknown, mkKingston, mkDrive = 900101, 900102, 900103
	mkClashB, mkClashC             = 900104, 900105
	mkTwin1, mkTwin2               = 900106, 900107
)

// MakerKeyedHosts are the full reports that enroll the hosts of
// WriteLegacyMakerKeys with no parts, at At(0).
func MakerKeyedHosts() []store.Report {
	var reps []store.Report
	for _, h := range []string{"mk-up", "mk-b", "mk-c", "mk-twin"} {
		reps = append(reps, Full(Inventory(h, nil, nil), 1, At(0)))
	}
	return reps
}

var (
	legacyWilk    = &memledgerv1.Vendor{Id: "wilkelektroniksa", Name: "Wilk Elektronik", Parent: "wilkelektroniksa"}
	legacyGoodram = &memledgerv1.Vendor{Id: "goodram", Name: "GOODRAM", Parent: "goodram"}
)

// legacyPart is a part row of a legacy ledger: row id, host, record
// (mod or drive), identity under the old rule, first seen, removal (zero:
// active).
type legacyPart struct {
	id        int64
	host      string
	mod       *memledgerv1.MemoryModule
	drive     *memledgerv1.StorageDevice
	identity  string
	first     time.Time
	removedAt time.Time
}

// makerKeyedParts are the parts of the maker-keyed ledger.
func makerKeyedParts() []legacyPart {
	type row = legacyPart
	return []row{
		{id: mkUnknown, host: "mk-up", mod: DIMM("A1", nil, "KSM32RD4/32MRR", "MKUP0001"), identity: "memory||KSM32RD4/32MRR|MKUP0001", first: At(0), removedAt: At(2)},
		{id: mkKingston, host: "mk-up", mod: DIMM("A1", Kingston, "KSM32RD4/32MRR", "MKUP0001"), identity: "memory|kingston|KSM32RD4/32MRR|MKUP0001", first: At(2)},
		{id: mkDrive, host: "mk-up", drive: Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "S64FMKUP01", "GDC5602Q"), identity: "drive|samsung|SAMSUNG MZQL2960HCJR-00A07|S64FMKUP01", first: At(0)},
		{id: mkClashB, host: "mk-b", mod: DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MKCLASH1"), identity: "memory|micron|36ASF8G72PZ-2G3B1|MKCLASH1", first: At(1)},
		{id: mkClashC, host: "mk-c", mod: DIMM("A1", nil, "36ASF8G72PZ-2G3B1", "MKCLASH1"), identity: "memory||36ASF8G72PZ-2G3B1|MKCLASH1", first: At(1)},
		{id: mkTwin1, host: "mk-twin", mod: DIMM("A1", legacyWilk, "W-MEM3200R4D432G", "MKTWIN01"), identity: "memory|wilkelektroniksa|W-MEM3200R4D432G|MKTWIN01", first: At(0)},
		{id: mkTwin2, host: "mk-twin", mod: DIMM("A2", legacyGoodram, "W-MEM3200R4D432G", "MKTWIN01"), identity: "memory|goodram|W-MEM3200R4D432G|MKTWIN01", first: At(0)},
	}
}

// WriteLegacyMakerKeys writes the maker-keyed part rows, their stays and
// events; enroll MakerKeyedHosts first.
func WriteLegacyMakerKeys(t testing.TB, w LegacyWriter) {
	t.Helper()
	writeLegacyParts(t, w, makerKeyedParts())
}

// writeLegacyParts writes part rows with their stays and their events
// (part_added, and part_removed for a removed row).
func writeLegacyParts(t testing.TB, w LegacyWriter, parts []legacyPart) {
	t.Helper()
	for _, p := range parts {
		var msg proto.Message = p.mod
		kind, slot, slotKey, maker, pn, serial, size := "memory", "", "", p.mod.GetModuleVendor().GetId(), p.mod.GetPartNumber(), p.mod.GetSerialNumber(), p.mod.GetSizeBytes()
		if p.drive != nil {
			msg, kind, maker, pn, serial, size = p.drive, "drive", p.drive.GetVendor().GetId(), p.drive.GetModel(), p.drive.GetSerialNumber(), p.drive.GetSizeBytes()
			slot, slotKey = p.drive.GetName(), p.drive.GetName()
		} else {
			slot, slotKey = inventory.Slot(p.mod), Bank+"/"+p.mod.GetLocator()
		}
		record, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		var removedAt, lastSeen any
		if !p.removedAt.IsZero() {
			removedAt, lastSeen = w.Time(p.removedAt), w.Time(p.removedAt)
		}
		q := `INSERT INTO parts (id, host_id, kind, identity, real_serial, slot, slot_key, manufacturer_raw, part_number,
 serial_number, size_bytes, firmware, memory_type, form_factor, speed_mts, transport, maker_id, maker_parent,
 maker_evidence, dram_id, dram_parent, controller_id, controller_parent, record, first_seen, arrived_at, last_seen, removed_at)` +
			w.InsertIDClause + `
 VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, $10, '', '', '', 0, '', $11, $11, '', '', '', '', '', $12, $13, $13, $14, $15)`
		if err := w.Exec(q, p.id, p.host, kind, p.identity, w.Bool(true), slot, slotKey, pn, serial, int64(size), maker,
			record, w.Time(p.first), lastSeen, removedAt); err != nil {
			t.Fatalf("write legacy part %d: %v", p.id, err)
		}
		type event struct {
			at         time.Time
			kind, verb string
		}
		events := []event{{p.first, "part_added", "added"}}
		if !p.removedAt.IsZero() {
			if err := w.Exec(`INSERT INTO part_presence (part_id, host_id, since_at, until_at) VALUES ($1, $2, $3, $4)`,
				p.id, p.host, w.Time(p.first), w.Time(p.removedAt)); err != nil {
				t.Fatalf("write legacy stay: %v", err)
			}
			events = append(events, event{p.removedAt, "part_removed", "removed"})
		}
		for _, ev := range events {
			if err := w.Exec(`INSERT INTO events (at, host_id, part_id, kind, message, details) VALUES ($1, $2, $3, $4, $5, $6)`,
				w.Time(ev.at), p.host, p.id, ev.kind, "part "+ev.verb+": "+kind+" "+p.identity, `{"identity":"`+p.identity+`"}`); err != nil {
				t.Fatalf("write legacy event: %v", err)
			}
		}
	}
}

// CheckMakerKeysMigrated checks a store opened on the maker-keyed ledger
// after the rekey migration: every row is still there; the re-identified
// module is one part again (row mkKingston keeps the identity, first
// seen at the host's first inventory, so in its baseline; row mkUnknown
// keeps its history under a suffixed identity), each with an
// identity_corrected event; the drive only changed key; the two hosts
// sharing a serial have a serial_clash event each; the twins are
// fingerprints; check passes. The hosts then report with an agent that
// identifies every maker: only fields change, nothing is removed, added
// or moved.
func CheckMakerKeysMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.(integrityChecker).CheckIntegrity(ctx); err != nil {
		t.Fatalf("check after the migration: %v", err)
	}
	hosts := []string{"mk-up", "mk-b", "mk-c", "mk-twin"}
	parts, err := s.Parts(ctx, store.PartFilter{HostIDs: hosts, Removed: store.IncludeRemoved})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]store.Part{}
	for _, p := range parts {
		byID[p.ID] = p
	}
	want := map[int64]struct {
		identity string
		real     bool
	}{
		mkUnknown:  {"memory|KSM32RD4/32MRR|MKUP0001#migrated-900101", true},
		mkKingston: {"memory|KSM32RD4/32MRR|MKUP0001", true},
		mkDrive:    {"drive|SAMSUNG MZQL2960HCJR-00A07|S64FMKUP01", true},
		mkClashB:   {"memory|36ASF8G72PZ-2G3B1|MKCLASH1", true},
		mkClashC:   {"memory|36ASF8G72PZ-2G3B1|MKCLASH1", true},
		mkTwin1:    {"memory@mk-twin|" + Bank + "/A1|W-MEM3200R4D432G|34359738368", false},
		mkTwin2:    {"memory@mk-twin|" + Bank + "/A2|W-MEM3200R4D432G|34359738368", false},
	}
	if len(parts) != len(want) {
		t.Errorf("%d parts after the migration, want %d", len(parts), len(want))
	}
	for id, w := range want {
		if p := byID[id]; p.Identity != w.identity || p.RealSerial != w.real {
			t.Errorf("part %d after the migration: identity %q real %v, want %q %v", id, p.Identity, p.RealSerial, w.identity, w.real)
		}
	}
	if p := byID[mkKingston]; !p.FirstSeen.Equal(At(0)) || !p.Active() {
		t.Errorf("re-identified module after the migration: first seen %v active %v, want %v, active", p.FirstSeen, p.Active(), At(0))
	}
	kinds := func(id int64) []store.EventKind {
		evs, err := s.Events(ctx, store.EventFilter{PartID: id})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.EventKind
		for _, ev := range evs {
			out = append(out, ev.Kind)
		}
		return out
	}
	wantKinds := map[int64][]store.EventKind{
		mkUnknown:  {store.EventPartAdded, store.EventPartRemoved, store.EventIdentityCorrected},
		mkKingston: {store.EventPartAdded, store.EventIdentityCorrected},
		mkDrive:    {store.EventPartAdded},
		mkClashB:   {store.EventPartAdded, store.EventSerialClash},
		mkClashC:   {store.EventPartAdded, store.EventSerialClash},
		mkTwin1:    {store.EventPartAdded, store.EventIdentityCorrected},
		mkTwin2:    {store.EventPartAdded, store.EventIdentityCorrected},
	}
	for id, w := range wantKinds {
		if got := kinds(id); !slices.Equal(got, w) {
			t.Errorf("events of part %d after the migration: %v, want %v", id, got, w)
		}
	}

	before, err := s.Events(ctx, store.EventFilter{Newest: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	reports := []store.Report{
		Full(Inventory("mk-up", []*memledgerv1.MemoryModule{DIMM("A1", Kingston, "KSM32RD4/32MRR", "MKUP0001")},
			[]*memledgerv1.StorageDevice{Drive("nvme0n1", Samsung, "SAMSUNG MZQL2960HCJR-00A07", "S64FMKUP01", "GDC5602Q")}), 2, At(3)),
		Full(Inventory("mk-b", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MKCLASH1")}, nil), 2, At(3)),
		Full(Inventory("mk-c", []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "MKCLASH1")}, nil), 2, At(3)),
		Full(Inventory("mk-twin", []*memledgerv1.MemoryModule{DIMM("A1", legacyGoodram, "W-MEM3200R4D432G", "MKTWIN01"),
			DIMM("A2", legacyGoodram, "W-MEM3200R4D432G", "MKTWIN01")}, nil), 2, At(3)),
	}
	if out, err := s.Apply(ctx, reports); err != nil || len(out) != len(reports) {
		t.Fatalf("reports after the migration: %v %+v", err, out)
	}
	evs, err := s.Events(ctx, store.EventFilter{AfterID: before[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Kind != store.EventFieldsChanged {
			t.Errorf("after the migration: %s on %s: %s", ev.Kind, ev.HostID, ev.Message)
		}
	}
	for _, h := range hosts {
		active, err := s.Parts(ctx, store.PartFilter{HostIDs: []string{h}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range active {
			if _, ok := want[p.ID]; !ok {
				t.Errorf("%s has a new part %d (%s) after its report", h, p.ID, p.Identity)
			}
		}
	}
	if err := s.(integrityChecker).CheckIntegrity(ctx); err != nil {
		t.Fatalf("check after the reports: %v", err)
	}
}

// A ledger as the release before one-form identities wrote it, for the
// rekey_one_form migration's tests. Its real-serial identities hold the
// serial and model as the agent sent them, trimmed and upper-cased, and
// sources changed form:
//   - "of-up": a module first reported from SMBIOS as "0x750174F7" (row
//     ofOld, removed), then from its SPD as "750174F7" (row ofNew): a
//     removal and an addition that did not happen;
//   - "of-swap": the same the other way round, the active row (ofSwap,
//     "0x9DCCE4ED") holding the lower id, the removed one (ofSwapOld)
//     already holding the identity the active row takes;
//   - "of-drive": a drive first reported with udev's ID_MODEL
//     ("Samsung_SSD_860_EVO_500GB", row ofDriveOld, removed), then with
//     its exact model (row ofDriveNew); and a drive whose model has '_'
//     of its own (row ofMicron), which only changes key;
//   - "of-zeros": serials "0000750174F8" (removed) and "750174F8": two
//     strings, two parts, untouched.
const (
	ofOld, ofNew, ofSwap, ofSwapOld         = 900201, 900202, 900203, 900204
	ofDriveOld, ofDriveNew, ofMicron        = 900205, 900206, 900207
	ofZeros, ofNoZeros                      = 900208, 900209
	oneFormPN                               = "36ASF8G72PZ-2G3B1"
	oneFormSSD, oneFormSSDSerial, oneFormFW = "Samsung SSD 860 EVO 500GB", "S3Z1NB0K123456A", "RVT04B6Q"
	oneFormMicron, oneFormMicronSerial      = "Micron_5200_MTFDDAK960TDD", "18151C123456"
)

// OneFormHosts are the full reports that enroll the hosts of
// WriteLegacyForms with no parts, at At(0).
func OneFormHosts() []store.Report {
	var reps []store.Report
	for _, h := range []string{"of-up", "of-swap", "of-drive", "of-zeros"} {
		reps = append(reps, Full(Inventory(h, nil, nil), 1, At(0)))
	}
	return reps
}

func oneFormParts() []legacyPart {
	mod := func(serial string) *memledgerv1.MemoryModule { return DIMM("A1", Micron, oneFormPN, serial) }
	return []legacyPart{
		{id: ofOld, host: "of-up", mod: mod("0x750174F7"), identity: "memory|" + oneFormPN + "|0X750174F7", first: At(0), removedAt: At(2)},
		{id: ofNew, host: "of-up", mod: mod("750174F7"), identity: "memory|" + oneFormPN + "|750174F7", first: At(2)},
		{id: ofSwap, host: "of-swap", mod: mod("0x9DCCE4ED"), identity: "memory|" + oneFormPN + "|0X9DCCE4ED", first: At(2)},
		{id: ofSwapOld, host: "of-swap", mod: mod("9DCCE4ED"), identity: "memory|" + oneFormPN + "|9DCCE4ED", first: At(0), removedAt: At(2)},
		{id: ofDriveOld, host: "of-drive", drive: Drive("sda", Samsung, "Samsung_SSD_860_EVO_500GB", oneFormSSDSerial, oneFormFW),
			identity: "drive|SAMSUNG_SSD_860_EVO_500GB|" + oneFormSSDSerial, first: At(0), removedAt: At(1)},
		{id: ofDriveNew, host: "of-drive", drive: Drive("sda", Samsung, oneFormSSD, oneFormSSDSerial, oneFormFW),
			identity: "drive|SAMSUNG SSD 860 EVO 500GB|" + oneFormSSDSerial, first: At(1)},
		{id: ofMicron, host: "of-drive", drive: Drive("sdb", Micron, oneFormMicron, oneFormMicronSerial, "D1MU020"),
			identity: "drive|MICRON_5200_MTFDDAK960TDD|" + oneFormMicronSerial, first: At(0)},
		{id: ofZeros, host: "of-zeros", mod: mod("0000750174F8"), identity: "memory|" + oneFormPN + "|0000750174F8", first: At(0), removedAt: At(2)},
		{id: ofNoZeros, host: "of-zeros", mod: mod("750174F8"), identity: "memory|" + oneFormPN + "|750174F8", first: At(2)},
	}
}

// WriteLegacyForms writes the one-form ledger's part rows, their stays
// and events; enroll OneFormHosts first.
func WriteLegacyForms(t testing.TB, w LegacyWriter) {
	t.Helper()
	writeLegacyParts(t, w, oneFormParts())
}

// CheckFormsMigrated checks a store opened on the one-form ledger after
// the rekey_one_form migration: every row is still there; each part
// recorded under two forms is one part again, the active row keeping the
// identity and the earliest first-seen time, the other its history under
// a suffixed identity, each with an identity_corrected event; the drive
// whose model has '_' of its own only changed key; the serials differing
// in leading zeros are untouched. rerun runs the migration once more
// (its schema_migrations row dropped, the store reopened) and returns
// the store: it changes nothing and writes no event. The hosts then
// report in the other forms: only fields change.
func CheckFormsMigrated(t *testing.T, s store.Store, rerun func() store.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.(integrityChecker).CheckIntegrity(ctx); err != nil {
		t.Fatalf("check after the migration: %v", err)
	}
	hosts := []string{"of-up", "of-swap", "of-drive", "of-zeros"}
	all := func(s store.Store) []store.Part {
		t.Helper()
		parts, err := s.Parts(ctx, store.PartFilter{HostIDs: hosts, Removed: store.IncludeRemoved})
		if err != nil {
			t.Fatal(err)
		}
		return parts
	}
	parts := all(s)
	byID := map[int64]store.Part{}
	for _, p := range parts {
		byID[p.ID] = p
	}
	mem := "memory|" + oneFormPN + "|"
	want := map[int64]struct {
		identity string
		first    time.Time
		events   []store.EventKind
	}{
		ofOld:      {mem + "750174F7#migrated-900201", At(0), []store.EventKind{store.EventPartAdded, store.EventPartRemoved, store.EventIdentityCorrected}},
		ofNew:      {mem + "750174F7", At(0), []store.EventKind{store.EventPartAdded, store.EventIdentityCorrected}},
		ofSwap:     {mem + "9DCCE4ED", At(0), []store.EventKind{store.EventPartAdded, store.EventIdentityCorrected}},
		ofSwapOld:  {mem + "9DCCE4ED#migrated-900204", At(0), []store.EventKind{store.EventPartAdded, store.EventPartRemoved, store.EventIdentityCorrected}},
		ofDriveOld: {"drive|SAMSUNG SSD 860 EVO 500GB|" + oneFormSSDSerial + "#migrated-900205", At(0), []store.EventKind{store.EventPartAdded, store.EventPartRemoved, store.EventIdentityCorrected}},
		ofDriveNew: {"drive|SAMSUNG SSD 860 EVO 500GB|" + oneFormSSDSerial, At(0), []store.EventKind{store.EventPartAdded, store.EventIdentityCorrected}},
		ofMicron:   {"drive|MICRON 5200 MTFDDAK960TDD|" + oneFormMicronSerial, At(0), []store.EventKind{store.EventPartAdded}},
		ofZeros:    {mem + "0000750174F8", At(0), []store.EventKind{store.EventPartAdded, store.EventPartRemoved}},
		ofNoZeros:  {mem + "750174F8", At(2), []store.EventKind{store.EventPartAdded}},
	}
	if len(parts) != len(want) {
		t.Errorf("%d parts after the migration, want %d", len(parts), len(want))
	}
	events := func(s store.Store, id int64) []store.Event {
		t.Helper()
		evs, err := s.Events(ctx, store.EventFilter{PartID: id})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	for id, w := range want {
		p := byID[id]
		if p.Identity != w.identity || !p.RealSerial || !p.FirstSeen.Equal(w.first) {
			t.Errorf("part %d after the migration: identity %q real %v first seen %v, want %q, real, %v", id, p.Identity, p.RealSerial, p.FirstSeen, w.identity, w.first)
		}
		evs := events(s, id)
		var kinds []store.EventKind
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
		}
		if !slices.Equal(kinds, w.events) {
			t.Errorf("events of part %d after the migration: %v, want %v", id, kinds, w.events)
			continue
		}
		if last := evs[len(evs)-1]; last.Kind == store.EventIdentityCorrected {
			var d struct {
				OldIdentity string  `json:"old_identity"`
				Identity    string  `json:"identity"`
				Same        []int64 `json:"same_part_ids"`
			}
			if err := json.Unmarshal(last.Details, &d); err != nil {
				t.Fatal(err)
			}
			if d.OldIdentity != oneFormIdentity(id) || d.Identity != w.identity || len(d.Same) != 1 ||
				!strings.Contains(last.Message, "forms") {
				t.Errorf("correction of part %d: %s %s", id, last.Message, last.Details)
			}
		}
	}
	for _, id := range []int64{ofNew, ofSwap, ofDriveNew} {
		if !byID[id].Active() {
			t.Errorf("part %d is not active after the migration", id)
		}
	}

	// Run again, the migration changes nothing.
	newest := func(s store.Store) int64 {
		t.Helper()
		evs, err := s.Events(ctx, store.EventFilter{Newest: true, Limit: 1})
		if err != nil || len(evs) != 1 {
			t.Fatalf("newest event: %v %v", evs, err)
		}
		return evs[0].ID
	}
	mark := newest(s)
	s = rerun()
	if again := all(s); !reflect.DeepEqual(again, parts) {
		t.Errorf("parts after the migration ran again:\n%+v\nwant\n%+v", again, parts)
	}
	if n := newest(s); n != mark {
		t.Errorf("the migration run again wrote events up to %d after %d", n, mark)
	}

	mod := func(serial string) []*memledgerv1.MemoryModule {
		return []*memledgerv1.MemoryModule{DIMM("A1", Micron, oneFormPN, serial)}
	}
	reports := []store.Report{
		Full(Inventory("of-up", mod("0x750174F7"), nil), 2, At(3)),
		Full(Inventory("of-swap", mod("9DCCE4ED"), nil), 2, At(3)),
		Full(Inventory("of-drive", nil, []*memledgerv1.StorageDevice{
			Drive("sda", Samsung, "Samsung_SSD_860_EVO_500GB", oneFormSSDSerial, oneFormFW),
			Drive("sdb", Micron, "Micron 5200 MTFDDAK960TDD", oneFormMicronSerial, "D1MU020")}), 2, At(3)),
		Full(Inventory("of-zeros", mod("750174F8"), nil), 2, At(3)),
	}
	if out, err := s.Apply(ctx, reports); err != nil || len(out) != len(reports) {
		t.Fatalf("reports after the migration: %v %+v", err, out)
	}
	evs, err := s.Events(ctx, store.EventFilter{AfterID: mark})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Errorf("%d events after the reports, want 4 fields_changed", len(evs))
	}
	for _, ev := range evs {
		if ev.Kind != store.EventFieldsChanged {
			t.Errorf("after the migration: %s on %s: %s", ev.Kind, ev.HostID, ev.Message)
		}
	}
	for _, p := range all(s) {
		if _, ok := want[p.ID]; !ok {
			t.Errorf("%s has a new part %d (%s) after its report", p.HostID, p.ID, p.Identity)
		}
	}
	if err := s.(integrityChecker).CheckIntegrity(ctx); err != nil {
		t.Fatalf("check after the reports: %v", err)
	}
}

// oneFormIdentity is the identity part id had in the one-form ledger.
func oneFormIdentity(id int64) string {
	for _, p := range oneFormParts() {
		if p.id == id {
			return p.identity
		}
	}
	return ""
}

// UnreadSinceHosts is the full report that enrolls "unread-legacy", whose
// scan could not read its memory, for a ledger made as the release before
// unread times wrote it (CheckUnreadSinceMigrated).
func UnreadSinceHosts() []store.Report {
	return []store.Report{Full(unreadSinceInventory(), 1, At(0))}
}

func unreadSinceInventory() *memledgerv1.Inventory {
	return PartlyRead("unread-legacy", inventory.IncompleteMemory)
}

// CheckUnreadSinceMigrated checks a store opened on that ledger after the
// migration that adds the unread times: the host's is unknown, zero (the
// release did not record when its memory was first left unread), and its
// next full report, the same inventory again, sets it to that report's
// time; a heartbeat then leaves it.
func CheckUnreadSinceMigrated(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	host := func() store.Host {
		t.Helper()
		h, err := s.Host(ctx, "unread-legacy")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := host(); !h.MemoryUnreadSince.IsZero() || !h.StorageUnreadSince.IsZero() {
		t.Errorf("after the migration: memory unread since %v, storage %v; want both zero", h.MemoryUnreadSince, h.StorageUnreadSince)
	}
	inv := unreadSinceInventory()
	reps := []store.Report{Full(inv, 2, At(1)), Heartbeat("unread-legacy", 3, At(2), Digest(t, inv))}
	if out, err := s.Apply(ctx, reps); err != nil || len(out) != 2 || out[0].Status != store.Committed || out[1].Status != store.Committed {
		t.Fatalf("apply the same inventory and a heartbeat: %+v, %v", out, err)
	}
	if h := host(); !h.MemoryUnreadSince.Equal(At(1)) || !h.StorageUnreadSince.IsZero() {
		t.Errorf("after the next full report: memory unread since %v, storage %v; want %v, zero", h.MemoryUnreadSince, h.StorageUnreadSince, At(1))
	}
}
