package maker

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

// corpusExpectation is what IdentifyModule must answer for some type-17
// records of one dump file. The answers are ours, written row by row from
// the raw data; where a source's own answer (GLPI's heuristics) differs, why
// says so.
type corpusExpectation struct {
	folder, dump string
	slots        []int  // entry_index (smbios-binary-dumps) or slot_index (glpi, linuxhw)
	module, dram string // slugs; "" = unknown
	warn         string // substring of a warning that must be present
	why          string
}

func slots(from, to int, more ...int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return append(s, more...)
}

var corpusExpectations = []corpusExpectation{
	// smbios-binary-dumps: siderolabs/go-smbios .json and u-root's dmidecode renderings.
	{"smbios-binary-dumps", "siderolabs-go-smbios/ASRock-Single-Ryzen.dmi", []int{1, 3}, "kingston", "", "", "name Kingston; KF... is Kingston FURY"},
	{"smbios-binary-dumps", "siderolabs-go-smbios/Beelink-EQ12.dmi", []int{0}, "crucial", "", "", "name Crucial Technology; CT... part number"},
	{"smbios-binary-dumps", "siderolabs-go-smbios/Dell-PowerEdge-R630-Dual-Xeon.dmi", []int{2, 3}, "micron", "micron", "",
		"002C00B3002C: module 00 2C = bank 1 0x2C Micron, 00 B3 unknown, DRAM 00 2C Micron; 18ASF... is Micron's scheme"},
	{"smbios-binary-dumps", "siderolabs-go-smbios/SuperMicro-Dual-Xeon.dmi", []int{0, 2, 10, 12, 14}, "micron", "", "", "name Micron; 18KSF... Micron DDR3 RDIMM"},
	{"smbios-binary-dumps", "siderolabs-go-smbios/SuperMicro-Dual-Xeon.dmi", []int{1, 3, 4, 13, 15}, "kingston", "", "",
		"name Kingston; HP647647-071-HYE is an HP option number and names nobody"},
	{"smbios-binary-dumps", "siderolabs-go-smbios/SuperMicro-Dual-Xeon.dmi", []int{5, 6, 7, 8, 11}, "skhynix", "", "", "Hynix Semiconductor; HMT351R7..."},
	{"smbios-binary-dumps", "siderolabs-go-smbios/SuperMicro-Dual-Xeon.dmi", []int{9}, "samsung", "", "", "name Samsung; M393B5270DH0"},
	{"smbios-binary-dumps", "u-root-smbios/GigaByte-X399.bin", slots(0, 7), "kingston", "", "", "name Kingston; KHX... HyperX"},
	{"smbios-binary-dumps", "u-root-smbios/Lenovo-ThinkPad-W510.bin", []int{0, 2}, "crucial", "", "",
		"859B = count 0x85 (5, parity set) + id 0x9B: bank 6 0x1B Crucial; CT51264BF1339 agrees"},
	{"smbios-binary-dumps", "u-root-smbios/MSI-MS-7816.bin", slots(0, 3), "crucial", "", `"1315" is not a valid JEP106 code`,
		"1315 has no valid JEP106 reading (bank 20 or 22); the CT... part number decides"},
	{"smbios-binary-dumps", "u-root-smbios/Synology-RS3614xsp.bin", slots(0, 3), "", "", "",
		"\"0000\" says nothing and D3ES12082XH12AA follows no scheme we can attribute: unknown, not guessed"},

	// glpi-agent-dmidecode: GLPI's answers are its heuristics; disagreements are explained.
	{"glpi-agent-dmidecode", "dmidecode/dell-r620", slots(1, 8, slots(13, 20)...), "skhynix", "skhynix", "",
		"00AD00B300AD: module and DRAM bank 1 0xAD (SK hynix); HMT42GR7 agrees; GLPI: Hynix"},
	{"glpi-agent-dmidecode", "dmidecode/dell-r640-1", slots(1, 6, slots(13, 18)...), "micron", "micron", "",
		"002C0632002C: module and DRAM bank 1 0x2C Micron (0632 unknown); 9ASF... agrees; GLPI: Micron"},
	{"glpi-agent-dmidecode", "dmidecode/dell-r720", slots(1, 4, slots(13, 16)...), "samsung", "samsung", "",
		"00CE00B300CE: bank 1 0xCE Samsung module and DRAM; M393B... agrees (not in GLPI's memory.t)"},
	{"glpi-agent-dmidecode", "dmidecode/hp-dl180", []int{1, 3}, "micron", "", "", "name Micron; 18JSF...; GLPI: Micron"},
	{"glpi-agent-dmidecode", "dmidecode/windows-xp", []int{1, 2}, "elpida", "", "",
		"7F7FFE...: two continuation codes then 0xFE = bank 3 0x7E Elpida; EBE21UE8 agrees; GLPI: Elpida"},
	{"glpi-agent-dmidecode", "dmidecode/S3000AHLX", []int{1, 3}, "samsung", "", "",
		"0xCE00000000000000 = bank 1 id 0xCE Samsung and the hex part number decodes to M3 78T2953EZ3, a Samsung DDR2 " +
			"number; GLPI leaves the maker undef because it drops hex strings"},
	{"glpi-agent-dmidecode", "dmidecode/S3000AHLX", []int{2}, "kingston", "", "",
		"0x7F98000000000000 = one continuation code then 0x98 = bank 2 0x18 Kingston; part number is just \"K\"; GLPI: undef"},
	{"glpi-agent-dmidecode", "dmidecode/windows-7", []int{2, 4}, "gskill", "", "",
		"\"Undefined\" says nothing; F3-12800CL9 is G.Skill's F3- scheme; GLPI: undef (no rule for it)"},
	{"glpi-agent-dmidecode", "dmidecode/openbsd-3.8", []int{1, 2}, "samsung", "", "",
		"CE00000000000000 = bank 1 0xCE Samsung; M3 93T6450FZ0 (M393T...) agrees; GLPI: undef"},
	{"glpi-agent-dmidecode", "dmidecode/memory_hynix-kingmax", []int{1}, "skhynix", "skhynix", "",
		"80AD000080AD and Bank 1 0xAD agree; GLPI: Hynix"},
	{"glpi-agent-dmidecode", "dmidecode/memory_hynix-kingmax", []int{2}, "kingmax", "kingmax", "",
		"832500008325 and Bank 4 0x25 = Kingmax Semiconductor (not a catalogue maker: derived slug); GLPI: KingMax"},
	{"glpi-agent-dmidecode", "dmidecode/memory_positivo-informatica", []int{2}, "positivoinformatica", "", "",
		"0416 and Bank 5 0x16 = Positivo Informatica; GLPI: Positivo Informática"},

	// linuxhw-dmi: real reports; the dmidecode Bank/Hex line is the independent answer.
	{"linuxhw-dmi", "dmidecode/Desktop_ASRock_H170M_H170M_Pro4_A0C4AEE92FF2.txt", slots(1, 4), "crucial", "", `"1315" is not a valid JEP106 code`,
		"1315 is not a JEP106 code; CT8G4DFD8213 is Crucial's scheme"},
	{"linuxhw-dmi", "dmidecode/Notebook_Hewlett-Packard_ZBook_ZBook_Fury_15.6_inch_G8_Mobile_Workstation_PC_978622CF9B39.txt", slots(1, 4), "crucial", "", "",
		"[0x9B85] is the word printed as a number (byte-swapped 859B) = bank 6 0x1B; Bank 6 0x9B and CT32G4 agree"},
	{"linuxhw-dmi", "dmidecode/Desktop_Dell_G5_G5_5000_FBADD1F9DE63.txt", slots(1, 4), "crucial", "micron", "",
		"859B0000802C: Crucial module, Micron DRAM; Bank 6 0x9B agrees"},
	{"linuxhw-dmi", "dmidecode/Desktop_Alienware_Aurora_Aurora_Ryzen_Edition_56696C1838BA.txt", slots(1, 4), "kingston", "micron", "",
		"01980000802C: Kingston module (bank 2 0x98), Micron DRAM; Bank 2 0x98 agrees; XVTW4H-MIE is a Dell number as Kingston writes it"},
	{"linuxhw-dmi", "dmidecode/Desktop_Hewlett-Packard_Z800_Z800_Workstation_B1A21C790938.txt", []int{1, 2, 3, 5, 7, 8, 9, 11}, "micron", "", "",
		"JEDEC ID:80 2C = bank 1 0x2C Micron; 18JSF... agrees"},
	{"linuxhw-dmi", "dmidecode/Desktop_Hewlett-Packard_Z800_Z800_Workstation_B1A21C790938.txt", []int{4, 10}, "samsung", "", "",
		"JEDEC ID:80 CE = bank 1 0x4E Samsung; no part number"},
	{"linuxhw-dmi", "dmidecode/Desktop_Hewlett-Packard_Z800_Z800_Workstation_B1A21C790938.txt", []int{13}, "", "", "",
		"the SYSTEM ROM flash record says Not Specified: unknown"},
	{"linuxhw-dmi", "dmidecode/Desktop_ASRock_H470_H470M-HVS_1EA2C29DC586.txt", []int{1, 2}, "hangzhouhikstorage", "", "",
		"0B2C = count 11 + id 0x2C: bank 12 0x2C Hangzhou Hikstorage (HIKSEMI), not Micron's bank 1 0x2C; the Bank 12 0x2C line agrees"},
	{"linuxhw-dmi", "dmidecode/Desktop_ASUSTek_Computer_ProArt_ProArt_X670E-CREATOR_WIFI_8C55A3CAC7D8.txt", slots(1, 4), "crucial", "", "",
		"Crucial Technology, Bank 6 0x9B and CT32G48 agree"},
	{"linuxhw-dmi", "dmidecode/Desktop_ASRock_B650M_B650M_Pro_RS_B0738C8CD6F4.txt", []int{2}, "crucial", "", "",
		"\"Unknown\" says nothing; Bank 6 0x9B and CT16G48 agree"},
}

