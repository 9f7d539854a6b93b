package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	inventorypkg "github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/placeholder"
	"github.com/memledger/memledger/internal/udev"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// CleanText makes s storable in any text column: invalid UTF-8 becomes
// U+FFFD and NUL bytes become the four characters `\x00` (PostgreSQL text
// cannot hold NUL). The exact original survives in the stored proto bytes.
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", `\x00`)
	}
	return s
}

// Observed is one part as listed in a new inventory, with its identity.
type Observed struct {
	Kind PartKind
	// Identity is the ledger key of the part (see Identity rules on
	// Observe). Always CleanText-clean.
	Identity string
	// RealSerial says the identity rests on a real serial (or drive WWN) and
	// so may be recognised on another host.
	RealSerial bool
	// Slot is inventory.Slot of a memory module (the name the agent prints)
	// or the drive's kernel name, CleanText-clean.
	Slot string
	// SlotKey is what a slot move is detected on: bank locator and locator
	// for memory, the name for drives.
	SlotKey string
	// Exactly one of Memory and Drive is set; they alias the inventory.
	Memory *memledgerv1.MemoryModule
	Drive  *memledgerv1.StorageDevice
	// Proto is the deterministic encoding of Memory or Drive.
	Proto []byte
}

// Observe lists the parts of inv with their identities, memory modules first
// then drives, each in inventory order.
//
// Identity rules:
//   - A part with a real serial number (placeholder.Is false) is
//     "kind|part number|serial", part number (a drive's model) and serial
//     trimmed and uppercased, in one form whatever form a source wrote
//     them in: a module serial written "0x"+hex as the SPD writes it
//     (moduleSerial), a drive's model and serial with udev's '_' for white
//     space read as one space (driveText). A drive whose serial is a
//     placeholder but whose WWN is not uses "wwn:"+WWN instead. The
//     identified maker is left out: it is the agent's conclusion, which
//     improves from one agent release to the next (unknown -> kingston, a
//     renamed slug), while the part number and serial are what the part
//     itself stores and every source (SMBIOS, dmidecode text, SPD, sysfs)
//     reads alike. A maker change of a part, or a change of the form its
//     serial is written in, is then a changed field, not another part.
//   - Otherwise the fingerprint "kind@host|slot key|part number|size".
//   - When a real-serial identity occurs more than once in inv (a firmware
//     that repeats one serial), all those parts fall back to the fingerprint:
//     two physical parts are never merged into one.
//   - When a fingerprint still occurs more than once (same slot key twice,
//     e.g. empty locators), the second gets "#2" appended, the third "#3",
//     in inventory order.
func Observe(hostID string, inv *memledgerv1.Inventory, opts ObserveOptions) ([]Observed, error) {
	if opts.DigestInput == nil {
		return observe(hostID, inv, nil, nil, nil)
	}
	mods, drives, ok := splitParts(opts.DigestInput, len(inv.GetMemoryModules()), len(inv.GetStorageDevices()))
	if !ok || len(mods) != len(inv.GetMemoryModules()) || len(drives) != len(inv.GetStorageDevices()) {
		return observe(hostID, inv, nil, nil, nil)
	}
	return observe(hostID, inv, mods, drives, opts.Memo)
}

// ObserveOptions lets Observe reuse work the caller has done; the zero
// value encodes each part anew.
type ObserveOptions struct {
	// DigestInput, when set, is inventory.DigestInput(inv) (or its
	// DigestInputValidUTF8 twin): each part's Proto is then its slice of
	// that encoding (shared, not copied) instead of a new encoding of the
	// part. The deterministic encoding of a message embeds each
	// sub-message exactly as encoding it alone would, and DigestInput
	// shares the parts with inv. When it is malformed or does not hold
	// one record per part, the parts are encoded anew and Memo is unused.
	DigestInput []byte
	// Memo, when set with DigestInput, is looked up for, and records,
	// what each part alone gives (slot, slot key, real-serial identity),
	// by the part's encoding. Successive inventories of one host share
	// most of their parts, and their encodings.
	Memo *ObserveMemo
}

// ObserveMemo remembers, for one host's next inventory, what observing each
// part of its last one gave from the part alone, by the part's deterministic
// encoding: equal encodings are equal parts (same fields, same values), so
// equal results. It holds the parts of the last inventory only, with their
// strings copied out of the report. The zero value is ready; it is not safe
// for concurrent use.
type ObserveMemo struct {
	// memory and drives map encodings to facts (two maps: a module and a
	// drive could share an encoding, and a string(b) index of a map
	// allocates nothing).
	memory, drives map[string]*memoFacts
	gen            uint64
}

// memoFacts are the fields of an Observed that depend on its part alone
// (Identity only when RealSerial: fingerprints depend on the host and on
// the other parts), and the inventory that last listed the part.
type memoFacts struct {
	slot, slotKey, identity string
	realSerial              bool
	gen                     uint64
}

