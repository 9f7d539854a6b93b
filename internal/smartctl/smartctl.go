// Package smartctl decodes the drive identity smartmontools' smartctl
// prints (6.x and 7.x): the text of `smartctl -i`, `-a` or `-x` for ATA,
// SCSI/SAS and NVMe devices, with or without the banner, and the JSON of
// `smartctl --json` (`-j`), pretty or compact. A file may hold the output
// of several drives one after another, as a shell loop over the devices
// writes it. smartctl's text does not name the device it read; the
// "Device: /dev/sda" line or the smartctl command line that support tools
// print before each output does, and gives Drive.Name.
//
// Field names are smartctl's own (ataprint.cpp, scsiprint.cpp,
// nvmeprint.cpp): ATA "Model Family", "Device Model", "Serial Number",
// "LU WWN Device Id", "Firmware Version", "User Capacity", "Rotation
// Rate", "Form Factor"; SCSI "Vendor", "Product", "Revision", "Serial
// number", "Logical Unit id", "Transport protocol"; NVMe "Model Number",
// "PCI Vendor/Subsystem ID" (or "PCI Vendor ID" and "PCI Vendor Subsystem
// ID" when they differ), "IEEE OUI Identifier", "Total NVM Capacity",
// "Namespace 1 IEEE EUI-64". Other lines are ignored.
//
// The package is a pure decoder: bytes in, Drives out. Deciding who made a
// drive is internal/maker's job.
package smartctl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Transport values of Drive.Transport, as memledger.v1.StorageDevice
// spells them.
const (
	TransportNVMe = "nvme"
	TransportSATA = "sata"
	TransportSAS  = "sas"
	TransportUSB  = "usb"
	TransportSCSI = "scsi"
)

// Drive is what smartctl printed about one device. Text fields are
// trimmed and otherwise as printed (bytes that are not UTF-8 or are
// control characters included: cleaning them for display is the
// caller's); "" and 0 mean smartctl did not say.
type Drive struct {
	// Line is the line of the input where this drive's output begins
	// (1-based): its banner, "Device:" line, information section or
	// JSON object.
	Line int
	// Name is the device smartctl was given ("/dev/sda"): JSON
	// device.name, or in text the "Device: /dev/sda" line that support
	// tools print before each drive, or the smartctl command line they
	// echo ("# smartctl -a /dev/sda"). "" when the text has neither:
	// smartctl's own text never names the device it read.
	Name string
	// Type is smartctl's device type when the output names it (JSON
	// device.type: "sat", "nvme", "megaraid,0"; in text the -d option of
	// the command line).
	Type string
	// Protocol is "ATA", "SCSI" or "NVMe": JSON device.protocol, or what
	// the fields printed say.
	Protocol string
	// Transport is one of the Transport constants: NVMe is "nvme", ATA
	// "sata" (or "usb" behind a USB bridge type), SCSI "sas" when the
	// transport protocol is SAS or "sata" when the vendor is "ATA", else
	// "scsi".
	Transport string
	// ModelFamily is the smartmontools drive database's family name
	// ("Micron 5100 Pro / 52xx / 5300 SSDs"): smartctl's, not the drive's.
	ModelFamily string
	// Model is the ATA Device Model, the NVMe Model Number or the SCSI
	// Product.
	Model string
	// Vendor is the SCSI vendor ("SEAGATE", "ATA"); "" for ATA and NVMe.
	Vendor       string
	SerialNumber string
	// Firmware is the ATA/NVMe Firmware Version or the SCSI Revision.
	Firmware string
	// SizeBytes is the ATA/SCSI User Capacity; for NVMe the first
	// namespace's size, else the Total NVM Capacity.
	SizeBytes uint64
	// Media is "ssd" (Rotation Rate "Solid State Device", or NVMe), "hdd"
	// (a rotation rate in rpm) or "" when not printed.
	Media string
	// FormFactor is as printed ("2.5 inches", "M.2").
	FormFactor string
	// WWN is the ATA LU WWN or the SCSI Logical Unit id in the kernel's
	// wwid notation: "naa.5002538e70005ab2".
	WWN string
	// PCIVendor and PCISubsystemVendor are an NVMe controller's PCI vendor
	// and subsystem vendor ids (Identify Controller VID and SSVID).
	PCIVendor, PCISubsystemVendor uint16
	// IEEEOUI is an NVMe controller's IEEE OUI Identifier as 6 lower-case
	// hex digits ("002538"); "" when absent or zero.
	IEEEOUI string
	// EUI64 is the first namespace's IEEE EUI-64 as 16 lower-case hex
	// digits; "" when absent or zero.
	EUI64 string
}

// Warning is a part of the input that was skipped, or a field that could
// not be read, and where.
type Warning struct {
	Line    int // 1-based line of the input
	Message string
}

// ErrNoDrive is returned when the input holds no drive at all.
var ErrNoDrive = errors.New("no drive found: not smartctl -i/-a/-x output or smartctl --json")

