package maker

import (
	"regexp"
	"testing"
)

// BenchmarkIdentifyModule covers the common shapes: a plain name, a Dell
// six-byte code with a module id word, a placeholder with a part number.
func BenchmarkIdentifyModule(b *testing.B) {
	cases := []struct {
		name string
		f    ModuleFacts
	}{
		{"name", ModuleFacts{"Samsung", 0, "M393A4K40DB3-CWE"}},
		{"dell-code", ModuleFacts{"01980000802C", 0x9801, "XVTW4H-MIE"}},
		{"placeholder+pn", ModuleFacts{"Unknown", 0, "CT16G48C40U5.M8A1"}},
		{"truncated-name", ModuleFacts{"Micron_Technolog", 0, ""}},
		{"invalid-code", ModuleFacts{"1315", 0, "CT8G4DFD8213.C16FAR2"}},
	}
	reg() // build the tables outside the timed loop
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := IdentifyModule(c.f); !r.Module.Known() {
					b.Fatal("unknown")
				}
			}
		})
	}
}

func BenchmarkIdentifyDrive(b *testing.B) {
	f := DriveFacts{Model: "WDC WD40EFRX-68N32N0", VendorRaw: "ATA", Transport: "sata"}
	reg()
	b.ReportAllocs()
	for b.Loop() {
		if r := IdentifyDrive(f); !r.Vendor.Known() {
			b.Fatal("unknown")
		}
	}
}

// BenchmarkCompileSchemes is what compiling every scheme row of
// partnumbers.tsv would cost; a scan compiles only the schemes whose
// literal prefix its part numbers start with.
func BenchmarkCompileSchemes(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range partNumberSchemes {
			regexp.MustCompile(s.pattern)
		}
	}
}
