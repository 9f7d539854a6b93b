package render

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// The inventory's JSON is protojson's, byte for byte, but written by
// functions generated from the proto descriptors (inventory_json_gen.go, by
// TestJSONEncoderIsCurrent) rather than by protojson: protojson's first
// use builds the reflection tables of every message it meets, and its
// package initialisation compiles regular expressions, together a fifth of
// a one-shot `scan --format json` (docs/benchmarks.md).
// TestJSONMatchesProtojson compares the two on random inventories.
//
// The helpers below are what the generated functions share; each follows
// google.golang.org/protobuf/internal/encoding/json and encoding/protojson.

var errInvalidUTF8 = errors.New("invalid UTF-8")

// jsonKey starts an object member: a comma unless it is the first.
func jsonKey(b []byte, first *bool, name string) []byte {
	if !*first {
		b = append(b, ',')
	}
	*first = false
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// jsonString quotes s as protojson does: only '"', '\\' and control
// characters are escaped, and invalid UTF-8 is an error.
func jsonString(b []byte, s string) ([]byte, error) {
	b = append(b, '"')
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			return b, errInvalidUTF8
		case r < ' ' || r == '"' || r == '\\':
			b = append(b, '\\')
			switch r {
			case '"', '\\':
				b = append(b, byte(r))
			case '\b':
				b = append(b, 'b')
			case '\f':
				b = append(b, 'f')
			case '\n':
				b = append(b, 'n')
			case '\r':
				b = append(b, 'r')
			case '\t':
				b = append(b, 't')
			default:
				b = append(b, 'u')
				b = append(b, "0000"[1+(bits.Len32(uint32(r))-1)/4:]...)
				b = strconv.AppendUint(b, uint64(r), 16)
			}
		default:
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return append(b, '"'), nil
}

// jsonStrings writes a repeated string field.
func jsonStrings(b []byte, ss []string) ([]byte, error) {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = jsonString(b, s); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// jsonStringMap writes a map<string, string> field, its keys sorted.
func jsonStringMap(b []byte, m map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = jsonString(b, k); err != nil {
			return b, err
		}
		b = append(b, ':')
		if b, err = jsonString(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// jsonUint64 writes a 64-bit integer as protojson does: quoted.
func jsonUint64(b []byte, v uint64) []byte {
	b = append(b, '"')
	b = strconv.AppendUint(b, v, 10)
	return append(b, '"')
}

// The range protojson accepts: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// jsonTimestamp writes a google.protobuf.Timestamp in RFC 3339, in UTC,
// with 0, 3, 6 or 9 fractional digits.
func jsonTimestamp(b []byte, t *timestamppb.Timestamp) ([]byte, error) {
	secs, nanos := t.GetSeconds(), t.GetNanos()
	if secs < minTimestampSeconds || secs > maxTimestampSeconds {
		return b, fmt.Errorf("google.protobuf.Timestamp: seconds out of range %v", secs)
	}
	if nanos < 0 || nanos > 999999999 {
		return b, fmt.Errorf("google.protobuf.Timestamp: nanos out of range %v", nanos)
	}
	x := time.Unix(secs, int64(nanos)).UTC().Format("2006-01-02T15:04:05.000000000")
	x = strings.TrimSuffix(x, "000")
	x = strings.TrimSuffix(x, "000")
	x = strings.TrimSuffix(x, ".000")
	b = append(b, '"')
	b = append(b, x...)
	return append(b, 'Z', '"'), nil
}
