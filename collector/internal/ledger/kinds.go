package ledger

// PartKind says what sort of hardware a part is.
type PartKind string

const (
	// KindMemory is a memory module (DIMM, SODIMM, soldered-down memory).
	KindMemory PartKind = "memory"
	// KindDrive is a physical storage device (NVMe, SATA, SAS, ...).
	KindDrive PartKind = "drive"
)

// EventKind names what happened in an event of the ledger.
type EventKind string

const (
	// EventHostEnrolled: the collector heard from a host for the first time.
	EventHostEnrolled EventKind = "host_enrolled"
	// EventPartAdded: a part appeared that the ledger never saw before (on
	// this host or any other).
	EventPartAdded EventKind = "part_added"
	// EventPartRemoved: a part the host carried is no longer reported.
	EventPartRemoved EventKind = "part_removed"
	// EventPartReturned: a part removed from this host is reported again,
	// and was not seen on another host meanwhile.
	EventPartReturned EventKind = "part_returned"
	// EventPartMoved: a part changed slot on the same host, or a part with a
	// real serial number left one host for another. A move between hosts is
	// recorded twice, once in each host's history, both naming both hosts.
	EventPartMoved EventKind = "part_moved"
	// EventFieldsChanged: decoded facts of a part (drive firmware, size,
	// vendor identification, ...) or of a host (kernel, OS, hostname, ...)
	// changed while its identity did not.
	EventFieldsChanged EventKind = "fields_changed"
	// EventLabelsChanged: the effective labels of a host changed (agent
	// labels or collector-side overrides).
	EventLabelsChanged EventKind = "labels_changed"
	// EventPolicyStatus: a policy verdict about a part or host changed. The
	// ledger never produces it; the policy engine appends it.
	EventPolicyStatus EventKind = "policy_status"
)
