package hosttree

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/memledger/memledger/internal/udev"
)

// NVMe describes an NVMe controller on PCIe with its first namespace (nsid 1).
// Further namespaces are added with AddNVMeNamespace.
//
// Layout without multipath (the namespace hangs off the controller):
//
//	sys/devices/pci0000:00/<Bridge>/<PCIAddr>/{vendor,device,subsystem_vendor,subsystem_device,class}
//	  .../nvme/nvme0/{model,serial,firmware_rev,transport,address,subsysnqn,device->PCI function}
//	  .../nvme/nvme0/nvme0n1/{dev,size,nsid,wwid,queue/rotational,device->../../nvme0}
//	sys/block/nvme0n1, sys/class/block/nvme0n1, sys/dev/block/259:N -> the namespace
//	sys/class/nvme/nvme0 -> the controller
//	sys/devices/virtual/nvme-subsystem/nvme-subsys0/{model,serial,firmware_rev,nvme0->controller}
//
// With Multipath (CONFIG_NVME_MULTIPATH, the default of most distribution
// kernels) the namespace's block device lives under the subsystem instead:
// sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1.
type NVMe struct {
	Ctrl      string // controller name, "nvme0"
	Model     string // identify-controller MN, at most 40 bytes
	Serial    string // SN, at most 20 bytes
	Firmware  string // FR, at most 8 bytes
	SizeBytes uint64 // size of namespace 1, a multiple of 512
	PCIAddr   string // the controller's PCI function, "0000:01:00.0"
	// Bridge is the upstream root port; "" picks 0000:00:01.x from the bus
	// number. Ignored for functions on bus 00.
	Bridge                               string
	Vendor, Device, SubVendor, SubDevice uint16 // PCI ids
	// WWN is namespace 1's wwid as the kernel prints it ("eui.00253885...",
	// "nvme.1344-..."). "" gives the kernel's fallback for namespaces without
	// EUI-64/NGUID/UUID: nvme.<vid>-<serial hex>-<model hex>-<nsid>.
	WWN string
	// EUI64 (16 hex digits) and NGUID (32 hex digits) are namespace 1's
	// identifiers; the kernel shows them as the eui ("00 25 38 ...") and
	// nguid ("36344630-5270-...") attributes only when nonzero. With WWN
	// "", the wwid is derived as the kernel does: "eui." + NGUID, else
	// "eui." + EUI64, else the nvme.<vid>-... fallback.
	EUI64, NGUID string
	Multipath    bool
	NoUdev       bool // leave out the udev database entries
}

type nvmeCtrl struct {
	spec      NVMe
	idx       int
	ctrlDir   string
	subsysDir string
	nextNSID  int
}

var nvmeCtrlRE = regexp.MustCompile(`^nvme([0-9]+)$`)

// AddNVMe adds an NVMe controller with one namespace.
func (b *Builder) AddNVMe(n NVMe) {
	if !b.ok() {
		return
	}
	m := nvmeCtrlRE.FindStringSubmatch(n.Ctrl)
	if m == nil {
		b.fail("AddNVMe: controller name %q is not nvme<N>", n.Ctrl)
		return
	}
	if _, dup := b.nvme[n.Ctrl]; dup {
		b.fail("AddNVMe: controller %s added twice", n.Ctrl)
		return
	}
	what := "AddNVMe " + n.Ctrl
	if !checkLen(b, what, "model", n.Model, 40) || !checkLen(b, what, "serial", n.Serial, 20) ||
		!checkLen(b, what, "firmware", n.Firmware, 8) || !checkLen(b, what, "WWN", n.WWN, 256) {
		return
	}
	for _, id := range []struct {
		name, hex string
		size      int
	}{{"EUI64", n.EUI64, 8}, {"NGUID", n.NGUID, 16}} {
		if b2, err := hex.DecodeString(id.hex); id.hex != "" && (err != nil || len(b2) != id.size) {
			b.fail("%s: %s %q is not %d bytes of hex", what, id.name, id.hex, id.size)
			return
		}
	}
	idx, _ := strconv.Atoi(m[1])
	bridge := n.Bridge
	if bridge == "" {
		bridge = defaultBridge(n.PCIAddr)
	}
	pciDir := b.pciFunction(n.PCIAddr, bridge, n.Vendor, n.Device, n.SubVendor, n.SubDevice, "0x010802")
	if !b.ok() {
		return
	}
	b.mkdir("sys/bus/pci/drivers/nvme")
	b.link(pciDir+"/driver", "sys/bus/pci/drivers/nvme")
	b.link("sys/bus/pci/drivers/nvme/"+n.PCIAddr, pciDir)

	c := &nvmeCtrl{
		spec:      n,
		idx:       idx,
		ctrlDir:   pciDir + "/nvme/" + n.Ctrl,
		subsysDir: fmt.Sprintf("sys/devices/virtual/nvme-subsystem/nvme-subsys%d", idx),
		nextNSID:  1,
	}
	// The kernel's fallback subsystem NQN when the controller reports none.
	nqn := fmt.Sprintf("nqn.2014.08.org.nvmexpress:%04x%04x%s%s", n.Vendor, n.SubVendor, pad(n.Serial, 20), pad(n.Model, 40))
	b.attrs(c.ctrlDir,
		"model", pad(n.Model, 40),
		"serial", pad(n.Serial, 20),
		"firmware_rev", pad(n.Firmware, 8),
		"transport", "pcie",
		"address", n.PCIAddr,
		"state", "live",
		"cntlid", "0",
		"subsysnqn", nqn,
		"numa_node", "-1")
	b.link(c.ctrlDir+"/device", pciDir)
	b.link(c.ctrlDir+"/subsystem", "sys/class/nvme")
	b.link("sys/class/nvme/"+n.Ctrl, c.ctrlDir)

	b.attrs(c.subsysDir,
		"model", pad(n.Model, 40),
		"serial", pad(n.Serial, 20),
		"firmware_rev", pad(n.Firmware, 8),
		"subsysnqn", nqn,
		"subsystype", "nvm",
		"iopolicy", "numa")
	b.link(c.subsysDir+"/"+n.Ctrl, c.ctrlDir)
	b.link(c.subsysDir+"/subsystem", "sys/class/nvme-subsystem")
	b.link(fmt.Sprintf("sys/class/nvme-subsystem/nvme-subsys%d", idx), c.subsysDir)
	b.nvme[n.Ctrl] = c
	wwn := n.WWN
	switch {
	case wwn != "":
	case n.NGUID != "":
		wwn = "eui." + strings.ToLower(n.NGUID)
	case n.EUI64 != "":
		wwn = "eui." + strings.ToLower(n.EUI64)
	}
	dir := b.addNamespace(c, n.SizeBytes, wwn)
	if dir == "" {
		return
	}
	if n.EUI64 != "" {
		raw, _ := hex.DecodeString(n.EUI64)
		b.attr(dir, "eui", spacedHex(raw))
	}
	if n.NGUID != "" {
		h := strings.ToLower(n.NGUID)
		b.attr(dir, "nguid", h[0:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:32])
	}
}

