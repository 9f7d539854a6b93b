package scan

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/maker"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// scanStorage lists the host's physical drives and identifies their makers.
// It never fails the scan: a host whose drives cannot be listed still has
// its memory inventoried, the warning says why, and listed is false (a
// host without drives has listed true and no drive).
func scanStorage(ctx context.Context, root *os.Root) (drives []*memledgerv1.StorageDevice, warnings []*memledgerv1.Warning, listed bool) {
	found, storageWarnings, err := storage.Scan(ctx, root)
	for _, w := range storageWarnings {
		warnings = append(warnings, warning("storage", w.Message, w.Subject))
	}
	if err != nil {
		if errors.Is(err, storage.ErrUnsupported) {
			return nil, append(warnings, warning("storage", err.Error(), "")), false
		}
		return nil, append(warnings, warning("storage", explainReadError("cannot list drives", err), "/sys/block")), false
	}
	drives = make([]*memledgerv1.StorageDevice, 0, len(found))
	for i := range found {
		d, w := storageDevice(&found[i])
		drives = append(drives, d)
		warnings = append(warnings, w...)
	}
	return drives, warnings, true
}

func storageDevice(d *storage.Drive) (*memledgerv1.StorageDevice, []*memledgerv1.Warning) {
	dev := &memledgerv1.StorageDevice{
		Name:         d.Name,
		Transport:    d.Transport,
		Model:        d.Model,
		SerialNumber: d.SerialNumber,
		Firmware:     d.Firmware,
		SizeBytes:    d.SizeBytes,
		Rotational:   d.Rotational,
		Wwn:          d.WWN,
		VendorRaw:    d.VendorRaw,
		Source:       "sysfs",
	}
	if d.PCIVendor != 0 {
		dev.PciVendorId = pciID(d.PCIVendor)
		dev.PciDeviceId = pciID(d.PCIDevice)
		dev.PciSubsystemVendorId = pciID(d.PCISubsystemVendor)
		dev.PciSubsystemDeviceId = pciID(d.PCISubsystemDevice)
	}
	return dev, identifyDrive(dev, maker.DriveFacts{
		Model:              d.Model,
		VendorRaw:          d.VendorRaw,
		Transport:          d.Transport,
		PCIVendor:          d.PCIVendor,
		PCIDevice:          d.PCIDevice,
		PCISubsystemVendor: d.PCISubsystemVendor,
		PCISubsystemDevice: d.PCISubsystemDevice,
		WWN:                d.WWN,
		EUI64:              d.EUI64,
		NGUID:              d.NGUID,
		Media:              driveMedia(d),
	}, d.Name)
}

// identifyDrive sets dev's kind, maker, controller maker and OEM from what
// its source says about it (the live host's sysfs and udev, or smartctl
// output), and returns maker.IdentifyDrive's warnings about subject.
func identifyDrive(dev *memledgerv1.StorageDevice, facts maker.DriveFacts, subject string) []*memledgerv1.Warning {
	res := maker.IdentifyDrive(facts)
	dev.Kind = driveKindProto(res.Kind)
	dev.Vendor = inventory.VendorProto(res.Vendor)
	dev.ControllerVendor = inventory.VendorProto(res.Controller)
	dev.OemVendor = inventory.VendorProto(res.OEM)
	var warnings []*memledgerv1.Warning
	for _, w := range res.Warnings {
		warnings = append(warnings, warning("vendor", w, subject))
	}
	return warnings
}

// pciID renders a PCI id as the 4 lowercase hex digits lspci and sysfs use.
func pciID(id uint16) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("%04x", id)
}

// driveKindProto maps maker.DriveKind to its proto enum: the values are
// the same by construction (TestDriveKindMatchesProto).
func driveKindProto(k maker.DriveKind) memledgerv1.DriveKind {
	return memledgerv1.DriveKind(k)
}

// driveMedia says whether a drive is solid state or spinning, as far as the
// host tells: NVMe is solid state, others by queue/rotational.
func driveMedia(d *storage.Drive) string {
	switch {
	case d.Transport == storage.TransportNVMe || d.Transport == storage.TransportMMC:
		return "ssd"
	case d.Rotational:
		return "hdd"
	case d.Transport == storage.TransportSATA || d.Transport == storage.TransportSAS:
		return "ssd"
	}
	return ""
}
