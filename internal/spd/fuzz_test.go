package spd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/memledger/memledger/internal/hexdump"
	"github.com/memledger/memledger/internal/spd/spdtest"
	"github.com/memledger/memledger/internal/testcorpus"
)

func seedImages() [][]byte {
	k := spdtest.NewDDR4()
	k.ModuleMaker, k.DRAMMaker, k.PartNumber, k.Serial = kingston, micron, "KSM32RD8/16MEI", 0xdeadbeef
	k.ModuleType, k.Ranks = "RDIMM", 2
	d5 := spdtest.NewDDR5()
	d5.ModuleMaker, d5.DRAMMaker, d5.PartNumber = skHynix, skHynix, "HMCG88AEBRA107N"
	l5 := spdtest.NewLPDDR5()
	seeds := [][]byte{k.Bytes(), d5.Bytes(), l5.Bytes(), ddr3Image(true), ddr3Image(false), k.Bytes()[:256]}
	if dir := testcorpus.SharedDir(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "corpus", "illumos-libjedec-spd", "*", "*.spd"))
		for _, p := range files {
			text, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if img, err := hexdump.Decode(text); err == nil {
				seeds = append(seeds, img)
			}
		}
	}
	return seeds
}

func FuzzDecode(f *testing.F) {
	for _, s := range seedImages() {
		f.Add(s)
	}
	f.Add([]byte{0x23, 0x11, 0x0c})
	f.Add([]byte{0x30, 0x10, 0x12, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		switch {
		case err == nil:
		case errors.Is(err, ErrTruncated):
			var te *TruncatedError
			if !errors.As(err, &te) || len(te.Missing) == 0 || te.Len != len(b) {
				t.Fatalf("bad TruncatedError %v", err)
			}
		case errors.Is(err, ErrTooShort), errors.Is(err, ErrUnknownType):
			if m != nil {
				t.Fatalf("module returned with fatal error %v", err)
			}
			return
		default:
			t.Fatalf("unexpected error kind: %v", err)
		}
		if m == nil {
			t.Fatal("nil module without fatal error")
		}
		if m.MemoryType == "" {
			t.Fatal("empty memory type")
		}
		for _, c := range m.CRCs {
			if c.Start < 0 || c.End+2 >= len(b) || c.Computed != CRC16(b[c.Start:c.End+1]) {
				t.Fatalf("inconsistent CRC %+v for %d-byte image", c, len(b))
			}
		}
		if m.ModuleManufacturerOK && !m.ModuleManufacturer.Valid() {
			t.Fatalf("module maker %v marked OK but invalid", m.ModuleManufacturer)
		}
		if m.DRAMManufacturerOK && !m.DRAMManufacturer.Valid() {
			t.Fatalf("DRAM maker %v marked OK but invalid", m.DRAMManufacturer)
		}
		if (m.ManufactureWeek != 0 && (m.ManufactureWeek < 1 || m.ManufactureWeek > 53)) ||
			(m.ManufactureYear != 0 && (m.ManufactureYear < 2000 || m.ManufactureYear > 2099)) {
			t.Fatalf("impossible date %d/%d", m.ManufactureYear, m.ManufactureWeek)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name string
		img  []byte
	}{
		{"DDR4", seedImages()[0]},
		{"DDR5", seedImages()[1]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(bc.img); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
