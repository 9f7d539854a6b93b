package maker

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/memledger/memledger/internal/placeholder"
)

// DriveFacts are what sysfs/udev/NVMe say about one storage device.
type DriveFacts struct {
	Model     string // model string as reported
	VendorRaw string // sysfs/SCSI vendor string ("ATA" for SATA behind libata)
	Transport string // "nvme", "sata", "sas", "usb", "virtio", "mmc", ""
	// PCI ids of an NVMe (or other PCIe) drive; 0 = not PCI or unknown.
	PCIVendor, PCIDevice, PCISubsystemVendor, PCISubsystemDevice uint16
	// WWN is the world wide name in the kernel's wwid notation
	// ("naa.500a0751...", "eui.0025388b...", "nvme.1344-...") or udev's
	// "0x5000..." form; "" when none.
	WWN string
	// EUI64 and NGUID are an NVMe namespace's eui and nguid attributes, in
	// hex with or without the separators sysfs prints; "" when absent or
	// unread.
	EUI64, NGUID string
	// IEEEOUI is an NVMe controller's IEEE OUI Identifier (Identify
	// Controller bytes 73-75, as smartctl prints it: "002538", with or
	// without "0x"); "" when unread. The kernel does not export it.
	IEEEOUI string
	// Media is "ssd" or "hdd" when the host says (queue/rotational; NVMe is
	// solid state), "" when unknown.
	Media string
	// ModelFamily is the family smartctl printed for the drive ("Model
	// Family", JSON model_family): its reading of the model by its own
	// copy of smartmontools' drive database, which may know models that
	// drivedb_gen.go's older copy does not. "" when unknown (the live
	// scan has none).
	ModelFamily string
}

// DriveKind says whether a block device is a physical drive.
type DriveKind int

// Drive kinds; they mirror proto memledger.v1.DriveKind value for value.
const (
	DriveKindUnspecified DriveKind = iota
	DriveKindPhysical              // a drive someone made
	DriveKindRAIDVolume            // a logical volume of a hardware RAID controller
	DriveKindVirtual               // an emulated, paravirtual or cloud disk
)

// DriveResult is who made a drive and, when a PCI id says so, its
// controller.
type DriveResult struct {
	Kind       DriveKind
	Vendor     Attribution // the drive's maker; unknown for RAID volumes and virtual disks
	Controller Attribution // the controller's maker, when a PCI id or OUI names a controller company
	// OEM is the company whose label the drive carries (HPE, Dell, Lenovo,
	// IBM, Apple) when the model scheme, SCSI vendor or PCI subsystem id says
	// so. It is not the maker: Vendor is, when other evidence names it.
	OEM      Attribution
	Warnings []string
}

// pciRole says what a PCI vendor id tells about a drive.
type pciRole int

const (
	pciDriveMaker pciRole = iota + 1 // the company that makes and sells the drive
	pciController                    // a controller maker: drives of many brands carry it
	pciVirtual                       // a hypervisor or cloud device: no physical maker is exposed
	pciOEM                           // a system maker's subsystem id: who sold the machine, not who made the drive
)

type pciVendor struct {
	slug string
	role pciRole
	name string // as pci.ids lists it
}

