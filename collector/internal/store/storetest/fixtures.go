// Package storetest is the conformance suite every store driver runs
// (Run), plus the shared benchmarks (BenchApplyFull, BenchApplyHeartbeat)
// and inventory fixtures.
package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// T0 is the base time of the suite's reports.
var T0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// At returns T0 plus d days.
func At(days int) time.Time { return T0.Add(time.Duration(days) * 24 * time.Hour) }

// Vendors used by the fixtures, as the agent's vendor resolution reports
// them.
var (
	Micron   = &memledgerv1.Vendor{Id: "micron", Name: "Micron", Parent: "micron", Evidence: []string{"smbios-module-id"}, Jep106: "1:0x2C"}
	Crucial  = &memledgerv1.Vendor{Id: "crucial", Name: "Crucial", Parent: "micron", Evidence: []string{"name"}}
	Kingston = &memledgerv1.Vendor{Id: "kingston", Name: "Kingston", Parent: "kingston", Evidence: []string{"spd-module-id"}, Jep106: "2:0x18"}
	Samsung  = &memledgerv1.Vendor{Id: "samsung", Name: "Samsung", Parent: "samsung", Evidence: []string{"smbios-module-id"}, Jep106: "1:0x4E"}
	Hynix    = &memledgerv1.Vendor{Id: "skhynix", Name: "SK hynix", Parent: "skhynix", Evidence: []string{"smbios-module-id"}, Jep106: "1:0x2D"}
	Phison   = &memledgerv1.Vendor{Id: "phison", Name: "Phison", Parent: "phison", Evidence: []string{"pci-vendor"}}
)

// Bank is the bank locator of every DIMM fixture: the ledger names their
// slots Bank+"/"+locator, as inventory.Slot does (see SlotOf).
const Bank = "P0_Node0_Channel0_Dimm0"

// SlotOf is the slot name of the DIMM fixture in locator loc.
func SlotOf(loc string) string { return Bank + "/" + loc }

// DIMM returns a DDR4 RDIMM record.
func DIMM(slot string, v *memledgerv1.Vendor, pn, serial string) *memledgerv1.MemoryModule {
	return &memledgerv1.MemoryModule{
		Locator:            slot,
		BankLocator:        Bank,
		SizeBytes:          32 << 30,
		MemoryType:         "DDR4",
		FormFactor:         "DIMM",
		SpeedMts:           3200,
		ConfiguredSpeedMts: 2933,
		ManufacturerRaw:    v.GetName(),
		PartNumber:         pn,
		SerialNumber:       serial,
		ModuleVendor:       v,
		Source:             "smbios",
		TypeDetail:         "Synchronous Registered (Buffered)",
		Rank:               2,
		DataWidthBits:      64,
		TotalWidthBits:     72,
	}
}

// Drive returns an NVMe drive record.
func Drive(name string, v *memledgerv1.Vendor, model, serial, firmware string) *memledgerv1.StorageDevice {
	return &memledgerv1.StorageDevice{
		Name:         name,
		Transport:    "nvme",
		Model:        model,
		SerialNumber: serial,
		Firmware:     firmware,
		SizeBytes:    960197124096,
		Vendor:       v,
		Source:       "sysfs",
	}
}

// Inventory returns an inventory of host id with the given parts.
func Inventory(hostID string, mods []*memledgerv1.MemoryModule, drives []*memledgerv1.StorageDevice) *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host: &memledgerv1.Host{
			HostId:             hostID,
			Hostname:           hostID + ".example.net",
			Labels:             map[string]string{"env": "prod", "rack": "r1"},
			Os:                 "debian 12.5",
			Kernel:             "6.1.0-18-amd64",
			SystemManufacturer: "Supermicro",
			SystemProduct:      "SYS-1029P-WTR",
			SystemSerial:       "S" + hostID,
			MemorySlots:        16,
		},
		CollectedAt:    timestamppb.New(T0),
		AgentVersion:   "0.1.0",
		MemoryModules:  mods,
		StorageDevices: drives,
		Sources:        []string{"smbios", "sysfs"},
	}
}

// PartlyRead returns an inventory of host id with one module, serial
// "S-" and the id, whose scan names the domains incomplete (nothing: read
// completely).
func PartlyRead(hostID string, incomplete ...string) *memledgerv1.Inventory {
	inv := Inventory(hostID, []*memledgerv1.MemoryModule{DIMM("A1", Micron, "36ASF8G72PZ-2G3B1", "S-"+hostID)}, nil)
	inv.Incomplete = incomplete
	return inv
}

