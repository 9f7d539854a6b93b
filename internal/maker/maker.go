package maker

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/memledger/memledger/internal/jep106"
)

// Attribution says who made a part and how we know; it mirrors proto
// memledger.v1.Vendor field for field.
type Attribution struct {
	ID     string // slug: lower-case ASCII letters and digits, e.g. "crucial"; "" = unknown
	Name   string // display name, e.g. "Crucial"
	Parent string // slug of the owning company; equals ID when independent
	// Evidence says how the maker was identified, strongest first, using
	// the Evidence* constants.
	Evidence []string
	// JEP106 is the id "BANK:0xCODE" (e.g. "1:0x2C") when the evidence
	// carried one.
	JEP106 string
}

// Known reports whether v identifies a maker.
func (v Attribution) Known() bool { return v.ID != "" }

// Evidence kinds, strongest first within each family.
const (
	EvidenceModuleID        = "smbios-module-id"      // SMBIOS 3.2 Module Manufacturer ID word
	EvidenceJEP106String    = "jep106-code-in-string" // a JEP106 code written in the manufacturer string
	EvidenceName            = "name"                  // the manufacturer string names the maker
	EvidencePartNumberExact = "part-number-exact"     // the module part number is listed as the maker's
	EvidencePartNumber      = "part-number"           // the module part number follows the maker's scheme
	EvidencePCISubsystem    = "pci-subsystem-vendor"  // PCI subsystem vendor id of the drive
	EvidencePCIVendor       = "pci-vendor"            // PCI vendor id of the drive
	EvidenceWWNOUI          = "wwn-oui"               // the IEEE company id in the drive's WWN, EUI-64 or NGUID
	EvidenceModelPrefix     = "model-prefix"          // the drive model starts with the maker's prefix
	EvidenceDriveDB         = "smartmontools-drivedb" // the drive model fits a family of smartmontools' drive database
	EvidenceModelName       = "model-name"            // the drive model contains the maker's name
	EvidenceSCSIVendor      = "scsi-vendor"           // the SCSI/sysfs vendor string names the maker
	EvidenceModelFamily     = "smartctl-model-family" // smartctl's model family (its drive database) names the maker
	EvidenceOEMModel        = "oem-model-scheme"      // the drive model follows an OEM's part-number scheme (labels, not makes)
)

// Company is one maker known to the package: a curated catalogue entry or a
// company derived from the JEP106 table.
type Company struct {
	ID, Name, Parent string
	// JEP106 lists the ids registered to the maker ("1:0x2C"), primary first.
	JEP106 []string
	// Curated is true for catalogue makers, false for makers derived from a
	// JEP106 name.
	Curated bool
	// Note records judgement calls (ownership, brand lineage); may be empty.
	Note string
}

// vendor returns the maker as an Attribution with no evidence.
func (m *Company) vendor() Attribution {
	return Attribution{ID: m.ID, Name: m.Name, Parent: m.Parent}
}

// registry holds the lookup tables, built once.
type registry struct {
	bySlug   map[string]*Company
	byJEP106 map[jep106.ID]*Company
	curated  []*Company
	// names maps a name key (see nameKeys) to a slug; "" marks a key that
	// names more than one maker and so identifies none. The curated tier
	// leaves it nil: its keys are generated (curatedNameKeys).
	names map[string]string
}

// nameSlug is a name key and the maker it names; slug "" marks a key that
// names more than one maker.
type nameSlug struct{ key, slug string }

// The curated tier's name keys are generated (curated_names_gen.go, by
// TestCuratedNamesTableIsCurrent) rather than derived from the catalogue
// at start-up: that took a third of a one-shot scan's own work, on every
// scan whose modules name their maker (docs/benchmarks.md).
//
// curatedNameKeys are the keys of every curated name and alias, sorted;
// curatedAliasKeys are the aliases' full keys in catalogue order, for
// matching truncated strings ("Micron_Technolog") by prefix.

