package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/lazyregexp"
)

// role says what a captured file holds, for the scrubber.
type role uint8

const (
	roleNone        role = iota
	roleDMIEntry         // sys/firmware/dmi/tables/smbios_entry_point
	roleDMITable         // sys/firmware/dmi/tables/DMI
	roleUdevDMI          // run/udev/data/+dmi:id
	roleUdevDevice       // run/udev/data/b<major>:<minor>
	roleSerialValue      // a file whose whole content is a serial number
	roleUUIDText         // sys/class/dmi/id/product_uuid
	roleEEPROM           // an SPD EEPROM image
	roleATAIdentify      // libata's ata_device/dev*/id
	roleWWID             // a sysfs wwid attribute (may embed the serial)
)

// Files read for the host identity (agent/internal/scan/host.go) and by
// gopsutil's PlatformInformation and Virtualization with every HOST_* path
// rooted, in the order they look for them.
var hostFiles = []string{
	"etc/machine-id", "var/lib/dbus/machine-id",
	"etc/hostname", "proc/sys/kernel/hostname", "proc/sys/kernel/osrelease", "proc/sys/kernel/arch",
	"etc/lsb-release", "etc/oracle-release", "etc/enterprise-release", "etc/slackware-version",
	"etc/debian_version", "etc/neokylin-release", "etc/redhat-release", "etc/system-release",
	"etc/gentoo-release", "etc/SuSE-release", "etc/arch-release", "etc/alpine-release", "etc/os-release",
	"proc/xen", "proc/xen/capabilities", "proc/modules", "proc/cpuinfo", "proc/bus/pci/devices",
	"proc/bc/0", "proc/vz", "proc/self/status", "proc/self/cgroup", ".dockerenv",
}

// initEnviron is reduced to the one variable gopsutil's virtualization probe
// looks for: the rest of init's environment is none of a bug report's
// business.
const initEnviron = "proc/1/environ"

// DMI sources (agent/internal/scan/dmi.go, udev.go).
const (
	dmiEntryPoint = "sys/firmware/dmi/tables/smbios_entry_point"
	dmiTable      = "sys/firmware/dmi/tables/DMI"
	udevDMI       = "run/udev/data/+dmi:id"
	udevDataDir   = "run/udev/data"
	dmiIDDir      = "sys/class/dmi/id"
	deviceTreeDir = "sys/firmware/devicetree/base"
)

// dmiIDFields are the sys/class/dmi/id attributes the scan reads for the
// product and baseboard (agent/internal/scan's readDMIID), with the role of
// the serial-bearing ones.
var dmiIDFields = []struct {
	name string
	role role
}{
	{"product_family", roleNone}, {"product_name", roleNone}, {"sys_vendor", roleNone},
	{"product_serial", roleSerialValue}, {"product_uuid", roleUUIDText}, {"product_sku", roleNone},
	{"product_version", roleNone}, {"board_asset_tag", roleNone}, {"board_serial", roleSerialValue},
	{"board_vendor", roleNone}, {"board_version", roleNone}, {"board_name", roleNone},
}

// deviceTreeFields are what the scan reads on device-tree machines.
var deviceTreeFields = []struct {
	name string
	role role
}{{"model", roleNone}, {"serial-number", roleSerialValue}, {"compatible", roleNone}}

// spdDrivers mirror internal/spd.Find: at24 serves many EEPROM kinds and
// only its devices named "spd" are SPDs (the eeprom of any other at24
// device is not read).
var spdDrivers = []struct{ name, wantName string }{
	{"at24", "spd"}, {"ee1004", ""}, {"spd5118", ""},
}

// blockAttrs are read from every sys/block/<name> directory: those
// agent/internal/storage reads (dev, size, queue/rotational, partition,
// wwid, serial, and an NVMe namespace's eui and nguid); removable, ro, nsid
// and the block sizes come along for bug reports.
var blockAttrs = []string{
	"dev", "size", "removable", "ro", "wwid", "eui", "nguid", "serial", "partition", "nsid",
	"queue/rotational", "queue/logical_block_size", "queue/physical_block_size",
}

