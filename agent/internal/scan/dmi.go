package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/memledger/memledger/internal/dmidecode"
	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/smbios"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Paths of the SMBIOS tables as the Linux kernel exports them (root-only:
// mode 0400, or CAP_DAC_READ_SEARCH).
const (
	sysEntryPointPath = "sys/firmware/dmi/tables/smbios_entry_point"
	sysDMITablePath   = "sys/firmware/dmi/tables/DMI"
	sysDMIIDDir       = "sys/class/dmi/id"
	deviceTreeDir     = "sys/firmware/devicetree/base"
)

// maxInputBytes bounds what we read from a single table, dump or text file.
// Real SMBIOS tables are a few KiB to a few hundred KiB; dmidecode texts of
// big servers a few MiB.
const maxInputBytes = 64 << 20

// dmiFacts is what one DMI source (kernel tables, a dump file, dmidecode
// text or the udev database) says about the platform and its memory.
type dmiFacts struct {
	source        string // "smbios", "dmidecode" or "udev"
	smbiosVersion string
	system        *smbios.SystemInfo
	baseboard     *smbios.BaseboardInfo
	devices       []smbios.MemoryDevice
	warnings      []*memledgerv1.Warning
	// incomplete says the devices may not be all the host's: no source
	// could be read, or the table is damaged (its decoding stopped early,
	// or a memory device record was left out).
	incomplete bool
}

// readLimited reads a whole file, refusing files larger than maxInputBytes
// rather than exhausting memory. name "-" reads stdin.
func readLimited(name string, stdin io.Reader) ([]byte, error) {
	if name != "-" {
		return fileutil.ReadFileLimit(name, maxInputBytes)
	}
	return fileutil.ReadAllLimit(stdin, "stdin", maxInputBytes)
}

// fromSMBIOSFile decodes a `dmidecode --dump-bin` file or a raw table. An
// explicitly named file must decode completely: a truncated table is an
// error, because the user asked about that file and would otherwise get a
// silently short answer.
func fromSMBIOSFile(name string, stdin io.Reader) (*dmiFacts, error) {
	data, err := readLimited(name, stdin)
	if err != nil {
		return nil, fmt.Errorf("reading SMBIOS file %s: %w", name, err)
	}
	table, err := smbios.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("SMBIOS file %s: %w", name, err)
	}
	if ep := table.EntryPoint; len(table.Structures) == 0 && ep != nil && ep.TableLength > 0 {
		return nil, fmt.Errorf("SMBIOS file %s: %w: the entry point announces a %d-byte table at offset %d, the %d-byte file holds no structure of it", name, smbios.ErrTruncated, ep.TableLength, ep.TableAddress, len(data))
	}
	if len(table.Structures) == 0 {
		return nil, fmt.Errorf("SMBIOS file %s: no SMBIOS structures found (%d bytes): not a dmidecode --dump-bin file or SMBIOS table", name, len(data))
	}
	return factsFromTable(table, "smbios", name), nil
}

// fromDmidecodeFile parses dmidecode text ("-" for stdin).
func fromDmidecodeFile(name string, stdin io.Reader) (*dmiFacts, error) {
	data, err := readLimited(name, stdin)
	if err != nil {
		return nil, fmt.Errorf("reading dmidecode text %s: %w", displayName(name), err)
	}
	dump, err := dmidecode.Parse(strings.NewReader(string(data)))
	if err != nil {
		return nil, fmt.Errorf("dmidecode text %s: %w", displayName(name), err)
	}
	facts := &dmiFacts{
		source:        "dmidecode",
		smbiosVersion: dump.SMBIOSVersion,
		system:        dump.System,
		baseboard:     dump.Baseboard,
		devices:       dump.MemoryDevices,
	}
	for _, w := range dump.Warnings {
		facts.warnings = append(facts.warnings, warning("dmidecode", w, displayName(name)))
	}
	return facts, nil
}

func displayName(name string) string {
	if name == "-" {
		return "(stdin)"
	}
	return name
}

func factsFromTable(table *smbios.Table, source, subject string) *dmiFacts {
	facts := &dmiFacts{source: source, smbiosVersion: table.Version.String()}
	if sys, ok := table.System(); ok {
		facts.system = &sys
	}
	if bb, ok := table.Baseboard(); ok {
		facts.baseboard = &bb
	}
	devices, errs := table.MemoryDevices()
	facts.devices = devices
	for _, err := range errs {
		facts.warnings = append(facts.warnings, warning(source, err.Error(), subject))
		if errors.Is(err, smbios.ErrMalformed) {
			facts.incomplete = true // the record is left out
		}
	}
	return facts
}

