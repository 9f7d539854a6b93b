// Package store is the collector's durable ledger of hosts, parts and events.
//
// The ledger never deletes anything: a part that disappears from a host's
// inventory is marked removed (removed_at set), a removed part that comes
// back is "returned", a part with a real serial number that shows up on
// another host is "moved". Every change is also written to an append-only
// event log. This lets an operator answer, months later, which parts a host
// carried on a given day (PartFilter.AsOf) and when each one arrived.
//
// The diff between a host's stored parts and a new inventory is computed by
// the pure package collector/internal/ledger; this package defines the
// storage interface and its types, and the drivers (store/sqlite,
// store/postgres) implement it. Drivers register themselves with Register
// from an init function; Open picks one by the DSN's scheme, so a program
// must link the drivers it wants, e.g.
//
//	import _ "github.com/memledger/memledger/collector/internal/store/alldrivers"
//
// Times: every time handed to or returned by a Store is in UTC and truncated
// to the microsecond (the precision both databases keep).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/memledger/memledger/collector/internal/ledger"
	"github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Store is the collector's ledger. All methods are safe for concurrent use.
// Several collector processes may share one PostgreSQL database; a SQLite
// database belongs to one process.
type Store interface {
	// Apply commits a batch of reports in one transaction (group commit) and
	// returns one Outcome per report, in the same order. Reports are applied
	// in order, so two reports of one host in one batch behave as if applied
	// one after the other.
	//
	// A report whose sequence is <= the host's last sequence gets Duplicate
	// and changes nothing. A heartbeat whose digest equals the host's current
	// inventory digest updates last_seen (and the parts' derived last_seen)
	// only; a heartbeat with any other digest, or from an unknown host (which
	// is then enrolled), gets NeedFull, and the sighting (last_seen,
	// sequence) is still recorded. A full inventory equal to the held one
	// (same digest) updates the sightings only and produces no event. A
	// malformed report (see Report) gets Rejected and changes nothing; it
	// does not fail the batch.
	//
	// Apply returns only after the transaction is durable: on SQLite the WAL
	// file is fdatasynced after the commit (as synchronous=FULL would, but
	// outside the write lock), PostgreSQL runs with its default
	// synchronous_commit. A non-nil error means no Outcome may be
	// acknowledged, and nothing of the batch was committed, except where
	// the commit could not be made durable (SQLite: the WAL's sync failed);
	// the store then refuses every write until it is reopened.
	Apply(ctx context.Context, reports []Report) ([]Outcome, error)

	// Hosts lists the hosts matching the filter in f.Order (host id by
	// default), f.Limit of them after skipping f.Offset.
	Hosts(ctx context.Context, f HostFilter) ([]Host, error)

	// CountHosts counts the hosts matching the filter (Order, Limit and
	// Offset aside): the total of a paged host list.
	CountHosts(ctx context.Context, f HostFilter) (int, error)

	// Host returns one host; an error wrapping ErrNotFound when the collector
	// never heard from it.
	Host(ctx context.Context, id string) (Host, error)

	// Parts lists the parts matching the filter, ordered by host id, kind,
	// slot, then part id.
	Parts(ctx context.Context, f PartFilter) ([]Part, error)

	// ForEachPart streams the parts matching the filter to fn as PartBriefs,
	// grouped by host (hosts in id order, a host's parts in first_seen
	// order), without decoding the stored records: the pass reports and
	// policy evaluation make over a whole fleet. It stops at and returns
	// fn's first error. f.Limit caps the number of parts passed to fn.
	ForEachPart(ctx context.Context, f PartFilter, fn func(PartBrief) error) error

	// ForEachPartGroup streams the parts matching the filter to fn counted
	// in groups of one host's parts that look alike to the policy engine
	// (same kind, makers, part number, first seen and removed at), in
	// host id order, a host's groups in first_seen order. It is the
	// set-based pass of fleet reports: a server's sixteen modules of one
	// part number installed together are one group. Only HostIDs,
	// HostLabels and Removed of f are supported; other set fields are an
	// error wrapping ErrInvalid.
	ForEachPartGroup(ctx context.Context, f PartFilter, fn func(PartGroup) error) error

	// ForEachHost streams the hosts matching the filter to fn as
	// HostBriefs, in f.Order (host id by default), without decoding their
	// platform records. It stops at and returns fn's first error. Limit
	// and Offset are Hosts' only; set here they are an error wrapping
	// ErrInvalid.
	ForEachHost(ctx context.Context, f HostFilter, fn func(HostBrief) error) error

	// Events lists events matching the filter in the order they were
	// recorded (ascending id), or newest first when f.Newest is set.
	Events(ctx context.Context, f EventFilter) ([]Event, error)

	// SetLabels sets and deletes collector-side label overrides of a host
	// (memledger-collector label HOST k=v / k-). A key in unset is hidden
	// from the effective labels even when the agent reports it. A key both
	// set and unset is an error. Records a labels_changed event when the
	// overrides change. Returns an error wrapping ErrNotFound for an unknown
	// host and ErrInvalid for a bad key.
	SetLabels(ctx context.Context, hostID string, set map[string]string, unset []string) error

	// AppendEvents appends events produced outside the ledger (for instance
	// kind "policy_status" from the policy engine). ID is assigned by the
	// store and ignored on input; a zero Time means now. HostID must name a
	// known host (ErrNotFound otherwise); PartID, when non-zero, must name a
	// part of that host. Details may be nil (stored as {}) or must be valid
	// JSON. All events are committed in one transaction, or none.
	AppendEvents(ctx context.Context, events []Event) error

	// Close releases the database. Calls after Close fail.
	Close() error
}

