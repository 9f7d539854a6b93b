package maker

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/lazyregexp"
	"github.com/memledger/memledger/internal/testcorpus"
)

// moduleSeeds are real-looking inputs: every encoding the tests cover.
var moduleSeeds = []ModuleFacts{
	{"859B", 0, "CT51264BF1339.C16F"}, {"002C00B3002C", 0, "18ASF2G72PDZ-2G3B1"}, {"01980000802C", 0x9801, "XVTW4H-MIE"},
	{"7F7FFE0000000000", 0, "EBE21UE8ACUA-8G-E"}, {"0B2C", 0x2C0B, "HKED4161DAA1D0MA1"}, {"Unknown - [0x9B85]", 0x9B05, "CT32G4SFD832A.M16FF"},
	{"JEDEC ID:80 2C", 0, "18JSF25672AZ-1G4G1"}, {"1315", 0, "CT8G4DFD8213.C16FAR2"}, {"Micron_Technolog", 0, ""},
	{"Bank 5, Hex 0x16", 0, ""}, {"0xCE00000000000000", 0, "0x4D332037385432393533455A332D43453620"},
	{"Undefined", 0, "F3-12800CL9-2GBXL"}, {"Kingston", 0x2C80, "KHX2933C17D4/16G"}, {"", 0xFFFF, "\xff\xff"},
}

// corpusModuleSeeds adds the corpus' raw manufacturer strings, when present.
func corpusModuleSeeds() []ModuleFacts {
	var out []ModuleFacts
	for _, folder := range []string{"smbios-binary-dumps", "glpi-agent-dmidecode", "linuxhw-dmi"} {
		f, err := os.Open(filepath.Join(testcorpus.SharedDir(), "corpus", folder, "expected.tsv"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		var mfr, pn = -1, -1
		for sc.Scan() {
			fields := strings.Split(sc.Text(), "\t")
			if mfr < 0 {
				mfr, pn = slices.Index(fields, "manufacturer_raw"), slices.Index(fields, "part_number_raw")
				if mfr < 0 || pn < 0 {
					break
				}
				continue
			}
			if mfr < len(fields) && pn < len(fields) {
				out = append(out, ModuleFacts{ManufacturerRaw: fields[mfr], PartNumber: fields[pn]})
			}
		}
		f.Close()
	}
	return out
}

func FuzzIdentifyModule(f *testing.F) {
	for _, s := range append(moduleSeeds, corpusModuleSeeds()...) {
		f.Add(s.ManufacturerRaw, s.ModuleManufacturerID, s.PartNumber)
	}
	f.Fuzz(func(t *testing.T, mfr string, word uint16, pn string) {
		in := ModuleFacts{ManufacturerRaw: mfr, ModuleManufacturerID: word, PartNumber: pn}
		got := IdentifyModule(in)
		for _, v := range []Attribution{got.Module, got.DRAM} {
			if !v.Known() {
				if len(v.Evidence) != 0 || v.Name != "" {
					t.Fatalf("unknown vendor with evidence or name: %+v", v)
				}
				continue
			}
			m, ok := BySlug(v.ID)
			if !ok || m.Name != v.Name || m.Parent != v.Parent || len(v.Evidence) == 0 {
				t.Fatalf("IdentifyModule(%q, 0x%04X, %q) gave %+v, not a consistent known maker", mfr, word, pn, v)
			}
		}
		if got.Module.Known() && got.Module.Evidence[0] == EvidenceModuleID && word == 0 {
			t.Fatalf("module id evidence without a module id word: %+v", got.Module)
		}
		again := IdentifyModule(in)
		if again.Module.ID != got.Module.ID || again.DRAM.ID != got.DRAM.ID || !slices.Equal(again.Warnings, got.Warnings) {
			t.Fatalf("IdentifyModule is not deterministic for %+v", in)
		}
	})
}

func FuzzCleanPartNumber(f *testing.F) {
	for _, s := range moduleSeeds {
		f.Add(s.PartNumber)
	}
	for _, s := range []string{"0x4B0000000000000000000000000000000000", "GSOG42F-18----------", "  KVR16N11/8 \x00", "0x", "0x00FF", "0xZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, changed := CleanPartNumber(raw)
		if changed == (got == raw) {
			t.Fatalf("CleanPartNumber(%q) = %q, changed=%v", raw, got, changed)
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("CleanPartNumber(%q) = %q: not trimmed", raw, got)
		}
		if len(got) > len(raw) {
			t.Fatalf("CleanPartNumber(%q) = %q: grew", raw, got)
		}
		if utf8.ValidString(raw) && !utf8.ValidString(got) {
			t.Fatalf("CleanPartNumber(%q) = %q: broke UTF-8", raw, got)
		}
	})
}

func FuzzParseCodeString(f *testing.F) {
	for _, s := range moduleSeeds {
		f.Add(s.ManufacturerRaw)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs := parseCodeString(s)
		if !cs.isCode && (cs.module.Valid() || cs.dram.Valid() || len(cs.problems) > 0) {
			t.Fatalf("parseCodeString(%q) = %+v: result without a code shape", s, cs)
		}
		for _, id := range []jep106.ID{cs.module, cs.dram} {
			if id == (jep106.ID{}) {
				continue
			}
			if _, ok := id.Name(); !ok {
				t.Fatalf("parseCodeString(%q) believed unlisted id %s", s, id)
			}
		}
	})
}