// FullHost returns a realistic server inventory: 16 modules (12 Micron, 2
// Crucial, 2 Kingston with Micron DRAM) and 4 drives, serials derived from
// hostID so that hosts never share parts.
func FullHost(hostID string) *memledgerv1.Inventory {
	var mods []*memledgerv1.MemoryModule
	for i := 0; i < 16; i++ {
		slot := fmt.Sprintf("P%d-DIMM%c%d", i/8+1, 'A'+rune(i%8/2), i%2+1)
		serial := fmt.Sprintf("%s-%02d", serialBase(hostID), i)
		switch {
		case i < 12:
			mods = append(mods, DIMM(slot, Micron, "36ASF4G72PZ-2G9E2", serial))
		case i < 14:
			mods = append(mods, DIMM(slot, Crucial, "CT32G4RFD4293", serial))
		default:
			m := DIMM(slot, Kingston, "KSM32RD4/32MRR", serial)
			m.DramVendor = Micron
			mods = append(mods, m)
		}
	}
	var drives []*memledgerv1.StorageDevice
	for i := 0; i < 4; i++ {
		drives = append(drives, Drive(fmt.Sprintf("nvme%dn1", i), Samsung, "SAMSUNG MZQL2960HCJR-00A07",
			fmt.Sprintf("S64F%sD%d", serialBase(hostID), i), "GDC5602Q"))
	}
	return Inventory(hostID, mods, drives)
}

func serialBase(hostID string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(hostID); i++ {
		h = (h ^ uint32(hostID[i])) * 16777619
	}
	return fmt.Sprintf("%08X", h)
}

// Full is a full report.
func Full(inv *memledgerv1.Inventory, seq uint64, at time.Time) store.Report {
	return store.Report{HostID: inv.GetHost().GetHostId(), Sequence: seq, ReceivedAt: at, Inventory: inv}
}

// Heartbeat is a heartbeat report.
func Heartbeat(hostID string, seq uint64, at time.Time, digest string) store.Report {
	return store.Report{HostID: hostID, Sequence: seq, ReceivedAt: at, HeartbeatDigest: digest}
}

// Digest is inventory.Digest, failing tb on error.
func Digest(tb testing.TB, inv *memledgerv1.Inventory) string {
	tb.Helper()
	d, err := inventory.Digest(inv)
	if err != nil {
		tb.Fatalf("digest of fixture: %v", err)
	}
	return d
}

// ShuffledRound is one round of reports for stress tests of the ledger's
// time rules: each of hosts "shuffled0".. reports two times in three,
// three slots each holding one of two modules of the host's own or, in
// slot 0 one time in four, the one module every host may hold (so it
// moves, or clashes while two hosts list it); received times fall up to 90 s either side of the round's
// minute, so they jump back and forth across each host's last sighting.
// seq is every report's sequence.
func ShuffledRound(r *rand.Rand, hosts, round int, seq uint64) []store.Report {
	var batch []store.Report
	for h := range hosts {
		if r.IntN(3) == 0 {
			continue
		}
		host := fmt.Sprintf("shuffled%d", h)
		var mods []*memledgerv1.MemoryModule
		for slot := range 3 {
			serial := fmt.Sprintf("%s-S%d-%d", host, slot, r.IntN(2))
			if slot == 0 && r.IntN(4) == 0 {
				serial = "ROAMING-0001"
			}
			mods = append(mods, DIMM(fmt.Sprintf("A%d", slot), Micron, "36ASF8G72PZ-2G3B1", serial))
		}
		at := T0.Add(time.Duration(round)*time.Minute + time.Duration(r.IntN(180)-90)*time.Second)
		batch = append(batch, Full(Inventory(host, mods, nil), seq, at))
	}
	return batch
}

// PlaceholderSerials are serials firmware writes where a module has none:
// those issue 14 names and one of each pattern behind them. Every one is
// a placeholder to internal/placeholder.
var PlaceholderSerials = []string{
	"SerNum0", "SerNum00", "SerNum1", "Undefined", "00000000", "Not Specified", "To Be Filled By O.E.M.",
	"Default string", "--", "0123456789", "System Serial Number", "<BAD INDEX>", "FFFFFFFF", "0x00000000", "   ", "",
}

// TwinRepeatedSerial is the real-looking serial BoardTwin writes into two
// slots of every twin: repeated on one host, it is a placeholder too.
const TwinRepeatedSerial = "HMA8TWIN0001"

// BoardTwin returns the inventory of one of several hosts of one board
// model whose firmware fills module serials with placeholders: one SK
// hynix module per PlaceholderSerials entry (slots DIMM_A0, DIMM_A1, ...),
// two with TwinRepeatedSerial, and Micron modules with the real serials
// given (slots REAL_0, ...). round goes into the kernel version, so that
// each round's inventory has a new digest and is diffed.
func BoardTwin(hostID string, round int, realSerials ...string) *memledgerv1.Inventory {
	var mods []*memledgerv1.MemoryModule
	for i, serial := range PlaceholderSerials {
		mods = append(mods, DIMM(fmt.Sprintf("DIMM_A%d", i), Hynix, "HMA84GR7CJR4N-XN", serial))
	}
	mods = append(mods, DIMM("DIMM_B0", Hynix, "HMA84GR7CJR4N-XN", TwinRepeatedSerial),
		DIMM("DIMM_B1", Hynix, "HMA84GR7CJR4N-XN", TwinRepeatedSerial))
	for i, serial := range realSerials {
		mods = append(mods, DIMM(fmt.Sprintf("REAL_%d", i), Micron, "36ASF8G72PZ-2G3B1", serial))
	}
	inv := Inventory(hostID, mods, nil)
	inv.Host.Kernel = fmt.Sprintf("6.1.0-%d-amd64", round)
	return inv
}