// partitionAttrs are read for each partition under its disk, for bug
// reports (the scan leaves partitions out).
var partitionAttrs = []string{"dev", "size", "partition", "start"}

// identityAttrs are the small text attributes that say what a device is,
// captured for every device directory reached and its ancestors up to
// sys/devices: PCI ids, NVMe and SCSI identity, MMC CID fields, USB
// descriptors. Everything else in those directories (config, resource*,
// rom, power/, trace, statistics) is never opened.
var identityAttrs = []string{
	"vendor", "device", "subsystem_vendor", "subsystem_device", "class", "revision",
	"model", "serial", "firmware_rev", "transport", "address", "rev", "type", "wwid",
	"name", "fwrev", "manfid", "oemid",
	"idVendor", "idProduct", "manufacturer", "product",
}

var (
	i2cDevName   = lazyregexp.New(`^[0-9]+-[0-9a-fA-F]{4}$`)
	devNumRE     = lazyregexp.New(`^[0-9]+:[0-9]+$`)
	nvmeCtrlRE   = lazyregexp.New(`^nvme[0-9]+$`)
	nvmeSubsysRE = lazyregexp.New(`^nvme-subsys[0-9]+$`)
	ataPortRE    = lazyregexp.New(`^ata[0-9]+$`)
)

// maxDirEntries bounds one directory listing.
const maxDirEntries = 1 << 16

// capturer reads the capture set under one root.
type capturer struct {
	ctx      context.Context
	root     *os.Root
	tree     tree
	roles    map[string]role
	skipped  []Skip
	attrDone map[string]bool // device directories whose identity attributes are captured
	ataDone  map[string]bool
	err      error // ctx's error once it is done
}

func newCapturer(ctx context.Context, dir string) (*capturer, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot: open root: %w", err)
	}
	return &capturer{
		ctx: ctx, root: r, tree: tree{}, roles: map[string]role{},
		attrDone: map[string]bool{}, ataDone: map[string]bool{},
	}, nil
}

func (c *capturer) close() { c.root.Close() }

// stopped reports (and remembers) a done context.
func (c *capturer) stopped() bool {
	if c.err == nil {
		if err := c.ctx.Err(); err != nil {
			c.err = fmt.Errorf("snapshot: capture interrupted: %w", err)
		}
	}
	return c.err != nil
}

func (c *capturer) skip(p, reason string) {
	c.skipped = append(c.skipped, Skip{Path: p, Reason: reason})
}

// captureAll captures everything a scan reads.
func (c *capturer) captureAll() error {
	c.host()
	c.dmi()
	c.spd()
	c.storage()
	return c.err
}

func (c *capturer) host() {
	for _, p := range hostFiles {
		c.file(p)
	}
	c.fileFiltered(initEnviron, containerOnly)
}

// containerOnly keeps the container= variable of a NUL-separated
// environment block.
func containerOnly(env []byte) []byte {
	var out []byte
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.HasPrefix(kv, []byte("container=")) {
			out = append(append(out, kv...), 0)
		}
	}
	return out
}

func (c *capturer) dmi() {
	c.fileRole(dmiEntryPoint, roleDMIEntry)
	c.fileRole(dmiTable, roleDMITable)
	c.fileRole(udevDMI, roleUdevDMI)
	c.dir(udevDataDir) // storage tells "no udev database" from its absence
	if dir, ok := c.dir(dmiIDDir); ok {
		for _, f := range dmiIDFields {
			c.fileRole(dir+"/"+f.name, f.role)
		}
	}
	if dir, ok := c.dir(deviceTreeDir); ok {
		for _, f := range deviceTreeFields {
			c.fileRole(dir+"/"+f.name, f.role)
		}
	}
}

