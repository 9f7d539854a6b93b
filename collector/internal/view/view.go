// Package view is the one JSON and CSV shape of a host, a part and an
// event for everything the collector prints or serves: the read commands'
// json and csv output (hosts, parts, history) and /api/v1. Field names
// are snake_case, times RFC 3339 in UTC, sizes and ids numbers, makers
// objects. docs/reports.md documents the fields.
//
// The agent's protojson of memledger.v1.Inventory stays the wire and file
// format; these are the collector's views of its ledger.
package view

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
)

// Version is the version of these shapes, carried by every JSON object
// as "schema_version". It changes when a field is renamed, removed or
// changes meaning; added fields keep it.
const Version = 1

// Maker is an identified maker; absent (null) when unknown: the ledger
// never guesses.
type Maker struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Parent   string   `json:"parent,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	JEP106   string   `json:"jep106,omitempty"`
}

// MakerOf is v's view; nil when the maker is unknown.
func MakerOf(v store.Vendor) *Maker {
	if v.ID == "" {
		return nil
	}
	return &Maker{ID: v.ID, Name: v.Name, Parent: v.Parent, Evidence: v.Evidence, JEP106: v.JEP106}
}

// Part is a memory module or drive of a host.
type Part struct {
	SchemaVersion int    `json:"schema_version"`
	ID            int64  `json:"id"`
	HostID        string `json:"host_id"`
	// Hostname is the host's name where the caller knows it.
	Hostname        string     `json:"hostname"`
	Kind            string     `json:"kind"`
	Slot            string     `json:"slot"`
	Maker           *Maker     `json:"maker"`
	DRAMMaker       *Maker     `json:"dram_maker,omitempty"`
	ControllerMaker *Maker     `json:"controller_maker,omitempty"`
	ManufacturerRaw string     `json:"manufacturer_raw,omitempty"`
	PartNumber      string     `json:"part_number"`
	SerialNumber    string     `json:"serial_number"`
	RealSerial      bool       `json:"real_serial"`
	SizeBytes       uint64     `json:"size_bytes"`
	MemoryType      string     `json:"memory_type,omitempty"`
	FormFactor      string     `json:"form_factor,omitempty"`
	SpeedMTs        uint32     `json:"speed_mts,omitempty"`
	Transport       string     `json:"transport,omitempty"`
	Firmware        string     `json:"firmware,omitempty"`
	FirstSeen       *time.Time `json:"first_seen"`
	LastSeen        *time.Time `json:"last_seen"`
	RemovedAt       *time.Time `json:"removed_at"`
	Identity        string     `json:"identity"`
	// InBaseline, Status and Findings are set where a policy judged the
	// part (/api/v1/hosts/{id}).
	InBaseline *bool     `json:"in_baseline,omitempty"`
	Status     string    `json:"status,omitempty"`
	Findings   []Finding `json:"findings,omitempty"`
}

// Finding is one rule's verdict about a part.
type Finding struct {
	Rule      string `json:"rule,omitempty"`
	Status    string `json:"status"`
	Component string `json:"component"`
	Reason    string `json:"reason"`
}

// PartOf is p's view.
func PartOf(p store.Part) Part {
	return Part{
		SchemaVersion:   Version,
		ID:              p.ID,
		HostID:          p.HostID,
		Kind:            string(p.Kind),
		Slot:            p.Slot,
		Maker:           MakerOf(p.Maker),
		DRAMMaker:       MakerOf(p.DRAM),
		ControllerMaker: MakerOf(p.Controller),
		ManufacturerRaw: p.ManufacturerRaw,
		PartNumber:      p.PartNumber,
		SerialNumber:    p.SerialNumber,
		RealSerial:      p.RealSerial,
		SizeBytes:       p.SizeBytes,
		MemoryType:      p.MemoryType,
		FormFactor:      p.FormFactor,
		SpeedMTs:        p.SpeedMTs,
		Transport:       p.Transport,
		Firmware:        p.Firmware,
		FirstSeen:       timePtr(p.FirstSeen),
		LastSeen:        timePtr(p.LastSeen),
		RemovedAt:       p.RemovedAt,
		Identity:        p.Identity,
	}
}

// PartCSVHeader names the CSV columns of a part: its JSON fields, the
// makers by id (maker_parent: the maker's parent company).
var PartCSVHeader = []string{"id", "host_id", "hostname", "kind", "slot", "maker", "maker_parent", "dram_maker", "controller_maker",
	"part_number", "serial_number", "real_serial", "size_bytes", "first_seen", "last_seen", "removed_at", "identity"}

// PartJudgedCSVHeader adds the policy columns of a judged part.
var PartJudgedCSVHeader = append(slices.Clone(PartCSVHeader), "in_baseline", "status")

// CSVRow is the part's row under PartCSVHeader, or PartJudgedCSVHeader
// when a policy judged it.
func (p Part) CSVRow() []string {
	row := []string{strconv.FormatInt(p.ID, 10), p.HostID, p.Hostname, p.Kind, p.Slot, makerID(p.Maker), makerParent(p.Maker),
		makerID(p.DRAMMaker), makerID(p.ControllerMaker), p.PartNumber, p.SerialNumber, strconv.FormatBool(p.RealSerial),
		strconv.FormatUint(p.SizeBytes, 10), csvTime(p.FirstSeen), csvTime(p.LastSeen), csvTime(p.RemovedAt), p.Identity}
	if p.InBaseline != nil {
		row = append(row, strconv.FormatBool(*p.InBaseline), p.Status)
	}
	return row
}

// Host is a host of the ledger.
type Host struct {
	SchemaVersion int    `json:"schema_version"`
	HostID        string `json:"host_id"`
	Hostname      string `json:"hostname"`
	// Labels are the effective labels: the agent's, with the collector's
	// overrides applied and its hidden keys removed.
	Labels             map[string]string `json:"labels"`
	AgentLabels        map[string]string `json:"agent_labels,omitempty"`
	LabelOverrides     map[string]string `json:"label_overrides,omitempty"`
	LabelsUnset        []string          `json:"labels_unset,omitempty"`
	ActiveParts        int               `json:"active_parts"`
	FirstSeen          *time.Time        `json:"first_seen"`
	LastSeen           *time.Time        `json:"last_seen"`
	LastReportAt       *time.Time        `json:"last_report_at"`
	InventorySeenAt    *time.Time        `json:"inventory_seen_at"`
	LastSequence       uint64            `json:"last_sequence"`
	InventoryDigest    string            `json:"inventory_digest,omitempty"`
	AgentVersion       string            `json:"agent_version,omitempty"`
	OS                 string            `json:"os,omitempty"`
	Kernel             string            `json:"kernel,omitempty"`
	SystemManufacturer string            `json:"system_manufacturer,omitempty"`
	SystemProduct      string            `json:"system_product,omitempty"`
	SystemSerial       string            `json:"system_serial,omitempty"`
	// MemoryUnreadSince and StorageUnreadSince are when the host's full
	// inventories began to leave its memory or storage unread (absent
	// while the last one read it): its parts of that kind are those
	// last read.
	MemoryUnreadSince  *time.Time `json:"memory_unread_since,omitempty"`
	StorageUnreadSince *time.Time `json:"storage_unread_since,omitempty"`
}

// HostOf is h's view.
func HostOf(h store.Host) Host {
	labels := h.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return Host{
		SchemaVersion:      Version,
		HostID:             h.ID,
		Hostname:           h.Hostname,
		Labels:             labels,
		AgentLabels:        h.AgentLabels,
		LabelOverrides:     h.LabelOverrides,
		LabelsUnset:        h.LabelsUnset,
		ActiveParts:        h.ActiveParts,
		FirstSeen:          timePtr(h.FirstSeen),
		LastSeen:           timePtr(h.LastSeen),
		LastReportAt:       timePtr(h.LastReportAt),
		InventorySeenAt:    timePtr(h.InventorySeenAt),
		LastSequence:       h.LastSequence,
		InventoryDigest:    h.InventoryDigest,
		AgentVersion:       h.AgentVersion,
		OS:                 h.OS,
		Kernel:             h.Kernel,
		SystemManufacturer: h.SystemManufacturer,
		SystemProduct:      h.SystemProduct,
		SystemSerial:       h.SystemSerial,
		MemoryUnreadSince:  timePtr(h.MemoryUnreadSince),
		StorageUnreadSince: timePtr(h.StorageUnreadSince),
	}
}

// HostCSVHeader names the CSV columns of a host (labels as k=v;k=v, keys
// sorted).
var HostCSVHeader = []string{"host_id", "hostname", "labels", "active_parts", "first_seen", "last_seen", "last_report_at",
	"inventory_seen_at", "agent_version", "os", "kernel", "system_manufacturer", "system_product", "system_serial",
	"memory_unread_since", "storage_unread_since"}

// CSVRow is the host's row under HostCSVHeader.
func (h Host) CSVRow() []string {
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(h.Labels)) {
		labels = append(labels, k+"="+h.Labels[k])
	}
	return []string{h.HostID, h.Hostname, strings.Join(labels, ";"), strconv.Itoa(h.ActiveParts), csvTime(h.FirstSeen),
		csvTime(h.LastSeen), csvTime(h.LastReportAt), csvTime(h.InventorySeenAt), h.AgentVersion, h.OS, h.Kernel,
		h.SystemManufacturer, h.SystemProduct, h.SystemSerial, csvTime(h.MemoryUnreadSince), csvTime(h.StorageUnreadSince)}
}

// Event is one entry of the ledger's event log.
type Event struct {
	SchemaVersion int       `json:"schema_version"`
	ID            int64     `json:"id"`
	Time          time.Time `json:"time"`
	HostID        string    `json:"host_id"`
	// Hostname is the host's name where the caller knows it.
	Hostname string `json:"hostname"`
	// PartID is the part the event is about; absent for host events.
	PartID  int64           `json:"part_id,omitempty"`
	Kind    string          `json:"kind"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details"`
}

// EventOf is e's view.
func EventOf(e store.Event) Event {
	details := e.Details
	if len(details) == 0 {
		details = json.RawMessage("{}")
	}
	return Event{SchemaVersion: Version, ID: e.ID, Time: e.Time.UTC(), HostID: e.HostID, PartID: e.PartID,
		Kind: string(e.Kind), Message: e.Message, Details: details}
}

// EventCSVHeader names the CSV columns of an event (details: its JSON).
var EventCSVHeader = []string{"id", "time", "host_id", "hostname", "part_id", "kind", "message", "details"}

// CSVRow is the event's row under EventCSVHeader.
func (e Event) CSVRow() []string {
	part := ""
	if e.PartID != 0 {
		part = strconv.FormatInt(e.PartID, 10)
	}
	return []string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), e.HostID, e.Hostname, part, e.Kind, e.Message, string(e.Details)}
}

func makerID(m *Maker) string {
	if m == nil {
		return ""
	}
	return m.ID
}

func makerParent(m *Maker) string {
	if m == nil {
		return ""
	}
	return m.Parent
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
