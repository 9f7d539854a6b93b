package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/internal/pki"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// ErrInvalidReport is wrapped by every validation error, so callers can tell
// a bad report (the agent's fault, InvalidArgument) from a server failure.
var ErrInvalidReport = errors.New("invalid report")

// ValidationError says which field of a report is wrong and why.
type ValidationError struct {
	// Field is the path of the offending field, e.g.
	// "inventory.memory_modules[3].part_number"; "" for the report as a whole.
	Field string
	// Reason is a short sentence, e.g. "2048 bytes, more than the limit of 1024".
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalidReport) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidReport }

// Limits bound what one report may carry. Reports are untrusted input: the
// limits keep one agent from making the collector store or hold absurd
// amounts of data. Zero fields mean "use the default" (see DefaultLimits).
type Limits struct {
	// MaxStringBytes bounds every other string (default 1024).
	MaxStringBytes int
	// MaxModules bounds inventory.memory_modules (default 1024).
	MaxModules int
	// MaxDrives bounds inventory.storage_devices (default 1024).
	MaxDrives int
	// MaxParts bounds memory modules and drives together (default 1024:
	// real hosts carry hundreds). It bounds the ledger events one report
	// can make: at most 2 × MaxParts + 2.
	MaxParts int
	// MaxLabels bounds inventory.host.labels (default 64).
	MaxLabels int
	// MaxWarnings bounds inventory.warnings (default 1024). Reports over the
	// limit are rejected, not truncated: truncating would change the
	// inventory digest and break the agent's heartbeats.
	MaxWarnings int
	// MaxListItems bounds every other repeated field, e.g. sources and
	// vendor evidence (default 64).
	MaxListItems int
}

// DefaultLimits returns the limits the collector uses unless configured.
func DefaultLimits() Limits {
	return Limits{
		MaxStringBytes: 1024,
		MaxModules:     1024,
		MaxDrives:      1024,
		MaxParts:       1024,
		MaxLabels:      64,
		MaxWarnings:    1024,
		MaxListItems:   64,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.MaxStringBytes, d.MaxStringBytes)
	fill(&l.MaxModules, d.MaxModules)
	fill(&l.MaxDrives, d.MaxDrives)
	fill(&l.MaxParts, d.MaxParts)
	fill(&l.MaxLabels, d.MaxLabels)
	fill(&l.MaxWarnings, d.MaxWarnings)
	fill(&l.MaxListItems, d.MaxListItems)
	return l
}

// digestLen is the length of a hex SHA-256 digest.
const digestLen = 64

// ValidateReport checks one report from an agent: host id present and sane,
// sequence non-zero, exactly one body, and the body within the limits. The
// error is a *ValidationError wrapping ErrInvalidReport.
func ValidateReport(req *memledgerv1.ReportRequest, lim Limits) error {
	lim = lim.withDefaults()
	if req == nil {
		return &ValidationError{Reason: "empty report"}
	}
	if err := validateHostID("host_id", req.GetHostId(), lim); err != nil {
		return err
	}
	if req.GetSequence() == 0 {
		return &ValidationError{Field: "sequence", Reason: "required (0 is not a valid sequence)"}
	}
	if ts := req.GetSentAt(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return &ValidationError{Field: "sent_at", Reason: err.Error()}
		}
	}
	switch body := req.GetBody().(type) {
	case *memledgerv1.ReportRequest_Inventory:
		return validateInventory("inventory", body.Inventory, req.GetHostId(), lim)
	case *memledgerv1.ReportRequest_Heartbeat:
		return validateHeartbeat(body.Heartbeat)
	default:
		return &ValidationError{Field: "body", Reason: "required: a report carries an inventory or a heartbeat"}
	}
}

// ValidateInventory checks a full inventory outside a report (for instance
// one loaded from a file by "memledger-collector ingest"): its
// host.host_id must be present and, when hostID is not empty, equal to it;
// every other field must be within lim.
func ValidateInventory(inv *memledgerv1.Inventory, hostID string, lim Limits) error {
	lim = lim.withDefaults()
	if hostID == "" {
		if err := validateHostID("host.host_id", inv.GetHost().GetHostId(), lim); err != nil {
			return err
		}
		hostID = inv.GetHost().GetHostId()
	}
	return validateInventory("", inv, hostID, lim)
}

