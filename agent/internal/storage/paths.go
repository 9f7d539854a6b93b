package storage

import (
	"path"
	"strings"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/lazyregexp"
)

// maxAttrBytes bounds every sysfs or udev file read. Sysfs attributes are at
// most a page; udev records a few KiB. A larger file is not what we expect
// and is refused rather than read whole.
const maxAttrBytes = 64 << 10

var (
	usbRootRE    = lazyregexp.New(`^usb[0-9]+$`)
	virtioRE     = lazyregexp.New(`^virtio[0-9]+$`)
	nvmeCtrlRE   = lazyregexp.New(`^nvme[0-9]+$`)
	nvmeSubsysRE = lazyregexp.New(`^nvme-subsys[0-9]+$`)
	ataPortRE    = lazyregexp.New(`^ata([0-9]+)$`)
	sasRE        = lazyregexp.New(`^(end_device-[0-9]+:[0-9]+(:[0-9]+)?|expander-[0-9]+:[0-9]+|port-[0-9]+:[0-9]+(:[0-9]+)?)$`)
	scsiTargetRE = lazyregexp.New(`^target[0-9]+:[0-9]+:[0-9]+$`)
	scsiAddrRE   = lazyregexp.New(`^([0-9]+):([0-9]+):([0-9]+):([0-9]+)$`)
)

// classifyTransport derives a drive's transport from its resolved sysfs
// device path (relative to root, "sys/devices/pci0000:00/..."), the way the
// kernel's device tree nests it. The outermost bus that tells wins: a SATA
// disk in a USB enclosure is "usb", a virtio-scsi disk "virtio". vendorRaw
// (the SCSI vendor) separates SATA disks behind a SAS HBA, which report
// "ATA", from SAS disks. It returns "" when the path does not tell.
func classifyTransport(devpath, vendorRaw string) string {
	comps := fileutil.SplitPath(devpath)
	has := func(match func(string) bool) bool {
		for _, c := range comps {
			if match(c) {
				return true
			}
		}
		return false
	}
	switch {
	case has(usbRootRE.MatchString):
		return TransportUSB
	case has(virtioRE.MatchString):
		return TransportVirtio
	case has(func(c string) bool {
		return c == "nvme" || c == "nvme-subsystem" || c == "nvme-fabrics" || nvmeCtrlRE.MatchString(c) || nvmeSubsysRE.MatchString(c)
	}):
		return TransportNVMe
	case has(func(c string) bool { return c == "mmc_host" }):
		return TransportMMC
	case has(ataPortRE.MatchString):
		return TransportSATA
	case has(sasRE.MatchString):
		if vendorRaw == "ATA" {
			return TransportSATA
		}
		return TransportSAS
	case has(scsiTargetRE.MatchString):
		return TransportSCSI
	}
	return ""
}

// transportFromUdevBus maps udev's ID_BUS to a transport.
func transportFromUdevBus(bus string) string {
	switch bus {
	case "ata":
		return TransportSATA
	case "usb":
		return TransportUSB
	case "scsi":
		return TransportSCSI
	case "nvme":
		return TransportNVMe
	}
	return ""
}

var (
	skipNameRE = lazyregexp.New(`^(loop[0-9]+|ram[0-9]+|zram[0-9]+|dm-[0-9]+|md[0-9]+|md_.+|sr[0-9]+|nbd[0-9]+|rbd[0-9]+|` +
		`drbd[0-9]+|zd[0-9]+|pmem[0-9]+.*|fd[0-9]+|mtdblock[0-9]+|ubiblock.*|mmcblk[0-9]+boot[0-9]+|mmcblk[0-9]+rpmb|` +
		`nvme[0-9]+c[0-9]+n[0-9]+)$`)
)

// skipReason says why a /sys/block entry is not a physical drive, or ""
// when it is one. devpath is its resolved sysfs path ("" if unknown).
func skipReason(name, devpath string) string {
	if skipNameRE.MatchString(name) {
		return "not a physical drive by name"
	}
	// Everything under devices/virtual is software-made (loop, dm, md,
	// zram, ...); NVMe multipath heads live there too but stand for a real
	// drive.
	if strings.HasPrefix(devpath, "sys/devices/virtual/") && !strings.HasPrefix(devpath, "sys/devices/virtual/nvme-subsystem/") {
		return "virtual device"
	}
	return ""
}

// ataIdentifyPath returns where libata exports the IDENTIFY data of the
// disk at devpath (".../ata<N>/host<H>/target<H>:<C>:<I>/<H>:<C>:<I>:<L>/block/sda"),
// or "" when devpath is not a libata disk. The ata_device is dev<N>.<I> on
// link<N> for a directly attached disk, and dev<N>.<C>.0 on link<N>.<C> for
// one behind port multiplier port C (libata puts the PMP port in the SCSI
// channel).
func ataIdentifyPath(devpath string) string {
	comps := fileutil.SplitPath(devpath)
	ata := -1
	var port string
	for i, c := range comps {
		if m := ataPortRE.FindStringSubmatch(c); m != nil {
			ata, port = i, m[1]
		}
	}
	if ata < 0 {
		return ""
	}
	for _, c := range comps[ata+1:] {
		m := scsiAddrRE.FindStringSubmatch(c)
		if m == nil {
			continue
		}
		channel, id := m[2], m[3]
		link, dev := "link"+port, "dev"+port+"."+id
		if channel != "0" {
			link, dev = "link"+port+"."+channel, "dev"+port+"."+channel+".0"
		}
		return path.Join(path.Join(comps[:ata+1]...), link, dev, "ata_device", dev, "id")
	}
	return ""
}

// naturalLess orders names with digit runs compared as numbers, so nvme2n1
// comes before nvme10n1.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, nb := digitRun(a), digitRun(b)
			ta, tb := strings.TrimLeft(a[:na], "0"), strings.TrimLeft(b[:nb], "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			if na != nb {
				return na < nb // "1" before "01"
			}
			a, b = a[na:], b[nb:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// naturalCompare is naturalLess as a three-way comparison for slices.SortFunc.
func naturalCompare(a, b string) int {
	switch {
	case naturalLess(a, b):
		return -1
	case naturalLess(b, a):
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