// spacedHex prints bytes as the kernel's %ph does: "00 25 38 8b".
func spacedHex(raw []byte) string {
	parts := make([]string, len(raw))
	for i, c := range raw {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, " ")
}

// AddNVMeNamespace adds the next namespace (nsid 2, 3, ...) of size
// sizeBytes to controller ctrl; wwn as for NVMe.WWN.
func (b *Builder) AddNVMeNamespace(ctrl string, sizeBytes uint64, wwn string) {
	if !b.ok() {
		return
	}
	c, found := b.nvme[ctrl]
	if !found {
		b.fail("AddNVMeNamespace: no controller %s (add it with AddNVMe first)", ctrl)
		return
	}
	b.addNamespace(c, sizeBytes, wwn)
}

// addNamespace adds the next namespace of c and returns its sysfs
// directory, "" when the builder failed.
func (b *Builder) addNamespace(c *nvmeCtrl, sizeBytes uint64, wwn string) string {
	n := c.spec
	nsid := c.nextNSID
	c.nextNSID++
	name := fmt.Sprintf("nvme%dn%d", c.idx, nsid)
	dir, parent := c.ctrlDir+"/"+name, c.ctrlDir
	if n.Multipath {
		dir, parent = c.subsysDir+"/"+name, c.subsysDir
	}
	if wwn == "" {
		wwn = fmt.Sprintf("nvme.%04x-%s-%s-%08x", n.Vendor,
			hex.EncodeToString([]byte(strings.TrimRight(n.Serial, " \x00"))),
			hex.EncodeToString([]byte(strings.TrimRight(n.Model, " \x00"))), nsid)
	}
	var u *udevRecord
	if !n.NoUdev {
		model := strings.TrimRight(n.Model, " ")
		serial := strings.TrimRight(n.Serial, " ")
		idPath := fmt.Sprintf("pci-%s-nvme-%d", n.PCIAddr, nsid)
		idSerial := udev.Replace(model) + "_" + udev.Replace(serial)
		u = &udevRecord{symlinks: []string{
			"disk/by-path/" + idPath,
			"disk/by-id/nvme-" + wwn,
			"disk/by-id/nvme-" + idSerial,
		}}
		u.set("ID_SERIAL_SHORT", serial)
		u.set("ID_WWN", wwn)
		u.set("ID_MODEL", model)
		u.set("ID_REVISION", strings.TrimRight(n.Firmware, " "))
		u.set("ID_NSID", strconv.Itoa(nsid))
		u.set("ID_SERIAL", idSerial)
		u.set("ID_PATH", idPath)
		u.set("ID_PATH_TAG", pathTag(idPath))
	}
	minor := b.nextBlkext
	b.nextBlkext++
	d := b.addBlock(blockSpec{
		name: name, dir: dir, major: 259, minor: minor, partMax: 0,
		sizeBytes: sizeBytes, physBlock: 512, udev: u,
	})
	if d == nil {
		return ""
	}
	b.attrs(dir, "nsid", strconv.Itoa(nsid), "wwid", wwn)
	b.link(dir+"/device", parent)
	return dir
}

// pathTag mirrors path_id's ID_PATH_TAG: characters other than [0-9A-Za-z-]
// become '_'.
func pathTag(p string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' {
			return r
		}
		return '_'
	}, p)
}

// SATA describes an ATA disk. By default it sits on an AHCI controller
// (libata), which gives:
//
//	sys/devices/pci0000:00/<PCIAddr>/ata<Port>/host<Host>/target<Host>:0:0/<Host>:0:0:0/
//	  {vendor "ATA     ", model (first 16 bytes), rev (4 bytes), wwid, type}
//	  block/sda/{dev,size,queue/rotational,device->../../../<Host>:0:0:0}
//	sys/devices/.../ata<Port>/link<Port>/dev<Port>.0/ata_device/dev<Port>.0/id
//	  (the IDENTIFY DEVICE words as libata prints them; left out with NoIdentify)
//
// and a udev record as ata_id writes it (full 40-byte model in ID_MODEL_ENC).
// With OnSASHBA the disk sits behind a SAS HBA instead
// (.../host<Host>/port-<Host>:0/end_device-<Host>:0/target...), where there is
// no libata and no identify file.
type SATA struct {
	Name       string // "sda"
	Host       int    // SCSI host number
	Port       int    // ATA port print id; 0 means Host+1
	Model      string // at most 40 bytes
	Serial     string // at most 20 bytes
	Firmware   string // at most 8 bytes
	SizeBytes  uint64
	Rotational bool
	RPM        int    // nominal rotation rate; 0 means 7200 when Rotational
	PCIAddr    string // the AHCI controller (or SAS HBA) function
	WWN        uint64 // NAA world wide name from IDENTIFY words 108-111; 0 for none
	// SG3Udev writes the udev record as hosts with sg3_utils' rules have it:
	// ID_MODEL, ID_MODEL_ENC and ID_REVISION are then the SCSI INQUIRY values
	// (model cut to 16 bytes, revision to 4) while ID_SERIAL keeps ata_id's
	// full model.
	SG3Udev    bool
	NoIdentify bool // leave out the ata_device id file
	OnSASHBA   bool // attach behind a SAS HBA instead of AHCI
	NoUdev     bool
}

