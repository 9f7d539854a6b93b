package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCommittedTableIsCurrent regenerates the Go table from the committed
// partnumbers.tsv and compares it with the committed partnumbers_gen.go, so
// neither can change without the other.
func TestCommittedTableIsCurrent(t *testing.T) {
	fresh, err := generateFile(filepath.Join("..", "..", "partnumbers.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "partnumbers_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatal("internal/maker/partnumbers_gen.go is stale: run `go generate ./internal/maker` and commit the result")
	}
}

const header = "kind\tpattern\tmaker\tsource\n"

func TestRunWritesFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.tsv")
	out := filepath.Join(dir, "out.go")
	table := "# comment\n" + header +
		"scheme\t^MT\\d\tmicron\tguide\n" +
		"exact\tZZ-1\tkingston\tmined\n" +
		"exact\tAA-1\tsamsung\tmined\n" +
		"ambiguous\t53D512M64D4RQ-046\tmicron,samsung\tmined\n"
	if err := os.WriteFile(in, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-in", in, "-out", out}, nil); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(src)
	for _, want := range []string{"DO NOT EDIT.", "package maker", "{`^MT\\d`, \"MT\", \"\", \"micron\", \"guide\"}",
		`{"53D512M64D4RQ-046", "micron,samsung", "mined"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("generated source lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, `"AA-1"`) > strings.Index(got, `"ZZ-1"`) {
		t.Errorf("exact rows not sorted:\n%s", got)
	}
}

func TestLiteralPrefix(t *testing.T) {
	tests := map[string]string{
		`^MT[AC]?\d`:         "MT",
		`^(?:KHX|KVR|KCP)\d`: "K",
		`^\d{4}C\d{2}`:       "",
		`^7[58]\.`:           "7",
		`^MICRON/MT\d`:       "MICRON/MT",
		`^(?i)mt\d`:          "",
		`^(CT)\d`:            "CT",
		`^CT$`:               "CT",
	}
	for pattern, want := range tests {
		got, err := literalPrefix(pattern)
		if err != nil || got != want {
			t.Errorf("literalPrefix(%q) = %q, %v; want %q", pattern, got, err, want)
		}
	}
}

func TestParseTSVErrors(t *testing.T) {
	tests := []struct {
		name, in, wantSub string
	}{
		{"empty", "", "no header"},
		{"bad header", "kind\tpattern\n", "line 1: header"},
		{"field count", header + "scheme\t^A\tmicron\n", "line 2: 3 fields, want 4"},
		{"kind", header + "prefix\t^A\tmicron\tx\n", `line 2: field kind "prefix"`},
		{"unanchored", header + "scheme\tMT\\d\tmicron\tx\n", "not anchored"},
		{"bad regexp", header + "scheme\t^MT(\tmicron\tx\n", "missing closing )"},
		{"exact not normalised", header + "exact\tmt 53e\tmicron\tx\n", `want "MT53E"`},
		{"empty exact", header + "exact\t\tmicron\tx\n", "not a normalised part number"},
		{"slug", header + "scheme\t^A\tMicron\tx\n", `"Micron" is not a slug`},
		{"ambiguous one maker", header + "ambiguous\tA1\tmicron\tx\n", "names one maker"},
		{"ambiguous bad slug", header + "ambiguous\tA1\tmicron,\tx\n", `"" is not a slug`},
		{"no source", header + "scheme\t^A\tmicron\t\n", "field source: empty"},
		{"source control char", header + "scheme\t^A\tmicron\ta\x01\n", "unprintable"},
		{"duplicate scheme", header + "scheme\t^A\tmicron\tx\nscheme\t^A\tsamsung\ty\n", "line 3: scheme pattern \"^A\" already listed on line 2"},
		{"exact and ambiguous", header + "exact\tA1\tmicron\tx\nambiguous\tA1\tmicron,samsung\ty\n", "already listed on line 2"},
	}
	for _, tt := range tests {
		_, err := parseTSV(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.wantSub) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.wantSub)
		}
		if err != nil && !errors.Is(err, errFormat) {
			t.Errorf("%s: err %v does not wrap errFormat", tt.name, err)
		}
	}
	if _, err := generate(nil); err == nil {
		t.Error("generate(nil) succeeded, want an error for an empty table")
	}
}

// FuzzParseTSV feeds arbitrary tables to the parser: it must return rows or
// an error, never panic, and whatever it accepts must generate valid Go.
func FuzzParseTSV(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "partnumbers.tsv")); err == nil {
		f.Add(string(b))
	}
	f.Add(header + "scheme\t^MT\\d\tmicron\tguide\nexact\tA1\tkingston\tmined\n")
	f.Add(header + "ambiguous\tA1\tmicron,samsung\tx\n")
	f.Add(header + "scheme\t^(\tmicron\tx\n")
	f.Add("kind\tpattern\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := parseTSV(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, errFormat) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error %v does not wrap errFormat", err)
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		if _, err := generate(rows); err != nil {
			t.Fatalf("accepted rows do not generate: %v", err)
		}
	})
}

// FuzzLiteralPrefix checks the property the vendor package relies on: a
// string an anchored pattern matches starts with the pattern's literal
// prefix, so skipping schemes whose prefix a part number lacks loses no
// match.
func FuzzLiteralPrefix(f *testing.F) {
	f.Add(`^MT[AC]?\d{1,2}[A-Z]`, "MTA18ASF2G72PZ")
	f.Add(`^(?:KHX|KVR|KCP)\d`, "KVR16N11/8")
	f.Add(`^(?:H9[A-Z]{2}|[HJ][A-Z])NNN`, "HCNNNCPMMLXR-NEE")
	f.Add(`^(?i)ct\d`, "ct16")
	f.Add(`^(?:AB|AB)C|^X`, "X")
	f.Fuzz(func(t *testing.T, pattern, input string) {
		if !strings.HasPrefix(pattern, "^") {
			return
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		prefix, err := literalPrefix(pattern)
		if err != nil {
			t.Fatalf("literalPrefix(%q): %v, but the pattern compiles", pattern, err)
		}
		if re.MatchString(input) && !strings.HasPrefix(input, prefix) {
			t.Fatalf("%q matches %q, which does not start with its prefix %q", pattern, input, prefix)
		}
	})
}

func TestFirstBytes(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{`^(?:KHX|KVR|KCP|KSM|ACR)\d`, "AK"},
		{`^(?:4[01]|5[23]|6[02])[A-Z]`, "456"},
		{`^\d{1,2}(?:HT|HV)`, "0123456789"},
		{`^(?:CX)?DB[45]`, "CD"},
		{`^G?D\d`, "DG"},
		{`^(?:AB|C)D|^X`, "ACX"},
		{`^(?i)ct\d`, "Cc"},
		{`^(?i)k\d`, ""}, // k folds to the Kelvin sign
		{`^a*B`, "Ba"},
		{`^a*`, ""},          // may match the empty string
		{`^.B`, ""},          // any rune
		{`A`, ""},            // not anchored
		{`^(?:A|B)|C`, ""},   // one alternative not anchored
		{`^(?m)^A`, ""},      // a line start is not the text start
		{`^[é]`, ""},         // non-ASCII
		{`^A{0,2}B`, "AB"},   // optional repeat
		{`^(?:A{2})+C`, "A"}, // repeat of a repeat
	} {
		if got := firstBytes(tc.pattern); got != tc.want {
			t.Errorf("firstBytes(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

// FuzzFirstBytes checks the property the vendor package relies on: a string
// an anchored pattern matches starts with one of the pattern's first bytes,
// so skipping schemes whose first bytes a part number does not start with
// loses no match.
func FuzzFirstBytes(f *testing.F) {
	f.Add(`^(?:KHX|KVR|KCP)\d`, "KVR16N11/8")
	f.Add(`^(?:H9[A-Z]{2}|[HJ][A-Z])NNN`, "HCNNNCPMMLXR-NEE")
	f.Add(`^(?i)ct\d`, "ct16")
	f.Add(`^(?:AB|AB)C|^X`, "X")
	f.Add(`^a*B|^\d?C`, "C")
	f.Fuzz(func(t *testing.T, pattern, input string) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return
		}
		first := firstBytes(pattern)
		if first == "" || !re.MatchString(input) {
			return
		}
		if input == "" || !strings.Contains(first, input[:1]) {
			t.Fatalf("%q matches %q, which does not start with one of %q", pattern, input, first)
		}
	})
}
