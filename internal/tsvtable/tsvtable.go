// Package tsvtable reads the tab-separated reference tables that the
// generators compile into Go (JEP106 ids, module part numbers): a header
// line naming the columns, then one row a line; blank lines and lines
// starting with # are skipped, and a trailing carriage return is dropped.
package tsvtable

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Read checks that the first row of r is the header cols and calls row for
// every later one with its 1-based line number and its fields, exactly
// len(cols) of them. A malformed header or row, or an error from row, stops
// the read; the error names the line and wraps errFormat (row's own error
// is wrapped as it is, so it should wrap errFormat itself).
func Read(r io.Reader, cols []string, errFormat error, row func(line int, fields []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	headerSeen := false
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if !headerSeen {
			if strings.Join(fields, ",") != strings.Join(cols, ",") {
				return fmt.Errorf("line %d: header %q, want columns %q: %w", lineNo, line, strings.Join(cols, "\t"), errFormat)
			}
			headerSeen = true
			continue
		}
		if len(fields) != len(cols) {
			return fmt.Errorf("line %d: %d fields, want %d: %w", lineNo, len(fields), len(cols), errFormat)
		}
		if err := row(lineNo, fields); err != nil {
			return fmt.Errorf("line %d: %w", lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", lineNo+1, err)
	}
	if !headerSeen {
		return fmt.Errorf("no header line: %w", errFormat)
	}
	return nil
}

// CheckText says why s is not a usable text field: empty, surrounded by
// space, not UTF-8, or holding an unprintable character.
func CheckText(s string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%q has leading or trailing space", s)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%q contains unprintable %U", s, r)
		}
	}
	return nil
}
