package spd

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/lazyregexp"
)

// EEPROM is one SPD EEPROM exposed by the Linux kernel.
type EEPROM struct {
	// Path is the eeprom file read, relative to the root given to Find,
	// e.g. "sys/bus/i2c/devices/0-0050/eeprom".
	Path string
	// Driver is the kernel driver bound to the device: "ee1004" (DDR4),
	// "spd5118" (DDR5) or "at24" (DDR3 and older, or DDR4 without ee1004,
	// which then shows only the first 256 bytes).
	Driver string
	// Bus is the I2C adapter number and Address the 7-bit device address
	// (0x50-0x57 for SPD), both from the device name "BUS-ADDR".
	Bus, Address int
	// Data is the EEPROM content; nil when it could not be read (the
	// reason is among the errors Find returns).
	Data []byte
}

// maxEEPROMRead bounds how much of an eeprom file is read: the largest SPD
// device (DDR5 SPD5118) holds 1024 bytes; anything beyond 4096 is not SPD.
const maxEEPROMRead = 4096

// spdDrivers are the kernel drivers that expose SPD EEPROMs. at24 serves many
// EEPROM kinds, so only devices instantiated with the name "spd" are taken
// from it (the rule decode-dimms applies).
var spdDrivers = []struct {
	name     string
	wantName string // required content of the device's "name" file, "" for any
}{
	{"at24", "spd"},
	{"ee1004", ""},
	{"spd5118", ""}, // kernel 6.11+ exposes the DDR5 SPD through nvmem compat "eeprom"
}

// i2cDevName matches I2C client directory names such as "0-0050" or "12-0051".
var i2cDevName = lazyregexp.New(`^([0-9]+)-([0-9a-fA-F]{4})$`)

// Find lists SPD EEPROMs exposed by the kernel under root, a host root
// directory ("/" on a live system; a copied or fake tree in tests). It looks
// at root/sys/bus/i2c/drivers/{at24,ee1004,spd5118}/<bus>-<addr> (symlinks into
// /sys/devices/...), keeping at24 devices only when their "name" is "spd".
// Every path is read as a process chrooted to root reads it: links resolve
// inside root (fileutil.ReadFileInRoot and its kin), never out of it.
//
// Problems with one device (typically permission: eeprom files are 0400 or
// 0600 root) are returned as errors for that device and do not stop the
// search; such a device is still listed, with nil Data, so a caller can report
// that a module is present but unreadable. A driver directory that does not
// exist (module not loaded) is not an error. Results are sorted by bus,
// address and driver.
func Find(root *os.Root) ([]EEPROM, []error) {
	var (
		found []EEPROM
		errs  []error
	)
	for _, drv := range spdDrivers {
		rel := "sys/bus/i2c/drivers/" + drv.name
		entries, err := fileutil.ReadDirInRoot(root, rel)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("spd: list %s driver devices: %w", drv.name, err))
			}
			continue
		}
		for _, ent := range entries {
			match := i2cDevName.FindStringSubmatch(ent.Name())
			if match == nil {
				continue // bind, unbind, uevent, module, ...
			}
			bus, err1 := strconv.Atoi(match[1])
			addr, err2 := strconv.ParseUint(match[2], 16, 16)
			if err1 != nil || err2 != nil {
				errs = append(errs, fmt.Errorf("spd: device name %q under %s: bad bus or address", ent.Name(), rel))
				continue
			}
			devRel := rel + "/" + ent.Name()
			if drv.wantName != "" {
				name, err := readSmall(root, devRel+"/name")
				if err != nil {
					errs = append(errs, fmt.Errorf("spd: read name of %s: %w", devRel, err))
					continue
				}
				if strings.TrimSpace(string(name)) != drv.wantName {
					continue // an at24 EEPROM that is not an SPD
				}
			}
			e := EEPROM{Path: eepromPath(root, devRel, ent.Name()), Driver: drv.name, Bus: bus, Address: int(addr)}
			data, err := readEEPROM(root, e.Path)
			if err != nil {
				errs = append(errs, fmt.Errorf("spd: read %s (driver %s, bus %d, address 0x%02x): %w", e.Path, drv.name, bus, addr, err))
			} else {
				e.Data = data
			}
			found = append(found, e)
		}
	}
	slices.SortFunc(found, func(a, b EEPROM) int {
		return cmp.Or(cmp.Compare(a.Bus, b.Bus), cmp.Compare(a.Address, b.Address), cmp.Compare(a.Driver, b.Driver))
	})
	return found, errs
}

// eepromPath prefers the stable sys/bus/i2c/devices/<dev>/eeprom name (the
// same file as through the driver link) and falls back to the driver path
// when the devices link is absent, as in minimal fake trees.
func eepromPath(root *os.Root, devRel, dev string) string {
	canonical := "sys/bus/i2c/devices/" + dev + "/eeprom"
	if _, err := fileutil.StatInRoot(root, canonical); err == nil {
		return canonical
	}
	return devRel + "/eeprom"
}

// readEEPROM reads at most maxEEPROMRead bytes and fails on anything larger,
// so a wrong file cannot make the agent read without bound.
func readEEPROM(root *os.Root, rel string) ([]byte, error) {
	data, err := fileutil.ReadFileInRoot(root, rel, maxEEPROMRead)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, errors.New("eeprom file is empty")
	}
	return data, nil
}

// maxNameRead bounds a device's name attribute (an I2C client name is at
// most 20 bytes).
const maxNameRead = 256

// readSmall reads a short sysfs attribute file.
func readSmall(root *os.Root, rel string) ([]byte, error) {
	return fileutil.ReadFileInRoot(root, rel, maxNameRead)
}
