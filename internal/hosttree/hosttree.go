// Package hosttree builds synthetic Linux host trees: the parts of /sys,
// /run/udev, /proc and /etc that memledger reads, laid out as a real kernel
// and systemd-udevd lay them out (relative symlinks between /sys/block,
// /sys/class, /sys/dev and /sys/devices, sysfs attribute formats, udev
// database records). Tests, benchmarks, the examples/ generator and the agent's
// snapshot tests point their injected root at such a tree.
//
// A Builder records the first error it meets and turns every later call into
// a no-op, so a test can make many calls and check Err once:
//
//	b := hosttree.New(t.TempDir())
//	b.Hostname("db1")
//	b.AddNVMe(hosttree.NVMe{Ctrl: "nvme0", Model: "Micron_7450_MTFDKCC960TFR", ...})
//	b.AddPartitions("nvme0n1", 1<<30, 100<<30)
//	if err := b.Err(); err != nil { t.Fatal(err) }
//
// File modes: sysfs attributes are written 0444 (the kernel's ee1004, at24
// "spd" and spd5118 "eeprom" files and the ATA identify data are world-readable
// too); attributes that are root-only on a real host (SMBIOS tables,
// product_serial) are written 0444 as well so that tests running as an
// ordinary user can read them: the tree models content and layout, not
// permissions. Rewriting a file replaces it.
//
// What is left out: attributes nothing in memledger reads (statistics, power,
// scheduler settings), device nodes under /dev, and hidden NVMe multipath path
// devices (nvmeXcYnZ).
package hosttree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Builder writes a host tree under its root directory. It is not safe for
// concurrent use; build separate trees for parallel tests.
type Builder struct {
	root string
	err  error

	devs       map[string]string // "major:minor" -> block device name
	disks      map[string]*blockDisk
	nvme       map[string]*nvmeCtrl // controller name -> state
	scsiHosts  map[int]string       // SCSI host number -> device using it
	nextBlkext int                  // next minor of major 259 (blkext)
	virtioNext int                  // next virtioN index
	mmcNext    int                  // next minor block of major 179 (8 minors each)
	pciDone    map[string]bool
	i2cAdapter map[int]bool
	blockDirs  map[string]string // every block device (disks and partitions) -> sysfs dir
}

// blockDisk is what the builder remembers about a whole-disk block device so
// that partitions, namespaces and holders can be added to it later.
type blockDisk struct {
	name      string
	dir       string // sysfs directory relative to root
	major     int
	minor     int
	partMinor int // minors major:minor+1 .. minor+partMax belong to partitions
	partMax   int
	parts     int
	nextStart uint64 // next partition start, in 512-byte sectors
	udev      udevRecord
}

// udevRecord is one /run/udev/data entry being built.
type udevRecord struct {
	symlinks []string
	props    [][2]string
}

func (u *udevRecord) set(key, value string) {
	for i := range u.props {
		if u.props[i][0] == key {
			u.props[i][1] = value
			return
		}
	}
	u.props = append(u.props, [2]string{key, value})
}

func (u *udevRecord) get(key string) string {
	for _, p := range u.props {
		if p[0] == key {
			return p[1]
		}
	}
	return ""
}

// render writes the record in the format of systemd's device_update_db():
// S: symlinks, I: initialisation time, E: properties, G:/Q: tags, V: version.
func (u *udevRecord) render() string {
	var s strings.Builder
	for _, l := range u.symlinks {
		s.WriteString("S:" + l + "\n")
	}
	s.WriteString("I:1000000\n")
	for _, p := range u.props {
		s.WriteString("E:" + p[0] + "=" + p[1] + "\n")
	}
	s.WriteString("G:systemd\nQ:systemd\nV:1\n")
	return s.String()
}

