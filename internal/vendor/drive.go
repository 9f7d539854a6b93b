package vendor

import (
	"fmt"
	"strings"

	"github.com/memledger/memledger/internal/lazyregexp"
)

// DriveFacts are what sysfs/udev/NVMe say about one storage device.
type DriveFacts struct {
	Model     string // model string as reported
	VendorRaw string // sysfs/SCSI vendor string ("ATA" for SATA behind libata)
	Transport string // "nvme", "sata", "sas", "usb", "virtio", "mmc", ""
	// PCI ids of an NVMe (or other PCIe) drive; 0 = not PCI or unknown.
	PCIVendor, PCIDevice, PCISubsystemVendor, PCISubsystemDevice uint16
}

// DriveResult is who made a drive and, when a PCI id says so, its
// controller.
type DriveResult struct {
	Vendor     Vendor // the drive's maker
	Controller Vendor // the controller's maker, when the PCI vendor is a controller company
	Warnings   []string
}

// pciRole says what a PCI vendor id tells about a drive.
type pciRole int

const (
	pciDriveMaker pciRole = iota + 1 // the company that makes and sells the drive
	pciController                    // a controller maker: drives of many brands carry it
	pciVirtual                       // a hypervisor or cloud device: no physical maker is exposed
)

type pciVendor struct {
	slug string
	role pciRole
	name string
}

// pciVendors are the PCI vendor ids (pci.ids names) that matter for drives.
// OEM subsystem ids (Dell 1028, HP 103c, HPE 1590, Lenovo 17aa) are not
// listed: an OEM's subsystem id says who sold the machine, not who made the
// drive, so identification falls through to the PCI vendor.
var pciVendors = map[uint16]pciVendor{
	0x1344: {"micron", pciDriveMaker, "Micron Technology Inc"},
	0xc0a9: {"crucial", pciDriveMaker, "Micron/Crucial Technology"},
	0x144d: {"samsung", pciDriveMaker, "Samsung Electronics Co Ltd"},
	0x1c5c: {"skhynix", pciDriveMaker, "SK hynix"},
	0x2646: {"kingston", pciDriveMaker, "Kingston Technology Company, Inc."},
	0x1e0f: {"kioxia", pciDriveMaker, "KIOXIA Corporation"},
	// Toshiba's NVMe drives come from its memory business, now Kioxia
	// (Toshiba's own HDDs are not PCI devices).
	0x1179: {"kioxia", pciDriveMaker, "Toshiba Corporation"},
	0x15b7: {"sandisk", pciDriveMaker, "Sandisk Corp"},
	0x025e: {"solidigm", pciDriveMaker, "Solidigm"},
	0x8086: {"intel", pciDriveMaker, "Intel Corporation"},
	0x1cc1: {"adata", pciDriveMaker, "ADATA Technology Co., Ltd."},
	0x1d97: {"longsys", pciDriveMaker, "Shenzhen Longsys Electronics Co., Ltd."},
	0x1c58: {"hgst", pciDriveMaker, "HGST, Inc."},
	0x101c: {"westerndigital", pciDriveMaker, "Western Digital"},
	0x1b96: {"westerndigital", pciDriveMaker, "Western Digital"},
	0x1bb1: {"seagate", pciDriveMaker, "Seagate Technology PLC"},
	0x1e49: {"ymtc", pciDriveMaker, "Yangtze Memory Technologies Co.,Ltd"},
	0x1e81: {"ramaxel", pciDriveMaker, "Ramaxel Technology(Shenzhen) Limited"},

	0x1987: {"phison", pciController, "Phison Electronics Corporation"},
	0x126f: {"siliconmotion", pciController, "Silicon Motion, Inc."},
	0x1b4b: {"marvell", pciController, "Marvell Technology Group Ltd."},
	0x1e4b: {"maxio", pciController, "MAXIO Technology (Hangzhou) Ltd."},
	0x10ec: {"realtek", pciController, "Realtek Semiconductor Co., Ltd."},

	0x1af4: {"", pciVirtual, "Red Hat, Inc. (virtio)"},
	0x1b36: {"", pciVirtual, "Red Hat, Inc. (QEMU)"},
	0x1d0f: {"", pciVirtual, "Amazon.com, Inc."},
	0x1414: {"", pciVirtual, "Microsoft Corporation"},
	0x15ad: {"", pciVirtual, "VMware"},
	0x80ee: {"", pciVirtual, "InnoTek Systemberatung GmbH (VirtualBox)"},
	0x1ae0: {"", pciVirtual, "Google, Inc."},
}

