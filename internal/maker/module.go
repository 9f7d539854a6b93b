package maker

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/placeholder"
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
	Module Attribution // who built the module
	// DRAM is who made the DRAM dies; known only when a source states it
	// (the DRAM id of a 12-hex-digit manufacturer string).
	DRAM     Attribution
	Warnings []string // conflicts and doubts, human-readable
}

// claim is one piece of evidence for a maker.
type claim struct {
	evidence string
	v        Attribution
	source   string // what said it, for warnings: `manufacturer string "Kingston"`
}

// IdentifyModule identifies the maker of a memory module from what SMBIOS
// (or dmidecode, or udev) says about it. Evidence is weighed in this order:
// the Module Manufacturer ID word, a JEP106 code written in the manufacturer
// string, the manufacturer string as a name, the part number as listed in
// the mined table, the part number's scheme. Agreeing evidence is listed;
// disagreeing evidence is reported in Warnings and the stronger kind wins.
// Nothing is guessed: without evidence the maker stays unknown, and a part
// number seen on several makers' modules names nobody.
func IdentifyModule(f ModuleFacts) ModuleResult {
	return identifyModule(f, minedPartNumbers)
}

// identifyModule is IdentifyModule with the mined part-number tables given,
// so the evaluation can use tables mined from part of the training data.
func identifyModule(f ModuleFacts, mined partNumberLists) ModuleResult {
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
	if !placeholder.Is(raw) {
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

	if pn, _ := CleanPartNumber(f.PartNumber); !placeholder.Is(pn) {
		key := partNumberKey(pn)
		if row, ok := mined.ambiguous.lookup(key); ok {
			res.Warnings = append(res.Warnings, fmt.Sprintf("part number %q is reported on modules of several makers (%s): ignored",
				pn, strings.ReplaceAll(row.slug, ",", ", ")))
			return finishModule(res, claims)
		}
		if row, ok := mined.exact.lookup(key); ok {
			if m := lookupSlug(row.slug); m != nil {
				claims = append(claims, claim{EvidencePartNumberExact, m.vendor(), fmt.Sprintf("part number %q (listed)", pn)})
			}
		}
		slugs := partNumberMakers(key)
		switch len(slugs) {
		case 0:
		case 1:
			claims = append(claims, claim{EvidencePartNumber, lookupSlug(slugs[0]).vendor(), fmt.Sprintf("part number %q", pn)})
		default:
			res.Warnings = append(res.Warnings, fmt.Sprintf("part number %q fits several makers' schemes (%s): ignored", pn, strings.Join(slugs, ", ")))
		}
	}

	return finishModule(res, claims)
}

// finishModule resolves the claims into the module maker.
func finishModule(res ModuleResult, claims []claim) ModuleResult {
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
func resolve(claims []claim) (Attribution, []string) {
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

// trimPadding drops leading and trailing white space, NULs and bytes that
// are not UTF-8 (0xFF fill), then a run of two or more trailing dashes,
// padding some module makers use instead of spaces
// ("GSOG42F-18----------").
func trimPadding(s string) string {
	isPad := func(r rune) bool { return unicode.IsSpace(r) || r == 0 || r == utf8.RuneError }
	s = strings.TrimFunc(s, isPad)
	if t := strings.TrimRight(s, "-"); len(s)-len(t) >= 2 {
		s = t
	}
	return strings.TrimRightFunc(s, isPad)
}

func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}
