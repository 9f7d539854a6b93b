package maker

import (
	"fmt"
	"testing"
)

// driveCase is one drive of the measurement table: what the host reports
// and who made it, from public facts.
type driveCase struct {
	f    DriveFacts
	kind DriveKind
	want string // the maker's slug; "" where the truth is that no maker is knowable
	src  string // where the facts come from
}

// Sources of the table. Model strings are as the drives report them in
// the sources named; WWNs, EUI-64s and NGUIDs are built from the maker's
// IEEE company id (oui.csv) with made-up serial bits, as the drive's own
// identifiers carry it (SPC-4 NAA 5, NVMe EUI-64/NGUID).
const (
	srcDriveDB = "smartmontools drivedb.h 7.3 (tested-with note)"
	srcPCIIDs  = "pci.ids 2023.04.11 (vendor id) and the maker's product page"
	srcMaker   = "maker's datasheet / product page"
	srcIssue   = "issue 15 (HPE-labelled Micron SATA SSDs carry naa.500a075...)"
	srcHPE     = "HPE QuickSpecs part number; maker by its WWN OUI"
	srcRAID    = "controller documentation: what the logical volume reports"
	srcVirt    = "hypervisor / cloud documentation"
	srcScheme  = "maker's published model or part-number scheme"
)

func nvme(model string, vid, sub uint16, want, src string) driveCase {
	return driveCase{DriveFacts{Model: model, Transport: "nvme", PCIVendor: vid, PCISubsystemVendor: sub}, DriveKindPhysical, want, src}
}

func nvmeID(model string, vid, sub uint16, nguid, want, src string) driveCase {
	c := nvme(model, vid, sub, want, src)
	c.f.NGUID = nguid
	return c
}

func sata(model, wwn, want, src string) driveCase {
	return driveCase{DriveFacts{Model: model, VendorRaw: "ATA", Transport: "sata", WWN: wwn}, DriveKindPhysical, want, src}
}

func sas(vendor, model, wwn, want, src string) driveCase {
	return driveCase{DriveFacts{Model: model, VendorRaw: vendor, Transport: "sas", WWN: wwn}, DriveKindPhysical, want, src}
}

func usb(vendor, model, want, src string) driveCase {
	return driveCase{DriveFacts{Model: model, VendorRaw: vendor, Transport: "usb"}, DriveKindPhysical, want, src}
}

func raid(vendor, model, transport string) driveCase {
	return driveCase{DriveFacts{Model: model, VendorRaw: vendor, Transport: transport}, DriveKindRAIDVolume, "", srcRAID}
}

func virt(f DriveFacts) driveCase { return driveCase{f, DriveKindVirtual, "", srcVirt} }

