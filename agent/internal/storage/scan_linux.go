//go:build linux

package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/lazyregexp"
	"github.com/memledger/memledger/internal/udev"
)

// Scan enumerates the physical drives under root (the live host's "/" or
// a captured tree). Every path is read as a process chrooted to root reads
// it: links, absolute ones and ones climbing with "..", resolve inside root
// (fileutil.ResolveInRoot), never out of it. Warnings say what could not be
// read, for which drive, and why; a scan that finds some facts missing still
// succeeds. The error is kept for a scan that cannot run at all: root
// without a readable sys/block, or ctx done.
func Scan(ctx context.Context, root *os.Root) ([]Drive, []Warning, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("storage scan: %w", err)
	}
	if root == nil {
		return nil, nil, errors.New("storage scan: no root directory")
	}
	ents, err := fileutil.ReadDirInRoot(root, "sys/block")
	if err != nil {
		return nil, nil, fmt.Errorf("storage scan: list block devices: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.SortFunc(names, naturalCompare)

	s := &scanner{tree: root}
	s.checkUdevDB()
	var drives []Drive
	byNVMe := map[string]int{} // NVMe controller or subsystem dir -> index in drives
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("storage scan: %w", err)
		}
		drv, nvmeKey, keep := s.drive(name)
		if !keep {
			continue
		}
		if nvmeKey != "" {
			if i, seen := byNVMe[nvmeKey]; seen {
				// Another namespace of a drive already listed.
				drives[i].Namespaces = append(drives[i].Namespaces, drv.Name)
				drives[i].SizeBytes += drv.SizeBytes
				continue
			}
			byNVMe[nvmeKey] = len(drives)
		}
		drives = append(drives, drv)
	}
	return drives, s.warnings, nil
}

// scanner holds one scan's root and the warnings it collects.
type scanner struct {
	tree     *os.Root // the host root, every read resolved inside it
	warnings []Warning
	udevWhy  string // why the udev database is unusable, "" when present
}

func (s *scanner) warn(subject, format string, args ...any) {
	s.warnings = append(s.warnings, Warning{Subject: subject, Message: fmt.Sprintf(format, args...)})
}

// resolve resolves rel, relative to root, as a process chrooted there
// would, and returns the resolved path relative to root (see
// fileutil.ResolveInRoot).
func (s *scanner) resolve(rel string) (string, error) {
	resolved, _, err := fileutil.ResolveInRoot(s.tree, rel, nil)
	return resolved, err
}

// read reads a file given relative to root, of at most maxAttrBytes.
func (s *scanner) read(rel string) ([]byte, error) {
	return fileutil.ReadFileInRoot(s.tree, rel, maxAttrBytes)
}

// text reads a sysfs attribute as cleaned text.
func (s *scanner) text(rel string) (string, error) {
	b, err := s.read(rel)
	if err != nil {
		return "", err
	}
	return CleanText(string(b)), nil
}

func (s *scanner) exists(rel string) bool {
	_, err := fileutil.StatInRoot(s.tree, rel)
	return err == nil
}

// checkUdevDB notes, once per scan, a missing udev database (containers,
// initramfs, systems without systemd-udevd).
func (s *scanner) checkUdevDB() {
	if _, err := fileutil.StatInRoot(s.tree, "run/udev/data"); err != nil {
		// Name the path as the host sees it, not under the scan root, so a
		// host and its snapshot give the same warning.
		why := "unreadable"
		if errors.Is(err, fs.ErrNotExist) {
			why = "absent"
		} else if errors.Is(err, fs.ErrPermission) {
			why = "permission denied"
		}
		s.udevWhy = fmt.Sprintf("no udev database (/run/udev/data %s)", why)
		s.warn("udev", "%s: models, serials and firmware come from sysfs alone, where SCSI models are cut to 16 characters", s.udevWhy)
	}
}

// driveCtx is what one drive's fill steps share.
type driveCtx struct {
	name    string
	devpath string            // resolved sysfs path relative to root, "" if unknown
	udev    map[string]string // udev E: properties, nil when none
	udevWhy string            // why udev is nil

	transport      string
	udevModelTried bool // modelFromUdev ran (it may warn; once is enough)
}