// pciVendors are the PCI vendor ids that matter for drives, each with the
// name pci.ids (Debian pci.ids 2023.04.11) lists for it. OEM subsystem ids
// (Dell, HP, HPE, Lenovo, IBM, Apple) label the drive and name no maker.
// Brands that sell drives on others' controllers without their own PCI id
// in pci.ids (Sabrent, Corsair, MSI, Gigabyte, HIKSEMI, Lexar...) are
// found by the model; the ids of Gigabyte (1458) and MSI (1462) are not
// taken as a drive's maker, as they are first of all these companies'
// boards' and systems' ids, which an OEM drive inside them may carry.
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
	0x19e5: {"huawei", pciDriveMaker, "Huawei Technologies Co., Ltd."},
	0x1f40: {"netac", pciDriveMaker, "Netac Technology Co.,Ltd"},
	0x1f03: {"scy", pciDriveMaker, "Shenzhen Shichuangyi Electronics Co., Ltd"},
	0x14a4: {"liteon", pciDriveMaker, "Lite-On Technology Corporation"},
	0x1c28: {"liteon", pciDriveMaker, "Lite-On IT Corp. / Plextor"},
	0x1e95: {"ssstc", pciDriveMaker, "Solid State Storage Technology Corporation"},
	0x1dee: {"biwin", pciDriveMaker, "Biwin Storage Technology Co., Ltd."},
	0x1cc4: {"umis", pciDriveMaker, "Shenzhen Unionmemory Information System Ltd."},
	0x1c5f: {"memblaze", pciDriveMaker, "Beijing Memblaze Technology Co. Ltd."},
	0x1d78: {"dera", pciDriveMaker, "DERA Storage"},
	0x1bc0: {"innodisk", pciDriveMaker, "Innodisk Corporation"},
	0x1d79: {"transcend", pciDriveMaker, "Transcend Information, Inc."},

	0x1987: {"phison", pciController, "Phison Electronics Corporation"},
	0x126f: {"siliconmotion", pciController, "Silicon Motion, Inc."},
	0x1b4b: {"marvell", pciController, "Marvell Technology Group Ltd."},
	0x1e4b: {"maxio", pciController, "MAXIO Technology (Hangzhou) Ltd."},
	0x10ec: {"realtek", pciController, "Realtek Semiconductor Co., Ltd."},
	0x1dbe: {"innogrit", pciController, "INNOGRIT Corporation"},
	0x197b: {"jmicron", pciController, "JMicron Technology Corp."},

	0x1028: {"dell", pciOEM, "Dell"},
	0x103c: {"hewlettpackard", pciOEM, "Hewlett-Packard Company"},
	0x1590: {"hpe", pciOEM, "Hewlett Packard Enterprise"},
	0x17aa: {"lenovo", pciOEM, "Lenovo"},
	0x1d49: {"lenovo", pciOEM, "Lenovo"},
	0x1014: {"ibm", pciOEM, "IBM"},
	0x106b: {"applecomputer", pciOEM, "Apple Inc."},

	0x1af4: {"", pciVirtual, "Red Hat, Inc. (virtio)"},
	0x1b36: {"", pciVirtual, "Red Hat, Inc. (QEMU)"},
	0x1d0f: {"", pciVirtual, "Amazon.com, Inc."},
	0x1414: {"", pciVirtual, "Microsoft Corporation"},
	0x15ad: {"", pciVirtual, "VMware"},
	0x80ee: {"", pciVirtual, "InnoTek Systemberatung GmbH (VirtualBox)"},
	0x1ae0: {"", pciVirtual, "Google, Inc."},
}

// isControllerMaker reports whether slug is a controller company: its PCI
// id or OUI on a drive names the controller, not the drive's maker.
func isControllerMaker(slug string) bool {
	for _, p := range pciVendors {
		if p.role == pciController && p.slug == slug {
			return true
		}
	}
	return false
}

// modelRule ties a drive model pattern to a maker. Rules are tried in
// order and the first match wins, so specific families come before brand
// prefixes that also cover them (WD's SSDs before "WDC ", Toshiba's SSD
// families before "TOSHIBA"). Each pattern is narrowed to the maker's own
// model scheme so that it does not fire on another maker's models (an HPE
// "MK0200GEYKC" is not a Toshiba "MK2035GSS", a Hitachi "HDE721010SLA330"
// is not a Toshiba HDW...).
type modelRule struct {
	slug string
	re   *regexp.Regexp
	note string // added to the warnings when the rule decides
	// ssd is the maker of the brand's solid-state drives, when it is not
	// slug: a brand-only rule cannot tell a disk from an SSD, the host's
	// media can.
	ssd, ssdNote string
}

