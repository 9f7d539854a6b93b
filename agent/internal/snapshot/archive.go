package snapshot

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/memledger/memledger/internal/version"
)

// FormatName identifies the archive layout in the manifest.
const FormatName = "memledger-snapshot/1"

// manifest is MANIFEST.json.
type manifest struct {
	Format           string `json:"format"`
	MemledgerVersion string `json:"memledger_version"`
	Created          string `json:"created"`
	// Root is the directory captured ("/" for a live host).
	Root            string `json:"root"`
	Files           int    `json:"files"`
	Dirs            int    `json:"dirs"`
	Symlinks        int    `json:"symlinks"`
	Bytes           int64  `json:"bytes"`
	ScrubbedSerials bool   `json:"scrubbed_serials"`
	Scrub           string `json:"scrub,omitempty"`
	Masked          int    `json:"masked,omitempty"`
	// Skipped lists files the scan reads that are missing from the
	// snapshot or changed in it, and why.
	Skipped []Skip `json:"skipped,omitempty"`
	// Usage tells a reader of a bug report what to do with the archive.
	Usage string `json:"usage"`
}

func newManifest(root string, created time.Time, st Stats, sr *scrubReport) manifest {
	m := manifest{
		Format:           FormatName,
		MemledgerVersion: version.String(),
		Created:          created.Format(time.RFC3339),
		Root:             root,
		Files:            st.Files,
		Dirs:             st.Dirs,
		Symlinks:         st.Symlinks,
		Bytes:            st.Bytes,
		Skipped:          st.Skipped,
		Usage:            "tar -xzf SNAPSHOT.tar.gz -C DIR, then: memledger-agent scan --root DIR",
	}
	if sr != nil {
		m.ScrubbedSerials = true
		m.Scrub = scrubDescription
		m.Masked = sr.masked
	}
	return m
}

// writeArchive writes the manifest and then every entry of t, parents
// first, as a gzip'ed tar stream.
func writeArchive(ctx context.Context, w io.Writer, t tree, m manifest, mtime time.Time) error {
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("snapshot: manifest: %w", err)
	}
	man = append(man, '\n')
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	gz.ModTime = mtime
	tw := tar.NewWriter(gz)
	put := func(hdr *tar.Header, data []byte) error {
		hdr.ModTime = mtime
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("snapshot: write %s: %w", hdr.Name, err)
		}
		if len(data) > 0 {
			if _, err := tw.Write(data); err != nil {
				return fmt.Errorf("snapshot: write %s: %w", hdr.Name, err)
			}
		}
		return nil
	}
	if err := put(&tar.Header{Typeflag: tar.TypeReg, Name: ManifestName, Mode: 0o644, Size: int64(len(man))}, man); err != nil {
		return err
	}
	for _, p := range t.sortedPaths() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("snapshot: write interrupted: %w", err)
		}
		e := t[p]
		var hdr tar.Header
		switch e.kind {
		case kindDir:
			hdr = tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: 0o755}
		case kindFile:
			hdr = tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o644, Size: int64(len(e.data))}
		case kindLink:
			hdr = tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: e.target, Mode: 0o777}
		default:
			continue
		}
		if err := put(&hdr, e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}
