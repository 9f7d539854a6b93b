package vendor

import (
	"slices"
	"testing"
)

func TestIdentifyDrive(t *testing.T) {
	tests := []struct {
		name       string
		f          DriveFacts
		vendor     string
		evidence   []string
		controller string
		warn       string // substring of a warning; "" = no warnings
	}{
		// PCI ids.
		{"Micron NVMe", DriveFacts{Model: "Micron_7450_MTFDKCC3T8TFS", Transport: "nvme", PCIVendor: 0x1344, PCISubsystemVendor: 0x1344},
			"micron", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Crucial P5 (c0a9)", DriveFacts{Model: "CT1000P5SSD8", Transport: "nvme", PCIVendor: 0xc0a9, PCISubsystemVendor: 0xc0a9},
			"crucial", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Samsung 980 PRO", DriveFacts{Model: "Samsung SSD 980 PRO 1TB", Transport: "nvme", PCIVendor: 0x144d, PCISubsystemVendor: 0x144d},
			"samsung", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Samsung OEM in a Dell (subsystem 1028 skipped)", DriveFacts{Model: "PM9A1 NVMe Samsung 512GB", Transport: "nvme", PCIVendor: 0x144d, PCISubsystemVendor: 0x1028},
			"samsung", []string{EvidencePCIVendor, EvidenceModelName}, "", ""},
		{"Kioxia via Toshiba PCI id", DriveFacts{Model: "KXG60ZNV256G TOSHIBA", Transport: "nvme", PCIVendor: 0x1179, PCISubsystemVendor: 0x1179},
			"kioxia", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Dell-branded Kioxia CM6", DriveFacts{Model: "Dell Ent NVMe CM6 RI 1.92TB", Transport: "nvme", PCIVendor: 0x1e0f, PCISubsystemVendor: 0x1028},
			"kioxia", []string{EvidencePCIVendor}, "", ""},
		{"Phison controller, Seagate subsystem", DriveFacts{Model: "Seagate FireCuda 520 SSD ZP1000GM30002", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1bb1},
			"seagate", []string{EvidencePCISubsystem, EvidenceModelPrefix}, "phison", ""},
		{"Phison reference drive, unknown brand", DriveFacts{Model: "Sabrent Rocket 4.0 1TB", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			"", nil, "phison", ""},
		{"SMI controller, model names Kingston", DriveFacts{Model: "KINGSTON SNV2S1000G", Transport: "nvme", PCIVendor: 0x126f, PCISubsystemVendor: 0x126f},
			"kingston", []string{EvidenceModelPrefix}, "siliconmotion", ""},
		{"Kingston PCI id", DriveFacts{Model: "KINGSTON SKC3000D2048G", Transport: "nvme", PCIVendor: 0x2646, PCISubsystemVendor: 0x2646},
			"kingston", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Maxio controller, Lexar", DriveFacts{Model: "Lexar SSD NM620 1TB", Transport: "nvme", PCIVendor: 0x1e4b, PCISubsystemVendor: 0x1e4b},
			"lexar", []string{EvidenceModelPrefix}, "maxio", ""},
		{"Longsys PCI id, Lexar model (same family)", DriveFacts{Model: "Lexar SSD NM610 1TB", Transport: "nvme", PCIVendor: 0x1d97, PCISubsystemVendor: 0x1d97},
			"longsys", []string{EvidencePCISubsystem, EvidencePCIVendor}, "", "related to longsys"},
		{"WD_BLACK NVMe is SanDisk's flash business", DriveFacts{Model: "WD_BLACK SN850X 2000GB", Transport: "nvme", PCIVendor: 0x15b7, PCISubsystemVendor: 0x15b7},
			"sandisk", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"WD PC SN OEM", DriveFacts{Model: "WDC PC SN730 SDBQNTY-512G-1001", Transport: "nvme", PCIVendor: 0x15b7, PCISubsystemVendor: 0x15b7},
			"sandisk", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"SK hynix model name inside", DriveFacts{Model: "PC711 NVMe SK hynix 1TB", Transport: "nvme", PCIVendor: 0x1c5c, PCISubsystemVendor: 0x1c5c},
			"skhynix", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelName}, "", ""},
		{"Solidigm on Intel's PCI id", DriveFacts{Model: "SOLIDIGM SSDPFKNU010TZ", Transport: "nvme", PCIVendor: 0x8086, PCISubsystemVendor: 0x8086},
			"solidigm", []string{EvidenceModelPrefix}, "", "is inherited"},
		{"Solidigm PCI id", DriveFacts{Model: "SOLIDIGM SSDPFKKW020X7", Transport: "nvme", PCIVendor: 0x025e, PCISubsystemVendor: 0x025e},
			"solidigm", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Intel P4510", DriveFacts{Model: "INTEL SSDPE2KX040T8", Transport: "nvme", PCIVendor: 0x8086, PCISubsystemVendor: 0x8086},
			"intel", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"PCI vendor beats a conflicting model", DriveFacts{Model: "Samsung SSD 970 EVO", Transport: "nvme", PCIVendor: 0x1344},
			"micron", []string{EvidencePCIVendor}, "", "conflict"},
		{"YMTC ZhiTai", DriveFacts{Model: "ZHITAI TiPlus5000 1TB", Transport: "nvme", PCIVendor: 0x1e49, PCISubsystemVendor: 0x1e49},
			"ymtc", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},

		// SATA: the SCSI vendor is "ATA", the model decides.
		{"Crucial MX500", DriveFacts{Model: "CT2000MX500SSD1", VendorRaw: "ATA", Transport: "sata"}, "crucial", []string{EvidenceModelPrefix}, "", ""},
		{"Crucial_ prefix", DriveFacts{Model: "Crucial_CT256MX100SSD1", VendorRaw: "ATA", Transport: "sata"}, "crucial", []string{EvidenceModelPrefix}, "", ""},
		{"Crucial m4", DriveFacts{Model: "M4-CT128M4SSD2", VendorRaw: "ATA", Transport: "sata"}, "crucial", []string{EvidenceModelPrefix}, "", ""},
		{"Micron 5300", DriveFacts{Model: "Micron_5300_MTFDDAK480TDS", VendorRaw: "ATA", Transport: "sata"}, "micron", []string{EvidenceModelPrefix}, "", ""},
		{"Micron bare MTFD", DriveFacts{Model: "MTFDDAK480TDS-1AW1ZABYY", VendorRaw: "ATA", Transport: "sata"}, "micron", []string{EvidenceModelPrefix}, "", ""},
		{"Samsung MZ OEM", DriveFacts{Model: "MZ7LH960HAJR-00005", VendorRaw: "ATA", Transport: "sata"}, "samsung", []string{EvidenceModelPrefix}, "", ""},
		{"SK hynix HFS", DriveFacts{Model: "HFS480G3H2X069N", VendorRaw: "ATA", Transport: "sata"}, "skhynix", []string{EvidenceModelPrefix}, "", ""},
		{"Kingston A400", DriveFacts{Model: "KINGSTON SA400S37240G", VendorRaw: "ATA", Transport: "sata"}, "kingston", []string{EvidenceModelPrefix}, "", ""},
		{"WD HDD", DriveFacts{Model: "WDC WD40EFRX-68N32N0", VendorRaw: "ATA", Transport: "sata"}, "westerndigital", []string{EvidenceModelPrefix}, "", ""},
		{"WD Blue SATA SSD is SanDisk", DriveFacts{Model: "WDC WDS500G2B0A-00SM50", VendorRaw: "ATA", Transport: "sata"}, "sandisk", []string{EvidenceModelPrefix}, "", ""},
		{"Seagate HDD", DriveFacts{Model: "ST4000DM004-2CV104", VendorRaw: "ATA", Transport: "sata"}, "seagate", []string{EvidenceModelPrefix}, "", ""},
		{"Toshiba HDD stays Toshiba", DriveFacts{Model: "TOSHIBA MG07ACA14TE", VendorRaw: "ATA", Transport: "sata"}, "toshiba", []string{EvidenceModelPrefix}, "", ""},
		{"Toshiba SSD is Kioxia", DriveFacts{Model: "TOSHIBA THNSN5512GPU7", VendorRaw: "ATA", Transport: "sata"}, "kioxia", []string{EvidenceModelPrefix}, "", ""},
		{"Toshiba unknown family", DriveFacts{Model: "TOSHIBA XYZ123", VendorRaw: "ATA", Transport: "sata"}, "toshiba", []string{EvidenceModelPrefix}, "", "unrecognised family"},
		{"Intel SATA SSD", DriveFacts{Model: "INTEL SSDSC2KB960G8", VendorRaw: "ATA", Transport: "sata"}, "intel", []string{EvidenceModelPrefix}, "", ""},
		{"Intel bare SSDSC", DriveFacts{Model: "SSDSC2BB480G7", VendorRaw: "ATA", Transport: "sata"}, "intel", []string{EvidenceModelPrefix}, "", ""},
		{"SanDisk", DriveFacts{Model: "SanDisk SDSSDH3500G", VendorRaw: "ATA", Transport: "sata"}, "sandisk", []string{EvidenceModelPrefix}, "", ""},
		{"HGST HDD", DriveFacts{Model: "HGST HUS726040ALE610", VendorRaw: "ATA", Transport: "sata"}, "hgst", []string{EvidenceModelPrefix}, "", ""},
		{"Hitachi HDD is HGST", DriveFacts{Model: "Hitachi HDS721010CLA332", VendorRaw: "ATA", Transport: "sata"}, "hgst", []string{EvidenceModelPrefix}, "", ""},
		{"unknown model", DriveFacts{Model: "SuperDrive 3000", VendorRaw: "ATA", Transport: "sata"}, "", nil, "", ""},

		// SAS/SCSI vendor strings.
		{"SAS Seagate", DriveFacts{Model: "ST600MM0009", VendorRaw: "SEAGATE", Transport: "sas"}, "seagate", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", ""},
		{"SAS vendor only", DriveFacts{Model: "X425_STBTE900A10", VendorRaw: "SEAGATE", Transport: "sas"}, "seagate", []string{EvidenceSCSIVendor}, "", ""},
		{"SAS Toshiba SSD, vendor TOSHIBA (related)", DriveFacts{Model: "PX05SMB040", VendorRaw: "TOSHIBA", Transport: "sas"}, "kioxia", []string{EvidenceModelPrefix}, "", "related to kioxia"},
		{"SAS HGST vendor", DriveFacts{Model: "HUH721212AL5200", VendorRaw: "HGST", Transport: "sas"}, "hgst", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", ""},
		{"SAS WD Ultrastar", DriveFacts{Model: "WUH721414AL5204", VendorRaw: "WDC", Transport: "sas"}, "westerndigital", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", ""},
		{"HP-labelled SAS drive is an OEM part", DriveFacts{Model: "EG0600FBDSR", VendorRaw: "HP", Transport: "sas"}, "hpe", []string{EvidenceSCSIVendor}, "", "OEM"},
		{"Dell-labelled", DriveFacts{Model: "ST2000NM0023", VendorRaw: "DELL", Transport: "sas"}, "seagate", []string{EvidenceModelPrefix}, "", "conflict"},
		{"unknown SCSI vendor", DriveFacts{Model: "FOO", VendorRaw: "ACMEDISK", Transport: "sas"}, "", nil, "", "names no known maker"},

		// USB: bridge vendors name nobody.
		{"USB bridge", DriveFacts{Model: "USB3.0 Disk", VendorRaw: "JMicron", Transport: "usb"}, "", nil, "", ""},
		{"USB stick", DriveFacts{Model: "DataTraveler 3.0", VendorRaw: "Kingston", Transport: "usb"}, "kingston", []string{EvidenceSCSIVendor}, "", ""},

		// Virtual disks: no guess.
		{"virtio, nothing known", DriveFacts{Transport: "virtio", PCIVendor: 0x1af4}, "", nil, "", "virtual"},
		{"virtio without PCI", DriveFacts{Transport: "virtio"}, "", nil, "", "virtual"},
		{"QEMU disk", DriveFacts{Model: "QEMU HARDDISK", VendorRaw: "ATA", Transport: "sata"}, "", nil, "", "virtual"},
		{"QEMU NVMe", DriveFacts{Model: "QEMU NVMe Ctrl", Transport: "nvme", PCIVendor: 0x1b36, PCISubsystemVendor: 0x1af4}, "", nil, "", "virtual"},
		{"VMware", DriveFacts{Model: "Virtual disk", VendorRaw: "VMware", Transport: "sas"}, "", nil, "", "virtual"},
		{"EBS", DriveFacts{Model: "Amazon Elastic Block Store", Transport: "nvme", PCIVendor: 0x1d0f, PCISubsystemVendor: 0x1d0f}, "", nil, "", "virtual"},
		{"nothing at all", DriveFacts{}, "", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IdentifyDrive(tt.f)
			if got.Vendor.ID != tt.vendor || !slices.Equal(got.Vendor.Evidence, tt.evidence) {
				t.Errorf("Vendor = {%s %v}, want {%s %v} (warnings %q)", got.Vendor.ID, got.Vendor.Evidence, tt.vendor, tt.evidence, got.Warnings)
			}
			if got.Controller.ID != tt.controller {
				t.Errorf("Controller = %q, want %q", got.Controller.ID, tt.controller)
			}
			if tt.controller != "" && !slices.Equal(got.Controller.Evidence, []string{EvidencePCIVendor}) {
				t.Errorf("Controller evidence = %v", got.Controller.Evidence)
			}
			if tt.warn == "" && len(got.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", got.Warnings)
			}
			if tt.warn != "" && !anyContains(got.Warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", got.Warnings, tt.warn)
			}
		})
	}
}
