package vendor

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/memledger/memledger/internal/jep106"
)

// ModuleFacts are what a source (SMBIOS table, dmidecode text, udev) says
// about one memory module.
type ModuleFacts struct {
	// ManufacturerRaw is the Manufacturer string exactly as given.
	ManufacturerRaw string
	// ModuleManufacturerID is the SMBIOS 3.2 Module Manufacturer ID word
	// (low byte = continuation count, high byte = id byte); 0 = not given.
	ModuleManufacturerID uint16
	// PartNumber as given (may be hex-encoded or padded).
	PartNumber string
}

// ModuleResult is who made a module and its DRAM, with evidence.
type ModuleResult struct {
	Module Vendor // who built the module
	// DRAM is who made the DRAM dies; known only when a source states it
	// (the DRAM id of a 12-hex-digit manufacturer string).
	DRAM     Vendor
	Warnings []string // conflicts and doubts, human-readable
}

// claim is one piece of evidence for a maker.
type claim struct {
	evidence string
	v        Vendor
	source   string // what said it, for warnings: `manufacturer string "Kingston"`
}

// IdentifyModule identifies the maker of a memory module from what SMBIOS
// (or dmidecode, or udev) says about it. Evidence is weighed in this order:
// the Module Manufacturer ID word, a JEP106 code written in the manufacturer
// string, the manufacturer string as a name, the part number. Agreeing
// evidence is listed; disagreeing evidence is reported in Warnings and the
// stronger kind wins. Nothing is guessed: without evidence the maker stays
// unknown.
func IdentifyModule(f ModuleFacts) ModuleResult {
	var (
		res    ModuleResult
		claims []claim
	)
	if w := f.ModuleManufacturerID; w != 0 {
		id, err := jep106.FromSMBIOSWord(w)
		switch {
		case err != nil:
			res.Warnings = append(res.Warnings, fmt.Sprintf("module manufacturer id ignored: %v", err))
		default:
			if v, ok := ByJEP106(id); ok {
				claims = append(claims, claim{EvidenceModuleID, v, fmt.Sprintf("module manufacturer id %s (word 0x%04X)", id, w)})
			} else {
				res.Module.JEP106 = id.String()
				res.Warnings = append(res.Warnings, fmt.Sprintf("module manufacturer id %s (word 0x%04X) is not in the JEP106 table", id, w))
			}
		}
	}

	raw := strings.Trim(f.ManufacturerRaw, " \t\r\n\x00")
	if !IsPlaceholder(raw) {
		cs := parseCodeString(raw)
		if cs.isCode {
			res.Warnings = append(res.Warnings, cs.problems...)
			if cs.module.Valid() {
				v, _ := ByJEP106(cs.module)
				claims = append(claims, claim{EvidenceJEP106String, v, fmt.Sprintf("manufacturer string %q (JEP106 %s)", raw, cs.module)})
			}
			if cs.dram.Valid() {
				res.DRAM, _ = ByJEP106(cs.dram)
				res.DRAM.Evidence = []string{EvidenceJEP106String}
			}
		} else {
			m, ambiguous := byName(raw)
			switch {
			case m != nil:
				claims = append(claims, claim{EvidenceName, m.vendor(), fmt.Sprintf("manufacturer string %q", raw)})
			case ambiguous:
				res.Warnings = append(res.Warnings, fmt.Sprintf("manufacturer string %q names more than one maker: ignored", raw))
			default:
				res.Warnings = append(res.Warnings, fmt.Sprintf("manufacturer string %q names no known maker", raw))
			}
		}
	}

	if pn, _ := CleanPartNumber(f.PartNumber); !IsPlaceholder(pn) {
		slugs := partNumberMakers(pn)
		switch len(slugs) {
		case 0:
		case 1:
			claims = append(claims, claim{EvidencePartNumber, lookupSlug(slugs[0]).vendor(), fmt.Sprintf("part number %q", pn)})
		default:
			res.Warnings = append(res.Warnings, fmt.Sprintf("part number %q fits several makers' schemes (%s): ignored", pn, strings.Join(slugs, ", ")))
		}
	}

	if len(claims) > 0 {
		var w []string
		res.Module, w = resolve(claims)
		res.Warnings = append(res.Warnings, w...)
		if oemSlugs[res.Module.ID] {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is an OEM: the module was made by another company, which the firmware does not name", res.Module.Name))
		}
	}
	return res
}

