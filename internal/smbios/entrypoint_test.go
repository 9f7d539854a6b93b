package smbios_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
)

// fixChecksum recomputes the byte at sumOff so that p[from:to] sums to 0.
func fixChecksum(p []byte, from, to, sumOff int) {
	p[sumOff] = 0
	var s uint8
	for _, c := range p[from:to] {
		s += c
	}
	p[sumOff] = -s
}

func TestParseEntryPoint(t *testing.T) {
	ep21 := smbiostest.EntryPoint21(2, 8, 3096, 81)
	ep30 := smbiostest.EntryPoint30(3, 2, 1, 5809)

	legacy := []byte("_DMI_\x00\x34\x12\x00\x00\x0f\x00\x07\x00\x21")
	fixChecksum(legacy, 0, 15, 5)

	tests := []struct {
		name    string
		in      []byte
		want    smbios.EntryPoint
		wantErr error
		errHas  string
	}{
		{
			name: "SMBIOS 2.8 _SM_",
			in:   ep21,
			want: smbios.EntryPoint{Version: smbios.Version{Major: 2, Minor: 8}, TableAddress: 0x20, TableLength: 3096, StructureCount: 81, Length: 31},
		},
		{
			name: "SMBIOS 3.2.1 _SM3_",
			in:   ep30,
			want: smbios.EntryPoint{Version: smbios.Version{Major: 3, Minor: 2, Revision: 1}, TableAddress: 0x20, TableLength: 5809, Is64Bit: true, Length: 24},
		},
		{
			name: "trailing bytes after the entry point are ignored",
			in:   append(append([]byte(nil), ep30...), 0xAA, 0xBB),
			want: smbios.EntryPoint{Version: smbios.Version{Major: 3, Minor: 2, Revision: 1}, TableAddress: 0x20, TableLength: 5809, Is64Bit: true, Length: 24},
		},
		{
			name: "legacy _DMI_ with BCD revision 2.1",
			in:   legacy,
			want: smbios.EntryPoint{Version: smbios.Version{Major: 2, Minor: 1}, TableAddress: 0xF0000, TableLength: 0x1234, StructureCount: 7, Length: 15},
		},
		{
			name: "length field 0x1E accepted (SMBIOS 2.1 erratum)",
			in: func() []byte {
				p := append([]byte(nil), ep21...)
				p[5] = 0x1E
				fixChecksum(p, 0, 0x1E, 4)
				return p
			}(),
			want: smbios.EntryPoint{Version: smbios.Version{Major: 2, Minor: 8}, TableAddress: 0x20, TableLength: 3096, StructureCount: 81, Length: 30},
		},
		{
			name: "version 2.31 fixed up to 2.3",
			in:   smbiostest.EntryPoint21(2, 31, 100, 3),
			want: smbios.EntryPoint{Version: smbios.Version{Major: 2, Minor: 3}, TableAddress: 0x20, TableLength: 100, StructureCount: 3, Length: 31},
		},
		{
			name: "version 2.33 fixed up to 2.3",
			in:   smbiostest.EntryPoint21(2, 33, 100, 3),
			want: smbios.EntryPoint{Version: smbios.Version{Major: 2, Minor: 3}, TableAddress: 0x20, TableLength: 100, StructureCount: 3, Length: 31},
		},
		{
			name: "version 2.51 fixed up to 2.6",
			in:   smbiostest.EntryPoint21(2, 51, 100, 3),
			want: smbios.EntryPoint{Version: smbios.Version{Major: 2, Minor: 6}, TableAddress: 0x20, TableLength: 100, StructureCount: 3, Length: 31},
		},
		{
			name:    "_SM_ entry point checksum wrong",
			in:      func() []byte { p := append([]byte(nil), ep21...); p[0x08]++; return p }(),
			wantErr: smbios.ErrChecksum,
			errHas:  "entry point checksum",
		},
		{
			name: "_SM_ intermediate _DMI_ checksum wrong",
			in: func() []byte {
				p := append([]byte(nil), ep21...)
				p[0x16]++                     // table length, covered by both checksums
				fixChecksum(p, 0, 0x1F, 0x04) // repair only the outer one
				return p
			}(),
			wantErr: smbios.ErrChecksum,
			errHas:  "intermediate _DMI_ checksum",
		},
		{
			name: "_SM_ without _DMI_ anchor",
			in: func() []byte {
				p := append([]byte(nil), ep21...)
				copy(p[0x10:], "_XXX_")
				fixChecksum(p, 0, 0x1F, 0x04)
				return p
			}(),
			wantErr: smbios.ErrMalformed,
			errHas:  "offset 0x10",
		},
		{
			name:    "_SM3_ checksum wrong",
			in:      func() []byte { p := append([]byte(nil), ep30...); p[0x0C]++; return p }(),
			wantErr: smbios.ErrChecksum,
			errHas:  "_SM3_",
		},
		{
			name:    "legacy checksum wrong",
			in:      func() []byte { p := append([]byte(nil), legacy...); p[0x0E]++; return p }(),
			wantErr: smbios.ErrChecksum,
			errHas:  "legacy",
		},
		{
			name:    "_SM3_ truncated",
			in:      ep30[:20],
			wantErr: smbios.ErrTruncated,
			errHas:  "20 bytes, need 24",
		},
		{
			name:    "_SM_ truncated",
			in:      ep21[:30],
			wantErr: smbios.ErrTruncated,
			errHas:  "30 bytes, need 31",
		},
		{
			name:    "legacy truncated",
			in:      legacy[:10],
			wantErr: smbios.ErrTruncated,
		},
		{
			name: "_SM3_ length field below 24",
			in: func() []byte {
				p := append([]byte(nil), ep30...)
				p[6] = 0x10
				fixChecksum(p, 0, 0x10, 5)
				return p
			}(),
			wantErr: smbios.ErrMalformed,
			errHas:  "offset 0x06",
		},
		{
			name: "_SM3_ length field beyond the input",
			in: func() []byte {
				p := append([]byte(nil), ep30...)
				p[6] = 0x40
				return p
			}(),
			wantErr: smbios.ErrTruncated,
			errHas:  "length field (offset 0x06) is 64",
		},
		{
			name: "_SM_ length field below 30",
			in: func() []byte {
				p := append([]byte(nil), ep21...)
				p[5] = 0x10
				return p
			}(),
			wantErr: smbios.ErrMalformed,
		},
		{name: "no anchor", in: []byte("hello world, not SMBIOS at all"), wantErr: smbios.ErrNoEntryPoint, errHas: "hello"},
		{name: "empty input", in: nil, wantErr: smbios.ErrNoEntryPoint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := smbios.ParseEntryPoint(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want one wrapping %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("error %q does not mention %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		v            smbios.Version
		str          string
		atLeast26    bool
		atLeast3Zero bool
	}{
		{smbios.Version{Major: 3, Minor: 2}, "3.2.0", true, true},
		{smbios.Version{Major: 3, Minor: 3, Revision: 1}, "3.3.1", true, true},
		{smbios.Version{Major: 2, Minor: 6}, "2.6.0", true, false},
		{smbios.Version{Major: 2, Minor: 5}, "2.5.0", false, false},
		{smbios.Version{Major: 1, Minor: 9}, "1.9.0", false, false},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.str {
			t.Errorf("%+v.String() = %q, want %q", tc.v, got, tc.str)
		}
		if got := tc.v.AtLeast(2, 6); got != tc.atLeast26 {
			t.Errorf("%s.AtLeast(2,6) = %v", tc.str, got)
		}
		if got := tc.v.AtLeast(3, 0); got != tc.atLeast3Zero {
			t.Errorf("%s.AtLeast(3,0) = %v", tc.str, got)
		}
	}
}
