package scan

import (
	"context"
	"syscall"
	"testing"
	"time"

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
	before := cpuTime()
	for b.Loop() {
		if _, err := Scan(ctx, Options{Root: root}); err != nil {
			b.Fatal(err)
		}
	}
	// Wall time per op includes waiting on the filesystem; the target is
	// about CPU, so report it too (user + system, whole process).
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
