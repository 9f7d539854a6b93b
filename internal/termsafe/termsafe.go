// Package termsafe makes untrusted strings safe to print on a terminal.
//
// Hostnames, labels, part numbers and serials come from agents, that is from
// firmware and from whoever controls a host. Printed raw, an ESC sequence
// in a hostname can recolour, move the cursor, rewrite earlier lines of a
// report (hiding a violation), set the window title or, on some terminals,
// answer back into the shell; a tab or line break breaks a table's columns.
// String escapes everything that a terminal interprets rather than shows.
package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String returns s with every character a terminal would act on escaped,
// Go-style, so that it prints as visible text on one line:
//
//   - C0 controls (U+0000-U+001F) and DEL: \t, \n, \r, else \x1b and the like;
//   - C1 controls (U+0080-U+009F, e.g. the 8-bit CSI U+009B): \u009b;
//   - bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069),
//     which reorder what follows them on screen: \u202e;
//   - bytes that are not UTF-8: \xff.
//
// Everything else, other scripts included, is kept. Strings without any
// of these are returned as they are, without allocating.
func String(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Safe reports whether s prints as it is (String(s) == s).
func Safe(s string) bool { return firstUnsafe(s) < 0 }

// firstUnsafe is the byte offset of the first character String escapes,
// -1 when there is none.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports the non-ASCII runes a terminal acts on: C1 controls
// and the bidirectional embedding, override and isolate controls.
func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