// SAS describes a SAS (or other SCSI) disk behind a SAS HBA.
type SAS struct {
	Name       string // "sdc"
	Host       int
	Vendor     string // T10 vendor, at most 8 bytes ("SEAGATE")
	Model      string // product, at most 16 bytes
	Rev        string // at most 4 bytes
	Serial     string // unit serial number (VPD page 0x80)
	SizeBytes  uint64
	Rotational bool
	PCIAddr    string // HBA function
	WWN        uint64 // NAA logical unit name; 0 for none
	NoUdev     bool
}

// scsiDisk holds what the SCSI-disk layouts share.
type scsiDisk struct {
	name, hostDir, sdevDir string
	host                   int
	vendor, model, rev     string // already padded to 8/16/4
	wwid                   string
	scsiType               string
	sizeBytes              uint64
	rotational, removable  bool
	udev                   *udevRecord
	major, minor, partMax  int
	extraSdevAttrs         []string
	procName               string
}

func (b *Builder) claimHost(host int, name string) bool {
	if host < 0 {
		b.fail("%s: negative SCSI host number %d", name, host)
		return false
	}
	if other, used := b.scsiHosts[host]; used {
		b.fail("%s: SCSI host %d is already used by %s", name, host, other)
		return false
	}
	b.scsiHosts[host] = name
	return true
}

func (b *Builder) addSCSIDisk(s scsiDisk) {
	h := strconv.Itoa(s.host)
	addr := h + ":0:0:0"
	b.attrs(s.sdevDir,
		"vendor", s.vendor,
		"model", s.model,
		"rev", s.rev,
		"type", s.scsiType,
		"scsi_level", "6",
		"state", "running",
		"queue_depth", "32",
		"device_blocked", "0",
		"timeout", "30")
	if s.wwid != "" {
		b.attr(s.sdevDir, "wwid", s.wwid)
	}
	b.attrs(s.sdevDir, s.extraSdevAttrs...)
	b.link(s.sdevDir+"/subsystem", "sys/bus/scsi")
	b.link("sys/bus/scsi/devices/"+addr, s.sdevDir)
	hostClass := s.hostDir + "/scsi_host/host" + h
	b.attrs(hostClass, "proc_name", s.procName)
	b.link("sys/class/scsi_host/host"+h, hostClass)
	dir := s.sdevDir + "/block/" + s.name
	d := b.addBlock(blockSpec{
		name: s.name, dir: dir, major: s.major, minor: s.minor, partMax: s.partMax,
		sizeBytes: s.sizeBytes, rotational: s.rotational, removable: s.removable, udev: s.udev,
	})
	if d == nil {
		return
	}
	b.link(dir+"/device", s.sdevDir)
}

// AddSATA adds an ATA disk (see SATA).
func (b *Builder) AddSATA(s SATA) {
	if !b.ok() {
		return
	}
	what := "AddSATA " + s.Name
	idx, ok := sdIndex(s.Name)
	if !ok {
		b.fail("%s: name is not sd<letters>", what)
		return
	}
	major, minor, ok := sdDevNum(idx)
	if !ok {
		b.fail("%s: disk index %d is past what hosttree numbers", what, idx)
		return
	}
	if !checkLen(b, what, "model", s.Model, 40) || !checkLen(b, what, "serial", s.Serial, 20) ||
		!checkLen(b, what, "firmware", s.Firmware, 8) || !b.claimHost(s.Host, s.Name) {
		return
	}
	port := s.Port
	if port == 0 {
		port = s.Host + 1
	}
	rpm := s.RPM
	if rpm == 0 && s.Rotational {
		rpm = 7200
	}
	fw8 := pad(s.Firmware, 8)
	rev := fw8[4:8]
	if strings.TrimSpace(rev) == "" {
		rev = fw8[0:4]
	}
	model16 := pad(s.Model, 16)
	wwid := strings.TrimRight("t10.ATA     "+pad(s.Model, 40)+pad(s.Serial, 20), " ")
	if s.WWN != 0 {
		wwid = fmt.Sprintf("naa.%016x", s.WWN)
	}
	h := strconv.Itoa(s.Host)
	var pciDir, hostDir, sdevDir, idPath, procName string
	var extra []string
	if s.OnSASHBA {
		pciDir = b.pciFunction(s.PCIAddr, defaultBridge(s.PCIAddr), 0x1000, 0x0097, 0x1000, 0x30e0, "0x010700")
		hostDir = pciDir + "/host" + h
		sdevDir = hostDir + "/port-" + h + ":0/end_device-" + h + ":0/target" + h + ":0:0/" + h + ":0:0:0"
		idPath = fmt.Sprintf("pci-%s-sas-phy%d-lun-0", s.PCIAddr, s.Host)
		procName = "mpt3sas"
		extra = []string{"sas_address", fmt.Sprintf("0x%016x", 0x500605b000000000|uint64(s.Host))}
	} else {
		pciDir = b.pciFunction(s.PCIAddr, defaultBridge(s.PCIAddr), 0x8086, 0x7ae2, 0x8086, 0x7270, "0x010601")
		ata := fmt.Sprintf("%s/ata%d", pciDir, port)
		hostDir = ata + "/host" + h
		sdevDir = hostDir + "/target" + h + ":0:0/" + h + ":0:0:0"
		idPath = fmt.Sprintf("pci-%s-ata-%d", s.PCIAddr, port)
		procName = "ahci"
		b.attrs(fmt.Sprintf("%s/ata_port/ata%d", ata, port), "port_no", strconv.Itoa(port))
		if !s.NoIdentify {
			devName := fmt.Sprintf("dev%d.0", port)
			tdev := fmt.Sprintf("%s/link%d/%s/ata_device/%s", ata, port, devName, devName)
			b.attrs(tdev, "class", "ata", "xfer_mode", "UDMA/133")
			// The id attribute ends with the newline after word 255; attr()
			// would add a second one.
			b.write(tdev+"/id", []byte(ataIdentifyText(s, rpm)), 0o444)
			b.link("sys/class/ata_device/"+devName, tdev)
		}
	}
	if !b.ok() {
		return
	}
	var u *udevRecord
	if !s.NoUdev {
		u = sataUdev(s, idPath, model16, rev, rpm)
	}
	b.addSCSIDisk(scsiDisk{
		name: s.Name, hostDir: hostDir, sdevDir: sdevDir, host: s.Host,
		vendor: pad("ATA", 8), model: model16, rev: rev, wwid: wwid, scsiType: "0",
		sizeBytes: s.SizeBytes, rotational: s.Rotational, udev: u,
		major: major, minor: minor, partMax: 15, extraSdevAttrs: extra, procName: procName,
	})
}

