// Package inventory holds small helpers over memledger.v1.Inventory shared
// by the agent and the collector.
package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/memledger/memledger/internal/maker"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// collectedAtField is the Inventory field left out of the digest: two scans
// of an unchanged host differ only by it.
const collectedAtField protoreflect.Name = "collected_at"

// Digest identifies an inventory's content: the lowercase hex SHA-256 of its
// deterministic protobuf encoding (proto.MarshalOptions{Deterministic: true})
// with collected_at cleared, so two scans of an unchanged host have the same
// digest. Agents send it in heartbeats; the collector compares it with the
// last full inventory it holds. Deterministic encoding is stable for one
// protobuf library version and one schema: agent and collector built from
// this module agree. inv is not modified.
func Digest(inv *memledgerv1.Inventory) (string, error) {
	b, err := DigestInput(inv)
	if err != nil {
		return "", err
	}
	return DigestOf(b), nil
}

// DigestOf is the digest of an inventory whose DigestInput (or
// DigestInputValidUTF8) is b: for a caller that keeps the encoding too.
func DigestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// The domains an Inventory's incomplete field names: what a scan could not
// read completely, so that the parts it lists of that kind are not all the
// host's.
const (
	// IncompleteMemory: the memory modules (and the platform facts read
	// from the same tables). Neither the SMBIOS tables nor udev's copy of
	// them could be read, or the SMBIOS table is damaged and its decoding
	// stopped before the end or left a memory device out.
	IncompleteMemory = "memory"
	// IncompleteStorage: the drives. The block-device listing failed.
	IncompleteStorage = "storage"
)

// DigestInput returns the bytes Digest hashes, for debugging digest
// mismatches between agent and collector.
func DigestInput(inv *memledgerv1.Inventory) ([]byte, error) {
	if inv == nil {
		return nil, errors.New("inventory digest: nil inventory")
	}
	// A shallow copy without collected_at: cheaper than proto.Clone and
	// leaves the caller's message untouched. Fields added to the schema
	// later are carried over by the reflective copy.
	src := inv.ProtoReflect()
	dst := src.New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Name() != collectedAtField {
			dst.Set(fd, v)
		}
		return true
	})
	if u := src.GetUnknown(); len(u) > 0 {
		dst.SetUnknown(u)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(dst.Interface())
	if err != nil {
		return nil, fmt.Errorf("inventory digest: encode inventory: %w", err)
	}
	return b, nil
}

// hostNumber and labelsNumber are looked up on first use: the lookup
// builds the file descriptor, work a command that never digests an
// inventory should not pay at start-up.
var hostNumber = sync.OnceValue(func() protowire.Number {
	return (&memledgerv1.Inventory{}).ProtoReflect().Descriptor().Fields().ByName("host").Number()
})

