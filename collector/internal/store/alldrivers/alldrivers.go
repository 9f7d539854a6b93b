// Package alldrivers links every store driver (sqlite, postgres) so that
// store.Open accepts all DSN schemes. Import it for its side effect:
//
//	import _ "github.com/memledger/memledger/collector/internal/store/alldrivers"
package alldrivers

import (
	_ "github.com/memledger/memledger/collector/internal/store/postgres" // registers postgres://, postgresql://
	_ "github.com/memledger/memledger/collector/internal/store/sqlite"   // registers sqlite:
)