// New returns a Builder writing under dir, the fake root. dir need not exist.
func New(dir string) *Builder {
	b := &Builder{
		root:       dir,
		devs:       map[string]string{},
		disks:      map[string]*blockDisk{},
		nvme:       map[string]*nvmeCtrl{},
		scsiHosts:  map[int]string{},
		pciDone:    map[string]bool{},
		i2cAdapter: map[int]bool{},
		blockDirs:  map[string]string{},
	}
	if dir == "" {
		b.err = errors.New("hosttree: root directory must not be empty")
	}
	return b
}

// Root returns the root directory the builder writes under.
func (b *Builder) Root() string { return b.root }

// Err returns the first error any call met, or nil.
func (b *Builder) Err() error { return b.err }

func (b *Builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("hosttree: "+format, args...)
	}
}

func (b *Builder) ok() bool { return b.err == nil }

// rel checks that rel is a clean relative path that stays under the root.
func (b *Builder) checkRel(rel string) bool {
	if rel == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		b.fail("path %q is not a relative path inside the tree", rel)
		return false
	}
	return true
}

// write creates rel (relative to root) with content, creating parents.
func (b *Builder) write(rel string, content []byte, perm fs.FileMode) {
	if !b.ok() || !b.checkRel(rel) {
		return
	}
	p := filepath.Join(b.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.fail("create directory for %s: %w", rel, err)
		return
	}
	// Files are read-only; remove an earlier version instead of opening it.
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.fail("replace %s: %w", rel, err)
		return
	}
	if err := os.WriteFile(p, content, perm); err != nil {
		b.fail("write %s: %w", rel, err)
	}
}

// attr writes a sysfs attribute: value plus the newline the kernel appends.
func (b *Builder) attr(dir, name, value string) {
	b.write(filepath.Join(dir, name), []byte(value+"\n"), 0o444)
}

func (b *Builder) attrs(dir string, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		b.attr(dir, kv[i], kv[i+1])
	}
}

func (b *Builder) mkdir(rel string) {
	if !b.ok() || !b.checkRel(rel) {
		return
	}
	if err := os.MkdirAll(filepath.Join(b.root, rel), 0o755); err != nil {
		b.fail("create directory %s: %w", rel, err)
	}
}

// link makes rel a symlink to target (both relative to root). The link text
// is relative, as sysfs's links are, so the tree can be moved or used as a
// chroot.
func (b *Builder) link(rel, target string) {
	if !b.ok() || !b.checkRel(rel) || !b.checkRel(target) {
		return
	}
	p := filepath.Join(b.root, rel)
	text := sysfsLinkText(filepath.ToSlash(filepath.Dir(rel)), filepath.ToSlash(target))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.fail("create directory for %s: %w", rel, err)
		return
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.fail("replace %s: %w", rel, err)
		return
	}
	if err := os.Symlink(text, p); err != nil {
		b.fail("link %s -> %s: %w", rel, text, err)
	}
}

// sysfsLinkText spells a link from directory linkDir to target as sysfs
// (kernfs_get_target_path) does: up from linkDir to the nearest directory
// that contains target's parent, then down to target. Where the target is an
// ancestor of the link this gives "../../nvme0" rather than the shorter "..".
// Both paths are slash-separated and relative to the root.
func sysfsLinkText(linkDir, target string) string {
	targetParent := path.Dir(target)
	base, ups := linkDir, 0
	for base != "." && base != targetParent && !strings.HasPrefix(targetParent, base+"/") {
		base = path.Dir(base)
		ups++
	}
	down := target
	if base != "." {
		down = strings.TrimPrefix(target, base+"/")
	}
	return strings.Repeat("../", ups) + down
}

// WriteFile writes an arbitrary file under the root, for layouts the typed
// methods do not cover. rel must be relative and stay inside the tree.
func (b *Builder) WriteFile(rel string, data []byte) {
	b.write(filepath.FromSlash(rel), data, 0o644)
}

// Symlink makes rel a relative symlink to target, both given relative to
// the root.
func (b *Builder) Symlink(rel, target string) {
	b.link(filepath.FromSlash(rel), filepath.FromSlash(target))
}

// MachineID writes etc/machine-id.
func (b *Builder) MachineID(id string) {
	b.write("etc/machine-id", []byte(id+"\n"), 0o444)
}

