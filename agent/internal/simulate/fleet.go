package simulate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/maker"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// moduleModel is a memory module sold in volume, as its firmware describes
// it. The makers are identified by internal/maker from these raw facts,
// exactly as the agent identifies real modules.
type moduleModel struct {
	weight int
	// manufacturer is the SMBIOS Manufacturer string, word the SMBIOS 3.2
	// Module Manufacturer ID (0: firmware does not fill it).
	manufacturer string
	word         uint16
	partNumber   string
	sizeBytes    uint64
	rank         uint32
}

// moduleModels is the fleet's module mix: Samsung, SK hynix, Micron,
// Crucial (Micron's brand) and Kingston (with SK hynix or Micron DRAM, as
// its 12-digit manufacturer string says).
var moduleModels = []moduleModel{
	{weight: 30, manufacturer: "Samsung", word: 0xCE00, partNumber: "M393A4K40DB3-CWE", sizeBytes: 32 << 30, rank: 2},
	{weight: 25, manufacturer: "SK Hynix", word: 0xAD00, partNumber: "HMA84GR7CJR4N-XN", sizeBytes: 32 << 30, rank: 2},
	{weight: 20, manufacturer: "Micron Technology", word: 0x2C00, partNumber: "36ASF8G72PZ-3G2E1", sizeBytes: 64 << 30, rank: 2},
	{weight: 10, manufacturer: "859B", word: 0x9B05, partNumber: "CT32G4RFD432A", sizeBytes: 32 << 30, rank: 2},
	{weight: 8, manufacturer: "0198000080AD", partNumber: "KSM32RD4/32HDR", sizeBytes: 32 << 30, rank: 2},
	{weight: 7, manufacturer: "01980000802C", partNumber: "KSM32RD4/32MEI", sizeBytes: 32 << 30, rank: 2},
}

// driveModel is a data-center NVMe drive.
type driveModel struct {
	weight    int
	model     string
	firmware  string
	pciVendor uint16
	pciDevice uint16
	serial    func(r *rand.Rand) string
	sizeBytes uint64
}

var driveModels = []driveModel{
	{weight: 30, model: "Micron_7450_MTFDKCC3T8TFR", firmware: "E2MU200", pciVendor: 0x1344, pciDevice: 0x51c3, sizeBytes: 3840755982336,
		serial: func(r *rand.Rand) string { return fmt.Sprintf("2%03d%08X", r.IntN(1000), r.Uint32()) }},
	{weight: 35, model: "SAMSUNG MZQL23T8HCLS-00A07", firmware: "GDC5602Q", pciVendor: 0x144d, pciDevice: 0xa80a, sizeBytes: 3840755982336,
		serial: func(r *rand.Rand) string { return fmt.Sprintf("S64HNE0R%06d", r.IntN(1000000)) }},
	{weight: 20, model: "KIOXIA KCD81RUG3T84", firmware: "0108", pciVendor: 0x1e0f, pciDevice: 0x0011, sizeBytes: 3840755982336,
		serial: func(r *rand.Rand) string { return fmt.Sprintf("X2%02dA0%06dXCC", r.IntN(100), r.IntN(1000000)) }},
	{weight: 15, model: "SOLIDIGM SSDPF2KX038T1", firmware: "9CV10330", pciVendor: 0x025e, pciDevice: 0x0b60, sizeBytes: 3840755982336,
		serial: func(r *rand.Rand) string { return fmt.Sprintf("PHAX%04d%05d3P8CGN", r.IntN(10000), r.IntN(100000)) }},
}

var platforms = []struct{ maker, product string }{
	{"Dell Inc.", "PowerEdge R650"},
	{"Dell Inc.", "PowerEdge R7525"},
	{"HPE", "ProLiant DL380 Gen10 Plus"},
	{"Supermicro", "SYS-620U-TNR"},
	{"Lenovo", "ThinkSystem SR650 V2"},
}

var (
	sites = []string{"fra1", "ams2", "iad3", "sin1"}
	roles = []string{"db", "web", "batch", "cache", "storage"}
)

