package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/memledger/memledger/collector/internal/store"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// ActiveSerials returns the serial numbers of the parts st holds as
// installed on host, sorted: compared with Serials of the host's last
// inventory, it tells whether the ledger ended where the reports did.
func ActiveSerials(tb testing.TB, st store.Store, host string) []string {
	tb.Helper()
	parts, err := st.Parts(context.Background(), store.PartFilter{HostIDs: []string{host}})
	if err != nil {
		tb.Fatal(err)
	}
	s := make([]string, 0, len(parts))
	for _, p := range parts {
		s = append(s, p.SerialNumber)
	}
	slices.Sort(s)
	return s
}

// Serials returns the serial numbers of inv's memory modules and drives,
// sorted.
func Serials(inv *memledgerv1.Inventory) []string {
	var s []string
	for _, m := range inv.GetMemoryModules() {
		s = append(s, m.GetSerialNumber())
	}
	for _, d := range inv.GetStorageDevices() {
		s = append(s, d.GetSerialNumber())
	}
	slices.Sort(s)
	return s
}