// resolve picks the maker of the first (strongest) claim, lists the kinds of
// evidence that agree with it, and describes the ones that do not.
func resolve(claims []claim) (Vendor, []string) {
	win := claims[0]
	v := win.v
	v.Evidence = nil
	var warnings []string
	for _, c := range claims {
		switch {
		case c.v.ID == v.ID:
			if !containsString(v.Evidence, c.evidence) {
				v.Evidence = append(v.Evidence, c.evidence)
			}
			if v.JEP106 == "" {
				v.JEP106 = c.v.JEP106
			}
		case related(c.v.ID, v.ID):
			warnings = append(warnings, fmt.Sprintf("%s points to %s, a maker related to %s (from %s); kept %s",
				c.source, c.v.ID, v.ID, win.source, v.ID))
		default:
			warnings = append(warnings, fmt.Sprintf("conflict: %s says %s but %s says %s; the stronger evidence (%s) wins",
				c.source, c.v.ID, win.source, v.ID, win.evidence))
		}
	}
	return v, warnings
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CleanPartNumber trims padding (spaces, NULs, 0xFF, runs of trailing
// dashes) and decodes part numbers that firmware wrote as 0x-prefixed hex of
// the SPD bytes ("0x4D332037385432393533455A332D43453620" -> "M3
// 78T2953EZ3-CE6", seen on an Intel S3000AHLX board). It returns the cleaned value and whether it differs from
// raw. Hex that does not decode to printable ASCII is left as it is.
func CleanPartNumber(raw string) (string, bool) {
	s := trimPadding(raw)
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && len(s)%2 == 0 {
		if b, err := hex.DecodeString(s[2:]); err == nil {
			// SPD pads with spaces, some firmware with NULs or 0xFF.
			end := len(b)
			for end > 0 && (b[end-1] == 0x00 || b[end-1] == 0x20 || b[end-1] == 0xFF) {
				end--
			}
			b = b[:end]
			if printableASCII(b) {
				s = trimPadding(string(b))
			}
		}
	}
	return s, s != raw
}

// trailingDashes is padding some module makers use instead of spaces
// ("GSOG42F-18----------").
var trailingDashes = regexp.MustCompile(`-{2,}$`)

// trimPadding drops leading and trailing white space, NULs and bytes that
// are not UTF-8 (0xFF fill), then a run of trailing dashes.
func trimPadding(s string) string {
	isPad := func(r rune) bool { return unicode.IsSpace(r) || r == 0 || r == utf8.RuneError }
	s = strings.TrimFunc(s, isPad)
	return strings.TrimRightFunc(trailingDashes.ReplaceAllString(s, ""), isPad)
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

// partNumberRule ties a part-number scheme to a maker.
type partNumberRule struct {
	slug string
	re   *regexp.Regexp
}

// partNumberRules are the module part-number schemes we can attribute. They
// are matched against the part number upper-cased with spaces removed
// (firmware sometimes splits the SPD field: "M3 78T2953EZ3"). OEM part
// numbers (HP "647647-071", Dell "XVTW4H-MIE") name no maker and match
// nothing. SMART Modular, PNY, Silicon Power and Lexar module part numbers
// are not listed: their schemes overlap others' or could not be confirmed.
var partNumberRules = []partNumberRule{
	// Micron: MT-prefixed chips and modules (MTA18ASF..., MT36KSZF...,
	// MTC20C2085S1...), and module numbers without the prefix: chip count,
	// then generation/type letters (18ASF, 36ASF, 9ASF, 8ATF, 4ATF, 18ADF,
	// 16KTF, 18KSF, 36KSZ, 18JSF, 8JTF, 16HTF, 18HTF).
	{"micron", regexp.MustCompile(`^MT[AC]?\d`)},
	{"micron", regexp.MustCompile(`^\d{1,2}(?:HT|HV|JS|JT|JD|KS|KT|KD|AS|AT|AD|AR)[FSZ]{1,2}\d`)},
	// Crucial: CT + digits (CT51264BF1339, CT8G4DFD8213, CT16G48C40U5),
	// Ballistix BL/BLS/BLT/BLE/BLM + capacity.
	{"crucial", regexp.MustCompile(`^CT\d`)},
	{"crucial", regexp.MustCompile(`^BL[SETM]?\d{1,2}[GK]`)},
	// Samsung: modules M3xx/M4xx (M378, M393, M386, M471, M321, M425),
	// chips K4.
	{"samsung", regexp.MustCompile(`^M[34]\d{2}[A-Z]`)},
	{"samsung", regexp.MustCompile(`^K4[A-Z]`)},
	// SK hynix: HMA, HMT, HMCG, HMAA, HMCT modules; HYMP (DDR2); H5/HY5 chips.
	{"skhynix", regexp.MustCompile(`^HM[A-Z]{1,2}\d`)},
	{"skhynix", regexp.MustCompile(`^HYM[PD]\d`)},
	{"skhynix", regexp.MustCompile(`^H(?:Y)?5[A-Z]{2}`)},
	// Elpida: EBE/EBJ modules, EDE/EDJ chips.
	{"elpida", regexp.MustCompile(`^E[BD][EJ]\d`)},
	// Kingston: KHX, KVR, KF, KCP, KSM, KTH-/KTD-/KTL-/KTA-/KTM-, ACR,
	// 9905/9965/99P/99U internal numbers, HX (HyperX/FURY modules).
	{"kingston", regexp.MustCompile(`^(?:KHX|KVR|KCP|KSM|ACR)\d`)},
	{"kingston", regexp.MustCompile(`^KF\d`)},
	{"kingston", regexp.MustCompile(`^KT[HDLAM]-`)},
	{"kingston", regexp.MustCompile(`^99(?:05|65|P\d|U\d)`)},
	{"kingston", regexp.MustCompile(`^HX\d{3}`)},
	// G.Skill: F2-/F3-/F4-/F5- followed by the speed.
	{"gskill", regexp.MustCompile(`^F[2-5]-\d`)},
	// Corsair: CM + series letters + capacity (CMK16GX4, CMSX8GX4, CMT32GX5).
	{"corsair", regexp.MustCompile(`^CM[A-Z]{1,3}\d`)},
	// Team Group: Elite TED..., T-Force TLZ..., TF/FF + digit + letter.
	{"teamgroup", regexp.MustCompile(`^(?:TED\d|TLZ|TEAMGROUP)`)},
	{"teamgroup", regexp.MustCompile(`^[TF]F\d[A-Z]\d`)},
	// ADATA: AD2/AD3/AD4/AD5 and XPG AX4/AX5.
	{"adata", regexp.MustCompile(`^A[DX][2-5][A-Z]`)},
	// Ramaxel: RMS.../RMT....
	{"ramaxel", regexp.MustCompile(`^RM[ST][A-Z]?\d`)},
	// Nanya: NT + capacity digit (NT8GA72D89FX3S, NT1GT64U88D0BY).
	{"nanya", regexp.MustCompile(`^NT\d`)},
	// Patriot: PSD..., Viper PV/PVS/PVE/PVB....
	{"patriot", regexp.MustCompile(`^(?:PSD|PV[SEB]?)\d`)},
	// Apacer: 78.xxxxx. / 75.xxxxx.
	{"apacer", regexp.MustCompile(`^7[58]\.[0-9A-Z]{5}\.`)},
	// Transcend: TS + capacity + G/M + series letters (TS1GLH64V6B).
	{"transcend", regexp.MustCompile(`^TS\d{1,4}[GMK][A-Z]{2}`)},
	// Intel Optane persistent memory modules (NMA1XXD128GPS, NMB1...).
	{"intel", regexp.MustCompile(`^NM[AB]1X`)},
}

// partNumberMakers returns the distinct makers whose scheme pn follows.
func partNumberMakers(pn string) []string {
	key := strings.ToUpper(strings.Join(strings.Fields(pn), ""))
	var out []string
	for _, r := range partNumberRules {
		if r.re.MatchString(key) && !containsString(out, r.slug) {
			out = append(out, r.slug)
		}
	}
	return out
}