// corpusRow is one installed type-17 record from an expected.tsv.
type corpusRow struct {
	folder, dump string
	slot         int
	facts        ModuleFacts
	line         int
}

var bankHexRE = regexp.MustCompile(`^Bank (\d+), Hex 0x([0-9A-Fa-f]{2})$`)

// smbiosWord turns dmidecode's "Bank N, Hex 0xXX" back into the SMBIOS
// word: low byte N-1 (dmidecode drops the parity bit), high byte XX.
func smbiosWord(s string) (uint16, error) {
	if s == "" || s == "Unknown" {
		return 0, nil
	}
	m := bankHexRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("module manufacturer id %q is not \"Bank N, Hex 0xXX\"", s)
	}
	bank, _ := strconv.Atoi(m[1])
	code, _ := strconv.ParseUint(m[2], 16, 8)
	if bank < 1 || bank > 128 {
		return 0, fmt.Errorf("module manufacturer id %q: bank out of range", s)
	}
	return uint16(bank-1) | uint16(code)<<8, nil
}

func readCorpusRows(t *testing.T, folder string) []corpusRow {
	t.Helper()
	path := filepath.Join(testcorpus.Dir(t, "corpus", folder), "expected.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("corpus not found at %s: %v", path, err)
	}
	defer f.Close()
	var (
		rows []corpusRow
		col  map[string]int
		line int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line++
		fields := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
		if col == nil {
			col = map[string]int{}
			for i, h := range fields {
				col[h] = i
			}
			continue
		}
		get := func(names ...string) string {
			for _, n := range names {
				if i, ok := col[n]; ok && i < len(fields) {
					return fields[i]
				}
			}
			return ""
		}
		size := get("size")
		if size == "" || size == "0" || size == "No Module Installed" {
			continue
		}
		slot, err := strconv.Atoi(get("entry_index", "slot_index(NUMSLOTS)", "slot_index"))
		if err != nil {
			t.Fatalf("%s:%d: bad slot index: %v", path, line, err)
		}
		word, err := smbiosWord(get("module_manufacturer_id_raw", "module_manufacturer_id_raw(dmidecode)"))
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		rows = append(rows, corpusRow{folder: folder, dump: get("dump_file"), slot: slot, line: line, facts: ModuleFacts{
			ManufacturerRaw:      get("manufacturer_raw"),
			ModuleManufacturerID: word,
			PartNumber:           get("part_number_raw"),
		}})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no installed modules read; header changed?", path)
	}
	return rows
}

