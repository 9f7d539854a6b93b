// Command mkexamples writes the example host trees under examples/ from the
// hostfixture presets, so that a newcomer on a laptop or VM without SMBIOS
// can see what a real server's scan looks like:
//
//	go run ./internal/hostfixture/cmd/mkexamples -out examples
//	memledger-agent scan --root examples/two-socket-server
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/memledger/memledger/internal/hostfixture"
)

func main() {
	out := flag.String("out", "examples", "directory to write the example trees into")
	large := flag.String("large", "", "instead, write the 24-DIMM, 8-drive benchmark host to `DIR`")
	flag.Parse()
	if *large != "" {
		if err := hostfixture.Build(*large, hostfixture.LargeServer(24, 8)); err != nil {
			fmt.Fprintf(os.Stderr, "mkexamples: %v\n", err)
			os.Exit(1)
		}
		fmt.Println("wrote", *large)
		return
	}
	for name, h := range hostfixture.Examples() {
		dir := filepath.Join(*out, name)
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "mkexamples: %v\n", err)
			os.Exit(1)
		}
		if err := hostfixture.Build(dir, h); err != nil {
			fmt.Fprintf(os.Stderr, "mkexamples: %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Println("wrote", dir)
	}
}
