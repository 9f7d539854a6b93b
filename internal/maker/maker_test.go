package maker

import (
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/memledger/memledger/internal/jep106"
)

var slugRE = regexp.MustCompile(`^[a-z0-9]+$`)

func TestFixedSlugsAndParents(t *testing.T) {
	want := map[string]string{
		"micron": "micron", "crucial": "micron", "elpida": "micron", "samsung": "samsung", "skhynix": "skhynix",
		"solidigm": "skhynix", "kingston": "kingston", "nanya": "nanya", "cxmt": "cxmt", "ymtc": "ymtc",
		"ramaxel": "ramaxel", "corsair": "corsair", "gskill": "gskill", "adata": "adata", "teamgroup": "teamgroup",
		"patriot": "patriot", "smartmodular": "smartmodular", "apacer": "apacer", "pny": "pny", "transcend": "transcend",
		"siliconpower": "siliconpower", "kioxia": "kioxia", "westerndigital": "westerndigital", "sandisk": "sandisk",
		"seagate": "seagate", "intel": "intel", "phison": "phison", "siliconmotion": "siliconmotion",
		"longsys": "longsys", "lexar": "longsys", "hpe": "hpe", "dell": "dell", "lenovo": "lenovo",
	}
	for slug, parent := range want {
		m, ok := BySlug(slug)
		if !ok {
			t.Errorf("BySlug(%q) not found", slug)
			continue
		}
		if m.Parent != parent || !m.Curated || m.ID != slug {
			t.Errorf("BySlug(%q) = %+v, want curated with parent %q", slug, m, parent)
		}
	}
}

func TestCatalogueIsConsistent(t *testing.T) {
	makers := Catalogue()
	if !sort.SliceIsSorted(makers, func(i, j int) bool { return makers[i].ID < makers[j].ID }) {
		t.Error("Catalogue() is not sorted by slug")
	}
	seen := map[string]bool{}
	for _, m := range makers {
		if !slugRE.MatchString(m.ID) || seen[m.ID] {
			t.Errorf("bad or duplicate slug %q", m.ID)
		}
		seen[m.ID] = true
		if p, ok := BySlug(m.Parent); !ok || !p.Curated || p.Parent != p.ID {
			t.Errorf("%s: parent %q must be a curated, independent maker", m.ID, m.Parent)
		}
		if m.Name == "" {
			t.Errorf("%s: empty name", m.ID)
		}
	}
	// Catalogue returns copies.
	makers[0].JEP106 = append(makers[0].JEP106, "99:0x01")
	makers[0].Name = "changed"
	if again := Catalogue(); again[0].Name == "changed" || slices.Contains(again[0].JEP106, "99:0x01") {
		t.Error("Catalogue() exposes the catalogue to modification")
	}
}

