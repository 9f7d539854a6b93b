package dmidecode

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkParse parses the largest dmidecode text of the shared corpus (a
// full dmidecode 3.2 output of a 24-slot Dell server).
func BenchmarkParse(b *testing.B) {
	var largest []byte
	for _, path := range corpusTexts(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if len(data) > len(largest) {
			largest = data
		}
	}
	b.SetBytes(int64(len(largest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(largest)); err != nil {
			b.Fatal(err)
		}
	}
}