// Hostname writes etc/hostname and proc/sys/kernel/hostname.
func (b *Builder) Hostname(name string) {
	b.write("etc/hostname", []byte(name+"\n"), 0o644)
	b.write("proc/sys/kernel/hostname", []byte(name+"\n"), 0o444)
}

// OSRelease writes usr/lib/os-release with ID, VERSION_ID and PRETTY_NAME,
// and etc/os-release as the relative symlink distributions ship.
func (b *Builder) OSRelease(id, versionID, prettyName string) {
	var s strings.Builder
	if prettyName != "" {
		s.WriteString("PRETTY_NAME=" + osReleaseQuote(prettyName) + "\n")
	}
	if id != "" {
		s.WriteString("ID=" + osReleaseQuote(id) + "\n")
	}
	if versionID != "" {
		s.WriteString("VERSION_ID=" + osReleaseQuote(versionID) + "\n")
	}
	b.write("usr/lib/os-release", []byte(s.String()), 0o644)
	b.link("etc/os-release", "usr/lib/os-release")
}

// osReleaseQuote quotes a value as os-release(5) asks: double quotes, with
// backslash, dollar, backtick and double quote escaped.
func osReleaseQuote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return `"` + r.Replace(v) + `"`
}

// Kernel writes proc/sys/kernel/osrelease and proc/version for the given
// kernel release ("6.8.0-45-generic"). The build details in proc/version are
// synthetic.
func (b *Builder) Kernel(release string) {
	b.write("proc/sys/kernel/osrelease", []byte(release+"\n"), 0o444)
	b.write("proc/version", []byte("Linux version "+release+
		" (hosttree@synthetic) (gcc (GCC) 13.2.0, GNU ld 2.42) #1 SMP PREEMPT_DYNAMIC\n"), 0o444)
}

// DMI writes the raw SMBIOS entry point and structure table the kernel
// exports at sys/firmware/dmi/tables/{smbios_entry_point,DMI}. A nil slice
// leaves that file out (e.g. to model a kernel without the table).
func (b *Builder) DMI(entryPoint, table []byte) {
	const dir = "sys/firmware/dmi/tables"
	if entryPoint != nil {
		b.write(dir+"/smbios_entry_point", entryPoint, 0o444)
	}
	if table != nil {
		b.write(dir+"/DMI", table, 0o444)
	}
}

var attrName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// DMIID writes sys/devices/virtual/dmi/id/<key> for each entry (keys as the
// kernel names them: sys_vendor, product_name, board_vendor, bios_version,
// product_serial, ...) and the sys/class/dmi/id symlink to that directory.
func (b *Builder) DMIID(fields map[string]string) {
	const dir = "sys/devices/virtual/dmi/id"
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !attrName.MatchString(k) {
			b.fail("DMIID: key %q is not a sysfs attribute name", k)
			return
		}
		b.attr(dir, k, fields[k])
	}
	b.mkdir(dir)
	b.link("sys/class/dmi/id", dir)
}

// UdevDMI writes run/udev/data/+dmi:id, the record systemd's dmi_memory_id
// builtin leaves, with the given lines verbatim ("E:MEMORY_DEVICE_0_...=...").
func (b *Builder) UdevDMI(lines []string) {
	var s strings.Builder
	for _, l := range lines {
		s.WriteString(l + "\n")
	}
	b.write("run/udev/data/+dmi:id", []byte(s.String()), 0o644)
}

// EEPROM drivers AddEEPROM knows, with the name their i2c client carries.
var eepromClientName = map[string]string{
	"ee1004":  "ee1004",  // DDR4 SPD (EE1004-v)
	"spd5118": "spd5118", // DDR5 SPD hub (JESD300)
	"at24":    "spd",     // DDR3 and older, instantiated as "spd"
}