// sataUdev builds the record ata_id (and optionally sg3_utils) leave.
func sataUdev(s SATA, idPath, model16, rev string, rpm int) *udevRecord {
	model := udev.ReplaceWhitespace(s.Model)
	serial := udev.ReplaceWhitespace(s.Serial)
	idSerial := model + "_" + serial
	u := &udevRecord{symlinks: []string{"disk/by-id/ata-" + idSerial, "disk/by-path/" + idPath}}
	u.set("ID_ATA", "1")
	u.set("ID_TYPE", "disk")
	u.set("ID_BUS", "ata")
	u.set("ID_MODEL", model)
	u.set("ID_MODEL_ENC", udev.Encode(pad(s.Model, 40)))
	u.set("ID_REVISION", strings.TrimSpace(s.Firmware))
	u.set("ID_SERIAL", idSerial)
	u.set("ID_SERIAL_SHORT", serial)
	u.set("ID_ATA_SATA", "1")
	u.set("ID_ATA_ROTATION_RATE_RPM", strconv.Itoa(rpm))
	if s.WWN != 0 {
		w := fmt.Sprintf("0x%016x", s.WWN)
		u.set("ID_WWN", w)
		u.set("ID_WWN_WITH_EXTENSION", w)
		u.symlinks = append(u.symlinks, "disk/by-id/wwn-"+w)
	}
	u.set("ID_PATH", idPath)
	u.set("ID_PATH_TAG", pathTag(idPath))
	if s.SG3Udev {
		scsiModel := udev.ReplaceWhitespace(model16)
		u.set("SCSI_TPGS", "0")
		u.set("SCSI_TYPE", "disk")
		u.set("SCSI_VENDOR", "ATA")
		u.set("SCSI_VENDOR_ENC", udev.Encode(pad("ATA", 8)))
		u.set("SCSI_MODEL", scsiModel)
		u.set("SCSI_MODEL_ENC", udev.Encode(model16))
		u.set("SCSI_REVISION", strings.TrimSpace(rev))
		u.set("ID_SCSI", "1")
		u.set("ID_SCSI_INQUIRY", "1")
		u.set("ID_VENDOR", "ATA")
		u.set("ID_VENDOR_ENC", udev.Encode(pad("ATA", 8)))
		u.set("SCSI_IDENT_SERIAL", serial)
		if s.WWN != 0 {
			u.set("SCSI_IDENT_LUN_NAA_REG", fmt.Sprintf("%016x", s.WWN))
		}
		// sg3_utils' 55-scsi-sg3_id.rules let the INQUIRY values win.
		u.set("ID_MODEL", scsiModel)
		u.set("ID_MODEL_ENC", udev.Encode(model16))
		u.set("ID_REVISION", strings.TrimSpace(rev))
	}
	return u
}

// ataIdentifyText renders IDENTIFY DEVICE data for s the way libata's
// ata_device "id" attribute prints it: 256 words as %04x, eight to a line.
func ataIdentifyText(s SATA, rpm int) string {
	var id [256]uint16
	putString := func(word int, v string, n int) {
		p := pad(v, n)
		for i := 0; i < n; i += 2 {
			id[word+i/2] = uint16(p[i])<<8 | uint16(p[i+1])
		}
	}
	sectors := s.SizeBytes / 512
	id[0] = 0x0040 // ATA device, fixed
	putString(10, s.Serial, 20)
	putString(23, s.Firmware, 8)
	putString(27, s.Model, 40)
	id[49] = 0x2f00 // LBA and DMA supported
	lba28 := sectors
	if lba28 > 0x0fffffff {
		lba28 = 0x0fffffff
	}
	id[60], id[61] = uint16(lba28), uint16(lba28>>16)
	id[80] = 0x07f0 // ATA8-ACS .. ACS-4
	id[83] = 0x4400 // 48-bit addressing
	id[84] = 0x4000
	id[87] = 0x4000
	if s.WWN != 0 {
		id[84] |= 0x0100
		id[87] |= 0x0100
		id[108], id[109], id[110], id[111] = uint16(s.WWN>>48), uint16(s.WWN>>32), uint16(s.WWN>>16), uint16(s.WWN)
	}
	id[100], id[101], id[102], id[103] = uint16(sectors), uint16(sectors>>16), uint16(sectors>>32), uint16(sectors>>48)
	switch {
	case rpm > 0:
		id[217] = uint16(rpm)
	case !s.Rotational:
		id[217] = 0x0001 // non-rotating medium
	}
	// Integrity word: signature A5h and a checksum making the 512 bytes sum to 0.
	var sum byte = 0xa5
	for i := 0; i < 255; i++ {
		sum += byte(id[i]) + byte(id[i]>>8)
	}
	id[255] = uint16(-sum)<<8 | 0x00a5
	var out strings.Builder
	for i, w := range id {
		sep := byte(' ')
		if (i+1)%8 == 0 {
			sep = '\n'
		}
		fmt.Fprintf(&out, "%04x%c", w, sep)
	}
	return out.String()
}