// modelRules are compiled on first use, not at package init: a scan that
// sees no drive model never pays for them.
var modelRules = sync.OnceValue(func() []modelRule {
	r := func(slug, re string) modelRule { return modelRule{slug: slug, re: regexp.MustCompile(re)} }
	return []modelRule{
		// Kioxia and the Toshiba SSD families it inherited from Toshiba Memory.
		r("kioxia", `^KIOXIA`),
		r("kioxia", `^(?:TOSHIBA[ _-]?)?(?:THN|KSG|KXG|KBG|XG\d|RD\d{3}|RC\d{3}|Q300|TR\d{3}|PX\d{2}[A-Z]|HK\d|HG\d|KHK|VX500)|^TOSHIBA[ _-]?TL\d{3}`),
		r("kioxia", `^K(?:CD|CM|PM|XD|RM)\d`),
		// OCZ, Toshiba's (now Kioxia's) since 2014.
		r("ocz", `^OCZ[- _]`),
		// Toshiba hard disks (Toshiba Electronic Devices & Storage): MG/MN/MD
		// enterprise and NAS, DT desktop, MQ/MK laptop (MK....GS./GA./TRKB,
		// not HPE's MK....GEYKC), AL SAS, HDW retail.
		r("toshiba", `^(?:TOSHIBA[ _-]?)?(?:MG\d{2}[A-Z]{3}|DT0\d[A-Z]{3}|MQ\d{2}[A-Z]{3}|MD\d{2}[A-Z]{3}|MN\d{2}[A-Z]{3}|AL\d{2}S[EN]|HDW[A-Z]\d|MK\d{4}(?:G[SA][A-Z]{1,3}|T[RS]KB)\b)`),
		{slug: "toshiba", re: regexp.MustCompile(`^TOSHIBA`),
			note: "Toshiba-branded drive of an unrecognised family: Toshiba makes the hard disks, Kioxia (former Toshiba Memory) the SSDs",
			ssd:  "kioxia", ssdNote: "Toshiba-branded solid-state drive of an unrecognised family: Toshiba's SSDs are Toshiba Memory's, now Kioxia"},
		// SanDisk, including WD-branded SSDs (the flash business SanDisk took
		// with it in Feb 2025): WDS..., PC SN..., WD_BLACK/Blue/Green/Red
		// SN/SA..., CloudSpeed SDLF..., Optimus SDLK...
		r("sandisk", `^SANDISK`),
		r("sandisk", `^(?:SDSSD|SDAPN|SD\d[A-Z]{2}\d|SDL[A-Z0-9]{5}-\d)`),
		r("sandisk", `^(?:WDC[ _]+|WD[ _]+)?WDS\d`),
		r("sandisk", `^(?:WDC[ _]+|WD[ _]+)?PC[ _]SN\d`),
		r("sandisk", `^WD[ _]?(?:BLACK|BLUE|GREEN|RED)[ _]+(?:SN|SA)\d`),
		// Western Digital hard disks, HGST and Hitachi's disk families.
		r("hgst", `^(?:HGST|HITACHI)`),
		// Hitachi's scheme: family letters, then the speed and capacity
		// digits ("HDS721010") or a 5K-class "5C" ("HDS5C3020ALA632",
		// "HUA5C3030ALA640", "HMS5C4040BLE640").
		r("hgst", `^(?:HUS|HUH|HUA|HUC|HUE|HMS|HTS|HTE|HTC|HDS|HDT|HDE|HDP|HDN|HCS|HCP)(?:\d{3}|5C\d)`),
		// WD's Ultrastar models: WUH/WUS (disks, SSDs), WSH (host-managed
		// SMR disks, Ultrastar DC HC650: WSH722020ALE6L0).
		r("westerndigital", `^(?:WDC|WD\d|WD[ _]|WD_BLACK|WESTERN DIGITAL|WU[HS]\d|WSH\d)`),
		// Seagate, including Nytro SSDs (XS..., XA..., XF..., XP...) and
		// Maxtor, which Seagate bought.
		r("seagate", `^(?:SEAGATE|ST\d{2}|Z[AP]\d{3,}[A-Z]{2}\d|X[SAFP]\d{3,}[A-Z]{2}\d)`),
		r("maxtor", `^(?:MAXTOR|STM\d|[4567][A-Z0-9]\d{3}[A-Z]\d\b)`),
		// Solidigm before Intel: a SOLIDIGM model is Solidigm even on an Intel PCI id.
		r("solidigm", `^SOLIDIGM`),
		r("intel", `^(?:INTEL|SSDP[EF]|SSDSC|SSDSA|SSDMCE)`),
		// Samsung.
		r("samsung", `^(?:SAMSUNG|MZ[0-9A-Z]{8}|MZ-[0-9A-Z]{6})`),
		// SK hynix. Its part numbers (HFS/HFM/HFB, capacity, G or T) also
		// follow a family name: "BC511 HFM512GDJTNI-82A0A".
		r("skhynix", `^(?:SK ?HYNIX|SKHYNIX|HYNIX|HF[SMB]\d|SH(?:GP|GS|PP)\d)|[ _]HF[SMB](?:\d{3}[GT]|\dT\d)`),
		// Micron and Crucial.
		// Micron's drive part numbers (MTFD..., EEFD... for OEM builds, as
		// smartmontools' database lists them) also appear after a family
		// name: "M500IT_MTFDDAK240MBD", "C400-MTFDDAK128MAM". The
		// capacity is three digits, or a digit, T and a digit for 1T9,
		// 3T8, 7T6 (MTFDDAK1T9TDS).
		r("micron", `^MICRON|(?:^|[^A-Z])(?:MT|EE)FD[A-Z]{2}[A-Z0-9](?:\d{2}|\dT\d)`),
		r("crucial", `^(?:CRUCIAL|CT\d{2,5}[A-Z0-9]*SSD|M4-CT\d|C300-CT)`),
		// Kingston.
		r("kingston", `^(?:KINGSTON|SA400|SKC\d|SNV\d|SNVS|SEDC\d|SFYR|SUV\d|SA2000|SV300)`),
		// Lite-On's SSD lineage: Plextor and Lite-On models, SSSTC.
		r("plextor", `^(?:PLEXTOR|PX-\d{3,4}[A-Z])`),
		r("liteon", `^(?:LITE-?ON|LITEONIT)`),
		r("ssstc", `^SSSTC`),
		// Others, by brand prefix. Brands on Phison or Silicon Motion
		// controllers are identified by the brand in the model; the
		// controller's name in a model ("PHISON ...") names no drive maker.
		r("adata", `^(?:ADATA|A-DATA|XPG)`),
		r("lexar", `^LEXAR`),
		r("longsys", `^(?:FORESEE|LONGSYS)`),
		r("transcend", `^(?:TRANSCEND|TS\d+[GT][A-Z]{2,}\d)`),
		r("siliconpower", `^(?:SPCC|SILICON ?POWER)`),
		r("pny", `^PNY`),
		r("corsair", `^(?:CORSAIR|FORCE (?:MP|LE|LX|GT|GS)\d*)`),
		r("patriot", `^(?:PATRIOT|VIPER[ _]VP)`),
		r("teamgroup", `^(?:TEAM[ _]|TEAMGROUP|T-FORCE)`),
		r("ymtc", `^(?:YMTC|ZHITAI)`),
		r("ramaxel", `^RAMAXEL`),
		// Apacer, and its SATA-Disk Module part numbers (APSDMxxxxG...,
		// Apacer's SDM4/SDM5 datasheets), which drivedb's notes list.
		r("apacer", `^(?:APACER|APSDM\d{3}G)`),
		r("huawei", `^HUAWEI`),
		r("netac", `^NETAC`),
		r("innodisk", `^(?:INNODISK|INNOLITE)`),
		r("hangzhouhikstorage", `^(?:HIKSEMI|HIKVISION|HS-SSD-)`),
		r("biwin", `^BIWIN`),
		r("fanxiang", `^FANXIANG`),
		r("sabrent", `^SABRENT`),
		r("msi", `^MSI[ _]M\d`),
		r("gigabyte", `^(?:GIGABYTE|AORUS)`),
		r("kingspec", `^KINGSPEC`),
		r("memblaze", `^(?:MEMBLAZE|PBLAZE)`),
		r("fujitsu", `^(?:FUJITSU|MH[TVWYZ]\d{4}[A-Z]{2}|MJA\d{4}[A-Z]{2})`),
		// Goodram (Wilk Elektronik) SSD part numbers: SSDPR-CX400-256-G2,
		// IRDM's IR-SSDPR-S25A-240 (drivedb) and IRP-SSDPR-...; KLEVV is
		// Essencore's brand.
		r("goodram", `^(?:GOODRAM|(?:IRP?-)?SSDPR-)`),
		r("essencore", `^KLEVV`),
		// Brands whose models start with their name or part-number prefix;
		// drivedb lists some under its Phison and Silicon Motion families,
		// which name no maker ("Hoodisk SSD", "INTENSO SATA III SSD",
		// "Ramsta SSD S800 480GB", Mushkin's MKNSSD...). Each brand is the
		// JEP106 company of its name.
		r("mushkin", `^(?:MUSHKIN|MKNSSD)`),
		r("hoodisk", `^HOODISK`),
		r("intenso", `^INTENSO`),
		r("ramsta", `^RAMSTA`),
		r("colorful", `^COLORFUL`),
		r("gloway", `^GLOWAY`),
		r("asgard", `^ASGARD`),
		r("kimtigo", `^KIMTIGO`),
		r("twinmos", `^TWINMOS`),
		r("zotac", `^ZOTAC`),
		// Industrial makers whose drivedb families the generator leaves
		// out (they are JEP106 makers, not catalogue ones): ATP ("ATP
		// I-Temp M.2 2242", "ATP Velocity MIV 480GB") and Swissbit's
		// part numbers (SFCF... CompactFlash, SFSA... mSATA).
		r("atp", `^ATP[ _]`),
		r("swissbit", `^(?:SWISSBIT|SF(?:CF|SA)(?:\d{3}G|\d{4}H|\d{2}GB))`),
	}
})

