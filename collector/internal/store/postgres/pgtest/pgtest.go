// Package pgtest gives tests a PostgreSQL ledger of their own: a schema
// created for the test on the server MEMLEDGER_TEST_POSTGRES names, and
// dropped when it ends. Only tests import it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/memledger/memledger/collector/internal/store"
)

// EnvDSN names the environment variable holding the test server's DSN,
// e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Tests of
// PostgreSQL run only when it is set.
const EnvDSN = "MEMLEDGER_TEST_POSTGRES"

// DSN returns the test server's DSN, or skips tb with a message naming
// EnvDSN when it is not set.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s to a server DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvDSN)
	}
	return dsn
}

// FreshSchema creates a uniquely named schema on the server dsn names, drops
// it when tb ends, and returns a DSN whose search_path selects it, so that
// tests running at once never see each other's rows.
func FreshSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	ctx := context.Background()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "memledger_test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", store.RedactDSN(dsn), err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s is not a URL DSN: %v", store.RedactDSN(dsn), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