// drive builds the Drive for one /sys/block entry. keep is false for block
// devices that are not physical drives. nvmeKey groups NVMe namespaces of
// one controller.
func (s *scanner) drive(name string) (drv Drive, nvmeKey string, keep bool) {
	dc := &driveCtx{name: name}
	if skipNameRE.MatchString(dc.name) {
		return Drive{}, "", false
	}
	devpath, err := s.resolve("sys/block/" + dc.name)
	if err != nil {
		s.warn(dc.name, "resolve sys/block/%s: %v; how the drive is attached is unknown", dc.name, err)
	}
	dc.devpath = devpath
	if skipReason(dc.name, devpath) != "" {
		return Drive{}, "", false
	}
	if devpath != "" && s.exists(devpath+"/partition") {
		return Drive{}, "", false
	}
	s.loadUdev(dc)

	size, sizeErr := s.sizeBytes(dc.name)
	drv = Drive{
		Name:       dc.name,
		SizeBytes:  size,
		Rotational: s.rotational(dc.name),
	}
	vendor, _ := s.text("sys/block/" + dc.name + "/device/vendor")
	drv.Transport = classifyTransport(devpath, vendor)
	if drv.Transport == "" {
		drv.Transport = transportFromUdevBus(dc.udev["ID_BUS"])
	}
	if drv.Transport == "" {
		drv.Transport = transportFromName(dc.name)
	}
	dc.transport = drv.Transport

	var kernelWWN, identifyWWN string
	switch drv.Transport {
	case TransportNVMe:
		nvmeKey = s.fillNVMe(&drv, dc)
		if devpath != "" {
			kernelWWN, _ = s.text(devpath + "/wwid")
			// The kernel shows eui and nguid only when the namespace
			// reports them (nonzero): absent is not an error.
			if v, err := s.text(devpath + "/eui"); err == nil {
				drv.EUI64 = normalizeNVMeID(v, 8)
			}
			if v, err := s.text(devpath + "/nguid"); err == nil {
				drv.NGUID = normalizeNVMeID(v, 16)
			}
		}
	case TransportMMC:
		s.fillMMC(&drv, dc)
	case TransportSATA, TransportSAS, TransportUSB, TransportSCSI:
		drv.VendorRaw = CleanText(vendor)
		kernelWWN, identifyWWN = s.fillSCSI(&drv, dc)
	}

	// What the transport-specific steps left empty, udev may know.
	if drv.Model == "" {
		s.modelFromUdev(&drv, dc)
	}
	if drv.SerialNumber == "" {
		drv.SerialNumber = CleanText(udevSerial(dc.udev))
	}
	if drv.SerialNumber == "" && drv.Transport == TransportVirtio && devpath != "" {
		// virtio_blk's own attribute; empty when the host set no serial.
		drv.SerialNumber, _ = s.text(devpath + "/serial")
	}
	if drv.Firmware == "" {
		drv.Firmware = CleanText(dc.udev["ID_REVISION"])
	}

	drv.WWN = normalizeWWN(kernelWWN)
	for _, w := range []string{dc.udev["ID_WWN_WITH_EXTENSION"], dc.udev["ID_WWN"], identifyWWN} {
		if drv.WWN == "" {
			drv.WWN = normalizeWWN(w)
		}
	}
	if sizeErr != nil {
		s.warn(dc.name, "size unknown: %v", sizeErr)
	}
	return drv, nvmeKey, true
}

// sizeBytes reads the disk's size attribute (512-byte sectors whatever
// the block size). The error says why an unreadable or non-numeric
// attribute gives 0; a count too large for bytes is 0 without one.
func (s *scanner) sizeBytes(name string) (uint64, error) {
	v, err := s.text("sys/block/" + name + "/size")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size attribute %q is not a sector count", v)
	}
	if n > math.MaxUint64/512 {
		return 0, nil
	}
	return n * 512, nil
}

// rotational reports spinning media: a disk by name (sd, hd, vd, xvd) whose
// queue/rotational is 1. NVMe and MMC devices are solid state whatever
// the attribute says, and so is a device of another name.
func (s *scanner) rotational(name string) bool {
	switch {
	case strings.HasPrefix(name, "sd"), strings.HasPrefix(name, "hd"),
		strings.HasPrefix(name, "vd"), strings.HasPrefix(name, "xvd"):
	default:
		return false
	}
	v, err := s.text("sys/block/" + name + "/queue/rotational")
	return err == nil && v == "1"
}