func (m *ObserveMemo) of(kind PartKind) map[string]*memoFacts {
	if kind == KindMemory {
		return m.memory
	}
	return m.drives
}

// lookup fills o from the memo, if it holds o's encoding.
func (m *ObserveMemo) lookup(o *Observed) bool {
	if m == nil {
		return false
	}
	f, ok := m.of(o.Kind)[string(o.Proto)]
	if !ok {
		return false
	}
	f.gen = m.gen
	o.Slot, o.SlotKey, o.RealSerial, o.Identity = f.slot, f.slotKey, f.realSerial, f.identity
	return true
}

// record keeps what was computed for o, its strings copied: they may
// point into the received message.
func (m *ObserveMemo) record(o *Observed) {
	if m == nil {
		return
	}
	if m.memory == nil {
		m.memory, m.drives = map[string]*memoFacts{}, map[string]*memoFacts{}
	}
	m.of(o.Kind)[string(o.Proto)] = &memoFacts{
		slot: strings.Clone(o.Slot), slotKey: strings.Clone(o.SlotKey), identity: strings.Clone(o.Identity),
		realSerial: o.RealSerial, gen: m.gen,
	}
}

// begin starts an inventory; end forgets the parts it did not list.
func (m *ObserveMemo) begin() {
	if m != nil {
		m.gen++
	}
}

func (m *ObserveMemo) end() {
	if m == nil {
		return
	}
	for _, parts := range []map[string]*memoFacts{m.memory, m.drives} {
		for k, f := range parts {
			if f.gen != m.gen {
				delete(parts, k)
			}
		}
	}
}

// Len is the number of parts the memo holds.
func (m *ObserveMemo) Len() int { return len(m.memory) + len(m.drives) }

var (
	memoryModulesField  = (&memledgerv1.Inventory{}).ProtoReflect().Descriptor().Fields().ByName("memory_modules").Number()
	storageDevicesField = (&memledgerv1.Inventory{}).ProtoReflect().Descriptor().Fields().ByName("storage_devices").Number()
	hostField           = (&memledgerv1.Inventory{}).ProtoReflect().Descriptor().Fields().ByName("host").Number()
)

// HostRecord returns the host record (memledger.v1.Host, deterministic
// encoding) inside digestInput as inventory.DigestInput returns it, without encoding
// it again: a nested message is encoded as it would be on its own. ok is
// false when the input has no host or is not well formed; the caller
// encodes the host then.
func HostRecord(digestInput []byte) (rec []byte, ok bool) {
	found := false
	wellFormed := bytesFields(digestInput, func(num protowire.Number, v []byte) bool {
		if num == hostField {
			rec, found = v, true
			return false
		}
		return true
	})
	return rec, wellFormed && found
}

// splitParts returns the memory_modules and storage_devices records of an
// encoded Inventory, in order; ok is false when b is not well formed. The
// counts expected size the lists.
func splitParts(b []byte, wantMods, wantDrives int) (mods, drives [][]byte, ok bool) {
	mods, drives = make([][]byte, 0, wantMods), make([][]byte, 0, wantDrives)
	ok = bytesFields(b, func(num protowire.Number, v []byte) bool {
		switch num {
		case memoryModulesField:
			mods = append(mods, v)
		case storageDevicesField:
			drives = append(drives, v)
		}
		return true
	})
	return mods, drives, ok
}

// bytesFields calls each for the length-delimited top-level fields of the
// encoded message b, in order, until it returns false; it skips the
// others. It returns false when b is not well formed up to where it
// stopped.
func bytesFields(b []byte, each func(num protowire.Number, v []byte) bool) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return false
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		if !each(num, v) {
			return true
		}
	}
	return true
}

