package render

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/version"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// propertyPrefix namespaces memledger's own facts inside CycloneDX
// properties, as the CycloneDX property taxonomy asks of tools.
const propertyPrefix = "memledger:"

// The BOM is written with the few CycloneDX 1.6 JSON types it uses rather
// than github.com/CycloneDX/cyclonedx-go, whose package initialisation
// (encoding/gob, encoding/xml, its regular expressions) every one-shot
// scan paid for, whatever its --format (docs/benchmarks.md). The fields
// keep the library's order and omitempty rules, so the bytes are the ones
// it writes (the library copies a BOM through encoding/gob before writing
// it, which drops empty lists: hence plain slices with omitempty), and
// TestCycloneDXMatchesLibrary re-encodes our BOMs with it.
type cdxBOM struct {
	Schema       string         `json:"$schema"`
	BOMFormat    string         `json:"bomFormat"`
	SpecVersion  string         `json:"specVersion"`
	SerialNumber string         `json:"serialNumber,omitempty"`
	Version      int            `json:"version"`
	Metadata     *cdxMetadata   `json:"metadata,omitempty"`
	Components   []cdxComponent `json:"components,omitempty"`
}

type cdxMetadata struct {
	Timestamp string        `json:"timestamp,omitempty"`
	Tools     *cdxTools     `json:"tools,omitempty"`
	Component *cdxComponent `json:"component,omitempty"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components,omitempty"`
}

type cdxComponent struct {
	BOMRef       string           `json:"bom-ref,omitempty"`
	Type         string           `json:"type"`
	Manufacturer *cdxOrganization `json:"manufacturer,omitempty"`
	Name         string           `json:"name"`
	Version      string           `json:"version,omitempty"`
	Description  string           `json:"description,omitempty"`
	Properties   []cdxProperty    `json:"properties,omitempty"`
}