// Retirer is implemented by stores that can retire a host (both drivers
// do).
type Retirer interface {
	// RetireHost records that host hostID is out of service at time at
	// (zero: now): a host_retired event, and each active part of the host
	// removed then (no earlier than it arrived) with a part_removed event.
	// A time before the host was last seen is an error wrapping
	// ErrInvalid: it was in service then. Nothing is deleted. Its held inventory digest is dropped, so
	// that if the host reports again its report is diffed (the parts it
	// lists return). A part with a real serial that another host reports
	// afterwards is a move from the retired host, not a serial clash. A
	// host already retired and not reported in full since is left as it
	// is (Retirement.AlreadyRetired). An unknown host is an error wrapping
	// ErrNotFound.
	RetireHost(ctx context.Context, hostID string, at time.Time) (Retirement, error)
}

// EventCounter is implemented by stores that can count a host's recent
// ledger events (both drivers do): what per-host admission
// (docs/security.md, "Limits") reads when it first meets a host after a
// collector starts, so that a restart gives no host a new day.
type EventCounter interface {
	// CountRecentEvents counts the events of host hostID, policy
	// statuses aside, recorded at most window before the host's last
	// sighting, among the host's last limit events in the order
	// recorded: the read stops there, so it costs at most limit index
	// entries however long the host's history. Event times are the
	// agent's observation times, never later than their receipt nor
	// before the host's previous record, so those times advance no
	// faster than the collector's clock: the window holds at least the
	// events the host's reports made in the window before its last one
	// was received, whatever times it claimed.
	CountRecentEvents(ctx context.Context, hostID string, window time.Duration, limit int) (RecentEvents, error)
}

// RecentEvents is what CountRecentEvents found.
type RecentEvents struct {
	// LastSeen is the host's last sighting; zero for an unknown host.
	LastSeen time.Time
	// Count is the number of events counted, First the earliest time
	// among them (zero when none).
	Count int
	First time.Time
}

// Retirement is what RetireHost did.
type Retirement struct {
	// At is when the host was retired (the earlier retirement when
	// AlreadyRetired).
	At time.Time
	// PartsRemoved are the ids of the parts it removed, by kind and slot.
	PartsRemoved   []int64
	AlreadyRetired bool
}

// Optimizer is implemented by stores that can refresh their database's
// planner statistics (both drivers do). The database does this by itself
// over time; call it after a bulk load into a young database.
type Optimizer interface {
	Optimize(ctx context.Context) error
}

