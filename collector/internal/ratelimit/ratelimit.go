// Package ratelimit is the token bucket the collector's per-host and
// per-address limits share.
package ratelimit

import "time"

// Bucket holds up to size tokens and refills at size per period; the zero
// Bucket is full. The caller serialises its use.
type Bucket struct {
	tokens float64
	at     time.Time
}

// Take takes one token at now, refilling first, and reports whether there
// was one. A negative size is no limit.
func (b *Bucket) Take(size int, period time.Duration, now time.Time) bool {
	if size < 0 {
		return true
	}
	if b.at.IsZero() {
		b.tokens = float64(size)
	} else if d := now.Sub(b.at); d > 0 {
		b.tokens = min(float64(size), b.tokens+float64(d)/float64(period)*float64(size))
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Wait is how long after the last Take the bucket holds a token again.
func (b *Bucket) Wait(size int, period time.Duration) time.Duration {
	if size <= 0 || b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / float64(size) * float64(period)).Round(time.Second)
}

// Idle reports whether the bucket was last used more than period before
// now: it is full again, and its owner may forget it.
func (b *Bucket) Idle(period time.Duration, now time.Time) bool {
	return now.Sub(b.at) > period
}
