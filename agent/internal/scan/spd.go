package scan

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/memledger/memledger/internal/hexdump"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/spd"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// spdImage is one decoded SPD EEPROM and where it came from.
type spdImage struct {
	where   string // "/sys/bus/i2c/devices/0-0050/eeprom" or the file given
	label   string // slot name when the SPD matches no SMBIOS slot
	size    int    // bytes read
	module  *spd.Module
	partial bool // image shorter than its layout (at24 reading 256 bytes of a DDR4)
}

// readSPDFiles reads SPD images the user named (binary or any hex dump
// hexdump.Decode knows). An image that cannot be decoded at all is an error:
// the user asked about it. So is a file that holds no image: one of
// whitespace only, or fewer than spd.MinImageBytes bytes, which spd.Decode
// would read as a module with nothing but a memory type (the three bytes
// "23 11 0c" are a "DDR4" to it) and the inventory would list as one.
func readSPDFiles(files []string, stdin io.Reader) ([]spdImage, []*memledgerv1.Warning, error) {
	var (
		images   []spdImage
		warnings []*memledgerv1.Warning
	)
	for _, name := range files {
		data, err := readLimited(name, stdin)
		if err != nil {
			return nil, nil, fmt.Errorf("reading SPD file %s: %w", displayName(name), err)
		}
		img, err := hexdump.Decode(data)
		if errors.Is(err, hexdump.ErrEmpty) {
			return nil, nil, fmt.Errorf("SPD file %s: not an SPD image: %w", displayName(name), err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("SPD file %s: %w", displayName(name), err)
		}
		if len(img) < spd.MinImageBytes {
			what := fmt.Sprintf("a %d-byte binary image", len(img))
			if f := hexdump.Detect(data); f != hexdump.FormatRaw {
				what = fmt.Sprintf("%s text giving a %d-byte image", f, len(img))
			}
			return nil, nil, fmt.Errorf("SPD file %s: not an SPD image: %s, fewer than the %d bytes an SPD image has at the least: %w",
				displayName(name), what, spd.MinImageBytes, spd.ErrTooShort)
		}
		m, err := spd.Decode(img)
		partial := errors.Is(err, spd.ErrTruncated)
		if err != nil && !partial {
			return nil, nil, fmt.Errorf("SPD file %s: %w", displayName(name), err)
		}
		if partial {
			warnings = append(warnings, warning("spd", err.Error(), displayName(name)))
		}
		images = append(images, spdImage{where: displayName(name), label: filepath.Base(name), size: len(img), module: m, partial: partial})
	}
	return images, warnings, nil
}

// readLiveSPDs finds the SPD EEPROMs the kernel exposes under tree. Nothing
// here is fatal: an unreadable or undecodable EEPROM becomes a warning.
func readLiveSPDs(tree *os.Root) ([]spdImage, []*memledgerv1.Warning) {
	eeproms, errs := spd.Find(tree)
	var (
		images   []spdImage
		warnings []*memledgerv1.Warning
	)
	for _, err := range errs {
		warnings = append(warnings, warning("spd", explainReadError("cannot read an SPD EEPROM", err), errorPath(err)))
	}
	for _, e := range eeproms {
		if e.Data == nil {
			continue // its error is among errs
		}
		where := "/" + e.Path
		m, err := spd.Decode(e.Data)
		partial := errors.Is(err, spd.ErrTruncated)
		if err != nil && !partial {
			warnings = append(warnings, warning("spd", "cannot decode SPD EEPROM: "+err.Error(), where))
			continue
		}
		if partial {
			warnings = append(warnings, warning("spd", err.Error()+" (the "+e.Driver+" driver exposes only part of this EEPROM)", where))
		}
		images = append(images, spdImage{
			where: where, label: fmt.Sprintf("SPD %d-%04x", e.Bus, e.Address),
			size: len(e.Data), module: m, partial: partial,
		})
	}
	return images, warnings
}

// mergeSPD attaches each SPD to the SMBIOS module it describes and lists the
// others as modules of their own (source "spd"). Matching uses the serial
// number first (the SPD serial is what the BIOS copies into SMBIOS), then a
// part number that only one unmatched module carries; nothing weaker, since
// a wrong match would put one module's DRAM maker on another.
func mergeSPD(modules []*memledgerv1.MemoryModule, images []spdImage) ([]*memledgerv1.MemoryModule, []*memledgerv1.Warning) {
	var warnings []*memledgerv1.Warning
	matched := make([]bool, len(modules))
	var leftover []spdImage
	for _, img := range images {
		i := matchSPD(modules, matched, img.module)
		if i < 0 {
			leftover = append(leftover, img)
			continue
		}
		matched[i] = true
		warnings = append(warnings, applySPD(modules[i], img)...)
	}
	for _, img := range leftover {
		m := &memledgerv1.MemoryModule{Locator: img.label, Source: "spd"}
		warnings = append(warnings, applySPD(m, img)...)
		modules = append(modules, m)
	}
	return modules, warnings
}

func matchSPD(modules []*memledgerv1.MemoryModule, matched []bool, s *spd.Module) int {
	if serial := normSerial(s.SerialNumber); serial != "" {
		if i := uniqueMatch(modules, matched, func(m *memledgerv1.MemoryModule) bool {
			return normSerial(m.GetSerialNumber()) == serial
		}); i >= 0 {
			return i
		}
	}
	if pn := normPart(s.PartNumber); pn != "" {
		return uniqueMatch(modules, matched, func(m *memledgerv1.MemoryModule) bool {
			return normPart(m.GetPartNumber()) == pn && (m.GetSizeBytes() == 0 || s.SizeBytes == 0 || m.GetSizeBytes() == s.SizeBytes)
		})
	}
	return -1
}

// uniqueMatch returns the index of the only unmatched module satisfying ok,
// or -1 when none or several do.
func uniqueMatch(modules []*memledgerv1.MemoryModule, matched []bool, ok func(*memledgerv1.MemoryModule) bool) int {
	found := -1
	for i, m := range modules {
		if matched[i] || !ok(m) {
			continue
		}
		if found >= 0 {
			return -1
		}
		found = i
	}
	return found
}

// normSerial is the form in which an SPD's serial and its module's SMBIOS
// serial are compared within one scan. The SPD holds a 32-bit number,
// which firmware writes with or without "0x" and leading zeros ("750174F"
// for 0x0750174F), so both are dropped: equal forms are one number, one
// module. All zeros or all ones (an erased EEPROM, an unset field) is
// unset; a serial that only starts with zeros ("000000FF") is a serial.
func normSerial(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "0X")
	if strings.Trim(s, "0") == "" || strings.Trim(s, "F") == "" {
		return ""
	}
	return strings.TrimLeft(s, "0")
}