// Errors callers may test for with errors.Is.
var (
	// ErrNotFound: the host or part does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: an argument is malformed (bad label key, event without
	// kind, details that are not JSON, NUL byte in a string the database
	// cannot store, ...).
	ErrInvalid = errors.New("invalid argument")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// Re-exported ledger vocabulary, so that users of the store need not import
// the ledger package.
type (
	// PartKind is "memory" or "drive".
	PartKind = ledger.PartKind
	// EventKind names an event; see the ledger.Event* constants.
	EventKind = ledger.EventKind
)

// Part kinds.
const (
	KindMemory = ledger.KindMemory
	KindDrive  = ledger.KindDrive
)

// Event kinds.
const (
	EventHostEnrolled      = ledger.EventHostEnrolled
	EventPartAdded         = ledger.EventPartAdded
	EventPartRemoved       = ledger.EventPartRemoved
	EventPartReturned      = ledger.EventPartReturned
	EventPartMoved         = ledger.EventPartMoved
	EventSerialClash       = ledger.EventSerialClash
	EventIdentityCorrected = ledger.EventIdentityCorrected
	EventFieldsChanged     = ledger.EventFieldsChanged
	EventLabelsChanged     = ledger.EventLabelsChanged
	EventPolicyStatus      = ledger.EventPolicyStatus
	EventHostRetired       = ledger.EventHostRetired
)

// Report is one agent report as received by the collector.
//
// Exactly one of Inventory (a full report) and HeartbeatDigest (a heartbeat)
// must be set. HostID must be non-empty and Sequence non-zero; when the
// inventory names a host id it must equal HostID. Otherwise the report is
// Rejected.
type Report struct {
	HostID   string
	Sequence uint64
	// ReceivedAt is when the collector received the report; it becomes
	// last_seen, first_seen, removed_at, ... (the agent's clock is not
	// trusted for the ledger). Zero means now.
	ReceivedAt time.Time
	// Inventory is the full inventory, nil for a heartbeat.
	Inventory *memledgerv1.Inventory
	// HeartbeatDigest is the digest (inventory.Digest) the agent claims its
	// inventory still has; only for heartbeats.
	HeartbeatDigest string
	// Pre, when set, is Precompute of this report: work Apply would
	// otherwise do on the database's write path.
	Pre *Precomputed
	// MaxSequence, when non-zero, is the highest sequence the collector
	// accepts when it receives the report: its clock plus the allowed
	// skew, in Unix microseconds (server.SequenceBound). A host's
	// recorded last sequence above it was committed by a collector
	// older than that check (a host clock years ahead, or 2^63-1) and
	// would make every later report a Duplicate until that time: Apply
	// treats it as poisoned, applies a report whose own sequence is at
	// most MaxSequence, which becomes the host's last, and names the
	// value replaced in Outcome.PoisonedSequence. Zero keeps the plain
	// rule (sequence <= last sequence: Duplicate).
	MaxSequence uint64
}

// Precomputed is the CPU work on a full report that a caller may do before
// Apply, off the write path: the server does it on the goroutine that
// received the report, in parallel with the committer. Apply trusts it, so
// it must come from the report's own HostID and Inventory.
type Precomputed struct {
	// Digest and Input are inventory.Digest and inventory.DigestInput of
	// the inventory.
	Digest string
	Input  []byte
	// Parts are ledger.Observe of the inventory with Input, where Observed.
	Parts    []ledger.Observed
	Observed bool
}

// Precompute digests r's inventory; nil for a heartbeat. The error is why
// the inventory cannot be encoded (Apply rejects such a report), such as a
// string that is not UTF-8 when assume is CheckUTF8.
func Precompute(r Report, assume Strings) (*Precomputed, error) {
	if r.Inventory == nil {
		return nil, nil
	}
	encode := inventory.DigestInput
	if assume == KnownValidUTF8 {
		encode = inventory.DigestInputValidUTF8
	}
	input, err := encode(r.Inventory)
	if err != nil {
		return nil, err
	}
	return &Precomputed{Digest: inventory.DigestOf(input), Input: input}, nil
}

// Strings says what Precompute may assume of a report's strings.
type Strings int

const (
	// CheckUTF8: nothing; the encoder checks that they are valid UTF-8.
	CheckUTF8 Strings = iota
	// KnownValidUTF8: they are valid UTF-8 (the server's reports, after
	// validation); the same result, from faster code that does not check.
	KnownValidUTF8
)

// Observe computes, once, the parts observed in r's inventory, which Apply
// needs when the inventory differs from the one it holds for the host.
// memo, when not nil, holds what the host's last inventory gave
// (ledger.ObserveOptions).
func (p *Precomputed) Observe(r Report, memo *ledger.ObserveMemo) ([]ledger.Observed, error) {
	if !p.Observed {
		parts, err := ledger.Observe(r.HostID, r.Inventory, ledger.ObserveOptions{DigestInput: p.Input, Memo: memo})
		if err != nil {
			return nil, err
		}
		p.Parts, p.Observed = parts, true
	}
	return p.Parts, nil
}

// Status is what Apply did with one report.
type Status int

const (
	// Committed: the report was durably applied.
	Committed Status = iota + 1
	// Duplicate: the sequence was already seen; nothing changed.
	Duplicate
	// NeedFull: a heartbeat with a digest the collector does not hold; its
	// sighting was recorded, the agent should send a full inventory.
	NeedFull
	// Rejected: the report is malformed (see Outcome.Err); nothing changed.
	Rejected
)

// String returns the lowercase name of the status ("committed", ...).
func (s Status) String() string {
	switch s {
	case Committed:
		return "committed"
	case Duplicate:
		return "duplicate"
	case NeedFull:
		return "need_full"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Outcome is the result of one report of an Apply batch.
type Outcome struct {
	Status Status
	// Digest is the inventory digest the collector holds for the host after
	// this report ("" when it holds none).
	Digest string
	// Events is how many events the report produced.
	Events int
	// Message says why, for Duplicate, NeedFull and Rejected.
	Message string
	// Err is set for Rejected only; it wraps ErrInvalid.
	Err error
	// PoisonedSequence is the host's recorded last sequence that this
	// report replaced because it lay beyond Report.MaxSequence; 0 when
	// none did.
	PoisonedSequence uint64
}

// Host is what the ledger knows about one host.
type Host struct {
	ID       string
	Hostname string
	// Labels are the effective labels: AgentLabels overlaid by
	// LabelOverrides, minus LabelsUnset.
	Labels map[string]string
	// AgentLabels are the labels in the host's last full inventory.
	AgentLabels map[string]string
	// LabelOverrides are the collector-side labels set with SetLabels.
	LabelOverrides map[string]string
	// LabelsUnset are the keys hidden by SetLabels, sorted.
	LabelsUnset []string

	// FirstSeen is the first report of any kind; LastSeen the latest one
	// (full or heartbeat, even one answered NeedFull).
	FirstSeen time.Time
	LastSeen  time.Time
	// LastReportAt is when the last full inventory was received; zero when
	// none was.
	LastReportAt time.Time
	// InventorySeenAt is the last time the host's parts were confirmed: a
	// full inventory, or a heartbeat carrying the current digest. Active
	// parts' LastSeen equals it.
	InventorySeenAt time.Time
	// LastSequence is the highest sequence accepted from the host.
	LastSequence uint64
	// InventoryDigest is inventory.Digest of the last full inventory.
	InventoryDigest string
	// MemoryUnreadSince and StorageUnreadSince are when the host's full
	// inventories began to leave its memory or its storage unread (the
	// kinds ledger.Incomplete gives), zero while the last one read it:
	// the first such inventory since one that read it. Its parts of that
	// kind are those last read. Heartbeats leave them as they are.
	MemoryUnreadSince  time.Time
	StorageUnreadSince time.Time

	AgentVersion       string
	OS                 string
	Kernel             string
	SystemManufacturer string
	SystemProduct      string
	SystemSerial       string
	// Platform is the Host message of the last full inventory (nil when
	// none was received); it holds the remaining platform facts.
	Platform *memledgerv1.Host

	// ActiveParts is the number of parts not removed.
	ActiveParts int
}

// Vendor is an identified maker as stored with a part; the zero value means
// unknown (never guessed).
type Vendor struct {
	ID       string
	Name     string
	Parent   string
	Evidence []string
	JEP106   string
}

// Part is one memory module or drive as the ledger knows it on one host.
//
// A part's identity is kind + part number (model) + serial number when the
// serial is real (the identified maker is not part of it); for placeholder serials ("", "00000000",
// "Not Specified", ...) it is a fingerprint of kind + host + slot + part
// number + size (see ledger.Identity). There is one Part row per identity
// and host: a part moved to another host gets a new row there (and its old
// row is marked removed); a part returning to a host reuses its old row.
type Part struct {
	ID       int64
	HostID   string
	Kind     PartKind
	Identity string
	// RealSerial says whether Identity rests on a real serial number (and
	// so is recognised on other hosts) or on the slot fingerprint.
	RealSerial bool
	// Slot is where the part sits: the SMBIOS locator of a memory module
	// ("DIMM_B2"), the kernel name of a drive ("nvme0n1").
	Slot string

	// Maker built the part (module vendor of a memory module, vendor of a
	// drive); DRAM made the memory dies (memory only); Controller made a
	// drive's controller when it differs from Maker (drives only).
	Maker      Vendor
	DRAM       Vendor
	Controller Vendor

	ManufacturerRaw string
	PartNumber      string
	SerialNumber    string
	SizeBytes       uint64
	// Firmware of a drive; empty for memory.
	Firmware string
	// MemoryType ("DDR4") and FormFactor ("DIMM") of a memory module;
	// Transport ("nvme") of a drive.
	MemoryType string
	FormFactor string
	SpeedMTs   uint32
	Transport  string

	// Exactly one of Memory and Drive is set: the full record from the last
	// inventory that listed the part.
	Memory *memledgerv1.MemoryModule
	Drive  *memledgerv1.StorageDevice

	FirstSeen time.Time
	// LastSeen is the host's InventorySeenAt while the part is active, and
	// the last confirmation before its removal once it is removed.
	LastSeen time.Time
	// RemovedAt is nil while the part is on its host.
	RemovedAt *time.Time
}

// PartGroup counts alike parts of one host (see ForEachPartGroup).
type PartGroup struct {
	HostID               string
	Kind                 PartKind
	MakerID, MakerParent string
	DRAMID, DRAMParent   string
	PartNumber           string
	FirstSeen            time.Time
	// RemovedAt is zero for parts on their host.
	RemovedAt time.Time
	// InBaseline: the parts were in the host's first inventory (see
	// PartBrief).
	InBaseline bool
	Count      int
}

// HostBrief is the part of a Host that fleet-wide passes need.
type HostBrief struct {
	ID       string
	Hostname string
	// Labels are the effective labels; never nil.
	Labels    map[string]string
	FirstSeen time.Time
	LastSeen  time.Time
}

// PartBrief is the part of a Part that fleet-wide passes need (policy
// evaluation, reports), read from indexed columns only.
type PartBrief struct {
	ID     int64
	HostID string
	Kind   PartKind
	Slot   string
	// MakerID and MakerParent are the maker's vendor slug and its parent
	// company's; DRAMID and DRAMParent the DRAM maker's (memory only).
	// Empty when unidentified.
	MakerID, MakerParent string
	DRAMID, DRAMParent   string
	// PartNumber is a module's part number or a drive's model.
	PartNumber   string
	SerialNumber string
	FirstSeen    time.Time
	// RemovedAt is zero while the part is on its host.
	RemovedAt time.Time
	// InBaseline: the part was in its host's first inventory, i.e. its
	// first_seen equals the earliest first_seen of the host's parts.
	InBaseline bool
}

// Active reports whether the part is currently on its host.
func (p Part) Active() bool { return p.RemovedAt == nil }

// Event is one entry of the append-only event log.
type Event struct {
	// ID increases with insertion order; assigned by the store.
	ID     int64
	Time   time.Time
	HostID string
	// PartID is the part the event is about, 0 for host events.
	PartID int64
	Kind   EventKind
	// Message is a one-line human sentence, e.g. "part added: Micron DIMM
	// 36ASF8G72PZ-2G3B1 serial 12345678 in slot B2".
	Message string
	// Details is a JSON object with the machine-readable facts (ids, old and
	// new values). Never nil on output.
	Details json.RawMessage
}

// LabelOp is the comparison of a LabelSelector.
type LabelOp int

const (
	// LabelEquals: key present with exactly Value ("k=v").
	LabelEquals LabelOp = iota
	// LabelNotEquals: key absent or with another value ("k!=v").
	LabelNotEquals
	// LabelExists: key present, any value ("k").
	LabelExists
	// LabelNotExists: key absent ("!k").
	LabelNotExists
)

// LabelSelector matches a host's effective labels.
type LabelSelector struct {
	Key   string
	Op    LabelOp
	Value string
}

// String renders the selector in the syntax ParseSelectors reads.
func (s LabelSelector) String() string {
	switch s.Op {
	case LabelEquals:
		return s.Key + "=" + s.Value
	case LabelNotEquals:
		return s.Key + "!=" + s.Value
	case LabelNotExists:
		return "!" + s.Key
	default:
		return s.Key
	}
}

// Matches reports whether labels satisfy the selector.
func (s LabelSelector) Matches(labels map[string]string) bool {
	v, ok := labels[s.Key]
	switch s.Op {
	case LabelEquals:
		return ok && v == s.Value
	case LabelNotEquals:
		return !ok || v != s.Value
	case LabelExists:
		return ok
	case LabelNotExists:
		return !ok
	}
	return false
}

// ParseSelectors parses a comma-separated selector list such as
// "env=prod,rack!=r12,gpu,!decommissioned". Whitespace around terms is
// ignored. An empty string yields no selectors.
func ParseSelectors(s string) ([]LabelSelector, error) {
	var out []LabelSelector
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for i, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		var sel LabelSelector
		switch {
		case term == "":
			return nil, fmt.Errorf("label selector term %d of %q: empty: %w", i+1, s, ErrInvalid)
		case strings.Contains(term, "!="):
			k, v, _ := strings.Cut(term, "!=")
			sel = LabelSelector{Key: strings.TrimSpace(k), Op: LabelNotEquals, Value: strings.TrimSpace(v)}
		case strings.Contains(term, "="):
			k, v, _ := strings.Cut(term, "=")
			sel = LabelSelector{Key: strings.TrimSpace(k), Op: LabelEquals, Value: strings.TrimSpace(v)}
		case strings.HasPrefix(term, "!"):
			sel = LabelSelector{Key: strings.TrimSpace(term[1:]), Op: LabelNotExists}
		default:
			sel = LabelSelector{Key: term, Op: LabelExists}
		}
		if err := ValidateLabelKey(sel.Key); err != nil {
			return nil, fmt.Errorf("label selector term %d (%q): %w", i+1, term, err)
		}
		out = append(out, sel)
	}
	return out, nil
}

// ValidateLabelKey checks a collector-side label key by the rule agents
// follow too (inventory.ValidateLabelKey). Labels of older agents are
// stored as the agent sent them.
func ValidateLabelKey(k string) error {
	if err := inventory.ValidateLabelKey(k); err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return nil
}

// HostFilter selects hosts. Zero fields do not filter; all set fields must
// match.
type HostFilter struct {
	// IDs: host id is one of these.
	IDs []string
	// Hostnames: hostname is exactly one of these.
	Hostnames []string
	// Labels: every selector matches the effective labels.
	Labels []LabelSelector
	// Search: the host id or hostname contains it, ASCII letters matched
	// in either case (a substring search over the hosts table).
	Search string
	// Vendor: the host carries a part of this vendor, matched as
	// PartFilter.Vendor (maker or DRAM maker, or their parent).
	Vendor string
	// VendorParts selects Vendor's parts by removal state: active ones by
	// default, or also (only) those removed from the host.
	VendorParts RemovedFilter
	// Unread: the host's memory or storage is unread (Host.MemoryUnreadSince
	// or StorageUnreadSince set). A partial index keeps the list cheap
	// where few hosts are unread.
	Unread bool
	// Order sorts the hosts; ties are broken by host id.
	Order HostOrder
	// Desc reverses Order (ties included).
	Desc bool
	// Limit caps the number of hosts Hosts returns; 0 means no limit.
	Limit int
	// Offset skips that many hosts of the ordered list first (Hosts only,
	// with a Limit: paging).
	Offset int
	// After keeps the hosts that come after this key in Order (Desc
	// applied): keyset paging, which, unlike Offset, does not walk the
	// hosts it skips. Its Order must be f.Order.
	After *HostKey
}

// HostKey is a host's place in a host list's order: the cursor of a page
// (HostFilter.After).
type HostKey struct {
	// Order is the order the key places the host in.
	Order HostOrder
	// Hostname (HostsByHostname) or Seen (HostsByFirstSeen,
	// HostsByLastSeen): the host's value of the order's column.
	Hostname string
	Seen     time.Time
	// ID breaks ties, and is the whole key of HostsByID.
	ID string
}

// hostKey is the key of a host of these values in order.
func hostKey(order HostOrder, id, hostname string, first, last time.Time) HostKey {
	k := HostKey{Order: order, ID: id}
	switch order {
	case HostsByHostname:
		k.Hostname = hostname
	case HostsByFirstSeen:
		k.Seen = first
	case HostsByLastSeen:
		k.Seen = last
	}
	return k
}

// Key is h's place in a list in order.
func (h Host) Key(order HostOrder) HostKey {
	return hostKey(order, h.ID, h.Hostname, h.FirstSeen, h.LastSeen)
}

// Key is h's place in a list in order.
func (h HostBrief) Key(order HostOrder) HostKey {
	return hostKey(order, h.ID, h.Hostname, h.FirstSeen, h.LastSeen)
}

// HostOrder names the sort of a host list.
type HostOrder string

const (
	HostsByID        HostOrder = "" // the default
	HostsByHostname  HostOrder = "hostname"
	HostsByFirstSeen HostOrder = "first_seen"
	HostsByLastSeen  HostOrder = "last_seen"
)

// RemovedFilter selects parts by removal state.
type RemovedFilter int

const (
	// ActiveOnly (the default): parts currently on their host.
	ActiveOnly RemovedFilter = iota
	// IncludeRemoved: active and removed parts.
	IncludeRemoved
	// OnlyRemoved: removed parts only.
	OnlyRemoved
)

// PartFilter selects parts. Zero fields do not filter; all set fields must
// match.
type PartFilter struct {
	// IDs: part id is one of these.
	IDs []int64
	// HostIDs: the part's host is one of these.
	HostIDs []string
	// Vendor is a vendor slug matched against the id or the parent of the
	// maker and, for memory, of the DRAM maker: "micron" finds Micron
	// modules, Crucial modules (parent micron) and Kingston modules with
	// Micron dies.
	Vendor string
	// MakerOnly restricts Vendor to the maker (module vendor / drive
	// vendor), ignoring the DRAM maker.
	MakerOnly bool
	// Kinds: the part's kind is one of these.
	Kinds []PartKind
	// HostLabels: every selector matches the host's current effective
	// labels.
	HostLabels []LabelSelector
	// Removed selects by removal state; ignored when AsOf is set.
	Removed RemovedFilter
	// AsOf, when non-zero, returns the parts present at that instant: seen
	// on the host at or before AsOf and not removed at AsOf (a part removed
	// and later returned is absent during the gap). The Part values still
	// describe the part as it is now (current slot, removed_at, ...).
	AsOf time.Time
	// SerialPrefix: the serial number starts with it, as typed or
	// upper-cased (a prefix match, indexed; not a substring search).
	SerialPrefix string
	// PartNumberPrefix: the part number (a drive's model) starts with it,
	// as typed or upper-cased.
	PartNumberPrefix string
	// Limit caps the number of parts returned; 0 means no limit.
	Limit int
	// Offset skips that many parts of the ordered list first (Parts only,
	// with a Limit: paging).
	Offset int
	// After keeps the parts that come after this key in the list's order
	// (Desc applied): keyset paging over the parts_listing index, which,
	// unlike Offset, does not walk the parts it skips (Parts only).
	After *PartKey
	// Desc reverses the order of Parts: with After, the parts before the
	// key, nearest first (a previous page).
	Desc bool
}

// PartKey is a part's place in the order of Parts: host id, kind, slot,
// part id.
type PartKey struct {
	HostID string
	Kind   PartKind
	Slot   string
	ID     int64
}

// Key is p's place in the order of Parts.
func (p Part) Key() PartKey { return PartKey{HostID: p.HostID, Kind: p.Kind, Slot: p.Slot, ID: p.ID} }

// EventFilter selects events. Zero fields do not filter.
type EventFilter struct {
	HostID string
	// PartID: events about this part.
	PartID int64
	Kinds  []EventKind
	// Since (inclusive) and Until (exclusive) bound the event time.
	Since time.Time
	Until time.Time
	// AfterID returns only events with a larger id (paging forward).
	AfterID int64
	// Limit caps the number of events returned; 0 means no limit.
	Limit int
	// Newest returns the newest events first (with Limit: the last Limit
	// events).
	Newest bool
}

// OpenFunc opens a store for a DSN of its driver's scheme.
type OpenFunc func(ctx context.Context, dsn string) (Store, error)

var (
	driversMu sync.RWMutex
	drivers   = map[string]OpenFunc{}
)

// Register makes a driver available to Open for the given DSN schemes
// (e.g. "sqlite"; "postgres" and "postgresql"). It panics when a scheme is
// registered twice, which is a programming error at init time.
func Register(open OpenFunc, schemes ...string) {
	driversMu.Lock()
	defer driversMu.Unlock()
	for _, s := range schemes {
		if _, dup := drivers[s]; dup {
			panic("store: driver registered twice for scheme " + s)
		}
		drivers[s] = open
	}
}

// Open opens the store named by dsn: "sqlite:PATH" (PATH may carry
// "?synchronous=normal" and other documented options of the sqlite driver)
// or "postgres://..." / "postgresql://..." (a pgx connection string). The
// scheme is required. The driver must be linked in (see the package
// comment). Open applies pending schema migrations.
func Open(ctx context.Context, dsn string) (Store, error) {
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("open store: dsn %q has no scheme: want sqlite:PATH or postgres://...: %w", redactDSN(dsn), ErrInvalid)
	}
	driversMu.RLock()
	open := drivers[strings.ToLower(scheme)]
	var known []string
	for s := range drivers {
		known = append(known, s)
	}
	driversMu.RUnlock()
	if open == nil {
		sort.Strings(known)
		return nil, fmt.Errorf("open store: unknown dsn scheme %q (registered: %s; link a driver with import _ \".../collector/internal/store/alldrivers\"): %w",
			scheme, strings.Join(known, ", "), ErrInvalid)
	}
	return open(ctx, dsn)
}

// redactDSN hides a password in a URL-like DSN for error messages.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	sep := strings.Index(dsn, "://")
	if at < 0 || sep < 0 || at < sep {
		return dsn
	}
	userinfo := dsn[sep+3 : at]
	if u, _, ok := strings.Cut(userinfo, ":"); ok {
		return dsn[:sep+3] + u + ":xxxxx" + dsn[at:]
	}
	return dsn
}

// RedactDSN returns dsn with any password replaced, for logs and errors.
func RedactDSN(dsn string) string { return redactDSN(dsn) }
