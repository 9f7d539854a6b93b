// Package inventory holds small helpers over memledger.v1.Inventory shared
// by the agent and the collector.
package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Digest identifies an inventory's content: the hex SHA-256 of its
// deterministic protobuf encoding with collected_at cleared, so two scans of
// an unchanged host have the same digest. Agents send it in heartbeats; the
// collector compares it with the last full inventory it holds.
func Digest(inv *memledgerv1.Inventory) (string, error) {
	c := proto.Clone(inv).(*memledgerv1.Inventory)
	c.CollectedAt = nil
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding inventory for its digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Slot names a module's slot for people: its locator, qualified by the bank
// locator when that adds something ("P0 CHANNEL A/DIMM 1").
func Slot(m *memledgerv1.MemoryModule) string {
	loc, bank := m.GetLocator(), m.GetBankLocator()
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