// AddSAS adds a SAS disk behind a SAS HBA (see SAS), with the udev record
// scsi_id writes (ID_BUS=scsi, ID_SCSI_SERIAL from VPD page 0x80).
func (b *Builder) AddSAS(s SAS) {
	if !b.ok() {
		return
	}
	what := "AddSAS " + s.Name
	idx, ok := sdIndex(s.Name)
	if !ok {
		b.fail("%s: name is not sd<letters>", what)
		return
	}
	major, minor, ok := sdDevNum(idx)
	if !ok {
		b.fail("%s: disk index %d is past what hosttree numbers", what, idx)
		return
	}
	if !checkLen(b, what, "vendor", s.Vendor, 8) || !checkLen(b, what, "model", s.Model, 16) ||
		!checkLen(b, what, "rev", s.Rev, 4) || !checkLen(b, what, "serial", s.Serial, 64) || !b.claimHost(s.Host, s.Name) {
		return
	}
	h := strconv.Itoa(s.Host)
	pciDir := b.pciFunction(s.PCIAddr, defaultBridge(s.PCIAddr), 0x1000, 0x0097, 0x1000, 0x30e0, "0x010700")
	hostDir := pciDir + "/host" + h
	sdevDir := hostDir + "/port-" + h + ":0/end_device-" + h + ":0/target" + h + ":0:0/" + h + ":0:0:0"
	wwid := ""
	if s.WWN != 0 {
		wwid = fmt.Sprintf("naa.%016x", s.WWN)
	}
	var u *udevRecord
	if !s.NoUdev {
		idPath := fmt.Sprintf("pci-%s-sas-phy%d-lun-0", s.PCIAddr, s.Host)
		u = &udevRecord{symlinks: []string{"disk/by-path/" + idPath}}
		u.set("ID_SCSI", "1")
		u.set("ID_VENDOR", udev.ReplaceWhitespace(s.Vendor))
		u.set("ID_VENDOR_ENC", udev.Encode(pad(s.Vendor, 8)))
		u.set("ID_MODEL", udev.ReplaceWhitespace(s.Model))
		u.set("ID_MODEL_ENC", udev.Encode(pad(s.Model, 16)))
		u.set("ID_REVISION", strings.TrimSpace(s.Rev))
		u.set("ID_TYPE", "disk")
		if s.WWN != 0 {
			// scsi_id names a disk by its NAA designator (type 3).
			u.set("ID_SERIAL", fmt.Sprintf("3%016x", s.WWN))
			u.set("ID_SERIAL_SHORT", fmt.Sprintf("%016x", s.WWN))
			u.set("ID_WWN", fmt.Sprintf("0x%016x", s.WWN))
			u.set("ID_WWN_WITH_EXTENSION", fmt.Sprintf("0x%016x", s.WWN))
			u.symlinks = append(u.symlinks, fmt.Sprintf("disk/by-id/scsi-3%016x", s.WWN), fmt.Sprintf("disk/by-id/wwn-0x%016x", s.WWN))
		}
		if s.Serial != "" {
			u.set("ID_SCSI_SERIAL", s.Serial)
		}
		u.set("ID_BUS", "scsi")
		u.set("ID_PATH", idPath)
		u.set("ID_PATH_TAG", pathTag(idPath))
	}
	if !b.ok() {
		return
	}
	b.addSCSIDisk(scsiDisk{
		name: s.Name, hostDir: hostDir, sdevDir: sdevDir, host: s.Host,
		vendor: pad(s.Vendor, 8), model: pad(s.Model, 16), rev: pad(s.Rev, 4), wwid: wwid, scsiType: "0",
		sizeBytes: s.SizeBytes, rotational: s.Rotational, udev: u,
		major: major, minor: minor, partMax: 15, procName: "mpt3sas",
		extraSdevAttrs: []string{"sas_address", fmt.Sprintf("0x%016x", s.WWN+1)},
	})
}

// USB describes a USB mass-storage disk (a stick or an enclosure):
//
//	sys/devices/pci0000:00/<PCIAddr>/usb<Bus>/<Bus>-<Port>/{idVendor,idProduct,manufacturer,product,serial}
//	  .../<Bus>-<Port>:1.0/host<Host>/target<Host>:0:0/<Host>:0:0:0/block/sdX
type USB struct {
	Name         string // "sdc"
	Host         int
	Vendor       string // SCSI INQUIRY vendor, at most 8 bytes ("SanDisk")
	Model        string // SCSI INQUIRY product, at most 16 bytes ("Ultra Fit")
	Rev          string // at most 4 bytes
	Serial       string // USB iSerial
	IDVendor     uint16
	IDProduct    uint16
	Manufacturer string // USB iManufacturer
	Product      string // USB iProduct
	SizeBytes    uint64
	Rotational   bool   // many sticks report 1: the kernel's default
	PCIAddr      string // the xHCI controller
	Bus          int    // USB bus number; 0 means 2
	Port         string // port path on the bus, "1" or "1.4"; "" means "1"
	NoUdev       bool
}

var usbPortRE = regexp.MustCompile(`^[1-9][0-9]*(\.[1-9][0-9]*)*$`)

