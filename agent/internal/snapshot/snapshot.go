// Package snapshot captures the files a memledger scan reads from a host
// into a gzip'ed tar archive, and unpacks such an archive safely, so that
// `memledger-agent scan --root DIR` over the unpacked tree gives the same
// inventory as the live scan. Operators attach snapshots to bug reports;
// tests replay them.
//
// # What is captured
//
// Only what agent/internal/scan reads, never a whole directory tree:
//
//   - host identity: etc/machine-id, var/lib/dbus/machine-id, etc/hostname,
//     proc/sys/kernel/{hostname,osrelease,arch}, the etc/*-release and
//     etc/*_version files gopsutil looks for, and the files its
//     virtualization probe reads (proc/xen, proc/modules, proc/cpuinfo,
//     proc/bus/pci/devices, proc/vz, proc/bc/0, proc/self/{status,cgroup},
//     .dockerenv). proc/1/environ is reduced to its "container=" variable,
//     the only thing gopsutil looks for there;
//   - DMI: sys/firmware/dmi/tables/{smbios_entry_point,DMI},
//     run/udev/data/+dmi:id, the sys/class/dmi/id attributes the scan reads
//     for the product and baseboard, and on device-tree machines
//     sys/firmware/devicetree/base/{model,serial-number,compatible};
//   - SPD EEPROMs: every device of the at24 (only those named "spd"), ee1004
//     and spd5118 drivers, with its eeprom file;
//   - drives: every sys/block entry with the attributes
//     agent/internal/storage reads (dev, size, queue/rotational, wwid, eui,
//     nguid, serial, partition) and a few more for bug reports (removable,
//     ro, nsid, the block sizes), its partitions' dev/size/partition, its udev
//     record run/udev/data/b<major>:<minor>, the ATA IDENTIFY data under its
//     ata<N> port, its NVMe controller(s) and their PCI function.
//
// For every device directory reached this way (block device, NVMe
// controller, PCI function, I2C EEPROM) the identity attributes of it and
// of each ancestor up to sys/devices are captured as well (PCI vendor,
// device and subsystem ids, model, serial, firmware, USB ids, ...: see
// identityAttrs), which is what a bug report about a misidentified device
// needs. Symbolic links met on the way are stored as links, with their text
// as in the tree, so sys/block/sda -> ../devices/... resolves in the
// unpacked snapshot exactly as on the host.
//
// Nothing else is read: no directory is copied whole, no file is opened
// that is not a regular file (sysfs binary attributes such as PCI config,
// resource* and rom, trace and debug files, device nodes and FIFOs are
// never on the list), every read is bounded (MaxFileBytes), and no link is
// followed out of the root: absolute links and links that climb above the
// root resolve against the root, as in a chroot, and are stored rewritten
// as relative links, with a note. Files that exist but cannot be read (most
// often root-only files such as the SMBIOS tables when not run as root)
// are left out and listed in the manifest.
//
// # The archive
//
// Paths are relative ("sys/block/sda"), parents come before children, and
// every entry has the same modification time (Options.Now), so two
// snapshots of the same tree are byte-identical. The first entry,
// MANIFEST.json, records the format, the memledger version, the time, the
// root, counts, what was skipped and why, and what scrubbing did.
//
// # Scrubbing serial numbers
//
// With Options.ScrubSerials every serial number is replaced, everywhere it
// appears, by a token of the same length and shape: digits stay digits,
// letters letters (hex digits hex digits), separators and padding stay,
// placeholders such as "Not Specified" are kept. Binary containers stay
// valid: SMBIOS strings are rewritten in place, SPD CRCs that cover the
// serial (DDR3) and the ATA IDENTIFY checksum are recomputed when they were
// valid. The SMBIOS system UUID and product_uuid are masked too: vendors
// such as Dell encode the service tag in them. The full list of places is
// recorded in the manifest of every scrubbed snapshot. The mapping is keyed
// (HMAC-SHA256) with a random key per snapshot unless Options.ScrubKey is
// set, so tokens are consistent within one snapshot (an SPD serial still
// matches its SMBIOS record, udev's ID_SERIAL its sysfs attribute) but
// cannot be linked across snapshots or recomputed from a known serial.
// Not masked: machine-id, hostname and WWNs (except a WWN that is itself a
// drive's udev serial).
package snapshot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// MaxFileBytes bounds every file read while capturing. Sysfs attributes
// are at most a page, SPD EEPROMs 1 KiB, SMBIOS tables a few hundred KiB;
// a larger file is left out (and listed in the manifest) rather than cut,
// since a cut table or EEPROM would decode differently from the host's.
const MaxFileBytes = 1 << 20

