// Package ledger holds the collector's pure ledger logic: part identities,
// placeholder serial detection, the inventory digest shared by agent and
// collector, and the diff between a host's stored parts and a new
// inventory. It does no I/O; the store drivers persist what it computes.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"

	inv "github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Digest is the inventory digest agents send in heartbeats
// (internal/inventory.Digest): one implementation, so agent and collector
// can never disagree.
func Digest(i *memledgerv1.Inventory) (string, error) { return inv.Digest(i) }

// DigestInput returns the bytes Digest hashes, for debugging digest
// mismatches.
func DigestInput(i *memledgerv1.Inventory) ([]byte, error) { return inv.DigestInput(i) }

// DigestWithInput returns Digest(i) and DigestInput(i) with one encoding,
// for ObserveEncoded.
func DigestWithInput(i *memledgerv1.Inventory) (string, []byte, error) {
	return digestWithInput(inv.DigestInput, i)
}

// DigestWithInputValidUTF8 is DigestWithInput for an inventory whose
// strings are known to be valid UTF-8 (validated): the same result from
// the generated encoder, which does not check
// (internal/inventory.DigestInputValidUTF8).
func DigestWithInputValidUTF8(i *memledgerv1.Inventory) (string, []byte, error) {
	return digestWithInput(inv.DigestInputValidUTF8, i)
}

func digestWithInput(input func(*memledgerv1.Inventory) ([]byte, error), i *memledgerv1.Inventory) (string, []byte, error) {
	b, err := input(i)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), b, nil
}
