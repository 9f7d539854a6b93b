package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/memledger/memledger/internal/suggest"
)

// ErrAmbiguous: a hostname names more than one host where one is needed.
var ErrAmbiguous = errors.New("ambiguous")

// HostsNamed finds the hosts a person names: the host with that id, else
// every host with that hostname (hostnames need not be unique). Without a
// match the error wraps ErrNotFound and lists the closest ids and
// hostnames, so a typo never reads as an empty fleet.
func HostsNamed(ctx context.Context, st Store, name string) ([]Host, error) {
	byID, err := st.Hosts(ctx, HostFilter{IDs: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("look up host %q: %w", name, err)
	}
	if len(byID) > 0 {
		return byID, nil
	}
	byName, err := st.Hosts(ctx, HostFilter{Hostnames: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("look up host %q: %w", name, err)
	}
	if len(byName) > 0 {
		return byName, nil
	}
	all, err := st.Hosts(ctx, HostFilter{})
	if err != nil {
		return nil, fmt.Errorf("look up host %q: %w", name, err)
	}
	names := make([]string, 0, 2*len(all))
	for _, h := range all {
		names = append(names, h.ID, h.Hostname)
	}
	return nil, &lookupError{fmt.Sprintf("no host %q in the ledger (neither a host id nor a hostname)%s", name, suggest.Hint(name, names)), ErrNotFound}
}

// ResolveHost finds the one host a person names by id or hostname. A
// hostname several hosts carry is an error wrapping ErrAmbiguous that lists
// their ids; an unknown name one wrapping ErrNotFound.
func ResolveHost(ctx context.Context, st Store, name string) (Host, error) {
	hosts, err := HostsNamed(ctx, st, name)
	if err != nil {
		return Host{}, err
	}
	if len(hosts) > 1 {
		ids := make([]string, len(hosts))
		for i, h := range hosts {
			ids[i] = h.ID
		}
		sort.Strings(ids)
		return Host{}, &lookupError{fmt.Sprintf("hostname %q names %d hosts (%s): give a host id", name, len(hosts), strings.Join(ids, ", ")), ErrAmbiguous}
	}
	return hosts[0], nil
}

// CheckLabelKeys fails unless some host in the ledger carries each of
// keys, with an error wrapping ErrInvalid that lists the closest keys the
// ledger has: a filter or grouping on "stie" would otherwise select
// nothing (or, negated, everything) without a word.
func CheckLabelKeys(ctx context.Context, st Store, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	hosts, err := st.Hosts(ctx, HostFilter{})
	if err != nil {
		return fmt.Errorf("list label keys: %w", err)
	}
	known := map[string]bool{}
	for _, h := range hosts {
		for k := range h.Labels {
			known[k] = true
		}
	}
	for _, k := range keys {
		if !known[k] {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			return &lookupError{fmt.Sprintf("no host in the ledger has a label %q%s", k, suggest.Hint(k, names)), ErrInvalid}
		}
	}
	return nil
}

// lookupError is a message for people that matches its kind (ErrNotFound,
// ErrAmbiguous, ErrInvalid) with errors.Is without repeating it.
type lookupError struct {
	msg  string
	kind error
}

func (e *lookupError) Error() string        { return e.msg }
func (e *lookupError) Is(target error) bool { return target == e.kind }