// AddUSB adds a USB mass-storage disk (see USB).
func (b *Builder) AddUSB(s USB) {
	if !b.ok() {
		return
	}
	what := "AddUSB " + s.Name
	idx, ok := sdIndex(s.Name)
	if !ok {
		b.fail("%s: name is not sd<letters>", what)
		return
	}
	major, minor, ok := sdDevNum(idx)
	if !ok {
		b.fail("%s: disk index %d is past what hosttree numbers", what, idx)
		return
	}
	bus, port := s.Bus, s.Port
	if bus == 0 {
		bus = 2
	}
	if port == "" {
		port = "1"
	}
	if !usbPortRE.MatchString(port) {
		b.fail("%s: USB port %q is not like 1 or 1.4", what, port)
		return
	}
	if !checkLen(b, what, "vendor", s.Vendor, 8) || !checkLen(b, what, "model", s.Model, 16) ||
		!checkLen(b, what, "rev", s.Rev, 4) || !checkLen(b, what, "serial", s.Serial, 126) || !b.claimHost(s.Host, s.Name) {
		return
	}
	pciDir := b.pciFunction(s.PCIAddr, defaultBridge(s.PCIAddr), 0x8086, 0x7ae0, 0x8086, 0x7270, "0x0c0330")
	rootHub := fmt.Sprintf("%s/usb%d", pciDir, bus)
	devName := fmt.Sprintf("%d-%s", bus, port)
	devDir := rootHub + "/" + devName
	ifDir := devDir + "/" + devName + ":1.0"
	b.attrs(rootHub, "idVendor", "1d6b", "idProduct", "0003", "busnum", strconv.Itoa(bus))
	b.attrs(devDir,
		"idVendor", fmt.Sprintf("%04x", s.IDVendor),
		"idProduct", fmt.Sprintf("%04x", s.IDProduct),
		"manufacturer", s.Manufacturer,
		"product", s.Product,
		"serial", s.Serial,
		"busnum", strconv.Itoa(bus),
		"speed", "5000")
	b.link(devDir+"/subsystem", "sys/bus/usb")
	b.link("sys/bus/usb/devices/"+devName, devDir)
	b.attrs(ifDir, "bInterfaceClass", "08", "bInterfaceSubClass", "06", "bInterfaceProtocol", "50", "bInterfaceNumber", "00")
	h := strconv.Itoa(s.Host)
	hostDir := ifDir + "/host" + h
	sdevDir := hostDir + "/target" + h + ":0:0/" + h + ":0:0:0"
	var u *udevRecord
	if !s.NoUdev {
		idPath := fmt.Sprintf("pci-%s-usb-0:%s:1.0-scsi-0:0:0:0", s.PCIAddr, port)
		vendor, model := udev.ReplaceWhitespace(s.Vendor), udev.ReplaceWhitespace(s.Model)
		idSerial := vendor + "_" + model + "_" + udev.Replace(s.Serial) + "-0:0"
		u = &udevRecord{symlinks: []string{"disk/by-id/usb-" + idSerial, "disk/by-path/" + idPath}}
		u.set("ID_VENDOR", vendor)
		u.set("ID_VENDOR_ENC", udev.Encode(pad(s.Vendor, 8)))
		u.set("ID_VENDOR_ID", fmt.Sprintf("%04x", s.IDVendor))
		u.set("ID_MODEL", model)
		u.set("ID_MODEL_ENC", udev.Encode(pad(s.Model, 16)))
		u.set("ID_MODEL_ID", fmt.Sprintf("%04x", s.IDProduct))
		u.set("ID_REVISION", strings.TrimSpace(s.Rev))
		u.set("ID_SERIAL", idSerial)
		u.set("ID_SERIAL_SHORT", udev.Replace(s.Serial))
		u.set("ID_TYPE", "disk")
		u.set("ID_INSTANCE", "0:0")
		u.set("ID_BUS", "usb")
		u.set("ID_USB_INTERFACES", ":080650:")
		u.set("ID_USB_INTERFACE_NUM", "00")
		u.set("ID_USB_DRIVER", "usb-storage")
		u.set("ID_PATH", idPath)
		u.set("ID_PATH_TAG", pathTag(idPath))
	}
	if !b.ok() {
		return
	}
	b.addSCSIDisk(scsiDisk{
		name: s.Name, hostDir: hostDir, sdevDir: sdevDir, host: s.Host,
		vendor: pad(s.Vendor, 8), model: pad(s.Model, 16), rev: pad(s.Rev, 4), scsiType: "0",
		sizeBytes: s.SizeBytes, rotational: s.Rotational, removable: true, udev: u,
		major: major, minor: minor, partMax: 15, procName: "usb-storage",
	})
}

// Virtio describes a virtio-blk disk:
//
//	sys/devices/pci0000:00/<PCIAddr>/virtio<N>/block/vda/{dev,size,serial,device->../../../virtio<N>}
type Virtio struct {
	Name       string // "vda"
	PCIAddr    string
	Serial     string // at most 20 bytes (VIRTIO_BLK_ID_BYTES); "" for none
	SizeBytes  uint64
	Rotational bool
	NoUdev     bool
}

var vdNameRE = regexp.MustCompile(`^vd([a-z]{1,3})$`)

