package csvsafe

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"MICSSD01", "MICSSD01"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
		{"'quoted", "'quoted"},
	}
	for _, tc := range tests {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriterEscapesEveryCell(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteAll([][]string{{"host", "serial"}, {"=cmd|' /C calc'!A0", "@x"}, {"db-17", "-"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"host", "serial"}, {"'=cmd|' /C calc'!A0", "'@x"}, {"db-17", "'-"}}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}

// FuzzCell: no cell comes out starting with a formula trigger, a safe
// cell is unchanged, an escaped one keeps its text after the quote, and
// the CSV parses back to the escaped cells.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "db-17", "=1+1", "+", "-x", "@", "\t", "\r\n", "'", "a,b\"c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Cell(s)
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("Cell(%q) = %q starts with a formula trigger", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("Cell(%q) = %q changed more than a leading quote", s, got)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := w.WriteAll([][]string{{s, "x"}}); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("csv of %q does not parse back: %v", s, err)
		}
		// encoding/csv turns \r\n inside a quoted field into \n.
		if len(rows) != 1 || rows[0][0] != strings.ReplaceAll(got, "\r\n", "\n") && !strings.Contains(got, "\r") {
			t.Fatalf("csv of %q reads back as %q, want %q", s, rows, got)
		}
	})
}