// TestCatalogueJEP106 pins every JEP106 id of the catalogue to the name the
// reference table lists for it, so a typo in an id cannot go unnoticed.
func TestCatalogueJEP106(t *testing.T) {
	want := map[string]map[string]string{
		"micron":         {"1:0x2C": "Micron Technology", "2:0x45": "Micron CMS"},
		"crucial":        {"6:0x1B": "Crucial Technology"},
		"elpida":         {"3:0x7E": "Elpida"},
		"spectek":        {"3:0x35": "SpecTek Incorporated"},
		"samsung":        {"1:0x4E": "Samsung"},
		"skhynix":        {"1:0x2D": "SK Hynix (former Hyundai Electronics)"},
		"kingston":       {"2:0x18": "Kingston"},
		"nanya":          {"4:0x0B": "Nanya Technology"},
		"cxmt":           {"11:0x11": "CXMT (former Innotron Memory Co Ltd)", "16:0x01": "Changxin Memory Technology (Shanghai)"},
		"ymtc":           {"10:0x1B": "Yangtze Memory Technologies Co Ltd"},
		"ramaxel":        {"5:0x43": "Ramaxel Technology"},
		"corsair":        {"3:0x1E": "Corsair"},
		"gskill":         {"5:0x4D": "G Skill Intl"},
		"adata":          {"5:0x4B": "A-DATA Technology"},
		"teamgroup":      {"5:0x6F": "Team Group Inc."},
		"patriot":        {"6:0x02": "Patriot Memory"},
		"smartmodular":   {"2:0x14": "Smart Modular"},
		"apacer":         {"2:0x7A": "Apacer Technology"},
		"pny":            {"2:0x3A": "PNY Technologies Inc. (former PNY Electronics)"},
		"transcend":      {"2:0x4F": "Transcend Information", "8:0x6A": "Transcend Technology Co. Ltd."},
		"siliconpower":   {"7:0x53": "Silicon Power Computer & Communications"},
		"kioxia":         {"1:0x18": "Kioxia Corporation (former Toshiba Memory Corporation)"},
		"toshiba":        {"5:0x71": "Toshiba Corporation"},
		"hgst":           {"9:0x58": "HGST"},
		"sandisk":        {"1:0x45": "Western Digital Technologies (former SanDisk Corporation)"},
		"seagate":        {"9:0x42": "Seagate Technology PLC"},
		"intel":          {"1:0x09": "Intel"},
		"phison":         {"10:0x25": "Phison Electronics Corporation"},
		"siliconmotion":  {"9:0x09": "Silicon Motion Inc."},
		"marvell":        {"4:0x69": "Marvell Semiconductors"},
		"realtek":        {"9:0x79": "Realtek"},
		"longsys":        {"10:0x4D": "Shenzhen Longsys Electronics Co Ltd", "11:0x56": "Shenzhen Longsys Electronics Co Ltd"},
		"lexar":          {"11:0x76": "Lexar Co Limited", "7:0x5E": "Lexar Media"},
		"hpe":            {"10:0x03": "Hewlett Packard Enterprise"},
		"dell":           {"13:0x7D": "Dell Technologies"},
		"lenovo":         {"9:0x48": "Lenovo"},
		"solidigm":       {},
		"westerndigital": {},
		"maxio":          {},
		// Module makers named by linuxhw/DMI modules.
		"goodram":            {"8:0x5D": "Wilk Elektronik S.A."},
		"netac":              {"10:0x77": "Netac Technology Co Ltd"},
		"biwin":              {"11:0x31": "Biwin Semiconductor (HK) Co Ltd"},
		"kingbank":           {"12:0x12": "Kingbank Technology Co Ltd"},
		"asint":              {"7:0x41": "ASint Technology"},
		"hangzhouhikstorage": {"12:0x2C": "Hangzhou Hikstorage Technology Co"},
		"essencore":          {"9:0x18": "Essencore Limited (former ISD Technology Limited)"},
		"goldenempire":       {"4:0x13": "Golden Empire"},
		// Drive makers.
		"ocz":      {"5:0x30": "OCZ"},
		"ssstc":    {},
		"liteon":   {"8:0x72": "LITE-ON IT Corporation"},
		"plextor":  {},
		"fujitsu":  {"1:0x04": "Fujitsu"},
		"maxtor":   {},
		"huawei":   {"11:0x64": "Hua Wei Technology Co Ltd"},
		"innodisk": {"7:0x71": "InnoDisk Corporation"},
		"scy":      {"12:0x6C": "SCY"},
		"kingspec": {"11:0x02": "KingSpec"},
		"umis":     {},
		"memblaze": {},
		"dera":     {},
		"sabrent":  {},
		"msi":      {},
		"gigabyte": {"10:0x72": "GIGA-BYTE Technology Co Ltd"},
		"fanxiang": {},
		"innogrit": {},
		"jmicron":  {},
	}
	for _, m := range Catalogue() {
		ids, ok := want[m.ID]
		if !ok {
			t.Errorf("%s: no expectation for its JEP106 ids %v", m.ID, m.JEP106)
			continue
		}
		if len(m.JEP106) != len(ids) {
			t.Errorf("%s: JEP106 = %v, want %d ids", m.ID, m.JEP106, len(ids))
		}
		for s, wantName := range ids {
			id, err := jep106.ParseID(s)
			if err != nil {
				t.Fatalf("%s: %v", m.ID, err)
			}
			if name, _ := id.Name(); name != wantName {
				t.Errorf("%s: JEP106 %s is listed as %q, want %q", m.ID, s, name, wantName)
			}
			if !slices.Contains(m.JEP106, s) {
				t.Errorf("%s: JEP106 = %v, missing %s", m.ID, m.JEP106, s)
			}
			v, ok := ByJEP106(id)
			if !ok || v.ID != m.ID || v.JEP106 != s || v.Evidence != nil {
				t.Errorf("ByJEP106(%s) = %+v, %v; want %s", s, v, ok, m.ID)
			}
		}
	}
}

