package spd_test

import (
	"fmt"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/spd"
	"github.com/memledger/memledger/internal/spd/spdtest"
)

// A Kingston module built on Micron DRAM: SMBIOS would only say "Kingston";
// the SPD names the die maker too.
func ExampleDecode() {
	b := spdtest.NewDDR4()
	b.ModuleMaker = jep106.ID{Bank: 2, Code: 0x18}
	b.DRAMMaker = jep106.ID{Bank: 1, Code: 0x2C}
	b.PartNumber = "KSM32RD8/16MEI"
	b.ModuleType, b.Ranks, b.ECC = "RDIMM", 2, true

	m, err := spd.Decode(b.Bytes())
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	module, _ := m.ModuleManufacturer.Name()
	dram, _ := m.DRAMManufacturer.Name()
	fmt.Println(m.MemoryType, m.ModuleType, m.PartNumber, m.SizeBytes>>30, "GiB")
	fmt.Println("module:", module, m.ModuleManufacturer)
	fmt.Println("DRAM:  ", dram, m.DRAMManufacturer)
	fmt.Println("CRC OK:", m.CRCOK())
	// Output:
	// DDR4 RDIMM KSM32RD8/16MEI 16 GiB
	// module: Kingston 2:0x18
	// DRAM:   Micron Technology 1:0x2C
	// CRC OK: true
}
