package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/internal/golden"
	"github.com/memledger/memledger/internal/version"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

var (
	crucial  = &memledgerv1.Vendor{Id: "crucial", Name: "Crucial", Parent: "micron", Evidence: []string{"smbios-module-id", "part-number"}, Jep106: "6:0x1B"}
	micron   = &memledgerv1.Vendor{Id: "micron", Name: "Micron Technology", Parent: "micron", Evidence: []string{"spd-dram-id"}, Jep106: "1:0x2C"}
	kingston = &memledgerv1.Vendor{Id: "kingston", Name: "Kingston Technology", Parent: "kingston", Evidence: []string{"name"}}
	samsung  = &memledgerv1.Vendor{Id: "samsung", Name: "Samsung", Parent: "samsung", Evidence: []string{"pci-vendor"}}
	phison   = &memledgerv1.Vendor{Id: "phison", Name: "Phison", Parent: "phison", Evidence: []string{"pci-vendor"}}
)

// fleetHost is one inventory that reaches every branch of the renderers:
// a brand owned by another company, DRAM made by a third, a maker nobody
// identified (raw string kept), a module without a slot name, a drive
// behind another maker's controller, policy findings of every status and
// warnings with and without a subject.
func fleetHost() *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host: &memledgerv1.Host{
			HostId: "4c4c4544-0042-3510-8052-b4c04f4d3033", Hostname: "db-17", Labels: map[string]string{"site": "fra1", "cii": "true"},
			Os: "debian 12", Kernel: "6.1.0-28-amd64", SystemManufacturer: "Dell Inc.", SystemProduct: "PowerEdge R750",
			SystemSerial: "7XK2Q33", SystemUuid: "4c4c4544-0042-3510-8052-b4c04f4d3033", BaseboardManufacturer: "Dell Inc.",
			BaseboardProduct: "0PJ7YJ", MemorySlots: 4, SmbiosVersion: "3.3.0",
		},
		CollectedAt:  timestamppb.New(time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)),
		AgentVersion: "1.4.0",
		Sources:      []string{"smbios", "spd", "sysfs"},
		MemoryModules: []*memledgerv1.MemoryModule{
			{Locator: "A1", BankLocator: "CPU1", SizeBytes: 32 << 30, MemoryType: "DDR4", FormFactor: "RDIMM", SpeedMts: 3200,
				ManufacturerRaw: "859B", PartNumber: "CT32G4RFD432A", SerialNumber: "E1A2B3C4", ModuleVendor: crucial, DramVendor: micron,
				Source: "smbios", Policy: []*memledgerv1.PolicyFinding{{RuleId: "cii-micron", Status: "recorded", Component: "module", Reason: "installed before 2025-03-11"}}},
			{Locator: "A2", SizeBytes: 32 << 30, MemoryType: "DDR4", FormFactor: "RDIMM", SpeedMts: 3200,
				ManufacturerRaw: "Kingston", PartNumber: "KSM32RD4/32MEI", SerialNumber: "0F1E2D3C", ModuleVendor: kingston, DramVendor: micron,
				Source: "smbios", Policy: []*memledgerv1.PolicyFinding{
					{RuleId: "cii-micron", Status: "violation", Component: "dram", Reason: "Micron DRAM installed 2025-03-14, after 2025-03-11"},
					{RuleId: "no-kingston", Status: "allowed", Component: "module"},
				}},
			{Locator: "B1", SizeBytes: 16 << 30, MemoryType: "DDR4", SpeedMts: 2933,
				ManufacturerRaw: "0x0000FFEE", PartNumber: "XYZ-UNKNOWN", SerialNumber: "00ABCDEF", Source: "smbios",
				Policy: []*memledgerv1.PolicyFinding{{RuleId: "cii-micron", Status: "allowed", Component: "module"}}},
			{SizeBytes: 8 << 30, MemoryType: "DDR4", PartNumber: "M393A1K43BB1-CTD", ModuleVendor: samsung, Source: "spd"},
		},
		StorageDevices: []*memledgerv1.StorageDevice{
			{Name: "nvme0n1", Transport: "nvme", Model: "SAMSUNG MZQL23T8HCLS-00A07", SerialNumber: "S64HNE0R1", Firmware: "GDC5602Q",
				SizeBytes: 3840755982336, PciVendorId: "0x144d", PciDeviceId: "0xa80a", Vendor: samsung, Source: "sysfs",
				Policy: []*memledgerv1.PolicyFinding{{RuleId: "cii-micron", Status: "allowed", Component: "drive"}}},
			{Name: "nvme1n1", Transport: "nvme", Model: "KINGSTON SEDC1500M960G", SerialNumber: "50026B7282A1B2C3", Firmware: "S67F0103",
				SizeBytes: 960197124096, Vendor: kingston, ControllerVendor: phison, Source: "sysfs",
				Policy: []*memledgerv1.PolicyFinding{{RuleId: "cii-micron", Status: "waived", Component: "drive", Reason: "RMA spare, ticket OPS-1"}}},
			{Name: "sdb", Transport: "usb", VendorRaw: "Generic", Source: "sysfs"},
		},
		Warnings: []*memledgerv1.Warning{
			{Source: "spd", Subject: "B1", Message: "CRC mismatch in block 0; SPD fields ignored"},
			{Source: "smbios", Message: "table truncated at 4096 bytes"},
		},
	}
}

