package scan

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/placeholder"
	"github.com/memledger/memledger/internal/smartctl"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// readSmartctlFiles reads the drives of smartctl output the user named
// (text or JSON, one drive or several a file). A file without a single
// drive is an error: the user asked about it. Blocks skipped inside a file
// are warnings naming the file and line.
//
// A drive's name is its slot in the ledger, and for a drive without a
// serial number or WWN its identity too. Text that does not name the
// device (smartctl -i saved without a "Device:" or command line) names the
// drive after a sosreport's file name ("smartctl_-a_.dev.sda": sda) when
// the file holds that one drive; otherwise it gives a drive with a serial
// or WWN the name "FILE#N", N its place in the file,
// with a warning; one with neither is an error, since nothing would tell
// it from the next such drive.
func readSmartctlFiles(files []string, stdin io.Reader) ([]*memledgerv1.StorageDevice, []*memledgerv1.Warning, error) {
	var (
		devices  []*memledgerv1.StorageDevice
		warnings []*memledgerv1.Warning
	)
	for _, name := range files {
		file := displayName(name)
		data, err := readLimited(name, stdin)
		if err != nil {
			return nil, nil, fmt.Errorf("reading smartctl output %s: %w", file, err)
		}
		drives, skipped, err := smartctl.Parse(data)
		if errors.Is(err, smartctl.ErrNoDrive) && len(skipped) > 0 {
			w := skipped[0]
			err = fmt.Errorf("%w (line %d: %s)", err, w.Line, storage.CleanText(w.Message))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("smartctl output %s: %w", file, err)
		}
		for _, w := range skipped {
			warnings = append(warnings, warning("smartctl", storage.CleanText(w.Message), fmt.Sprintf("%s:%d", file, w.Line)))
		}
		if len(drives) == 1 && drives[0].Name == "" {
			if dev := sosDevice(name); dev != "" {
				drives[0].Name = "/dev/" + dev
			}
		}
		for i := range drives {
			dev, w, err := smartctlDevice(&drives[i], name, i+1)
			if err != nil {
				return nil, nil, fmt.Errorf("smartctl output %s: %w", file, err)
			}
			devices = append(devices, dev)
			warnings = append(warnings, w...)
		}
	}
	return devices, warnings, nil
}

// sosDevice returns the device a sosreport's smartctl file was read from,
// or "": sos names a command's output after its command line, spaces as
// "_" and "/" as ".", so "smartctl -a /dev/sda" is saved as
// sos_commands/ata/smartctl_-a_.dev.sda. Only a plain kernel name is
// taken (letters, digits, "-"); anything else keeps the FILE#N name.
func sosDevice(path string) string {
	base := filepath.Base(path)
	i := strings.LastIndex(base, "_.dev.")
	if !strings.HasPrefix(base, "smartctl_") || i < 0 {
		return ""
	}
	dev := base[i+len("_.dev."):]
	if dev == "" {
		return ""
	}
	for _, r := range dev {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return ""
		}
	}
	return dev
}

// fileLabel is how a drive named after its file names the file: its base
// name, which a support bundle keeps wherever it is unpacked.
func fileLabel(name string) string {
	if name == "-" {
		return "stdin"
	}
	return filepath.Base(name)
}

// smartctlDevice maps drive number index (from 1) of the smartctl output
// in file to the inventory's form, spelled as the live scan spells the
// same drive (kernel name, transport, naa. WWN, 4-digit PCI ids), and
// identifies its maker as the live scan does.
func smartctlDevice(d *smartctl.Drive, file string, index int) (*memledgerv1.StorageDevice, []*memledgerv1.Warning, error) {
	name := storage.CleanText(strings.TrimPrefix(d.Name, "/dev/"))
	if strings.Contains(d.Type, ",") {
		// Drives behind a RAID controller share its device node and are
		// told apart by the type: "bus/0 megaraid,3".
		name += " " + storage.CleanText(d.Type)
	}
	dev := &memledgerv1.StorageDevice{
		Name:                 name,
		Transport:            d.Transport,
		Model:                storage.CleanText(d.Model),
		SerialNumber:         storage.CleanText(d.SerialNumber),
		Firmware:             storage.CleanText(d.Firmware),
		SizeBytes:            d.SizeBytes,
		Rotational:           d.Media == "hdd",
		Wwn:                  d.WWN,
		VendorRaw:            storage.CleanText(d.Vendor),
		PciVendorId:          pciID(d.PCIVendor),
		PciSubsystemVendorId: pciID(d.PCISubsystemVendor),
		Source:               "smartctl",
	}
	var warnings []*memledgerv1.Warning
	if name == "" {
		// The ledger keys a drive by its serial or WWN and files it under
		// its name; without either, by the name (see readSmartctlFiles).
		if placeholder.Is(dev.SerialNumber) && placeholder.Is(dev.Wwn) {
			return nil, nil, fmt.Errorf("drive %q at line %d: no device name, serial number or WWN identifies it (give the output with the \"Device: /dev/...\" or smartctl command line printed before it, or smartctl --json)",
				dev.Model, d.Line)
		}
		dev.Name = fmt.Sprintf("%s#%d", storage.CleanText(fileLabel(file)), index)
		warnings = append(warnings, warning("smartctl", fmt.Sprintf("the output names no device for drive %q (no \"Device:\" or smartctl command line before it): named %q after the file and its place in it", dev.Model, dev.Name),
			fmt.Sprintf("%s:%d", displayName(file), d.Line)))
	}
	warnings = append(warnings, identifyDrive(dev, maker.DriveFacts{
		Model:              dev.Model,
		VendorRaw:          dev.VendorRaw,
		Transport:          d.Transport,
		PCIVendor:          d.PCIVendor,
		PCISubsystemVendor: d.PCISubsystemVendor,
		WWN:                d.WWN,
		EUI64:              d.EUI64,
		IEEEOUI:            d.IEEEOUI,
		Media:              d.Media,
		ModelFamily:        storage.CleanText(d.ModelFamily),
	}, dev.Name)...)
	return dev, warnings, nil
}