// transportFromName is the last resort: the transport the kernel's
// device name implies, for the names that imply one.
func transportFromName(name string) string {
	switch {
	case strings.HasPrefix(name, "nvme"):
		return TransportNVMe
	case strings.HasPrefix(name, "vd"):
		return TransportVirtio
	case strings.HasPrefix(name, "mmc"):
		return TransportMMC
	}
	return ""
}

// udevSerial is the serial a udev record gives: the first of
// SCSI_IDENT_SERIAL (sg3_utils), ID_SCSI_SERIAL, ID_SERIAL_SHORT and
// ID_SERIAL it holds, even empty. A record loadUdev rejected as corrupt is
// nil here and gives none.
func udevSerial(props map[string]string) string {
	for _, k := range []string{"SCSI_IDENT_SERIAL", "ID_SCSI_SERIAL", "ID_SERIAL_SHORT", "ID_SERIAL"} {
		if v, ok := props[k]; ok {
			return v
		}
	}
	return ""
}

var devNumRE = lazyregexp.New(`^[0-9]+:[0-9]+$`)

// loadUdev reads the drive's udev database record.
func (s *scanner) loadUdev(dc *driveCtx) {
	if s.udevWhy != "" {
		dc.udevWhy = s.udevWhy
		return
	}
	dev, err := s.text("sys/block/" + dc.name + "/dev")
	if err != nil {
		dc.udevWhy = fmt.Sprintf("its dev attribute is unreadable (%v)", err)
		s.warn(dc.name, "udev data not consulted: %s", dc.udevWhy)
		return
	}
	if !devNumRE.MatchString(dev) {
		dc.udevWhy = fmt.Sprintf("its dev attribute %q is not major:minor", dev)
		s.warn(dc.name, "udev data not consulted: %s", dc.udevWhy)
		return
	}
	rel := "run/udev/data/b" + dev
	data, err := s.read(rel)
	if errors.Is(err, fs.ErrNotExist) {
		dc.udevWhy = "udev has no record " + rel
		return
	}
	if err != nil {
		dc.udevWhy = err.Error()
		s.warn(dc.name, "udev record unreadable: %v", err)
		return
	}
	rec, err := ParseUdevRecord(data)
	if err != nil {
		dc.udevWhy = fmt.Sprintf("%s is corrupt", rel)
		s.warn(dc.name, "%s not used: %v", rel, err)
		return
	}
	dc.udev = rec.Properties
}

// fillNVMe reads model, serial and firmware of the namespace's controller
// (or, with native multipath, subsystem) and the controller's PCI ids. It
// returns the directory that identifies the drive.
func (s *scanner) fillNVMe(drv *Drive, dc *driveCtx) string {
	drv.Namespaces = []string{dc.name}
	if dc.devpath == "" {
		return ""
	}
	parent := path.Dir(dc.devpath)
	var infoDir, ctrlDir string
	switch base := path.Base(parent); {
	case nvmeCtrlRE.MatchString(base):
		infoDir, ctrlDir = parent, parent
	case nvmeSubsysRE.MatchString(base):
		infoDir, ctrlDir = parent, s.subsystemController(dc.name, parent)
	default:
		s.warn(dc.name, "NVMe namespace %s is under neither a controller nor a subsystem; its model, serial and PCI ids were not read from sysfs", dc.devpath)
		return ""
	}
	for _, f := range []struct {
		attr string
		dst  *string
	}{{"model", &drv.Model}, {"serial", &drv.SerialNumber}, {"firmware_rev", &drv.Firmware}} {
		v, err := s.text(infoDir + "/" + f.attr)
		if err != nil {
			s.warn(dc.name, "NVMe %s unreadable: %v", f.attr, err)
			continue
		}
		*f.dst = v
	}
	if drv.Model != "" {
		drv.ModelSource = ModelFromNVMe
	}
	if ctrlDir != "" {
		s.fillPCI(drv, dc.name, ctrlDir)
	}
	return infoDir
}

