package policy

import (
	"fmt"
	"strings"

	"github.com/memledger/memledger/internal/maker"
	"github.com/memledger/memledger/internal/suggest"
)

// isKnownSlug validates the vendor slugs of policy files; a former slug
// of a maker is known.
func isKnownSlug(slug string) bool { return maker.IsKnownSlug(slug) }

// currentSlug is the slug the catalogue gives now to the maker a policy
// file or a stored part names by slug, which may be a former one
// (wilkelektroniksa for goodram): rules and parts are compared on it.
func currentSlug(slug string) string { return maker.CurrentSlug(slug) }

// CheckVendorSlug validates a vendor slug as policy files are validated:
// an unknown one is an error that lists the closest known slugs. Filters
// that name a vendor (the collector's --vendor) use it, so that a typo is
// refused there as it is in a policy rather than matching nothing.
func CheckVendorSlug(slug string) error {
	if isKnownSlug(slug) {
		return nil
	}
	return fmt.Errorf("unknown vendor slug %q%s", clip(slug), slugHint(slug))
}

// slugHint names the slugs closest to an unknown one: its lowercase form
// when that is known, else the nearest spellings.
func slugHint(slug string) string {
	if lower := strings.ToLower(slug); lower != slug && isKnownSlug(lower) {
		return fmt.Sprintf(" (slugs are lowercase: %q)", lower)
	}
	return suggest.Hint(slug, maker.Slugs())
}

// vendorName is the display name of a maker slug for reasons: "Micron
// Technology" for "micron", the slug itself when the catalogue does not
// know it, "" for an unidentified maker.
func vendorName(slug string) string {
	if slug == "" {
		return ""
	}
	if m, ok := maker.BySlug(slug); ok && m.Name != "" {
		return m.Name
	}
	return slug
}
