package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestResolveInRoot(t *testing.T) {
	dir := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		mk(filepath.Dir(p))
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda")
	if err := os.WriteFile(filepath.Join(dir, "sys/devices/pci0000:00/vendor"), []byte("0x8086\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln("../devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda", "sys/block/sda")
	ln("/sys/devices/pci0000:00", "sys/block/abs")      // absolute: against root
	ln("../../../../../../sys/devices", "sys/block/up") // ".." stops at root
	ln("../../../host0", "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda/device")
	ln("loop-b", "sys/block/loop-a")
	ln("loop-a", "sys/block/loop-b")
	ln("../devices/missing", "sys/block/dangling")
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	tests := []struct {
		rel, want string
		err       error
	}{
		{rel: "sys/block/sda", want: "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda"},
		{rel: "sys/block/sda/device", want: "sys/devices/pci0000:00/0000:00:17.0/ata1/host0"},
		{rel: "sys/block/abs/0000:00:17.0", want: "sys/devices/pci0000:00/0000:00:17.0"},
		{rel: "sys/block/up", want: "sys/devices"},
		// ".." after a link leaves the link's target, as in the kernel.
		{rel: "/sys//block/./sda/..", want: "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block"},
		{rel: "sys/block/abs/vendor", want: "sys/devices/pci0000:00/vendor"},
		{rel: "", want: ""},
		{rel: "..", want: ""},
		{rel: "sys/block/loop-a", err: syscall.ELOOP},
		{rel: "sys/block/dangling", err: fs.ErrNotExist},
		{rel: "sys/block/nothing", err: fs.ErrNotExist},
		{rel: "sys/block/abs/vendor/x", err: syscall.ENOTDIR},
	}
	for _, tc := range tests {
		got, fi, err := ResolveInRoot(root, tc.rel, nil)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ResolveInRoot(%q) error = %v, want %v", tc.rel, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ResolveInRoot(%q) = %q, %v; want %q", tc.rel, got, err, tc.want)
			continue
		}
		if want := filepath.Base(filepath.Join(dir, got)); fi == nil || (got != "" && fi.Name() != want) {
			t.Errorf("ResolveInRoot(%q): info %v, want the Lstat of %s", tc.rel, fi, want)
		}
	}

	var seen []string
	if _, _, err := ResolveInRoot(root, "sys/block/sda/device", func(p string, fi fs.FileInfo, target string) {
		if target != "" {
			seen = append(seen, p+" -> "+target)
		} else {
			seen = append(seen, p+"/")
		}
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"sys/", "sys/block/",
		"sys/block/sda -> ../devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda",
		"sys/devices/", "sys/devices/pci0000:00/", "sys/devices/pci0000:00/0000:00:17.0/",
		"sys/devices/pci0000:00/0000:00:17.0/ata1/", "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/",
		"sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block/", "sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda/",
		"sys/devices/pci0000:00/0000:00:17.0/ata1/host0/block/sda/device -> ../../../host0",
		"sys/devices/pci0000:00/0000:00:17.0/ata1/host0/",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("visited:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}