func validateHostID(field, id string, lim Limits) error {
	switch {
	case id == "":
		return &ValidationError{Field: field, Reason: "required"}
	case len(id) > pki.MaxHostIDBytes:
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d bytes, more than the limit of %d", len(id), pki.MaxHostIDBytes)}
	case !utf8.ValidString(id):
		return &ValidationError{Field: field, Reason: "not valid UTF-8"}
	}
	// Host ids end up in command lines, file names and table cells: no
	// control characters or surrounding blanks.
	for i, r := range id {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return &ValidationError{Field: field, Reason: fmt.Sprintf("control character %U at byte %d", r, i)}
		}
	}
	if strings.TrimSpace(id) != id {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%q has leading or trailing white space", id)}
	}
	return nil
}

func validateHeartbeat(hb *memledgerv1.Heartbeat) error {
	if hb == nil {
		return &ValidationError{Field: "heartbeat", Reason: "empty heartbeat"}
	}
	d := hb.GetInventoryDigest()
	if len(d) != digestLen {
		return &ValidationError{Field: "heartbeat.inventory_digest", Reason: fmt.Sprintf("want %d lowercase hex digits (SHA-256), got %d bytes", digestLen, len(d))}
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return &ValidationError{Field: "heartbeat.inventory_digest", Reason: fmt.Sprintf("byte %d (%q) is not a lowercase hex digit", i, c)}
		}
	}
	if ts := hb.GetCollectedAt(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return &ValidationError{Field: "heartbeat.collected_at", Reason: err.Error()}
		}
	}
	return nil
}

// validateInventory checks inv; prefix is the path of inv in the report
// ("inventory") or "" at the top level.
func validateInventory(prefix string, inv *memledgerv1.Inventory, hostID string, lim Limits) error {
	if inv == nil {
		return &ValidationError{Field: prefix, Reason: "empty inventory"}
	}
	join := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	if inv.GetHost() == nil {
		return &ValidationError{Field: join("host"), Reason: "required"}
	}
	if got := inv.GetHost().GetHostId(); got != hostID {
		return &ValidationError{Field: join("host.host_id"), Reason: fmt.Sprintf("%.80q differs from the report's host_id %.80q", got, hostID)}
	}
	if n := len(inv.GetMemoryModules()); n > lim.MaxModules {
		return &ValidationError{Field: join("memory_modules"), Reason: fmt.Sprintf("%d modules, more than the limit of %d", n, lim.MaxModules)}
	}
	if n := len(inv.GetStorageDevices()); n > lim.MaxDrives {
		return &ValidationError{Field: join("storage_devices"), Reason: fmt.Sprintf("%d drives, more than the limit of %d", n, lim.MaxDrives)}
	}
	if n := len(inv.GetMemoryModules()) + len(inv.GetStorageDevices()); n > lim.MaxParts {
		return &ValidationError{Field: join("memory_modules"), Reason: fmt.Sprintf("%d modules and drives together, more than the limit of %d parts", n, lim.MaxParts)}
	}
	if n := len(inv.GetWarnings()); n > lim.MaxWarnings {
		return &ValidationError{Field: join("warnings"), Reason: fmt.Sprintf("%d warnings, more than the limit of %d", n, lim.MaxWarnings)}
	}
	if n := len(inv.GetHost().GetLabels()); n > lim.MaxLabels {
		return &ValidationError{Field: join("host.labels"), Reason: fmt.Sprintf("%d labels, more than the limit of %d", n, lim.MaxLabels)}
	}
	c := checker{lim: lim}
	var root *loc
	if prefix != "" {
		root = &loc{name: prefix, index: -1}
	}
	c.inventory(root, inv)
	return c.err
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// loc is a field path built on the stack and only rendered for an error,
// e.g. "inventory.memory_modules[3].module_vendor".
type loc struct {
	parent *loc
	name   string
	index  int // list index, -1 for none
}

func (l *loc) String() string {
	if l == nil {
		return ""
	}
	var b strings.Builder
	l.write(&b)
	return b.String()
}

func (l *loc) write(b *strings.Builder) {
	if l.parent != nil {
		l.parent.write(b)
		b.WriteByte('.')
	}
	b.WriteString(l.name)
	if l.index >= 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(l.index))
		b.WriteByte(']')
	}
}

// field renders the path of field name inside l ("" names l itself).
func (l *loc) field(name string) string {
	switch {
	case l == nil:
		return name
	case name == "":
		return l.String()
	}
	return l.String() + "." + name
}

// checker validates the strings, lists and timestamps of an inventory. It
// is written out per message, not reflective, because it runs on every
// report (a reflective walk cost ~25µs per 20-part report);
// TestCheckerCoversSchema fails when a field is added to the schema and not
// here.
type checker struct {
	lim Limits
	err error // the first problem found
}

