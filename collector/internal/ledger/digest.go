// Package ledger holds the collector's pure ledger logic: part identities,
// placeholder serial detection, the inventory digest shared by agent and
// collector, and the diff between a host's stored parts and a new
// inventory. It does no I/O; the store drivers persist what it computes.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// collectedAtField is the Inventory field excluded from the digest: two scans
// of an unchanged host differ only by it.
const collectedAtField protoreflect.Name = "collected_at"

// Digest returns the inventory digest: the lowercase hex SHA-256 of the
// deterministic protobuf encoding (proto.MarshalOptions{Deterministic: true})
// of inv with collected_at cleared. Agents send it in heartbeats and the
// collector compares it with the one of the last full inventory it stored.
//
// Deterministic encoding is stable for one protobuf library version and one
// schema; agent and collector built from this module agree. The agent, which
// cannot import this package, uses internal/inventory.Digest: the same rule,
// and a test here checks that both give the same digest. inv is not
// modified.
func Digest(inv *memledgerv1.Inventory) (string, error) {
	b, err := DigestInput(inv)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

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
