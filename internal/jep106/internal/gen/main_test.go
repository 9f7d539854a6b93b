package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

// TestCommittedTableIsCurrent regenerates the table from the shared
// reference and the supplement and compares it with the committed
// table_gen.go, so the committed file cannot go stale.
func TestCommittedTableIsCurrent(t *testing.T) {
	ref := filepath.Join(testcorpus.Dir(t, "reference"), "jep106.tsv")
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("reference table not found at %s: %v", ref, err)
	}
	fresh, err := generateFiles(ref, "supplement.tsv")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "table_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatal("internal/jep106/table_gen.go is stale: run `go generate ./internal/jep106` and commit the result")
	}
}

func TestRunWritesFile(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.tsv")
	supp := filepath.Join(dir, "supp.tsv")
	out := filepath.Join(dir, "out.go")
	writeFile(t, ref, "bank\tcode_hex\tcode_with_parity_hex\tname\n1\t0x2C\t0x2C\tMicron Technology\n2\t0x18\t0x98\tKingston\n")
	writeFile(t, supp, "# comment\nbank\tcode_hex\tcode_with_parity_hex\tname\tsource\n4\t0x01\t0x01\tNewco\ttest\n")
	if err := run([]string{"-in", ref, "-supplement", supp, "-out", out}, nil); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DO NOT EDIT.", "const NumBanks = 4", `0x2C: "Micron Technology"`, `0x18: "Kingston"`, `0x01: "Newco"`, "// bank 3"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated source lacks %q:\n%s", want, src)
		}
	}
}

func TestParseTSVErrors(t *testing.T) {
	const hdr = "bank\tcode_hex\tcode_with_parity_hex\tname\n"
	tests := []struct {
		name, in, wantSub string
	}{
		{"no header", "", "no header"},
		{"wrong header", "bank\tcode\tparity\tname\n", "line 1: header"},
		{"field count", hdr + "1\t0x2C\t0x2C\n", "line 2: 3 fields"},
		{"bank not number", hdr + "x\t0x2C\t0x2C\tMicron\n", "line 2: field bank"},
		{"bank zero", hdr + "0\t0x2C\t0x2C\tMicron\n", "line 2: field bank"},
		{"bank huge", hdr + "999\t0x2C\t0x2C\tMicron\n", "line 2: field bank"},
		{"code not hex", hdr + "1\t0xZZ\t0x2C\tMicron\n", "line 2: field code_hex"},
		{"code 0x7F", hdr + "1\t0x7F\t0x7F\tMicron\n", "line 2: field code_hex"},
		{"code without 0x", hdr + "1\t2C\t0x2C\tMicron\n", "line 2: field code_hex"},
		{"parity wrong", hdr + "1\t0x2D\t0x2D\tSK Hynix\n", "line 2: field code_with_parity_hex"},
		{"empty name", hdr + "1\t0x2C\t0x2C\t\n", "line 2: field name"},
		{"spaced name", hdr + "1\t0x2C\t0x2C\t Micron\n", "line 2: field name"},
		{"control char", hdr + "1\t0x2C\t0x2C\tMic\x01ron\n", "line 2: field name"},
		{"duplicate", hdr + "1\t0x2C\t0x2C\tMicron\n\n1\t0x2C\t0x2C\tMicron again\n", "line 4: bank 1 code 0x2C already listed on line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTSV(strings.NewReader(tt.in), refColumns)
			if err == nil || !errors.Is(err, errFormat) || !strings.Contains(err.Error(), tt.wantSub) {
				t.Fatalf("parseTSV error = %v, want one containing %q", err, tt.wantSub)
			}
		})
	}
}

func TestParseTSVAcceptsCRLFAndComments(t *testing.T) {
	in := "# note\r\nbank\tcode_hex\tcode_with_parity_hex\tname\r\n1\t0x2D\t0xAD\tSK Hynix (former Hyundai Electronics)\r\n"
	rows, err := parseTSV(strings.NewReader(in), refColumns)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != (row{Bank: 1, Code: 0x2D, Name: "SK Hynix (former Hyundai Electronics)", Line: 3}) {
		t.Fatalf("rows = %+v", rows)
	}
}

func TestGenerateRejectsSupplementOverlap(t *testing.T) {
	ref := []row{{Bank: 1, Code: 0x2C, Name: "Micron Technology", Line: 2}}
	supp := []row{{Bank: 1, Code: 0x2C, Name: "Someone else", Line: 7}}
	_, err := generate(ref, supp, "ref.tsv", "supp.tsv")
	if err == nil || !strings.Contains(err.Error(), "supp.tsv line 7") || !strings.Contains(err.Error(), "ref.tsv line 2") {
		t.Fatalf("generate error = %v, want one naming both lines", err)
	}
	if _, err := generate(nil, nil, "ref.tsv", "supp.tsv"); err == nil {
		t.Fatal("generate with no rows succeeded")
	}
}

func FuzzParseTSV(f *testing.F) {
	f.Add("bank\tcode_hex\tcode_with_parity_hex\tname\n1\t0x2C\t0x2C\tMicron Technology\n6\t0x1B\t0x9B\tCrucial Technology\n")
	f.Add("bank\tcode_hex\tcode_with_parity_hex\tname\n1\t0x2D\t0x2D\tbad parity\n")
	f.Add("# c\nbank\tcode_hex\tcode_with_parity_hex\tname\n\n13\t0x44\t0xC4\tuFound\n")
	if ref, err := os.ReadFile(filepath.Join(testcorpus.SharedDir(), "reference", "jep106.tsv")); err == nil && len(ref) > 4096 {
		f.Add(string(ref[:4096]))
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := parseTSV(strings.NewReader(in), refColumns)
		if err != nil {
			return
		}
		seen := map[[2]int]bool{}
		for _, r := range rows {
			if r.Bank < 1 || r.Bank > maxBank || r.Code < 1 || r.Code > 0x7E || r.Name == "" {
				t.Fatalf("invalid row accepted: %+v", r)
			}
			if seen[[2]int{r.Bank, r.Code}] {
				t.Fatalf("duplicate row accepted: %+v", r)
			}
			seen[[2]int{r.Bank, r.Code}] = true
		}
		if len(rows) > 0 {
			if _, err := generate(rows, nil, "in", "none"); err != nil {
				t.Fatalf("generate on accepted rows: %v", err)
			}
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