// modelBrandRE finds a maker's name inside a model that does not start with
// it ("PC711 NVMe SK hynix 1TB", "BC711 NVMe SK hynix 256GB", "CA3-8D512-Q11
// NVMe LITEON 512GB"); byName says which maker the name means.
var modelBrandRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b(SK ?HYNIX|KIOXIA|SAMSUNG|MICRON|CRUCIAL|KINGSTON|SANDISK|SEAGATE|LEXAR|ADATA|TRANSCEND|SOLIDIGM|TOSHIBA|PLEXTOR|LITE-?ON|SSSTC|HUAWEI|NETAC|SABRENT|CORSAIR|PATRIOT|GIGABYTE|HIKSEMI|FANXIANG|INNODISK)\b`)
})

// oemModel is an OEM's part-number scheme: the OEM labels drives made by
// others, so the scheme says who sold the drive, never who made it. Apple's
// scheme encodes the maker in the first letters after "APPLE SSD"; those
// are rules of their own (appleSSDRules).
type oemModel struct {
	slug string
	re   *regexp.Regexp
}

var oemModels = sync.OnceValue(func() []oemModel {
	return []oemModel{
		// HPE (and HP) drive part numbers: two letters for class and
		// interface (MK/VK/MR/VR/LK SATA SSD, MB/MM SATA HDD, EG/EH/EF/DG/DH
		// SAS HDD, EK/EO/MO/VO/MT SAS and NVMe SSD, ...), the capacity in
		// GB in 4-6 digits, 4-6 letters of model code: MK000480GWUGF,
		// VK000960GWEZD, MB4000GCWDC, EG0600FBDSR, MO003200KWZQQ.
		{"hpe", regexp.MustCompile(`^[BDEFGLMVX][BFGHKMORT]\d{4,6}[A-Z]{4,6}$`)},
		{"dell", regexp.MustCompile(`^DELL[ _]`)},
		{"lenovo", regexp.MustCompile(`^LENOVO[ _-]`)},
		{"ibm", regexp.MustCompile(`^IBM[ _-]`)},
		{"applecomputer", regexp.MustCompile(`^APPLE[ _]`)},
	}
})

// appleSSDRules read Apple's SSD part numbers: "APPLE SSD SM0256G"
// (Samsung), "SD0256F" (SanDisk), "TS0128C" (Toshiba flash, now Kioxia);
// Apple's own controller designs (AP...) name no other maker. Apple hard
// disks keep their maker's model after "APPLE HDD " and go through the
// ordinary rules.
var appleSSDRules = sync.OnceValue(func() []modelRule {
	return []modelRule{
		{slug: "samsung", re: regexp.MustCompile(`^APPLE[ _]SSD[ _]SM\d`)},
		{slug: "sandisk", re: regexp.MustCompile(`^APPLE[ _]SSD[ _]SD\d`)},
		{slug: "kioxia", re: regexp.MustCompile(`^APPLE[ _]SSD[ _]TS\d`)},
	}
})

// scsiVendors maps SCSI/sysfs vendor strings (upper-cased, trimmed) to
// makers where the generic name lookup would be wrong or too weak.
var scsiVendors = map[string]string{
	"HITACHI":  "hgst", // Hitachi-branded disks were made by Hitachi GST, now part of WD
	"WD":       "westerndigital",
	"WDC":      "westerndigital",
	"JETFLASH": "transcend", // Transcend's USB flash drive line names itself so
}

// oemVendors are SCSI vendor strings of OEMs: the drive carries the OEM's
// label, its maker is another company.
var oemVendors = map[string]string{
	"HP": "hpe", "HPE": "hpe", "COMPAQ": "hpe", "DELL": "dell", "LENOVO": "lenovo", "LENOVO-X": "lenovo",
	"IBM": "ibm", "IBM-ESXS": "ibm", "IBM-SSG": "ibm", "APPLE": "applecomputer",
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

// virtualModelWords are found in the models of emulated or cloud block
// devices (upper-cased).
var virtualModelWords = []string{
	"QEMU", "VBOX", "VIRTUAL", "VMWARE", "ELASTIC BLOCK STORE", "PERSISTENTDISK", "EPHEMERALDISK",
	"INSTANCE STORAGE", "XEN", "BHYVE", "VDISK", "PARALLELS",
}

// raidModelWords and raidModelRE recognise the logical volumes hardware RAID
// controllers present to the host: HPE Smart Array "LOGICAL VOLUME" and MR
// controllers, Dell PERC and BOSS, Broadcom/LSI/Avago MegaRAID
// ("MR9361-8i", "MegaRAID ..."), Supermicro's LSI-based "SMC3108",
// IBM/Lenovo ServeRAID and ThinkSystem RAID, Intel RAID modules
// ("RS3DC080"), Fujitsu PRAID, Cisco UCSC-RAID, Adaptec/Microsemi, Areca,
// 3ware. Words are looked for
// anywhere with strings.Contains, the regexp is anchored: an unanchored
// regexp would cost every drive a scan of its whole model per position.
var raidModelWords = []string{"LOGICAL VOLUME", "MEGARAID", "SERVERAID", "THINKSYSTEM RAID", "-VOL#", "UCSC-RAID", "SMART ARRAY"}

var raidModelRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:PERC[ _]|DELLBOSS|BOSS-|MR9\d{3}-\d+[A-Z]|MR\d{3}I-[A-Z]|PRAID |SMC\d{4}|RS[23][A-Z]{2}\d{3}|RMS\d|ARC-\d{4}|\d{4}[A-Z]*-\d+[A-Z]* DISK|AVAGO|LSI |RAID ?\d+|LOGICAL[ _]DRIVE|HW RAID)`)
})

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// raidVendors are SCSI vendor strings of RAID controllers: what they
// present is a logical volume.
var raidVendors = map[string]bool{
	"LSI": true, "AVAGO": true, "BROADCOM": true, "ADAPTEC": true, "ARECA": true, "AMCC": true,
	"3WARE": true, "MEGARAID": true, "ASR8405": true, "MSCC": true, "HUAWEI RAID": true,
}