// modelRule ties a drive model pattern to a maker. Rules are tried in
// order and the first match wins, so specific families come before brand
// prefixes that also cover them (WD's SSDs before "WDC ", Toshiba's SSD
// families before "TOSHIBA").
type modelRule struct {
	slug string
	re   *lazyregexp.Regexp
	note string // added to the warnings when the rule decides
}

var modelRules = []modelRule{
	// Kioxia and the Toshiba SSD families it inherited from Toshiba Memory.
	{slug: "kioxia", re: lazyregexp.New(`^KIOXIA`)},
	{slug: "kioxia", re: lazyregexp.New(`^(?:TOSHIBA[ _-]?)?(?:THN|KSG|KXG|KBG|XG\d|RD\d{3}|RC\d{3}|Q300|TR\d{3}|PX\d{2}|HK\d)`)},
	{slug: "kioxia", re: lazyregexp.New(`^K(?:CD|CM|PM|XD|RM)\d`)},
	// Toshiba hard disks (Toshiba Electronic Devices & Storage).
	{slug: "toshiba", re: lazyregexp.New(`^(?:TOSHIBA[ _-]?)?(?:MG\d{2}[A-Z]{3}|DT01ACA|MQ\d{2}[A-Z]{3}|MD\d{2}[A-Z]{3}|MN\d{2}[A-Z]{3}|AL\d{2}SE|HDW[A-Z]\d|MK\d{4}G|HDE|HDK)`)},
	{slug: "toshiba", re: lazyregexp.New(`^TOSHIBA`),
		note: "Toshiba-branded drive of an unrecognised family: Toshiba makes the hard disks, Kioxia (former Toshiba Memory) the SSDs"},
	// SanDisk, including WD-branded SSDs (the flash business SanDisk took
	// with it in Feb 2025): WDS..., PC SN..., WD_BLACK/Blue/Green/Red SN/SA....
	{slug: "sandisk", re: lazyregexp.New(`^SANDISK`)},
	{slug: "sandisk", re: lazyregexp.New(`^(?:SDSSD|SDAPN|SD\d[A-Z]{2}\d)`)},
	{slug: "sandisk", re: lazyregexp.New(`^(?:WDC[ _]+|WD[ _]+)?WDS\d`)},
	{slug: "sandisk", re: lazyregexp.New(`^(?:WDC[ _]+|WD[ _]+)?PC[ _]SN\d`)},
	{slug: "sandisk", re: lazyregexp.New(`^WD[ _]?(?:BLACK|BLUE|GREEN|RED)[ _]+(?:SN|SA)\d`)},
	// Western Digital hard disks, HGST.
	{slug: "hgst", re: lazyregexp.New(`^(?:HGST|HITACHI)`)},
	{slug: "hgst", re: lazyregexp.New(`^(?:HUS|HUH|HUA|HUC|HTS|HDS|HDT|HTE)\d`)},
	{slug: "westerndigital", re: lazyregexp.New(`^(?:WDC|WD\d|WD[ _]|WD_BLACK|WESTERN DIGITAL|WU[HS]\d)`)},
	// Seagate.
	{slug: "seagate", re: lazyregexp.New(`^(?:SEAGATE|ST\d{2}|Z[AP]\d{3,}[A-Z]{2}\d|XS\d{3,}[A-Z]{2}\d)`)},
	// Solidigm before Intel: a SOLIDIGM model is Solidigm even on an Intel PCI id.
	{slug: "solidigm", re: lazyregexp.New(`^SOLIDIGM`)},
	{slug: "intel", re: lazyregexp.New(`^(?:INTEL|SSDP[EF]|SSDSC)`)},
	// Samsung.
	{slug: "samsung", re: lazyregexp.New(`^(?:SAMSUNG|MZ[0-9A-Z]{8}|MZ-[0-9A-Z]{6})`)},
	// SK hynix.
	{slug: "skhynix", re: lazyregexp.New(`^(?:SK ?HYNIX|SKHYNIX|HYNIX|HF[SMB]\d|SH(?:GP|GS|PP)\d)`)},
	// Micron and Crucial.
	{slug: "micron", re: lazyregexp.New(`^(?:MICRON|MTFD|C\d{3}-MTFD)`)},
	{slug: "crucial", re: lazyregexp.New(`^(?:CRUCIAL|CT\d{2,5}[A-Z0-9]*SSD|M4-CT\d|C300-CT)`)},
	// Kingston.
	{slug: "kingston", re: lazyregexp.New(`^(?:KINGSTON|SA400|SKC\d|SNV\d|SNVS|SEDC\d|SFYR|SUV\d|SA2000|SV300)`)},
	// Others, by brand prefix.
	{slug: "adata", re: lazyregexp.New(`^(?:ADATA|A-DATA|XPG)`)},
	{slug: "lexar", re: lazyregexp.New(`^LEXAR`)},
	{slug: "longsys", re: lazyregexp.New(`^(?:FORESEE|LONGSYS)`)},
	{slug: "transcend", re: lazyregexp.New(`^(?:TRANSCEND|TS\d+[GT][A-Z]{2,}\d)`)},
	{slug: "siliconpower", re: lazyregexp.New(`^(?:SPCC|SILICON ?POWER)`)},
	{slug: "pny", re: lazyregexp.New(`^PNY`)},
	{slug: "corsair", re: lazyregexp.New(`^(?:CORSAIR|FORCE (?:MP|LE|LX|GT|GS)\d*)`)},
	{slug: "patriot", re: lazyregexp.New(`^PATRIOT`)},
	{slug: "teamgroup", re: lazyregexp.New(`^(?:TEAM[ _]|TEAMGROUP|T-FORCE)`)},
	{slug: "phison", re: lazyregexp.New(`^PHISON`)},
	{slug: "ymtc", re: lazyregexp.New(`^(?:YMTC|ZHITAI)`)},
	{slug: "ramaxel", re: lazyregexp.New(`^RAMAXEL`)},
	{slug: "apacer", re: lazyregexp.New(`^APACER`)},
}