// subsystemController picks the controller of an NVMe subsystem whose PCI
// ids to report: the first (by number) attached over PCIe, else the first.
func (s *scanner) subsystemController(name, subsysDir string) string {
	entries, err := fileutil.ReadDirInRoot(s.tree, subsysDir)
	if err != nil {
		s.warn(name, "NVMe subsystem %s unreadable: %v; PCI ids unknown", subsysDir, err)
		return ""
	}
	var ctrls []string
	for _, e := range entries {
		if nvmeCtrlRE.MatchString(e.Name()) {
			ctrls = append(ctrls, e.Name())
		}
	}
	slices.SortFunc(ctrls, naturalCompare)
	first := ""
	for _, c := range ctrls {
		dir, err := s.resolve(subsysDir + "/" + c)
		if err != nil {
			continue
		}
		if t, _ := s.text(dir + "/transport"); t == "pcie" {
			return dir
		}
		if first == "" {
			first = dir
		}
	}
	if first == "" {
		s.warn(name, "NVMe subsystem %s lists no readable controller; PCI ids unknown", subsysDir)
	}
	return first
}

// fillPCI reads the PCI ids of an NVMe controller's function.
func (s *scanner) fillPCI(drv *Drive, name, ctrlDir string) {
	// Fabrics controllers (tcp, rdma, fc, loop) have no PCI function.
	if t, err := s.text(ctrlDir + "/transport"); err == nil && t != "pcie" {
		return
	}
	pciDir, err := s.resolve(ctrlDir + "/device")
	if err != nil {
		s.warn(name, "NVMe controller %s: PCI function not found (%v); PCI ids unknown", path.Base(ctrlDir), err)
		return
	}
	var ids [4]uint16
	for i, attr := range []string{"vendor", "device", "subsystem_vendor", "subsystem_device"} {
		v, err := s.text(pciDir + "/" + attr)
		if err != nil {
			s.warn(name, "PCI function %s: %s unreadable (%v); PCI ids unknown", path.Base(pciDir), attr, err)
			return
		}
		ids[i], err = parsePCIID(v)
		if err != nil {
			s.warn(name, "PCI function %s: %s: %v; PCI ids unknown", path.Base(pciDir), attr, err)
			return
		}
	}
	drv.PCIVendor, drv.PCIDevice, drv.PCISubsystemVendor, drv.PCISubsystemDevice = ids[0], ids[1], ids[2], ids[3]
}

// fillSCSI fills a SCSI-attached disk (SATA, SAS, USB, other SCSI) from the
// ATA IDENTIFY data when libata exports it, then udev, then the SCSI
// device's own attributes. It returns the kernel's wwid and the IDENTIFY
// WWN for the WWN choice.
func (s *scanner) fillSCSI(drv *Drive, dc *driveCtx) (kernelWWN, identifyWWN string) {
	sdev := ""
	if dc.devpath != "" {
		if p, err := s.resolve("sys/block/" + dc.name + "/device"); err == nil {
			sdev = p
		}
	}
	if drv.Transport == TransportSATA {
		if id := s.ataIdentify(dc); id != nil {
			if id.Model != "" {
				drv.Model, drv.ModelSource = id.Model, ModelFromATAIdentify
			}
			drv.SerialNumber = id.Serial
			drv.Firmware = id.Firmware
			if id.WWN != 0 {
				identifyWWN = fmt.Sprintf("naa.%016x", id.WWN)
			}
		}
	}
	if drv.Model == "" {
		s.modelFromUdev(drv, dc)
	}
	if drv.Model == "" && sdev != "" {
		raw, err := s.read(sdev + "/model")
		if err == nil {
			drv.Model, drv.ModelSource = CleanText(string(raw)), ModelFromSysfs
			// The INQUIRY product field is 16 bytes; a model filling it
			// may have been longer.
			if len(strings.TrimRight(string(raw), "\n")) >= 16 && len(drv.Model) >= 16 {
				s.warn(dc.name, "model %q is the 16-character SCSI INQUIRY product and may be cut (%s)", drv.Model, dc.whyNoUdev())
			}
		}
	}
	if drv.Firmware == "" {
		drv.Firmware = CleanText(dc.udev["ID_REVISION"])
		if drv.Firmware != "" && dc.udev["ID_ATA"] == "1" && dc.udev["SCSI_REVISION"] == dc.udev["ID_REVISION"] {
			s.warn(dc.name, "firmware %q is the 4-character SCSI INQUIRY revision (sg3_utils' udev rules replaced ata_id's); the drive's own revision may be longer", drv.Firmware)
		}
	}
	if drv.Firmware == "" && sdev != "" {
		if rev, err := s.text(sdev + "/rev"); err == nil && rev != "" {
			drv.Firmware = rev
			if drv.Transport == TransportSATA {
				s.warn(dc.name, "firmware %q is the 4-character SCSI revision libata derives from the ATA one (%s)", rev, dc.whyNoUdev())
			}
		}
	}
	if sdev != "" {
		kernelWWN, _ = s.text(sdev + "/wwid")
	}
	return kernelWWN, identifyWWN
}