// emptyHost is what a scan of a virtual machine without SMBIOS memory
// devices reports.
func emptyHost() *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host:        &memledgerv1.Host{Virtualization: "kvm", Os: "alpine 3.20"},
		CollectedAt: timestamppb.New(time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)),
	}
}

// pinVersion makes the tool version that CycloneDX records read "golden"
// for the test, whatever the build stamps into the binary.
func pinVersion(t *testing.T) {
	old := version.Version
	version.Version = "golden"
	t.Cleanup(func() { version.Version = old })
}

// The golden files pin every byte of the three formats; nothing is
// masked: the inventories carry fixed times and the version is pinned.
func TestGolden(t *testing.T) {
	pinVersion(t)
	for _, tc := range []struct {
		name string
		inv  *memledgerv1.Inventory
	}{{"fleet-host", fleetHost()}, {"empty-host", emptyHost()}} {
		for _, f := range []struct {
			ext    string
			render func(*bytes.Buffer, *memledgerv1.Inventory) error
		}{
			{".txt", func(b *bytes.Buffer, inv *memledgerv1.Inventory) error { return Table(b, inv) }},
			{".json", func(b *bytes.Buffer, inv *memledgerv1.Inventory) error { return JSON(b, inv) }},
			{".cdx.json", func(b *bytes.Buffer, inv *memledgerv1.Inventory) error { return CycloneDX(b, inv) }},
		} {
			t.Run(tc.name+f.ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := f.render(&b, tc.inv); err != nil {
					t.Fatal(err)
				}
				golden.Check(t, "testdata/"+tc.name+f.ext, b.Bytes())
			})
		}
	}
}

func TestJSONRoundTripsAndIsStable(t *testing.T) {
	inv := fleetHost()
	var first, second bytes.Buffer
	if err := JSON(&first, inv); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&second, inv); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("the same inventory printed two different JSON documents")
	}
	if !json.Valid(first.Bytes()) || !bytes.HasSuffix(first.Bytes(), []byte("}\n")) {
		t.Errorf("not one JSON document ending in a newline:\n%s", first.Bytes())
	}
	back := new(memledgerv1.Inventory)
	if err := protojson.Unmarshal(first.Bytes(), back); err != nil {
		t.Fatalf("output is not protojson of memledger.v1.Inventory: %v", err)
	}
	if !proto.Equal(inv, back) {
		t.Errorf("round trip changed the inventory:\n got %v\nwant %v", back, inv)
	}
	for _, name := range []string{`"memoryModules"`, `"moduleVendor"`, `"collectedAt": "2025-03-14T09:30:00Z"`} {
		if !bytes.Contains(first.Bytes(), []byte(name)) {
			t.Errorf("output lacks %s (protojson's default field names)", name)
		}
	}
}