// IdentifyDrive identifies the maker of a drive, its controller's maker
// when a PCI id or OUI names a controller company, and the OEM whose label
// it carries. Evidence is weighed in this order: the PCI subsystem vendor
// when it names a drive maker, the PCI vendor when it names a drive maker,
// the IEEE company id of the NVMe NGUID, EUI-64 or WWN ("wwn-oui"), the
// model (maker's prefix rule, then smartmontools' drive database family,
// then a maker's name inside it), the SCSI vendor string unless it is
// "ATA", an OEM or another non-maker, and last smartctl's model family
// when one is given. When a company id and the model name
// makers of one family (Micron's OUI on a Crucial drive, WD's on a WD-brand
// SanDisk SSD), the model's brand is reported. RAID logical volumes and
// virtual disks are reported as such, without a maker.
func IdentifyDrive(f DriveFacts) DriveResult {
	var res DriveResult
	model := strings.ToUpper(strings.Join(strings.Fields(strings.Trim(f.Model, "\x00")), " "))
	if placeholder.Is(model) {
		model = ""
	}
	vendorStr := strings.ToUpper(strings.TrimSpace(strings.Trim(f.VendorRaw, "\x00")))
	if placeholder.Is(vendorStr) {
		vendorStr = ""
	}

	if kind, why := driveKind(f, model, vendorStr); kind != DriveKindPhysical {
		res.Kind = kind
		res.Warnings = append(res.Warnings, why)
		return res
	}
	res.Kind = DriveKindPhysical

	var claims []claim
	if p, ok := pciVendors[f.PCISubsystemVendor]; ok {
		src := fmt.Sprintf("PCI subsystem vendor %04x (%s)", f.PCISubsystemVendor, p.name)
		switch p.role {
		case pciDriveMaker:
			claims = append(claims, claim{EvidencePCISubsystem, lookupSlug(p.slug).vendor(), src})
		case pciOEM:
			res.setOEM(p.slug, EvidencePCISubsystem)
		}
	}
	pciVendor, pciVendorFrom := f.PCIVendor, "PCI vendor"
	if pciVendor == 0 {
		// Without the PCI function's ids (NVMe over fabrics, a tree
		// without them), the kernel's fallback wwid still carries the
		// controller's PCI vendor id (identify controller VID).
		pciVendor, pciVendorFrom = nvmeWWIDVendor(f.WWN), "PCI vendor (from the wwid)"
	}
	if p, ok := pciVendors[pciVendor]; ok && pciVendor != 0 {
		src := fmt.Sprintf("%s %04x (%s)", pciVendorFrom, pciVendor, p.name)
		switch p.role {
		case pciDriveMaker:
			claims = append(claims, claim{EvidencePCIVendor, lookupSlug(p.slug).vendor(), src})
		case pciController:
			res.Controller = lookupSlug(p.slug).vendor()
			res.Controller.Evidence = []string{EvidencePCIVendor}
		case pciOEM:
			res.setOEM(p.slug, EvidencePCIVendor)
		}
	}
	claims = append(claims, res.companyIDClaims(f)...)

	if model != "" {
		if c, ok := res.modelClaim(f.Model, model, f.Media); ok {
			claims = append(claims, c)
		}
	}

	if v := vendorStr; v != "" {
		switch {
		case notMakers[v]:
		case oemVendors[v] != "":
			res.setOEM(oemVendors[v], EvidenceSCSIVendor)
		case scsiVendors[v] != "":
			claims = append(claims, claim{EvidenceSCSIVendor, lookupSlug(scsiVendors[v]).vendor(), fmt.Sprintf("SCSI vendor %q", f.VendorRaw)})
		default:
			m, _ := byName(v)
			switch {
			case m != nil && isControllerMaker(m.ID):
				// USB sticks of no brand report their controller's maker
				// ("SMI" for Silicon Motion).
				if !res.Controller.Known() {
					res.Controller = m.vendor()
					res.Controller.Evidence = []string{EvidenceSCSIVendor}
				}
			case m != nil && oemSlugs[m.ID]:
				res.setOEM(m.ID, EvidenceSCSIVendor)
			case m != nil:
				claims = append(claims, claim{EvidenceSCSIVendor, m.vendor(), fmt.Sprintf("SCSI vendor %q", f.VendorRaw)})
			default:
				res.Warnings = append(res.Warnings, fmt.Sprintf("SCSI vendor %q names no known maker", f.VendorRaw))
			}
		}
	}

	// smartctl's family comes last: it is a database's reading of the
	// model, so it decides only when nothing the drive itself reports
	// names a maker.
	if c, ok := familyClaim(f.ModelFamily); ok {
		claims = append(claims, c)
	}

	claims = preferSuccessor(claims, &res.Warnings)
	claims = preferModelBrand(claims)
	claims = preferFlashLineage(claims, f.Media, &res.Warnings)
	claims = familyForWinner(claims)
	if len(claims) > 0 {
		var w []string
		res.Vendor, w = resolve(claims)
		res.Warnings = append(res.Warnings, w...)
	}
	if res.OEM.Known() {
		if res.Vendor.Known() {
			res.Warnings = append(res.Warnings, fmt.Sprintf("sold under %s's label (%s); made by %s",
				res.OEM.Name, strings.Join(res.OEM.Evidence, ", "), res.Vendor.Name))
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is an OEM: the drive was made by another company, which the device does not name", res.OEM.Name))
		}
	}
	if !res.Vendor.Known() && res.Controller.Known() {
		res.Warnings = append(res.Warnings, fmt.Sprintf("only the controller's maker (%s) is known: its controllers are in drives of many brands", res.Controller.Name))
	}
	return res
}

