package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/memledger/memledger/collector/internal/ledger"
)

const hostColumns = `h.host_id, h.hostname, h.agent_labels, h.label_overrides, h.labels_unset,
 h.first_seen, h.last_seen, h.last_report_at, h.inventory_seen_at, h.last_sequence, h.inventory_digest,
 h.agent_version, h.os, h.kernel, h.system_manufacturer, h.system_product, h.system_serial, h.platform,
 h.memory_unread_since, h.storage_unread_since`

func scanHost(rows Rows, extra ...any) (*hostState, error) {
	var st hostState
	var agent, over, unset string
	var first, last, lastRep, invSeen, memUnread, storUnread Time
	dest := []any{&st.id, &st.hostname, &agent, &over, &unset,
		&first, &last, &lastRep, &invSeen, &st.lastSeq, &st.digest,
		&st.agentVersion, &st.os, &st.kernel, &st.sysMfr, &st.sysProd, &st.sysSerial, &st.platform,
		&memUnread, &storUnread}
	if err := rows.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	st.firstSeen, st.lastSeen, st.lastReportAt, st.inventorySeenAt = first.T, last.T, lastRep.T, invSeen.T
	st.memoryUnreadSince, st.storageUnreadSince = memUnread.T, storUnread.T
	if err := json.Unmarshal([]byte(agent), &st.agentLabels); err != nil {
		return nil, fmt.Errorf("host %q: column agent_labels: %w", st.id, err)
	}
	if err := json.Unmarshal([]byte(over), &st.overrides); err != nil {
		return nil, fmt.Errorf("host %q: column label_overrides: %w", st.id, err)
	}
	if err := json.Unmarshal([]byte(unset), &st.unset); err != nil {
		return nil, fmt.Errorf("host %q: column labels_unset: %w", st.id, err)
	}
	return &st, nil
}

// partDataColumns are the columns of a new part row, in partValues order
// after id, host_id and before first_seen, arrived_at.
var partDataColumns = []string{
	"kind", "identity", "real_serial", "slot", "slot_key",
	"manufacturer_raw", "part_number", "serial_number", "size_bytes", "firmware",
	"memory_type", "form_factor", "speed_mts", "transport",
	"maker_id", "maker_parent", "maker_evidence", "dram_id", "dram_parent",
	"controller_id", "controller_parent", "record",
}

// identityColumns are the first partDataColumns: kind, identity and
// real_serial, which a row keeps for life (it is found by its identity, and
// the identity says whether the serial is real). Updates leave them out, so
// that SQLite does not rewrite the indexes on identity.
const identityColumns = 3

// removePartSQL marks row $3 removed at $1, last seen at $2. It leaves a
// row already removed alone, and removes a row no earlier than it arrived
// (ledgers written before serial clashes could record a move-in at
// another host's later time).
const removePartSQL = `UPDATE parts SET removed_at = CASE WHEN arrived_at > $1 THEN arrived_at ELSE $1 END,
 last_seen = $2 WHERE id = $3 AND removed_at IS NULL`

// updatePartSQL and reopenPartSQL set a row's other data columns from an
// observation ($1: id; reopen: $2 arrived_at). A reopened row arrives no
// earlier than it left, so that its stays do not overlap: ledgers written
// before serial clashes may hold a removal recorded at another host's
// later time (the part "moved" there). partTx.applyChanges mirrors both
// clamps in the cached rows.
var (
	updatePartSQL = `UPDATE parts SET ` + partUpdateSet(2) + ` WHERE id = $1`
	reopenPartSQL = `UPDATE parts SET removed_at = NULL, last_seen = NULL,
 arrived_at = CASE WHEN removed_at > $2 THEN removed_at ELSE $2 END, ` + partUpdateSet(3) + ` WHERE id = $1`
)

// partUpdateSet renders "slot = $n, slot_key = $n+1, ..." (the columns
// after identityColumns) starting at $first.
func partUpdateSet(first int) string {
	var b strings.Builder
	for i, c := range partDataColumns[identityColumns:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = $%d", c, first+i)
	}
	return b.String()
}

// partValues are the values of partDataColumns for an observation. Text
// columns go through CleanText (the exact strings stay in record).
func partValues(o *ledger.Observed) []any {
	c := ledger.CleanText
	if o.Memory != nil {
		m := o.Memory
		return []any{
			string(o.Kind), o.Identity, o.RealSerial, o.Slot, o.SlotKey,
			c(m.GetManufacturerRaw()), c(m.GetPartNumber()), c(m.GetSerialNumber()), clampInt64(m.GetSizeBytes()), "",
			c(m.GetMemoryType()), c(m.GetFormFactor()), int64(m.GetSpeedMts()), "",
			c(m.GetModuleVendor().GetId()), c(m.GetModuleVendor().GetParent()), c(strings.Join(m.GetModuleVendor().GetEvidence(), ",")),
			c(m.GetDramVendor().GetId()), c(m.GetDramVendor().GetParent()),
			"", "", o.Proto,
		}
	}
	d := o.Drive
	return []any{
		string(o.Kind), o.Identity, o.RealSerial, o.Slot, o.SlotKey,
		c(d.GetVendorRaw()), c(d.GetModel()), c(d.GetSerialNumber()), clampInt64(d.GetSizeBytes()), c(d.GetFirmware()),
		"", "", int64(0), c(d.GetTransport()),
		c(d.GetVendor().GetId()), c(d.GetVendor().GetParent()), c(strings.Join(d.GetVendor().GetEvidence(), ",")),
		"", "",
		c(d.GetControllerVendor().GetId()), c(d.GetControllerVendor().GetParent()), o.Proto,
	}
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// detailsJSON encodes event details; it cannot fail for the values the
// ledger produces, and degrades to an error object rather than losing the
// event if it ever does.
func detailsJSON(d map[string]any) string {
	if d == nil {
		return "{}"
	}
	b, err := json.Marshal(d)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"details_error": err.Error()})
	}
	return string(b)
}

// hostUpdateSQL returns the UPDATEs of a host row: all it learns from a
// full inventory that changed its facts or unread times (facts), or only
// that it was seen (sighting). $1 is the host id; parts_version comes last
// where writers share the database.
func hostUpdateSQL(writers WriterMode) (facts, sighting string) {
	facts = `UPDATE hosts SET hostname = $2, agent_labels = $3, last_seen = $4, last_report_at = $5,
 inventory_seen_at = $6, last_sequence = $7, inventory_digest = $8, agent_version = $9, os = $10, kernel = $11,
 system_manufacturer = $12, system_product = $13, system_serial = $14, platform = $15,
 memory_unread_since = $16, storage_unread_since = $17`
	sighting = `UPDATE hosts SET last_seen = $2, last_report_at = $3, inventory_seen_at = $4, last_sequence = $5,
 inventory_digest = $6`
	if writers == SharedWriters {
		facts += `, parts_version = $18`
		sighting += `, parts_version = $7`
	}
	return facts + ` WHERE host_id = $1`, sighting + ` WHERE host_id = $1`
}

// labelsJSON encodes a label map or key list. encoding/json cannot fail on
// maps and slices of strings (invalid UTF-8 becomes U+FFFD), so an error
// here would be a broken invariant; it falls back to an empty value.
func labelsJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		if _, isList := v.([]string); isList {
			return "[]"
		}
		return "{}"
	}
	return string(b)
}

// placeholders renders "$first, $first+1, ..." (n of them).
func placeholders(first, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
	return b.String()
}
