package cliconfig

import (
	"strings"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"64MiB", 64 << 20}, {"64mib", 64 << 20}, {"2 KiB", 2 << 10}, {" 4Mi ", 4 << 20},
		{"1GiB", 1 << 30}, {"2TiB", 2 << 40}, {"1.5MiB", 3 << 19}, {"1GB", 1e9}, {"500KB", 5e5}, {"4M", 4e6},
		{"10B", 10}, {"1,024", 1024},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "0KiB", "0.1B", "-1", "-1MiB", "MiB", "lots", "12 parsecs", "9EiB", "99999999999999999999"} {
		got, err := ParseByteSize(bad)
		if err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", bad, got)
			continue
		}
		if want := `size "` + bad + `": want a positive number of bytes`; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseByteSize(%q) error %q, want it to start %q", bad, err, want)
		}
	}
}

func TestByteSizeStringRoundTrips(t *testing.T) {
	for _, n := range []int64{1, 1000, 1 << 10, 1536, 128 << 20, 4 << 30, 3 << 40} {
		b := ByteSize(n)
		var back ByteSize
		if err := back.Set(b.String()); err != nil || back != b {
			t.Errorf("ByteSize(%d).String() = %q, read back as %d, %v", n, b.String(), back, err)
		}
	}
	if b := ByteSize(128 << 20); b.String() != "128MiB" {
		t.Errorf("String() = %q, want 128MiB", b.String())
	}
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1048576", "2 KiB", "1GB", "4M", "1.5MiB", "-1", "", "0", "9EiB", "1,024", "18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseByteSize(s)
		if err != nil {
			if n != 0 || !strings.Contains(err.Error(), "size ") {
				t.Fatalf("ParseByteSize(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("ParseByteSize(%q) = %d: not positive", s, n)
		}
		b := ByteSize(n)
		var back ByteSize
		if err := back.Set(b.String()); err != nil || back != b {
			t.Fatalf("ParseByteSize(%q) = %d: String %q reads back as %d, %v", s, n, b.String(), back, err)
		}
	})
}
