package maker

import (
	"slices"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/placeholder"
)

func TestIdentifyModule(t *testing.T) {
	tests := []struct {
		name     string
		f        ModuleFacts
		module   string   // expected slug, "" = unknown
		evidence []string // expected Module.Evidence
		jep106   string   // expected Module.JEP106
		dram     string   // expected DRAM slug
		warn     string   // substring of a warning; "" = no warnings at all
	}{
		// JEP106 codes in the manufacturer string, every encoding.
		{"pair with parity: Crucial", ModuleFacts{"859B", 0, "CT51264BF1339.C16F"}, "crucial", []string{EvidenceJEP106String, EvidencePartNumber}, "6:0x1B", "", ""},
		{"six bytes Micron/Micron", ModuleFacts{"802C0000802C", 0, ""}, "micron", []string{EvidenceJEP106String}, "1:0x2C", "micron", ""},
		{"six bytes Dell style", ModuleFacts{"002C00B3002C", 0, "18ASF2G72PDZ-2G3B1"}, "micron", []string{EvidenceJEP106String, EvidencePartNumber}, "1:0x2C", "micron", ""},
		{"Kingston module, Micron DRAM", ModuleFacts{"01980000802C", 0, "XVTW4H-MIE"}, "kingston", []string{EvidenceJEP106String, EvidencePartNumber}, "2:0x18", "micron", ""},
		{"Crucial module, Micron DRAM", ModuleFacts{"859B0000802C", 0x9B85, "CT16G4DFRA266.C16FJ"}, "crucial", []string{EvidenceModuleID, EvidenceJEP106String, EvidencePartNumber}, "6:0x1B", "micron", ""},
		{"Hynix/Hynix", ModuleFacts{"80AD000080AD", 0, ""}, "skhynix", []string{EvidenceJEP106String}, "1:0x2D", "skhynix", ""},
		{"Kingmax bank 4 (derived maker)", ModuleFacts{"832500008325", 0, ""}, "kingmax", []string{EvidenceJEP106String}, "4:0x25", "kingmax", ""},
		{"word as number 0x-prefixed", ModuleFacts{"0x2C00", 0, ""}, "micron", []string{EvidenceJEP106String}, "1:0x2C", "", ""},
		{"word as number", ModuleFacts{"2C00", 0, ""}, "micron", []string{EvidenceJEP106String}, "1:0x2C", "", ""},
		{"pair with count parity", ModuleFacts{"802C", 0, ""}, "micron", []string{EvidenceJEP106String}, "1:0x2C", "", ""},
		{"old continuation format Samsung", ModuleFacts{"CE00000000000000", 0, ""}, "samsung", []string{EvidenceJEP106String}, "1:0x4E", "", ""},
		{"continuation codes Elpida", ModuleFacts{"7F7FFE0000000000", 0, "EBE21UE8ACUA-8G-E"}, "elpida", []string{EvidenceJEP106String, EvidencePartNumber}, "3:0x7E", "", ""},
		{"continuation codes Kingston 0x", ModuleFacts{"0x7F98000000000000", 0, ""}, "kingston", []string{EvidenceJEP106String}, "2:0x18", "", ""},
		{"bank 12 0x2C is Hikstorage, not Micron", ModuleFacts{"0B2C", 0x2C0B, "HKED4161DAA1D0MA1"}, "hangzhouhikstorage", []string{EvidenceModuleID, EvidenceJEP106String, EvidencePartNumber}, "12:0x2C", "", ""},
		{"0416 Positivo", ModuleFacts{"0416", 0x1604, ""}, "positivoinformatica", []string{EvidenceModuleID, EvidenceJEP106String}, "5:0x16", "", ""},
		{"Bank 5 0x16", ModuleFacts{"Bank 5 0x16", 0, ""}, "positivoinformatica", []string{EvidenceJEP106String}, "5:0x16", "", ""},
		{"dmidecode style Bank/Hex", ModuleFacts{"Bank 6, Hex 0x9B", 0, ""}, "crucial", []string{EvidenceJEP106String}, "6:0x1B", "", ""},
		{"JEDEC ID label", ModuleFacts{"JEDEC ID:80 2C", 0, "18JSF25672AZ-1G4G1"}, "micron", []string{EvidenceJEP106String, EvidencePartNumber}, "1:0x2C", "", ""},
		{"JEDEC ID label Samsung", ModuleFacts{"JEDEC ID:80 CE", 0, ""}, "samsung", []string{EvidenceJEP106String}, "1:0x4E", "", ""},
		{"byte-swapped in brackets", ModuleFacts{"Unknown - [0x9B85]", 0x9B05, "CT32G4SFD832A.M16FF"}, "crucial", []string{EvidenceModuleID, EvidenceJEP106String, EvidencePartNumber}, "6:0x1B", "", ""},
		{"byte-swapped pair without parity bit", ModuleFacts{"2C80", 0, ""}, "micron", []string{EvidenceJEP106String}, "1:0x2C", "", ""},
		{"spaced hex bytes", ModuleFacts{"80 AD", 0, ""}, "skhynix", []string{EvidenceJEP106String}, "1:0x2D", "", ""},

		// Codes that must not be believed.
		{"1315 is no JEP106 code: part number decides", ModuleFacts{"1315", 0, "CT102464BA160B.C16"}, "crucial", []string{EvidencePartNumber}, "", "", `"1315" is not a valid JEP106 code`},
		{"1315 alone: unknown", ModuleFacts{"1315", 0, ""}, "", nil, "", "", `"1315" is not a valid JEP106 code`},
		{"two valid readings: (count, id) wins", ModuleFacts{"0102", 0, ""}, "nationalinstruments", []string{EvidenceJEP106String}, "2:0x02", "", "also reads as JEP106 3:0x01"},
		{"Patriot as (count, id)", ModuleFacts{"8502", 0, "3200 C16 Series"}, "patriot", []string{EvidenceJEP106String, EvidencePartNumber}, "6:0x02", "", "also reads as JEP106 3:0x05"},
		{"Patriot as a bracketed word", ModuleFacts{"Unknown - [0x0285]", 0, ""}, "patriot", []string{EvidenceJEP106String}, "6:0x02", "", ""},
		{"bracketed word with a bad count", ModuleFacts{"Unknown - [0x02FF]", 0, ""}, "", nil, "", "", "SMBIOS word 0x02FF"},
		{"bad parity id", ModuleFacts{"802D", 0, ""}, "", nil, "", "", "not a valid JEP106 code"},
		{"(count, id) with a count past the last bank is not swapped", ModuleFacts{"0x7301", 0, "G2TT-4AFW00"}, "", nil, "", "", `"0x7301" is not a valid JEP106 code`},
		{"nor without 0x", ModuleFacts{"9801", 0, ""}, "", nil, "", "", `"9801" is not a valid JEP106 code`},
		{"valid but unlisted id", ModuleFacts{"0D2C", 0, ""}, "", nil, "", "", "does not list"},
		{"six bytes with broken module id keep the DRAM id", ModuleFacts{"002D0000802C", 0, ""}, "", nil, "", "micron", "module id bytes 00 2D"},
		{"six bytes with only a DRAM id", ModuleFacts{"00000000802C", 0, ""}, "", nil, "", "micron", ""},
		{"odd hex digits with 0x", ModuleFacts{"0x2C0", 0, ""}, "", nil, "", "", "odd number of hex digits"},

		// Names and aliases.
		{"Micron truncated", ModuleFacts{"Micron_Technolog", 0, ""}, "micron", []string{EvidenceName}, "", "", ""},
		{"Hynix Semiconductor", ModuleFacts{"Hynix Semiconductor", 0, "HMT351R7EFR4A-H9"}, "skhynix", []string{EvidenceName, EvidencePartNumber}, "", "", ""},
		{"CRUCIAL upper case", ModuleFacts{"CRUCIAL", 0, ""}, "crucial", []string{EvidenceName}, "", "", ""},
		{"Crucial Technology", ModuleFacts{"Crucial Technology", 0x9B85, "CT32G48C40U5.C16A1"}, "crucial", []string{EvidenceModuleID, EvidenceName, EvidencePartNumber}, "6:0x1B", "", ""},
		{"Samsung", ModuleFacts{"Samsung", 0, "M393B5270DH0-YH9"}, "samsung", []string{EvidenceName, EvidencePartNumber}, "", "", ""},
		{"Kingston", ModuleFacts{"Kingston", 0, "KF3200C16D4/32GX"}, "kingston", []string{EvidenceName, EvidencePartNumber}, "", "", ""},
		{"SK Hynix", ModuleFacts{"SK Hynix", 0, ""}, "skhynix", []string{EvidenceName}, "", "", ""},
		{"Micron with corporate suffix", ModuleFacts{"Micron Technology, Inc.", 0, ""}, "micron", []string{EvidenceName}, "", "", ""},
		{"NUL padded name", ModuleFacts{"Samsung\x00\x00 ", 0, ""}, "samsung", []string{EvidenceName}, "", "", ""},
		{"G.Skill", ModuleFacts{"G.Skill", 0, ""}, "gskill", []string{EvidenceName}, "", "", ""},
		{"A-DATA", ModuleFacts{"A-DATA Technology", 0, ""}, "adata", []string{EvidenceName}, "", "", ""},
		{"Intel(R) Corporation", ModuleFacts{"Intel(R) Corporation", 0, ""}, "intel", []string{EvidenceName}, "", "", ""},
		{"derived maker by JEP106 name", ModuleFacts{"Advantech Co Ltd", 0, ""}, "advantech", []string{EvidenceName}, "", "", ""},
		{"Patriot Scientific is not Patriot Memory", ModuleFacts{"Patriot Scientific", 0, ""}, "patriotscientific", []string{EvidenceName}, "", "", ""},
		{"Bright Micron is not Micron", ModuleFacts{"Bright Micron Technology", 0, ""}, "brightmicron", []string{EvidenceName}, "", "", ""},
		{"Micron CMS is Micron", ModuleFacts{"Micron CMS", 0, ""}, "micron", []string{EvidenceName}, "", "", ""},
		{"Siemens names two JEP106 makers", ModuleFacts{"Siemens", 0, ""}, "", nil, "", "", "names more than one maker"},
		{"OEM name", ModuleFacts{"Dell Inc.", 0, ""}, "dell", []string{EvidenceName}, "", "", "OEM"},
		{"unknown name", ModuleFacts{"Foo Bar Memories", 0, ""}, "", nil, "", "", "names no known maker"},

		// Module id word.
		{"module id only", ModuleFacts{"Unknown", 0x9B85, ""}, "crucial", []string{EvidenceModuleID}, "6:0x1B", "", ""},
		{"module id, count byte without parity (dmidecode Bank 6)", ModuleFacts{"", 0x9B05, ""}, "crucial", []string{EvidenceModuleID}, "6:0x1B", "", ""},
		{"module id bad parity", ModuleFacts{"", 0x2D80, ""}, "", nil, "", "", "module manufacturer id ignored"},
		{"module id unlisted keeps its JEP106", ModuleFacts{"", 0x2C0D, ""}, "", nil, "14:0x2C", "", "not in the JEP106 table"},

		// Conflicts: the stronger evidence wins and a warning says so.
		{"module id beats name", ModuleFacts{"Kingston", 0x2C80, "KHX2933C17D4/16G"}, "micron", []string{EvidenceModuleID}, "1:0x2C", "", `manufacturer string "Kingston" says kingston`},
		{"name beats part number", ModuleFacts{"Samsung", 0, "HMA41GR7AFR4N-UH"}, "samsung", []string{EvidenceName}, "", "", `part number "HMA41GR7AFR4N-UH" says skhynix`},
		{"string code beats name-less part number", ModuleFacts{"80CE", 0, "M393B1G73QH0-CMA"}, "samsung", []string{EvidenceJEP106String, EvidencePartNumber}, "1:0x4E", "", ""},
		{"related makers are not a conflict", ModuleFacts{"802C", 0, "CT8G4DFS8266.C8FN"}, "micron", []string{EvidenceJEP106String}, "1:0x2C", "", "related to micron"},

		// Nothing to go on.
		{"placeholders", ModuleFacts{"Not Specified", 0, "Not Specified"}, "", nil, "", "", ""},
		{"template strings", ModuleFacts{"Manufacturer00", 0, "ModulePartNumber00"}, "", nil, "", "", ""},
		{"zeros", ModuleFacts{"0000", 0, "D3ES12082XH12AA"}, "", nil, "", "", ""},
		{"OEM part number names nobody", ModuleFacts{"Undefined", 0, "HP647647-071-HYE"}, "", nil, "", "", ""},
		{"part number decides when string says nothing", ModuleFacts{"Undefined", 0, "F3-12800CL9-2GBXL"}, "gskill", []string{EvidencePartNumber}, "", "", ""},
		{"hex-encoded part number", ModuleFacts{"0xCE00000000000000", 0, "0x4D332037385432393533455A332D43453620"}, "samsung", []string{EvidenceJEP106String, EvidencePartNumber}, "1:0x4E", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IdentifyModule(tt.f)
			if got.Module.ID != tt.module || !slices.Equal(got.Module.Evidence, tt.evidence) || got.Module.JEP106 != tt.jep106 {
				t.Errorf("Module = {%s %v %s}, want {%s %v %s}", got.Module.ID, got.Module.Evidence, got.Module.JEP106, tt.module, tt.evidence, tt.jep106)
			}
			if got.DRAM.ID != tt.dram {
				t.Errorf("DRAM = %q, want %q", got.DRAM.ID, tt.dram)
			}
			if tt.dram != "" && !slices.Equal(got.DRAM.Evidence, []string{EvidenceJEP106String}) {
				t.Errorf("DRAM evidence = %v", got.DRAM.Evidence)
			}
			if tt.warn == "" && len(got.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", got.Warnings)
			}
			if tt.warn != "" && !anyContains(got.Warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", got.Warnings, tt.warn)
			}
			if got.Module.Known() {
				m, ok := BySlug(got.Module.ID)
				if !ok || m.Name != got.Module.Name || m.Parent != got.Module.Parent {
					t.Errorf("Module %+v does not match BySlug: %+v, %v", got.Module, m, ok)
				}
			}
		})
	}
}