// curatedName returns the slug a curated name key names.
func curatedName(key string) (slug string, ok bool) {
	i, found := slices.BinarySearchFunc(curatedNameKeys[:], key, func(e nameSlug, k string) int { return strings.Compare(e.key, k) })
	if !found {
		return "", false
	}
	return curatedNameKeys[i].slug, true
}

// The registry comes in two tiers. A one-shot scan pays for building it on
// its start-up path, and deriving makers and name keys from all ~1,500
// JEP106 entries costs milliseconds, while almost every real part is named
// by a catalogue maker. So lookups try the small curated tier first and
// build the full tier (catalogue plus every JEP106 maker) only on a miss.
var (
	curatedReg = sync.OnceValue(buildCurated)
	reg        = sync.OnceValue(buildRegistry)
)

// buildCurated builds the tables of the catalogue alone.
func buildCurated() *registry {
	r := &registry{
		bySlug:   make(map[string]*Company, len(catalogue)),
		byJEP106: make(map[jep106.ID]*Company, 2*len(catalogue)),
	}
	for _, d := range catalogue {
		m := &Company{ID: d.id, Name: d.name, Parent: d.parent, Curated: true, Note: d.note}
		for _, s := range d.jep106 {
			id, err := jep106.ParseID(s)
			if err != nil {
				continue // caught by TestCatalogueJEP106
			}
			m.JEP106 = append(m.JEP106, id.String())
			r.byJEP106[id] = m
		}
		r.bySlug[m.ID] = m
		r.curated = append(r.curated, m)
	}
	sort.Slice(r.curated, func(i, j int) bool { return r.curated[i].ID < r.curated[j].ID })
	return r
}

// buildRegistry builds the full tables: the catalogue plus a maker for every
// listed JEP106 id, curated or derived from its name.
func buildRegistry() *registry {
	c := curatedReg()
	// Sized for the full JEP106 table so building does not rehash; the
	// curated tier's maps are copied, never written, as others read them.
	r := &registry{
		bySlug:   make(map[string]*Company, 2048),
		byJEP106: make(map[jep106.ID]*Company, 2048),
		names:    make(map[string]string, 4096),
		curated:  c.curated,
	}
	maps.Copy(r.bySlug, c.bySlug)
	maps.Copy(r.byJEP106, c.byJEP106)
	jepKeys := map[string]string{}
	addJEP := func(key, slug string) {
		if key == "" {
			return
		}
		if old, ok := jepKeys[key]; ok && old != slug {
			jepKeys[key] = ""
			return
		}
		jepKeys[key] = slug
	}
	for _, e := range jep106.Entries() {
		m, ok := r.byJEP106[e.ID]
		if !ok {
			slug := slugFor(e.ID, e.Name)
			if o, ok := derivedSlugOverrides[e.ID.String()]; ok {
				slug = o
			}
			m, ok = r.bySlug[slug]
			if !ok {
				m = &Company{ID: slug, Name: displayName(e.Name), Parent: slug}
				r.bySlug[slug] = m
			}
			if m.Curated {
				// A JEP106 name whose slug collides with a curated maker
				// that does not list the id (TestDerivedSlugsDoNotShadowCatalogue
				// keeps this from happening): keep the id unnamed rather
				// than misattribute it.
				continue
			}
			m.JEP106 = append(m.JEP106, e.ID.String())
			r.byJEP106[e.ID] = m
		}
		for _, n := range append([]string{e.Name}, formerNames(e.Name)...) {
			full, stripped := nameKeys(n)
			addJEP(full, m.ID)
			addJEP(stripped, m.ID)
		}
	}
	maps.Copy(r.names, jepKeys)
	// Curated aliases win over JEP106 names on the same key.
	for _, n := range curatedNameKeys {
		r.names[n.key] = n.slug
	}
	return r
}