func (dc *driveCtx) whyNoUdev() string {
	if dc.udevWhy != "" {
		return dc.udevWhy
	}
	return "udev does not have it either"
}

// ataIdentify reads libata's IDENTIFY DEVICE data for a SATA disk, or nil
// when there is none (not libata, kernels before the attribute) or it is
// unusable (then with a warning).
func (s *scanner) ataIdentify(dc *driveCtx) *ATAIdentity {
	p := ataIdentifyPath(dc.devpath)
	if p == "" {
		return nil
	}
	data, err := s.read(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		s.warn(dc.name, "ATA identify data unreadable: %v", err)
		return nil
	}
	id, err := ParseATAIdentify(data)
	if err != nil {
		s.warn(dc.name, "%s not used: %v", p, err)
		return nil
	}
	return &id
}

// modelFromUdev takes the model from udev: ID_MODEL_ENC unescaped (exact),
// else ID_MODEL (in which ata_id, scsi_id and usb_id wrote spaces as '_';
// for NVMe udev copies the sysfs attribute, spaces and all). Hosts with
// sg3_utils' udev rules cut both to the 16-character SCSI INQUIRY product
// while ata_id's ID_SERIAL ("<model>_<serial>", spaces as '_') keeps the
// whole model: a longer model there is used.
func (s *scanner) modelFromUdev(drv *Drive, dc *driveCtx) {
	if dc.udev == nil || dc.udevModelTried {
		return
	}
	dc.udevModelTried = true
	model, source := "", ""
	if enc := dc.udev["ID_MODEL_ENC"]; enc != "" {
		m, err := udev.Unescape(enc)
		if err != nil {
			s.warn(dc.name, "udev ID_MODEL_ENC not used: %v", err)
		} else {
			model, source = CleanText(m), ModelFromUdev
		}
	}
	if model == "" {
		model, source = CleanText(dc.udev["ID_MODEL"]), ModelFromUdevID
		if dc.transport == TransportNVMe {
			source = ModelFromUdev
		}
	}
	if model == "" {
		return
	}
	if dc.transport == TransportNVMe {
		drv.Model, drv.ModelSource = model, source
		return
	}
	serial, short := dc.udev["ID_SERIAL"], dc.udev["ID_SERIAL_SHORT"]
	if full, ok := strings.CutSuffix(serial, "_"+short); ok && short != "" && len(model) <= 16 {
		underscored := strings.Join(strings.Fields(model), "_")
		if len(full) > len(underscored) && strings.HasPrefix(full, underscored) {
			rest := full[len(underscored):]
			if strings.Contains(rest, "_") {
				// Past the cut, '_' may have been a space or an '_':
				// keep udev's spelling rather than guess.
				model, source = CleanText(full), ModelFromUdevSerial
				s.warn(dc.name, "udev's ID_MODEL is cut to 16 characters; model %q taken from ID_SERIAL, where udev wrote spaces as '_'", model)
			} else {
				model = CleanText(model + rest)
			}
		}
	}
	drv.Model, drv.ModelSource = model, source
}

// fillMMC reads an MMC/SD card's CID fields.
func (s *scanner) fillMMC(drv *Drive, dc *driveCtx) {
	if dc.devpath == "" {
		return
	}
	card, err := s.resolve("sys/block/" + dc.name + "/device")
	if err != nil {
		s.warn(dc.name, "MMC card directory not found: %v", err)
		return
	}
	for _, f := range []struct {
		attr string
		dst  *string
	}{{"name", &drv.Model}, {"serial", &drv.SerialNumber}, {"fwrev", &drv.Firmware}, {"manfid", &drv.VendorRaw}} {
		v, err := s.text(card + "/" + f.attr)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || f.attr != "fwrev" {
				s.warn(dc.name, "MMC %s unreadable: %v", f.attr, err)
			}
			continue
		}
		*f.dst = v
	}
	if drv.Model != "" {
		drv.ModelSource = ModelFromMMC
	}
}
