// Package ledger holds the collector's pure ledger logic: part identities,
// placeholder serial detection, the inventory digest shared by agent and
// collector, and the diff between a host's stored parts and a new
// inventory. It does no I/O; the store drivers persist what it computes.
package ledger

import (
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
