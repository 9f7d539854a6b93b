package vendor

import "testing"

// BenchmarkBuildRegistry measures the one-time cost every one-shot scan pays
// on its first identification.
func BenchmarkBuildRegistry(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buildRegistry()
	}
}