// driveTable covers NVMe, SATA, SAS, USB, RAID volumes and virtual disks,
// including OEM-labelled drives and brands on Phison/SMI/Maxio controllers.
var driveTable = []driveCase{
	// NVMe: PCI ids.
	nvme("Micron_7450_MTFDKCC960TFR", 0x1344, 0x1344, "micron", srcPCIIDs),
	nvme("Micron_9300_MTFDHAL3T8TDP", 0x1344, 0x1344, "micron", srcPCIIDs),
	nvme("Micron_2300_MTFDHBA512TDV", 0x1344, 0x1344, "micron", srcPCIIDs),
	nvme("Micron 2450 MTFDKCD512TFK", 0x1344, 0x1028, "micron", srcPCIIDs),
	nvme("Micron_7400_MTFDKBG1T9TDZ", 0x1344, 0x1344, "micron", srcPCIIDs),
	nvme("MO003200KXAVU", 0x1344, 0x1590, "micron", srcHPE),
	nvme("CT1000P3SSD8", 0xc0a9, 0xc0a9, "crucial", srcPCIIDs),
	nvme("CT1000P5PSSD8", 0xc0a9, 0xc0a9, "crucial", srcPCIIDs),
	nvme("CT2000T500SSD8", 0xc0a9, 0xc0a9, "crucial", srcPCIIDs),
	nvme("Samsung SSD 980 PRO 1TB", 0x144d, 0x144d, "samsung", srcPCIIDs),
	nvme("SAMSUNG MZVL2512HCJQ-00B00", 0x144d, 0x144d, "samsung", srcPCIIDs),
	nvme("SAMSUNG MZQL2960HCJR-00A07", 0x144d, 0x144d, "samsung", srcPCIIDs),
	nvmeID("Dell Ent NVMe PM1735a MU 1.6TB", 0x144d, 0x1028, "36344630527001230025384500000001", "samsung", srcPCIIDs),
	nvme("PC711 NVMe SK hynix 1TB", 0x1c5c, 0x1c5c, "skhynix", srcPCIIDs),
	nvme("SHPP41-1000GM", 0x1c5c, 0x1c5c, "skhynix", srcPCIIDs),
	nvme("SKHynix_HFS512GDE9X081N", 0x1c5c, 0x1c5c, "skhynix", srcPCIIDs),
	nvme("SOLIDIGM SSDPFKKW010X7", 0x025e, 0x025e, "solidigm", srcPCIIDs),
	nvme("SOLIDIGM SSDPF2KX038T1", 0x8086, 0x8086, "solidigm", srcPCIIDs),
	nvme("INTEL SSDPE2KX040T8", 0x8086, 0x8086, "intel", srcPCIIDs),
	nvme("INTEL SSDPEKNW010T8", 0x8086, 0x8086, "intel", srcPCIIDs),
	nvme("KIOXIA KCM6XRUL3T84", 0x1e0f, 0x1e0f, "kioxia", srcPCIIDs),
	nvme("KXG60ZNV256G TOSHIBA", 0x1179, 0x1179, "kioxia", srcPCIIDs),
	nvme("KBG40ZNS256G NVMe KIOXIA 256GB", 0x1e0f, 0x1e0f, "kioxia", srcPCIIDs),
	nvme("Dell Ent NVMe CM6 RI 1.92TB", 0x1e0f, 0x1028, "kioxia", srcPCIIDs),
	nvme("WD_BLACK SN850X 2000GB", 0x15b7, 0x15b7, "sandisk", srcPCIIDs),
	nvme("WDC PC SN530 SDBPNPZ-512G-1006", 0x15b7, 0x15b7, "sandisk", srcPCIIDs),
	nvme("WUS4BB019D7P3E3", 0x1b96, 0x1b96, "westerndigital", srcPCIIDs),
	nvme("Seagate FireCuda 530 ZP1000GM30013", 0x1987, 0x1bb1, "seagate", srcPCIIDs),
	nvme("KINGSTON SKC3000D2048G", 0x2646, 0x2646, "kingston", srcPCIIDs),
	nvme("KINGSTON SFYRD2000G", 0x1987, 0x2646, "kingston", srcPCIIDs),
	nvme("ADATA SX8200PNP", 0x126f, 0x1cc1, "adata", srcPCIIDs),
	nvme("Lexar SSD NM620 1TB", 0x1e4b, 0x1e4b, "lexar", srcMaker),
	nvme("ZHITAI TiPro7000 1TB", 0x1e49, 0x1e49, "ymtc", srcPCIIDs),
	nvme("HWE52P431T6M002N", 0x19e5, 0x19e5, "huawei", srcPCIIDs),
	nvme("Netac NVMe SSD 1TB", 0x1f40, 0x1f40, "netac", srcPCIIDs),
	nvme("SCY S1000 512GB", 0x1f03, 0x1f03, "scy", srcPCIIDs),
	nvme("UMIS RPETJ512MGE2QDQ", 0x1cc4, 0x1cc4, "umis", srcPCIIDs),
	nvme("LITEON CA3-8D512", 0x14a4, 0x14a4, "liteon", srcPCIIDs),
	nvme("SSSTC CL1-8D512", 0x1e95, 0x1e95, "ssstc", srcPCIIDs),
	nvme("PBlaze5 916", 0x1c5f, 0x1c5f, "memblaze", srcPCIIDs),
	nvme("TS512GMTE220S", 0x1d79, 0x1d79, "transcend", srcPCIIDs),
	nvme("BIWIN NV7400 1TB", 0x1dee, 0x1dee, "biwin", srcPCIIDs),
	// Brands on controller makers' PCI ids: the model names the brand.
	nvme("Sabrent Rocket 4.0 1TB", 0x1987, 0x1987, "sabrent", srcMaker),
	nvme("Force MP600", 0x1987, 0x1987, "corsair", srcMaker),
	nvme("Viper VPN100", 0x1987, 0x1987, "patriot", srcMaker),
	nvme("GIGABYTE GP-ASM2NE6500GTTD", 0x1987, 0x1987, "gigabyte", srcMaker),
	nvme("MSI M480 PRO 2TB", 0x1987, 0x1987, "msi", srcMaker),
	nvme("TEAM TM8FP6512G", 0x10ec, 0x10ec, "teamgroup", srcMaker),
	nvme("HS-SSD-FUTURE 1024G", 0x1e4b, 0x1e4b, "hangzhouhikstorage", srcMaker),
	nvme("Fanxiang S880 1TB", 0x1e4b, 0x1e4b, "fanxiang", srcMaker),
	// The model alone (no PCI function ids: NVMe over fabrics, a tree
	// without them): a maker's part number after a family name, a brand
	// between NVMe and the capacity (SK hynix, Lite-On, SSSTC product
	// pages and part-number schemes).
	nvme("BC511 HFM256GDJTNI-82A0A", 0, 0, "skhynix", srcMaker),
	nvme("CA3-8D512-Q11 NVMe LITEON 512GB", 0, 0, "liteon", srcMaker),
	nvme("CL1-8D512 NVMe SSSTC 512GB", 0, 0, "ssstc", srcMaker),
	// Only the controller is known: no maker.
	nvme("PHISON ESR01TBTLCG-EAC-4", 0x1987, 0x1987, "", srcPCIIDs),
	nvme("SM2263XT NVMe 512GB", 0x126f, 0x126f, "", srcPCIIDs),
	nvme("NVMe SSD 512GB", 0x1e4b, 0x1e4b, "", srcPCIIDs),
	nvme("APPLE SSD AP0512M", 0x106b, 0x106b, "", srcPCIIDs),

	// SATA.
	sata("Micron_5300_MTFDDAK480TDS", "naa.500a07512c1a2b3c", "micron", srcDriveDB),
	sata("Micron_5200_MTFDDAK3T8TDD", "naa.500a07511d2e3f40", "micron", srcDriveDB),
	sata("Micron_5100_MTFDDAK3T8TCB", "naa.500a075112345678", "micron", srcDriveDB),
	sata("Micron_5400_MTFDDAK960TGA", "naa.500a07513a4b5c6d", "micron", srcMaker),
	// Micron part numbers alone (OEM-labelled servers report them so),
	// capacities in the 1T9/3T8 form: Micron 5300 and 7300 product briefs.
	sata("MTFDDAK1T9TDS", "", "micron", srcMaker),
	sata("MTFDDAV3T8TDS", "", "micron", srcMaker),
	nvme("MTFDHBE3T8TDF", 0, 0, "micron", srcMaker),
	sata("Micron_M500DC_EEFDDAA120MBB", "", "micron", srcDriveDB),
	sata("EEFDDAK960TCB", "", "micron", srcDriveDB),
	sata("M500IT_MTFDDAK240MBD", "", "micron", srcDriveDB),
	sata("Micron_1100_MTFDDAK512TBN", "", "micron", srcDriveDB),
	sata("Micron 1100 SATA 256GB", "", "micron", srcDriveDB),
	sata("C400-MTFDDAK128MAM", "", "micron", srcDriveDB),
	sata("MK000480GWUGF", "naa.500a07512c1a2b3d", "micron", srcIssue),
	sata("MK000960GWUGH", "naa.500a07512c1a2b3e", "micron", srcIssue),
	sata("VK000960GWEZD", "naa.500a07512c1a2b3f", "micron", srcIssue),
	sata("VK001920GWTTC", "naa.500a0751e1a2b3c4", "micron", srcIssue),
	sata("VK000480GWSXH", "naa.500a0751e1a2b3c5", "micron", srcIssue),
	sata("MK001920GWXFK", "0x500a0751e1a2b3c6", "micron", srcIssue),
	sata("VK003840GWSXL", "0x500a0751e1a2b3c7", "micron", srcIssue),
	sata("MR000240GWFLU", "naa.500a0751e1a2b3c8", "micron", srcIssue),
	sata("CT1000MX500SSD1", "naa.500a0751e4c1a2b3", "crucial", srcDriveDB),
	sata("CT480BX500SSD1", "", "crucial", srcMaker),
	sata("Crucial_CT256MX100SSD1", "naa.500a07510a1b2c3d", "crucial", srcDriveDB),
	sata("Samsung SSD 870 EVO 1TB", "naa.5002538f31a2b3c4", "samsung", srcMaker),
	sata("SAMSUNG MZ7LH960HAJR-00005", "naa.5002538e00a1b2c3", "samsung", srcDriveDB),
	sata("VK000480GWSRR", "naa.5002538e40a1b2c3", "samsung", srcHPE),
	sata("INTEL SSDSC2KB960G8", "naa.55cd2e414f1a2b3c", "intel", srcDriveDB),
	sata("MK0200GEYKC", "naa.55cd2e404b6f1234", "intel", srcHPE),
	sata("KINGSTON SA400S37240G", "naa.50026b778a1b2c3d", "kingston", srcDriveDB),
	sata("KINGSTON SEDC500M960G", "naa.50026b7282a1b2c3", "kingston", srcMaker),
	sata("SanDisk SDSSDH3500G", "naa.5001b448b1a2b3c4", "sandisk", srcDriveDB),
	sata("SDLF1DAR-480G-1HA1", "naa.5001e82002a1b2c3", "sandisk", srcDriveDB),
	sata("WDC WDS500G2B0A-00SM50", "naa.5001b448b2a1b2c3", "sandisk", srcDriveDB),
	sata("WDC WD40EFRX-68N32N0", "naa.50014ee2b1a2b3c4", "westerndigital", srcDriveDB),
	sata("WDC WD4003FRYZ-01F0DB0", "naa.5000cca2a1b2c3d4", "westerndigital", srcDriveDB),
	sata("HGST HUS726T4TALA6L4", "naa.5000cca2a0b1c2d3", "hgst", srcDriveDB),
	sata("Hitachi HDS721010CLA332", "", "hgst", srcDriveDB),
	sata("HDE721010SLA330", "", "hgst", srcDriveDB),
	// Hitachi's 5K-class "5C" models and WD's WSH, from drivedb's family
	// patterns (HGST MegaScale 4000, whose pattern wants the HGST prefix a
	// bare model lacks; Hitachi Deskstar 5K3000; Ultrastar DC HC650).
	sata("HMS5C4040BLE640", "", "hgst", srcDriveDB),
	sata("HDS5C3020ALA632", "", "hgst", srcDriveDB),
	sata("WDC  WSH722020ALE6L0", "", "westerndigital", srcDriveDB),
	sata("WSH722020ALE6L0", "", "westerndigital", srcDriveDB),
	sata("ST4000DM004-2CV104", "naa.5000c500b1a2b3c4", "seagate", srcDriveDB),
	sata("ST16000NM001G-2KK103", "naa.5000c500c1a2b3c4", "seagate", srcDriveDB),
	sata("XA960LE10063", "naa.5000c500d1a2b3c4", "seagate", srcMaker),
	sata("ST1000LM024 HN-M101MBB", "", "seagate", srcDriveDB),
	sata("MB4000GCWDC", "naa.5000c500a0b1c2d3", "seagate", srcHPE),
	sata("TOSHIBA MG07ACA14TE", "naa.5000039a1b2c3d4e", "toshiba", srcDriveDB),
	sata("TOSHIBA DT01ACA100", "naa.5000039f1a2b3c4d", "toshiba", srcDriveDB),
	sata("TOSHIBA MQ04ABF100", "", "toshiba", srcDriveDB),
	sata("TOSHIBA MK1059GSM", "", "toshiba", srcDriveDB),
	sata("TOSHIBA THNSNK256GVN8", "naa.500080d91a2b3c4d", "kioxia", srcMaker),
	sata("KIOXIA EXCERIA SATA SSD", "", "kioxia", srcMaker),
	sata("SK hynix SC311 SATA 256GB", "", "skhynix", srcDriveDB),
	sata("HFS480G3H2X069N", "naa.5ace42e0250a1b2c", "skhynix", srcDriveDB),
	sata("PLEXTOR PX-256M6S", "", "plextor", srcDriveDB),
	sata("LITEON CV8-8E256", "", "liteon", srcMaker),
	sata("OCZ-VERTEX4", "", "ocz", srcDriveDB),
	sata("OCZ-TRION150", "", "ocz", srcDriveDB),
	sata("TS256GSSD370S", "", "transcend", srcDriveDB),
	sata("ADATA SU800", "", "adata", srcMaker),
	sata("SPCC Solid State Disk", "", "siliconpower", srcMaker),
	sata("Patriot Burst Elite 240GB", "", "patriot", srcMaker),
	sata("TEAM T253X2256G", "", "teamgroup", srcMaker),
	sata("Apacer AS340 120GB", "", "apacer", srcDriveDB),
	sata("APSDM016GA2AN-PTM1", "", "apacer", srcDriveDB), // Apacer SDM5 part number (APSDMxxxxG..., Apacer datasheets)
	sata("Netac SSD 256GB", "", "netac", srcMaker),
	sata("SSDPR-CX400-256-G2", "", "goodram", srcMaker),
	sata("IR-SSDPR-S25A-240", "", "goodram", srcDriveDB),
	// Brands drivedb lists under its controller families (Phison, Silicon
	// Motion), which name no maker: the brand in the model does.
	sata("Hoodisk SSD", "", "hoodisk", srcDriveDB),
	sata("INTENSO SATA III SSD", "", "intenso", srcDriveDB),
	sata("Ramsta SSD S800 480GB", "", "ramsta", srcDriveDB),
	sata("MKNSSDRE500GB", "", "mushkin", srcDriveDB),
	sata("ATP Velocity MIV 480GB", "", "atp", srcDriveDB),
	sata("ATP I-Temp M.2 2242", "", "atp", srcDriveDB),
	sata("SFSA016GU1AA2TO-I-DB-216-STD", "", "swissbit", srcDriveDB),
	sata("SFCF4096H2BU4TO-I-MS-527-STD", "", "swissbit", srcDriveDB),
	sata("GOODRAM", "", "goodram", srcMaker),
	sata("KLEVV NEO N400 SSD 240GB", "", "essencore", srcMaker),
	sata("FUJITSU MHV2080AH", "", "fujitsu", srcDriveDB),
	sata("MAXTOR STM3250310AS", "", "maxtor", srcDriveDB),
	sata("SAMSUNG HD103SJ", "", "samsung", srcDriveDB),
	sata("APPLE SSD SM0256G", "", "samsung", srcDriveDB),
	sata("APPLE HDD HTS541010A9E662", "", "hgst", srcDriveDB),
	sata("2.5\" SATA SSD 3ME", "", "innodisk", srcDriveDB),
	sata("SATA SSD", "", "", srcDriveDB), // Phison/JMicron generic firmware: nobody
	sata("KINGSTON SUV400S37240G", "", "kingston", srcDriveDB),

	// SAS.
	sas("SEAGATE", "ST600MM0009", "naa.5000c5008a1b2c3d", "seagate", srcDriveDB),
	sas("HGST", "HUH721212AL5200", "naa.5000cca26a1b2c3d", "hgst", srcMaker),
	sas("WDC", "WUH721414AL5204", "naa.5000cca28a1b2c3d", "westerndigital", srcMaker),
	sas("TOSHIBA", "AL15SEB120N", "naa.50000398a1b2c3d4", "toshiba", srcMaker),
	sas("TOSHIBA", "MG06SCA800E", "naa.5000039988a1b2c3", "toshiba", srcMaker),
	sas("TOSHIBA", "PX05SMB040", "naa.500003979841a2b1", "kioxia", srcMaker),
	sas("KIOXIA", "KPM5XVUG960G", "naa.58ce38ee2a1b2c3d", "kioxia", srcMaker),
	sas("SAMSUNG", "MZILT3T8HBLS/007", "naa.5002538b1a2b3c4d", "samsung", srcMaker),
	sas("MICRON", "MTFDJAK800MBS", "naa.500a0751a1b2c3d4", "micron", srcMaker),
	sas("HP", "EG0600FBDSR", "naa.5000c5008b1c2d3e", "seagate", srcHPE),
	sas("HP", "EH0300FCBVC", "naa.5000cca01a2b3c4d", "hgst", srcHPE),
	sas("HPE", "MO000800JWDKV", "naa.500a0751f1e2d3c4", "micron", srcHPE),
	sas("DELL", "ST2000NM0023", "naa.5000c5005a1b2c3d", "seagate", srcMaker),
	sas("LENOVO-X", "ST300MM0008", "naa.5000c5007a1b2c3d", "seagate", srcMaker),
	sas("IBM-ESXS", "ST9146803SS", "naa.5000c50009a1b2c3", "seagate", srcMaker),
	sas("NETAPP", "X425_STBTE900A10", "", "", srcMaker), // an array's part: the maker is not stated

	// USB.
	usb("Kingston", "DataTraveler 3.0", "kingston", srcMaker),
	usb("SanDisk", "Ultra", "sandisk", srcMaker),
	usb("Samsung", "Portable SSD T5", "samsung", srcMaker),
	usb("Seagate", "Expansion", "seagate", srcMaker),
	usb("WD", "Elements 25A2", "westerndigital", srcMaker),
	usb("JMicron", "Generic", "", srcMaker),
	usb("ASMT", "2115", "", srcMaker),

	// Models as smartctl -i prints them on desktops, laptops and servers,
	// alone: no WWN, no PCI ids, so only the model and the SCSI vendor
	// speak. drivedb rows are in drivedb.h's notes or patterns; the others
	// follow the maker's published numbering (WD: WD + capacity + class;
	// Seagate: ST + capacity + segment; Toshiba MQ/HDW/AL; HGST H + family;
	// Samsung MZ + form factor; Micron MTFD; SK hynix HFS/HFM; Toshiba
	// memory THN/KXG; Lite-On CV; Intel SSDPE).
	sata("WDC WD10EZEX-08WN4A0", "", "westerndigital", srcDriveDB),
	sata("WDC  WDS100T2B0A-00SM50", "", "sandisk", srcDriveDB),
	sata("WD Blue SA510 2.5 1000GB", "", "sandisk", srcMaker),
	nvme("WD Blue SN570 1TB", 0, 0, "sandisk", srcMaker),
	nvme("WDC PC SN720 SDAPNTW-512G-1006", 0, 0, "sandisk", srcScheme),
	sata("ST1000DM003-1ER162", "", "seagate", srcDriveDB),
	sata("ST500LM021-1KJ152", "", "seagate", srcDriveDB),
	sata("TOSHIBA MQ01ABD100", "", "toshiba", srcDriveDB),
	sata("TOSHIBA MK5065GSX", "", "toshiba", srcDriveDB),
	sata("TOSHIBA HDWD110", "", "toshiba", srcScheme),
	sata("TOSHIBA THNSNJ256GCSU", "", "kioxia", srcScheme),
	nvme("THNSN5256GPUK NVMe TOSHIBA 256GB", 0, 0, "kioxia", srcScheme),
	nvme("KXG50ZNV256G TOSHIBA", 0, 0, "kioxia", srcScheme),
	sata("HGST HTS721010A9E630", "", "hgst", srcDriveDB),
	nvme("SAMSUNG MZVLB512HBJQ-000L7", 0, 0, "samsung", srcScheme),
	sata("SAMSUNG MZ7LN256HMJP-000H1", "", "samsung", srcDriveDB),
	sata("Samsung SSD 860 EVO 500GB", "", "samsung", srcDriveDB),
	sata("Samsung SSD 870 QVO 1TB", "", "samsung", srcMaker),
	sata("INTEL SSDSC2BB480G4", "", "intel", srcDriveDB),
	sata("SSDSC2KB960G8R", "", "intel", srcScheme), // Dell's build of the D3-S4510
	nvme("INTEL SSDPEKKW256G8", 0, 0, "intel", srcScheme),
	nvme("KINGSTON SNV2S1000G", 0, 0, "kingston", srcMaker),
	sata("CT500MX500SSD1", "", "crucial", srcDriveDB),
	sata("CT250MX500SSD4", "", "crucial", srcDriveDB),
	sata("Crucial_CT525MX300SSD1", "", "crucial", srcDriveDB),
	sata("C300-CTFDDAC128MAG", "", "crucial", srcDriveDB),
	sata("Micron_1100_MTFDDAK256TBN", "", "micron", srcDriveDB),
	sata("MTFDDAK480TDC-1AT1ZABYY", "", "micron", srcScheme),
	nvme("MTFDKBA512TFH-1BC1AABHA", 0, 0, "micron", srcScheme),
	sata("SanDisk SDSSDA240G", "", "sandisk", srcDriveDB),
	sata("LITEON CV3-8D128", "", "liteon", srcScheme),
	sata("HFS256G39TND-N210A", "", "skhynix", srcScheme),
	sata("SK hynix SC401 SATA 512GB", "", "skhynix", srcDriveDB),
	nvme("SK hynix BC501 HFM256GDJTNG-8310A", 0, 0, "skhynix", srcScheme),
	sata("TS256GMTS430S", "", "transcend", srcDriveDB),
	sata("PNY CS900 240GB SSD", "", "pny", srcDriveDB),
	sas("SEAGATE", "ST4000NM0023", "", "seagate", srcScheme),
	sas("HGST", "HUC101818CS4200", "", "hgst", srcScheme),
	sas("HGST", "HUSMM1616ASS200", "", "hgst", srcScheme),
	sas("WDC", "WUSTR6440ASS204", "", "westerndigital", srcScheme),
	sas("TOSHIBA", "AL14SEB120N", "", "toshiba", srcScheme),
	sas("TOSHIBA", "AL13SXB300N", "", "toshiba", srcScheme),
	sas("SAMSUNG", "MZILT1T9HBJR0D3", "", "samsung", srcScheme),
	// HPE part numbers without the drive's WWN: only the OEM is known
	// (HPE QuickSpecs list these numbers for drives of several makers).
	sas("HP", "EG0900FBVFQ", "", "", srcHPE),
	sata("VK0800GEFJK", "", "", srcHPE),

	// RAID logical volumes and virtual disks.
	raid("HP", "LOGICAL VOLUME", "sas"),
	raid("HPE", "LOGICAL VOLUME", "sas"),
	raid("DELL", "PERC H710P", "sas"),
	raid("DELL", "PERC H730P Mini", "sas"),
	raid("AVAGO", "MR9361-8i", "sas"),
	raid("LSI", "MegaRAID SAS RMB", "sas"),
	raid("LSI", "MR9260-8i", "sas"),
	raid("IBM", "ServeRAID M5110e", "sas"),
	raid("Adaptec", "RAID5", "sas"),
	raid("ATA", "DELLBOSS VD", "sata"),
	raid("Areca", "ARC-1882-VOL#000", "sas"),
	raid("BROADCOM", "MR9560-16i", "sas"),
	virt(DriveFacts{Model: "Virtual disk", VendorRaw: "VMware", Transport: "sas", WWN: "naa.6000c29a1b2c3d4e5f60718293a4b5c6"}),
	virt(DriveFacts{Model: "Virtual Disk", VendorRaw: "Msft", Transport: "scsi"}),
	virt(DriveFacts{Model: "QEMU HARDDISK", VendorRaw: "ATA", Transport: "sata"}),
	virt(DriveFacts{Model: "VBOX HARDDISK", VendorRaw: "ATA", Transport: "sata"}),
	virt(DriveFacts{Transport: "virtio", PCIVendor: 0x1af4}),
	virt(DriveFacts{Model: "Amazon Elastic Block Store", Transport: "nvme", PCIVendor: 0x1d0f, PCISubsystemVendor: 0x1d0f}),
	virt(DriveFacts{Model: "Amazon EC2 NVMe Instance Storage", Transport: "nvme", PCIVendor: 0x1d0f, PCISubsystemVendor: 0x1d0f}),
	virt(DriveFacts{Model: "QEMU NVMe Ctrl", Transport: "nvme", PCIVendor: 0x1b36, PCISubsystemVendor: 0x1af4}),
	virt(DriveFacts{Model: "nvme_card-pd", Transport: "nvme", PCIVendor: 0x1ae0, PCISubsystemVendor: 0x1ae0}),
}