// nvmeWWIDVendor returns the PCI vendor id of the kernel's fallback NVMe
// wwid "nvme.<vid>-<serial hex>-<model hex>-<nsid>", 0 for other forms.
func nvmeWWIDVendor(wwid string) uint16 {
	rest, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(wwid)), "nvme.")
	if !ok || len(rest) < 5 || rest[4] != '-' {
		return 0
	}
	v, err := strconv.ParseUint(rest[:4], 16, 16)
	if err != nil {
		return 0
	}
	return uint16(v)
}

// setOEM records the OEM whose label the drive carries.
func (res *DriveResult) setOEM(slug, evidence string) {
	if res.OEM.Known() {
		if res.OEM.ID == slug || related(res.OEM.ID, slug) {
			if !slices.Contains(res.OEM.Evidence, evidence) {
				res.OEM.Evidence = append(res.OEM.Evidence, evidence)
			}
		}
		return
	}
	m := lookupSlug(slug)
	if m == nil {
		return
	}
	res.OEM = m.vendor()
	res.OEM.Evidence = []string{evidence}
}

// companyIDClaims reads the IEEE company ids of the drive's NGUID, EUI-64
// and WWN, and its NVMe controller's IEEE OUI. A controller company's id
// sets Controller; a drive maker's is a claim, one per maker.
func (res *DriveResult) companyIDClaims(f DriveFacts) []claim {
	var claims []claim
	for _, id := range []struct {
		what, value string
		companyID   func(string) (oui uint32, format string, err error)
	}{
		{"NGUID", f.NGUID, wwnCompanyID},
		{"EUI-64", f.EUI64, wwnCompanyID},
		{"WWN", f.WWN, wwnCompanyID},
		{"IEEE OUI", f.IEEEOUI, parseOUI},
	} {
		if strings.TrimSpace(id.value) == "" {
			continue
		}
		oui, format, err := id.companyID(id.value)
		if err != nil {
			continue // no company id: a fallback, a UUID, locally assigned
		}
		slug, ok := makerByOUI(oui)
		if !ok {
			continue
		}
		if isControllerMaker(slug) {
			// An NVMe drive's identifier is its controller's; a SATA or SAS
			// drive's may have been made up by the HBA or bridge it sits
			// behind, which is not the drive's controller.
			if f.Transport == "nvme" && !res.Controller.Known() {
				res.Controller = lookupSlug(slug).vendor()
				res.Controller.Evidence = []string{EvidenceWWNOUI}
			}
			continue
		}
		if slices.ContainsFunc(claims, func(c claim) bool { return c.v.ID == slug }) {
			continue
		}
		claims = append(claims, claim{EvidenceWWNOUI, lookupSlug(slug).vendor(),
			fmt.Sprintf("%s %s (%s, IEEE company id %06X)", id.what, strings.TrimSpace(id.value), format, oui)})
	}
	return claims
}

