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
	// real serial number left one host for another: the source host no
	// longer carries it (its own later report left it out, or it was
	// retired). A move between
	// hosts is recorded in the destination's history and, when the source
	// still held the part's row, in the source's too; both name both hosts.
	EventPartMoved EventKind = "part_moved"
	// EventHostRetired: an operator retired the host (memledger-collector
	// retire): it is out of service, and its active parts were removed at
	// that time, each with a part_removed event. A part with a real serial
	// that another host reports afterwards moved there from this host. A
	// retired host that reports again is in service again: the parts it
	// lists return.
	EventHostRetired EventKind = "host_retired"
	// EventSerialClash: a host reported a real serial (part number and
	// serial) that another host still carries. Both keep their own part
	// (a clone module, a lazily programmed serial, or a host reporting what
	// it does not carry); the event is recorded in both hosts' histories,
	// each about its own part and naming both hosts.
	EventSerialClash EventKind = "serial_clash"
	// EventIdentityCorrected: a migration re-derived a part's identity
	// under new rules: a serial once taken for real is a placeholder (the
	// part is known on its host only, and moves recorded for it between
	// hosts were not moves), or rows of one host that named different
	// makers are one part (its removal and re-addition when its maker was
	// re-identified did not happen). The part's earlier events stay as
	// written.
	EventIdentityCorrected EventKind = "identity_corrected"
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