// makerWordRE finds JEP106 names that mention a catalogue maker.
var makerWordRE = regexp.MustCompile(`(?i)\b(micron|samsung|hynix|hyundai|kingston|crucial|elpida|spectek|nanya|cxmt|changxin|yangtze|ramaxel|corsair|g skill|a-data|team group|patriot|smart modular|apacer|pny|transcend|silicon power|kioxia|toshiba|western digital|sandisk|hgst|seagate|intel|phison|silicon motion|marvell|realtek|longsys|lexar|hewlett packard enterprise|dell|lenovo)\b`)

// TestEveryCatalogueIDIsMapped makes sure no JEP106 id that mentions a
// catalogue maker is left unmapped by accident, and that look-alikes stay
// apart (each exclusion says why).
func TestEveryCatalogueIDIsMapped(t *testing.T) {
	otherCompanies := map[string]string{
		"1:0x6C":  "Micronas (word boundary should already exclude it)",
		"5:0x0D":  "Patriot Scientific: a CPU IP company, not Patriot Memory",
		"7:0x0A":  "Bright Micron Technology: not Micron",
		"8:0x12":  "HT Micron: a Brazilian packaging company, not Micron",
		"12:0x5E": "HANA Micron: a Korean packaging company, not Micron",
		"10:0x62": "Hyundai Technology: a brand licensee, not SK hynix",
		"10:0x74": "Hyundai Inc: not SK hynix",
	}
	checked := 0
	for _, e := range jep106.Entries() {
		if !makerWordRE.MatchString(e.Name) {
			continue
		}
		checked++
		v, _ := ByJEP106(e.ID)
		m, _ := BySlug(v.ID)
		why, excluded := otherCompanies[e.ID.String()]
		switch {
		case excluded && m.Curated:
			t.Errorf("%s %q maps to %s but is excluded: %s", e.ID, e.Name, v.ID, why)
		case !excluded && !m.Curated:
			t.Errorf("%s %q mentions a catalogue maker but maps to derived %q", e.ID, e.Name, v.ID)
		}
	}
	if checked < 40 {
		t.Errorf("only %d JEP106 names mention catalogue makers; the table looks wrong", checked)
	}
}

func TestEveryListedIDHasAMaker(t *testing.T) {
	for _, e := range jep106.Entries() {
		v, ok := ByJEP106(e.ID)
		if !ok {
			t.Errorf("ByJEP106(%s %q) not found", e.ID, e.Name)
			continue
		}
		if !slugRE.MatchString(v.ID) || v.Name == "" || !IsKnownSlug(v.Parent) || v.JEP106 != e.ID.String() {
			t.Errorf("ByJEP106(%s %q) = %+v", e.ID, e.Name, v)
		}
		m, _ := BySlug(v.ID)
		if !m.Curated && !slices.Contains(m.JEP106, e.ID.String()) {
			t.Errorf("derived maker %s does not list %s", m.ID, e.ID)
		}
	}
	if _, ok := ByJEP106(jep106.ID{Bank: 14, Code: 0x01}); ok {
		t.Error("ByJEP106 named an unlisted id")
	}
}

