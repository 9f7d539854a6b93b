package ledger

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// HostFieldChanges lists the platform facts that changed between two Host
// records (hostname, os, kernel, system_*, ...). Labels are left out: they
// are compared on the effective labels (see LabelChanges). A nil old record
// (first inventory of a host) yields no changes.
func HostFieldChanges(oldHost, newHost *memledgerv1.Host) []FieldChange {
	if oldHost == nil {
		return nil
	}
	if newHost == nil {
		newHost = &memledgerv1.Host{}
	}
	return FieldChanges(oldHost, newHost, "labels")
}

// KeepHostFacts returns the host record of an inventory whose memory was
// not read completely (KindMemory in Incomplete), with the platform facts
// such a scan cannot vouch for taken from the host's record before it,
// oldHost: the memory slot count and the SMBIOS version (a scan without
// the tables counts no slot, one of a damaged table fewer), and every
// other fact of the SMBIOS tables that it left empty (the system and
// baseboard names, serials and UUID: the kernel's dmi/id copy it falls
// back on keeps serials root-only). A fact it did read and that differs
// is a change as usual. newHost is not modified: the result is a copy
// when a fact is kept, else newHost itself; a nil oldHost keeps nothing.
func KeepHostFacts(oldHost, newHost *memledgerv1.Host) *memledgerv1.Host {
	if oldHost == nil || newHost == nil {
		return newHost
	}
	out := proto.Clone(newHost).(*memledgerv1.Host)
	out.MemorySlots, out.SmbiosVersion = oldHost.GetMemorySlots(), oldHost.GetSmbiosVersion()
	keep := func(v *string, old string) {
		if *v == "" {
			*v = old
		}
	}
	keep(&out.SystemManufacturer, oldHost.GetSystemManufacturer())
	keep(&out.SystemProduct, oldHost.GetSystemProduct())
	keep(&out.SystemVersion, oldHost.GetSystemVersion())
	keep(&out.SystemSerial, oldHost.GetSystemSerial())
	keep(&out.SystemUuid, oldHost.GetSystemUuid())
	keep(&out.BaseboardManufacturer, oldHost.GetBaseboardManufacturer())
	keep(&out.BaseboardProduct, oldHost.GetBaseboardProduct())
	keep(&out.BaseboardSerial, oldHost.GetBaseboardSerial())
	if proto.Equal(out, newHost) {
		return newHost
	}
	return out
}

// HostFieldsDraft is the fields_changed event for host changes, or false
// when there are none.
func HostFieldsDraft(hostID string, changes []FieldChange) (Draft, bool) {
	if len(changes) == 0 {
		return Draft{}, false
	}
	names := make([]string, len(changes))
	for i, c := range changes {
		names[i] = c.Field
	}
	return Draft{
		HostID:  hostID,
		Kind:    EventFieldsChanged,
		Message: fmt.Sprintf("host fields changed: %s", summarizeChanges(changes)),
		Details: map[string]any{"fields": names, "changes": changes},
	}, true
}

// EffectiveLabels overlays agent labels with collector-side overrides and
// removes the unset keys. The result is a new map.
func EffectiveLabels(agent, overrides map[string]string, unset []string) map[string]string {
	out := make(map[string]string, len(agent)+len(overrides))
	for k, v := range agent {
		out[k] = v
	}
	for k, v := range overrides {
		out[k] = v
	}
	for _, k := range unset {
		delete(out, k)
	}
	return out
}

// LabelChange is one key whose effective value changed; Old or New is nil
// when the key was absent.
type LabelChange struct {
	Key string  `json:"key"`
	Old *string `json:"old"`
	New *string `json:"new"`
}

// LabelChanges compares two label sets, sorted by key.
func LabelChanges(oldLabels, newLabels map[string]string) []LabelChange {
	var out []LabelChange
	for k, ov := range oldLabels {
		nv, ok := newLabels[k]
		switch {
		case !ok:
			out = append(out, LabelChange{Key: k, Old: ptr(ov)})
		case nv != ov:
			out = append(out, LabelChange{Key: k, Old: ptr(ov), New: ptr(nv)})
		}
	}
	for k, nv := range newLabels {
		if _, ok := oldLabels[k]; !ok {
			out = append(out, LabelChange{Key: k, New: ptr(nv)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// LabelsDraft is the labels_changed event for changes of the effective
// labels; source says who changed them ("agent" or "collector"). It returns
// false when changes is empty.
func LabelsDraft(hostID, source string, changes []LabelChange) (Draft, bool) {
	if len(changes) == 0 {
		return Draft{}, false
	}
	terms := make([]string, len(changes))
	for i, c := range changes {
		switch {
		case c.New == nil:
			terms[i] = CleanText(c.Key) + " removed"
		default:
			terms[i] = CleanText(c.Key) + "=" + CleanText(*c.New)
		}
	}
	return Draft{
		HostID:  hostID,
		Kind:    EventLabelsChanged,
		Message: fmt.Sprintf("labels changed by %s: %s", source, strings.Join(terms, ", ")),
		Details: map[string]any{"source": source, "changes": changes},
	}, true
}

// EnrolledDraft is the host_enrolled event.
func EnrolledDraft(hostID, hostname string) Draft {
	msg := "host enrolled: " + CleanText(hostID)
	if hostname != "" {
		msg += " (" + CleanText(hostname) + ")"
	}
	return Draft{
		HostID:  hostID,
		Kind:    EventHostEnrolled,
		Message: msg,
		Details: map[string]any{"hostname": hostname},
	}
}

func ptr(s string) *string { return &s }

// RetiredDrafts are the events of retiring a host: host_retired about the
// host, then part_removed about each of its active rows (in the order
// given), each naming the retirement as the cause. A part with a real
// serial that another host reports later moved there (Diff: it left this
// host).
func RetiredDrafts(hostID, hostname string, active []Row) (host Draft, parts []Draft) {
	name := CleanText(hostID)
	if hostname != "" && hostname != hostID {
		name += " (" + CleanText(hostname) + ")"
	}
	ids := make([]int64, len(active))
	for i, r := range active {
		ids[i] = r.ID
	}
	host = Draft{
		HostID: hostID,
		Kind:   EventHostRetired,
		Message: fmt.Sprintf("host retired: %s is out of service; its %d active parts are removed, and one with a real serial that another host reports moved there",
			name, len(active)),
		Details: map[string]any{"hostname": hostname, "removed_part_ids": ids},
	}
	for i := range active {
		r := &active[i]
		parts = append(parts, Draft{
			HostID:  hostID,
			Kind:    EventPartRemoved,
			Message: fmt.Sprintf("part removed: %s %s: host retired", describeRow(r), slotPhrase(r.Kind, r.Slot)),
			Details: map[string]any{"identity": r.Identity, "slot": r.Slot, "cause": string(EventHostRetired)},
		})
	}
	return host, parts
}
