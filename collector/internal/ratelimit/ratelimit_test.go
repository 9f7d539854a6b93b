package ratelimit

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	var b Bucket
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if !b.Take(3, time.Hour, t0) {
			t.Fatalf("take %d of a full bucket of 3 refused", i+1)
		}
	}
	if b.Take(3, time.Hour, t0) {
		t.Fatal("fourth take of 3 allowed")
	}
	if w := b.Wait(3, time.Hour); w != 20*time.Minute {
		t.Errorf("Wait = %v, want 20m (one token per 20 minutes)", w)
	}
	if b.Take(3, time.Hour, t0.Add(19*time.Minute)) {
		t.Error("token before its refill")
	}
	if !b.Take(3, time.Hour, t0.Add(21*time.Minute)) {
		t.Error("no token after its refill")
	}
	// Refill stops at the size.
	for i := range 3 {
		if !b.Take(3, time.Hour, t0.Add(10*time.Hour)) {
			t.Fatalf("take %d after a long pause refused", i+1)
		}
	}
	if b.Take(3, time.Hour, t0.Add(10*time.Hour)) {
		t.Error("the bucket refilled beyond its size")
	}
	var off Bucket
	for range 1000 {
		if !off.Take(-1, time.Hour, t0) {
			t.Fatal("a negative size limited")
		}
	}
}