func TestIdentifyModuleParents(t *testing.T) {
	got := IdentifyModule(ModuleFacts{ManufacturerRaw: "859B0000802C"})
	if got.Module.Parent != "micron" || got.Module.Name != "Crucial" || got.DRAM.Parent != "micron" {
		t.Errorf("got module %+v dram %+v; want Crucial (parent micron) with Micron DRAM", got.Module, got.DRAM)
	}
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestCleanPartNumber(t *testing.T) {
	tests := []struct {
		raw, want string
		changed   bool
	}{
		{"0x4D332037385432393533455A332D43453620", "M3 78T2953EZ3-CE6", true},
		{"0x4B0000000000000000000000000000000000", "K", true},
		{"0x000000", "", true},
		{"HMT42GR7AFR4A-PB", "HMT42GR7AFR4A-PB", false},
		{"  CT16G4DFRA266.C16FJ   ", "CT16G4DFRA266.C16FJ", true},
		{"18ASF2G72PDZ-2G3B1\x00\x00", "18ASF2G72PDZ-2G3B1", true},
		{"GSOG42F-18----------", "GSOG42F-18", true},
		{"KVR16N11/8-", "KVR16N11/8-", false},                           // a single dash may be real
		{"0x01020304", "0x01020304", false},                             // not printable: left alone
		{"0x4D3", "0x4D3", false},                                       // odd digits: not hex
		{"0xZZ11", "0xZZ11", false},                                     // not hex
		{"4D332037385432393533455A", "4D332037385432393533455A", false}, // no 0x: could be a real part number
		{"\f", "", true},
		{"\xff\xffKVR16N11/8\xff", "KVR16N11/8", true},
		{"", "", false},
	}
	for _, tt := range tests {
		got, changed := CleanPartNumber(tt.raw)
		if got != tt.want || changed != tt.changed {
			t.Errorf("CleanPartNumber(%q) = %q, %v; want %q, %v", tt.raw, got, changed, tt.want, tt.changed)
		}
	}
}

func TestPartNumberRules(t *testing.T) {
	tests := []struct {
		pn   string
		want string // "" = no maker
	}{
		{"MTA18ASF2G72PZ-2G3B1", "micron"}, {"MT36KSZF2G72LDZ-1G6E2A7", "micron"}, {"MTC40F2046S1RC48BA1", "micron"},
		{"36KSZ2G72LD1G6E2A7", "micron"}, {"18ASF2G72PDZ-2G3B1", "micron"}, {"36ASF8G72PZ-3G2E1", "micron"},
		{"9ASF1G72PZ-3G2E2", "micron"}, {"8ATF1G64AZ-2G6E1", "micron"}, {"16KTF1G64AZ-1G6E1", "micron"},
		{"18JSF25672AZ-1G4F1", "micron"}, {"18KSF51272PZ-1G4K", "micron"}, {"4ATF51264HZ-2G6E1", "micron"},
		{"CT51264BF1339.C16F", "crucial"}, {"CT102464BA160B.C16", "crucial"}, {"CT16G48C40U5.M8A1", "crucial"},
		{"BLS8G4D240FSB.16FBD", "crucial"}, {"BL2K16G32C16U4B.M16FE1", "crucial"},
		{"M393B1G73QH0-CMA", "samsung"}, {"M3 93T6450FZ0-CCC", "samsung"}, {"M471A1K43CB1-CRC", "samsung"}, {"M321R4GA3BB6-CQKET", "samsung"}, {"K4A8G085WB-BCPB", "samsung"},
		{"HMT42GR7AFR4A-PB", "skhynix"}, {"HMA41GR7AFR4N-UH", "skhynix"}, {"HMCG78AGBRA190N", "skhynix"}, {"HMAA1GS6CJR6N-XN", "skhynix"}, {"HYMP125U64CP8-S6", "skhynix"},
		{"EBE21UE8ACUA-8G-E", "elpida"}, {"EBJ41UF8BCS0-DJ-F", "elpida"},
		{"KHX2933C17D4/16G", "kingston"}, {"KVR16N11/8", "kingston"}, {"KF3200C16D4/32GX", "kingston"}, {"KSM32RD4/32MEI", "kingston"},
		{"9905701-017.A00G", "kingston"}, {"99U5471-020.A00LF", "kingston"}, {"ACR26D4S9S8ME-8", "kingston"}, {"KTH-PL424/32G", "kingston"}, {"HX426C16FB3/8", "kingston"},
		{"F3-12800CL9-2GBXL", "gskill"}, {"F4-3200C16-8GVKB", "gskill"}, {"F5-6000J3038F16G", "gskill"},
		{"CMK16GX4M2B3200C16", "corsair"}, {"CMSX8GX4M1A2400C16", "corsair"},
		{"TED48G2666C1901", "teamgroup"}, {"TLZGD416G3200HC16FDC01", "teamgroup"}, {"FF3D416G3200HC16FDC01", "teamgroup"},
		{"AD4U320038G22-SGN", "adata"}, {"AX4U360038G18A-ST41", "adata"},
		{"RMSA3260ME78HAF-2666", "ramaxel"}, {"NT8GA72D89FX3S-JR", "nanya"}, {"NT1GT64U88D0BY-AD", "nanya"},
		{"PSD416G26662", "patriot"}, {"PVS416G320C6K", "patriot"}, {"78.C1GET.4010C", "apacer"}, {"TS1GLH64V6B", "transcend"},
		{"NMA1XXD128GPS", "intel"},
		// Schemes added from makers' public numbering (see partnumbers.tsv).
		{"53E1G32D2NP-046", "micron"}, {"MT53E1G32D2NP-046 WT:A", "micron"}, {"62F1G32D4DR-031", "micron"}, {"MICRON/MT60B1G16HC-4", "micron"},
		{"CP16G4DFRA32A.C8FF", "crucial"}, {"CP48G56C46U5.C16B", "crucial"}, {"CB16GU2666.C8ET", "crucial"},
		{"UBE3D4AA-MGCR", "samsung"}, {"K3LK6K6@BM-BGCP", "samsung"},
		{"HCNNNCPMMLXR-NEE", "skhynix"}, {"H9HCNNNCPMMLXR-NEE", "skhynix"}, {"H9CCNNNCLGALAR-NVD", "skhynix"}, {"H58G66AK6HX079", "skhynix"},
		{"CM4X8GD3000C16K4D", "corsair"}, {"CMK5X16G1B52Z40A2", "corsair"},
		{"IRX3200D464L16A/16G", "goodram"}, {"GR3200S464L22/16G", "goodram"}, {"IR-6000D564L30S/16G", "goodram"},
		{"SMU4WEC8C1K0464FCG", "smartmodular"}, {"SMS4WEC8C1K0446FCG", "smartmodular"}, {"SF4641G8CK8IEHLSBG", "smartmodular"},
		{"LD4BU016G-3200XG", "lexar"}, {"LD5EU016G-6400LA", "lexar"}, {"SP016GBSFU320F02", "siliconpower"},
		{"JM3200HSE-16G", "transcend"}, {"D12.2755BS.001", "apacer"}, {"R748G2606U2S", "amd"}, {"8GBF1X08QFHH38-135-K", "pny"},
		{"KD48GU880-32A160U", "essencore"}, {"HKED4161DAA1D0MA1", "hangzhouhikstorage"}, {"FL3200D4S22-8G", "foxline"},
		{"FD4AS3200C8GZH", "longsys"}, {"HP32D4S2S1ME-8", "kingston"}, {"LV32D4S2S8HD-8", "kingston"}, {"AO1P32NC8T1-BBVS", "adata"},
		{"DB4ABAM-MK", "cxmt"}, {"3200 C16 Series", "patriot"}, {"UD5-6000", "teamgroup"}, {"SM4S510888DHC", "scy"},
		{"J644GU44J2320NQ", "avant"}, {"KS3200D4N12008G", "kingspec"}, {"NMUD480E82-3000D", "goldkey"}, {"VMA45UG-MEC1U2AW2", "asgard"},
		{"HEMA81GS6DJR8N-XN", "hanamicron"}, {"RMUA5200MR78HAF-3200", "ramaxel"},
		{"HP37D4U1S8ME-8XR", "kingston"}, {"CBD56S46BD8HA-32", "kingston"}, {"KD4AGSA80-32N2200", "essencore"},
		{"16GF2X16QFHH36-135-K", "pny"}, {"M4S16S682LJJJ43-12", "pny"}, {"AI1V56WC8W1-B1CS", "adata"},
		{"MRX4U360GKKP32G", "mushkin"}, {"JHD3200U1816JG", "juhor"}, {"WAR4S2666D19321C", "gloway"},
		{"R009D408GX2-4000C19A", "thermaltake"}, {"32G48C40U5.M16A1", "crucial"}, {"C16C2085S1UC48BA1", "micron"},
		// Widened to variants of the same numbering.
		{"XVTW4H-MIE-NX", "kingston"}, {"XW21KG-HYD-NX", "kingston"}, {"XN205T-MIE2", "kingston"},
		{"CBD26D4S9S8K1C-8", "kingston"}, {"RB32D4S2S1ME-8", "kingston"}, {"LV48U40BS8MA-16FIM", "kingston"},
		{"AO2P32NC8W1-BD3SHC", "adata"}, {"AO1E34RCSV1-BD7S", "adata"}, {"W642GU42J5213N8", "avant"},
		{"HMABAGL7ABR4N-XN", "skhynix"}, {"HMCGY8MGBSB212N", "skhynix"},
		// Numbers whose leading prefix or chip count the firmware dropped.
		{"K32GX5M2B5600C36", "corsair"}, {"CG88MEBUA081N", "skhynix"}, {"552C40-16", "kingston"},
		{"ATF2G64AZ-3G2F1", "micron"}, {"23R4GA3BB0-CQKOD", "samsung"},
		// A clone maker's copy of Corsair's structure (Shanghai Reizuan's id).
		{"ZKA32GX4M1C3200-B", ""},
		// Makers' numbering with no scheme before.
		{"GP-ARS16G44", "gigabyte"}, {"GP-AR36C18S8K2HU416R", "gigabyte"}, {"GR26C16S8K1HU408", "gigabyte"},
		{"M4S0-8GSSNCEM", "innodisk"}, {"M5UV-AGS2JC0P-B", "innodisk"},
		{"W-MEM3200S416G", "goodram"}, {"W-HK32S16O", "goodram"},
		// A one-letter system code: seen on Samsung, SK hynix and Micron ids.
		{"D24D4S7S8MA-8", ""},
		// Goldkey's GKE... numbers are also Neo Forza's: no scheme.
		{"GKE800UD102408-2666A", ""},
		// Narrowed: a clone's "MT" + Samsung number, ACPI Digital's CMB6-;
		// a Dell number starting K4 is not Samsung's but Kingston's.
		{"MT471A1K43DB1-CTD", ""}, {"CMB6-DHDA1BAR08D00", ""}, {"K4YRP4-MIE", "kingston"},
		// OEM and unknown schemes name nobody: Acer's BL.xxxxx.nnn
		// option numbers too, like HP's and Dell's.
		{"BL.9BWWA.210", ""}, {"HP647647-071-HYE", ""}, {"XVTW4H-MIE", "kingston"}, {"K467XP-HYM-I", ""}, {"D3ES12082XH12AA", ""}, {"P48808GSHCRN-VK", ""}, {"GSOG42F-18", ""},
		{"AQD-D4U32N32-SBW", ""}, {"K", ""}, {"ModulePartNumber01", ""}, {"FFFFFFFF", ""}, {"NTBSD4P26SP-08", ""},
	}
	for _, tt := range tests {
		got := partNumberMakers(partNumberKey(tt.pn))
		want := []string(nil)
		if tt.want != "" {
			want = []string{tt.want}
		}
		if !slices.Equal(got, want) {
			t.Errorf("partNumberMakers(%q) = %v, want %v", tt.pn, got, want)
		}
	}
}

func TestParseCodeStringShapes(t *testing.T) {
	tests := []struct {
		s      string
		isCode bool
	}{
		{"859B", true}, {"0x2C00", true}, {"JEDEC ID:80 2C", true}, {"Unknown - [0x9B85]", true}, {"Bank 5 0x16", true},
		{"80 2C", true}, {"1315", true}, {"00\r00", true}, {"80\t2C", true},
		{"Samsung", false}, {"CAFE", false}, {"ACE", false}, {"123", false}, {"Micron", false}, {"Bank 0/1", false},
	}
	for _, tt := range tests {
		if got := parseCodeString(tt.s).isCode; got != tt.isCode {
			t.Errorf("parseCodeString(%q).isCode = %v, want %v", tt.s, got, tt.isCode)
		}
	}
}

// TestIdentifyModuleFromPartNumbers covers the modules issue 15 lists as
// missed when the firmware names no maker. Each answer follows from the
// maker's public part-number scheme, not from the evaluation data.
func TestIdentifyModuleFromPartNumbers(t *testing.T) {
	tests := []struct {
		f    ModuleFacts
		want string
		why  string
	}{
		{ModuleFacts{ManufacturerRaw: "0", PartNumber: "53E1G32D2NP-046"}, "micron", `Micron LPDDR4X package MT53E1G32D2NP-046 without its MT prefix; "0" is a placeholder`},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "CP16G4DFRA32A.C8FF"}, "crucial", "Crucial Pro: CP + 16G + DDR4"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "CM4X8GD3000C16K4D"}, "corsair", "Corsair single module of a kit: CM + 4X + 8G"},
		{ModuleFacts{ManufacturerRaw: "", PartNumber: "HCNNNCPMMLXR-NEE"}, "skhynix", "SK hynix LPDDR multi-chip package H9HCNNNCPMMLXR-NEE without its H9 prefix"},
		{ModuleFacts{ManufacturerRaw: "0", PartNumber: "UBE3D4AA-MGCR"}, "samsung", "Samsung LPDDR4X K4UBE3D4AA-MGCR without its K4 prefix"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "IRX3200D464L16A/16G"}, "goodram", "Goodram IRDM X: IRX + 3200 + D4 + 64 + L16"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "SMU4WEC8C1K0464FCG"}, "smartmodular", "SMART Modular DDR4 UDIMM: SMU4..."},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "LD4BU016G-3200XG"}, "lexar", "Lexar DDR4: LD4 + BU + 016G"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "SP016GBSFU320F02"}, "siliconpower", "Silicon Power: SP + 016G + BSFU + 320 + F02"},
		{ModuleFacts{ManufacturerRaw: "Hynix/Hyundai", PartNumber: ""}, "skhynix", "both names are SK hynix's"},
		{ModuleFacts{ManufacturerRaw: "SMART Brazil", PartNumber: "Unknown"}, "smartmodular", "SMART Modular's Brazilian arm"},
		{ModuleFacts{ManufacturerRaw: "Wilk Elektronik S.A.", PartNumber: ""}, "goodram", "Goodram's company name"},
		// Descriptions any maker may write name nobody, whoever's module
		// ids the training table shows them on.
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "DDR4 16GB 3200MHz"}, "", "type, capacity and speed; seen on Micron's ids"},
		{ModuleFacts{ManufacturerRaw: "0x0080", PartNumber: "DDR4 16GB 2666MHz"}, "", "type, capacity and speed; seen on Micron's ids and an invalid one"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "16G3200CL22"}, "", "capacity, speed and CAS latency; seen on Samsung's ids"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "D4 8G"}, "", "type and capacity"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "CL16-16-16 D4-2400"}, "", "timings, type and speed; seen on Golden Empire's ids"},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "UDIMM PC4-2666 8G 1R"}, "", "form factor, type, speed, capacity and rank"},
	}
	for _, tt := range tests {
		got := IdentifyModule(tt.f)
		if got.Module.ID != tt.want {
			t.Errorf("IdentifyModule(%q, %q) = %q (evidence %v, warnings %q), want %q: %s",
				tt.f.ManufacturerRaw, tt.f.PartNumber, got.Module.ID, got.Module.Evidence, got.Warnings, tt.want, tt.why)
		}
	}
}