func TestCycloneDXDecodesWithMakers(t *testing.T) {
	var b bytes.Buffer
	if err := CycloneDX(&b, fleetHost()); err != nil {
		t.Fatal(err)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(&b, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("not a CycloneDX JSON BOM: %v", err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Component.Name != "db-17" {
		t.Errorf("spec %v, subject %q", bom.SpecVersion, bom.Metadata.Component.Name)
	}
	makers := map[string]string{}
	for _, c := range *bom.Components {
		maker := ""
		if c.Manufacturer != nil {
			maker = c.Manufacturer.Name
		}
		makers[c.BOMRef] = maker
	}
	want := map[string]string{
		"memory-0": "Crucial", "memory-1": "Kingston Technology", "memory-2": "", "memory-3": "Samsung",
		"storage-0": "Samsung", "storage-1": "Kingston Technology", "storage-2": "",
	}
	for ref, maker := range want {
		if got, ok := makers[ref]; !ok || got != maker {
			t.Errorf("%s: manufacturer %q (present %v), want %q", ref, got, ok, maker)
		}
	}
	if len(makers) != len(want) {
		t.Errorf("%d components, want %d", len(makers), len(want))
	}
}

// render writes its own CycloneDX types (no library init on the scan's
// start-up path); they must give exactly the bytes cyclonedx-go writes for
// the same BOM, including its escaping of HTML characters and its dropping
// of empty lists.
func TestCycloneDXMatchesLibrary(t *testing.T) {
	odd := fleetHost()
	odd.Host.Hostname = "<db&17>"
	odd.MemoryModules[0].PartNumber = "CT16G4\u00e9\"quoted\""
	odd.MemoryModules[1].SerialNumber = ""
	odd.CollectedAt = nil
	for name, inv := range map[string]*memledgerv1.Inventory{"fleet": fleetHost(), "empty": emptyHost(), "odd": odd} {
		t.Run(name, func(t *testing.T) {
			var ours bytes.Buffer
			if err := CycloneDX(&ours, inv); err != nil {
				t.Fatal(err)
			}
			var bom cdx.BOM
			if err := cdx.NewBOMDecoder(bytes.NewReader(ours.Bytes()), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
				t.Fatal(err)
			}
			var lib bytes.Buffer
			if err := cdx.NewBOMEncoder(&lib, cdx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(&bom, cdx.SpecVersion1_6); err != nil {
				t.Fatal(err)
			}
			if ours.String() != lib.String() {
				t.Errorf("cyclonedx-go writes the same BOM differently:\nours:\n%s\ncyclonedx-go:\n%s", ours.Bytes(), lib.Bytes())
			}
		})
	}
}

// The BOM's serial number names the content: a rescan that finds the same
// parts yields the same serial, a swapped module a new one.
func TestCycloneDXSerialFollowsContent(t *testing.T) {
	serial := func(inv *memledgerv1.Inventory) string {
		t.Helper()
		var b bytes.Buffer
		if err := CycloneDX(&b, inv); err != nil {
			t.Fatal(err)
		}
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(&b, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
			t.Fatalf("serial %q is not a urn:uuid", bom.SerialNumber)
		}
		return bom.SerialNumber
	}
	base := serial(fleetHost())
	later := fleetHost()
	later.CollectedAt = timestamppb.New(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	if got := serial(later); got != base {
		t.Errorf("rescan of the same parts: serial %s, want %s", got, base)
	}
	swapped := fleetHost()
	swapped.MemoryModules[0].SerialNumber = "E1A2B3FF"
	if got := serial(swapped); got == base {
		t.Errorf("swapped module kept serial %s", got)
	}
}

func TestMaker(t *testing.T) {
	for _, tc := range []struct {
		v    *memledgerv1.Vendor
		raw  string
		want string
	}{
		{crucial, "859B", "Crucial (Micron)"},
		{micron, "", "Micron Technology"},
		{&memledgerv1.Vendor{Id: "hynix-brand", Name: "Hynix", Parent: "skhynix"}, "", "Hynix (SK hynix)"},
		{&memledgerv1.Vendor{Id: "newco", Name: "NewCo", Parent: "holdco"}, "", "NewCo (holdco)"},
		{nil, "  0x0000FFEE ", "unknown [0x0000FFEE]"},
		{nil, "", ""},
		{&memledgerv1.Vendor{}, "Generic", "unknown [Generic]"},
	} {
		if got := Maker(tc.v, tc.raw); got != tc.want {
			t.Errorf("Maker(%v, %q) = %q, want %q", tc.v, tc.raw, got, tc.want)
		}
	}
}

func TestBytesAndSpeed(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "-"}, {512, "512 B"}, {1536, "1.5 KiB"}, {16 << 30, "16 GiB"},
		{3840755982336, "3.5 TiB"}, {1 << 60, "1024 PiB"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := Speed(0); got != "-" {
		t.Errorf("Speed(0) = %q", got)
	}
	if got := Speed(4800); got != "4800 MT/s" {
		t.Errorf("Speed(4800) = %q", got)
	}
}

func TestWorstStatus(t *testing.T) {
	f := func(statuses ...string) []*memledgerv1.PolicyFinding {
		var fs []*memledgerv1.PolicyFinding
		for _, s := range statuses {
			fs = append(fs, &memledgerv1.PolicyFinding{Status: s})
		}
		return fs
	}
	for _, tc := range []struct {
		findings []*memledgerv1.PolicyFinding
		want     string
	}{
		{nil, ""},
		{f("allowed"), "allowed"},
		{f("allowed", "violation", "waived"), "violation"},
		{f("recorded", "allowed"), "recorded"},
		{f("waived", "allowed"), "waived"},
	} {
		if got := WorstStatus(tc.findings); got != tc.want {
			t.Errorf("WorstStatus(%v) = %q, want %q", tc.findings, got, tc.want)
		}
	}
}

// failingWriter fails after n bytes, as a full disk or closed pipe does.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteErrorsReachTheCaller(t *testing.T) {
	for name, render := range map[string]func(*memledgerv1.Inventory) error{
		"table":     func(inv *memledgerv1.Inventory) error { return Table(&failingWriter{n: 100}, inv) },
		"json":      func(inv *memledgerv1.Inventory) error { return JSON(&failingWriter{n: 100}, inv) },
		"cyclonedx": func(inv *memledgerv1.Inventory) error { return CycloneDX(&failingWriter{n: 100}, inv) },
	} {
		if err := render(fleetHost()); !errors.Is(err, errDiskFull) {
			t.Errorf("%s: err %v, want the writer's error", name, err)
		}
	}
}