func (c *capturer) spd() {
	for _, drv := range spdDrivers {
		rel := "sys/bus/i2c/drivers/" + drv.name
		_, ents := c.list(rel)
		for _, e := range ents {
			if c.stopped() {
				return
			}
			name := e.Name()
			if !i2cDevName.MatchString(name) {
				continue // bind, unbind, uevent, module, ...
			}
			devRel := rel + "/" + name
			devDir, ok := c.dir(devRel)
			if !ok {
				continue
			}
			if drv.wantName != "" {
				data, _, ok := c.file(devRel + "/name")
				if !ok || strings.TrimSpace(string(data)) != drv.wantName {
					continue // an at24 EEPROM that is not an SPD: its eeprom is not read
				}
			}
			// spd.Find prefers the sys/bus/i2c/devices name when it exists.
			canonical := "sys/bus/i2c/devices/" + name + "/eeprom"
			if _, _, err := c.resolve(canonical, false); err == nil {
				c.fileRole(canonical, roleEEPROM)
			} else {
				c.fileRole(devRel+"/eeprom", roleEEPROM)
			}
			c.deviceAndAncestors(devDir)
		}
	}
}

func (c *capturer) storage() {
	_, ents := c.list("sys/block")
	for _, e := range ents {
		if c.stopped() {
			return
		}
		c.blockDevice(e.Name())
	}
}

// blockDevice captures one sys/block entry.
func (c *capturer) blockDevice(name string) {
	base := "sys/block/" + name
	devDir, ok := c.dir(base)
	if !ok {
		return
	}
	for _, a := range blockAttrs {
		r := roleNone
		switch a {
		case "serial":
			r = roleSerialValue
		case "wwid", "eui", "nguid":
			r = roleWWID // world wide identifiers, scrubbed alike
		}
		c.fileRole(devDir+"/"+a, r)
	}
	c.deviceAndAncestors(devDir)
	// storage reads device/vendor through this link and resolves it to
	// find the SCSI device or MMC card.
	if dev, ok := c.dir(base + "/device"); ok {
		c.deviceAndAncestors(dev)
	}
	_, ents := c.list(devDir)
	for _, e := range ents {
		if p := e.Name(); p != name && strings.HasPrefix(p, name) && e.IsDir() {
			for _, a := range partitionAttrs {
				c.file(devDir + "/" + p + "/" + a)
			}
		}
	}
	if e := c.tree[devDir+"/dev"]; e != nil && e.kind == kindFile {
		if dev := strings.TrimSpace(string(e.data)); devNumRE.MatchString(dev) {
			c.fileRole(udevDataDir+"/b"+dev, roleUdevDevice)
		}
	}
	parent := path.Dir(devDir)
	switch base := path.Base(parent); {
	case nvmeCtrlRE.MatchString(base):
		c.nvmeController(parent)
	case nvmeSubsysRE.MatchString(base):
		// Native multipath: the namespace hangs off the subsystem, whose
		// controllers are links to their directories under the PCI function.
		_, ents := c.list(parent)
		for _, e := range ents {
			if nvmeCtrlRE.MatchString(e.Name()) {
				if ctrl, ok := c.dir(parent + "/" + e.Name()); ok {
					c.nvmeController(ctrl)
				}
			}
		}
	}
	comps := fileutil.SplitPath(devDir)
	for i, comp := range comps {
		if ataPortRE.MatchString(comp) {
			c.ataIdentify(strings.Join(comps[:i+1], "/"))
		}
	}
}

func (c *capturer) nvmeController(ctrl string) {
	c.deviceAndAncestors(ctrl)
	if pci, ok := c.dir(ctrl + "/device"); ok {
		c.deviceAndAncestors(pci)
	}
}

