package tsvtable

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var errBad = errors.New("bad table")

func TestRead(t *testing.T) {
	cols := []string{"a", "b"}
	tests := []struct {
		name, in string
		rows     []string // "line:a|b"
		wantErr  string   // substring; "" = no error
	}{
		{"rows, comments, blank lines and CRLF", "# note\na\tb\r\n\n1\t2\r\n# x\n3\t4\n", []string{"4:1|2", "6:3|4"}, ""},
		{"header only", "a\tb\n", nil, ""},
		{"no header", "# only a comment\n\n", nil, "no header line"},
		{"wrong header", "a\tc\n1\t2\n", nil, `line 1: header "a\tc"`},
		{"short row", "a\tb\n1\n", nil, "line 2: 1 fields, want 2"},
		{"long row", "a\tb\n1\t2\t3\n", nil, "line 2: 3 fields, want 2"},
		{"row refused", "a\tb\n1\t2\nx\t2\n", []string{"2:1|2"}, "line 3: field a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := Read(strings.NewReader(tt.in), cols, errBad, func(line int, f []string) error {
				if f[0] == "x" {
					return fmt.Errorf("field a %q: %w", f[0], errBad)
				}
				got = append(got, fmt.Sprintf("%d:%s", line, strings.Join(f, "|")))
				return nil
			})
			if strings.Join(got, " ") != strings.Join(tt.rows, " ") {
				t.Errorf("rows %v, want %v", got, tt.rows)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, errBad)):
				t.Errorf("error %v, want one containing %q and wrapping errBad", err, tt.wantErr)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	for _, s := range []string{"Micron Technology", "Kingston (9905)", "Positivo Informática"} {
		if err := CheckText(s); err != nil {
			t.Errorf("CheckText(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", " lead", "trail ", "bad\xffutf8", "tab\tinside", "nul\x00"} {
		if err := CheckText(s); err == nil {
			t.Errorf("CheckText(%q) accepted it", s)
		}
	}
}

// FuzzRead: any input is read or refused with an error wrapping the
// table's sentinel; every row handed out has the header's width.
func FuzzRead(f *testing.F) {
	f.Add("a\tb\n1\t2\n")
	f.Add("# c\r\na\tb\r\n\r\n1\t2\t3\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		err := Read(strings.NewReader(in), []string{"a", "b"}, errBad, func(line int, f []string) error {
			if len(f) != 2 || line < 2 {
				t.Fatalf("row at line %d with %d fields", line, len(f))
			}
			return nil
		})
		if err != nil && !errors.Is(err, errBad) && !strings.Contains(err.Error(), "token too long") {
			t.Fatalf("error %v does not wrap the table's sentinel", err)
		}
	})
}
