package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/termsafe"
	"github.com/memledger/memledger/internal/vendor"
)

// Output formats of the read commands.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatCSV   = "csv"
)

func checkFormat(f string) error {
	switch f {
	case formatTable, formatJSON, formatCSV:
		return nil
	}
	return cmdutil.UsageErrorf("--format %q: want table, json or csv", f)
}

// column is one column of a table or CSV listing of T.
type column[T any] struct {
	header string
	// text renders the cell for people (tables).
	text func(T) string
	// raw renders it for machines (CSV): exact numbers and RFC 3339 times;
	// nil means text.
	raw func(T) string
}

// renderTo renders items to the file named by -o/--output (replaced
// atomically), or to stdout when it is empty.
func renderTo[T any](output string, stdout io.Writer, format string, cols []column[T], items []T, toJSON func(T) any) error {
	out := cmdutil.NewOutput(output, stdout)
	if err := render(out, format, cols, items, toJSON); err != nil {
		return err
	}
	return out.Close()
}

// render writes items in format: an aligned table, CSV with a header row, or
// one JSON array of toJSON(item).
func render[T any](w io.Writer, format string, cols []column[T], items []T, toJSON func(T) any) error {
	switch format {
	case formatJSON:
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = toJSON(it)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case formatCSV:
		cw := csv.NewWriter(w)
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = strings.ToLower(strings.ReplaceAll(c.header, " ", "_"))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		for _, it := range items {
			for i, c := range cols {
				if c.raw != nil {
					row[i] = c.raw(it)
				} else {
					row[i] = c.text(it)
				}
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for i, c := range cols {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c.header)
		}
		fmt.Fprintln(tw)
		for _, it := range items {
			for i, c := range cols {
				if i > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, cell(c.text(it)))
			}
			fmt.Fprintln(tw)
		}
		return tw.Flush()
	}
}

// cell makes a value safe for one table cell: control characters (ESC
// sequences from a hostile agent, tabs and line breaks that would break
// the alignment) escaped by termsafe, "-" for empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return termsafe.String(s)
}

// tableTime renders a time for people, in UTC to the minute.
func tableTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// rawTime renders a time for machines.
func rawTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// timePtr is nil for the zero time, so JSON omits it.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// makerText names a maker for people: "Crucial (Micron Technology)" when the
// brand belongs to another company, the name alone otherwise, "" when
// unknown (never guessed).
func makerText(v store.Vendor) string {
	if v.ID == "" {
		return ""
	}
	name := v.Name
	if name == "" {
		name = v.ID
	}
	if v.Parent != "" && v.Parent != v.ID {
		parent := v.Parent
		if m, ok := vendor.BySlug(v.Parent); ok {
			parent = m.Name
		}
		return name + " (" + parent + ")"
	}
	return name
}

// labelsText renders labels as "k=v,k2=v2", sorted by key.
func labelsText(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
	}
	return b.String()
}

// sizeText renders a size the way the part is sold: memory in binary units
// (64 GiB), drives in decimal ones (3.84 TB).
func sizeText(kind store.PartKind, n uint64) string {
	if n == 0 {
		return ""
	}
	if kind == store.KindMemory {
		const gib = 1 << 30
		if n%gib == 0 {
			return fmt.Sprintf("%d GiB", n/gib)
		}
		return fmt.Sprintf("%d MiB", n>>20)
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	u := 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1000
		u++
	}
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " " + units[u]
}