// Parse decodes smartctl output, text or JSON (told apart by the first
// byte that is not white space). A block or object that names no drive
// model is skipped with a warning, as is a field whose value cannot be
// read; an input without a single drive is ErrNoDrive.
func Parse(data []byte) ([]Drive, []Warning, error) {
	var (
		drives   []Drive
		warnings []Warning
	)
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		drives, warnings = parseJSON(data)
	} else {
		drives, warnings = parseText(data)
	}
	if len(drives) == 0 {
		return nil, warnings, ErrNoDrive
	}
	return drives, warnings, nil
}

// finish fills what follows from the other fields, and says why a drive
// is skipped ("" when it is kept).
func (d *Drive) finish() string {
	if d.Protocol == "" {
		switch {
		case d.PCIVendor != 0 || d.IEEEOUI != "" || d.EUI64 != "":
			d.Protocol = "NVMe"
		case d.Vendor != "":
			d.Protocol = "SCSI"
		}
	}
	if d.Transport == "" {
		switch d.Protocol {
		case "NVMe":
			d.Transport = TransportNVMe
		case "ATA":
			d.Transport = TransportSATA
			if strings.HasPrefix(d.Type, "usb") {
				d.Transport = TransportUSB
			}
		case "SCSI":
			d.Transport = TransportSCSI
			if strings.EqualFold(d.Vendor, "ATA") {
				d.Transport = TransportSATA
			}
		}
	}
	if d.Protocol == "NVMe" && d.Media == "" {
		d.Media = "ssd"
	}
	if d.Model == "" {
		return "names no drive model (Device Model, Model Number or Product): output truncated or not a drive"
	}
	return ""
}

// parseSize reads "960,197,124,096 bytes [960 GB]" (User Capacity) or
// "1,000,204,886,016 [1.00 TB]" (NVMe capacities): the number before the
// bracket and "bytes", its thousands separators dropped. smartctl groups
// digits by the locale: a comma, period, apostrophe, or a space of some
// width ("1 000 204 886 016" in fr_FR), which must not end the number.
func parseSize(v string) (uint64, error) {
	num, _, _ := strings.Cut(v, "[")
	num = strings.TrimSuffix(strings.TrimSpace(num), "bytes")
	digits := strings.Map(func(r rune) rune {
		switch r {
		case ',', '.', '\'', ' ', '\u00a0', '\u202f', '\u2009':
			return -1
		}
		return r
	}, num)
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("capacity %q is not a byte count", v)
	}
	return n, nil
}

// parseRotation reads "Solid State Device", "7200 rpm" or "Unknown (...)".
func parseRotation(v string) string {
	switch {
	case strings.EqualFold(v, "Solid State Device"):
		return "ssd"
	case strings.HasSuffix(v, " rpm"):
		if n, err := strconv.Atoi(strings.TrimSuffix(v, " rpm")); err == nil && n > 0 {
			return "hdd"
		}
	}
	return ""
}

// parseHexID reads "0x144d" (at most digits hex digits after 0x).
func parseHexID(v string, digits int) (uint64, error) {
	h, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(v)), "0x")
	if !ok || h == "" || len(h) > digits {
		return 0, fmt.Errorf("%q is not 0x and 1-%d hex digits", v, digits)
	}
	n, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not 0x and 1-%d hex digits", v, digits)
	}
	return n, nil
}

// parseATAWWN reads "5 002538 e70005ab2" (NAA, OUI, unique id: smartctl's
// "%x %06x %09x") as "naa.5002538e70005ab2".
func parseATAWWN(v string) (string, error) {
	f := strings.Fields(v)
	if len(f) != 3 || len(f[0]) != 1 || len(f[1]) != 6 || len(f[2]) != 9 {
		return "", fmt.Errorf("LU WWN %q is not NAA, OUI and unique id (\"5 002538 e70005ab2\")", v)
	}
	s := strings.ToLower(f[0] + f[1] + f[2])
	if !isHex(s) {
		return "", fmt.Errorf("LU WWN %q is not hex", v)
	}
	return "naa." + s, nil
}

// parseLUID reads a SCSI Logical Unit id: "0x5000c500a1b2c3d4" is an NAA
// identifier; other designators (T10 vendor ids, names) are not world wide
// names and give "".
func parseLUID(v string) (string, error) {
	h, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(v)), "0x")
	if !ok {
		return "", nil
	}
	if (len(h) != 16 && len(h) != 32) || !isHex(h) {
		return "", fmt.Errorf("SCSI Logical Unit id %q is not an NAA identifier (0x and 16 or 32 hex digits)", v)
	}
	return "naa." + h, nil
}

// parseEUI64 reads "002538 b981b2c3d4" (smartctl's "%06x %010x" split of
// the namespace EUI-64) as 16 hex digits; "" for all zeros.
func parseEUI64(v string) (string, error) {
	s := strings.ToLower(strings.Join(strings.Fields(v), ""))
	if len(s) != 16 || !isHex(s) {
		return "", fmt.Errorf("EUI-64 %q is not 16 hex digits", v)
	}
	if strings.Trim(s, "0") == "" {
		return "", nil
	}
	return s, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return s != ""
}

// ouiHex renders a 24-bit company id as 6 hex digits; "" for zero or a
// value that does not fit.
func ouiHex(n uint64) string {
	if n == 0 || n > 0xffffff {
		return ""
	}
	return fmt.Sprintf("%06x", n)
}
