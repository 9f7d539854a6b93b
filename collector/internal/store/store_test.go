package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/collector/internal/store/storetest"
	"github.com/memledger/memledger/internal/inventory"
)

func TestParseSelectors(t *testing.T) {
	tests := []struct {
		in      string
		want    []store.LabelSelector
		wantErr bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"env=prod", []store.LabelSelector{{Key: "env", Op: store.LabelEquals, Value: "prod"}}, false},
		{"env = prod , rack!=r12", []store.LabelSelector{{Key: "env", Op: store.LabelEquals, Value: "prod"}, {Key: "rack", Op: store.LabelNotEquals, Value: "r12"}}, false},
		{"gpu,!decommissioned", []store.LabelSelector{{Key: "gpu", Op: store.LabelExists}, {Key: "decommissioned", Op: store.LabelNotExists}}, false},
		{"empty=", []store.LabelSelector{{Key: "empty", Op: store.LabelEquals, Value: ""}}, false},
		{"a=b=c", []store.LabelSelector{{Key: "a", Op: store.LabelEquals, Value: "b=c"}}, false},
		{"env=prod,", nil, true},
		{",", nil, true},
		{"=prod", nil, true},
		{"!", nil, true},
		{"!=x", nil, true},
		{"a b=c", nil, true},
		{"k\x00=v", nil, true},
	}
	for _, tc := range tests {
		got, err := store.ParseSelectors(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseSelectors(%q) error %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("ParseSelectors(%q) error %v does not wrap ErrInvalid", tc.in, err)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSelectors(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestSelectorMatches(t *testing.T) {
	labels := map[string]string{"env": "prod", "gpu": ""}
	tests := []struct {
		sel  string
		want bool
	}{
		{"env=prod", true},
		{"env=dev", false},
		{"env!=dev", true},
		{"env!=prod", false},
		{"missing!=x", true},
		{"gpu", true},
		{"gpu=", true},
		{"!gpu", false},
		{"!missing", true},
		{"missing", false},
	}
	for _, tc := range tests {
		sels, err := store.ParseSelectors(tc.sel)
		if err != nil {
			t.Fatal(err)
		}
		if got := sels[0].Matches(labels); got != tc.want {
			t.Errorf("%q matches %v = %v, want %v", tc.sel, labels, got, tc.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{"", "/var/lib/ledger.db", "mysql://x", ":nothing"} {
		_, err := store.Open(ctx, dsn)
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Open(%q): %v, want ErrInvalid", dsn, err)
		}
	}
	_, err := store.Open(ctx, "mysql://root:secret@db/x")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks or is missing: %v", err)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"sqlite:/tmp/x.db":                          "sqlite:/tmp/x.db",
		"postgres://u:p@ss@h/db":                    "postgres://u:xxxxx@h/db",
	} {
		if got := store.RedactDSN(in); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[store.Status]string{store.Committed: "committed", store.Duplicate: "duplicate", store.NeedFull: "need_full", store.Rejected: "rejected", 0: "status(0)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

// FuzzParseSelectors: parsing never panics, and a parsed list renders
// (String) to text that parses back to the same list.
func FuzzParseSelectors(f *testing.F) {
	for _, s := range []string{"env=prod", "env!=prod,rack", "!gpu, a=b=c", "a=", "", ",", "k\x00=v", "env = prod , x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sels, err := store.ParseSelectors(s)
		if err != nil {
			return
		}
		parts := make([]string, len(sels))
		for i, sel := range sels {
			parts[i] = sel.String()
		}
		again, err := store.ParseSelectors(strings.Join(parts, ","))
		if err != nil {
			// Values may hold ',' or leading/trailing spaces, which the
			// syntax cannot carry; only keys are validated.
			for _, sel := range sels {
				if strings.ContainsAny(sel.Value, ",") {
					return
				}
			}
			t.Fatalf("re-parse of %q: %v", parts, err)
		}
		if len(again) != len(sels) {
			t.Fatalf("round trip %q -> %+v -> %+v", s, sels, again)
		}
		for i := range sels {
			if again[i].Key != sels[i].Key || again[i].Op != sels[i].Op {
				t.Fatalf("round trip %q: %+v != %+v", s, again[i], sels[i])
			}
		}
	})
}

// TestPrecompute: both encoders give inventory.Digest and
// inventory.DigestInput; a heartbeat has nothing to precompute; only
// CheckUTF8 refuses a string that is not UTF-8.
func TestPrecompute(t *testing.T) {
	inv := storetest.FullHost("h1")
	inv.Host.Labels = map[string]string{"rack": "r1", "zone": "z", "app": "db"}
	wantD, err := inventory.Digest(inv)
	if err != nil {
		t.Fatal(err)
	}
	wantIn, err := inventory.DigestInput(inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, assume := range []store.Strings{store.CheckUTF8, store.KnownValidUTF8} {
		pre, err := store.Precompute(store.Report{HostID: "h1", Sequence: 1, Inventory: inv}, assume)
		if err != nil {
			t.Fatalf("Precompute(%d): %v", assume, err)
		}
		if pre.Digest != wantD || string(pre.Input) != string(wantIn) {
			t.Errorf("Precompute(%d) = %s (%d bytes), want %s (%d bytes)", assume, pre.Digest, len(pre.Input), wantD, len(wantIn))
		}
		hb, err := store.Precompute(store.Report{HostID: "h1", Sequence: 2, HeartbeatDigest: wantD}, assume)
		if hb != nil || err != nil {
			t.Errorf("Precompute(%d) of a heartbeat = %+v, %v; want nil, nil", assume, hb, err)
		}
	}
	bad := storetest.FullHost("h1")
	bad.Host.Hostname = "bad\xff"
	if _, err := store.Precompute(store.Report{HostID: "h1", Sequence: 1, Inventory: bad}, store.CheckUTF8); err == nil {
		t.Error("Precompute(CheckUTF8) of invalid UTF-8: no error")
	}
}