func (c *checker) fail(l *loc, field, format string, args ...any) {
	if c.err == nil {
		c.err = &ValidationError{Field: l.field(field), Reason: fmt.Sprintf(format, args...)}
	}
}

// str checks one string field.
func (c *checker) str(l *loc, field, v string) {
	if len(v) <= c.lim.MaxStringBytes && utf8.ValidString(v) {
		return
	}
	if len(v) > c.lim.MaxStringBytes {
		c.fail(l, field, "%d bytes, more than the limit of %d", len(v), c.lim.MaxStringBytes)
		return
	}
	c.fail(l, field, "not valid UTF-8 (byte %d)", firstInvalidUTF8(v))
}

// strs checks a repeated string field.
func (c *checker) strs(l *loc, field string, vs []string) {
	if len(vs) > c.lim.MaxListItems {
		c.fail(l, field, "%d items, more than the limit of %d", len(vs), c.lim.MaxListItems)
		return
	}
	for i, v := range vs {
		if len(v) > c.lim.MaxStringBytes || !utf8.ValidString(v) {
			c.str(l, field+"["+strconv.Itoa(i)+"]", v)
			return
		}
	}
}

func (c *checker) timestamp(l *loc, field string, ts *timestamppb.Timestamp) {
	if ts == nil {
		return
	}
	if err := ts.CheckValid(); err != nil {
		c.fail(l, field, "%v", err)
	}
}

// unknown bounds the unknown fields of a message (sent by a newer agent:
// kept, they are part of the digest, but bounded like everything else).
func (c *checker) unknown(l *loc, m interface{ ProtoReflect() protoreflect.Message }) {
	if u := m.ProtoReflect().GetUnknown(); len(u) > 4*c.lim.MaxStringBytes {
		c.fail(l, "(unknown fields)", "%d bytes, more than the limit of %d", len(u), 4*c.lim.MaxStringBytes)
	}
}

func (c *checker) inventory(l *loc, inv *memledgerv1.Inventory) {
	c.unknown(l, inv)
	c.host(&loc{parent: l, name: "host", index: -1}, inv.GetHost())
	c.timestamp(l, "collected_at", inv.GetCollectedAt())
	c.str(l, "agent_version", inv.GetAgentVersion())
	for i, m := range inv.GetMemoryModules() {
		if c.err != nil {
			return
		}
		ml := &loc{parent: l, name: "memory_modules", index: i}
		if m == nil {
			c.fail(ml, "", "null")
			return
		}
		c.module(ml, m)
	}
	for i, d := range inv.GetStorageDevices() {
		if c.err != nil {
			return
		}
		dl := &loc{parent: l, name: "storage_devices", index: i}
		if d == nil {
			c.fail(dl, "", "null")
			return
		}
		c.drive(dl, d)
	}
	for i, w := range inv.GetWarnings() {
		if c.err != nil {
			return
		}
		wl := &loc{parent: l, name: "warnings", index: i}
		if w == nil {
			c.fail(wl, "", "null")
			return
		}
		c.unknown(wl, w)
		c.str(wl, "source", w.GetSource())
		c.str(wl, "message", w.GetMessage())
		c.str(wl, "subject", w.GetSubject())
	}
	c.strs(l, "sources", inv.GetSources())
	c.strs(l, "incomplete", inv.GetIncomplete())
}

func (c *checker) host(l *loc, h *memledgerv1.Host) {
	if h == nil {
		return
	}
	c.unknown(l, h)
	// host_id is checked against the report's; its length and UTF-8 here.
	c.str(l, "host_id", h.GetHostId())
	c.str(l, "hostname", h.GetHostname())
	for k, v := range h.GetLabels() {
		switch {
		case len(k) > c.lim.MaxStringBytes:
			c.fail(l, "labels", "key of %d bytes, more than the limit of %d", len(k), c.lim.MaxStringBytes)
		case !utf8.ValidString(k):
			c.fail(l, "labels", "key %q not valid UTF-8 (byte %d)", k, firstInvalidUTF8(k))
		case len(v) > c.lim.MaxStringBytes || !utf8.ValidString(v):
			c.str(l, fmt.Sprintf("labels[%.40q]", k), v)
		}
	}
	c.str(l, "os", h.GetOs())
	c.str(l, "kernel", h.GetKernel())
	c.str(l, "system_manufacturer", h.GetSystemManufacturer())
	c.str(l, "system_product", h.GetSystemProduct())
	c.str(l, "system_serial", h.GetSystemSerial())
	c.str(l, "system_uuid", h.GetSystemUuid())
	c.str(l, "baseboard_manufacturer", h.GetBaseboardManufacturer())
	c.str(l, "baseboard_product", h.GetBaseboardProduct())
	c.str(l, "baseboard_serial", h.GetBaseboardSerial())
	c.str(l, "system_version", h.GetSystemVersion())
	c.str(l, "virtualization", h.GetVirtualization())
	c.str(l, "architecture", h.GetArchitecture())
	c.str(l, "smbios_version", h.GetSmbiosVersion())
}