// TestDerivedSlugsDoNotShadowCatalogue: a JEP106 name whose derived slug is
// a catalogue slug must be one of that maker's ids (or another catalogue
// maker's), never a different company posing under a catalogue slug.
func TestDerivedSlugsDoNotShadowCatalogue(t *testing.T) {
	for _, e := range jep106.Entries() {
		slug := slugFor(e.ID, e.Name)
		m, ok := BySlug(slug)
		if !ok || !m.Curated {
			continue
		}
		v, _ := ByJEP106(e.ID)
		if vm, _ := BySlug(v.ID); !vm.Curated {
			t.Errorf("%s %q derives curated slug %q but is not in the catalogue", e.ID, e.Name, slug)
		}
	}
}

func TestSlugFor(t *testing.T) {
	tests := []struct {
		id   jep106.ID
		name string
		want string
	}{
		{jep106.ID{Bank: 11, Code: 0x48}, "Advantech Co Ltd", "advantech"},
		{jep106.ID{Bank: 4, Code: 0x25}, "Kingmax Semiconductor", "kingmax"},
		{jep106.ID{Bank: 5, Code: 0x16}, "Positivo Informatica Ltd", "positivoinformatica"},
		{jep106.ID{Bank: 12, Code: 0x2C}, "Hangzhou Hikstorage Technology Co", "hangzhouhikstorage"},
		{jep106.ID{Bank: 1, Code: 0x41}, "Infineon (former Siemens)", "infineon"},
		{jep106.ID{Bank: 2, Code: 0x3A}, "PNY Technologies Inc. (former PNY Electronics)", "pny"},
		{jep106.ID{Bank: 4, Code: 0x3E}, "c’t Magazine", "ctmagazine"},
		{jep106.ID{Bank: 5, Code: 0x16}, "Positivo Informática", "positivoinformatica"},
		{jep106.ID{Bank: 1, Code: 0x01}, "Technology", "technology"}, // a name of one corporate word keeps it
		{jep106.ID{Bank: 3, Code: 0x0A}, "(…)", "jep106b3c0a"},
	}
	for _, tt := range tests {
		if got := slugFor(tt.id, tt.name); got != tt.want {
			t.Errorf("slugFor(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDerivedMakers(t *testing.T) {
	tests := []struct {
		slug, name string
		jep106     []string
	}{
		{"advantech", "Advantech Co Ltd", []string{"11:0x48"}},
		{"kingmax", "Kingmax Semiconductor", []string{"4:0x25"}},
		{"gloway", "Gloway International (HK)", []string{"8:0x46", "9:0x13"}},     // one company, two ids
		{"amsjiangsu", "AMS (Jiangsu Advanced Memory Semi)", []string{"11:0x1D"}}, // kept apart from AMS (Austria)
		{"ams", "AMS(Austria Micro)", []string{"1:0x73"}},
		{"hyundaiinc", "Hyundai Inc", []string{"10:0x74"}},
		{"infineon", "Infineon", []string{"1:0x41"}}, // "(former Siemens)" dropped from the display name
	}
	for _, tt := range tests {
		m, ok := BySlug(tt.slug)
		if !ok || m.Curated || m.Name != tt.name || m.Parent != tt.slug || !slices.Equal(m.JEP106, tt.jep106) {
			t.Errorf("BySlug(%q) = %+v, %v; want derived %q %v", tt.slug, m, ok, tt.name, tt.jep106)
		}
	}
	for _, s := range []string{"", "Micron", "micorn", "micron ", "jep106"} {
		if IsKnownSlug(s) {
			t.Errorf("IsKnownSlug(%q) = true", s)
		}
	}
}

func TestRelated(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"micron", "crucial", true}, {"crucial", "elpida", true}, {"skhynix", "solidigm", true},
		{"kioxia", "toshiba", true}, {"intel", "solidigm", true}, {"sandisk", "westerndigital", true},
		{"hgst", "westerndigital", true}, {"micron", "samsung", false}, {"kingston", "micron", false},
		{"advantech", "adata", false},
	}
	for _, tt := range tests {
		if got := related(tt.a, tt.b); got != tt.want {
			t.Errorf("related(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