// driveScore is the table's figures.
type driveScore struct {
	known, correct               int // drives of a knowable maker, and those named right
	wrong                        int // drives named as another maker
	noMakerRows, noMakerNamed    int // drives whose maker is not knowable, and those given one anyway
	kindRows, kindRight          int
	micronTP, micronFP, micronFN int // Micron family (micron and its brands): found, false, missed
}

func scoreDriveTable(t *testing.T, table []driveCase) driveScore {
	var s driveScore
	isMicron := func(slug string) bool {
		m := lookupSlug(slug)
		return m != nil && m.Parent == "micron"
	}
	for _, c := range table {
		got := IdentifyDrive(c.f)
		s.kindRows++
		if got.Kind == c.kind {
			s.kindRight++
		} else {
			t.Errorf("%q (%s): kind %v, want %v", c.f.Model, c.src, got.Kind, c.kind)
		}
		if c.want == "" {
			s.noMakerRows++
			if got.Vendor.Known() {
				s.noMakerNamed++
				t.Errorf("%q (%s): named %s, but no maker is knowable", c.f.Model, c.src, got.Vendor.ID)
			}
		} else {
			s.known++
			switch got.Vendor.ID {
			case c.want:
				s.correct++
			case "":
				t.Logf("miss: %q (%s): unknown, want %s", c.f.Model, c.src, c.want)
			default:
				s.wrong++
				t.Errorf("%q (%s): named %s, want %s (warnings %q)", c.f.Model, c.src, got.Vendor.ID, c.want, got.Warnings)
			}
		}
		switch w, g := isMicron(c.want), isMicron(got.Vendor.ID); {
		case w && g:
			s.micronTP++
		case g:
			s.micronFP++
		case w:
			s.micronFN++
		}
	}
	return s
}

