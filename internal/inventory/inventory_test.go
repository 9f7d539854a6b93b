package inventory

import (
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestSlot(t *testing.T) {
	for _, tc := range []struct{ loc, bank, want string }{
		{"DIMM_A1", "", "DIMM_A1"},
		{"DIMM 1", "P0 CHANNEL A", "P0 CHANNEL A/DIMM 1"},
		{"ChannelA-DIMM0", "BANK 0", "BANK 0/ChannelA-DIMM0"},
		{"CPU1_DIMM_A1", "CPU1_DIMM_A1", "CPU1_DIMM_A1"},
		{"DIMM3", "Not Specified", "DIMM3"},
		{"", "BANK 2", "BANK 2"},
		{"", "", ""},
	} {
		got := Slot(&memledgerv1.MemoryModule{Locator: tc.loc, BankLocator: tc.bank})
		if got != tc.want {
			t.Errorf("Slot(%q, %q) = %q, want %q", tc.loc, tc.bank, got, tc.want)
		}
	}
}

func TestDigestIgnoresCollectionTime(t *testing.T) {
	a := &memledgerv1.Inventory{
		Host:          &memledgerv1.Host{HostId: "h1"},
		CollectedAt:   timestamppb.Now(),
		MemoryModules: []*memledgerv1.MemoryModule{{Locator: "A1", SerialNumber: "1"}},
	}
	b := &memledgerv1.Inventory{
		Host:          &memledgerv1.Host{HostId: "h1"},
		MemoryModules: []*memledgerv1.MemoryModule{{Locator: "A1", SerialNumber: "1"}},
	}
	da, err := Digest(a)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := Digest(b)
	if da != db {
		t.Errorf("digests differ only by collected_at: %s vs %s", da, db)
	}
	if a.CollectedAt == nil {
		t.Error("Digest modified its argument")
	}
	b.MemoryModules[0].SerialNumber = "2"
	if dc, _ := Digest(b); dc == da {
		t.Error("digest did not change with the serial number")
	}
}