// AddVirtio adds a virtio-blk disk (see Virtio).
func (b *Builder) AddVirtio(v Virtio) {
	if !b.ok() {
		return
	}
	m := vdNameRE.FindStringSubmatch(v.Name)
	if m == nil {
		b.fail("AddVirtio: name %q is not vd<letters>", v.Name)
		return
	}
	if !checkLen(b, "AddVirtio "+v.Name, "serial", v.Serial, 20) {
		return
	}
	idx, _ := sdIndex("sd" + m[1])
	pciDir := b.pciFunction(v.PCIAddr, defaultBridge(v.PCIAddr), 0x1af4, 0x1042, 0x1af4, 0x1100, "0x010000")
	vdev := fmt.Sprintf("virtio%d", b.virtioNext)
	b.virtioNext++
	vdir := pciDir + "/" + vdev
	b.attrs(vdir, "vendor", "0x1af4", "device", "0x0002", "status", "0x0000000f")
	b.link(vdir+"/subsystem", "sys/bus/virtio")
	b.link("sys/bus/virtio/devices/"+vdev, vdir)
	b.mkdir("sys/bus/virtio/drivers/virtio_blk")
	b.link(vdir+"/driver", "sys/bus/virtio/drivers/virtio_blk")
	var u *udevRecord
	if !v.NoUdev {
		idPath := "pci-" + v.PCIAddr
		u = &udevRecord{symlinks: []string{"disk/by-path/" + idPath, "disk/by-path/virtio-" + idPath}}
		if v.Serial != "" {
			u.set("ID_SERIAL", v.Serial)
			u.symlinks = append(u.symlinks, "disk/by-id/virtio-"+v.Serial)
		}
		u.set("ID_PATH", idPath)
		u.set("ID_PATH_TAG", pathTag(idPath))
	}
	if !b.ok() {
		return
	}
	dir := vdir + "/block/" + v.Name
	d := b.addBlock(blockSpec{
		name: v.Name, dir: dir, major: 252, minor: idx * 16, partMax: 15,
		sizeBytes: v.SizeBytes, rotational: v.Rotational, udev: u,
	})
	if d == nil {
		return
	}
	b.attr(dir, "serial", v.Serial)
	b.link(dir+"/device", vdir)
}

// MMC describes an eMMC or SD card on a platform MMC controller:
//
//	sys/devices/platform/<Controller>/mmc_host/<Host>/<Host>:<RCA>/{name,serial,manfid,oemid,fwrev,type}
//	  .../block/mmcblk0[/mmcblk0boot0, /mmcblk0boot1]
type MMC struct {
	Name           string // "mmcblk0"
	Controller     string // platform device, "fe310000.mmc"
	Host           string // "mmc0"
	RCA            uint16 // card address; 0 means 0x0001
	Type           string // "MMC" or "SD"
	CardName       string // CID product name ("DG4016")
	Serial         uint32
	ManfID         uint8
	OEMID          uint16
	FwRev          uint8
	SizeBytes      uint64
	BootPartitions bool // add the eMMC boot areas mmcblk0boot0/1 (4 MiB each)
	NoUdev         bool
}

var (
	mmcNameRE = regexp.MustCompile(`^mmcblk[0-9]+$`)
	mmcHostRE = regexp.MustCompile(`^mmc[0-9]+$`)
)

// AddMMC adds an MMC/SD block device (see MMC).
func (b *Builder) AddMMC(m MMC) {
	if !b.ok() {
		return
	}
	what := "AddMMC " + m.Name
	switch {
	case !mmcNameRE.MatchString(m.Name):
		b.fail("%s: name is not mmcblk<N>", what)
		return
	case !mmcHostRE.MatchString(m.Host):
		b.fail("%s: host %q is not mmc<N>", what, m.Host)
		return
	case m.Controller == "" || strings.ContainsAny(m.Controller, "/\x00"):
		b.fail("%s: controller %q is not a platform device name", what, m.Controller)
		return
	case m.Type != "MMC" && m.Type != "SD":
		b.fail("%s: type %q is neither MMC nor SD", what, m.Type)
		return
	}
	if !checkLen(b, what, "card name", m.CardName, 6) {
		return
	}
	rca := m.RCA
	if rca == 0 {
		rca = 1
	}
	card := fmt.Sprintf("sys/devices/platform/%s/mmc_host/%s/%s:%04x", m.Controller, m.Host, m.Host, rca)
	b.attrs(card,
		"type", m.Type,
		"name", m.CardName,
		"serial", fmt.Sprintf("0x%08x", m.Serial),
		"manfid", fmt.Sprintf("0x%06x", m.ManfID),
		"oemid", fmt.Sprintf("0x%04x", m.OEMID),
		"fwrev", fmt.Sprintf("0x%x", m.FwRev),
		"date", "01/2023")
	b.link(card+"/subsystem", "sys/bus/mmc")
	b.link("sys/bus/mmc/devices/"+m.Host+fmt.Sprintf(":%04x", rca), card)
	var u *udevRecord
	if !m.NoUdev {
		idPath := "platform-" + m.Controller
		u = &udevRecord{symlinks: []string{"disk/by-path/" + idPath}}
		u.set("ID_NAME", m.CardName)
		u.set("ID_SERIAL", fmt.Sprintf("0x%08x", m.Serial))
		u.set("ID_PATH", idPath)
		u.set("ID_PATH_TAG", pathTag(idPath))
	}
	if !b.ok() {
		return
	}
	dir := card + "/block/" + m.Name
	minor := b.mmcNext * 8
	b.mmcNext++
	d := b.addBlock(blockSpec{name: m.Name, dir: dir, major: 179, minor: minor, partMax: 7, sizeBytes: m.SizeBytes, udev: u})
	if d == nil {
		return
	}
	b.link(dir+"/device", card)
	if m.BootPartitions {
		for i := 0; i < 2; i++ {
			name := fmt.Sprintf("%sboot%d", m.Name, i)
			bdir := dir + "/" + name
			bminor := b.mmcNext * 8
			b.mmcNext++
			if b.addBlock(blockSpec{name: name, dir: bdir, major: 179, minor: bminor, partMax: 0, sizeBytes: 4 << 20}) != nil {
				b.attrs(bdir, "force_ro", "1", "ro_lock_until_next_power_on", "0")
				b.link(bdir+"/device", card)
			}
		}
	}
}

// Optical describes an ATAPI optical drive (sr0) on an AHCI port, which
// scanners must not count as a disk.
type Optical struct {
	Name    string // "sr0"
	Host    int
	Port    int // 0 means Host+1
	Vendor  string
	Model   string
	Rev     string
	PCIAddr string
}

