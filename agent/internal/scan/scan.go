// Package scan produces one host's inventory: it picks the DMI source (the
// kernel's SMBIOS tables, the udev database, or a file the user named),
// decodes it, identifies every maker and assembles a memledger.v1.Inventory.
//
// Every path is read under Options.Root so that a captured host tree is
// scanned exactly like the live host: through one os.Root, as a process
// chrooted there reads it (internal/fileutil's ReadFileInRoot and its kin),
// so a link in the tree, absolute or climbing with "..", leads to the
// tree's file and never to the file of the machine the scan runs on.
package scan

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/internal/inventory"
	"github.com/memledger/memledger/internal/version"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Options say what to scan.
type Options struct {
	// Root is the host root to read ("/" for the live host).
	Root string
	// SMBIOSFile, when set, replaces the kernel's tables with a
	// `dmidecode --dump-bin` file or a raw table.
	SMBIOSFile string
	// DmidecodeFile, when set, replaces the kernel's tables with dmidecode
	// text; "-" reads Stdin.
	DmidecodeFile string
	// SPDFiles are SPD EEPROM images (binary or hex dumps) to decode and
	// merge. Given without SMBIOSFile or DmidecodeFile they describe a
	// module set of their own, not this host.
	SPDFiles []string
	// SmartctlFiles are smartctl outputs (-i/-a/-x text or --json; "-"
	// reads Stdin) whose drives replace this host's. Given alone they
	// describe a drive set of their own, not this host.
	SmartctlFiles []string
	// HostID overrides the machine id.
	HostID string
	// Hostname overrides the host name; useful with SMBIOSFile and
	// DmidecodeFile, which describe another machine.
	Hostname string
	// Labels are attached to the host (site, role, cii, ...).
	Labels map[string]string
	// Stdin is read for "-" file names (os.Stdin when nil).
	Stdin io.Reader
	// Now returns the collection time (time.Now when nil).
	Now func() time.Time
}

// Scan collects the inventory. It fails only when an input the user named
// explicitly cannot be read or decoded; everything the live host does not
// offer (no SMBIOS on a VM, no permission) becomes a warning instead.
func Scan(ctx context.Context, opts Options) (*memledgerv1.Inventory, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	stdin := opts.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}

	var (
		facts *dmiFacts
		tree  *os.Root // the host root; nil when reading files the user named
		err   error
	)
	fromFiles := opts.DmidecodeFile != "" || opts.SMBIOSFile != "" || len(opts.SPDFiles) > 0 || len(opts.SmartctlFiles) > 0
	switch {
	case opts.DmidecodeFile != "":
		facts, err = fromDmidecodeFile(opts.DmidecodeFile, stdin)
	case opts.SMBIOSFile != "":
		facts, err = fromSMBIOSFile(opts.SMBIOSFile, stdin)
	case fromFiles:
		facts = &dmiFacts{} // SPD images or smartctl output alone: no DMI source at all
		if len(opts.SPDFiles) == 0 {
			// No module was read, so none may count as gone: the
			// inventory names its memory incomplete, and the warning
			// of an SMBIOS source tells older collectors the same.
			facts.incomplete = true
			facts.warnings = append(facts.warnings, warning("smbios", "no memory modules read: the inputs are smartctl output only (add --smbios, --dmidecode or --spd for the modules)", ""))
		}
	default:
		// A root that is not there is a mistake in the command line (or a
		// capture not extracted), not a host without SMBIOS.
		if tree, err = openRoot(opts.Root); err != nil {
			return nil, err
		}
		defer tree.Close()
		facts = fromLiveHost(tree)
	}
	if err != nil {
		return nil, err
	}
	var (
		spds        []spdImage
		spdWarnings []*memledgerv1.Warning
	)
	if fromFiles {
		spds, spdWarnings, err = readSPDFiles(opts.SPDFiles, stdin)
		if err != nil {
			return nil, err
		}
	} else {
		spds, spdWarnings = readLiveSPDs(tree)
	}

	inv := &memledgerv1.Inventory{
		CollectedAt:  timestamppb.New(now().UTC()),
		AgentVersion: version.String(),
	}
	if facts.source != "" {
		inv.Sources = append(inv.Sources, facts.source)
	}
	inv.Warnings = append(inv.Warnings, facts.warnings...)

	modules, slots, warnings := memoryModules(facts.devices, facts.source)
	inv.Warnings = append(inv.Warnings, warnings...)
	inv.Warnings = append(inv.Warnings, spdWarnings...)
	if len(spds) > 0 {
		inv.Sources = append(inv.Sources, "spd")
		modules, warnings = mergeSPD(modules, spds)
		inv.Warnings = append(inv.Warnings, warnings...)
	}
	inv.MemoryModules = modules

	if facts.incomplete {
		inv.Incomplete = append(inv.Incomplete, inventory.IncompleteMemory)
	}

	switch {
	case !fromFiles:
		drives, warnings, listed := scanStorage(ctx, tree)
		inv.StorageDevices = drives
		inv.Warnings = append(inv.Warnings, warnings...)
		if len(drives) > 0 {
			inv.Sources = append(inv.Sources, "sysfs")
		}
		if !listed {
			inv.Incomplete = append(inv.Incomplete, inventory.IncompleteStorage)
		}
	case len(opts.SmartctlFiles) > 0:
		drives, warnings, err := readSmartctlFiles(opts.SmartctlFiles, stdin)
		if err != nil {
			return nil, err
		}
		inv.StorageDevices = drives
		inv.Warnings = append(inv.Warnings, warnings...)
		inv.Sources = append(inv.Sources, "smartctl")
	default:
		// Dumps and SPD images without smartctl output read no drive:
		// sent to a collector, such an inventory must not remove the
		// host's drives.
		inv.Incomplete = append(inv.Incomplete, inventory.IncompleteStorage)
	}

	var host *memledgerv1.Host
	if fromFiles {
		// The file describes some other machine: nothing of the host we
		// run on may leak into its inventory.
		host, warnings = fileHost(opts.HostID, opts.Labels, facts)
	} else {
		host, warnings = collectHost(ctx, tree, opts.HostID, opts.Labels, facts)
	}
	if opts.Hostname != "" {
		host.Hostname = opts.Hostname
	}
	host.MemorySlots = slots
	inv.Host = host
	inv.Warnings = mergeWarnings(append(inv.Warnings, warnings...))
	return inv, nil
}

// openRoot opens the host root every read of the scan goes through, and
// fails unless root is a directory that can be read.
func openRoot(root string) (*os.Root, error) {
	tree, err := os.OpenRoot(root)
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	if err != nil {
		return nil, fmt.Errorf("host root %s: %w", root, err)
	}
	return tree, nil
}
