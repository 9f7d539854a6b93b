// Package csvsafe writes CSV that a spreadsheet cannot execute. Cells of
// the collector's CSV (host names, labels, part numbers, serials) come
// from agents: a cell starting with = + - @, a tab or a carriage return
// is read by Excel, LibreOffice and Google Sheets as a formula (CSV
// injection), so Cell prefixes such a cell with a single quote, which
// spreadsheets display as text and which OWASP recommends. Every CSV the
// collector writes (the CLIs' --format csv, /api/v1, the dashboard's
// downloads, report --format csv) goes through Writer.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s made safe to open in a spreadsheet: unchanged unless it
// starts with a formula trigger, which is then escaped with a leading '.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose Write and WriteAll pass every cell through
// Cell.
type Writer struct {
	*csv.Writer
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{csv.NewWriter(w)} }

// Write writes one row, its cells made safe.
func (w *Writer) Write(row []string) error {
	safe := make([]string, len(row))
	for i, c := range row {
		safe[i] = Cell(c)
	}
	return w.Writer.Write(safe)
}

// WriteAll writes rows, their cells made safe, and flushes.
func (w *Writer) WriteAll(rows [][]string) error {
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