// TestCorpusConformance runs IdentifyModule on every installed module of
// the shared corpus and compares with the answers written above. Every row
// must have an answer and every answer must be used, so no row can be
// skipped silently and no false maker can slip through.
func TestCorpusConformance(t *testing.T) {
	type key struct {
		folder, dump string
		slot         int
	}
	want := map[key]*corpusExpectation{}
	for i := range corpusExpectations {
		e := &corpusExpectations[i]
		for _, s := range e.slots {
			k := key{e.folder, e.dump, s}
			if want[k] != nil {
				t.Fatalf("duplicate expectation for %v", k)
			}
			want[k] = e
		}
	}
	used := map[key]bool{}
	for _, folder := range []string{"smbios-binary-dumps", "glpi-agent-dmidecode", "linuxhw-dmi"} {
		for _, r := range readCorpusRows(t, folder) {
			k := key{r.folder, r.dump, r.slot}
			e := want[k]
			if e == nil {
				t.Errorf("%s/expected.tsv:%d: %s slot %d (%q, 0x%04X, %q) has no expectation: add one", folder, r.line, r.dump, r.slot,
					r.facts.ManufacturerRaw, r.facts.ModuleManufacturerID, r.facts.PartNumber)
				continue
			}
			used[k] = true
			got := IdentifyModule(r.facts)
			if got.Module.ID != e.module || got.DRAM.ID != e.dram {
				t.Errorf("%s/expected.tsv:%d: %s slot %d: IdentifyModule(%q, 0x%04X, %q) = module %q dram %q (evidence %v, warnings %q); want module %q dram %q: %s",
					folder, r.line, r.dump, r.slot, r.facts.ManufacturerRaw, r.facts.ModuleManufacturerID, r.facts.PartNumber,
					got.Module.ID, got.DRAM.ID, got.Module.Evidence, got.Warnings, e.module, e.dram, e.why)
			}
			if e.warn != "" && !anyContains(got.Warnings, e.warn) {
				t.Errorf("%s slot %d: warnings %q lack %q", r.dump, r.slot, got.Warnings, e.warn)
			}
			if e.warn == "" && anyContains(got.Warnings, "conflict") {
				t.Errorf("%s slot %d: unexpected conflict %q", r.dump, r.slot, got.Warnings)
			}
		}
	}
	for k := range want {
		if !used[k] {
			t.Errorf("expectation %v matched no corpus row", k)
		}
	}
}

func TestSMBIOSWord(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
		err  bool
	}{
		{"Bank 6, Hex 0x9B", 0x9B05, false}, {"Bank 1, Hex 0xAD", 0xAD00, false}, {"Bank 12, Hex 0x2C", 0x2C0B, false},
		{"", 0, false}, {"Unknown", 0, false}, {"Bank x, Hex 0x9B", 0, true}, {"Bank 0, Hex 0x9B", 0, true},
	}
	for _, tt := range tests {
		got, err := smbiosWord(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("smbiosWord(%q) = 0x%04X, %v; want 0x%04X, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