// AddEEPROM adds an SPD EEPROM bound to driver ("ee1004", "spd5118" or
// "at24") at i2c bus and 7-bit address addr, with image as the content of its
// eeprom file. The device lives under the SMBus controller at PCI
// 0000:00:1f.4, as on Intel platforms:
//
//	sys/devices/pci0000:00/0000:00:1f.4/i2c-<bus>/<bus>-00<addr>/{name,eeprom,modalias}
//	sys/bus/i2c/drivers/<driver>/<bus>-00<addr> -> that directory
//	sys/bus/i2c/devices/<bus>-00<addr>          -> that directory
//
// The eeprom file is mode 0444, as the kernel makes it for these three
// drivers (ee1004's read-only attribute, at24's "spd" entry and spd5118's
// nvmem are world-readable), so tests can read it without root.
func (b *Builder) AddEEPROM(driver string, bus, addr int, image []byte) {
	client, known := eepromClientName[driver]
	switch {
	case !known:
		b.fail("AddEEPROM: unknown driver %q (want ee1004, spd5118 or at24)", driver)
		return
	case bus < 0:
		b.fail("AddEEPROM: negative i2c bus %d", bus)
		return
	case addr < 0x03 || addr > 0x77:
		b.fail("AddEEPROM: i2c address %#x outside 0x03..0x77", addr)
		return
	}
	const smbus = "0000:00:1f.4"
	adapter := fmt.Sprintf("i2c-%d", bus)
	pciDir := b.pciFunction(smbus, "", 0x8086, 0x51a3, 0x8086, 0x7270, "0x0c0500")
	adapterDir := pciDir + "/" + adapter
	if !b.i2cAdapter[bus] {
		b.i2cAdapter[bus] = true
		b.attr(adapterDir, "name", "SMBus I801 adapter at efa0")
		b.link(adapterDir+"/subsystem", "sys/bus/i2c")
		b.link("sys/bus/i2c/devices/"+adapter, adapterDir)
	}
	devName := fmt.Sprintf("%d-%04x", bus, addr)
	devDir := adapterDir + "/" + devName
	drvDir := "sys/bus/i2c/drivers/" + driver
	b.attrs(devDir,
		"name", client,
		"modalias", "i2c:"+client,
		"uevent", "DRIVER="+driver+"\nMODALIAS=i2c:"+client)
	b.write(devDir+"/eeprom", image, 0o444)
	b.link(devDir+"/driver", drvDir)
	b.link(devDir+"/subsystem", "sys/bus/i2c")
	b.link(drvDir+"/"+devName, devDir)
	b.link("sys/bus/i2c/devices/"+devName, devDir)
}

var pciAddrRE = regexp.MustCompile(`^([0-9a-f]{4}):([0-9a-f]{2}):([0-1][0-9a-f])\.([0-7])$`)

// pciFunction creates (once) the sysfs directory of a PCI function and
// returns it relative to root. bridge is the upstream port's address, or ""
// for a function on the root bus.
func (b *Builder) pciFunction(addr, bridge string, vendor, device, subVendor, subDevice uint16, class string) string {
	m := pciAddrRE.FindStringSubmatch(addr)
	if m == nil {
		b.fail("PCI address %q is not of the form 0000:01:00.0 (lowercase hex)", addr)
		return "sys/devices/invalid"
	}
	base := "sys/devices/pci" + m[1] + ":00"
	dir := base + "/" + addr
	if bridge != "" {
		if !pciAddrRE.MatchString(bridge) {
			b.fail("PCI bridge address %q is not of the form 0000:00:01.0", bridge)
			return dir
		}
		dir = base + "/" + bridge + "/" + addr
		if !b.pciDone[bridge] {
			b.pciDone[bridge] = true
			bdir := base + "/" + bridge
			b.attrs(bdir, "class", "0x060400")
			b.link(bdir+"/subsystem", "sys/bus/pci")
			b.link("sys/bus/pci/devices/"+bridge, bdir)
		}
	}
	if b.pciDone[addr] {
		return dir
	}
	b.pciDone[addr] = true
	b.attrs(dir,
		"vendor", fmt.Sprintf("0x%04x", vendor),
		"device", fmt.Sprintf("0x%04x", device),
		"subsystem_vendor", fmt.Sprintf("0x%04x", subVendor),
		"subsystem_device", fmt.Sprintf("0x%04x", subDevice),
		"class", class,
		"numa_node", "-1")
	b.link(dir+"/subsystem", "sys/bus/pci")
	b.link("sys/bus/pci/devices/"+addr, dir)
	return dir
}