// ManifestName is the name of the manifest, the archive's first entry.
const ManifestName = "MANIFEST.json"

// Options say what to capture.
type Options struct {
	// Root is the host root to capture ("/" for the live host, "" means
	// "/"); every path is read under it.
	Root string
	// ScrubSerials masks serial numbers (and the SMBIOS system UUID) in the
	// captured files; see the package documentation.
	ScrubSerials bool
	// ScrubKey keys the masking; nil draws a random key for this snapshot.
	// Set it only to make scrubbed snapshots reproducible (tests).
	ScrubKey []byte
	// Now returns the time recorded in the manifest and on every archive
	// entry (time.Now when nil).
	Now func() time.Time
}

// Skip is a file the scan would read that the snapshot does not hold, or
// holds changed, and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Stats summarise a snapshot.
type Stats struct {
	// Files, Dirs and Symlinks count the archive's entries by type, the
	// manifest excluded.
	Files, Dirs, Symlinks int
	// Bytes is the total size of the captured files, the manifest excluded.
	Bytes int64
	// Skipped lists what could not be captured as it is on the host; it is
	// in the manifest too.
	Skipped []Skip
	// Masked counts the distinct serial numbers and UUIDs replaced
	// (ScrubSerials only).
	Masked int
}

// String is the one-line summary the CLI prints.
func (s Stats) String() string {
	line := fmt.Sprintf("%d files (%s), %d symlinks, %d directories", s.Files, humanBytes(s.Bytes), s.Symlinks, s.Dirs)
	if s.Masked > 0 {
		line += fmt.Sprintf("; %d serial numbers/UUIDs masked", s.Masked)
	}
	if n := len(s.Skipped); n > 0 {
		line += fmt.Sprintf("; %d left out or changed (see %s)", n, ManifestName)
	}
	return line
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Write captures the files a scan of opts.Root reads into a gzip'ed tar
// stream on w. It fails when the root cannot be opened, ctx is done, or w
// fails; files that cannot be read are skipped and listed in Stats.Skipped
// and the manifest instead.
func Write(ctx context.Context, w io.Writer, opts Options) (Stats, error) {
	if err := ctx.Err(); err != nil {
		return Stats{}, fmt.Errorf("snapshot: %w", err)
	}
	root := opts.Root
	if root == "" {
		root = "/"
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return Stats{}, fmt.Errorf("snapshot: root %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Stats{}, fmt.Errorf("snapshot: root: %w", err)
	}
	if !fi.IsDir() {
		return Stats{}, fmt.Errorf("snapshot: root %s is not a directory", abs)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC().Truncate(time.Second)

	c, err := newCapturer(ctx, abs)
	if err != nil {
		return Stats{}, err
	}
	defer c.close()
	if err := c.captureAll(); err != nil {
		return Stats{}, err
	}
	c.dropEscapingLinks()

	var scrubInfo *scrubReport
	if opts.ScrubSerials {
		key := opts.ScrubKey
		if key == nil {
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return Stats{}, fmt.Errorf("snapshot: scrub key: %w", err)
			}
		}
		scrubInfo = scrub(c.tree, c.roles, key)
	}

	c.tree.addParents() // resolution records them already; make sure
	st := c.tree.stats()
	st.Skipped = append(st.Skipped, c.skipped...)
	if scrubInfo != nil {
		st.Masked = scrubInfo.masked
		st.Skipped = append(st.Skipped, scrubInfo.skipped...)
	}
	m := newManifest(abs, created, st, scrubInfo)
	if err := writeArchive(ctx, w, c.tree, m, created); err != nil {
		return Stats{}, err
	}
	return st, nil
}

// errEscape marks a symbolic link that leads out of the tree.
var errEscape = errors.New("symbolic link leads outside the tree")
