// Command gen writes internal/jep106/table_gen.go from the shared JEP106
// reference table (../shared/reference/jep106.tsv beside the repository) and
// the in-repo supplement of newer ids (supplement.tsv beside this file).
//
// Usage (from internal/jep106, as go:generate runs it):
//
//	go run ./internal/gen -in ../../../shared/reference/jep106.tsv -out table_gen.go
//
// Without flags the inputs are found relative to the repository root (the
// directory holding go.mod) and the table is written to stdout.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/memledger/memledger/internal/tsvtable"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "jep106 gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	in := fs.String("in", "", "reference jep106.tsv (default: ../shared/reference/jep106.tsv beside the repository)")
	supp := fs.String("supplement", "", "supplement tsv of newer ids (default: internal/jep106/internal/gen/supplement.tsv in the repository)")
	out := fs.String("out", "", "output Go file (default: stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *supp == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		if *in == "" {
			*in = filepath.Join(root, "..", "shared", "reference", "jep106.tsv")
		}
		if *supp == "" {
			*supp = filepath.Join(root, "internal", "jep106", "internal", "gen", "supplement.tsv")
		}
	}
	src, err := generateFiles(*in, *supp)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(src)
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}

// repoRoot walks up from the working directory to the one holding go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("find repository root: no go.mod above %s", wd)
		}
	}
}

// generateFiles reads both inputs and returns the formatted Go source.
func generateFiles(refPath, suppPath string) ([]byte, error) {
	ref, err := readRows(refPath, refColumns)
	if err != nil {
		return nil, err
	}
	supp, err := readRows(suppPath, suppColumns)
	if err != nil {
		return nil, err
	}
	return generate(ref, supp, filepath.Base(refPath), filepath.Base(suppPath))
}

func readRows(path string, cols []string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rows, err := parseTSV(f, cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// row is one JEP106 entry.
type row struct {
	Bank int
	Code int // 7-bit
	Name string
	Line int // 1-based line number in its file, for error messages
}

var (
	refColumns  = []string{"bank", "code_hex", "code_with_parity_hex", "name"}
	suppColumns = []string{"bank", "code_hex", "code_with_parity_hex", "name", "source"}
)

// maxBank bounds the bank number: JEP106 has 16 banks today; anything far
// beyond is a corrupt file, not a newer revision.
const maxBank = 32

var errFormat = errors.New("bad jep106 table")

// parseTSV parses a tab-separated table with exactly the given header.
// Lines starting with '#' and blank lines are ignored. Every row is
// validated: bank in 1..maxBank, code 0x01..0x7E written as 0xHH, the parity
// column equal to the code with its odd-parity bit, a non-empty printable
// name, no duplicate (bank, code).
func parseTSV(r io.Reader, cols []string) ([]row, error) {
	var rows []row
	seen := map[[2]int]int{}
	err := tsvtable.Read(r, cols, errFormat, func(lineNo int, fields []string) error {
		bank, err := strconv.Atoi(fields[0])
		if err != nil || bank < 1 || bank > maxBank {
			return fmt.Errorf("field bank %q is not a number in 1..%d: %w", fields[0], maxBank, errFormat)
		}
		code, err := parseHexByte(fields[1])
		if err != nil || code < 0x01 || code > 0x7E {
			return fmt.Errorf("field code_hex %q is not 0x01..0x7E: %w", fields[1], errFormat)
		}
		par, err := parseHexByte(fields[2])
		if err != nil || par != withParity(code) {
			return fmt.Errorf("field code_with_parity_hex %q, want 0x%02X for code 0x%02X: %w", fields[2], withParity(code), code, errFormat)
		}
		name := fields[3]
		if err := tsvtable.CheckText(name); err != nil {
			return fmt.Errorf("field name: %v: %w", err, errFormat)
		}
		key := [2]int{bank, code}
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("bank %d code 0x%02X already listed on line %d: %w", bank, code, prev, errFormat)
		}
		seen[key] = lineNo
		rows = append(rows, row{Bank: bank, Code: code, Name: name, Line: lineNo})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func parseHexByte(s string) (int, error) {
	if len(s) != 4 || (s[:2] != "0x" && s[:2] != "0X") {
		return 0, fmt.Errorf("%q is not 0xHH", s)
	}
	v, err := strconv.ParseUint(s[2:], 16, 8)
	if err != nil {
		return 0, fmt.Errorf("%q is not 0xHH: %w", s, err)
	}
	return int(v), nil
}

func withParity(code int) int {
	if bits.OnesCount8(uint8(code))%2 == 1 {
		return code
	}
	return code | 0x80
}

// generate merges the reference and supplement rows and renders the table.
// A supplement row for an id the reference already lists is an error: the
// reference wins, and a stale supplement row should be deleted.
func generate(ref, supp []row, refName, suppName string) ([]byte, error) {
	byID := map[[2]int]row{}
	numBanks := 0
	for _, r := range ref {
		byID[[2]int{r.Bank, r.Code}] = r
		numBanks = max(numBanks, r.Bank)
	}
	for _, r := range supp {
		key := [2]int{r.Bank, r.Code}
		if old, ok := byID[key]; ok {
			return nil, fmt.Errorf("%s line %d: bank %d code 0x%02X is already listed by %s line %d as %q: %w",
				suppName, r.Line, r.Bank, r.Code, refName, old.Line, old.Name, errFormat)
		}
		byID[key] = r
		numBanks = max(numBanks, r.Bank)
	}
	if numBanks == 0 {
		return nil, fmt.Errorf("%s: no rows: %w", refName, errFormat)
	}
	all := make([]row, 0, len(byID))
	for _, r := range byID {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Bank != all[j].Bank {
			return all[i].Bank < all[j].Bank
		}
		return all[i].Code < all[j].Code
	})

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/gen from %s and %s. DO NOT EDIT.\n\n", refName, suppName)
	b.WriteString("package jep106\n\n")
	fmt.Fprintf(&b, "// NumBanks is the number of JEP106 banks the table covers (%d ids from %s, %d from %s).\n", len(ref), refName, len(supp), suppName)
	fmt.Fprintf(&b, "const NumBanks = %d\n\n", numBanks)
	b.WriteString("// names[bank-1][code] is the name JEP106 lists for the id, \"\" when unlisted.\n")
	b.WriteString("var names = [NumBanks][128]string{\n")
	bank := 0
	for _, r := range all {
		for bank < r.Bank {
			if bank > 0 {
				b.WriteString("\t},\n")
			}
			bank++
			fmt.Fprintf(&b, "\t{ // bank %d\n", bank)
		}
		fmt.Fprintf(&b, "\t\t0x%02X: %s,\n", r.Code, strconv.Quote(r.Name))
	}
	b.WriteString("\t},\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated table: %w", err)
	}
	return src, nil
}
