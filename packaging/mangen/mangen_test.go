package mangen

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func tree() *cobra.Command {
	root := &cobra.Command{Use: "tool", Short: "A tool"}
	root.Flags().String("config", "", "config `FILE`")
	sub := &cobra.Command{Use: "scan", Short: "Scan once", Long: "scan reads the host.", RunE: func(*cobra.Command, []string) error { return nil }}
	sub.Flags().Bool("json", false, "print JSON")
	root.AddCommand(sub)
	return root
}

func TestWrite(t *testing.T) {
	date := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, dir := range dirs {
		if err := Write(tree(), dir, "1.2.0", date); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"man1/tool.1.gz", "man1/tool-scan.1.gz", "bash/tool", "zsh/_tool", "fish/tool.fish"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dirs[1], name)); !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with one date", name)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(must(os.ReadFile(filepath.Join(dirs[0], "man1/tool-scan.1.gz")))))
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "TOOL-SCAN" "1" "Jan 2026" "memledger 1.2.0" "memledger manual"`, "tool-scan - Scan once", "scan reads the host.", "--json"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("tool-scan.1 lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(string(page), "Auto generated") {
		t.Error("the page carries cobra's auto-generated tag (and its date)")
	}
	if zr.Header.Name != "" || !zr.Header.ModTime.IsZero() && zr.Header.ModTime.Unix() != 0 {
		t.Errorf("gzip header names %q at %v: pages must not depend on the build", zr.Header.Name, zr.Header.ModTime)
	}
	if bash := string(must(os.ReadFile(filepath.Join(dirs[0], "bash/tool")))); !strings.Contains(bash, "__start_tool") {
		t.Errorf("bash completion does not complete tool:\n%.200s", bash)
	}
}

func TestMainArguments(t *testing.T) {
	if err := Main(tree(), nil); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no arguments: %v, want a usage error", err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if err := Main(tree(), []string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: %v, want an error naming it", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