// modelClaim reads the model: an OEM scheme (which labels, never makes),
// then the makers' prefix rules, smartmontools' drive database families,
// and a maker's name inside the model. media is the host's "ssd" or "hdd".
func (res *DriveResult) modelClaim(raw, model, media string) (claim, bool) {
	src := fmt.Sprintf("model %q", raw)
	rest := model
	for _, p := range []string{"APPLE HDD ", "APPLE SSD "} {
		rest = strings.TrimPrefix(rest, p)
	}
	rule, ruleOK := matchModel(rest)
	for _, o := range oemModels() {
		// HPE's scheme (two letters, digits, letters) is also the shape of
		// some makers' own models (Toshiba's MK2552GSXB): a model a maker's
		// rule claims is not an HPE part.
		if o.re.MatchString(model) && (o.slug != "hpe" || !ruleOK) {
			res.setOEM(o.slug, EvidenceOEMModel)
			break
		}
	}
	for _, r := range appleSSDRules() {
		if r.re.MatchString(model) {
			return claim{EvidenceModelPrefix, lookupSlug(r.slug).vendor(), src + " (Apple's SSD part-number scheme)"}, true
		}
	}
	if ruleOK {
		slug, note := rule.slug, rule.note
		if rule.ssd != "" && media == "ssd" {
			slug, note = rule.ssd, rule.ssdNote
		}
		if note != "" {
			res.Warnings = append(res.Warnings, note)
		}
		return claim{EvidenceModelPrefix, lookupSlug(slug).vendor(), src}, true
	}
	if slug, family, ok := driveDBFamily(raw); ok {
		return claim{EvidenceDriveDB, lookupSlug(slug).vendor(), fmt.Sprintf("%s (smartmontools drive database: %s)", src, family)}, true
	}
	if m := modelBrandRE().FindString(model); m != "" {
		if mk, _ := byName(m); mk != nil {
			return claim{EvidenceModelName, mk.vendor(), src}, true
		}
	}
	return claim{}, false
}

