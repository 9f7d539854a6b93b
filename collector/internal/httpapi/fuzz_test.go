package httpapi

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseAsOf: any input gives a time or an error naming the input,
// never a panic, and an accepted date is the end of that day.
func FuzzParseAsOf(f *testing.F) {
	for _, s := range []string{"2025-03-05", "2025-03-05T12:00:00Z", "2025-03-05T12:00:00+02:00", "", "yesterday",
		"2025-13-01", "2025-02-30", "9999-12-31", "0000-01-01", "2025-03-05T25:00:00Z", "2025-03-05 12:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseAsOf(s)
		if err != nil {
			if !strings.Contains(err.Error(), "YYYY-MM-DD") {
				t.Errorf("error %q does not say what is expected", err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Errorf("%q: %v not in UTC", s, got)
		}
		if d, derr := time.Parse(time.DateOnly, s); derr == nil && !got.Equal(d.Add(24*time.Hour-time.Microsecond)) {
			t.Errorf("%q: %v, want the end of that day", s, got)
		}
	})
}
