package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/memledger/memledger/internal/csvsafe"
	"github.com/memledger/memledger/internal/termsafe"
)

// Formats the renderers accept.
var Formats = []string{"table", "csv", "json", "html"}

// Write renders rep in format (one of Formats). With violations set, the
// table and CSV formats list the violations instead of the counts.
func Write(w io.Writer, rep *Report, format string, violations bool) error {
	switch format {
	case "table":
		if violations {
			return writeViolationsTable(w, rep)
		}
		return WriteTable(w, rep)
	case "csv":
		if violations {
			return WriteViolationsCSV(w, rep)
		}
		return WriteCSV(w, rep)
	case "json":
		return WriteJSON(w, rep)
	case "html":
		return WriteHTML(w, rep)
	}
	return fmt.Errorf("unknown report format %q (want %s)", format, strings.Join(Formats, ", "))
}

// WriteJSON writes the report as indented JSON (docs/reports.md).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report json: %w", err)
	}
	return nil
}

// csvHeader is the header of the counts CSV. dimension is "rule" (the
// rule's totals, key empty), "vendor", "component" or "group"; the "fleet"
// row (rule empty) holds the fleet's parts by worst status.
var csvHeader = []string{"rule", "dimension", "key", "hosts_exposed", "violation", "waived", "recorded", "removed", "allowed"}

func countCells(c Counts) []string {
	out := make([]string, 0, len(Statuses))
	for _, s := range Statuses {
		out = append(out, strconv.Itoa(c.Get(s)))
	}
	return out
}