// TestMinedPartNumberEvidence checks how the mined lists weigh in, with
// small tables made for the test: an exact row outranks a scheme and says
// so in its evidence; an ambiguous row silences the schemes; neither
// outranks a name.
func TestMinedPartNumberEvidence(t *testing.T) {
	lists := partNumberLists{
		exact:     exactPartNumbers{{"4JQA-0622AC", "adata", "test"}, {"CT16G4DFRA32A", "crucial", "test"}, {"CT8G4DFD8213", "kingston", "test"}},
		ambiguous: exactPartNumbers{{"53D512M64D4RQ-046", "micron,samsung", "test"}},
	}
	tests := []struct {
		f        ModuleFacts
		want     string
		evidence []string
		warn     string
	}{
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "4JQA-0622AC"}, "adata", []string{EvidencePartNumberExact}, ""},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "CT16G4DFRA32A"}, "crucial", []string{EvidencePartNumberExact, EvidencePartNumber}, ""},
		{ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: "CT8G4DFD8213"}, "kingston", []string{EvidencePartNumberExact}, "conflict"},
		{ModuleFacts{ManufacturerRaw: "", PartNumber: "53D512M64D4RQ-046"}, "", nil, "several makers (micron, samsung)"},
		{ModuleFacts{ManufacturerRaw: "Samsung", PartNumber: "53D512M64D4RQ-046"}, "samsung", []string{EvidenceName}, "several makers"},
		{ModuleFacts{ManufacturerRaw: "Samsung", PartNumber: "4JQA-0622AC"}, "samsung", []string{EvidenceName}, "conflict"},
	}
	for _, tt := range tests {
		got := identifyModule(tt.f, lists)
		if got.Module.ID != tt.want || !slices.Equal(got.Module.Evidence, tt.evidence) {
			t.Errorf("identifyModule(%q, %q) = %q %v, want %q %v (warnings %q)",
				tt.f.ManufacturerRaw, tt.f.PartNumber, got.Module.ID, got.Module.Evidence, tt.want, tt.evidence, got.Warnings)
		}
		if tt.warn != "" && !anyContains(got.Warnings, tt.warn) {
			t.Errorf("identifyModule(%q, %q): warnings %q lack %q", tt.f.ManufacturerRaw, tt.f.PartNumber, got.Warnings, tt.warn)
		}
	}
	// The committed table answers with its own evidence kind.
	row := partNumberExact[0]
	got := IdentifyModule(ModuleFacts{ManufacturerRaw: "Unknown", PartNumber: row.pattern})
	if got.Module.ID != row.slug || len(got.Module.Evidence) == 0 || got.Module.Evidence[0] != EvidencePartNumberExact {
		t.Errorf("IdentifyModule(%q) = %q %v, want %q from %s", row.pattern, got.Module.ID, got.Module.Evidence, row.slug, EvidencePartNumberExact)
	}
}