// lookupSlug finds a maker by slug (a former slug finds the maker under
// its current one), building the full tier only for slugs the catalogue
// does not have.
func lookupSlug(slug string) *Company {
	slug = CurrentSlug(slug)
	if m, ok := curatedReg().bySlug[slug]; ok {
		return m
	}
	return reg().bySlug[slug]
}

// Catalogue returns the curated catalogue, sorted by slug. Catalogue derived from
// JEP106 names are not listed but are found by BySlug.
func Catalogue() []Company {
	r := curatedReg()
	out := make([]Company, len(r.curated))
	for i, m := range r.curated {
		out[i] = *m
		out[i].JEP106 = slices.Clone(m.JEP106)
	}
	return out
}

// BySlug returns the maker with the given slug: a catalogue maker or one
// derived from a JEP106 name (e.g. "advantech"). A former slug of a maker
// (see CurrentSlug) returns the maker, under its current slug.
func BySlug(slug string) (Company, bool) {
	m := lookupSlug(slug)
	if m == nil {
		return Company{}, false
	}
	out := *m
	out.JEP106 = slices.Clone(m.JEP106)
	return out, true
}

// IsKnownSlug reports whether BySlug knows slug. Policy files are validated
// with it.
func IsKnownSlug(slug string) bool {
	return lookupSlug(slug) != nil
}

// ByJEP106 returns the maker registered under id, with JEP106 set to id and
// no evidence (the caller adds its own, e.g. "spd-module-id"). It fails for
// ids the table does not list: an unlisted id names nobody.
func ByJEP106(id jep106.ID) (Attribution, bool) {
	m, ok := curatedReg().byJEP106[id]
	if !ok {
		m, ok = reg().byJEP106[id]
	}
	if !ok {
		return Attribution{}, false
	}
	v := m.vendor()
	v.JEP106 = id.String()
	return v, true
}

// byName finds the maker a manufacturer string names: exact name or alias
// first, then without trailing corporate words, then, for strings cut short
// by a fixed-width field ("Micron_Technolog"), a unique curated alias that
// starts with the string. ambiguous is true when the string names more than
// one maker.
func byName(s string) (m *Company, ambiguous bool) {
	full, stripped := nameKeys(s)
	if full == "" {
		return nil, false
	}
	// A curated key answers at once: in the full tables curated keys
	// overlay JEP106 ones, so the answer would be the same.
	if slug, ok := curatedName(full); ok {
		if slug == "" {
			return nil, true
		}
		return lookupSlug(slug), false
	}
	r := reg()
	for _, k := range []string{full, stripped} {
		if slug, ok := r.names[k]; ok {
			if slug == "" {
				return nil, true
			}
			return r.bySlug[slug], false
		}
	}
	const minPrefix = 6 // shorter fragments ("micro") say too little
	if len(full) < minPrefix {
		return nil, false
	}
	var found string
	for _, a := range curatedAliasKeys {
		if strings.HasPrefix(a.key, full) {
			if found != "" && found != a.slug {
				return nil, true
			}
			found = a.slug
		}
	}
	if found == "" {
		return nil, false
	}
	return r.bySlug[found], false
}

// related reports whether two makers are the same company family: one owns
// the other, they share a parent, or one succeeded the other's business.
func related(a, b string) bool {
	if a == b {
		return true
	}
	ma, mb := lookupSlug(a), lookupSlug(b)
	if ma != nil && mb != nil && (ma.Parent == mb.Parent || ma.Parent == b || mb.Parent == a) {
		return true
	}
	return lineage[[2]string{a, b}] || lineage[[2]string{b, a}]
}

// lineage pairs makers where one took over the other's business, so a part
// can carry either name.
var lineage = map[[2]string]bool{
	{"kioxia", "toshiba"}:         true, // Toshiba Memory became Kioxia
	{"intel", "solidigm"}:         true, // Intel's SSD business became Solidigm
	{"sandisk", "westerndigital"}: true, // WD-branded SSDs are SanDisk's flash business
}
