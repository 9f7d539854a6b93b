package snapshot

import (
	"errors"
	"testing"
)

func TestCheckLink(t *testing.T) {
	t.Parallel()
	tr := tree{
		"sys":                    {kind: kindDir},
		"sys/devices":            {kind: kindDir},
		"sys/devices/pci":        {kind: kindDir},
		"sys/devices/pci/f":      {kind: kindFile},
		"sys/block":              {kind: kindDir},
		"sys/block/sda":          {kind: kindLink, target: "../devices/pci"},
		"sys/up":                 {kind: kindLink, target: ".."},
		"sys/loop":               {kind: kindLink, target: "loop"},
		"sys/abs":                {kind: kindLink, target: "/etc"},
		"sys/devices/pci/parent": {kind: kindLink, target: "../.."},
	}
	for _, tc := range []struct {
		link, target string
		escape       bool // want errEscape
		fail         bool // want another error
	}{
		{"sys/block/sda", "../devices/pci", false, false},
		{"sys/x", "block/sda/../../..", false, false}, // sda is sys/devices/pci: ../../.. is the top
		{"sys/x", "block/sda/../../../..", true, false},
		{"sys/x", "up/..", true, false},                   // sys/up is the top; its parent is outside
		{"x", "sys/devices/pci/parent/..", false, false},  // parent is sys: .. is the top
		{"sys/x", "devices/pci/f/../../..", false, false}, // through a file: resolves nowhere
		{"sys/x", "loop/a", false, true},
		{"sys/x", "abs/passwd", true, false},
		{"sys/x", "/etc", true, false},
		{"x", "..", true, false},
		{"x", ".", false, false},
		{"x", "missing/../..", true, false}, // a missing component counts as a directory
		{"x", "", false, true},
	} {
		err := checkLink(tr, tc.link, tc.target)
		switch {
		case tc.escape && !errors.Is(err, errEscape):
			t.Errorf("%s -> %s: %v, want an escape", tc.link, tc.target, err)
		case tc.fail && (err == nil || errors.Is(err, errEscape)):
			t.Errorf("%s -> %s: %v, want a non-escape error", tc.link, tc.target, err)
		case !tc.escape && !tc.fail && err != nil:
			t.Errorf("%s -> %s: %v, want none", tc.link, tc.target, err)
		}
	}
}

func TestLinkText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		link, target, want string
		rewritten          bool
	}{
		{"sys/block/sda", "../devices/pci0000:00/0000:00:17.0/ata1", "../devices/pci0000:00/0000:00:17.0/ata1", false},
		{"etc/os-release", "../usr/lib/os-release", "../usr/lib/os-release", false},
		{"etc/os-release", "/usr/lib/os-release", "../usr/lib/os-release", true},
		{"etc/machine-id", "/etc/machine-id.real", "machine-id.real", true},
		{"etc/hostname", "../../../../hostname", "../hostname", true},
		{"top", "/", ".", true},
		{"a/b/c", "./d", "./d", false},
	} {
		got, note := linkText(tc.link, tc.target)
		if got != tc.want || (note != "") != tc.rewritten {
			t.Errorf("linkText(%s, %s) = %q (note %q), want %q (rewritten %v)", tc.link, tc.target, got, note, tc.want, tc.rewritten)
		}
	}
}

func TestRelPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ from, to, want string }{
		{"sys/block", "sys/devices/x", "../devices/x"},
		{"", "usr/lib/os-release", "usr/lib/os-release"},
		{"etc", "", ".."},
		{"a/b", "a/b", "."},
		{".", "a", "a"},
	} {
		if got := relPath(tc.from, tc.to); got != tc.want {
			t.Errorf("relPath(%q, %q) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}