// TestPartNumberTable checks the generated table against the package: every
// maker it names is known, every exact and ambiguous part number is in the
// form lookups use and is not a placeholder, and the exact table is sorted
// for binary search.
func TestPartNumberTable(t *testing.T) {
	for _, r := range partNumberSchemes {
		if !IsKnownSlug(r.slug) {
			t.Errorf("scheme %q names unknown maker %q", r.pattern, r.slug)
		}
	}
	for _, list := range []exactPartNumbers{partNumberExact[:], partNumberAmbiguous[:]} {
		for i, r := range list {
			for _, s := range strings.Split(r.slug, ",") {
				if !IsKnownSlug(s) {
					t.Errorf("part number %q names unknown maker %q", r.pattern, s)
				}
			}
			if partNumberKey(r.pattern) != r.pattern || placeholder.Is(r.pattern) {
				t.Errorf("part number %q is not a lookup key", r.pattern)
			}
			if i > 0 && list[i-1].pattern >= r.pattern {
				t.Errorf("part numbers %q and %q out of order", list[i-1].pattern, r.pattern)
			}
			if isGenericPartNumber(r.pattern) {
				t.Errorf("part number %q is a description any maker may write, not evidence", r.pattern)
			}
			if _, ok := list.lookup(r.pattern); !ok {
				t.Errorf("lookup(%q) fails", r.pattern)
			}
		}
	}
	if len(partNumberExact) == 0 {
		t.Error("no exact part numbers")
	}
}
