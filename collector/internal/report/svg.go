package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/memledger/memledger/internal/policy"
)

// The charts are drawn on the server as inline SVG so that a page shows
// them with scripts disabled (mail clients strip scripts), in print, and
// under a Content-Security-Policy without script. html/template escapes
// every text and attribute, so a rule id or a date cannot break out.

// Bar is one bar of the parts-by-status chart.
type bar struct {
	Status   string
	Count    int
	X, Y     int
	Height   int
	LabelY   int
	CaptionY int
}

// line is one status's step line of the exposure chart.
type line struct {
	Status  string
	Last    int
	Path    string
	LegendX int
}

type barsChart struct {
	Rule string
	Bars []bar
}

type exposureChart struct {
	Rule     string
	Empty    bool
	Lines    []line
	From, To string
	Max      int
	MaxY     int
}

var svgTmpl = template.Must(template.New("svg").Parse(`
{{- define "bars" -}}
<svg class="chart-bars" xmlns="http://www.w3.org/2000/svg" width="360" height="200" viewBox="0 0 360 200" role="img" aria-label="parts by status for rule {{.Rule}}">
<title>parts by status for rule {{.Rule}}</title>
<text x="10" y="16">parts by status</text>
{{- range .Bars}}
<rect class="bar {{.Status}}" data-status="{{.Status}}" data-count="{{.Count}}" x="{{.X}}" y="{{.Y}}" width="48" height="{{.Height}}"></rect>
<text class="bar-value" data-status="{{.Status}}" x="{{.X}}" y="{{.LabelY}}">{{.Count}}</text>
<text x="{{.X}}" y="{{.CaptionY}}">{{.Status}}</text>
{{- end}}
</svg>
{{- end -}}
{{- define "exposure" -}}
<svg class="chart-exposure" xmlns="http://www.w3.org/2000/svg" width="520" height="200" viewBox="0 0 520 200" role="img" aria-label="exposure over time for rule {{.Rule}}">
<title>exposure over time for rule {{.Rule}}</title>
<text x="10" y="16">exposure over time (installed parts)</text>
{{- if .Empty}}
<text x="10" y="100">no matching parts</text>
{{- else}}
{{- range .Lines}}
<path class="line-{{.Status}}" data-status="{{.Status}}" data-last="{{.Last}}" d="{{.Path}}" fill="none" stroke-width="2"></path>
<text class="{{.Status}}" x="{{.LegendX}}" y="16">{{.Status}}</text>
{{- end}}
<text x="40" y="188">{{.From}}</text>
<text x="420" y="188">{{.To}}</text>
<text x="4" y="{{.MaxY}}">{{.Max}}</text>
{{- end}}
</svg>
{{- end -}}`))

// barsOf lays out the parts-by-status bars of a rule.
func barsOf(r Rule) barsChart {
	maxCount := 1
	for _, s := range Statuses {
		maxCount = max(maxCount, r.Counts.Get(s))
	}
	c := barsChart{Rule: r.ID}
	for i, s := range Statuses {
		n := r.Counts.Get(s)
		h := (130*n + maxCount/2) / maxCount
		x := 20 + i*66
		c.Bars = append(c.Bars, bar{Status: string(s), Count: n, X: x, Y: 170 - h, Height: h, LabelY: 165 - h, CaptionY: 188})
	}
	return c
}

// exposureStatuses are the lines of the exposure chart, drawn so that
// violations lie on top.
var exposureStatuses = []policy.Status{policy.StatusRecorded, policy.StatusWaived, policy.StatusViolation}

// exposureOf lays out the exposure-over-time step lines of a rule, from
// its first point to asOf.
func exposureOf(r Rule, asOf time.Time) exposureChart {
	c := exposureChart{Rule: r.ID, Empty: len(r.Exposure) == 0}
	if c.Empty {
		return c
	}
	day := func(s string) time.Time {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{} // points are written by Build as dates; a bad one draws at the start
		}
		return t
	}
	t0 := day(r.Exposure[0].Date)
	t1 := asOf.UTC()
	if !t1.After(t0) {
		t1 = t0.Add(24 * time.Hour)
	}
	maxCount := 1
	for _, p := range r.Exposure {
		for _, s := range exposureStatuses {
			maxCount = max(maxCount, p.Counts.Get(s))
		}
	}
	span := float64(t1.Sub(t0))
	x := func(t time.Time) string {
		if t.Before(t0) {
			t = t0
		}
		return strconv.FormatFloat(40+460*float64(t.Sub(t0))/span, 'f', 1, 64)
	}
	y := func(n int) string { return strconv.FormatFloat(170-140*float64(n)/float64(maxCount), 'f', 1, 64) }
	for i, s := range exposureStatuses {
		var d strings.Builder
		fmt.Fprintf(&d, "M%s %s", x(t0), y(r.Exposure[0].Counts.Get(s)))
		for j, p := range r.Exposure {
			if j > 0 {
				fmt.Fprintf(&d, " H%s", x(day(p.Date)))
			}
			fmt.Fprintf(&d, " V%s", y(p.Counts.Get(s)))
		}
		fmt.Fprintf(&d, " H%s", x(t1))
		c.Lines = append(c.Lines, line{Status: string(s), Last: r.Exposure[len(r.Exposure)-1].Counts.Get(s), Path: d.String(), LegendX: 300 + (len(exposureStatuses)-1-i)*70})
	}
	c.From, c.To = r.Exposure[0].Date, t1.Format(time.DateOnly)
	c.Max = maxCount
	maxY, _ := strconv.ParseFloat(y(maxCount), 64)
	c.MaxY = int(maxY) + 4
	return c
}

// ChartsSVG renders a rule's two charts (parts by status, exposure over
// time up to asOf) as inline SVG for an HTML page: the report and the
// dashboard draw them with this one function.
func ChartsSVG(r Rule, asOf time.Time) (template.HTML, error) {
	var buf bytes.Buffer
	if err := svgTmpl.ExecuteTemplate(&buf, "bars", barsOf(r)); err != nil {
		return "", fmt.Errorf("draw chart of rule %s: %w", r.ID, err)
	}
	buf.WriteByte('\n')
	if err := svgTmpl.ExecuteTemplate(&buf, "exposure", exposureOf(r, asOf)); err != nil {
		return "", fmt.Errorf("draw chart of rule %s: %w", r.ID, err)
	}
	// html/template escaped every value above; the result is safe markup.
	return template.HTML(buf.String()), nil //nolint:gosec // built by html/template
}
