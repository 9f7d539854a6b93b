// Package mangen writes a cobra command tree's manual pages and shell
// completions as the packages install them, for packaging/build.sh. It is
// called by one small program per binary (agent/internal/gendocs,
// collector/internal/gendocs), since only code under agent/ and collector/
// may import their command constructors.
package mangen

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Main is the generators' command line: DIR [VERSION]. The pages' date is
// SOURCE_DATE_EPOCH when set (reproducible packages), else now.
func Main(root *cobra.Command, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: gendocs DIR [VERSION]")
	}
	version := ""
	if len(args) == 2 {
		version = args[1]
	}
	date := time.Now().UTC()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970: %w", s, err)
		}
		date = time.Unix(sec, 0).UTC()
	}
	return Write(root, args[0], version, date)
}

// Write writes, under dir:
//
//	man1/NAME.1.gz, man1/NAME-SUBCOMMAND.1.gz, ...   one page per command
//	bash/NAME     zsh/_NAME     fish/NAME.fish       completions
//
// Pages are gzipped at the best compression without a name or time in
// the gzip header, so two runs with one date give the same bytes.
func Write(root *cobra.Command, dir, version string, date time.Time) error {
	root.DisableAutoGenTag = true
	name := root.Name()
	source := "memledger"
	if version != "" {
		source += " " + version
	}
	pages, err := os.MkdirTemp("", "mangen")
	if err != nil {
		return fmt.Errorf("manual pages: %w", err)
	}
	defer os.RemoveAll(pages)
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: source, Manual: "memledger manual"}
	if err := doc.GenManTree(root, header, pages); err != nil {
		return fmt.Errorf("manual pages of %s: %w", name, err)
	}
	entries, err := os.ReadDir(pages)
	if err != nil {
		return fmt.Errorf("manual pages: %w", err)
	}
	for _, e := range entries {
		page, err := os.ReadFile(filepath.Join(pages, e.Name()))
		if err != nil {
			return fmt.Errorf("manual page: %w", err)
		}
		if err := writeFile(filepath.Join(dir, "man1", e.Name()+".gz"), gzipped(page)); err != nil {
			return err
		}
	}

	completions := []struct {
		path string
		gen  func(*bytes.Buffer) error
	}{
		{filepath.Join("bash", name), func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{filepath.Join("zsh", "_"+name), func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{filepath.Join("fish", name+".fish"), func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
	}
	for _, c := range completions {
		var b bytes.Buffer
		if err := c.gen(&b); err != nil {
			return fmt.Errorf("%s completion: %w", c.path, err)
		}
		if err := writeFile(filepath.Join(dir, c.path), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func gzipped(data []byte) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level: no error
	w.Write(data)                                         // writes to a bytes.Buffer do not fail
	w.Close()
	return b.Bytes()
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