// fromLiveHost reads the kernel's SMBIOS tables under root, and falls back to
// the udev database when they are unreadable (not root) or absent. It never
// fails: a host without SMBIOS (many virtual machines, some ARM boards) is
// still a host, and the warnings say what could not be read and why.
func fromLiveHost(tree *os.Root) *dmiFacts {
	var warnings []*memledgerv1.Warning
	entry, errEntry := fileutil.ReadFileInRoot(tree, sysEntryPointPath, maxInputBytes)
	table, errTable := fileutil.ReadFileInRoot(tree, sysDMITablePath, maxInputBytes)
	switch {
	case errEntry == nil && errTable == nil:
		t, err := smbios.ParseSysfs(entry, table)
		if t != nil {
			facts := factsFromTable(t, "smbios", "/"+sysDMITablePath)
			if err != nil {
				// The kernel hands us what the firmware wrote; a damaged
				// table still carries the structures before the damage.
				facts.warnings = append(facts.warnings, warning("smbios", "SMBIOS table is damaged, using the structures before the damage: "+err.Error(), "/"+sysDMITablePath))
				facts.incomplete = true
			}
			return facts
		}
		warnings = append(warnings, warning("smbios", "cannot decode the kernel's SMBIOS tables: "+err.Error(), "/"+sysDMITablePath))
	default:
		err := errEntry
		if err == nil {
			err = errTable
		}
		warnings = append(warnings, warning("smbios", explainReadError("cannot read the SMBIOS tables", err), "/sys/firmware/dmi/tables"))
	}

	udev, err := fileutil.ReadFileInRoot(tree, udevDMIPath, maxInputBytes)
	if err == nil {
		devices, perr := parseUdevDMI(udev)
		if perr == nil {
			facts := &dmiFacts{source: "udev", devices: devices, warnings: warnings}
			facts.warnings = append(facts.warnings, warning("udev", "using the udev database (systemd's dmi_memory_id) instead of the SMBIOS tables: module manufacturer ids are kept, but some fields may be missing", "/"+udevDMIPath))
			facts.system, facts.baseboard = readDMIID(tree)
			return facts
		}
		warnings = append(warnings, warning("udev", "cannot parse the udev DMI database: "+perr.Error(), "/"+udevDMIPath))
	} else {
		warnings = append(warnings, warning("udev", explainReadError("cannot read the udev DMI database", err), "/"+udevDMIPath))
	}
	facts := &dmiFacts{source: "", warnings: warnings, incomplete: true}
	facts.system, facts.baseboard = readDMIID(tree)
	facts.warnings = append(facts.warnings, warning("smbios", "no memory module information available on this host: no readable SMBIOS tables and no udev DMI data (typical of virtual machines and containers)", ""))
	return facts
}

// explainReadError turns a file error into advice an operator can act on.
func explainReadError(what string, err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return what + ": permission denied (run as root, or grant CAP_DAC_READ_SEARCH as the packaged systemd unit does)"
	case errors.Is(err, fs.ErrNotExist):
		return what + ": not present on this host (virtual machine, container, or a kernel without DMI support)"
	default:
		// The path, when there is one, is the warning's subject: left out
		// here, the same failure on several files reads the same and is
		// merged into one warning (mergeWarnings).
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return what + ": " + pe.Err.Error()
		}
		return what + ": " + err.Error()
	}
}

// readDMIID reads the platform identity the kernel exports under
// /sys/class/dmi/id, or, on boards without DMI, the device tree's model,
// serial-number and compatible (the vendor prefix of its first entry).
// Serial numbers and the UUID there are root-only and stay empty when
// unreadable.
//
// These are our own reads through tree, not ghw's Product and Baseboard:
// ghw joins its chroot to each path as a string, so a link in a captured
// tree would lead it to this machine's files, and it cannot be confined to
// an os.Root.
func readDMIID(tree *os.Root) (*smbios.SystemInfo, *smbios.BaseboardInfo) {
	attr := func(dir, name string) string {
		b, err := fileutil.ReadFileInRoot(tree, dir+"/"+name, maxHostFileBytes)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(strings.Trim(string(b), "\x00"))
	}
	isDir := func(rel string) bool {
		fi, err := fileutil.StatInRoot(tree, rel)
		return err == nil && fi.IsDir()
	}
	var sys smbios.SystemInfo
	var bb smbios.BaseboardInfo
	if !isDir(sysDMIIDDir) && isDir(deviceTreeDir) {
		model, serial := attr(deviceTreeDir, "model"), attr(deviceTreeDir, "serial-number")
		vendor := ""
		for c := range strings.SplitSeq(attr(deviceTreeDir, "compatible"), "\x00") {
			if c = strings.TrimSpace(c); c != "" {
				vendor, _, _ = strings.Cut(c, ",")
				break
			}
		}
		sys = smbios.SystemInfo{Manufacturer: vendor, ProductName: model, SerialNumber: serial}
		bb = smbios.BaseboardInfo{Manufacturer: vendor, Product: model, SerialNumber: serial}
	} else {
		sys = smbios.SystemInfo{
			Manufacturer: attr(sysDMIIDDir, "sys_vendor"),
			ProductName:  attr(sysDMIIDDir, "product_name"),
			Version:      attr(sysDMIIDDir, "product_version"),
			SerialNumber: attr(sysDMIIDDir, "product_serial"),
			UUID:         attr(sysDMIIDDir, "product_uuid"),
			SKUNumber:    attr(sysDMIIDDir, "product_sku"),
			Family:       attr(sysDMIIDDir, "product_family"),
		}
		bb = smbios.BaseboardInfo{
			Manufacturer: attr(sysDMIIDDir, "board_vendor"),
			Product:      attr(sysDMIIDDir, "board_name"),
			Version:      attr(sysDMIIDDir, "board_version"),
			SerialNumber: attr(sysDMIIDDir, "board_serial"),
			AssetTag:     attr(sysDMIIDDir, "board_asset_tag"),
		}
	}
	var sysp *smbios.SystemInfo
	if sys != (smbios.SystemInfo{}) {
		sysp = &sys
	}
	var bbp *smbios.BaseboardInfo
	if bb != (smbios.BaseboardInfo{}) {
		bbp = &bb
	}
	return sysp, bbp
}

func warning(source, message, subject string) *memledgerv1.Warning {
	return &memledgerv1.Warning{Source: source, Message: message, Subject: subject}
}