func pick[T any](r *rand.Rand, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	n := r.IntN(total)
	for _, it := range items {
		if n -= weight(it); n < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// modelIDs memoizes identifyModel: the simulator must not spend the CPU it
// shares with the collector identifying the same few models again.
var modelIDs sync.Map // moduleModel -> maker.ModuleResult

// identifyModel identifies a model's makers as an agent would.
func identifyModel(m moduleModel) maker.ModuleResult {
	if id, ok := modelIDs.Load(m); ok {
		return id.(maker.ModuleResult)
	}
	id := maker.IdentifyModule(maker.ModuleFacts{ManufacturerRaw: m.manufacturer, ModuleManufacturerID: m.word, PartNumber: m.partNumber})
	modelIDs.Store(m, id)
	return id
}

// driveIDs memoizes identifyDrive, as modelIDs does for modules.
var driveIDs sync.Map // drive model name -> maker.DriveResult

// identifyDrive identifies a drive model's makers as an agent would.
func identifyDrive(d driveModel) maker.DriveResult {
	if id, ok := driveIDs.Load(d.model); ok {
		return id.(maker.DriveResult)
	}
	id := maker.IdentifyDrive(maker.DriveFacts{Model: d.model, Transport: "nvme", PCIVendor: d.pciVendor, PCIDevice: d.pciDevice, PCISubsystemVendor: d.pciVendor})
	driveIDs.Store(d.model, id)
	return id
}

// newModule returns an installed module of model m in slot i.
func newModule(r *rand.Rand, m moduleModel, slot int) *memledgerv1.MemoryModule {
	id := identifyModel(m)
	channel := string(rune('A' + slot/2))
	return &memledgerv1.MemoryModule{
		Locator:            fmt.Sprintf("DIMM_%s%d", channel, slot%2+1),
		BankLocator:        fmt.Sprintf("P%d_Node%d_Channel%s_Dimm%d", slot/8, slot/8, channel, slot%2),
		SizeBytes:          m.sizeBytes,
		MemoryType:         "DDR4",
		FormFactor:         "DIMM",
		SpeedMts:           3200,
		ConfiguredSpeedMts: 3200,
		ManufacturerRaw:    m.manufacturer,
		PartNumber:         m.partNumber,
		SerialNumber:       fmt.Sprintf("%08X", r.Uint32()),
		ModuleVendor:       inventory.VendorProto(id.Module),
		DramVendor:         inventory.VendorProto(id.DRAM),
		Source:             "smbios",
		TypeDetail:         "Synchronous Registered (Buffered)",
		Rank:               m.rank,
		DataWidthBits:      64,
		TotalWidthBits:     72,
	}
}

// newDrive returns drive number n of model d.
func newDrive(r *rand.Rand, d driveModel, n int) *memledgerv1.StorageDevice {
	id := identifyDrive(d)
	return &memledgerv1.StorageDevice{
		Name:                 fmt.Sprintf("nvme%dn1", n),
		Transport:            "nvme",
		Model:                d.model,
		SerialNumber:         d.serial(r),
		Firmware:             d.firmware,
		SizeBytes:            d.sizeBytes,
		PciVendorId:          fmt.Sprintf("%04x", d.pciVendor),
		PciDeviceId:          fmt.Sprintf("%04x", d.pciDevice),
		PciSubsystemVendorId: fmt.Sprintf("%04x", d.pciVendor),
		Kind:                 memledgerv1.DriveKind(id.Kind), // same values (scan's TestDriveKindMatchesProto)
		Vendor:               inventory.VendorProto(id.Vendor),
		ControllerVendor:     inventory.VendorProto(id.Controller),
		OemVendor:            inventory.VendorProto(id.OEM),
		Source:               "sysfs",
	}
}

// host is one simulated machine's hardware.
type host struct {
	inv   *memledgerv1.Inventory
	drive driveModel
	// nextDrive numbers the next drive added.
	nextDrive int
	maxDrives int
}

// newHost builds host number i of the fleet: modules modules of one model
// (servers are populated with matched DIMMs) and drives drives of one
// model. Everything derives from r, so a seed reproduces the fleet.
func newHost(r *rand.Rand, prefix string, i, modules, drives int) *host {
	plat := platforms[r.IntN(len(platforms))]
	mm := pick(r, moduleModels, func(m moduleModel) int { return m.weight })
	dm := pick(r, driveModels, func(d driveModel) int { return d.weight })
	inv := &memledgerv1.Inventory{
		Host: &memledgerv1.Host{
			HostId:             fmt.Sprintf("%s-%05d", prefix, i),
			Hostname:           fmt.Sprintf("sim-%05d.%s.example.net", i, sites[i%len(sites)]),
			Labels:             map[string]string{"site": sites[i%len(sites)], "role": roles[r.IntN(len(roles))], "simulated": "true"},
			Os:                 "debian 12.7",
			Kernel:             "6.1.0-26-amd64",
			SystemManufacturer: plat.maker,
			SystemProduct:      plat.product,
			SystemSerial:       fmt.Sprintf("SIM%07d", i),
			SystemUuid:         fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff),
			MemorySlots:        uint32(max(modules, 16)),
			Architecture:       "x86_64",
			SmbiosVersion:      "3.3.0",
		},
		AgentVersion: "simulator",
		Sources:      []string{"smbios", "sysfs"},
	}
	for s := 0; s < modules; s++ {
		inv.MemoryModules = append(inv.MemoryModules, newModule(r, mm, s))
	}
	for d := 0; d < drives; d++ {
		inv.StorageDevices = append(inv.StorageDevices, newDrive(r, dm, d))
	}
	return &host{inv: inv, drive: dm, nextDrive: drives, maxDrives: drives + 2}
}

// churn applies one hardware change and says what it was: a module swapped
// (a new serial, sometimes another model), a drive added or a drive
// removed. The inventory is replaced, not modified, so a report already
// handed to gRPC keeps its content.
func (h *host) churn(r *rand.Rand) string {
	// A copy sharing the parts, which are never modified: only the lists
	// change (a deep copy per change cost the simulator more CPU than the
	// report's encoding).
	src := h.inv
	inv := &memledgerv1.Inventory{
		Host: src.Host, CollectedAt: src.CollectedAt, AgentVersion: src.AgentVersion,
		MemoryModules: slices.Clone(src.MemoryModules), StorageDevices: slices.Clone(src.StorageDevices),
		Warnings: src.Warnings, Sources: src.Sources, Incomplete: src.Incomplete,
	}
	defer func() { h.inv = inv }()
	n := r.IntN(100)
	switch {
	case n < 25 && len(inv.StorageDevices) < h.maxDrives:
		d := newDrive(r, h.drive, h.nextDrive)
		h.nextDrive++
		inv.StorageDevices = append(inv.StorageDevices, d)
		return "drive added: " + d.GetName()
	case n < 40 && len(inv.StorageDevices) > 1:
		i := r.IntN(len(inv.StorageDevices))
		name := inv.StorageDevices[i].GetName()
		inv.StorageDevices = append(inv.StorageDevices[:i], inv.StorageDevices[i+1:]...)
		return "drive removed: " + name
	case len(inv.MemoryModules) > 0:
		i := r.IntN(len(inv.MemoryModules))
		model := moduleModelOf(inv.MemoryModules[i])
		if r.IntN(100) < 30 {
			model = pick(r, moduleModels, func(m moduleModel) int { return m.weight })
		}
		inv.MemoryModules[i] = newModule(r, model, i)
		return "module swapped: " + inv.MemoryModules[i].GetLocator()
	}
	return "nothing"
}

func moduleModelOf(m *memledgerv1.MemoryModule) moduleModel {
	for _, mm := range moduleModels {
		if strings.EqualFold(mm.partNumber, m.GetPartNumber()) {
			return mm
		}
	}
	return moduleModels[0]
}
