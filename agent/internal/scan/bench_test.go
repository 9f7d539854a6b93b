package scan

import (
	"context"
	"testing"

	"github.com/memledger/memledger/internal/hostfixture"
)

// BenchmarkScanLargeServer is a full scan (SMBIOS, 24 SPD EEPROMs, 8 NVMe
// drives, host identity) of a synthetic 24-DIMM, 8-drive host tree. Target
// (issue 3): under 10 ms of CPU per scan. Run with
//
//	go test -run '^$' -bench ScanLargeServer -benchmem ./agent/internal/scan/
func BenchmarkScanLargeServer(b *testing.B) {
	root := b.TempDir()
	if err := hostfixture.Build(root, hostfixture.LargeServer(24, 8)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	inv, err := Scan(ctx, Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	if len(inv.GetMemoryModules()) != 24 || len(inv.GetStorageDevices()) != 8 {
		b.Fatalf("fixture scanned as %d modules and %d drives", len(inv.GetMemoryModules()), len(inv.GetStorageDevices()))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(ctx, Options{Root: root}); err != nil {
			b.Fatal(err)
		}
	}
}
