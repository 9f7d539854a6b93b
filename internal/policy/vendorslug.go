package policy

import "github.com/memledger/memledger/internal/vendor"

// isKnownSlug validates the vendor slugs of policy files.
func isKnownSlug(slug string) bool { return vendor.IsKnownSlug(slug) }

// vendorName is the display name of a maker slug for reasons: "Micron
// Technology" for "micron", the slug itself when the catalogue does not
// know it, "" for an unidentified maker.
func vendorName(slug string) string {
	if slug == "" {
		return ""
	}
	if m, ok := vendor.BySlug(slug); ok && m.Name != "" {
		return m.Name
	}
	return slug
}
