// Command dumpbin wraps a raw SMBIOS structure table (as in
// /sys/firmware/dmi/tables/DMI or the siderolabs corpus .dmi files) into a
// `dmidecode --dump-bin` file with an SMBIOS 3.x entry point, so tools that
// only read dump-bin files (GNU dmidecode --from-dump) can read it too. The
// benchmarks in docs/benchmarks.md use it.
//
//	go run ./internal/smbios/smbiostest/cmd/dumpbin in.dmi out.bin
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/memledger/memledger/internal/smbios/smbiostest"
)

func main() {
	var major, minor uint
	flag.UintVar(&major, "major", 3, "SMBIOS major version for the entry point")
	flag.UintVar(&minor, "minor", 3, "SMBIOS minor version for the entry point")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: dumpbin [-major 3 -minor 3] RAW_TABLE OUT_DUMP_BIN")
		os.Exit(2)
	}
	table, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dumpbin:", err)
		os.Exit(1)
	}
	dump := smbiostest.DumpBin(smbiostest.EntryPoint30(uint8(major), uint8(minor), 0, uint32(len(table))), table)
	if err := os.WriteFile(flag.Arg(1), dump, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "dumpbin:", err)
		os.Exit(1)
	}
}
