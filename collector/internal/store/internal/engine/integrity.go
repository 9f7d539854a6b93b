package engine

import (
	"context"
	"errors"
	"fmt"
)

// integrityChecks are the ledger's cross-table rules, each a query that
// counts the rows breaking it. On PostgreSQL the engine, not foreign keys,
// keeps the first four (migration 0004 says why); the presence rules hold
// on both drivers by construction of the write path.
var integrityChecks = []struct {
	rule, sql string
}{
	{"every part is on an existing host",
		`SELECT count(*) FROM parts p WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host_id = p.host_id)`},
	{"every event is on an existing host",
		`SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host_id = e.host_id)`},
	{"every event's part exists, on the event's host",
		`SELECT count(*) FROM events e WHERE e.part_id IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM parts p WHERE p.id = e.part_id AND p.host_id = e.host_id)`},
	{"every presence interval is of an existing part, on the part's host",
		`SELECT count(*) FROM part_presence pp
 WHERE NOT EXISTS (SELECT 1 FROM parts p WHERE p.id = pp.part_id AND p.host_id = pp.host_id)`},
	{"every presence interval is closed and ends after it starts (a present part's current one is parts.arrived_at on)",
		`SELECT count(*) FROM part_presence pp WHERE pp.until_at IS NULL OR pp.until_at < pp.since_at`},
	{"a removed part has a presence interval that ends at its removal",
		`SELECT count(*) FROM parts p WHERE p.removed_at IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM part_presence pp WHERE pp.part_id = p.id AND pp.until_at = p.removed_at)`},
	// Stays are half-open, [since_at, until_at), as the as-of reads take
	// them: a stay that ends the instant it starts covers no time and
	// overlaps nothing. Such stays are real: reports received before
	// their host's last sighting are all recorded at it, so a part can
	// arrive, leave and return in one instant.
	{"a part's closed stays do not overlap",
		`SELECT (SELECT count(*) FROM part_presence a JOIN part_presence b ON b.part_id = a.part_id
   AND b.since_at >= a.since_at AND b.since_at < a.until_at AND b.until_at > b.since_at
   AND (b.since_at > a.since_at OR b.until_at <> a.until_at))
 + (SELECT count(*) FROM (SELECT part_id FROM part_presence WHERE until_at > since_at
   GROUP BY part_id, since_at HAVING count(*) > 1) d)`},
	// Non-real identities name their host ("memory@host|..."), so only a
	// real serial can be active on two hosts: a clash, which both rows'
	// histories record.
	{"a part active on several hosts has a serial_clash event on each of its rows",
		`SELECT count(*) FROM parts p WHERE p.removed_at IS NULL
 AND EXISTS (SELECT 1 FROM parts q WHERE q.identity = p.identity AND q.host_id <> p.host_id AND q.removed_at IS NULL)
 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.part_id = p.id AND e.host_id = p.host_id AND e.kind = 'serial_clash')`},
	{"a present part's current stay overlaps none of its closed ones",
		`SELECT count(*) FROM parts p WHERE p.removed_at IS NULL
 AND EXISTS (SELECT 1 FROM part_presence pp WHERE pp.part_id = p.id AND pp.until_at > p.arrived_at)`},
}

// CheckIntegrity verifies the ledger's cross-table rules over the whole
// database and returns an error naming each broken rule and how many rows
// break it. It reads every row: for tests and for an operator's check of
// a ledger, not for the ingest path.
func (e *Engine) CheckIntegrity(ctx context.Context) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	var errs []error
	for _, c := range integrityChecks {
		n, err := scanInt64(e.conn.Reader().Query(ctx, c.sql))
		if err != nil {
			return fmt.Errorf("check integrity (%s): %w", c.rule, err)
		}
		if n > 0 {
			errs = append(errs, fmt.Errorf("%s: %d rows break it", c.rule, n))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("ledger integrity (%s): %w", e.d.Name, errors.Join(errs...))
	}
	return nil
}

// ActiveSerialClashes returns the part identities active on more than one
// host (real serials: the others name their host), each with those hosts
// in order: the serial clashes standing now. Like CheckIntegrity it reads
// the whole parts table.
func (e *Engine) ActiveSerialClashes(ctx context.Context) (map[string][]string, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := e.conn.Reader().Query(ctx, `SELECT identity, host_id FROM parts WHERE removed_at IS NULL
 AND identity IN (SELECT identity FROM parts WHERE removed_at IS NULL GROUP BY identity HAVING count(*) > 1)
 ORDER BY identity, host_id`)
	if err != nil {
		return nil, fmt.Errorf("list serial clashes: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var identity, host string
		if err := rows.Scan(&identity, &host); err != nil {
			return nil, fmt.Errorf("list serial clashes: %w", err)
		}
		out[identity] = append(out[identity], host)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list serial clashes: %w", err)
	}
	return out, rows.Close()
}