// observe is Observe; mods and drives, when not nil, are the parts'
// encodings, which the Observed's Proto then shares (not copied: most
// observations live as long as their report; whoever keeps one longer
// copies it, so as not to keep the whole encoding alive).
func observe(hostID string, inv *memledgerv1.Inventory, mods, drives [][]byte, memo *ObserveMemo) ([]Observed, error) {
	if inv == nil {
		return nil, fmt.Errorf("observe parts of host %q: nil inventory", hostID)
	}
	memo.begin()
	defer memo.end()
	out := make([]Observed, 0, len(inv.GetMemoryModules())+len(inv.GetStorageDevices()))
	marshal := proto.MarshalOptions{Deterministic: true}
	for i, m := range inv.GetMemoryModules() {
		if m == nil {
			return nil, fmt.Errorf("observe parts of host %q: memory_modules[%d] is null", hostID, i)
		}
		var b []byte
		var err error
		if mods != nil {
			b = mods[i]
		} else if b, err = marshal.Marshal(m); err != nil {
			return nil, fmt.Errorf("observe parts of host %q: encode memory_modules[%d] (locator %q): %w", hostID, i, CleanText(m.GetLocator()), err)
		}
		o := Observed{Kind: KindMemory, Memory: m, Proto: b}
		if !memo.lookup(&o) {
			o.Slot, o.SlotKey = CleanText(inventorypkg.Slot(m)), CleanText(memorySlotKey(m))
			if serial := m.GetSerialNumber(); !placeholder.Is(serial) {
				o.RealSerial = true
				o.Identity = joinKey(string(KindMemory), normID(m.GetPartNumber()), moduleSerial(serial))
			}
			memo.record(&o)
		}
		out = append(out, o)
	}
	for i, d := range inv.GetStorageDevices() {
		if d == nil {
			return nil, fmt.Errorf("observe parts of host %q: storage_devices[%d] is null", hostID, i)
		}
		var b []byte
		var err error
		if drives != nil {
			b = drives[i]
		} else if b, err = marshal.Marshal(d); err != nil {
			return nil, fmt.Errorf("observe parts of host %q: encode storage_devices[%d] (%q): %w", hostID, i, CleanText(d.GetName()), err)
		}
		o := Observed{Kind: KindDrive, Drive: d, Proto: b}
		if !memo.lookup(&o) {
			name := CleanText(strings.TrimSpace(d.GetName()))
			o.Slot, o.SlotKey = name, name
			switch {
			case !placeholder.Is(d.GetSerialNumber()):
				o.RealSerial = true
				o.Identity = joinKey(string(KindDrive), driveText(d.GetModel()), driveText(d.GetSerialNumber()))
			case !placeholder.Is(d.GetWwn()):
				o.RealSerial = true
				o.Identity = joinKey(string(KindDrive), driveText(d.GetModel()), normID("wwn:"+d.GetWwn()))
			}
			memo.record(&o)
		}
		out = append(out, o)
	}

	// Real identities repeated within the inventory are not trusted.
	count := make(map[string]int, len(out))
	for _, o := range out {
		if o.RealSerial {
			count[o.Identity]++
		}
	}
	for i := range out {
		o := &out[i]
		if o.RealSerial && count[o.Identity] > 1 {
			o.RealSerial = false
		}
		if !o.RealSerial {
			o.Identity = fingerprint(hostID, o)
		}
	}
	// Fingerprints repeated: number them in inventory order.
	var seen map[string]int
	for i := range out {
		o := &out[i]
		if o.RealSerial {
			continue
		}
		if seen == nil {
			seen = map[string]int{}
		}
		seen[o.Identity]++
		if n := seen[o.Identity]; n > 1 {
			o.Identity += "#" + strconv.Itoa(n)
		}
	}
	return out, nil
}

// fingerprint builds "kind@host|slot key|PN|size".
func fingerprint(hostID string, o *Observed) string {
	var pn string
	var size uint64
	if o.Memory != nil {
		pn, size = o.Memory.GetPartNumber(), o.Memory.GetSizeBytes()
	} else {
		pn, size = o.Drive.GetModel(), o.Drive.GetSizeBytes()
	}
	return joinKey(string(o.Kind)+"@"+hostID, rawSlotKey(o), normID(pn), strconv.FormatUint(size, 10))
}

// memorySlotKey is "bank locator/locator", trimmed.
func memorySlotKey(m *memledgerv1.MemoryModule) string {
	return strings.TrimSpace(m.GetBankLocator()) + "/" + strings.TrimSpace(m.GetLocator())
}

// rawSlotKey is Observed.SlotKey before CleanText, so that the fingerprint
// escapes NUL itself instead of inheriting CleanText's lossy form.
func rawSlotKey(o *Observed) string {
	if o.Memory != nil {
		return memorySlotKey(o.Memory)
	}
	return strings.TrimSpace(o.Drive.GetName())
}

// normID is a part number, model or serial as identities and fingerprints
// compare it: white space and NUL trimmed at both ends, upper case.
func normID(s string) string {
	return strings.ToUpper(strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == 0 }))
}

// moduleSerial is a memory module's serial as its real-serial identity
// holds it: normID, and a serial written as a hexadecimal number ("0x"
// then hex digits only) as the SPD writes it: its digits without the
// prefix, padded with leading zeros to 8 (the 4 serial bytes of an SPD
// EEPROM, which the agent's SPD decoder writes as "%02X" each), leading
// zeros beyond 8 digits dropped. Firmware copies the SPD's serial into
// SMBIOS and some prints it as "0x750174F7" (Intel S3000AHLX in the
// glpi-agent dmidecode corpus), where the SPD reads "750174F7" and most
// firmware prints that: both are one number, so one part.
//
// A serial without the prefix is left as written: nothing says it is a
// number, and "0000750174F7" and "750174F7" may be different strings a
// maker wrote (no dump in the corpus holds a module serial with leading
// zeros that is not a placeholder), so they stay two identities.
func moduleSerial(s string) string {
	s = normID(s)
	digits, ok := strings.CutPrefix(s, "0X")
	if !ok || digits == "" || strings.TrimLeft(digits, "0123456789ABCDEF") != "" {
		return s
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) < 8 {
		digits = strings.Repeat("0", 8-len(digits)) + digits
	}
	return digits
}

