package vendor

// makerDef is one curated maker of the catalogue.
type makerDef struct {
	id, name, parent string
	// jep106 lists every JEP106 id ("BANK:0xCODE") registered to the maker,
	// primary first. Each was looked up in ../shared/reference/jep106.tsv (or
	// the jep106 package's supplement); TestCatalogueJEP106 checks that the
	// listed name still fits.
	jep106 []string
	// aliases are manufacturer strings that name the maker (SMBIOS,
	// dmidecode, udev, SCSI vendor). They are compared after normalisation
	// (case, punctuation and trailing corporate words such as "Inc" or
	// "Technology" do not matter), so "Micron Technology, Inc." needs no entry
	// of its own.
	aliases []string
	// note records a judgement call (ownership, brand lineage).
	note string
}

// catalogue is the curated list of makers. Parents are the company that owns
// the maker today; a maker that is its own parent is independent.
var catalogue = []makerDef{
	{id: "micron", name: "Micron Technology", parent: "micron",
		jep106:  []string{"1:0x2C", "2:0x45"},
		aliases: []string{"Micron", "Micron Technology", "Micron Semiconductor", "Micron CMS", "Micron Tech"},
		note:    `JEP106 2:0x45 "Micron CMS" (Micron's former module business) is Micron.`},
	{id: "crucial", name: "Crucial", parent: "micron",
		jep106:  []string{"6:0x1B"},
		aliases: []string{"Crucial", "Crucial Technology"},
		note:    "Crucial is Micron's consumer brand."},
	{id: "elpida", name: "Elpida Memory", parent: "micron",
		jep106:  []string{"3:0x7E"},
		aliases: []string{"Elpida", "Elpida Memory"},
		note:    "Elpida was acquired by Micron in 2013 (later Micron Memory Japan)."},
	{id: "spectek", name: "SpecTek", parent: "micron",
		jep106:  []string{"3:0x35"},
		aliases: []string{"SpecTek"},
		note:    "SpecTek is a Micron division that sells Micron components."},
	{id: "samsung", name: "Samsung", parent: "samsung",
		jep106:  []string{"1:0x4E"},
		aliases: []string{"Samsung", "Samsung Electronics", "Samsung Semiconductor"}},
	{id: "skhynix", name: "SK hynix", parent: "skhynix",
		jep106:  []string{"1:0x2D"},
		aliases: []string{"SK hynix", "SKhynix", "SK-hynix", "Hynix", "Hynix Semiconductor", "Hyundai", "Hyundai Electronics", "Hynix/Hyundai"},
		note: `Hynix was Hyundai Electronics' semiconductor arm. JEP106 10:0x62 "Hyundai Technology" and ` +
			`10:0x74 "Hyundai Inc" are other companies and are not mapped here.`},
	{id: "solidigm", name: "Solidigm", parent: "skhynix",
		aliases: []string{"Solidigm"},
		note:    "Solidigm is SK hynix's subsidiary formed from Intel's NAND/SSD business (sale closed Dec 2021)."},
	{id: "kingston", name: "Kingston Technology", parent: "kingston",
		jep106:  []string{"2:0x18"},
		aliases: []string{"Kingston", "Kingston Technology"}},
	{id: "nanya", name: "Nanya Technology", parent: "nanya",
		jep106:  []string{"4:0x0B"},
		aliases: []string{"Nanya", "Nanya Technology"}},
	{id: "cxmt", name: "CXMT", parent: "cxmt",
		jep106:  []string{"11:0x11", "16:0x01"},
		aliases: []string{"CXMT", "ChangXin Memory", "ChangXin Memory Technologies", "Changxin Memory Technology", "Innotron Memory"},
		note:    `11:0x11 is "CXMT (former Innotron Memory Co Ltd)"; 16:0x01 "Changxin Memory Technology (Shanghai)" comes from a later JEP106 revision.`},
	{id: "ymtc", name: "YMTC", parent: "ymtc",
		jep106:  []string{"10:0x1B"},
		aliases: []string{"YMTC", "Yangtze Memory", "Yangtze Memory Technologies", "ZhiTai"},
		note:    "ZhiTai is YMTC's consumer SSD brand."},
	{id: "ramaxel", name: "Ramaxel Technology", parent: "ramaxel",
		jep106:  []string{"5:0x43"},
		aliases: []string{"Ramaxel", "Ramaxel Technology"}},
	{id: "corsair", name: "Corsair", parent: "corsair",
		jep106:  []string{"3:0x1E"},
		aliases: []string{"Corsair", "Corsair Memory", "Corsair Components"}},
	{id: "gskill", name: "G.Skill", parent: "gskill",
		jep106:  []string{"5:0x4D"},
		aliases: []string{"G.Skill", "G Skill", "GSkill", "G.Skill International", "G Skill Intl"}},
	{id: "adata", name: "ADATA Technology", parent: "adata",
		jep106:  []string{"5:0x4B"},
		aliases: []string{"ADATA", "A-DATA", "A-DATA Technology", "XPG"},
		note:    "XPG is ADATA's gaming brand."},
	{id: "teamgroup", name: "Team Group", parent: "teamgroup",
		jep106:  []string{"5:0x6F"},
		aliases: []string{"Team Group", "TeamGroup", "Team", "T-Force"}},
	{id: "patriot", name: "Patriot Memory", parent: "patriot",
		jep106:  []string{"6:0x02"},
		aliases: []string{"Patriot", "Patriot Memory"},
		note:    `JEP106 5:0x0D "Patriot Scientific" is an unrelated company and is not mapped here.`},
	{id: "smartmodular", name: "SMART Modular Technologies", parent: "smartmodular",
		jep106:  []string{"2:0x14"},
		aliases: []string{"SMART Modular", "Smart Modular Technologies", "SMART Brazil"},
		note:    `"SMART Brazil" is SMART Modular Technologies' Brazilian arm (SMART Modular Technologies do Brasil).`},
	{id: "apacer", name: "Apacer Technology", parent: "apacer",
		jep106:  []string{"2:0x7A"},
		aliases: []string{"Apacer", "Apacer Technology"}},
	{id: "pny", name: "PNY Technologies", parent: "pny",
		jep106:  []string{"2:0x3A"},
		aliases: []string{"PNY", "PNY Technologies", "PNY Electronics"}},
	{id: "transcend", name: "Transcend Information", parent: "transcend",
		jep106:  []string{"2:0x4F", "8:0x6A"},
		aliases: []string{"Transcend", "Transcend Information"},
		note:    `8:0x6A "Transcend Technology Co. Ltd." is the same company.`},
	{id: "siliconpower", name: "Silicon Power", parent: "siliconpower",
		jep106:  []string{"7:0x53"},
		aliases: []string{"Silicon Power", "Silicon-Power", "SiliconPower", "SPCC", "Silicon Power Computer & Communications"}},
	{id: "kioxia", name: "Kioxia", parent: "kioxia",
		jep106:  []string{"1:0x18"},
		aliases: []string{"Kioxia", "Kioxia Corporation", "Toshiba Memory", "Toshiba Memory Corporation"},
		note: `1:0x18 is listed as "Kioxia Corporation (former Toshiba Memory Corporation)": Toshiba's memory ` +
			`business became Kioxia, so that id and Toshiba-branded SSDs and flash are kioxia. Plain "Toshiba" ` +
			`and 5:0x71 "Toshiba Corporation" stay toshiba: Toshiba Corporation still exists and still makes HDDs.`},
	{id: "toshiba", name: "Toshiba", parent: "toshiba",
		jep106:  []string{"5:0x71"},
		aliases: []string{"Toshiba", "Toshiba Corporation"},
		note:    "Toshiba Corporation; its HDDs are made by Toshiba Electronic Devices & Storage, its former memory business is kioxia."},
	{id: "westerndigital", name: "Western Digital", parent: "westerndigital",
		aliases: []string{"Western Digital", "WDC", "WD", "Western Digital Corporation"},
		note: `JEP106 1:0x45 (listed as "Western Digital Technologies (former SanDisk Corporation)") is SanDisk's ` +
			`flash id and is mapped to sandisk; WD's hard disks carry no JEP106 id.`},
	{id: "hgst", name: "HGST", parent: "westerndigital",
		jep106:  []string{"9:0x58"},
		aliases: []string{"HGST", "Hitachi Global Storage Technologies", "Hitachi GST"},
		note:    "HGST (Hitachi's former disk business) was acquired by Western Digital in 2012."},
	{id: "sandisk", name: "SanDisk", parent: "sandisk",
		jep106:  []string{"1:0x45"},
		aliases: []string{"SanDisk", "SanDisk Corporation", "SanDisk Technologies"},
		note: `SanDisk was spun off from Western Digital in February 2025 and owns the flash business, ` +
			`including WD-branded SSDs (WDS..., WD_BLACK SN..., PC SN...), PCI vendor 15b7 and JEP106 1:0x45 ` +
			`(listed as "SanDisk Technologies Inc" in JEP106 revisions after the split). So its parent is ` +
			`itself, not westerndigital.`},
	{id: "seagate", name: "Seagate Technology", parent: "seagate",
		jep106:  []string{"9:0x42"},
		aliases: []string{"Seagate", "Seagate Technology"}},
	{id: "intel", name: "Intel", parent: "intel",
		jep106:  []string{"1:0x09"},
		aliases: []string{"Intel", "Intel Corporation"},
		note: "Intel-branded SSDs (INTEL SSD..., SSDPE..., SSDSC...) are reported as intel: the model does not " +
			"say whether a drive was built before or after the Solidigm sale (Dec 2021); SOLIDIGM-branded ones are solidigm."},
	{id: "phison", name: "Phison Electronics", parent: "phison",
		jep106:  []string{"10:0x25"},
		aliases: []string{"Phison", "Phison Electronics"}},
	{id: "siliconmotion", name: "Silicon Motion", parent: "siliconmotion",
		jep106:  []string{"9:0x09"},
		aliases: []string{"Silicon Motion", "SMI"}},
	{id: "marvell", name: "Marvell", parent: "marvell",
		jep106:  []string{"4:0x69"},
		aliases: []string{"Marvell", "Marvell Semiconductor", "Marvell Technology"}},
	{id: "maxio", name: "Maxio Technology", parent: "maxio",
		aliases: []string{"Maxio", "Maxio Technology"}},
	{id: "realtek", name: "Realtek Semiconductor", parent: "realtek",
		jep106:  []string{"9:0x79"},
		aliases: []string{"Realtek", "Realtek Semiconductor"}},
	{id: "longsys", name: "Longsys", parent: "longsys",
		jep106:  []string{"10:0x4D", "11:0x56"},
		aliases: []string{"Longsys", "Shenzhen Longsys", "Shenzhen Longsys Electronics", "FORESEE"},
		note:    "FORESEE is Longsys' own brand."},
	{id: "lexar", name: "Lexar", parent: "longsys",
		jep106:  []string{"11:0x76", "7:0x5E"},
		aliases: []string{"Lexar", "Lexar Media", "Lexar Co Limited"},
		note: `The Lexar brand was sold by Micron to Longsys in 2017. 7:0x5E "Lexar Media" is the original ` +
			`company's id, 11:0x76 "Lexar Co Limited" the Longsys-era one; both are the Lexar brand.`},
	// Module makers that name their modules only in part numbers or in
	// manufacturer strings seen in linuxhw/DMI reports (linuxhw-dmi-train).
	{id: "goodram", name: "Goodram (Wilk Elektronik)", parent: "goodram",
		jep106:  []string{"8:0x5D"},
		aliases: []string{"Goodram", "Wilk Elektronik", "Wilk Elektronik S.A.", "Wilk"},
		note:    "Goodram is the memory brand of Wilk Elektronik S.A. (Poland); IRDM modules are Goodram's gaming line."},
	{id: "netac", name: "Netac Technology", parent: "netac",
		jep106:  []string{"10:0x77"},
		aliases: []string{"Netac", "Netac Technology"}},
	{id: "biwin", name: "Biwin Semiconductor", parent: "biwin",
		jep106:  []string{"11:0x31"},
		aliases: []string{"Biwin", "Biwin Semiconductor", "Biwin Storage"}},
	{id: "kingbank", name: "Kingbank Technology", parent: "kingbank",
		jep106:  []string{"12:0x12"},
		aliases: []string{"Kingbank", "Kingbank Technology"}},
	{id: "asint", name: "ASint Technology", parent: "asint",
		jep106:  []string{"7:0x41"},
		aliases: []string{"ASint", "ASint Technology"}},
	{id: "hangzhouhikstorage", name: "HIKSEMI (Hangzhou Hikstorage)", parent: "hangzhouhikstorage",
		jep106:  []string{"12:0x2C"},
		aliases: []string{"HIKSEMI", "Hikstorage", "Hangzhou Hikstorage", "Hangzhou Hikstorage Technology"},
		note: `HIKSEMI is the brand of Hangzhou Hikstorage Technology, a Hikvision subsidiary; Hikvision has no JEP106 id ` +
			`and no maker here, so HIKSEMI is its own parent. 12:0x2C is not Micron's 1:0x2C. The slug is the one derived ` +
			`from the JEP106 name before the maker was curated, kept so that policies naming it stay valid.`},
	{id: "essencore", name: "Essencore (KLEVV)", parent: "essencore",
		jep106:  []string{"9:0x18"},
		aliases: []string{"Essencore", "KLEVV"},
		note:    "KLEVV is Essencore's memory brand."},
	{id: "goldenempire", name: "GeIL (Golden Empire)", parent: "goldenempire",
		jep106:  []string{"4:0x13"},
		aliases: []string{"GeIL", "Golden Empire", "Golden Emperor International"},
		note: "GeIL is Golden Emperor International's brand, registered in JEP106 as Golden Empire; the slug is the one " +
			"derived from the JEP106 name before the maker was curated."},
	{id: "hpe", name: "Hewlett Packard Enterprise", parent: "hpe",
		jep106:  []string{"10:0x03"},
		aliases: []string{"HPE", "Hewlett Packard Enterprise"},
		note:    `An OEM: it rebadges modules and drives made by others. 1:0x54 "Hewlett-Packard" (pre-2015 HP) is not mapped here.`},
	{id: "dell", name: "Dell", parent: "dell",
		jep106:  []string{"13:0x7D"},
		aliases: []string{"Dell", "Dell Inc", "Dell Technologies", "Dell Computer Corporation"},
		note:    "An OEM: it rebadges modules and drives made by others."},
	{id: "lenovo", name: "Lenovo", parent: "lenovo",
		jep106:  []string{"9:0x48"},
		aliases: []string{"Lenovo"},
		note:    "An OEM: it rebadges modules and drives made by others."},
}

// oemSlugs are makers that put their name on parts made by others
// (hewlettpackard and ibm are derived from their JEP106 names).
var oemSlugs = map[string]bool{"hpe": true, "dell": true, "lenovo": true, "hewlettpackard": true, "ibm": true}

// derivedSlugOverrides give a distinct slug to JEP106 ids whose derived slug
// would merge them with a different company of a similar name. (Same-company
// duplicates such as Gloway's two ids are left to share one slug.)
var derivedSlugOverrides = map[string]string{
	"11:0x1D": "amsjiangsu", // "AMS (Jiangsu Advanced Memory Semi)", not 1:0x73 "AMS(Austria Micro)"
	"11:0x75": "armchina",   // "Arm Technology (China) Co Ltd", not 5:0x3B "ARM Ltd."
	"10:0x74": "hyundaiinc", // "Hyundai Inc", not 10:0x62 "Hyundai Technology"
}