// FuzzCodePrefilters checks that parseCodeString's prefilters skip no
// string their expressions match, so that skipping an expression changes
// no answer.
func FuzzCodePrefilters(f *testing.F) {
	for _, s := range moduleSeeds {
		f.Add(s.ManufacturerRaw)
	}
	for _, s := range []string{"JEDEC ID:80 2C", "jedec id 7F 7F FE", "Bank 6, Hex 0x9B", "BAN\u212a 5 0x16",
		"Unknown - [0x9B85]", "0x2C00", "859B", "80 2C", "80:2C-00", "Kingston"} {
		f.Add(s)
	}
	checks := []struct {
		re  *lazyregexp.Regexp
		pre func(string) bool
	}{
		{jedecLabelRE, mayBeJEDECLabel},
		{bankRE, mayBeBank},
		{bracketRE, func(s string) bool { return strings.IndexByte(s, '[') >= 0 }},
		{hexRE, mayBeHex},
		{spacedHexRE, mayBeSpacedHex},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range checks {
			if c.re.MatchString(s) && !c.pre(s) {
				t.Fatalf("%s matches %q, but its prefilter skips it", c.re, s)
			}
		}
	})
}

func FuzzIdentifyDrive(f *testing.F) {
	f.Add("CT2000MX500SSD1", "ATA", "sata", uint16(0), uint16(0), "naa.500a0751234abcde", "", "")
	f.Add("WD_BLACK SN850X 2000GB", "", "nvme", uint16(0x15b7), uint16(0x15b7), "eui.e8238fa6bf530001001b448b4a1b2c3d", "", "")
	f.Add("SOLIDIGM SSDPFKNU010TZ", "", "nvme", uint16(0x8086), uint16(0x8086), "", "", "")
	f.Add("", "", "virtio", uint16(0x1af4), uint16(0), "", "", "")
	f.Add("PX05SMB040", "TOSHIBA", "sas", uint16(0), uint16(0), "naa.500003979841a2b1", "", "")
	f.Add("MK000480GWUGF", "ATA", "sata", uint16(0), uint16(0), "0x500a07511c2d3e4f", "", "")
	f.Add("LOGICAL VOLUME", "HP", "sas", uint16(0), uint16(0), "naa.600508b1001c2d3e4f5a6b7c8d9e0f10", "", "")
	f.Add("Samsung SSD 980 PRO 1TB", "", "nvme", uint16(0x144d), uint16(0x144d), "", "00 25 38 5a 11 b2 c3 d4", "36344630-5270-0123-0025-384500000001")
	f.Fuzz(func(t *testing.T, model, vendorRaw, transport string, pciVendor, pciSubsystem uint16, wwn, eui, nguid string) {
		in := DriveFacts{Model: model, VendorRaw: vendorRaw, Transport: transport, PCIVendor: pciVendor, PCISubsystemVendor: pciSubsystem,
			WWN: wwn, EUI64: eui, NGUID: nguid, Media: []string{"", "ssd", "hdd"}[len(model)%3]}
		got := IdentifyDrive(in)
		for _, v := range []Attribution{got.Vendor, got.Controller, got.OEM} {
			if v.Known() {
				if m, ok := BySlug(v.ID); !ok || m.Name != v.Name || len(v.Evidence) == 0 {
					t.Fatalf("inconsistent vendor %+v", v)
				}
			}
		}
		if got.Kind == DriveKindUnspecified {
			t.Fatalf("IdentifyDrive(%+v): no kind", in)
		}
		if got.Kind != DriveKindPhysical && (got.Vendor.Known() || len(got.Warnings) == 0) {
			t.Fatalf("IdentifyDrive(%+v) = %+v: a RAID volume or virtual disk with a maker or without a warning", in, got)
		}
		if got.Vendor.Known() && oemSlugs[got.Vendor.ID] {
			t.Fatalf("IdentifyDrive(%+v) named OEM %s as the maker", in, got.Vendor.ID)
		}
	})
}

