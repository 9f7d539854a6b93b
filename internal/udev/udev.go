// Package udev spells strings as udev writes them into its database
// (/run/udev/data) and /dev/disk/by-id names, and reads its escapes back:
// the agent decodes what udev wrote, the snapshot masker must recognise a
// serial number in udev's spellings, and synthetic host trees must write
// what udev would. Pure string functions.
package udev

import (
	"fmt"
	"strconv"
	"strings"
)

// safe reports whether udev writes c as itself in *_ENC properties and
// string_escape=replace values: [0-9A-Za-z#+-.:=@_].
func safe(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte("#+-.:=@_", c) >= 0
}

// Encode escapes s as udev's encode_devnode_name() does for *_ENC
// properties (ID_MODEL_ENC, ID_VENDOR_ENC): every byte outside the safe set,
// spaces included, becomes \xHH.
func Encode(s string) string {
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; safe(c) {
			out.WriteByte(c)
		} else {
			fmt.Fprintf(&out, `\x%02x`, c)
		}
	}
	return out.String()
}

// Unescape decodes a *_ENC property value, in which udev wrote every byte
// outside its safe set as \xHH. Any other use of '\' is an error naming its
// byte offset. The result may hold any bytes: callers clean it before using
// it as text.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out.WriteByte(c)
			continue
		}
		if i+3 >= len(s) || s[i+1] != 'x' {
			return "", fmt.Errorf("udev escape at byte %d: %q is not \\xHH", i, s[i:min(i+4, len(s))])
		}
		v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			return "", fmt.Errorf("udev escape at byte %d: %q is not \\xHH", i, s[i:i+4])
		}
		out.WriteByte(byte(v))
		i += 3
	}
	return out.String(), nil
}

// ReplaceWhitespace mirrors udev_replace_whitespace(), which spells ID_MODEL
// and ID_VENDOR: leading and trailing white space dropped, every inner run
// of it one '_'.
func ReplaceWhitespace(s string) string { return strings.Join(strings.Fields(s), "_") }

// Replace mirrors udev's string_escape=replace, which spells ID_SERIAL and
// ID_SERIAL_SHORT: white space as ReplaceWhitespace, then every character
// outside the safe set (each rune of a multi-byte one) as '_'.
func Replace(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && safe(byte(r)) {
			return r
		}
		return '_'
	}, ReplaceWhitespace(s))
}
