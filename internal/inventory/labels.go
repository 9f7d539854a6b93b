package inventory

import (
	"fmt"
	"strings"
)

// MaxLabelKey is the longest host label key, in bytes.
const MaxLabelKey = 253

// ValidateLabelKey checks a host label key, wherever it is set (an agent's
// --label or configuration, the collector's label command): non-empty, at
// most MaxLabelKey bytes, no whitespace or other control character, none
// of '=', ',' and '!' (which label selectors use: site=fra1,!retired).
func ValidateLabelKey(k string) error {
	if k == "" {
		return fmt.Errorf("empty label key")
	}
	if len(k) > MaxLabelKey {
		return fmt.Errorf("label key %.40q...: longer than %d bytes", k, MaxLabelKey)
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == 0x7f || c == '=' || c == ',' || c == '!' {
			return fmt.Errorf("label key %q: forbidden character %q at byte %d", k, c, i)
		}
	}
	return nil
}

// ParseLabels turns KEY=VALUE pairs into a map. A key given twice is an
// error rather than the last one silently winning: one of the two values
// is a mistake the operator should see.
func ParseLabels(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	labels := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, fmt.Errorf("%q: want KEY=VALUE", p)
		}
		if err := ValidateLabelKey(k); err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		if _, dup := labels[k]; dup {
			return nil, fmt.Errorf("%q: key %q given twice", p, k)
		}
		labels[k] = v
	}
	return labels, nil
}
