package smbios_test

import (
	"testing"

	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
)

// A Dell UUID as stored: the service-tag style value dmidecode prints as
// 4c4c4544-0039-3010-8048-b7c04f384432 for SMBIOS >= 2.6.
var dellUUID = [16]byte{0x44, 0x45, 0x4C, 0x4C, 0x39, 0x00, 0x10, 0x30, 0x80, 0x48, 0xB7, 0xC0, 0x4F, 0x38, 0x44, 0x32}

func TestFormatUUID(t *testing.T) {
	var ff, zero [16]byte
	for i := range ff {
		ff[i] = 0xFF
	}
	tests := []struct {
		name string
		p    []byte
		v    smbios.Version
		want string
	}{
		{"2.6 swaps the first three fields", dellUUID[:], smbios.Version{Major: 2, Minor: 6}, "4c4c4544-0039-3010-8048-b7c04f384432"},
		{"3.x swaps too", dellUUID[:], smbios.Version{Major: 3, Minor: 0}, "4c4c4544-0039-3010-8048-b7c04f384432"},
		{"2.5 keeps network order", dellUUID[:], smbios.Version{Major: 2, Minor: 5}, "44454c4c-3900-1030-8048-b7c04f384432"},
		{"all 0xFF", ff[:], smbios.Version{Major: 3}, smbios.UUIDNotPresent},
		{"all zero", zero[:], smbios.Version{Major: 3}, smbios.UUIDNotSettable},
		{"wrong length", dellUUID[:15], smbios.Version{Major: 3}, ""},
	}
	for _, tc := range tests {
		if got := smbios.FormatUUID(tc.p, tc.v); got != tc.want {
			t.Errorf("%s: FormatUUID = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSystem(t *testing.T) {
	full := smbiostest.System{
		Manufacturer: "Dell Inc.", ProductName: "PowerEdge R630", Version: "  ", SerialNumber: "790H8D2",
		UUID: dellUUID, WakeUpType: 6, SKUNumber: "SKU=NotProvided;ModelName=PowerEdge R630", Family: "",
	}
	tests := []struct {
		name   string
		sys    smbiostest.System
		ver    smbios.Version
		want   smbios.SystemInfo
		wantOK bool
	}{
		{
			name: "SMBIOS 2.4+ layout",
			sys:  full, ver: smbios.Version{Major: 3, Minor: 3},
			want: smbios.SystemInfo{
				Manufacturer: "Dell Inc.", ProductName: "PowerEdge R630", Version: "", SerialNumber: "790H8D2",
				UUID: "4c4c4544-0039-3010-8048-b7c04f384432", SKUNumber: "SKU=NotProvided;ModelName=PowerEdge R630",
			},
			wantOK: true,
		},
		{
			name: "SMBIOS 2.1 layout: UUID but no SKU or family",
			sys:  func() smbiostest.System { s := full; s.Length = 0x19; return s }(), ver: smbios.Version{Major: 2, Minor: 3},
			want: smbios.SystemInfo{
				Manufacturer: "Dell Inc.", ProductName: "PowerEdge R630", SerialNumber: "790H8D2",
				UUID: "44454c4c-3900-1030-8048-b7c04f384432",
			},
			wantOK: true,
		},
		{
			name: "SMBIOS 2.0 layout: strings only",
			sys:  func() smbiostest.System { s := full; s.Length = 0x08; return s }(), ver: smbios.Version{Major: 2, Minor: 0},
			want:   smbios.SystemInfo{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R630", SerialNumber: "790H8D2"},
			wantOK: true,
		},
		{
			name: "shorter than the four strings",
			sys:  func() smbiostest.System { s := full; s.Length = 0x07; return s }(), ver: smbios.Version{Major: 3},
			wantOK: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := smbiostest.NewBuilder()
			b.AddBaseboard(smbiostest.Baseboard{Manufacturer: "x"})
			b.AddSystem(tc.sys)
			b.AddSystem(smbiostest.System{Manufacturer: "second type-1 structure is ignored"})
			tab, err := smbios.ParseTable(b.Bytes(), tc.ver)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := tab.System()
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			tc.want.Handle = 1
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestBaseboard(t *testing.T) {
	bb := smbiostest.Baseboard{Manufacturer: "Supermicro", Product: "X9DRW", Version: "0123456789", SerialNumber: "VM145S005223", AssetTag: "To be filled by O.E.M."}
	tests := []struct {
		name   string
		length uint8
		want   smbios.BaseboardInfo
		wantOK bool
	}{
		{"full", 0, smbios.BaseboardInfo{Manufacturer: "Supermicro", Product: "X9DRW", Version: "0123456789", SerialNumber: "VM145S005223", AssetTag: "To be filled by O.E.M."}, true},
		{"no asset tag (length 8)", 8, smbios.BaseboardInfo{Manufacturer: "Supermicro", Product: "X9DRW", Version: "0123456789", SerialNumber: "VM145S005223"}, true},
		{"too short", 7, smbios.BaseboardInfo{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := smbiostest.NewBuilder()
			in := bb
			in.Length = tc.length
			b.AddBaseboard(in)
			tab, err := smbios.ParseTable(b.Bytes(), v33)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := tab.Baseboard()
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestSystemAndBaseboardAbsent(t *testing.T) {
	b := smbiostest.NewBuilder()
	b.AddMemoryDevice(smbiostest.MemoryDevice{})
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tab.System(); ok {
		t.Error("System() ok without a type-1 structure")
	}
	if _, ok := tab.Baseboard(); ok {
		t.Error("Baseboard() ok without a type-2 structure")
	}
}

func TestSystemBadStringIndex(t *testing.T) {
	b := smbiostest.NewBuilder()
	// type 1, strings 1..4 referenced but only one present
	b.AddStructure(1, []byte{1, 2, 3, 4}, "only")
	tab, err := smbios.ParseTable(b.Bytes(), v33)
	if err != nil {
		t.Fatal(err)
	}
	si, ok := tab.System()
	if !ok || si.Manufacturer != "only" || si.ProductName != smbios.BadIndex || si.SerialNumber != smbios.BadIndex {
		t.Errorf("System() = %+v, %v", si, ok)
	}
}
