package postgres

import (
	"context"

	"github.com/memledger/memledger/collector/internal/store"
)

// OpenCountingRetries is Open, also returning what the store's
// transactions were retried for: a count per SQLSTATE retried.
func OpenCountingRetries(ctx context.Context, dsn string) (store.Store, func() map[string]int64, error) {
	s, c, err := open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	return s, func() map[string]int64 {
		out := map[string]int64{}
		for i, code := range transientCodes {
			if n := c.retried[i].Load(); n > 0 {
				out[code] = n
			}
		}
		return out
	}, nil
}