// TestDriveMakerTable measures IdentifyDrive on the table (go test -run
// TestDriveMakerTable -v ./internal/maker/ prints the figures that
// docs/identification.md records) and holds it to the issue's targets.
func TestDriveMakerTable(t *testing.T) {
	s := scoreDriveTable(t, driveTable)
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
	accuracy := pct(s.correct, s.known)
	recall := pct(s.micronTP, s.micronTP+s.micronFN)
	precision := pct(s.micronTP, s.micronTP+s.micronFP)
	t.Logf("%d drives: %d of a knowable maker, %d without one (RAID, virtual, controller only, arrays, bridges)", len(driveTable), s.known, s.noMakerRows)
	t.Logf("maker accuracy %.1f%% (%d/%d), wrong %d, unknown %d", accuracy, s.correct, s.known, s.wrong, s.known-s.correct-s.wrong)
	t.Logf("Micron family: recall %.1f%% (%d/%d), precision %.1f%% (%d/%d)", recall, s.micronTP, s.micronTP+s.micronFN, precision, s.micronTP, s.micronTP+s.micronFP)
	t.Logf("no maker where none is knowable: %d/%d; kind right: %d/%d", s.noMakerRows-s.noMakerNamed, s.noMakerRows, s.kindRight, s.kindRows)
	if accuracy < 97 || recall < 99 || precision < 99.9 || s.noMakerNamed > 0 {
		t.Errorf("below the issue's targets: %s", fmt.Sprintf("accuracy %.1f%%, Micron recall %.1f%%, precision %.1f%%, %d makers named where none is knowable",
			accuracy, recall, precision, s.noMakerNamed))
	}
}
