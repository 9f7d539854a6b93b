package cliconfig

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// ByteSize is a flag value in bytes, the one size syntax of both binaries
// (flags, MEMLEDGER_* variables and config file keys alike). It takes a
// whole or decimal number with an optional unit, case-insensitive, with or
// without a space: none or B for bytes; KiB, MiB, GiB, TiB (also Ki, Mi,
// Gi, Ti) for powers of 1024; KB, MB, GB, TB (also K, M, G, T) for powers
// of 1000, as go-humanize's ParseBytes reads them. "64MiB" is 67108864,
// "64MB" and "64M" are 64000000. Zero and negative sizes are errors: no
// limit of ours means anything at zero.
type ByteSize int64

// ByteSizeUnits is the syntax in words, for messages and help.
const ByteSizeUnits = "a positive number of bytes, optionally with a unit: KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000)"

// ParseByteSize parses a size such as "64MiB", "500KB" or "1048576". The
// error quotes s; the caller adds which flag or key it came from (pflag,
// Apply and Resolve do).
func ParseByteSize(s string) (int64, error) {
	n, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil || n == 0 || n > math.MaxInt64 {
		return 0, fmt.Errorf("size %q: want %s", s, ByteSizeUnits)
	}
	return int64(n), nil
}

// Set parses s (pflag.Value).
func (b *ByteSize) Set(s string) error {
	n, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = ByteSize(n)
	return nil
}

// Type names the value in help (pflag.Value).
func (b *ByteSize) Type() string { return "bytes" }

// String writes the size in the largest binary unit that divides it
// ("128MiB"), which Set reads back.
func (b *ByteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