func (c *checker) vendor(l *loc, field string, v *memledgerv1.Vendor) {
	if v == nil {
		return
	}
	vl := &loc{parent: l, name: field, index: -1}
	c.unknown(vl, v)
	c.str(vl, "id", v.GetId())
	c.str(vl, "name", v.GetName())
	c.str(vl, "parent", v.GetParent())
	c.strs(vl, "evidence", v.GetEvidence())
	c.str(vl, "jep106", v.GetJep106())
}

func (c *checker) module(l *loc, m *memledgerv1.MemoryModule) {
	c.unknown(l, m)
	c.str(l, "locator", m.GetLocator())
	c.str(l, "bank_locator", m.GetBankLocator())
	c.str(l, "memory_type", m.GetMemoryType())
	c.str(l, "form_factor", m.GetFormFactor())
	c.str(l, "manufacturer_raw", m.GetManufacturerRaw())
	c.str(l, "part_number", m.GetPartNumber())
	c.str(l, "serial_number", m.GetSerialNumber())
	c.str(l, "asset_tag", m.GetAssetTag())
	c.vendor(l, "module_vendor", m.GetModuleVendor())
	c.vendor(l, "dram_vendor", m.GetDramVendor())
	c.str(l, "source", m.GetSource())
	c.str(l, "module_manufacturer_id", m.GetModuleManufacturerId())
	c.str(l, "dram_manufacturer_id", m.GetDramManufacturerId())
	c.str(l, "type_detail", m.GetTypeDetail())
	c.str(l, "part_number_raw", m.GetPartNumberRaw())
	if spd := m.GetSpd(); spd != nil {
		sl := &loc{parent: l, name: "spd", index: -1}
		c.unknown(sl, spd)
		c.str(sl, "module_type", spd.GetModuleType())
		c.str(sl, "manufacture_date", spd.GetManufactureDate())
		c.str(sl, "spd_revision", spd.GetSpdRevision())
		c.str(sl, "path", spd.GetPath())
		c.strs(sl, "warnings", spd.GetWarnings())
	}
	c.policy(l, m.GetPolicy())
}

// policy checks the policy findings of a part.
func (c *checker) policy(l *loc, findings []*memledgerv1.PolicyFinding) {
	if len(findings) > c.lim.MaxListItems {
		c.fail(l, "policy", "%d items, more than the limit of %d", len(findings), c.lim.MaxListItems)
		return
	}
	for i, f := range findings {
		fl := &loc{parent: l, name: "policy", index: i}
		if f == nil {
			c.fail(fl, "", "null")
			return
		}
		c.unknown(fl, f)
		c.str(fl, "rule_id", f.GetRuleId())
		c.str(fl, "status", f.GetStatus())
		c.str(fl, "component", f.GetComponent())
		c.str(fl, "reason", f.GetReason())
	}
}

func (c *checker) drive(l *loc, d *memledgerv1.StorageDevice) {
	c.unknown(l, d)
	c.str(l, "name", d.GetName())
	c.str(l, "transport", d.GetTransport())
	c.str(l, "model", d.GetModel())
	c.str(l, "serial_number", d.GetSerialNumber())
	c.str(l, "firmware", d.GetFirmware())
	c.str(l, "wwn", d.GetWwn())
	c.str(l, "pci_vendor_id", d.GetPciVendorId())
	c.str(l, "pci_device_id", d.GetPciDeviceId())
	c.str(l, "pci_subsystem_vendor_id", d.GetPciSubsystemVendorId())
	c.str(l, "pci_subsystem_device_id", d.GetPciSubsystemDeviceId())
	c.vendor(l, "vendor", d.GetVendor())
	c.str(l, "vendor_raw", d.GetVendorRaw())
	c.vendor(l, "controller_vendor", d.GetControllerVendor())
	c.vendor(l, "oem_vendor", d.GetOemVendor())
	// kind is not checked: a newer agent may send a kind this collector
	// does not know, which is kept like any unknown field.
	c.str(l, "source", d.GetSource())
	c.policy(l, d.GetPolicy())
}