func normPart(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// applySPD records what the SPD says about module m: the DRAM maker always
// (SMBIOS rarely knows it), the module maker when SMBIOS could not identify
// one, and any field SMBIOS left empty. Disagreements are warnings; the
// SMBIOS identification stands, as the issue of record asks.
func applySPD(m *memledgerv1.MemoryModule, img spdImage) []*memledgerv1.Warning {
	s := img.module
	var warnings []*memledgerv1.Warning
	info := &memledgerv1.SPDInfo{
		ModuleType:      s.ModuleType,
		CrcOk:           s.CRCOK(),
		SpdRevision:     s.Revision,
		Path:            img.where,
		EepromBytes:     uint32(img.size),
		ModuleSizeBytes: s.SizeBytes,
		Warnings:        append([]string(nil), s.Warnings...),
	}
	if s.ManufactureYear > 0 && s.ManufactureWeek > 0 {
		info.ManufactureDate = fmt.Sprintf("%04d-W%02d", s.ManufactureYear, s.ManufactureWeek)
	}
	m.Spd = info
	subject := cmp.Or(inventory.Slot(m), img.where)
	for _, c := range s.CRCs {
		if !c.OK() {
			warnings = append(warnings, warning("spd", fmt.Sprintf("SPD CRC mismatch over %s (bytes %d-%d): stored 0x%04X, computed 0x%04X; the EEPROM may be corrupt or reprogrammed, its contents are reported as read", c.Name, c.Start, c.End, c.Stored, c.Computed), subject))
		}
	}

	if m.MemoryType == "" {
		m.MemoryType = s.MemoryType
	}
	if m.FormFactor == "" {
		m.FormFactor = formFactorOf(s.ModuleType)
	}
	if m.PartNumber == "" {
		m.PartNumber = s.PartNumber
	}
	if m.SerialNumber == "" {
		m.SerialNumber = s.SerialNumber
	}
	if m.SizeBytes == 0 {
		m.SizeBytes = s.SizeBytes
	}

	if dram := spdVendor(s.DRAMManufacturer, "spd-dram-id"); s.DRAMManufacturerOK && dram != nil {
		if prev := m.GetDramVendor(); prev.GetId() != "" && prev.GetParent() != dram.GetParent() {
			warnings = append(warnings, warning("vendor", fmt.Sprintf("DRAM maker: SPD says %s (%s), the manufacturer string said %s; using the SPD", dram.GetName(), dram.GetJep106(), prev.GetName()), subject))
		}
		m.DramVendor = dram
		m.DramManufacturerId = s.DRAMManufacturer.String()
	}
	if mod := spdVendor(s.ModuleManufacturer, "spd-module-id"); s.ModuleManufacturerOK && mod != nil {
		if m.ModuleManufacturerId == "" {
			m.ModuleManufacturerId = s.ModuleManufacturer.String()
		}
		prev := m.GetModuleVendor()
		switch {
		case prev.GetId() == "" || onlyEvidence(prev, "part-number"):
			if prev.GetId() == mod.GetId() {
				mod.Evidence = append(mod.Evidence, prev.GetEvidence()...)
			} else if prev.GetId() != "" {
				warnings = append(warnings, warning("vendor", fmt.Sprintf("module maker: SPD says %s, the part number suggested %s; using the SPD", mod.GetName(), prev.GetName()), subject))
			}
			m.ModuleVendor = mod
		case prev.GetId() == mod.GetId():
			prev.Evidence = appendUnique(prev.Evidence, "spd-module-id")
		default:
			warnings = append(warnings, warning("vendor", fmt.Sprintf("module maker conflict: SMBIOS says %s, the SPD says %s (%s); keeping SMBIOS's answer", prev.GetName(), mod.GetName(), mod.GetJep106()), subject))
		}
	}
	return warnings
}

// spdVendor names the maker of a JEP106 id read from an SPD.
func spdVendor(id jep106.ID, evidence string) *memledgerv1.Vendor {
	v, ok := maker.ByJEP106(id)
	if !ok {
		return nil
	}
	v.Evidence = []string{evidence}
	return inventory.VendorProto(v)
}

func onlyEvidence(v *memledgerv1.Vendor, evidence string) bool {
	return len(v.GetEvidence()) == 1 && v.GetEvidence()[0] == evidence
}

func appendUnique(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// formFactorOf maps an SPD module type to the SMBIOS form factor name.
func formFactorOf(moduleType string) string {
	switch {
	case moduleType == "":
		return ""
	case moduleType == "SOLDER":
		return "Row Of Chips"
	case strings.Contains(moduleType, "SO"):
		return "SODIMM"
	case strings.Contains(moduleType, "DIMM"):
		return "DIMM"
	}
	return ""
}