// WriteCSV writes the per-rule counts, one row per rule and per group.
func WriteCSV(w io.Writer, rep *Report) error {
	cw := csvsafe.NewWriter(w)
	rows := [][]string{csvHeader}
	rows = append(rows, append([]string{"", "fleet", "", ""}, countCells(rep.Totals.ByStatus)...))
	for _, r := range rep.Rules {
		rows = append(rows, append([]string{r.ID, "rule", "", strconv.Itoa(r.HostsExposed)}, countCells(r.Counts)...))
		for _, set := range []struct {
			dim string
			gs  []Group
		}{{"vendor", r.ByVendor}, {"component", r.ByComponent}, {"group", r.ByGroup}} {
			for _, g := range set.gs {
				rows = append(rows, append([]string{r.ID, set.dim, g.Key, ""}, countCells(g.Counts)...))
			}
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write report csv: %w", err)
	}
	return nil
}

// WriteViolationsCSV writes the violation list.
func WriteViolationsCSV(w io.Writer, rep *Report) error {
	cw := csvsafe.NewWriter(w)
	rows := [][]string{{"rule", "host_id", "hostname", "slot", "kind", "component", "vendor", "part_number", "serial_number", "first_seen", "reason"}}
	for _, v := range rep.Violations {
		rows = append(rows, []string{v.RuleID, v.HostID, v.Hostname, v.Slot, v.Kind, v.Component, v.Vendor,
			v.PartNumber, v.Serial, fmtTime(v.FirstSeen), v.Reason})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write violations csv: %w", err)
	}
	return nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtMinute is t to the minute, UTC ("" for nil): when a host's domain
// became unread.
func fmtMinute(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// WriteTable writes a human summary for a terminal.
func WriteTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pol := rep.Policy
	if pol == "" {
		pol = "(none: parts are recorded without a verdict)"
	}
	fmt.Fprintf(tw, "Exposure report as of %s (policy %s)\n", fmtTime(rep.AsOf), termsafe.String(pol))
	t := rep.Totals
	fmt.Fprintf(tw, "Fleet: %d hosts (%d with violations), %d parts (%d memory, %d drives)\n",
		t.Hosts, t.HostsWithViolations, t.Parts, t.Memory, t.Drives)
	fmt.Fprintf(tw, "Parts by worst status:\tviolation %d\twaived %d\trecorded %d\tremoved %d\tallowed %d\n",
		t.ByStatus.Violation, t.ByStatus.Waived, t.ByStatus.Recorded, t.ByStatus.Removed, t.ByStatus.Allowed)
	if len(rep.UnreadHosts) > 0 {
		fmt.Fprintf(tw, "\nHosts not read completely (%d): their parts are counted as last read\n", len(rep.UnreadHosts))
		for _, u := range rep.UnreadHosts {
			var since []string
			if u.MemoryUnreadSince != nil {
				since = append(since, "memory since "+fmtMinute(u.MemoryUnreadSince))
			}
			if u.StorageUnreadSince != nil {
				since = append(since, "drives since "+fmtMinute(u.StorageUnreadSince))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.String(u.HostID), termsafe.String(u.Hostname), strings.Join(since, ", "))
		}
	}
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "\nRule %s (%s from %s)", termsafe.String(r.ID), termsafe.String(r.Action), r.Effective.Format(time.DateOnly))
		if r.Title != "" {
			fmt.Fprintf(tw, ": %s", termsafe.String(r.Title))
		}
		fmt.Fprintf(tw, "\nhosts exposed %d, in violation %d\n", r.HostsExposed, r.HostsInViolation)
		fmt.Fprintln(tw, "GROUP\tKEY\tVIOLATION\tWAIVED\tRECORDED\tREMOVED\tALLOWED")
		fmt.Fprintf(tw, "total\t\t%s\n", strings.Join(countCells(r.Counts), "\t"))
		for _, set := range []struct {
			dim string
			gs  []Group
		}{{"vendor", r.ByVendor}, {"component", r.ByComponent}, {rep.GroupBy, r.ByGroup}} {
			for _, g := range set.gs {
				key := g.Key
				if key == "" {
					key = "(none)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.String(set.dim), termsafe.String(key), strings.Join(countCells(g.Counts), "\t"))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if len(rep.Violations) > 0 {
		fmt.Fprintln(w)
		if err := writeViolationsTable(w, rep); err != nil {
			return err
		}
	}
	if len(rep.SerialClashes) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "Serial clashes (%d): one serial reported by two hosts at once; each keeps its own part\n", len(rep.SerialClashes))
		fmt.Fprintln(tw, "TIME\tHOST\tSLOT\tOTHER HOST\tOTHER SLOT\tPART")
		for _, c := range rep.SerialClashes {
			ts := termsafe.String // agents name hosts, slots and parts
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", fmtTime(c.Time), ts(c.HostID), ts(c.Slot), ts(c.OtherHostID), ts(c.OtherSlot), ts(c.Identity))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write serial clashes: %w", err)
		}
	}
	return nil
}

func writeViolationsTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Violations (%d)\n", len(rep.Violations))
	fmt.Fprintln(tw, "RULE\tHOST\tHOSTNAME\tSLOT\tVENDOR\tPART\tSERIAL\tFIRST SEEN")
	for _, v := range rep.Violations {
		ts := termsafe.String
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts(v.RuleID), ts(v.HostID), ts(v.Hostname), ts(v.Slot), ts(v.Vendor), ts(v.PartNumber), ts(v.Serial),
			v.FirstSeen.UTC().Format(time.DateOnly))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write violations: %w", err)
	}
	return nil
}

//go:embed report.html.tmpl
var htmlSource string

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"date":   func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"ts":     fmtTime,
	"minute": fmtMinute,
	"cells":  countCells,
	"charts": ChartsSVG,
	"none": func(s string) string {
		if s == "" {
			return "(none)"
		}
		return s
	},
}).Parse(htmlSource))

// WriteHTML writes the report as one self-contained HTML page without
// script: inline CSS, the tables and the SVG charts rendered on the server,
// so that it reads the same in a mail client that strips scripts, in print
// and under a Content-Security-Policy that forbids script.
func WriteHTML(w io.Writer, rep *Report) error {
	if err := htmlTmpl.Execute(w, rep); err != nil {
		return fmt.Errorf("write report html: %w", err)
	}
	return nil
}