// familyClaim reads smartctl's model family through the rule the drive
// database generator uses (driveDBFamilyMaker): a family named after a
// controller, an OEM, two makers neither of which owns the other or a
// company outside the catalogue names nobody.
func familyClaim(family string) (claim, bool) {
	family = strings.TrimSpace(family)
	slug, _ := driveDBFamilyMaker(family)
	if slug == "" {
		return claim{}, false
	}
	m := lookupSlug(slug)
	if m == nil {
		return claim{}, false
	}
	return claim{EvidenceModelFamily, m.vendor(), fmt.Sprintf("smartctl model family %q", family)}, true
}

// familyForWinner lets smartctl's family count as evidence for the
// strongest claim when both name one company family (an "HGST Ultrastar"
// family on a drive the model names Western Digital's): the family names
// the company, the stronger evidence the brand. A family naming an
// unrelated maker is left to resolve, which keeps the stronger evidence
// and reports the conflict.
func familyForWinner(claims []claim) []claim {
	last := len(claims) - 1
	if last < 1 || claims[last].evidence != EvidenceModelFamily {
		return claims
	}
	if related(claims[last].v.ID, claims[0].v.ID) {
		claims[last].v = claims[0].v
	}
	return claims
}

// driveKind tells RAID logical volumes and virtual disks from physical
// drives, with the warning that goes with them.
func driveKind(f DriveFacts, model, vendorStr string) (DriveKind, string) {
	if raidVendors[vendorStr] || (model != "" && (containsAny(model, raidModelWords) || raidModelRE().MatchString(model))) {
		return DriveKindRAIDVolume, fmt.Sprintf("RAID logical volume (model %q, vendor %q), not a physical drive: "+
			"the physical drives behind a hardware RAID controller are not visible to the scan", f.Model, f.VendorRaw)
	}
	virtual := f.Transport == "virtio" || isVirtualVendor(vendorStr) || containsAny(model, virtualModelWords)
	if p, ok := pciVendors[f.PCIVendor]; ok && p.role == pciVirtual {
		virtual = true
	}
	if virtual {
		return DriveKindVirtual, "virtual or cloud disk: no physical maker is exposed"
	}
	return DriveKindPhysical, ""
}

func matchModel(model string) (modelRule, bool) {
	for _, r := range modelRules() {
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

// flashLineage maps a company whose SSDs another company's business now
// owns: Toshiba's SSDs were Toshiba Memory's, now Kioxia's (Toshiba keeps
// the hard disks).
var flashLineage = map[string]string{"toshiba": "kioxia"}

// preferFlashLineage names an SSD whose only maker evidence is its company
// id after the business that made it: Toshiba's registry ids are on
// Toshiba Memory's SSDs too (an HPE-labelled Toshiba SAS SSD says no more),
// and those are Kioxia's. Hard disks and drives of unknown media keep the
// id's company.
func preferFlashLineage(claims []claim, media string, warnings *[]string) []claim {
	if media != "ssd" {
		return claims
	}
	for i := range claims {
		if claims[i].evidence != EvidenceWWNOUI {
			continue
		}
		if to, ok := flashLineage[claims[i].v.ID]; ok {
			*warnings = append(*warnings, fmt.Sprintf("%s names %s, whose SSD business is %s's: the drive is solid state",
				claims[i].source, claims[i].v.ID, to))
			claims[i].v = lookupSlug(to).vendor()
		}
	}
	return claims
}

// preferModelBrand narrows a company id to the brand the model names when
// both are one company family: the IEEE registry lists the company that
// assigned the id (Micron, Toshiba, Western Digital, HGST), the model the
// brand and business the drive belongs to (Crucial, Kioxia, SanDisk, WD).
// The company id then counts as evidence for the model's brand.
func preferModelBrand(claims []claim) []claim {
	var model *claim
	for i := range claims {
		switch claims[i].evidence {
		case EvidenceModelPrefix, EvidenceDriveDB, EvidenceModelName:
			model = &claims[i]
		}
		if model != nil {
			break
		}
	}
	if model == nil {
		return claims
	}
	for i := range claims {
		if claims[i].evidence == EvidenceWWNOUI && claims[i].v.ID != model.v.ID && related(claims[i].v.ID, model.v.ID) {
			claims[i].v = model.v
		}
	}
	return claims
}
