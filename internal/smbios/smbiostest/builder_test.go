package smbiostest

import (
	"bytes"
	"testing"
)

func TestStringSet(t *testing.T) {
	tests := []struct {
		in   []string
		want []byte
	}{
		{nil, []byte{0, 0}},
		{[]string{"a"}, []byte{'a', 0, 0}},
		{[]string{"ab", "c"}, []byte{'a', 'b', 0, 'c', 0, 0}},
		{[]string{"a", ""}, []byte{'a', 0, 0, 0}},
	}
	for _, tc := range tests {
		if got := StringSet(tc.in...); !bytes.Equal(got, tc.want) {
			t.Errorf("StringSet(%q) = % X, want % X", tc.in, got, tc.want)
		}
	}
}

func TestBuilderLayout(t *testing.T) {
	b := NewBuilder()
	if h := b.AddStructure(0x80, []byte{0xAA}, "x"); h != 0 {
		t.Errorf("first handle %d, want 0", h)
	}
	b.AddStructureWithHandle(0x81, 0x0100, nil)
	if h := b.AddEndOfTable(); h != 0x0101 {
		t.Errorf("handle after 0x0100 is 0x%04X, want 0x0101", h)
	}
	want := []byte{
		0x80, 5, 0, 0, 0xAA, 'x', 0, 0,
		0x81, 4, 0x00, 0x01, 0, 0,
		127, 4, 0x01, 0x01, 0, 0,
	}
	if got := b.Bytes(); !bytes.Equal(got, want) || b.Count() != 3 || b.Len() != len(want) {
		t.Errorf("Bytes() = % X (count %d), want % X (count 3)", got, b.Count(), want)
	}
}

func TestMemoryDeviceLayoutLengths(t *testing.T) {
	for _, length := range []uint8{0x15, 0x1B, 0x1C, 0x22, 0x28, 0x54, 0x5C, 0x64} {
		body, strs := MemoryDeviceLayout(MemoryDevice{Length: length, Locator: "DIMM", PartNumber: "PN", FirmwareVersion: "FW"})
		if len(body) != int(length)-4 {
			t.Errorf("length 0x%02X: body %d bytes, want %d", length, len(body), length-4)
		}
		wantStrs := 1 // Locator
		if length >= 0x1B {
			wantStrs++ // Part Number
		}
		if length >= 0x2C {
			wantStrs++ // Firmware Version
		}
		if len(strs) != wantStrs {
			t.Errorf("length 0x%02X: strings %q, want %d", length, strs, wantStrs)
		}
	}
}

func TestEntryPointChecksums(t *testing.T) {
	sum := func(p []byte) uint8 {
		var s uint8
		for _, c := range p {
			s += c
		}
		return s
	}
	ep21 := EntryPoint21(2, 8, 100, 5)
	if len(ep21) != 31 || sum(ep21) != 0 || sum(ep21[0x10:0x1F]) != 0 || ep21[0x1E] != 0x28 {
		t.Errorf("EntryPoint21 = % X: bad length, checksums or BCD revision", ep21)
	}
	ep30 := EntryPoint30(3, 3, 0, 100)
	if len(ep30) != 24 || sum(ep30) != 0 {
		t.Errorf("EntryPoint30 = % X: bad length or checksum", ep30)
	}
	d := DumpBin(ep30, []byte{1, 2})
	if len(d) != 0x22 || d[0x20] != 1 || !bytes.Equal(d[:24], ep30) {
		t.Errorf("DumpBin layout wrong: % X", d)
	}
}