// defaultBridge picks the root port a function on bus BB sits behind:
// 00:01.0 for bus 01, 00:01.1 for bus 02, ... 00:02.0 for bus 09, so that
// each endpoint bus gets its own port. Functions on bus 00 have none.
func defaultBridge(addr string) string {
	m := pciAddrRE.FindStringSubmatch(addr)
	if m == nil {
		return ""
	}
	bus, _ := strconv.ParseUint(m[2], 16, 8)
	if bus == 0 {
		return ""
	}
	n := int(bus) - 1
	return fmt.Sprintf("%s:00:%02x.%d", m[1], 1+n/8, n%8)
}

// claimDev reserves major:minor for name.
func (b *Builder) claimDev(major, minor int, name string) bool {
	key := fmt.Sprintf("%d:%d", major, minor)
	if other, used := b.devs[key]; used {
		b.fail("device number %s of %s is already used by %s", key, name, other)
		return false
	}
	b.devs[key] = name
	return true
}

func (b *Builder) claimName(name string) bool {
	if _, dup := b.disks[name]; dup {
		b.fail("block device %s added twice", name)
		return false
	}
	return true
}

func sectors(name string, sizeBytes uint64, b *Builder) (uint64, bool) {
	if sizeBytes%512 != 0 {
		b.fail("%s: size %d is not a multiple of 512 bytes (sysfs counts 512-byte sectors)", name, sizeBytes)
		return 0, false
	}
	return sizeBytes / 512, true
}

// blockSpec describes a whole-disk block device to register.
type blockSpec struct {
	name       string
	dir        string // sysfs dir of the disk, relative to root
	major      int
	minor      int
	partMax    int // partitions that fit in the disk's own minor range
	sizeBytes  uint64
	rotational bool
	removable  bool
	physBlock  int
	udev       *udevRecord // nil: no udev database entry
}

