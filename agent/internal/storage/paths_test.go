package storage

import (
	"slices"
	"testing"
)

func TestClassifyTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, devpath, vendor, want string
	}{
		{"nvme on pcie", "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0/nvme0n1", "", TransportNVMe},
		{"nvme multipath head", "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", "", TransportNVMe},
		{"nvme over tcp", "sys/devices/virtual/nvme-fabrics/ctl/nvme3/nvme3n1", "", TransportNVMe},
		{"ahci", "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", "ATA", TransportSATA},
		{"sata behind port multiplier", "sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:1:0/2:1:0:0/block/sdc", "ATA", TransportSATA},
		{"sata on sas hba", "sys/devices/pci0000:00/0000:00:03.0/0000:02:00.0/host0/port-0:0/end_device-0:0/target0:0:0/0:0:0:0/block/sda", "ATA", TransportSATA},
		{"sas disk", "sys/devices/pci0000:00/0000:00:03.0/0000:02:00.0/host0/port-0:1/end_device-0:1/target0:0:1/0:0:1:0/block/sdb", "SEAGATE", TransportSAS},
		{"sas behind expander", "sys/devices/pci0000:80/0000:80:03.0/0000:82:00.0/host6/port-6:0/expander-6:0/port-6:0:12/end_device-6:0:12/target6:0:12/6:0:12:0/block/sdm", "HGST", TransportSAS},
		{"usb stick", "sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdc", "SanDisk", TransportUSB},
		{"sata ssd in usb enclosure", "sys/devices/pci0000:00/0000:00:14.0/usb4/4-2/4-2:1.0/host7/target7:0:0/7:0:0:0/block/sdd", "ATA", TransportUSB},
		{"virtio-blk", "sys/devices/pci0000:00/0000:00:05.0/virtio1/block/vda", "", TransportVirtio},
		{"virtio-scsi", "sys/devices/pci0000:00/0000:00:03.0/virtio0/host0/target0:0:0/0:0:0:1/block/sda", "QEMU", TransportVirtio},
		{"emmc", "sys/devices/platform/fe310000.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0", "", TransportMMC},
		{"hyper-v storvsc", "sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0004:00/VMBUS:00/f8b3781a-1e82-4818-a1c3-63d806ec15bb/host0/target0:0:0/0:0:0:0/block/sda", "Msft", TransportSCSI},
		{"megaraid virtual drive", "sys/devices/pci0000:00/0000:00:02.0/0000:03:00.0/host0/target0:2:0/0:2:0:0/block/sda", "DELL", TransportSCSI},
		{"xen", "sys/devices/vbd-51712/block/xvda", "", ""},
		{"unknown", "", "", ""},
	}
	for _, tc := range tests {
		if got := classifyTransport(tc.devpath, tc.vendor); got != tc.want {
			t.Errorf("%s: classifyTransport(%q, %q) = %q, want %q", tc.name, tc.devpath, tc.vendor, got, tc.want)
		}
	}
}

func TestTransportFromUdevBus(t *testing.T) {
	t.Parallel()
	for bus, want := range map[string]string{"ata": TransportSATA, "usb": TransportUSB, "scsi": TransportSCSI, "nvme": TransportNVMe, "ieee1394": "", "": ""} {
		if got := transportFromUdevBus(bus); got != want {
			t.Errorf("transportFromUdevBus(%q) = %q, want %q", bus, got, want)
		}
	}
}

func TestSkipReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, devpath string
		skip          bool
	}{
		{"sda", "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda", false},
		{"nvme0n1", "sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1", false},
		{"nvme10n1", "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme10/nvme10n1", false},
		{"vda", "sys/devices/pci0000:00/0000:00:05.0/virtio1/block/vda", false},
		{"mmcblk0", "sys/devices/platform/x.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0", false},
		{"xvda", "sys/devices/vbd-51712/block/xvda", false},
		{"loop0", "sys/devices/virtual/block/loop0", true},
		{"loop12", "", true},
		{"ram0", "sys/devices/virtual/block/ram0", true},
		{"zram0", "sys/devices/virtual/block/zram0", true},
		{"dm-3", "sys/devices/virtual/block/dm-3", true},
		{"md127", "sys/devices/virtual/block/md127", true},
		{"md_d0", "", true},
		{"sr0", "sys/devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0/block/sr0", true},
		{"nbd0", "sys/devices/virtual/block/nbd0", true},
		{"rbd0", "sys/devices/rbd/0/block/rbd0", true},
		{"pmem0", "sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/namespace0.0/block/pmem0", true},
		{"mmcblk0boot0", "sys/devices/platform/x.mmc/mmc_host/mmc0/mmc0:0001/block/mmcblk0/mmcblk0boot0", true},
		{"mmcblk0rpmb", "", true},
		{"nvme0c0n1", "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/nvme/nvme0/nvme0c0n1", true},
		{"bcache0", "sys/devices/virtual/block/bcache0", true},
	}
	for _, tc := range tests {
		if got := skipReason(tc.name, tc.devpath) != ""; got != tc.skip {
			t.Errorf("skipReason(%q, %q) skips = %v, want %v", tc.name, tc.devpath, got, tc.skip)
		}
	}
}

func TestATAIdentifyPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ devpath, want string }{
		{
			"sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda",
			"sys/devices/pci0000:00/0000:00:17.0/ata1/link1/dev1.0/ata_device/dev1.0/id",
		},
		{ // PATA slave: SCSI id 1 is the ATA device number.
			"sys/devices/pci0000:00/0000:00:1f.1/ata5/host4/target4:0:1/4:0:1:0/block/sdb",
			"sys/devices/pci0000:00/0000:00:1f.1/ata5/link5/dev5.1/ata_device/dev5.1/id",
		},
		{ // Behind port multiplier port 2: the SCSI channel.
			"sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:2:0/2:2:0:0/block/sde",
			"sys/devices/pci0000:00/0000:00:1f.2/ata3/link3.2/dev3.2.0/ata_device/dev3.2.0/id",
		},
		{"sys/devices/pci0000:00/0000:00:03.0/0000:02:00.0/host0/port-0:0/end_device-0:0/target0:0:0/0:0:0:0/block/sda", ""},
		{"sys/devices/pci0000:00/0000:00:17.0/ata1/host0", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := ataIdentifyPath(tc.devpath); got != tc.want {
			t.Errorf("ataIdentifyPath(%q) = %q, want %q", tc.devpath, got, tc.want)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	t.Parallel()
	names := []string{"vda", "nvme10n1", "sdb", "nvme2n1", "nvme1n2", "nvme1n1", "sda", "mmcblk0", "nvme01n2"}
	slices.SortFunc(names, naturalCompare)
	want := []string{"mmcblk0", "nvme1n1", "nvme1n2", "nvme01n2", "nvme2n1", "nvme10n1", "sda", "sdb", "vda"}
	if !slices.Equal(names, want) {
		t.Errorf("natural order = %q, want %q", names, want)
	}
}
