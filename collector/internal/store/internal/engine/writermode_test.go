package engine

import (
	"strings"
	"testing"
)

// TestNewChecksDialectForWriterMode: each mode names the statement it
// needs, so a driver that pairs a mode with a dialect lacking it fails at
// open, not in its first batch.
func TestNewChecksDialectForWriterMode(t *testing.T) {
	shared := Dialect{Name: "pg", ReserveIDsSQL: "SELECT 1", LockIdentitiesSQL: "SELECT 1"}
	for _, tc := range []struct {
		name    string
		writers WriterMode
		d       Dialect
		wantErr string // "" for success
	}{
		{"single writer", SingleWriter, Dialect{Name: "lite", DataVersionSQL: "PRAGMA data_version"}, ""},
		{"single writer without data version", SingleWriter, Dialect{Name: "lite"}, "dialect lite: single writer needs DataVersionSQL"},
		{"shared writers", SharedWriters, shared, ""},
		{"shared writers without id reservation", SharedWriters, Dialect{Name: "pg", LockIdentitiesSQL: "SELECT 1"}, "dialect pg: shared writers needs ReserveIDsSQL"},
		{"shared writers without identity locks", SharedWriters, Dialect{Name: "pg", ReserveIDsSQL: "SELECT 1"}, "dialect pg: shared writers needs LockIdentitiesSQL"},
		{"no mode", 0, shared, "dialect pg: unknown writer mode WriterMode(0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(nil, tc.writers, tc.d)
			if tc.wantErr == "" {
				if err != nil || e == nil {
					t.Fatalf("New = %v, %v; want an engine", e, err)
				}
				if e.writers != tc.writers {
					t.Fatalf("writers = %v, want %v", e.writers, tc.writers)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.wantErr)
			}
			if e != nil {
				t.Fatalf("New returned an engine with its error")
			}
		})
	}
}

// TestHostUpdateSQLKeepsPartsVersionForSharedWriters: only shared writers
// bump hosts.parts_version with the host row, as the last argument.
func TestHostUpdateSQLKeepsPartsVersionForSharedWriters(t *testing.T) {
	facts, sighting := hostUpdateSQL(SharedWriters)
	if !strings.Contains(facts, "parts_version = $18") || !strings.Contains(sighting, "parts_version = $7") {
		t.Fatalf("shared writers' host updates lack parts_version:\n%s\n%s", facts, sighting)
	}
	facts, sighting = hostUpdateSQL(SingleWriter)
	if strings.Contains(facts, "parts_version") || strings.Contains(sighting, "parts_version") {
		t.Fatalf("single writer's host updates write parts_version:\n%s\n%s", facts, sighting)
	}
}
