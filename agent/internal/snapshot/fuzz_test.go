package snapshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/hosttree"
	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/spd"
	"github.com/memledger/memledger/internal/spd/spdtest"
)

// FuzzExtract feeds Extract arbitrary tar streams (gzip'ed here, so the
// fuzzer works on the tar layer; input that already is gzip is passed as
// is). Extract may fail, but must never panic, write outside its
// directory, or leave a link that leads out of it. Every run writes files,
// so minimising each new input is slow; to fuzz rather than minimise:
//
//	go test -run '^$' -fuzz FuzzExtract -fuzztime=20s -fuzzminimizetime=1x ./agent/internal/snapshot/
func FuzzExtract(f *testing.F) {
	// A small real snapshot.
	root := f.TempDir()
	b := hosttree.New(root)
	b.MachineID("0123456789abcdef0123456789abcdef")
	b.OSRelease("debian", "12", "Debian GNU/Linux 12")
	b.AddVirtio(hosttree.Virtio{Name: "vda", PCIAddr: "0000:00:04.0", Serial: "vol-77aa", SizeBytes: 1 << 30})
	if err := b.Err(); err != nil {
		f.Fatal(err)
	}
	var snap bytes.Buffer
	if _, err := Write(context.Background(), &snap, Options{Root: root, Now: fixedNow}); err != nil {
		f.Fatal(err)
	}
	f.Add(snap.Bytes()) // gzip'ed: passed as is
	for _, entries := range [][]tarEntry{
		{file("../x", "evil")},
		{file("/etc/x", "evil")},
		{symlink("l", "../"), file("l/x", "evil")},
		{dir("d/"), symlink("m", "d/.."), symlink("x", "m/..")},
		{dir("d/"), symlink("l", "d"), file("l/x", "evil")},
		{file("a", "1"), {name: "b", typ: '1', link: "a"}},
		{symlink("sys/block/sda", "../devices/a"), file("sys/devices/a/size", "1\n")},
	} {
		f.Add(decompressed(f, makeArchive(f, entries...)))
	}
	lim := limits{entries: 64, fileBytes: 1 << 12, totalBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Every run writes files: large inputs make each run, and the
		// minimisation of every new interesting input, take minutes
		// without reaching more of the code than small ones.
		if len(data) > 16<<10 {
			return
		}
		in := data
		if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			var buf bytes.Buffer
			gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			gz.Write(data)
			gz.Close()
			in = buf.Bytes()
		}
		outer, target := sandbox(t)
		_, _ = extract(context.Background(), bytes.NewReader(in), target, lim)
		assertContained(t, outer, target)
	})
}

// FuzzScrub runs the scrubbers over arbitrary file contents: the first
// byte picks the kind (SMBIOS table, SPD image, ATA IDENTIFY text, udev
// record). They must never panic, and what they return must keep the
// input's layout.
func FuzzScrub(f *testing.F) {
	ws := hostfixture.Workstation()
	root := f.TempDir()
	if err := hostfixture.Build(root, ws); err != nil {
		f.Fatal(err)
	}
	seed := func(kind byte, rel string) {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{kind}, data...))
	}
	seed(0, "sys/firmware/dmi/tables/DMI")
	seed(1, "sys/bus/i2c/devices/0-0050/eeprom")
	seed(2, "sys/class/ata_device/dev1.0/id")
	seed(3, "run/udev/data/b8:0")
	f.Add(append([]byte{1}, ddr3Image(true, true)...))
	f.Add(append([]byte{1}, spdtest.NewDDR4().Bytes()[:256]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		kind, in := data[0]%4, data[1:]
		m := newMasker(testKey)
		switch kind {
		case 0:
			out, _ := scrubDMI(nil, in)
			if len(out) != len(in) {
				t.Fatalf("DMI table length %d -> %d", len(in), len(out))
			}
			before, _ := smbios.ParseTable(in, smbios.DefaultRawVersion)
			after, _ := smbios.ParseTable(out, smbios.DefaultRawVersion)
			if len(before.Structures) != len(after.Structures) {
				t.Fatalf("DMI structures %d -> %d", len(before.Structures), len(after.Structures))
			}
		case 1:
			out, err := scrubSPD(in, m)
			if err != nil {
				return
			}
			if len(out) != len(in) {
				t.Fatalf("SPD length %d -> %d", len(in), len(out))
			}
			before, _ := spd.Decode(in)
			after, _ := spd.Decode(out)
			if before.CRCOK() != after.CRCOK() {
				t.Fatalf("SPD CRC OK %v -> %v", before.CRCOK(), after.CRCOK())
			}
		case 2:
			out, err := scrubATAIdentify(in, m)
			if err != nil {
				return
			}
			if len(out) != len(in) {
				t.Fatalf("IDENTIFY length %d -> %d", len(in), len(out))
			}
			if _, err := storage.ParseATAIdentify(out); err != nil {
				t.Fatalf("scrubbed IDENTIFY text no longer parses: %v", err)
			}
		case 3:
			s := &scrubber{m: m, report: &scrubReport{}}
			out := s.udevRecord(in)
			if bytes.Count(out, []byte("\n")) != bytes.Count(in, []byte("\n")) {
				t.Fatalf("udev record lines %d -> %d", bytes.Count(in, []byte("\n")), bytes.Count(out, []byte("\n")))
			}
			_, _ = io.Discard.Write(out)
		}
	})
}
