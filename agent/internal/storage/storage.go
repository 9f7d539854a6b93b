// Package storage enumerates the physical drives of a Linux host under an
// injected root (an *os.Root: "/" for the live host, a captured or fixture
// tree)
// and reports raw facts about each: kernel name, transport, full model,
// serial, firmware, size, WWN, the SCSI/ATA vendor string and, for NVMe, the
// controller's PCI ids. Deciding who made a drive is not done here (see
// internal/maker); this package only says what the host reports.
//
// Scan lists /sys/block and reads, all under root:
//
//   - each disk's size, queue/rotational and device/vendor attributes;
//   - the udev database entry /run/udev/data/b<major>:<minor>, for the
//     unabridged ID_MODEL_ENC, ID_REVISION, ID_WWN and the serial;
//   - for ATA disks on libata, the IDENTIFY DEVICE words the kernel exports
//     at .../ata<N>/link<N>/dev<N>.0/ata_device/dev<N>.0/id, the drive's own
//     40-character model, 20-character serial and 8-character firmware,
//     readable without root and without udev;
//   - for NVMe, the controller's model/serial/firmware_rev attributes, the
//     vendor/device/subsystem ids of its PCI function, and the first
//     namespace's wwid, eui and nguid attributes;
//   - the resolved sysfs device path, from which the transport is derived
//     (the name prefix alone calls every sdX "SCSI", be it SATA, SAS or
//     USB).
//
// Every path is read as a process chrooted to root reads it
// (internal/fileutil's ReadFileInRoot and its kin): a link in a captured
// tree, absolute or climbing with "..", leads to the tree's file, never to
// this machine's. No library reads for Scan: ghw's block enumeration, which
// joins its chroot to each path as a string and so follows such links out
// of the tree, cannot be confined to an os.Root.
//
// Block devices that are not physical drives are left out: partitions,
// loop, ram, zram, device-mapper, md arrays (their member disks stay),
// optical drives, network block devices, eMMC boot areas, NVMe per-path
// devices, and anything under /sys/devices/virtual except NVMe multipath
// heads. The namespaces of one NVMe controller are one drive.
package storage

import "errors"

// Transport values of Drive.Transport.
const (
	TransportNVMe   = "nvme"
	TransportSATA   = "sata"
	TransportSAS    = "sas"
	TransportUSB    = "usb"
	TransportVirtio = "virtio"
	TransportMMC    = "mmc"
	TransportSCSI   = "scsi"
)

// Model sources of Drive.ModelSource, strongest first.
const (
	ModelFromNVMe        = "nvme"         // NVMe controller/subsystem "model" attribute
	ModelFromATAIdentify = "ata-identify" // libata's IDENTIFY DEVICE words
	ModelFromMMC         = "mmc"          // MMC/SD card CID product name
	ModelFromUdev        = "udev"         // ID_MODEL_ENC, unescaped (exact)
	ModelFromUdevSerial  = "udev-serial"  // rebuilt from ID_SERIAL: spaces may read '_'
	ModelFromUdevID      = "udev-id"      // ID_MODEL: spaces read '_'
	ModelFromSysfs       = "sysfs"        // SCSI INQUIRY product: at most 16 characters
)

// Drive holds the raw facts about one physical drive. Text fields are
// trimmed, and any byte sequence that is not valid UTF-8 or is a control
// character is replaced by U+FFFD; "" means unknown.
type Drive struct {
	// Name is the kernel name, "nvme0n1", "sda". For NVMe it is the first
	// namespace; Namespaces lists them all.
	Name string
	// Namespaces lists every namespace block device of an NVMe drive, in
	// order; nil for other transports.
	Namespaces []string
	// Transport is one of the Transport constants, or "" when the sysfs
	// path, udev and the device name all fail to tell. SATA disks behind a SAS HBA are
	// "sata" (their SCSI vendor is "ATA"); PATA disks on libata read "sata"
	// as well, sysfs paths do not tell them apart.
	Transport string
	// Model is the drive's full model string (see ModelSource for where it
	// came from).
	Model string
	// ModelSource is one of the ModelFrom constants, or "" when Model is "".
	ModelSource string
	// SerialNumber is the drive's serial: NVMe "serial" attribute, ATA
	// IDENTIFY, or udev (SCSI_IDENT_SERIAL, ID_SCSI_SERIAL, ID_SERIAL_SHORT,
	// ID_SERIAL, the first present); MMC: the CID serial ("0x...").
	SerialNumber string
	// Firmware is the firmware revision (NVMe firmware_rev, ATA IDENTIFY,
	// udev ID_REVISION, else the 4-character SCSI revision).
	Firmware string
	// SizeBytes is the capacity; for NVMe the sum of its namespaces.
	SizeBytes uint64
	// Rotational is true for spinning media: an sd, hd, vd or xvd disk
	// whose queue/rotational is 1 (NVMe and MMC are always solid state).
	Rotational bool
	// WWN is the world wide name in the kernel's wwid notation:
	// "naa.5000c500a1b2c3d4", "eui.0025388b91b2c3d4", "nvme.1344-...".
	// udev's "0x5000..." form is rewritten as "naa.5000...". Vendor-specific
	// T10 identifiers ("t10.ATA ...") are not world wide names and are left
	// out. For NVMe it is the first namespace's.
	WWN string
	// EUI64 and NGUID are an NVMe drive's first namespace's eui and nguid
	// attributes as lower-case hex (16 and 32 digits); "" when the
	// namespace reports none. The kernel's wwid prefers a UUID over them,
	// so they are read even when WWN is set: they carry the maker's IEEE
	// company id.
	EUI64, NGUID string
	// VendorRaw is the T10 vendor field of SCSI-attached disks as sysfs has
	// it ("ATA" for every ATA disk, "SEAGATE", "SanDisk"), and for MMC the
	// card's manfid attribute ("0x000013"); "" for other transports.
	VendorRaw string
	// PCI ids of an NVMe drive's controller function; zero otherwise (and for
	// NVMe over fabrics).
	PCIVendor, PCIDevice, PCISubsystemVendor, PCISubsystemDevice uint16
}

// Warning says what could not be read for a drive, or for the scan, and why.
type Warning struct {
	Subject string // drive name, or "udev" for scan-wide warnings
	Message string
}

// ErrUnsupported is returned by Scan on systems other than Linux.
var ErrUnsupported = errors.New("storage scanning is Linux-only (it reads sysfs and the udev database)")