// ataIdentify captures the IDENTIFY data of every device on an ATA port:
// ata<N>/link<N>[.<C>]/dev<N>.<I>[.0]/ata_device/dev.../id.
func (c *capturer) ataIdentify(ataDir string) {
	if c.ataDone[ataDir] {
		return
	}
	c.ataDone[ataDir] = true
	for _, link := range c.subdirs(ataDir, "link") {
		for _, dev := range c.subdirs(link, "dev") {
			for _, adev := range c.subdirs(dev+"/ata_device", "dev") {
				c.fileRole(adev+"/id", roleATAIdentify)
			}
		}
	}
}

// subdirs lists the real subdirectories of dir whose names start with
// prefix (links are not followed).
func (c *capturer) subdirs(dir, prefix string) []string {
	resolved, ents := c.list(dir)
	var out []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			out = append(out, resolved+"/"+e.Name())
		}
	}
	return out
}

// deviceAndAncestors captures the identity attributes of dir and of each
// ancestor up to sys/devices.
func (c *capturer) deviceAndAncestors(dir string) {
	for d := dir; strings.HasPrefix(d, "sys/devices/"); d = path.Dir(d) {
		if c.attrDone[d] {
			return // and its ancestors too
		}
		c.attrDone[d] = true
		for _, a := range identityAttrs {
			p := d + "/" + a
			// Only regular files: in a block or NVMe directory "device" is
			// a link, followed deliberately elsewhere, not here.
			if fi, err := c.root.Lstat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			r := roleNone
			switch a {
			case "serial":
				r = roleSerialValue
			case "wwid":
				r = roleWWID
			}
			c.fileRole(p, r)
		}
	}
}

// dir resolves rel and reports whether it is a directory.
func (c *capturer) dir(rel string) (string, bool) {
	if c.stopped() {
		return "", false
	}
	resolved, fi, err := c.resolve(rel, true)
	if err != nil {
		c.skipErr(rel, err)
		return "", false
	}
	return resolved, fi.IsDir()
}

// list resolves the directory rel and returns its entries, sorted.
func (c *capturer) list(rel string) (string, []fs.DirEntry) {
	resolved, ok := c.dir(rel)
	if !ok {
		return "", nil
	}
	f, err := c.root.Open(orDot(resolved))
	if err != nil {
		c.skipErr(rel, err)
		return resolved, nil
	}
	defer f.Close()
	ents, err := f.ReadDir(maxDirEntries)
	if err != nil && !errors.Is(err, io.EOF) {
		c.skipErr(rel, err)
	}
	if len(ents) == maxDirEntries {
		c.skip(rel, fmt.Sprintf("directory has more than %d entries; only the first were looked at", maxDirEntries))
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	return resolved, ents
}

func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func (c *capturer) file(rel string) ([]byte, string, bool) {
	return c.fileRole(rel, roleNone)
}

// fileRole captures the file at rel (following links) and records its role.
// It returns the content and the resolved path; ok is false when rel is
// missing, a directory, or unreadable (then with a note).
func (c *capturer) fileRole(rel string, r role) ([]byte, string, bool) {
	return c.capture(rel, r, nil)
}

func (c *capturer) fileFiltered(rel string, filter func([]byte) []byte) {
	c.capture(rel, roleNone, filter)
}

func (c *capturer) capture(rel string, r role, filter func([]byte) []byte) ([]byte, string, bool) {
	if c.stopped() {
		return nil, "", false
	}
	resolved, fi, err := c.resolve(rel, true)
	if err != nil {
		c.skipErr(rel, err)
		return nil, "", false
	}
	if fi.IsDir() {
		return nil, resolved, false
	}
	if e := c.tree[resolved]; e != nil && e.kind == kindFile {
		if r != roleNone {
			c.roles[resolved] = r
		}
		return e.data, resolved, true // captured before, maybe through another link
	}
	if !fi.Mode().IsRegular() {
		c.skip(resolved, fmt.Sprintf("not a regular file (%s): not read", fi.Mode().Type()))
		return nil, "", false
	}
	data, err := c.read(resolved)
	if err != nil {
		c.skipErr(resolved, err)
		return nil, "", false
	}
	if filter != nil {
		data = filter(data)
		c.skip(resolved, "reduced to what the scan looks for")
	}
	c.tree[resolved] = &entry{kind: kindFile, data: data}
	if r != roleNone {
		c.roles[resolved] = r
	}
	return data, resolved, true
}

// errTooLarge marks a file over MaxFileBytes.
var errTooLarge = fmt.Errorf("larger than %d bytes: left out rather than cut", MaxFileBytes)

// read reads a regular file (by its resolved path) without blocking: a file
// swapped for a FIFO after the Lstat is opened non-blocking and refused.
func (c *capturer) read(resolved string) ([]byte, error) {
	f, err := c.root.OpenFile(resolved, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, errTooLarge
	}
	return data, nil
}

// skipErr records why rel was not captured; a path that does not exist is
// not worth a note (most of the files looked for exist on no one host).
func (c *capturer) skipErr(rel string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
	case errors.Is(err, fs.ErrPermission):
		c.skip(rel, "permission denied (capture as root to include it)")
	default:
		c.skip(rel, err.Error())
	}
}

