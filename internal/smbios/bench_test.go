package smbios_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	"github.com/memledger/memledger/internal/testcorpus"
)

// BenchmarkParseLargest decodes the largest binary dump of the shared
// corpus and every memory device in it, as the agent does once per run.
func BenchmarkParseLargest(b *testing.B) {
	dir := testcorpus.Dir(b, "corpus", "smbios-binary-dumps")
	var largest string
	var size int64
	for _, pattern := range []string{"*/*.bin", "*/*.dmi"} {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil && fi.Size() > size {
				largest, size = f, fi.Size()
			}
		}
	}
	if largest == "" {
		b.Skipf("corpus not found at %s: no .bin or .dmi files", dir)
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("largest dump: %s (%d bytes)", filepath.Base(largest), len(data))
	benchParse(b, data)
}

// BenchmarkParseSynthetic24DIMM decodes a two-socket server table with 24
// populated SMBIOS 3.3 DIMM slots.
func BenchmarkParseSynthetic24DIMM(b *testing.B) {
	bld := smbiostest.NewBuilder()
	bld.AddSystem(smbiostest.System{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R750", UUID: dellUUID})
	bld.AddBaseboard(smbiostest.Baseboard{Manufacturer: "Dell Inc.", Product: "0PJ4DY"})
	for i := range 24 {
		md := fullDevice
		md.Locator = fmt.Sprintf("%c%d", 'A'+i/12, i%12+1)
		md.SerialNumber = fmt.Sprintf("%08X", 0x3A1B2C00+i)
		bld.AddMemoryDevice(md)
	}
	bld.AddEndOfTable()
	table := bld.Bytes()
	benchParse(b, smbiostest.DumpBin(smbiostest.EntryPoint30(3, 3, 0, uint32(len(table))), table))
}

func benchParse(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		tab, err := smbios.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if mds, errs := tab.MemoryDevices(); len(mds) == 0 || len(errs) != 0 {
			b.Fatalf("%d devices, errors %v", len(mds), errs)
		}
	}
}
