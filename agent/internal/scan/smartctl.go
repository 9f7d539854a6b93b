package scan

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/smartctl"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// readSmartctlFiles reads the drives of smartctl output the user named
// (text or JSON, one drive or several a file). A file without a single
// drive is an error: the user asked about it. Blocks skipped inside a file
// are warnings naming the file and line.
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
		for i := range drives {
			dev, w := smartctlDevice(&drives[i], file)
			devices = append(devices, dev)
			warnings = append(warnings, w...)
		}
	}
	return devices, warnings, nil
}

// smartctlDevice maps one drive of smartctl output to the inventory's
// form, spelled as the live scan spells the same drive (kernel name,
// transport, naa. WWN, 4-digit PCI ids), and identifies its maker as the
// live scan does.
func smartctlDevice(d *smartctl.Drive, file string) (*memledgerv1.StorageDevice, []*memledgerv1.Warning) {
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
	subject := name
	if subject == "" {
		subject = fmt.Sprintf("%s:%d", file, d.Line)
	}
	return dev, identifyDrive(dev, maker.DriveFacts{
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
	}, subject)
}
