package scan

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/memledger/memledger/internal/dmidecode"
	"github.com/memledger/memledger/internal/lazyregexp"
	"github.com/memledger/memledger/internal/smbios"
)

// udevDMIPath is where systemd-udevd stores the properties its dmi_memory_id
// builtin computed from the SMBIOS tables. Unlike the tables themselves it is
// world-readable, which is what lets a non-root scan still see every DIMM.
const udevDMIPath = "run/udev/data/+dmi:id"

// maxUdevDevices bounds how many MEMORY_DEVICE_<n> indexes we accept, so a
// corrupt file cannot make us allocate without limit.
const maxUdevDevices = 4096

var udevMemoryKey = lazyregexp.New(`^MEMORY_DEVICE_(\d+)_([A-Z_]+)$`)

// parseUdevDMI decodes the E:KEY=VALUE lines systemd writes to
// /run/udev/data/+dmi:id into SMBIOS memory device records, in slot order.
// Devices that udev marks PRESENT=0 are returned with Installed false so the
// caller can count slots.
func parseUdevDMI(data []byte) ([]smbios.MemoryDevice, error) {
	byIndex := map[int]*smbios.MemoryDevice{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		kv, ok := strings.CutPrefix(text, "E:")
		if !ok {
			continue // other udev database records (I:, G:, ...)
		}
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: property without '=': %q", line, truncate(text, 60))
		}
		m := udevMemoryKey.FindStringSubmatch(key)
		if m == nil {
			continue
		}
		idx, err := strconv.Atoi(m[1])
		if err != nil || idx >= maxUdevDevices {
			return nil, fmt.Errorf("line %d: memory device index %q out of range", line, m[1])
		}
		dev := byIndex[idx]
		if dev == nil {
			dev = &smbios.MemoryDevice{Installed: true, SizeUnknown: true}
			byIndex[idx] = dev
		}
		if err := setUdevField(dev, m[2], value); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", line, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	indexes := make([]int, 0, len(byIndex))
	for i := range byIndex {
		indexes = append(indexes, i)
	}
	sort.Ints(indexes)
	devices := make([]smbios.MemoryDevice, 0, len(indexes))
	for _, i := range indexes {
		devices = append(devices, *byIndex[i])
	}
	return devices, nil
}

func setUdevField(dev *smbios.MemoryDevice, field, value string) error {
	var err error
	switch field {
	case "PRESENT":
		dev.Installed = value != "0"
	case "SIZE":
		dev.SizeBytes, err = strconv.ParseUint(value, 10, 64)
		dev.SizeUnknown = err != nil
	case "LOCATOR":
		dev.Locator = value
	case "BANK_LOCATOR":
		dev.BankLocator = value
	case "TYPE":
		dev.Type = value
	case "FORM_FACTOR":
		dev.FormFactor = value
	case "TYPE_DETAIL":
		dev.TypeDetailString = value
	case "SPEED_MTS":
		dev.SpeedMTs, err = parseUint32(value)
	case "CONFIGURED_SPEED_MTS":
		dev.ConfiguredSpeedMTs, err = parseUint32(value)
	case "MANUFACTURER":
		dev.Manufacturer = value
	case "SERIAL_NUMBER":
		dev.SerialNumber = value
	case "ASSET_TAG":
		dev.AssetTag = value
	case "PART_NUMBER":
		dev.PartNumber = value
	case "RANK":
		var r uint32
		r, err = parseUint32(value)
		dev.Rank = uint8(min(r, 255))
	case "DATA_WIDTH":
		var w uint32
		w, err = parseUint32(value)
		dev.DataWidth = uint16(min(w, 0xFFFF))
	case "TOTAL_WIDTH":
		var w uint32
		w, err = parseUint32(value)
		dev.TotalWidth = uint16(min(w, 0xFFFF))
	case "MODULE_MANUFACTURER_ID":
		// systemd renders the SMBIOS 3.2 word exactly as dmidecode does.
		dev.ModuleManufacturerID, err = dmidecode.ParseManufacturerID(value)
		dev.HasModuleIDs = err == nil
	case "MODULE_PRODUCT_ID":
		dev.ModuleProductID, err = dmidecode.ParseProductID(value)
	}
	return err
}

func parseUint32(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	return uint32(v), err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
