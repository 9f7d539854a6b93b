package ledger

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	inventorypkg "github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/placeholder"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Row is a part row the store holds for the host being diffed (active or
// removed), reduced to what Diff needs.
type Row struct {
	ID         int64
	Identity   string
	Kind       PartKind
	RealSerial bool
	Slot       string
	SlotKey    string
	// Proto is the stored encoding of the part's last known record
	// (MemoryModule or StorageDevice by Kind).
	Proto     []byte
	Removed   bool
	RemovedAt time.Time
	// ArrivedAt is when the part last arrived on the row's host (added,
	// returned or moved in): the start of the presence interval a removal
	// closes.
	ArrivedAt time.Time
}

// Remote is the most recent row holding a real-serial identity on another
// host than the one being diffed.
type Remote struct {
	PartID int64
	HostID string
	Slot   string
	Active bool
	// ArrivedAt is when the part last arrived on that host (added, returned
	// or moved in).
	ArrivedAt time.Time
}

// Lookup finds the most recent row of identity on another host; ok is false
// when there is none.
type Lookup func(identity string) (r Remote, ok bool, err error)

// Input is what Diff compares.
type Input struct {
	HostID string
	// At is when the inventory was received: removals, returns and moves
	// happen at this time.
	At time.Time
	// Rows are all part rows of the host, removed ones included.
	Rows []Row
	// Parts is Observe of the new inventory.
	Parts []Observed
	// Elsewhere looks identities up on other hosts; nil disables cross-host
	// move and clash detection.
	Elsewhere Lookup
	// PrevReport is when the host's previous full inventory was received
	// (zero when none): a part it leaves out now was listed then.
	PrevReport time.Time
	// Incomplete are the part kinds the inventory's scan could not read
	// completely (Incomplete of the inventory): what it lists of such a
	// kind, if anything, is not all the host holds. Diff leaves the host's
	// parts of that kind as they stand (see Diff).
	Incomplete []PartKind
}

// Incomplete returns the part kinds inv's scan could not read completely,
// from its incomplete field: KindMemory for "memory", KindDrive for
// "storage" (other values, from newer agents, are ignored). An inventory
// from an agent that predates the field names none; its memory is
// incomplete when MemoryRead is false.
func Incomplete(inv *memledgerv1.Inventory) []PartKind {
	memory, storage := !MemoryRead(inv), false
	for _, d := range inv.GetIncomplete() {
		memory = memory || d == inventorypkg.IncompleteMemory
		storage = storage || d == inventorypkg.IncompleteStorage
	}
	var kinds []PartKind
	if memory {
		kinds = append(kinds, KindMemory)
	}
	if storage {
		kinds = append(kinds, KindDrive)
	}
	return kinds
}

// MemoryRead reports whether inv lists a host's memory modules as read
// from one of the sources that list its slots: the SMBIOS tables
// ("smbios"), udev's copy of them ("udev") or dmidecode text ("dmidecode").
// It is false when the inventory names none of them in its sources and a
// warning from one of them says why (the agent's scan of a live host that
// could not read them: no permission, a container without /sys/firmware
// and /run/udev): the agent then lists only the modules whose SPD EEPROM
// it read, under the EEPROM's bus address, or none. An inventory made of
// SPD images alone warns of no such source and is read as complete. Agents
// that send the incomplete field name "memory" in these cases too; this
// reading serves the inventories of older agents (see Incomplete).
func MemoryRead(inv *memledgerv1.Inventory) bool {
	for _, s := range inv.GetSources() {
		if dmiSource(s) {
			return true
		}
	}
	for _, w := range inv.GetWarnings() {
		if dmiSource(w.GetSource()) {
			return false
		}
	}
	return true
}

func dmiSource(s string) bool {
	return s == "smbios" || s == "udev" || s == "dmidecode"
}

// memoryHeld reports whether rows hold an active memory module whose
// record was read from a source MemoryRead names (any source but "spd").
func memoryHeld(rows []Row) bool {
	for i := range rows {
		r := &rows[i]
		if r.Kind != KindMemory || r.Removed {
			continue
		}
		m := &memledgerv1.MemoryModule{}
		if m.UnmarshalVTUnsafe(r.Proto) != nil || m.GetSource() != "spd" {
			return true
		}
	}
	return false
}

// keptKinds returns the kinds of in.Incomplete whose rows Diff leaves as
// they stand: every such kind but memory on a host that holds no module
// read from SMBIOS or udev (its modules only ever came from SPD EEPROMs,
// which a scan without the tables reads as well as any other).
func keptKinds(in *Input) map[PartKind]bool {
	var kept map[PartKind]bool
	for _, k := range in.Incomplete {
		if k == KindMemory && !memoryHeld(in.Rows) {
			continue
		}
		if kept == nil {
			kept = map[PartKind]bool{}
		}
		kept[k] = true
	}
	return kept
}

// Op is what a Change does to a part row.
type Op int

const (
	// OpAdd inserts a new row for Change.Part on Input.HostID.
	OpAdd Op = iota + 1
	// OpReopen clears removed_at of row PartID (a part returned or moved
	// back in) and stores Change.Part as its record and slot.
	OpReopen
	// OpUpdate stores Change.Part as the record and slot of active row
	// PartID.
	OpUpdate
	// OpRemove marks row PartID, on host Change.HostID, removed at
	// Input.At.
	OpRemove
	// OpNote writes no row: it records Change.Events about row PartID of
	// host Change.HostID, another host than Input.HostID (the other side
	// of a serial clash or of a move). That host's rows are unchanged, so
	// what its unchanged digest stands for stays true.
	OpNote
)

func (o Op) String() string {
	switch o {
	case OpAdd:
		return "add"
	case OpReopen:
		return "reopen"
	case OpUpdate:
		return "update"
	case OpRemove:
		return "remove"
	case OpNote:
		return "note"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// Change is one row operation and the events it produces. All events are
// about the change's row; for OpAdd the store learns the row id on insert.
type Change struct {
	Op     Op
	PartID int64
	HostID string
	// Part is the new state (nil for OpRemove).
	Part *Observed
	// Since is, for OpRemove, when the removed row's part arrived on its
	// host: the presence interval the removal closes runs from Since to
	// Input.At, or to Since when that is later (a removal is recorded no
	// earlier than the arrival).
	Since  time.Time
	Events []Draft
}

// Draft is an event before it has an id and a part id.
type Draft struct {
	HostID  string
	Kind    EventKind
	Message string
	Details map[string]any
}

// Result is the outcome of Diff: the changes in the order they must be
// applied (removals first, so that a part leaving one row can enter
// another).
type Result struct {
	Changes []Change
}

// EventCount is the number of events of all changes.
func (r Result) EventCount() int {
	n := 0
	for _, c := range r.Changes {
		n += len(c.Events)
	}
	return n
}

// Diff computes what a new inventory changes in a host's parts:
//   - a part already active (same identity) with the same record: nothing;
//   - with another memory slot: OpUpdate + part_moved; with other fields:
//     OpUpdate + fields_changed (a drive's kernel name is such a field);
//   - a new identity: OpAdd + part_added;
//   - the identity of a removed row of this host: OpReopen + part_returned
//     (+ fields_changed when its record changed meanwhile);
//   - a real-serial identity another host still carries (its row there is
//     active): a serial clash, never a move. OpAdd/OpReopen here with
//     serial_clash, and OpNote of serial_clash on the other host's row;
//     the other host keeps its part. Another host's report never changes
//     this host's rows, and this one never changes theirs;
//   - a real-serial identity that left another host (removed there) and
//     arrived there after it left this one: OpAdd/OpReopen + part_moved
//     naming both hosts;
//   - an active row whose identity is absent: OpRemove + part_removed,
//     unless the part is a real serial that arrived on another host after
//     it arrived here and that this host has not listed since (the
//     previous full inventory came no later than that arrival): then the
//     part moved, and the removal is part_moved, with an OpNote of
//     part_moved on the other host's row. A part this host listed after
//     the other host got it was carried by both (a clone): removed.
//
// A kind in in.Incomplete is left out on both sides, the host's rows and
// the inventory's parts: no part of that kind is removed, moved, changed,
// added or returned, since the scan did not see all of them (and what it
// lists may come from another source, under other slot names: SPD
// EEPROMs by bus address). The diff covers the other kinds. Memory is
// left out only when the host holds a module read from SMBIOS or udev; a
// host whose modules only ever came from SPD EEPROMs is diffed as usual.
//
// Diff is pure apart from calling in.Elsewhere.
func Diff(in Input) (Result, error) {
	var res Result
	kept := keptKinds(&in)
	if kept != nil {
		parts := make([]Observed, 0, len(in.Parts))
		for _, o := range in.Parts {
			if !kept[o.Kind] {
				parts = append(parts, o)
			}
		}
		in.Parts = parts
	}
	// One pass over the rows, which include every part the host ever
	// held: maps are built over the inventory's identities and the rows
	// that matter (observed or gone), not over the host's whole history.
	// A host's rows have distinct identities (UNIQUE (host_id, identity));
	// were that broken, the first row of an identity would count.
	byIdentity := make(map[string]*Row, len(in.Parts))
	for i := range in.Parts {
		byIdentity[in.Parts[i].Identity] = nil
	}
	var gone []*Row
	var goneSeen map[string]bool
	for i := range in.Rows {
		r := &in.Rows[i]
		if kept[r.Kind] {
			continue
		}
		if held, present := byIdentity[r.Identity]; present {
			if held == nil {
				byIdentity[r.Identity] = r
			}
			continue
		}
		if r.Removed || goneSeen[r.Identity] {
			continue
		}
		if goneSeen == nil {
			goneSeen = map[string]bool{}
		}
		goneSeen[r.Identity] = true
		gone = append(gone, r)
	}

	// Removals first, by slot, so that a swap reads "removed, added".
	sort.Slice(gone, func(i, j int) bool {
		if gone[i].Kind != gone[j].Kind {
			return gone[i].Kind < gone[j].Kind
		}
		if gone[i].Slot != gone[j].Slot {
			return gone[i].Slot < gone[j].Slot
		}
		return gone[i].ID < gone[j].ID
	})
	for _, r := range gone {
		desc := describeRow(r)
		if dest, moved, err := movedAway(in, r); err != nil {
			return Result{}, err
		} else if moved {
			msg := fmt.Sprintf("part moved: %s from %s of host %s to %s of host %s",
				desc, slotWord(r.Kind, r.Slot), CleanText(in.HostID), slotWord(r.Kind, dest.Slot), CleanText(dest.HostID))
			details := map[string]any{
				"identity": r.Identity, "from_host_id": in.HostID, "from_part_id": r.ID, "from_slot": r.Slot,
				"to_host_id": dest.HostID, "to_part_id": dest.PartID, "to_slot": dest.Slot,
			}
			res.Changes = append(res.Changes,
				Change{Op: OpRemove, PartID: r.ID, HostID: in.HostID, Since: r.ArrivedAt,
					Events: []Draft{{HostID: in.HostID, Kind: EventPartMoved, Message: msg, Details: details}}},
				Change{Op: OpNote, PartID: dest.PartID, HostID: dest.HostID,
					Events: []Draft{{HostID: dest.HostID, Kind: EventPartMoved, Message: msg, Details: details}}})
			continue
		}
		res.Changes = append(res.Changes, Change{
			Op: OpRemove, PartID: r.ID, HostID: in.HostID, Since: r.ArrivedAt,
			Events: []Draft{{
				HostID:  in.HostID,
				Kind:    EventPartRemoved,
				Message: fmt.Sprintf("part removed: %s %s", desc, slotPhrase(r.Kind, r.Slot)),
				Details: map[string]any{"identity": r.Identity, "slot": r.Slot},
			}},
		})
	}

	for i := range in.Parts {
		o := &in.Parts[i]
		r := byIdentity[o.Identity]
		if r != nil && !r.Removed {
			if c, ok := updateActive(in.HostID, r, o); ok {
				res.Changes = append(res.Changes, c)
			}
			continue
		}
		var remote Remote
		var hasRemote bool
		if o.RealSerial && in.Elsewhere != nil {
			var err error
			remote, hasRemote, err = in.Elsewhere(o.Identity)
			if err != nil {
				return Result{}, fmt.Errorf("diff host %q: look up part %q on other hosts: %w", in.HostID, o.Identity, err)
			}
			if hasRemote && remote.HostID == in.HostID {
				hasRemote = false // the lookup must exclude this host; be safe
			}
		}
		clash := hasRemote && remote.Active
		movedIn := hasRemote && !remote.Active && (r == nil || !remote.ArrivedAt.Before(r.RemovedAt))
		desc := describeObserved(o)
		switch {
		case clash:
			msg := fmt.Sprintf("serial clash: %s is reported by host %s (%s) while host %s still carries it (%s); each keeps its own part",
				desc, CleanText(in.HostID), slotWord(o.Kind, o.Slot), CleanText(remote.HostID), slotWord(o.Kind, remote.Slot))
			details := map[string]any{
				"identity": o.Identity, "host_id": in.HostID, "slot": o.Slot,
				"other_host_id": remote.HostID, "other_part_id": remote.PartID, "other_slot": remote.Slot,
			}
			c := Change{Op: OpAdd, HostID: in.HostID, Part: o}
			if r != nil {
				c.Op, c.PartID = OpReopen, r.ID
			}
			c.Events = []Draft{{HostID: in.HostID, Kind: EventSerialClash, Message: msg, Details: details}}
			res.Changes = append(res.Changes, c, Change{
				Op: OpNote, PartID: remote.PartID, HostID: remote.HostID,
				Events: []Draft{{HostID: remote.HostID, Kind: EventSerialClash, Message: msg, Details: details}},
			})
		case movedIn:
			c := Change{Op: OpAdd, HostID: in.HostID, Part: o}
			if r != nil {
				c.Op, c.PartID = OpReopen, r.ID
			}
			c.Events = []Draft{{
				HostID: in.HostID,
				Kind:   EventPartMoved,
				Message: fmt.Sprintf("part moved: %s from %s of host %s to %s of host %s",
					desc, slotWord(o.Kind, remote.Slot), CleanText(remote.HostID), slotWord(o.Kind, o.Slot), CleanText(in.HostID)),
				Details: map[string]any{
					"identity": o.Identity, "from_host_id": remote.HostID, "from_part_id": remote.PartID,
					"from_slot": remote.Slot, "to_host_id": in.HostID, "to_slot": o.Slot,
					"was_active_on_from_host": false, // a part still carried there clashes instead
				},
			}}
			res.Changes = append(res.Changes, c)
		case r != nil: // removed here, back again
			c := Change{Op: OpReopen, PartID: r.ID, HostID: in.HostID, Part: o}
			c.Events = append(c.Events, Draft{
				HostID:  in.HostID,
				Kind:    EventPartReturned,
				Message: fmt.Sprintf("part returned: %s %s", desc, slotPhrase(o.Kind, o.Slot)),
				Details: map[string]any{
					"identity": o.Identity, "slot": o.Slot, "previous_slot": r.Slot,
					"removed_at": r.RemovedAt.UTC().Format(time.RFC3339Nano),
				},
			})
			if fc := recordChanges(r, o); len(fc) > 0 {
				c.Events = append(c.Events, fieldsChangedDraft(in.HostID, desc, o.Identity, fc))
			}
			res.Changes = append(res.Changes, c)
		default:
			res.Changes = append(res.Changes, Change{
				Op: OpAdd, HostID: in.HostID, Part: o,
				Events: []Draft{{
					HostID:  in.HostID,
					Kind:    EventPartAdded,
					Message: fmt.Sprintf("part added: %s %s", desc, slotPhrase(o.Kind, o.Slot)),
					Details: map[string]any{"identity": o.Identity, "slot": o.Slot, "real_serial": o.RealSerial},
				}},
			})
		}
	}
	return res, nil
}

// movedAway reports whether r, an active real-serial row this host's
// inventory leaves out, moved to another host (see Diff), and where.
func movedAway(in Input, r *Row) (Remote, bool, error) {
	if !r.RealSerial || in.Elsewhere == nil {
		return Remote{}, false, nil
	}
	dest, ok, err := in.Elsewhere(r.Identity)
	if err != nil {
		return Remote{}, false, fmt.Errorf("diff host %q: look up part %q on other hosts: %w", in.HostID, r.Identity, err)
	}
	moved := ok && dest.Active && dest.HostID != in.HostID &&
		!dest.ArrivedAt.Before(r.ArrivedAt) && !in.PrevReport.After(dest.ArrivedAt)
	return dest, moved, nil
}

// updateActive compares an active row with its new observation.
func updateActive(hostID string, r *Row, o *Observed) (Change, bool) {
	sameRecord := bytes.Equal(r.Proto, o.Proto)
	moved := o.Kind == KindMemory && r.SlotKey != o.SlotKey
	if sameRecord && !moved && r.Slot == o.Slot {
		return Change{}, false
	}
	c := Change{Op: OpUpdate, PartID: r.ID, HostID: hostID, Part: o}
	desc := describeObserved(o)
	if moved {
		c.Events = append(c.Events, Draft{
			HostID:  hostID,
			Kind:    EventPartMoved,
			Message: fmt.Sprintf("part moved: %s from slot %s to slot %s", desc, r.Slot, o.Slot),
			Details: map[string]any{
				"identity": o.Identity, "from_slot": r.Slot, "to_slot": o.Slot,
				"from_slot_key": r.SlotKey, "to_slot_key": o.SlotKey,
			},
		})
	}
	if !sameRecord {
		if fc := recordChanges(r, o); len(fc) > 0 {
			c.Events = append(c.Events, fieldsChangedDraft(hostID, desc, o.Identity, fc))
		}
	}
	return c, true
}

// recordChanges lists the field changes between a row's stored record and
// an observation, leaving out what a move already reports (memory locators).
func recordChanges(r *Row, o *Observed) []FieldChange {
	if bytes.Equal(r.Proto, o.Proto) {
		return nil
	}
	switch o.Kind {
	case KindMemory:
		old := &memledgerv1.MemoryModule{}
		if err := proto.Unmarshal(r.Proto, old); err != nil {
			return []FieldChange{{Field: "(record)", Old: fmt.Sprintf("undecodable stored record: %v", err), New: nil}}
		}
		return FieldChanges(old, o.Memory, "locator", "bank_locator")
	default:
		old := &memledgerv1.StorageDevice{}
		if err := proto.Unmarshal(r.Proto, old); err != nil {
			return []FieldChange{{Field: "(record)", Old: fmt.Sprintf("undecodable stored record: %v", err), New: nil}}
		}
		return FieldChanges(old, o.Drive)
	}
}

func fieldsChangedDraft(hostID, desc, identity string, fc []FieldChange) Draft {
	names := make([]string, len(fc))
	for i, c := range fc {
		names[i] = c.Field
	}
	return Draft{
		HostID:  hostID,
		Kind:    EventFieldsChanged,
		Message: fmt.Sprintf("fields changed: %s: %s", desc, summarizeChanges(fc)),
		Details: map[string]any{"identity": identity, "fields": names, "changes": fc},
	}
}

// describeObserved renders "Micron DIMM 36ASF8G72PZ-2G3B1 serial 12345678".
func describeObserved(o *Observed) string {
	if o.Memory != nil {
		return describeMemory(o.Memory)
	}
	return describeDrive(o.Drive)
}

// describeRow renders a stored row like describeObserved, from its record.
// Every removal describes its row, so the record is decoded by the
// generated code, whose unsafe variant shares the record's bytes instead of
// copying its strings: the row's record is never modified, and event
// messages go through CleanText before they are stored, as the generated
// code does not check UTF-8.
func describeRow(r *Row) string {
	if r.Kind == KindMemory {
		m := &memledgerv1.MemoryModule{}
		if m.UnmarshalVTUnsafe(r.Proto) == nil {
			return describeMemory(m)
		}
	} else {
		d := &memledgerv1.StorageDevice{}
		if d.UnmarshalVTUnsafe(r.Proto) == nil {
			return describeDrive(d)
		}
	}
	return string(r.Kind) + " " + r.Identity
}

func describeMemory(m *memledgerv1.MemoryModule) string {
	what := strings.TrimSpace(m.GetFormFactor())
	if what == "" || strings.EqualFold(what, "unknown") || strings.EqualFold(what, "other") {
		what = "memory module"
	}
	return describe(vendorName(m.GetModuleVendor()), what, m.GetPartNumber(), m.GetSerialNumber())
}

func describeDrive(d *memledgerv1.StorageDevice) string {
	what := "drive"
	switch t := strings.ToLower(strings.TrimSpace(d.GetTransport())); t {
	case "":
	case "nvme":
		what = "NVMe drive"
	default:
		what = strings.ToUpper(t) + " drive"
	}
	return describe(vendorName(d.GetVendor()), what, d.GetModel(), d.GetSerialNumber())
}

func vendorName(v *memledgerv1.Vendor) string {
	switch {
	case v.GetName() != "":
		return v.GetName()
	case v.GetId() != "":
		return v.GetId()
	}
	return "unknown-maker"
}

func describe(maker, what, pn, serial string) string {
	var b strings.Builder
	b.WriteString(CleanText(maker))
	b.WriteByte(' ')
	b.WriteString(what)
	if pn = strings.TrimSpace(pn); pn != "" {
		b.WriteByte(' ')
		b.WriteString(CleanText(pn))
	}
	if placeholder.Is(serial) {
		b.WriteString(" without serial")
	} else {
		b.WriteString(" serial ")
		b.WriteString(CleanText(strings.TrimSpace(serial)))
	}
	return b.String()
}

// slotPhrase is "in slot B2" for memory and "as nvme0n1" for drives.
func slotPhrase(kind PartKind, slot string) string {
	if kind == KindDrive {
		if slot == "" {
			return "(no device name)"
		}
		return "as " + slot
	}
	if slot == "" {
		return "in an unnamed slot"
	}
	return "in slot " + slot
}

// slotWord is "slot B2" for memory and "nvme0n1" for drives.
func slotWord(kind PartKind, slot string) string {
	if kind == KindDrive {
		if slot == "" {
			return "(no device name)"
		}
		return slot
	}
	if slot == "" {
		return "an unnamed slot"
	}
	return "slot " + slot
}