// modelBrandRE finds a maker's name inside a model that does not start with
// it ("PC711 NVMe SK hynix 1TB", "BC711 NVMe SK hynix 256GB").
var modelBrandRE = lazyregexp.New(`\b(SK ?HYNIX|KIOXIA|SAMSUNG|MICRON|CRUCIAL|KINGSTON|SANDISK|SEAGATE|LEXAR|ADATA|TRANSCEND|SOLIDIGM|TOSHIBA)\b`)

var modelBrandSlug = map[string]string{
	"SK HYNIX": "skhynix", "SKHYNIX": "skhynix", "KIOXIA": "kioxia", "SAMSUNG": "samsung", "MICRON": "micron",
	"CRUCIAL": "crucial", "KINGSTON": "kingston", "SANDISK": "sandisk", "SEAGATE": "seagate", "LEXAR": "lexar",
	"ADATA": "adata", "TRANSCEND": "transcend", "SOLIDIGM": "solidigm", "TOSHIBA": "toshiba",
}

// scsiVendors maps SCSI/sysfs vendor strings (upper-cased, trimmed) to
// makers where the generic name lookup would be wrong or too weak.
var scsiVendors = map[string]string{
	"HITACHI": "hgst", // Hitachi-branded disks were made by Hitachi GST, now part of WD
	"HP":      "hpe",  // HP-labelled SAS/SCSI drives are HPE server parts (an OEM)
	"WD":      "westerndigital",
	"WDC":     "westerndigital",
}

// notMakers are SCSI vendor strings that never name a drive's maker: the
// ATA translation layer, NVMe, USB bridges and card readers, hypervisors,
// software targets and storage arrays.
var notMakers = map[string]bool{
	"ATA": true, "NVME": true, "GENERIC": true, "USB": true, "USB3.0": true, "MASS": true, "JMICRON": true,
	"ASMT": true, "ASMEDIA": true, "REALTEK": true, "VIA": true, "INITIO": true, "NORELSYS": true,
	"JMS": true, "UAS": true, "ORICO": true, "SABRENT": true, "ULTRA": true, "SSK": true,
	"QEMU": true, "VBOX": true, "VMWARE": true, "VMWARE,": true, "MSFT": true, "GOOGLE": true, "AMAZON": true,
	"LINUX": true, "LIO-ORG": true, "IET": true, "RED HAT": true, "XEN": true,
	"NETAPP": true, "PURE": true, "3PARDATA": true, "DGC": true, "EMC": true, "NEXSAN": true, "COMPELNT": true,
}

// virtualModelRE recognises models of emulated or cloud block devices.
var virtualModelRE = lazyregexp.New(`QEMU|VBOX|VIRTUAL|VMWARE|ELASTIC BLOCK STORE|PERSISTENTDISK|EPHEMERALDISK|INSTANCE STORAGE|XEN`)

