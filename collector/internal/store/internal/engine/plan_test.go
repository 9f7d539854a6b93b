package engine

import (
	"testing"

	"github.com/memledger/memledger/collector/internal/ledger"
)

// A prefetched identity answers a host's lookup until a report of another
// host touches it: a host's own earlier reports in the batch write only
// its own rows, which its lookups skip.
func TestRemotePrefetchAnswers(t *testing.T) {
	pf := &remotePrefetch{known: map[string]bool{"a": true, "b": true, "c": true}, rows: map[string][]ledger.Remote{}, touchedBy: map[string]string{}}
	pf.touch("a", "h1") // h1's earlier report swapped a in
	pf.touch("b", "h2")
	pf.touch("c", "h1")
	pf.touch("c", "h2")
	for _, tc := range []struct {
		identity, host string
		want           bool
	}{
		{"a", "h1", true},  // touched by the looking host only
		{"a", "h2", false}, // h1 may have written an a row
		{"b", "h1", false},
		{"b", "h2", true},
		{"c", "h1", false}, // touched by two hosts
		{"c", "h2", false},
		{"d", "h1", false}, // never prefetched
	} {
		if got := pf.answers(tc.identity, tc.host); got != tc.want {
			t.Errorf("answers(%q, %q) = %v, want %v", tc.identity, tc.host, got, tc.want)
		}
	}
}
