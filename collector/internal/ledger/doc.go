// Package ledger holds the collector's pure ledger logic: part identities,
// placeholder serial detection, and the diff between a host's stored parts
// and a new inventory. It does no I/O; the store drivers persist what it
// computes. The inventory digest agent and collector share is
// internal/inventory's.
package ledger