// IdentifyDrive identifies the maker of a drive and, when its PCI vendor is
// a controller company, the controller's maker. Evidence is weighed in this
// order: the PCI subsystem vendor when it names a drive maker, the PCI vendor
// when it names a drive maker, the model (prefix, then a maker's name inside
// it), the SCSI vendor string unless it is "ATA" or another non-maker.
// Virtual and cloud disks are reported unknown with a warning.
func IdentifyDrive(f DriveFacts) DriveResult {
	var (
		res    DriveResult
		claims []claim
	)
	if p, ok := pciVendors[f.PCISubsystemVendor]; ok && p.role == pciDriveMaker {
		claims = append(claims, claim{EvidencePCISubsystem, lookupSlug(p.slug).vendor(),
			fmt.Sprintf("PCI subsystem vendor %04x (%s)", f.PCISubsystemVendor, p.name)})
	}
	virtual := false
	if p, ok := pciVendors[f.PCIVendor]; ok {
		src := fmt.Sprintf("PCI vendor %04x (%s)", f.PCIVendor, p.name)
		switch p.role {
		case pciDriveMaker:
			claims = append(claims, claim{EvidencePCIVendor, lookupSlug(p.slug).vendor(), src})
		case pciController:
			res.Controller = lookupSlug(p.slug).vendor()
			res.Controller.Evidence = []string{EvidencePCIVendor}
		case pciVirtual:
			virtual = true
		}
	}

	model := strings.ToUpper(strings.Join(strings.Fields(strings.Trim(f.Model, "\x00")), " "))
	if model != "" && !IsPlaceholder(model) {
		if virtualModelRE.MatchString(model) {
			virtual = true
		} else if r, ok := matchModel(model); ok {
			claims = append(claims, claim{EvidenceModelPrefix, lookupSlug(r.slug).vendor(), fmt.Sprintf("model %q", f.Model)})
			if r.note != "" {
				res.Warnings = append(res.Warnings, r.note)
			}
		} else if m := modelBrandRE.FindString(model); m != "" {
			slug := modelBrandSlug[m]
			if slug == "" {
				slug = modelBrandSlug[strings.ReplaceAll(m, " ", "")]
			}
			if slug != "" {
				claims = append(claims, claim{EvidenceModelName, lookupSlug(slug).vendor(), fmt.Sprintf("model %q", f.Model)})
			}
		}
	}

	if v := strings.ToUpper(strings.TrimSpace(strings.Trim(f.VendorRaw, "\x00"))); v != "" && !IsPlaceholder(v) {
		switch {
		case notMakers[v]:
			virtual = virtual || isVirtualVendor(v)
		case scsiVendors[v] != "":
			claims = append(claims, claim{EvidenceSCSIVendor, lookupSlug(scsiVendors[v]).vendor(), fmt.Sprintf("SCSI vendor %q", f.VendorRaw)})
		default:
			if m, _ := byName(v); m != nil {
				claims = append(claims, claim{EvidenceSCSIVendor, m.vendor(), fmt.Sprintf("SCSI vendor %q", f.VendorRaw)})
			} else {
				res.Warnings = append(res.Warnings, fmt.Sprintf("SCSI vendor %q names no known maker", f.VendorRaw))
			}
		}
	}

	claims = preferSuccessor(claims, &res.Warnings)
	if len(claims) > 0 {
		var w []string
		res.Vendor, w = resolve(claims)
		res.Warnings = append(res.Warnings, w...)
		if oemSlugs[res.Vendor.ID] {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is an OEM: the drive was made by another company, which the device does not name", res.Vendor.Name))
		}
	} else if virtual || f.Transport == "virtio" {
		res.Warnings = append(res.Warnings, "virtual or cloud disk: no physical maker is exposed")
	}
	return res
}

func matchModel(model string) (modelRule, bool) {
	for _, r := range modelRules {
		if r.re.MatchString(model) {
			return r, true
		}
	}
	return modelRule{}, false
}

func isVirtualVendor(v string) bool {
	switch v {
	case "QEMU", "VBOX", "VMWARE", "VMWARE,", "MSFT", "GOOGLE", "AMAZON", "LINUX", "LIO-ORG", "IET", "RED HAT", "XEN":
		return true
	}
	return false
}

// preferSuccessor handles drives that carry a predecessor's PCI vendor id:
// Solidigm drives often still use Intel's 8086. When the model names the
// successor, the PCI claim is dropped in favour of the model.
func preferSuccessor(claims []claim, warnings *[]string) []claim {
	var model *claim
	for i := range claims {
		if claims[i].evidence == EvidenceModelPrefix {
			model = &claims[i]
		}
	}
	if model == nil {
		return claims
	}
	out := claims[:0:0]
	for _, c := range claims {
		if (c.evidence == EvidencePCIVendor || c.evidence == EvidencePCISubsystem) && successor[c.v.ID] == model.v.ID {
			*warnings = append(*warnings, fmt.Sprintf("%s is inherited: %s took over %s's SSD business; using %s",
				c.source, model.v.ID, c.v.ID, model.source))
			continue
		}
		out = append(out, c)
	}
	return out
}

// successor maps a maker whose PCI id lives on in another maker's drives.
var successor = map[string]string{"intel": "solidigm"}
