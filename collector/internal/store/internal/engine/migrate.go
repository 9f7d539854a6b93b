package engine

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations describes a driver's embedded schema migrations.
type Migrations struct {
	// FS holds files named NNNN_description.sql at its root; NNNN is the
	// version, applied in increasing order.
	FS fs.FS
	// Lock, when set, runs first in the migration transaction to exclude
	// other processes migrating the same database (PostgreSQL advisory
	// lock). SQLite needs none: its write transaction is exclusive.
	Lock string
	// CreateTable creates schema_migrations(version, name, applied_at) if
	// missing.
	CreateTable string
	// Now is the value bound to applied_at.
	Now any
	// Steps are Go code run after the SQL of the migration file they are
	// keyed by (its name), in the same transaction: what SQL cannot do,
	// such as re-deriving part identities with the ledger's rules.
	Steps map[string]func(ctx context.Context, tx Tx) error
}

type migration struct {
	version int
	name    string
	sql     string
}

// hasStatement reports whether sql holds more than "--" comments and
// space: a migration done by a Go step alone has a file that says why.
func hasStatement(sql string) bool {
	for line := range strings.Lines(sql) {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return true
		}
	}
	return false
}

func readMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %q: name must be NNNN_description.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration files %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies the missing migrations in one transaction and returns the
// versions it applied. A database with a version this binary does not know
// (written by a newer collector) is refused.
func Migrate(ctx context.Context, conn Conn, m Migrations) ([]int, error) {
	all, err := readMigrations(m.FS)
	if err != nil {
		return nil, err
	}
	known := map[int]bool{}
	for _, mg := range all {
		known[mg.version] = true
	}
	var applied []int
	err = conn.Write(ctx, func(ctx context.Context, tx Tx) error {
		applied = applied[:0]
		if m.Lock != "" {
			if _, err := tx.Exec(ctx, m.Lock); err != nil {
				return fmt.Errorf("lock for migrations: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, m.CreateTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		have := map[int]bool{}
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			have[int(v)] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		for v := range have {
			if !known[v] {
				return fmt.Errorf("database has schema version %d, unknown to this collector (newer collector?)", v)
			}
		}
		for _, mg := range all {
			if have[mg.version] {
				continue
			}
			if hasStatement(mg.sql) {
				if _, err := tx.Exec(ctx, mg.sql); err != nil {
					return fmt.Errorf("apply migration %s: %w", mg.name, err)
				}
			}
			if step := m.Steps[mg.name]; step != nil {
				if err := step(ctx, tx); err != nil {
					return fmt.Errorf("apply migration %s: %w", mg.name, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				int64(mg.version), mg.name, m.Now); err != nil {
				return fmt.Errorf("record migration %s: %w", mg.name, err)
			}
			applied = append(applied, mg.version)
		}
		return nil
	})
	return applied, err
}
