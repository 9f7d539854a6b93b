package snapshot

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/memledger/memledger/internal/hostfixture"
)

// BenchmarkWrite captures a synthetic 24-DIMM, 8-NVMe host tree. Run with
//
//	go test -run '^$' -bench Write -benchmem ./agent/internal/snapshot/
func BenchmarkWrite(b *testing.B) {
	root := buildHost(b, hostfixture.LargeServer(24, 8))
	for _, scrub := range []bool{false, true} {
		name := "plain"
		if scrub {
			name = "scrub-serials"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var size int64
			b.ReportAllocs()
			for b.Loop() {
				w := &countingWriter{}
				if _, err := Write(ctx, w, Options{Root: root, ScrubSerials: scrub, ScrubKey: testKey, Now: fixedNow}); err != nil {
					b.Fatal(err)
				}
				size = w.n
			}
			b.ReportMetric(float64(size), "archive-bytes")
		})
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return io.Discard.Write(p)
}

// BenchmarkExtract unpacks the snapshot of the same host.
func BenchmarkExtract(b *testing.B) {
	archive, _ := writeSnapshot(b, Options{Root: buildHost(b, hostfixture.LargeServer(24, 8))})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		if err := Extract(ctx, bytes.NewReader(archive), dir); err != nil {
			b.Fatal(err)
		}
	}
}