// DigestInputValidUTF8 returns the bytes DigestInput returns, encoded by
// the generated code (vtprotobuf) instead of protobuf-go's reflective
// encoder, in a third of the time: the collector digests every full report
// it receives. Unlike DigestInput it does not check that the inventory's
// strings are valid UTF-8, so callers pass only inventories known to be
// (the collector's, after validation); given others, it would return bytes
// DigestInput refuses to produce.
//
// Why the bytes are the same: protobuf-go's deterministic encoding and
// vtprotobuf's strict one both write known fields in field-number order
// and unknown fields last, and neither has a choice elsewhere, except in
// the order of map entries: protobuf-go's deterministic encoding sorts them
// by key, vtprotobuf leaves them to map iteration. The one map,
// host.labels, is therefore rewritten in key order (writeHostRecord).
// TestDigestInputValidUTF8 (every field of the schema set, labels among
// them) and FuzzDigestInputValidUTF8 compare the two.
func DigestInputValidUTF8(inv *memledgerv1.Inventory) ([]byte, error) {
	if inv == nil {
		return nil, errors.New("inventory digest: nil inventory")
	}
	// The inventory less host and collected_at, sharing inv's values. A
	// field added to the schema must be added here: the tests fail until
	// it is (they set every field).
	rest := &memledgerv1.Inventory{
		AgentVersion:   inv.AgentVersion,
		MemoryModules:  inv.MemoryModules,
		StorageDevices: inv.StorageDevices,
		Warnings:       inv.Warnings,
		Sources:        inv.Sources,
		Incomplete:     inv.Incomplete,
	}
	if u := inv.ProtoReflect().GetUnknown(); len(u) > 0 {
		rest.ProtoReflect().SetUnknown(u)
	}
	hostLen, head := 0, 0
	if inv.Host != nil {
		hostLen = inv.Host.SizeVT()
		head = protowire.SizeTag(hostNumber()) + protowire.SizeBytes(hostLen)
	}
	// One buffer: the host record first, then the rest, which the
	// generated code writes backwards from the end.
	out := make([]byte, head+rest.SizeVT())
	if _, err := rest.MarshalToSizedBufferVTStrict(out[head:]); err != nil {
		return nil, fmt.Errorf("inventory digest: encode inventory: %w", err)
	}
	if inv.Host != nil {
		if err := writeHostRecord(out[:head], inv.Host, hostLen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeHostRecord fills rec, sized for it, with the inventory's host field
// (tag, length, the record h of hostLen bytes) as protobuf-go's
// deterministic encoding writes it.
func writeHostRecord(rec []byte, h *memledgerv1.Host, hostLen int) error {
	b := protowire.AppendTag(rec[:0], hostNumber(), protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(hostLen))
	body := rec[len(b):]
	if len(body) != hostLen {
		return fmt.Errorf("inventory digest: host record is %d bytes, sized %d", len(body), hostLen)
	}
	if _, err := h.MarshalToSizedBufferVTStrict(body); err != nil {
		return fmt.Errorf("inventory digest: encode host: %w", err)
	}
	if len(h.Labels) < 2 {
		return nil
	}
	// The labels are field 3: in field order they follow host_id and
	// hostname, one entry each, and their entries take the same bytes
	// in any order. Write them again over the same bytes, sorted by key
	// as protobuf-go does (bytewise, Go's string order).
	keys := make([]string, 0, len(h.Labels))
	for k := range h.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	from := (&memledgerv1.Host{HostId: h.HostId, Hostname: h.Hostname}).SizeVT()
	w := body[from:from]
	labelsField := labelsNumber()
	for _, k := range keys {
		v := h.Labels[k]
		entry := protowire.SizeTag(1) + protowire.SizeBytes(len(k)) + protowire.SizeTag(2) + protowire.SizeBytes(len(v))
		if len(w)+protowire.SizeTag(labelsField)+protowire.SizeBytes(entry) > len(body)-from {
			return fmt.Errorf("inventory digest: host labels overrun the %d-byte host record", hostLen)
		}
		w = protowire.AppendTag(w, labelsField, protowire.BytesType)
		w = protowire.AppendVarint(w, uint64(entry))
		w = protowire.AppendTag(w, 1, protowire.BytesType)
		w = protowire.AppendString(w, k)
		w = protowire.AppendTag(w, 2, protowire.BytesType)
		w = protowire.AppendString(w, v)
	}
	return nil
}

var labelsNumber = sync.OnceValue(func() protowire.Number {
	return (&memledgerv1.Host{}).ProtoReflect().Descriptor().Fields().ByName("labels").Number()
})

// Slot names a module's slot for people: its locator, qualified by the bank
// locator when that adds something ("P0 CHANNEL A/DIMM 1"), both trimmed.
// It is the one slot name: the agent prints it and the ledger stores it.
func Slot(m *memledgerv1.MemoryModule) string {
	loc, bank := strings.TrimSpace(m.GetLocator()), strings.TrimSpace(m.GetBankLocator())
	if unsetLocator(bank) {
		bank = ""
	}
	switch {
	case loc == "" && bank == "":
		return ""
	case bank == "" || strings.Contains(loc, bank):
		return loc
	case loc == "":
		return bank
	default:
		return bank + "/" + loc
	}
}

// unsetLocator reports the placeholders firmware writes into locators it
// does not fill in.
func unsetLocator(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "not specified", "unknown", "none", "n/a", "to be filled by o.e.m.":
		return true
	}
	return false
}

// VendorProto is the wire form of a maker identification, with its
// evidence copied; nil when the maker is unknown, so that an unidentified
// maker is absent from the inventory rather than present and empty.
func VendorProto(v maker.Attribution) *memledgerv1.Vendor {
	if !v.Known() {
		return nil
	}
	return &memledgerv1.Vendor{
		Id:       v.ID,
		Name:     v.Name,
		Parent:   v.Parent,
		Evidence: slices.Clone(v.Evidence),
		Jep106:   v.JEP106,
	}
}