func FuzzWWNCompanyID(f *testing.F) {
	for _, s := range []string{"naa.5000c500a1b2c3d4", "0x500a07512c1a2b3c", "naa.600508b1001c2d3e4f5a6b7c8d9e0f10", "naa.3000000000000001",
		"eui.0025388b91b2c3d4", "eui.36344630527001230025384500000001", "nvme.1344-3230-4d-00000001", "uuid.1b4e28ba-2fa1-11d2-883f-0016d3cca427",
		"00 25 38 5a 11 b2 c3 d4", "36344630-5270-0123-0025-384500000001", "naa.2000001b3212abcd", "eui.", "naa.zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		oui, format, err := wwnCompanyID(s)
		if err != nil {
			if oui != 0 || format != "" || err.Error() == "" {
				t.Fatalf("wwnCompanyID(%q) = %06X, %q with error %v", s, oui, format, err)
			}
			return
		}
		if oui > 0xffffff || format == "" {
			t.Fatalf("wwnCompanyID(%q) = %X, %q", s, oui, format)
		}
	})
}

// FuzzParseTrainingRows feeds arbitrary tables to the training-table
// reader: rows or an error that names the line, never a panic.
func FuzzParseTrainingRows(f *testing.F) {
	const header = "type\tmanufacturer\tpart_number\tmodule_id_bank\tmodule_id_code\treports\n"
	f.Add(header + "DDR4\tSamsung\tM471A1G44AB0-CWE\t1\t0xCE\t1282\n")
	f.Add(header + "DDR4\tUnknown\t\t128\t0xFF\t21\n")
	f.Add(header + "DDR4\t0\t53E1G32D2NP-046\t1\t0x2C\t8\n")
	f.Add(header + "DDR4\tx\ty\t0\t0x2C\t1\n")
	f.Add("type\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := parseTrainingRows(strings.NewReader(in))
		if err != nil {
			if !strings.Contains(err.Error(), "line ") && !strings.Contains(err.Error(), "empty table") {
				t.Fatalf("error %q does not say where", err)
			}
			return
		}
		for _, r := range rows {
			if r.reports < 1 || r.truth != "" && r.word == 0 {
				t.Fatalf("row %+v: bad reports or truth without a word", r)
			}
		}
	})
}
