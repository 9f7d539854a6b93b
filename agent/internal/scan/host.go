package scan

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/shirou/gopsutil/v4/host"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/placeholder"
	"github.com/memledger/memledger/internal/smbios"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// machineIDPaths are tried in order for the host identity: systemd's
// machine-id, then the D-Bus copy older distributions keep. Both are
// world-readable and survive reboots, so root and non-root scans agree.
var machineIDPaths = []string{"etc/machine-id", "var/lib/dbus/machine-id"}

// collectHost fills the host identity and operating system facts. Every path
// is read through tree; for the live root ("/") gopsutil's syscalls (uname)
// are used too.
func collectHost(ctx context.Context, tree *os.Root, hostID string, labels map[string]string, facts *dmiFacts) (*memledgerv1.Host, []*memledgerv1.Warning) {
	var warnings []*memledgerv1.Warning
	h := &memledgerv1.Host{HostId: hostID, Labels: labels}
	if h.HostId == "" {
		for _, p := range machineIDPaths {
			if id := readTrimmed(tree, p); id != "" {
				h.HostId = id
				break
			}
		}
		if h.HostId == "" {
			warnings = append(warnings, warning("host", "no machine id found (/etc/machine-id): set --host-id so this host keeps one identity across scans", ""))
		}
	}

	if isLiveRoot(tree.Name()) {
		h.Hostname, _ = os.Hostname()
		if platform, _, version, err := host.PlatformInformationWithContext(ctx); err == nil && platform != "" {
			h.Os = strings.TrimSpace(platform + " " + version)
		}
		if virt, role, err := host.VirtualizationWithContext(ctx); err == nil && role == "guest" {
			h.Virtualization = virt
		}
		h.Kernel, _ = host.KernelVersionWithContext(ctx)
		h.Architecture, _ = host.KernelArch()
	} else {
		// A captured tree describes another machine. gopsutil cannot be
		// confined to it: it runs /usr/bin/lsb_release, looks at real
		// /usr/bin files and caches virtualization for the process. So
		// the tree's own files are read instead, and nothing of the
		// machine we run on leaks into the inventory.
		h.Hostname = readTrimmed(tree, "proc/sys/kernel/hostname")
		if h.Hostname == "" {
			h.Hostname = readTrimmed(tree, "etc/hostname")
		}
		h.Os = osRelease(tree)
		h.Kernel = readTrimmed(tree, "proc/sys/kernel/osrelease")
		h.Architecture = readTrimmed(tree, "proc/sys/kernel/arch")
	}

	if facts != nil {
		applyPlatform(h, facts.system, facts.baseboard)
		h.SmbiosVersion = facts.smbiosVersion
	}
	return h, warnings
}

func applyPlatform(h *memledgerv1.Host, sys *smbios.SystemInfo, bb *smbios.BaseboardInfo) {
	if sys != nil {
		h.SystemManufacturer = sys.Manufacturer
		h.SystemProduct = sys.ProductName
		h.SystemVersion = sys.Version
		h.SystemSerial = sys.SerialNumber
		h.SystemUuid = sys.UUID
	}
	if bb != nil {
		h.BaseboardManufacturer = bb.Manufacturer
		h.BaseboardProduct = bb.Product
		h.BaseboardSerial = bb.SerialNumber
	}
}

func isLiveRoot(root string) bool {
	return filepath.Clean(root) == "/"
}

// maxHostFileBytes bounds the small files that name a host (machine-id,
// hostname, os-release): a captured tree may hold anything at their paths.
const maxHostFileBytes = 64 << 10

// readTrimmed reads the small file rel under tree, "" when unreadable.
func readTrimmed(tree *os.Root, rel string) string {
	b, err := fileutil.ReadFileInRoot(tree, rel, maxHostFileBytes)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// fileHost builds the host of an inventory read from a dump or dmidecode
// text. Without --host-id its identity comes from the dump itself: the
// SMBIOS system UUID when it is a real one, else the system serial number.
func fileHost(hostID string, labels map[string]string, facts *dmiFacts) (*memledgerv1.Host, []*memledgerv1.Warning) {
	h := &memledgerv1.Host{HostId: hostID, Labels: labels}
	applyPlatform(h, facts.system, facts.baseboard)
	h.SmbiosVersion = facts.smbiosVersion
	if h.HostId != "" {
		return h, nil
	}
	switch {
	case realUUID(h.SystemUuid):
		h.HostId = "smbios-uuid:" + strings.ToLower(h.SystemUuid)
	case !placeholder.Is(h.SystemSerial):
		h.HostId = "smbios-serial:" + h.SystemManufacturer + ":" + h.SystemSerial
	default:
		return h, []*memledgerv1.Warning{warning("host", "the input names no system UUID or serial number to identify its host: pass --host-id", "")}
	}
	return h, nil
}

// realUUID rejects the all-zero and all-FF UUIDs firmware uses as "not set".
func realUUID(u string) bool {
	hex := strings.Map(func(r rune) rune {
		if r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(u))
	if len(hex) != 32 {
		return false
	}
	return strings.Trim(hex, "0") != "" && strings.Trim(hex, "f") != ""
}

// osRelease describes the operating system of a captured tree from its
// os-release file as gopsutil does for the live host: "ID VERSION_ID".
func osRelease(tree *os.Root) string {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		data, err := fileutil.ReadFileInRoot(tree, p, maxHostFileBytes)
		if err != nil {
			continue
		}
		var id, version string
		for line := range strings.SplitSeq(string(data), "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"'`)
			switch k {
			case "ID":
				id = v
			case "VERSION_ID":
				version = v
			}
		}
		return strings.TrimSpace(id + " " + version)
	}
	return ""
}
