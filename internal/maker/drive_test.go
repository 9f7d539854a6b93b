package maker

import (
	"slices"
	"strings"
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
			"samsung", []string{EvidencePCIVendor, EvidenceModelName}, "", "sold under Dell's label"},
		{"Kioxia via Toshiba PCI id", DriveFacts{Model: "KXG60ZNV256G TOSHIBA", Transport: "nvme", PCIVendor: 0x1179, PCISubsystemVendor: 0x1179},
			"kioxia", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", ""},
		{"Dell-branded Kioxia CM6", DriveFacts{Model: "Dell Ent NVMe CM6 RI 1.92TB", Transport: "nvme", PCIVendor: 0x1e0f, PCISubsystemVendor: 0x1028},
			"kioxia", []string{EvidencePCIVendor}, "", "sold under Dell's label"},
		{"Phison controller, Seagate subsystem", DriveFacts{Model: "Seagate FireCuda 520 SSD ZP1000GM30002", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1bb1},
			"seagate", []string{EvidencePCISubsystem, EvidenceModelPrefix}, "phison", ""},
		{"Phison controller, brand in the model", DriveFacts{Model: "Sabrent Rocket 4.0 1TB", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			"sabrent", []string{EvidenceModelPrefix}, "phison", ""},
		{"Phison reference firmware: only the controller is known", DriveFacts{Model: "PHISON ESR01TBTLCG-EAC-4", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			"", nil, "phison", "only the controller's maker"},
		{"SMI reference firmware: only the controller is known", DriveFacts{Model: "SM2263XT NVMe 512GB", Transport: "nvme", PCIVendor: 0x126f, PCISubsystemVendor: 0x126f},
			"", nil, "siliconmotion", "only the controller's maker"},
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
		// The host's media tells a Toshiba SSD of an unknown family from a
		// disk: Toshiba's SSDs are Kioxia's (Toshiba Memory's).
		{"Toshiba unknown family, solid state", DriveFacts{Model: "TOSHIBA XYZ123", VendorRaw: "ATA", Transport: "sata", Media: "ssd"}, "kioxia", []string{EvidenceModelPrefix}, "", "solid-state drive of an unrecognised family"},
		{"Toshiba unknown family, rotating", DriveFacts{Model: "TOSHIBA XYZ123", VendorRaw: "ATA", Transport: "sata", Media: "hdd"}, "toshiba", []string{EvidenceModelPrefix}, "", "unrecognised family"},
		{"Toshiba HDD family stays Toshiba whatever the media", DriveFacts{Model: "TOSHIBA MQ01ABD100", VendorRaw: "ATA", Transport: "sata", Media: "ssd"}, "toshiba", []string{EvidenceModelPrefix}, "", ""},
		{"Toshiba TL100 SSD", DriveFacts{Model: "TOSHIBA-TL100", VendorRaw: "ATA", Transport: "sata"}, "kioxia", []string{EvidenceModelPrefix}, "", ""},
		{"Intel SATA SSD", DriveFacts{Model: "INTEL SSDSC2KB960G8", VendorRaw: "ATA", Transport: "sata"}, "intel", []string{EvidenceModelPrefix}, "", ""},
		{"Intel bare SSDSC", DriveFacts{Model: "SSDSC2BB480G7", VendorRaw: "ATA", Transport: "sata"}, "intel", []string{EvidenceModelPrefix}, "", ""},
		{"SanDisk", DriveFacts{Model: "SanDisk SDSSDH3500G", VendorRaw: "ATA", Transport: "sata"}, "sandisk", []string{EvidenceModelPrefix}, "", ""},
		{"HGST HDD", DriveFacts{Model: "HGST HUS726040ALE610", VendorRaw: "ATA", Transport: "sata"}, "hgst", []string{EvidenceModelPrefix}, "", ""},
		{"Hitachi HDD is HGST", DriveFacts{Model: "Hitachi HDS721010CLA332", VendorRaw: "ATA", Transport: "sata"}, "hgst", []string{EvidenceModelPrefix}, "", ""},
		{"unknown model", DriveFacts{Model: "SuperDrive 3000", VendorRaw: "ATA", Transport: "sata"}, "", nil, "", ""},

		// smartctl's model family, from its own (maybe newer) drive
		// database: it names the maker of a model nothing else names,
		// agrees with or yields to stronger evidence, and a family named
		// after a controller or two makers names nobody.
		{"family names the maker of a model no rule knows", DriveFacts{Model: "QZ9T0-00ABCD0", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Western Digital Red Plus"},
			"westerndigital", []string{EvidenceModelFamily}, "", ""},
		{"family's SSD lineage (WD Blue SSDs are SanDisk's)", DriveFacts{Model: "QZ500G-SSD", VendorRaw: "ATA", Transport: "sata", ModelFamily: "WD Blue / Red / Green SSDs"},
			"sandisk", []string{EvidenceModelFamily}, "", ""},
		{"family agrees with the model prefix", DriveFacts{Model: "WDC WD999ZZZZ-00ABCD0", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Western Digital Red Plus"},
			"westerndigital", []string{EvidenceModelPrefix, EvidenceModelFamily}, "", ""},
		{"family of a related maker counts for the model's brand", DriveFacts{Model: "WDC WUH721414ALE6L4", VendorRaw: "ATA", Transport: "sata", ModelFamily: "HGST Ultrastar He10"},
			"westerndigital", []string{EvidenceModelPrefix, EvidenceModelFamily}, "", ""},
		{"family naming a brand after its controller", DriveFacts{Model: "QZ240G", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Marvell based SanDisk SSDs"},
			"sandisk", []string{EvidenceModelFamily}, "", ""},
		{"controller family names nobody", DriveFacts{Model: "QZ240G", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Phison Driven SSDs"},
			"", nil, "", ""},
		{"controller family names nobody (based)", DriveFacts{Model: "QZ240G", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Silicon Motion based SSDs"},
			"", nil, "", ""},
		{"family of a brand and its owner names the owner", DriveFacts{Model: "QZ240G", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Crucial/Micron Client SSDs"},
			"micron", []string{EvidenceModelFamily}, "", ""},
		{"family of two makers names nobody", DriveFacts{Model: "QZ240G", VendorRaw: "ATA", Transport: "sata", ModelFamily: "IBM/Hitachi Deskstar 120GXP"},
			"", nil, "", ""},
		{"model rule beats a disagreeing family", DriveFacts{Model: "ST4000DM004-2CV104", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Western Digital Red Plus"},
			"seagate", []string{EvidenceModelPrefix}, "", `conflict: smartctl model family "Western Digital Red Plus" says westerndigital`},
		{"PCI vendor beats a disagreeing family", DriveFacts{Model: "QZ1000", Transport: "nvme", PCIVendor: 0x1344, ModelFamily: "Samsung based SSDs"},
			"micron", []string{EvidencePCIVendor}, "", "conflict"},
		{"drivedb family beats a disagreeing family", DriveFacts{Model: "16GB SATA Flash Drive", VendorRaw: "ATA", Transport: "sata", ModelFamily: "Seagate BarraCuda 3.5"},
			"apacer", []string{EvidenceDriveDB}, "", "conflict"},

		// SAS/SCSI vendor strings.
		{"SAS Seagate", DriveFacts{Model: "ST600MM0009", VendorRaw: "SEAGATE", Transport: "sas"}, "seagate", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", ""},
		{"SAS vendor only", DriveFacts{Model: "X425_STBTE900A10", VendorRaw: "SEAGATE", Transport: "sas"}, "seagate", []string{EvidenceSCSIVendor}, "", ""},
		{"SAS Toshiba SSD, vendor TOSHIBA (related)", DriveFacts{Model: "PX05SMB040", VendorRaw: "TOSHIBA", Transport: "sas"}, "kioxia", []string{EvidenceModelPrefix}, "", "related to kioxia"},
		{"SAS HGST vendor", DriveFacts{Model: "HUH721212AL5200", VendorRaw: "HGST", Transport: "sas"}, "hgst", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", ""},
		{"SAS WD Ultrastar", DriveFacts{Model: "WUH721414AL5204", VendorRaw: "WDC", Transport: "sas"}, "westerndigital", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", ""},
		{"HP-labelled SAS drive is an OEM part", DriveFacts{Model: "EG0600FBDSR", VendorRaw: "HP", Transport: "sas"}, "", nil, "", "is an OEM"},
		{"Dell-labelled", DriveFacts{Model: "ST2000NM0023", VendorRaw: "DELL", Transport: "sas"}, "seagate", []string{EvidenceModelPrefix}, "", "sold under Dell's label"},
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

func TestWWNCompanyID(t *testing.T) {
	tests := []struct {
		in     string
		oui    uint32
		format string
		err    string // substring; "" = no error
	}{
		{"naa.500a07512c1a2b3c", 0x00A075, "naa5", ""}, // Micron SATA SSD (ATA IDENTIFY words 108-111)
		{"0x5000c500a1b2c3d4", 0x000C50, "naa5", ""},   // Seagate, udev's form
		{"naa.5000cca264c8a1b2", 0x000CCA, "naa5", ""}, // HGST
		{"naa.55cd2e404b6f1234", 0x5CD2E4, "naa5", ""}, // Intel SSD
		{"naa.600508b1001c2d3e4f5a6b7c8d9e0f10", 0x00508B, "naa6", ""},
		{"naa.2000001b3212abcd", 0x001B32, "naa2", ""},
		{"naa.3000000000000001", 0, "", "locally assigned"},
		{"naa.e000000000000001", 0, "", "reserved NAA type 14"},
		{"eui.0025388b91b2c3d4", 0x002538, "eui64", ""},                 // Samsung EUI-64
		{"00 25 38 8b 91 b2 c3 d4", 0x002538, "eui64", ""},              // sysfs eui attribute
		{"eui.36344630527001230025384500000001", 0x002538, "nguid", ""}, // Samsung NGUID: EUI-64 in bytes 8-15
		{"36344630-5270-0123-0025-384500000001", 0x002538, "nguid", ""}, // sysfs nguid attribute
		{"eui.01000000010000005cd2e4a1b2c3d4e5", 0x5CD2E4, "nguid", ""}, // Intel NGUID
		{"eui.12345678123456780000000000000000", 0, "", "no EUI-64 in bytes 8-15"},
		{"nvme.1344-3230-4d-00000001", 0, "", "PCI vendor id"},
		{"uuid.1b4e28ba-2fa1-11d2-883f-0016d3cca427", 0, "", "no IEEE company id"},
		{"eui.0000000000000000", 0, "", "all zeros"},
		{"eui.0025", 0, "", "neither an EUI-64"},
		{"naa.50", 0, "", "want 8 or 16"},
		{"naa.zz", 0, "", "not hex"},
		{"", 0, "", "empty"},
	}
	for _, tt := range tests {
		oui, format, err := wwnCompanyID(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("wwnCompanyID(%q) = %06X, %q, %v; want error containing %q", tt.in, oui, format, err, tt.err)
			}
			continue
		}
		if err != nil || oui != tt.oui || format != tt.format {
			t.Errorf("wwnCompanyID(%q) = %06X, %q, %v; want %06X, %q", tt.in, oui, format, err, tt.oui, tt.format)
		}
	}
}

// TestOUITable pins the storage makers' company ids the issue names (each
// checked in oui.csv) and keeps OEM and look-alike ids out of the table.
func TestOUITable(t *testing.T) {
	for oui, want := range map[uint32]string{
		0x000CCA: "hgst", 0x00A075: "micron", 0x000C50: "seagate", 0x000039: "toshiba", 0x002538: "samsung",
		0x5CD2E4: "intel", 0x001B44: "sandisk", 0x0026B7: "kingston", 0x0014EE: "westerndigital", 0xACE42E: "skhynix",
		0x8CE38E: "kioxia", 0x38F601: "ssstc", 0x6479A7: "phison", 0xACA32F: "solidigm",
	} {
		if got, ok := makerByOUI(oui); !ok || got != want {
			t.Errorf("makerByOUI(%06X) = %q, %v; want %q", oui, got, ok, want)
		}
	}
	for oui, why := range map[uint32]string{
		0x00508B: "Hewlett Packard: an OEM's id (Smart Array volumes) names no drive maker",
		0x001EC9: "Dell: an OEM",
		0x805067: "W & D Technology is not WD",
		0x40FE0D: "MAXIO (Korea) is not the Hangzhou controller maker",
	} {
		if got, ok := makerByOUI(oui); ok {
			t.Errorf("makerByOUI(%06X) = %q: %s", oui, got, why)
		}
	}
	for i := 1; i < len(ouiMakers); i++ {
		if ouiMakers[i-1].oui >= ouiMakers[i].oui {
			t.Fatalf("ouiMakers not sorted at %06X", ouiMakers[i].oui)
		}
	}
	for _, r := range ouiMakers {
		if m := lookupSlug(r.slug); m == nil || !m.Curated || oemSlugs[r.slug] {
			t.Errorf("ouiMakers %06X: slug %q is not a catalogue drive maker", r.oui, r.slug)
		}
	}
}

// TestDriveTablesNameKnownMakers keeps every slug the drive tables use
// resolvable (an unknown slug would leave a maker without a name).
func TestDriveTablesNameKnownMakers(t *testing.T) {
	for id, p := range pciVendors {
		if p.slug != "" && lookupSlug(p.slug) == nil {
			t.Errorf("pciVendors %04x: unknown slug %q", id, p.slug)
		}
	}
	for _, r := range append(modelRules(), appleSSDRules()...) {
		if lookupSlug(r.slug) == nil {
			t.Errorf("model rule %s: unknown slug %q", r.re, r.slug)
		}
		if r.ssd != "" && lookupSlug(r.ssd) == nil {
			t.Errorf("model rule %s: unknown SSD maker slug %q", r.re, r.ssd)
		}
	}
	for _, o := range oemModels() {
		if !oemSlugs[o.slug] {
			t.Errorf("OEM scheme %s: %q is not an OEM", o.re, o.slug)
		}
	}
	for v, slug := range oemVendors {
		if !oemSlugs[slug] {
			t.Errorf("oemVendors %q: %q is not an OEM", v, slug)
		}
	}
}

func TestIdentifyDriveEvidence(t *testing.T) {
	tests := []struct {
		name       string
		f          DriveFacts
		kind       DriveKind
		vendor     string
		evidence   []string
		controller string
		oem        string
		warn       string // substring of a warning; "" = no warnings
	}{
		// Company ids.
		{"HPE-labelled Micron SATA SSD: Micron's OUI in the WWN",
			DriveFacts{Model: "MK000480GWUGF", VendorRaw: "ATA", Transport: "sata", WWN: "naa.500a07512c1a2b3c"},
			DriveKindPhysical, "micron", []string{EvidenceWWNOUI}, "", "hpe", "sold under Hewlett Packard Enterprise's label"},
		{"HPE-labelled Micron, udev's WWN form", DriveFacts{Model: "VK000960GWEZD", VendorRaw: "ATA", Transport: "sata", WWN: "0x500a0751e1a2b3c4"},
			DriveKindPhysical, "micron", []string{EvidenceWWNOUI}, "", "hpe", "made by Micron"},
		{"HPE-labelled Intel is not Toshiba", DriveFacts{Model: "MK0200GEYKC", VendorRaw: "ATA", Transport: "sata", WWN: "naa.55cd2e404b6f1234"},
			DriveKindPhysical, "intel", []string{EvidenceWWNOUI}, "", "hpe", "made by Intel"},
		{"HPE-labelled without a WWN: unknown, not Toshiba", DriveFacts{Model: "MK0200GEYKC", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "", nil, "", "hpe", "is an OEM"},
		{"HP SAS drive: Seagate's OUI", DriveFacts{Model: "EG0600FBDSR", VendorRaw: "HP", Transport: "sas", WWN: "naa.5000c5008a1b2c3d"},
			DriveKindPhysical, "seagate", []string{EvidenceWWNOUI}, "", "hpe", "made by Seagate"},
		{"Crucial drive with Micron's OUI is Crucial", DriveFacts{Model: "CT1000MX500SSD1", VendorRaw: "ATA", Transport: "sata", WWN: "naa.500a0751f1a2b3c4"},
			DriveKindPhysical, "crucial", []string{EvidenceWWNOUI, EvidenceModelPrefix}, "", "", ""},
		{"Toshiba SSD with Toshiba's OUI is Kioxia", DriveFacts{Model: "TOSHIBA THNSN5512GPU7", VendorRaw: "ATA", Transport: "sata", WWN: "naa.500080d91a2b3c4d"},
			DriveKindPhysical, "kioxia", []string{EvidenceWWNOUI, EvidenceModelPrefix}, "", "", ""},
		{"WD Ultrastar with HGST's OUI", DriveFacts{Model: "WUH721414ALE6L4", VendorRaw: "ATA", Transport: "sata", WWN: "naa.5000cca2a1b2c3d4"},
			DriveKindPhysical, "westerndigital", []string{EvidenceWWNOUI, EvidenceModelPrefix}, "", "", ""},
		{"Samsung NVMe by NGUID", DriveFacts{Model: "PM9A3 960GB", Transport: "nvme", NGUID: "36344630-5270-0123-0025-384500000001"},
			DriveKindPhysical, "samsung", []string{EvidenceWWNOUI}, "", "", ""},
		{"Dell-labelled NVMe: Samsung's controller IEEE OUI under Dell's subsystem id", DriveFacts{Model: "Dell Ent NVMe PM1725a MU 1.6TB", Transport: "nvme", PCISubsystemVendor: 0x1028, IEEEOUI: "0x002538"},
			DriveKindPhysical, "samsung", []string{EvidenceWWNOUI}, "", "dell", "made by Samsung"},
		{"a zero controller IEEE OUI names nobody", DriveFacts{Model: "NVMe SSD 1TB", Transport: "nvme", IEEEOUI: "000000"},
			DriveKindPhysical, "", nil, "", "", ""},
		{"Phison's controller IEEE OUI names the controller only", DriveFacts{Model: "NVMe SSD 1TB", Transport: "nvme", IEEEOUI: "6479a7"},
			DriveKindPhysical, "", nil, "phison", "", "only the controller's maker"},
		{"Phison's OUI in the EUI-64 names the controller only", DriveFacts{Model: "E12 NVMe 1TB", Transport: "nvme", EUI64: "6479a7 1a2b3c4d5e"},
			DriveKindPhysical, "", nil, "phison", "", "only the controller's maker"},
		{"a controller company's OUI on a SATA drive (its HBA's) names nothing", DriveFacts{Model: "SATA SSD", VendorRaw: "ATA", Transport: "sata", WWN: "naa.50050430a1b2c3d4"},
			DriveKindPhysical, "", nil, "", "", ""},
		{"OUI against a different maker's model: conflict reported", DriveFacts{Model: "ST4000DM004-2CV104", VendorRaw: "ATA", Transport: "sata", WWN: "naa.500a07512c1a2b3c"},
			DriveKindPhysical, "micron", []string{EvidenceWWNOUI}, "", "", "conflict"},
		{"NVMe fallback wwid carries no company id", DriveFacts{Model: "Samsung SSD 970 EVO 1TB", Transport: "nvme", PCIVendor: 0x144d, WWN: "nvme.144d-5333-53-00000001"},
			DriveKindPhysical, "samsung", []string{EvidencePCIVendor, EvidenceModelPrefix}, "", "", ""},
		{"NAA 3 is locally assigned: no evidence", DriveFacts{Model: "X425_STBTE900A10", VendorRaw: "NETAPP", Transport: "sas", WWN: "naa.3000000000000001"},
			DriveKindPhysical, "", nil, "", "", ""},

		{"NVMe fallback wwid gives the PCI vendor when the PCI ids are unread", DriveFacts{Model: "E12 NVMe 1TB", Transport: "nvme", WWN: "nvme.1344-3230-4d-00000001"},
			DriveKindPhysical, "micron", []string{EvidencePCIVendor}, "", "", ""},
		{"NVMe fallback wwid of a controller maker", DriveFacts{Model: "NVMe SSD 1TB", Transport: "nvme", WWN: "nvme.1987-3230-4d-00000001"},
			DriveKindPhysical, "", nil, "phison", "", "only the controller's maker"},
		{"USB stick reporting its controller's maker", DriveFacts{Model: "USB DISK", VendorRaw: "SMI", Transport: "usb"},
			DriveKindPhysical, "", nil, "siliconmotion", "", "only the controller's maker"},
		{"JetFlash is Transcend", DriveFacts{Model: "Transcend 32GB", VendorRaw: "JetFlash", Transport: "usb"},
			DriveKindPhysical, "transcend", []string{EvidenceModelPrefix, EvidenceSCSIVendor}, "", "", ""},
		{"Toshiba's own MK....GSXB is not an HPE part", DriveFacts{Model: "TOSHIBA MK2552GSXB", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "toshiba", []string{EvidenceModelPrefix}, "", "", ""},
		{"Toshiba MK....GSXB without the brand is not an HPE part", DriveFacts{Model: "MK2552GSXB", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "toshiba", []string{EvidenceModelPrefix}, "", "", ""},

		{"HPE-labelled Toshiba SAS SSD: Toshiba's OUI on an SSD is Kioxia's", DriveFacts{Model: "EO000400JWDKP", VendorRaw: "HP", Transport: "sas", Media: "ssd", WWN: "naa.50000396dc8a1b2c"},
			DriveKindPhysical, "kioxia", []string{EvidenceWWNOUI}, "", "hpe", "SSD business is kioxia's"},
		{"HPE-labelled Toshiba SAS HDD stays Toshiba", DriveFacts{Model: "EG0900JFCKB", VendorRaw: "HP", Transport: "sas", Media: "hdd", WWN: "naa.50000398a1b2c3d4"},
			DriveKindPhysical, "toshiba", []string{EvidenceWWNOUI}, "", "hpe", "made by Toshiba"},

		// Narrowed prefix rules.
		{"Hitachi HDE is HGST, not Toshiba", DriveFacts{Model: "HDE721010SLA330", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "hgst", []string{EvidenceModelPrefix}, "", "", ""},
		{"Toshiba laptop disk still Toshiba", DriveFacts{Model: "TOSHIBA MK1059GSM", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "toshiba", []string{EvidenceModelPrefix}, "", "", ""},
		{"Toshiba X300 retail", DriveFacts{Model: "TOSHIBA HDWE140", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "toshiba", []string{EvidenceModelPrefix}, "", "", ""},

		// New makers and brands.
		{"Seagate Nytro XA", DriveFacts{Model: "XA960LE10063", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "seagate", []string{EvidenceModelPrefix}, "", "", ""},
		{"SanDisk CloudSpeed", DriveFacts{Model: "SDLFNDAR-480G-1HA1", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "sandisk", []string{EvidenceModelPrefix}, "", "", ""},
		{"OCZ", DriveFacts{Model: "OCZ-VERTEX4", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "ocz", []string{EvidenceModelPrefix}, "", "", ""},
		{"Plextor", DriveFacts{Model: "PLEXTOR PX-256M6S", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "plextor", []string{EvidenceModelPrefix}, "", "", ""},
		{"Lite-On", DriveFacts{Model: "LITEON CV3-8D512", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "liteon", []string{EvidenceModelPrefix}, "", "", ""},
		{"Huawei ES3000 by PCI id", DriveFacts{Model: "HWE52P431T6M002N", Transport: "nvme", PCIVendor: 0x19e5, PCISubsystemVendor: 0x19e5},
			DriveKindPhysical, "huawei", []string{EvidencePCISubsystem, EvidencePCIVendor}, "", "", ""},
		{"Netac by PCI id", DriveFacts{Model: "Netac NVMe SSD 1TB", Transport: "nvme", PCIVendor: 0x1f40, PCISubsystemVendor: 0x1f40},
			DriveKindPhysical, "netac", []string{EvidencePCISubsystem, EvidencePCIVendor, EvidenceModelPrefix}, "", "", ""},
		{"SCY by PCI id on a Silicon Motion design", DriveFacts{Model: "SCY S1000 512GB", Transport: "nvme", PCIVendor: 0x1f03, PCISubsystemVendor: 0x1f03},
			DriveKindPhysical, "scy", []string{EvidencePCISubsystem, EvidencePCIVendor}, "", "", ""},
		{"Patriot Viper on Phison", DriveFacts{Model: "Viper VPN100", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			DriveKindPhysical, "patriot", []string{EvidenceModelPrefix}, "phison", "", ""},
		{"MSI on Phison", DriveFacts{Model: "MSI M480 PRO 2TB", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			DriveKindPhysical, "msi", []string{EvidenceModelPrefix}, "phison", "", ""},
		{"Gigabyte on Phison", DriveFacts{Model: "GIGABYTE GP-AG41TB", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			DriveKindPhysical, "gigabyte", []string{EvidenceModelPrefix}, "phison", "", ""},
		{"Corsair MP600 on Phison", DriveFacts{Model: "Force MP600", Transport: "nvme", PCIVendor: 0x1987, PCISubsystemVendor: 0x1987},
			DriveKindPhysical, "corsair", []string{EvidenceModelPrefix}, "phison", "", ""},
		{"Apple SSD SM is Samsung", DriveFacts{Model: "APPLE SSD SM0256G", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "samsung", []string{EvidenceModelPrefix}, "", "applecomputer", "made by Samsung"},
		{"Apple HDD keeps its maker's model", DriveFacts{Model: "APPLE HDD HTS541010A9E662", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "hgst", []string{EvidenceModelPrefix}, "", "applecomputer", "made by HGST"},
		{"Apple's own NVMe: unknown", DriveFacts{Model: "APPLE SSD AP0512M", Transport: "nvme", PCIVendor: 0x106b, PCISubsystemVendor: 0x106b},
			DriveKindPhysical, "", nil, "", "applecomputer", "is an OEM"},
		{"Lenovo SCSI vendor labels", DriveFacts{Model: "ST300MM0008", VendorRaw: "LENOVO-X", Transport: "sas", WWN: "naa.5000c5007a1b2c3d"},
			DriveKindPhysical, "seagate", []string{EvidenceWWNOUI, EvidenceModelPrefix}, "", "lenovo", "sold under Lenovo's label"},

		// smartmontools' drive database, for models no rule covers; the
		// family names the maker. Models from drivedb.h's "tested with" notes.
		{"Innodisk by drivedb family", DriveFacts{Model: "2.5\" SATA SSD 3ME", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "innodisk", []string{EvidenceDriveDB}, "", "", ""},
		{"Apacer by drivedb family", DriveFacts{Model: "16GB SATA Flash Drive", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "apacer", []string{EvidenceDriveDB}, "", "", ""},
		{"Samsung-era Seagate laptop disk by drivedb family", DriveFacts{Model: "ST500LM012 HN-M500MBB", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "seagate", []string{EvidenceModelPrefix}, "", "", ""},
		{"controller-based drivedb family names nobody", DriveFacts{Model: "SATA SSD", VendorRaw: "ATA", Transport: "sata"},
			DriveKindPhysical, "", nil, "", "", ""},

		// RAID volumes and virtual disks: what they are, no maker.
		{"HP Smart Array volume", DriveFacts{Model: "LOGICAL VOLUME", VendorRaw: "HP", Transport: "sas", WWN: "naa.600508b1001c2d3e4f5a6b7c8d9e0f10"},
			DriveKindRAIDVolume, "", nil, "", "", "not visible to the scan"},
		{"Dell PERC volume", DriveFacts{Model: "PERC H710P", VendorRaw: "DELL", Transport: "sas", WWN: "naa.6c81f660ef0d3a001f2e3d4c5b6a7980"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"MegaRAID volume", DriveFacts{Model: "MR9361-8i", VendorRaw: "AVAGO", Transport: "sas"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"LSI vendor", DriveFacts{Model: "MegaRAID SAS RMB", VendorRaw: "LSI", Transport: "sas"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"IBM ServeRAID", DriveFacts{Model: "ServeRAID M5110e", VendorRaw: "IBM", Transport: "sas"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"Adaptec volume", DriveFacts{Model: "RAID1", VendorRaw: "Adaptec", Transport: "sas"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"Dell BOSS", DriveFacts{Model: "DELLBOSS VD", VendorRaw: "ATA", Transport: "sata"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"HPE MR controller volume", DriveFacts{Model: "MR416i-a Gen10+", VendorRaw: "HPE", Transport: "sas"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"Fujitsu PRAID volume", DriveFacts{Model: "PRAID EP420i", VendorRaw: "FTS", Transport: "sas"},
			DriveKindRAIDVolume, "", nil, "", "", "RAID logical volume"},
		{"bhyve disk", DriveFacts{Model: "BHYVE SATA DISK", VendorRaw: "ATA", Transport: "sata"},
			DriveKindVirtual, "", nil, "", "", "virtual"},
		{"Hyper-V virtual disk", DriveFacts{Model: "Virtual Disk", VendorRaw: "Msft", Transport: "scsi"},
			DriveKindVirtual, "", nil, "", "", "virtual"},
		{"VMware virtual disk with a VMware WWN", DriveFacts{Model: "Virtual disk", VendorRaw: "VMware", Transport: "sas", WWN: "naa.6000c29a1b2c3d4e5f60718293a4b5c6"},
			DriveKindVirtual, "", nil, "", "", "virtual"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IdentifyDrive(tt.f)
			if got.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v", got.Kind, tt.kind)
			}
			if got.Vendor.ID != tt.vendor || !slices.Equal(got.Vendor.Evidence, tt.evidence) {
				t.Errorf("Vendor = {%s %v}, want {%s %v} (warnings %q)", got.Vendor.ID, got.Vendor.Evidence, tt.vendor, tt.evidence, got.Warnings)
			}
			if got.Controller.ID != tt.controller {
				t.Errorf("Controller = %q, want %q", got.Controller.ID, tt.controller)
			}
			if got.OEM.ID != tt.oem {
				t.Errorf("OEM = %q, want %q", got.OEM.ID, tt.oem)
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