type cdxOrganization struct {
	Name string `json:"name"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

const (
	cdxTypeDevice      = "device"
	cdxTypeApplication = "application"
)

// CycloneDX writes the inventory as a CycloneDX 1.6 JSON hardware BOM: the
// host is the BOM's subject (metadata.component), every memory module and
// drive a component of type "device" with its manufacturer, and everything
// memledger knows that CycloneDX has no field for (part number, serial,
// slot, the maker's evidence, the DRAM maker) as memledger: properties.
func CycloneDX(w io.Writer, inv *memledgerv1.Inventory) error {
	bom := &cdxBOM{
		Schema:      "http://cyclonedx.org/schema/bom-1.6.schema.json",
		BOMFormat:   "CycloneDX",
		SpecVersion: "1.6",
		Version:     1,
	}
	digest, err := inventory.Digest(inv)
	if err != nil {
		return err
	}
	// A serial derived from the content: the same inventory always yields
	// the same BOM, so BOMs can be diffed and deduplicated.
	bom.SerialNumber = "urn:uuid:" + uuidFromDigest(digest)
	host := inv.GetHost()
	hostComponent := &cdxComponent{
		BOMRef: "host",
		Type:   cdxTypeDevice,
		Name:   firstNonEmpty(host.GetHostname(), host.GetHostId(), "host"),
		Properties: properties(
			"host_id", host.GetHostId(),
			"system_manufacturer", host.GetSystemManufacturer(),
			"system_product", host.GetSystemProduct(),
			"system_serial", host.GetSystemSerial(),
			"system_uuid", host.GetSystemUuid(),
			"baseboard_manufacturer", host.GetBaseboardManufacturer(),
			"baseboard_product", host.GetBaseboardProduct(),
			"memory_slots", strconv.FormatUint(uint64(host.GetMemorySlots()), 10),
			"os", host.GetOs(),
			"kernel", host.GetKernel(),
		),
	}
	if host.GetSystemManufacturer() != "" {
		hostComponent.Manufacturer = &cdxOrganization{Name: host.GetSystemManufacturer()}
	}
	bom.Metadata = &cdxMetadata{
		Component: hostComponent,
		Tools: &cdxTools{Components: []cdxComponent{{
			Type: cdxTypeApplication, Name: "memledger-agent", Version: version.String(),
		}}},
	}
	if t := inv.GetCollectedAt(); t != nil {
		bom.Metadata.Timestamp = t.AsTime().UTC().Format("2006-01-02T15:04:05Z")
	}
	var components []cdxComponent
	for i, m := range inv.GetMemoryModules() {
		c := cdxComponent{
			BOMRef:       fmt.Sprintf("memory-%d", i),
			Type:         cdxTypeDevice,
			Name:         firstNonEmpty(m.GetPartNumber(), m.GetMemoryType()+" memory module"),
			Description:  strings.TrimSpace(fmt.Sprintf("%s %s %s memory module in slot %s", Bytes(m.GetSizeBytes()), m.GetMemoryType(), m.GetFormFactor(), inventory.Slot(m))),
			Manufacturer: organization(m.GetModuleVendor()),
			Properties: properties(
				"component", "memory_module",
				"slot", inventory.Slot(m),
				"part_number", m.GetPartNumber(),
				"serial_number", m.GetSerialNumber(),
				"size_bytes", strconv.FormatUint(m.GetSizeBytes(), 10),
				"memory_type", m.GetMemoryType(),
				"speed_mts", uintString(m.GetSpeedMts()),
				"manufacturer_raw", m.GetManufacturerRaw(),
				"source", m.GetSource(),
			),
		}
		c.Properties = append(c.Properties, vendorProperties("module_vendor", m.GetModuleVendor())...)
		c.Properties = append(c.Properties, vendorProperties("dram_vendor", m.GetDramVendor())...)
		components = append(components, c)
	}
	for i, d := range inv.GetStorageDevices() {
		c := cdxComponent{
			BOMRef:       fmt.Sprintf("storage-%d", i),
			Type:         cdxTypeDevice,
			Name:         firstNonEmpty(d.GetModel(), d.GetName()),
			Version:      d.GetFirmware(),
			Description:  strings.TrimSpace(fmt.Sprintf("%s %s drive %s", Bytes(d.GetSizeBytes()), d.GetTransport(), d.GetName())),
			Manufacturer: organization(d.GetVendor()),
			Properties: properties(
				"component", "storage_device",
				"device_name", d.GetName(),
				"model", d.GetModel(),
				"serial_number", d.GetSerialNumber(),
				"firmware", d.GetFirmware(),
				"size_bytes", strconv.FormatUint(d.GetSizeBytes(), 10),
				"transport", d.GetTransport(),
				"drive_kind", driveKindProperty(d.GetKind()),
				"wwn", d.GetWwn(),
				"pci_vendor_id", d.GetPciVendorId(),
				"pci_device_id", d.GetPciDeviceId(),
				"pci_subsystem_vendor_id", d.GetPciSubsystemVendorId(),
			),
		}
		c.Properties = append(c.Properties, vendorProperties("vendor", d.GetVendor())...)
		c.Properties = append(c.Properties, vendorProperties("controller_vendor", d.GetControllerVendor())...)
		c.Properties = append(c.Properties, vendorProperties("oem_vendor", d.GetOemVendor())...)
		components = append(components, c)
	}
	bom.Components = components
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("encoding CycloneDX BOM: %w", err)
	}
	return nil
}

func organization(v *memledgerv1.Vendor) *cdxOrganization {
	if v.GetId() == "" {
		return nil
	}
	return &cdxOrganization{Name: v.GetName()}
}

func vendorProperties(prefix string, v *memledgerv1.Vendor) []cdxProperty {
	if v.GetId() == "" {
		return nil
	}
	return properties(
		prefix+".id", v.GetId(),
		prefix+".name", v.GetName(),
		prefix+".parent", v.GetParent(),
		prefix+".evidence", strings.Join(v.GetEvidence(), ","),
		prefix+".jep106", v.GetJep106(),
	)
}

// properties builds memledger: properties from name/value pairs, leaving
// out empty values.
func properties(kv ...string) []cdxProperty {
	props := make([]cdxProperty, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" && kv[i+1] != "0" {
			props = append(props, cdxProperty{Name: propertyPrefix + kv[i], Value: kv[i+1]})
		}
	}
	return props
}

func uintString(v uint32) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(v), 10)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// uuidFromDigest shapes a hex digest into an RFC 9562 version-8 UUID.
func uuidFromDigest(hexDigest string) string {
	sum := sha256.Sum256([]byte(hexDigest))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// driveKindProperty is the drive_kind property: "physical", "raid_volume",
// "virtual", or "" (left out) when the report does not say.
func driveKindProperty(k memledgerv1.DriveKind) string {
	if k == memledgerv1.DriveKind_DRIVE_KIND_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(k.String(), "DRIVE_KIND_"))
}
