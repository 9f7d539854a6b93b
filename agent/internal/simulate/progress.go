package simulate

import (
	"fmt"
	"strings"
	"time"
)

// progressPrinter writes the progress line: rates over the last period,
// cumulative latency percentiles.
type progressPrinter struct {
	opts       Options
	c          *counters
	start      time.Time
	last       time.Time
	lastSent   uint64
	lastAcked  uint64
	lastLength int
}

func newProgressPrinter(opts Options, c *counters, start time.Time) *progressPrinter {
	return &progressPrinter{opts: opts, c: c, start: start, last: start}
}

// line prints one progress line; final ends the line on a terminal.
func (p *progressPrinter) line(final bool) {
	if p.opts.Progress == nil {
		return
	}
	now := time.Now()
	sent, acked := p.c.sent.Load(), p.c.acked.Load()
	dt := now.Sub(p.last).Seconds()
	var sentRate, ackRate float64
	if dt > 0 {
		sentRate = float64(sent-p.lastSent) / dt
		ackRate = float64(acked-p.lastAcked) / dt
	}
	p.last, p.lastSent, p.lastAcked = now, sent, acked
	lat := p.c.latency.snapshot()
	s := fmt.Sprintf("[%5.0fs] streams %d/%d  sent %d (%.0f/s)  acked %d (%.0f/s)  ack p50 %s p99 %s  errors %d",
		now.Sub(p.start).Seconds(), p.c.open.Load(), p.opts.Hosts, sent, sentRate, acked, ackRate,
		fmtDur(lat.P50), fmtDur(lat.P99), p.c.streamErrs.Load())
	if !p.opts.Terminal {
		fmt.Fprintln(p.opts.Progress, s)
		return
	}
	// Rewrite the line in place; pad to erase a longer previous line.
	pad := ""
	if n := p.lastLength - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.lastLength = len(s)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprint(p.opts.Progress, "\r"+s+pad+end)
}
