package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/csvsafe"
	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/termsafe"
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

// column is one column of a table of T, for people.
type column[T any] struct {
	header string
	text   func(T) string
}

// renderTo renders items to the file named by -o/--output (replaced
// atomically), or to stdout when it is empty.
func renderTo[T any, V csvRower](output string, stdout io.Writer, format string, cols []column[T], items []T, toView func(T) V, csvHeader []string) error {
	out := cmdutil.NewOutput(output, stdout)
	if err := render(out, format, cols, items, toView, csvHeader); err != nil {
		return err
	}
	return out.Close()
}

// csvRower is a view (collector/internal/view) that is also a CSV row.
type csvRower interface{ CSVRow() []string }

// render writes items in format: an aligned table of cols for people, or
// for machines the one shape the collector prints and serves: one JSON
// array of toView(item), or CSV of its rows under csvHeader.
func render[T any, V csvRower](w io.Writer, format string, cols []column[T], items []T, toView func(T) V, csvHeader []string) error {
	switch format {
	case formatJSON:
		out := make([]V, len(items))
		for i, it := range items {
			out[i] = toView(it)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case formatCSV:
		cw := csvsafe.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return err
		}
		for _, it := range items {
			if err := cw.Write(toView(it).CSVRow()); err != nil {
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
		if m, ok := maker.BySlug(v.Parent); ok {
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