var srNameRE = regexp.MustCompile(`^sr([0-9]+)$`)

// AddOptical adds an optical drive (major 11) with no medium.
func (b *Builder) AddOptical(o Optical) {
	if !b.ok() {
		return
	}
	m := srNameRE.FindStringSubmatch(o.Name)
	if m == nil {
		b.fail("AddOptical: name %q is not sr<N>", o.Name)
		return
	}
	what := "AddOptical " + o.Name
	if !checkLen(b, what, "vendor", o.Vendor, 8) || !checkLen(b, what, "model", o.Model, 16) ||
		!checkLen(b, what, "rev", o.Rev, 4) || !b.claimHost(o.Host, o.Name) {
		return
	}
	n, _ := strconv.Atoi(m[1])
	port := o.Port
	if port == 0 {
		port = o.Host + 1
	}
	h := strconv.Itoa(o.Host)
	pciDir := b.pciFunction(o.PCIAddr, defaultBridge(o.PCIAddr), 0x8086, 0x7ae2, 0x8086, 0x7270, "0x010601")
	hostDir := fmt.Sprintf("%s/ata%d/host%s", pciDir, port, h)
	u := &udevRecord{}
	u.set("ID_CDROM", "1")
	u.set("ID_TYPE", "cd")
	u.set("ID_BUS", "ata")
	u.set("ID_MODEL", udev.ReplaceWhitespace(o.Model))
	if !b.ok() {
		return
	}
	b.addSCSIDisk(scsiDisk{
		name: o.Name, hostDir: hostDir, sdevDir: hostDir + "/target" + h + ":0:0/" + h + ":0:0:0", host: o.Host,
		vendor: pad(o.Vendor, 8), model: pad(o.Model, 16), rev: pad(o.Rev, 4), scsiType: "5",
		removable: true, udev: u, major: 11, minor: n, partMax: 0, procName: "ahci",
	})
}

var (
	loopNameRE = regexp.MustCompile(`^loop([0-9]+)$`)
	zramNameRE = regexp.MustCompile(`^zram([0-9]+)$`)
	dmNameRE   = regexp.MustCompile(`^dm-([0-9]+)$`)
	mdNameRE   = regexp.MustCompile(`^md([0-9]+)$`)
)

func (b *Builder) virtualBlock(re *regexp.Regexp, kind, name string, major int, sizeBytes uint64, rotational bool, u *udevRecord) (string, bool) {
	if !b.ok() {
		return "", false
	}
	m := re.FindStringSubmatch(name)
	if m == nil {
		b.fail("Add%s: name %q does not fit the kernel's %s naming", kind, name, kind)
		return "", false
	}
	n, _ := strconv.Atoi(m[1])
	dir := "sys/devices/virtual/block/" + name
	return dir, b.addBlock(blockSpec{name: name, dir: dir, major: major, minor: n, sizeBytes: sizeBytes, rotational: rotational, udev: u}) != nil
}

// AddLoop adds a loop device (major 7). A non-empty backingFile is recorded
// in loop/backing_file.
func (b *Builder) AddLoop(name string, sizeBytes uint64, backingFile string) {
	dir, ok := b.virtualBlock(loopNameRE, "Loop", name, 7, sizeBytes, false, &udevRecord{})
	if ok && backingFile != "" {
		b.attrs(dir+"/loop", "backing_file", backingFile, "autoclear", "1", "offset", "0")
	}
}

// AddZram adds a compressed RAM disk (major 251 here; it is dynamic).
func (b *Builder) AddZram(name string, sizeBytes uint64) {
	dir, ok := b.virtualBlock(zramNameRE, "Zram", name, 251, sizeBytes, false, &udevRecord{})
	if ok {
		b.attrs(dir, "disksize", strconv.FormatUint(sizeBytes, 10), "comp_algorithm", "lzo-rle [zstd]")
	}
}

// AddDM adds a device-mapper device (major 253 here) named dmName (e.g. an
// LVM volume "vg0-root") stacked on the given slaves (disks or partitions
// added earlier).
func (b *Builder) AddDM(name, dmName string, sizeBytes uint64, slaves ...string) {
	u := &udevRecord{}
	u.set("DM_NAME", dmName)
	u.set("DM_SUSPENDED", "0")
	dir, ok := b.virtualBlock(dmNameRE, "DM", name, 253, sizeBytes, false, u)
	if !ok {
		return
	}
	b.attrs(dir+"/dm", "name", dmName, "uuid", "LVM-hosttree"+dmName, "suspended", "0")
	b.stack(name, dir, slaves)
}

// AddMD adds a software RAID array (major 9) of the given level ("raid1")
// over members added earlier.
func (b *Builder) AddMD(name, level string, sizeBytes uint64, members ...string) {
	u := &udevRecord{}
	u.set("MD_LEVEL", level)
	u.set("MD_DEVICES", strconv.Itoa(len(members)))
	dir, ok := b.virtualBlock(mdNameRE, "MD", name, 9, sizeBytes, false, u)
	if !ok {
		return
	}
	b.attrs(dir+"/md", "level", level, "raid_disks", strconv.Itoa(len(members)), "metadata_version", "1.2", "array_state", "clean")
	for _, m := range members {
		if mdir, found := b.blockDirs[m]; found {
			b.link(dir+"/md/dev-"+m+"/block", mdir)
		}
	}
	b.stack(name, dir, members)
}

// stack links holder and lower devices both ways (slaves/, holders/).
func (b *Builder) stack(name, dir string, lower []string) {
	for _, l := range lower {
		ldir, found := b.blockDirs[l]
		if !found {
			b.fail("%s: lower device %s was not added", name, l)
			return
		}
		b.link(dir+"/slaves/"+l, ldir)
		b.link(ldir+"/holders/"+name, dir)
	}
}