// resolve resolves rel under the root as the kernel would for a process
// chrooted there (fileutil.ResolveInRoot), recording every symbolic link met
// (with its text) and every directory passed through. Absolute link targets
// and ".." at the root stay inside the root. It returns the resolved path
// ("" for the root itself) and the Lstat of its last component. With record
// false nothing is recorded. Nothing is recorded either when resolution
// fails.
func (c *capturer) resolve(rel string, record bool) (string, fs.FileInfo, error) {
	type rec struct {
		path string
		e    *entry
		note string // why a link's text was rewritten
	}
	var recs []rec
	resolved, last, err := fileutil.ResolveInRoot(c.root, rel, func(p string, _ fs.FileInfo, target string) {
		if target == "" {
			recs = append(recs, rec{p, &entry{kind: kindDir}, ""})
			return
		}
		text, note := linkText(p, target)
		recs = append(recs, rec{p, &entry{kind: kindLink, target: text}, note})
	})
	if err != nil {
		return "", nil, err
	}
	if record {
		for _, r := range recs {
			if _, seen := c.tree[r.path]; !seen {
				c.tree[r.path] = r.e
				if r.note != "" {
					c.skip(r.path, r.note)
				}
			}
		}
	}
	return resolved, last, nil
}

// linkText returns the text to store for the link at linkPath whose text
// on the host is target: target itself, unless it is absolute or climbs
// above the root, in which case it is rewritten as the relative path to
// where a chrooted process would land, and note says so.
func linkText(linkPath, target string) (text, note string) {
	dir := path.Dir(linkPath)
	if dir == "." {
		dir = ""
	}
	stack := fileutil.SplitPath(dir)
	climbs := false
	if path.IsAbs(target) {
		stack, climbs = nil, true
	}
	for _, comp := range fileutil.SplitPath(target) {
		switch comp {
		case ".":
		case "..":
			if len(stack) == 0 {
				climbs = true
				continue
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, comp)
		}
	}
	if !climbs {
		return target, ""
	}
	text = relPath(dir, strings.Join(stack, "/"))
	return text, fmt.Sprintf("symbolic link to %q leads out of the root; stored as %q, where it leads under the root", target, text)
}

// dropEscapingLinks removes any link whose stored text, resolved in the
// captured tree, would still lead out of it (possible only with links
// that climb through other links): Extract refuses such archives.
func (c *capturer) dropEscapingLinks() {
	for _, p := range c.tree.sortedPaths() {
		e := c.tree[p]
		if e.kind != kindLink {
			continue
		}
		if err := checkLink(c.tree, p, e.target); err != nil {
			delete(c.tree, p)
			c.skip(p, "symbolic link left out: "+err.Error())
		}
	}
}