// driveText is a drive's model or serial as its real-serial identity
// holds it: normID spelled as udev spells it (udev.ReplaceWhitespace:
// each inner run of white space one '_'), then each '_' read as a space.
// udev writes spaces as '_' in ID_MODEL and ID_SERIAL_SHORT, so the agent
// reports "Samsung_SSD_860_EVO_500GB" when udev's ID_MODEL is all it read
// and "Samsung SSD 860 EVO 500GB" from ATA IDENTIFY, NVMe sysfs or
// ID_MODEL_ENC (older agents, reading drives through ghw, sent ID_MODEL's
// form); a serial from udev has its inner spaces as '_' where ATA
// IDENTIFY keeps them. Exactly the strings udev spells alike get one
// form; a model with '_' of its own ("Micron_5200_MTFDDAK960TDD") reads
// the same from every source, so still names one drive. udev's other
// replacement in ID_SERIAL_SHORT (a character outside its safe set
// becomes '_') is not undone: '_' cannot say which character it was.
func driveText(s string) string {
	return strings.ReplaceAll(udev.ReplaceWhitespace(normID(s)), "_", " ")
}

// joinKey joins components with '|', escaping '\' and '|' inside them (and
// NUL as `\0`) so that distinct component lists never give the same key.
func joinKey(parts ...string) string {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n) // one allocation where nothing needs escaping (identities of every part of every changed report)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('|')
		}
		// One pass over the bytes finds both what needs escaping and
		// whether the UTF-8 check is needed at all (not for ASCII).
		escape, ascii := false, true
		for j := 0; j < len(p); j++ {
			switch c := p[j]; {
			case c >= utf8.RuneSelf:
				ascii = false
			case c == '\\' || c == '|' || c == 0:
				escape = true
			}
		}
		if !ascii && !utf8.ValidString(p) {
			p = strings.ToValidUTF8(p, "\uFFFD") // adds no byte that needs escaping
		}
		if escape {
			p = strings.ReplaceAll(p, `\`, `\\`)
			p = strings.ReplaceAll(p, `|`, `\|`)
			p = strings.ReplaceAll(p, "\x00", `\0`)
		}
		b.WriteString(p)
	}
	return b.String()
}

// Reidentify is what Observe gives a stored part when it is its host's
// only part: record is the part's stored encoding (a MemoryModule or a
// StorageDevice by kind). Migrations use it to re-derive stored identities
// when the identity rules change. Fingerprints carry no "#n" suffix: the
// caller resolves clashes with the host's other rows.
func Reidentify(hostID string, kind PartKind, record []byte) (Observed, error) {
	return reidentify(hostID, kind, record, 1)
}

// ReidentifyRepeated is what Observe gives a stored part when its host
// lists it next to another part of the same real identity (one part
// number and serial twice): the host's fingerprint, never a real-serial
// identity. Like Reidentify, without "#n" suffix.
func ReidentifyRepeated(hostID string, kind PartKind, record []byte) (Observed, error) {
	return reidentify(hostID, kind, record, 2)
}

// reidentify observes an inventory listing the part copies times and
// returns the first observation.
func reidentify(hostID string, kind PartKind, record []byte, copies int) (Observed, error) {
	inv := &memledgerv1.Inventory{}
	switch kind {
	case KindMemory:
		m := &memledgerv1.MemoryModule{}
		if err := proto.Unmarshal(record, m); err != nil {
			return Observed{}, fmt.Errorf("reidentify a part of host %q: decode memory record: %w", hostID, err)
		}
		for range copies {
			inv.MemoryModules = append(inv.MemoryModules, m)
		}
	case KindDrive:
		d := &memledgerv1.StorageDevice{}
		if err := proto.Unmarshal(record, d); err != nil {
			return Observed{}, fmt.Errorf("reidentify a part of host %q: decode drive record: %w", hostID, err)
		}
		for range copies {
			inv.StorageDevices = append(inv.StorageDevices, d)
		}
	default:
		return Observed{}, fmt.Errorf("reidentify a part of host %q: unknown kind %q", hostID, kind)
	}
	obs, err := Observe(hostID, inv, ObserveOptions{})
	if err != nil {
		return Observed{}, err
	}
	return obs[0], nil
}
