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
	b, err := inv.DigestInput(i)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), b, nil
}
