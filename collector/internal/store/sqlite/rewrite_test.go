package sqlite

import (
	"reflect"
	"testing"
	"time"
)

func TestRewrite(t *testing.T) {
	tests := []struct {
		in        string
		want      string
		wantOrder []int
	}{
		{in: "SELECT 1", want: "SELECT 1"},
		{in: "SELECT $1, $2, $3", want: "SELECT ?, ?, ?"},
		{in: "UPDATE t SET a = $2, b = $3 WHERE id = $1", want: "UPDATE t SET a = ?, b = ? WHERE id = ?", wantOrder: []int{2, 3, 1}},
		{in: "SELECT $1 WHERE x = $1", want: "SELECT ? WHERE x = ?", wantOrder: []int{1, 1}},
		{in: "VALUES ($10,$11)", want: "VALUES (?,?)", wantOrder: []int{10, 11}},
		{in: "SELECT $a, $", want: "SELECT $a, $"},
		{in: "SELECT $0, $1", want: "SELECT ?0, ?1"},
		{in: "SELECT $99999999999", want: "SELECT ?99999999999"},
	}
	for _, tc := range tests {
		got, order := rewrite(tc.in)
		if got != tc.want || !reflect.DeepEqual(order, tc.wantOrder) {
			t.Errorf("rewrite(%q) = %q, %v; want %q, %v", tc.in, got, order, tc.want, tc.wantOrder)
		}
	}
}

func TestBindArgs(t *testing.T) {
	at := time.Date(2025, 3, 1, 8, 0, 0, 1000, time.UTC)
	tests := []struct {
		name  string
		order []int
		args  []any
		want  []any
	}{
		{name: "in order", args: []any{"a", at}, want: []any{"a", at.UnixMicro()}},
		{name: "reordered", order: []int{2, 3, 1}, args: []any{int64(7), "x", at}, want: []any{"x", at.UnixMicro(), int64(7)}},
		{name: "repeated", order: []int{1, 1}, args: []any{"h"}, want: []any{"h", "h"}},
		{name: "missing argument stops", order: []int{2, 1}, args: []any{"only"}, want: []any{}},
	}
	for _, tc := range tests {
		if got := bindArgs(tc.order, tc.args); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: bindArgs = %#v, want %#v", tc.name, got, tc.want)
		}
	}
	// The caller's slice is never changed.
	args := []any{at}
	bindArgs(nil, args)
	bindArgs([]int{1}, args)
	if args[0] != any(at) {
		t.Errorf("args changed to %#v", args)
	}
}

func FuzzRewrite(f *testing.F) {
	for _, s := range []string{"SELECT $1", "UPDATE t SET a = $2 WHERE id = $1", "$", "$0", "a$12b$3", "$99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, order := rewrite(q)
		if order != nil {
			n := 0
			for i := 0; i < len(got); i++ {
				if got[i] == '?' {
					n++
				}
			}
			// Every parameter became one '?' (the text may hold others).
			if n < len(order) {
				t.Fatalf("rewrite(%q) = %q with %d '?' for order %v", q, got, n, order)
			}
			for _, o := range order {
				if o < 1 {
					t.Fatalf("rewrite(%q): order %v", q, order)
				}
			}
		}
	})
}