// addBlock writes a whole-disk block device: its attributes, queue/, the
// /sys/block, /sys/class/block and /sys/dev/block links, and its udev record.
func (b *Builder) addBlock(s blockSpec) *blockDisk {
	if !b.ok() || !b.claimName(s.name) || !b.claimDev(s.major, s.minor, s.name) {
		return nil
	}
	n, ok := sectors(s.name, s.sizeBytes, b)
	if !ok {
		return nil
	}
	dev := fmt.Sprintf("%d:%d", s.major, s.minor)
	rot, rem := "0", "0"
	if s.rotational {
		rot = "1"
	}
	if s.removable {
		rem = "1"
	}
	phys := s.physBlock
	if phys == 0 {
		phys = 512
	}
	rng := s.partMax + 1
	if rng < 1 {
		rng = 1
	}
	b.attrs(s.dir,
		"dev", dev,
		"size", strconv.FormatUint(n, 10),
		"removable", rem,
		"ro", "0",
		"range", strconv.Itoa(rng),
		"ext_range", "256",
		"uevent", fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=disk", s.major, s.minor, s.name))
	b.attrs(s.dir+"/queue",
		"rotational", rot,
		"logical_block_size", "512",
		"physical_block_size", strconv.Itoa(phys),
		"hw_sector_size", "512")
	b.mkdir(s.dir + "/holders")
	b.mkdir(s.dir + "/slaves")
	b.link(s.dir+"/subsystem", "sys/class/block")
	b.link("sys/block/"+s.name, s.dir)
	b.link("sys/class/block/"+s.name, s.dir)
	b.link("sys/dev/block/"+dev, s.dir)
	d := &blockDisk{
		name: s.name, dir: s.dir, major: s.major, minor: s.minor,
		partMinor: s.minor, partMax: s.partMax, nextStart: 2048,
	}
	if s.udev != nil {
		d.udev = *s.udev
		b.write("run/udev/data/b"+dev, []byte(d.udev.render()), 0o644)
	}
	b.disks[s.name] = d
	b.blockDirs[s.name] = s.dir
	return d
}

// AddPartitions adds partitions of the given sizes to a disk added earlier,
// named as the kernel names them (sda1, nvme0n1p1, mmcblk0p1), numbered after
// any existing ones and laid out one after the other from sector 2048.
func (b *Builder) AddPartitions(disk string, sizes ...uint64) {
	if !b.ok() {
		return
	}
	d, found := b.disks[disk]
	if !found {
		b.fail("AddPartitions: no disk %s (add the disk first)", disk)
		return
	}
	sep := ""
	if last := disk[len(disk)-1]; last >= '0' && last <= '9' {
		sep = "p"
	}
	for _, size := range sizes {
		n, ok := sectors(disk+" partition", size, b)
		if !ok {
			return
		}
		d.parts++
		name := fmt.Sprintf("%s%s%d", disk, sep, d.parts)
		major, minor := d.major, d.partMinor+d.parts
		if d.parts > d.partMax {
			// Past the disk's own minors the kernel allocates from the
			// extended range (major 259, "blkext").
			major, minor = 259, b.nextBlkext
			b.nextBlkext++
		}
		if !b.claimDev(major, minor, name) {
			return
		}
		dev := fmt.Sprintf("%d:%d", major, minor)
		dir := d.dir + "/" + name
		b.attrs(dir,
			"dev", dev,
			"size", strconv.FormatUint(n, 10),
			"start", strconv.FormatUint(d.nextStart, 10),
			"partition", strconv.Itoa(d.parts),
			"ro", "0",
			"uevent", fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=partition\nPARTN=%d", major, minor, name, d.parts))
		b.link(dir+"/subsystem", "sys/class/block")
		b.link("sys/class/block/"+name, dir)
		b.link("sys/dev/block/"+dev, dir)
		b.blockDirs[name] = dir
		if len(d.udev.props) > 0 {
			// Partitions import the parent's ID_* properties (60-persistent-storage.rules).
			var u udevRecord
			for _, p := range d.udev.props {
				if strings.HasPrefix(p[0], "ID_") && !strings.HasPrefix(p[0], "ID_PART_TABLE_") {
					u.set(p[0], p[1])
				}
			}
			u.set("ID_PART_ENTRY_SCHEME", "gpt")
			u.set("ID_PART_ENTRY_NUMBER", strconv.Itoa(d.parts))
			u.set("ID_PART_ENTRY_OFFSET", strconv.FormatUint(d.nextStart, 10))
			u.set("ID_PART_ENTRY_SIZE", strconv.FormatUint(n, 10))
			u.set("ID_PART_ENTRY_DISK", fmt.Sprintf("%d:%d", d.major, d.minor))
			b.write("run/udev/data/b"+dev, []byte(u.render()), 0o644)
			if d.udev.get("ID_PART_TABLE_TYPE") == "" {
				d.udev.set("ID_PART_TABLE_TYPE", "gpt")
				b.write(fmt.Sprintf("run/udev/data/b%d:%d", d.major, d.minor), []byte(d.udev.render()), 0o644)
			}
		}
		d.nextStart += n
	}
}

// pad right-pads s with spaces to n bytes, as fixed-width ATA, SCSI and
// NVMe identify strings are.
func pad(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func checkLen(b *Builder, what, field, v string, max int) bool {
	if len(v) > max {
		b.fail("%s: %s %q is longer than the %d bytes the device reports", what, field, v, max)
		return false
	}
	if strings.ContainsAny(v, "\n\x00") {
		b.fail("%s: %s %q contains a newline or NUL", what, field, v)
		return false
	}
	return true
}

var sdNameRE = regexp.MustCompile(`^sd([a-z]{1,3})$`)

// sdIndex turns sda..sdz, sdaa.. into the sd driver's disk index.
func sdIndex(name string) (int, bool) {
	m := sdNameRE.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	idx := 0
	for _, c := range m[1] {
		idx = idx*26 + int(c-'a') + 1
	}
	return idx - 1, true
}

// sdDevNum returns the sd driver's major:minor for disk index idx: 16 disks
// per major, majors 8, 65-71, 128-135.
func sdDevNum(idx int) (major, minor int, ok bool) {
	group := idx / 16
	switch {
	case group == 0:
		major = 8
	case group < 8:
		major = 64 + group
	case group < 16:
		major = 128 + group - 8
	default:
		return 0, 0, false
	}
	return major, (idx % 16) * 16, true
}

// LinkOut replaces the file rel with a symbolic link that, followed from
// this machine's root, leads out of the tree to a file under outside (a
// directory beside the tree, mirroring its layout) holding outsideData,
// and, followed as a process chrooted to the tree follows it, to a file
// inside the tree holding treeData. absolute picks the link's form: the
// outside file's absolute path (inside the tree: that path under the
// root), or enough "../" to climb out of the tree (inside: ".." stops at
// the root). Links on the way to rel are followed first, so rel may name a
// file through sys/block/<disk> or sys/class/dmi/id. Tests use it to check
// that a scan of the tree reads the tree's file, never the one outside.
func (b *Builder) LinkOut(rel string, absolute bool, outside string, treeData, outsideData []byte) {
	rel = filepath.FromSlash(rel)
	if !b.ok() || !b.checkRel(rel) {
		return
	}
	rootReal, err := filepath.EvalSymlinks(b.root)
	if err != nil {
		b.fail("LinkOut %s: %w", rel, err)
		return
	}
	outsideAbs, err := filepath.Abs(outside)
	if err != nil {
		b.fail("LinkOut %s: %w", rel, err)
		return
	}
	parent, err := filepath.EvalSymlinks(filepath.Join(b.root, filepath.Dir(rel)))
	if err != nil {
		b.fail("LinkOut %s: %w", rel, err)
		return
	}
	dir, err := filepath.Rel(rootReal, parent)
	if err != nil || !filepath.IsLocal(dir) {
		b.fail("LinkOut %s: its directory %s is not inside the tree", rel, parent)
		return
	}
	// The file's own path in the tree, links resolved: where the outside
	// copy and the link's target lie below their directories.
	real := filepath.Join(dir, filepath.Base(rel))
	up, err := filepath.Rel(rootReal, outsideAbs)
	if err != nil || filepath.IsLocal(up) {
		b.fail("LinkOut %s: %s is not outside the tree", rel, outside)
		return
	}
	var text, inTree string
	if absolute {
		text = filepath.Join(outsideAbs, real)
		inTree = filepath.Join(strings.TrimPrefix(outsideAbs, string(filepath.Separator)), real)
	} else {
		depth := 0
		if dir != "." {
			depth = len(strings.Split(dir, string(filepath.Separator)))
		}
		text = strings.Repeat("../", depth) + filepath.ToSlash(filepath.Join(up, real))
		// Chrooted, every ".." past the root stays at the root.
		below := filepath.ToSlash(up)
		for strings.HasPrefix(below, "../") {
			below = strings.TrimPrefix(below, "../")
		}
		inTree = filepath.Join(filepath.FromSlash(below), real)
	}
	outFile := filepath.Join(outsideAbs, real)
	if err := os.MkdirAll(filepath.Dir(outFile), 0o755); err != nil {
		b.fail("LinkOut %s: %w", rel, err)
		return
	}
	if err := os.WriteFile(outFile, outsideData, 0o644); err != nil {
		b.fail("LinkOut %s: %w", rel, err)
		return
	}
	b.write(inTree, treeData, 0o444)
	if !b.ok() {
		return
	}
	p := filepath.Join(rootReal, real)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.fail("replace %s: %w", rel, err)
		return
	}
	if err := os.Symlink(text, p); err != nil {
		b.fail("link %s -> %s: %w", rel, text, err)
	}
}
