package snapshot

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memledger/memledger/agent/internal/storage"
	"github.com/memledger/memledger/internal/hexdump"
	"github.com/memledger/memledger/internal/hostfixture"
	"github.com/memledger/memledger/internal/placeholder"
	"github.com/memledger/memledger/internal/smbios"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	"github.com/memledger/memledger/internal/spd"
	"github.com/memledger/memledger/internal/spd/spdtest"
	"github.com/memledger/memledger/internal/testcorpus"
	"github.com/memledger/memledger/internal/udev"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

var testKey = []byte("memledger snapshot test key")

func TestMaskSerialKeepsShape(t *testing.T) {
	t.Parallel()
	m := newMasker(testKey)
	for _, tc := range []struct {
		name, in string
		hex      bool // the core is all hex digits: every character masks to a hex digit
	}{
		{"hex SPD serial", "32297BC1", true},
		{"numeric", "230412345678901", true},
		{"alphanumeric drive serial", "S64HNE0T123456", false},
		{"padded NVMe attribute", "22393A1B2C3D        \n", true},
		{"dotted Dell baseboard serial", ".7XK2Q33.CNFCP0034200E1.", false},
		{"lower case", "vol-0a1b2c3d", false},
		{"0x prefix", "0x1a2b3c4d", true},
		{"leading zeros", "0000A1B2", true},
		{"short", "7", true},
	} {
		got := m.serial(tc.in)
		if len(got) != len(tc.in) {
			t.Errorf("%s: %q -> %q: length changed", tc.name, tc.in, got)
			continue
		}
		if got == tc.in {
			t.Errorf("%s: %q not masked", tc.name, tc.in)
		}
		for i := 0; i < len(tc.in); i++ {
			a, b := tc.in[i], got[i]
			isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
			isLower := func(c byte) bool { return c >= 'a' && c <= 'z' }
			isUpper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
			switch {
			case !isAlnum(a) || strings.HasPrefix(tc.in, "0x") && i < 2:
				if a != b {
					t.Errorf("%s: %q -> %q: separator %q at %d changed", tc.name, tc.in, got, a, i)
				}
			case tc.hex && !isHex(b):
				t.Errorf("%s: %q -> %q: %q at %d is not a hex digit", tc.name, tc.in, got, b, i)
			case !tc.hex && isDigit(a) != isDigit(b):
				t.Errorf("%s: %q -> %q: %q at %d: digits must stay digits and letters letters", tc.name, tc.in, got, b, i)
			case isLower(a) && isUpper(b), isUpper(a) && isLower(b):
				t.Errorf("%s: %q -> %q: case of %q at %d changed", tc.name, tc.in, got, a, i)
			}
		}
		if again := newMasker(testKey).serial(tc.in); again != got {
			t.Errorf("%s: same key, different token: %q vs %q", tc.name, got, again)
		}
		if other := newMasker([]byte("another key")).serial(tc.in); other == got && len(tc.in) > 2 {
			t.Errorf("%s: another key gives the same token %q", tc.name, got)
		}
	}
}

// TestMaskSerialIsConsistentAcrossSpellings: the SPD, SMBIOS, sysfs and
// udev spellings of one serial must map to tokens the scan still matches.
func TestMaskSerialIsConsistentAcrossSpellings(t *testing.T) {
	t.Parallel()
	m := newMasker(testKey)
	norm := func(s string) string { // agent/internal/scan's normSerial
		s = strings.ToUpper(strings.TrimSpace(s))
		s = strings.TrimPrefix(s, "0X")
		return strings.TrimLeft(s, "0")
	}
	for _, group := range [][]string{
		{"32297BC1", "32297bc1", "0x32297BC1", "0032297BC1", "  32297BC1  "},
		{"0A1B2C30", "A1B2C30"},
		{"AB CD 12", "AB_CD_12"},
	} {
		first := m.serial(group[0])
		for _, s := range group[1:] {
			got := m.serial(s)
			a, b := strings.NewReplacer(" ", "", "_", "").Replace(norm(first)), strings.NewReplacer(" ", "", "_", "").Replace(norm(got))
			if a != b {
				t.Errorf("%q -> %q and %q -> %q: tokens differ once normalised (%q vs %q)", group[0], first, s, got, a, b)
			}
		}
	}
}

func TestPlaceholdersAreNotMasked(t *testing.T) {
	t.Parallel()
	m := newMasker(testKey)
	for _, s := range []string{"", "   ", "Not Specified", "To Be Filled By O.E.M.", "Default string", "System Serial Number",
		"00000000", "FFFFFFFF", "0x00000000", "0123456789", "N/A", "Unknown", "SerNum0", "None", "XXXXXXXX", "--"} {
		if got := m.serial(s); got != s {
			t.Errorf("placeholder %q masked as %q", s, got)
		}
	}
	if len(m.distinct) != 0 {
		t.Errorf("placeholders counted as masked: %v", m.distinct)
	}
	for _, u := range []string{"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "Not Present", "not-a-uuid"} {
		if got := m.uuid(u); got != u {
			t.Errorf("uuid %q masked as %q", u, got)
		}
	}
	if got := m.uuid("4c4c4544-0058-4b10-8032-b7c04f513333\n"); got == "4c4c4544-0058-4b10-8032-b7c04f513333\n" ||
		len(got) != 37 || got[8] != '-' || got[36] != '\n' || strings.ToLower(got) != got {
		t.Errorf("uuid masked as %q: want a lower-case UUID of the same layout", got)
	}
}

// ddr3Image is a DDR3 RDIMM SPD with the serial at 122-125; byte 0 bit 7
// clear makes the CRC cover bytes 0-125, serial included.
func ddr3Image(crcCoversSerial, validCRC bool) []byte {
	b := make([]byte, 256)
	b[0] = 0x12 // 176 bytes used, 256 total
	if !crcCoversSerial {
		b[0] |= 0x80 // CRC over bytes 0-116 only
	}
	b[1], b[2], b[3] = 0x10, 0x0b, 0x01 // rev 1.0, DDR3, RDIMM
	b[4], b[7], b[8] = 0x04, 0x09, 0x0b // 4 Gbit, 2 ranks x8, 64+8 bit
	b[117], b[118] = 0x80, 0x2c         // Micron
	b[120], b[121] = 0x15, 0x20         // 2015 week 20
	copy(b[122:], []byte{0xcc, 0x94, 0xab, 0x07})
	copy(b[128:146], "36KSZF2G72LDZ1G6E2")
	b[148], b[149] = 0x80, 0x2c
	end := 125
	if !crcCoversSerial {
		end = 116
	}
	crc := spd.CRC16(b[:end+1])
	if !validCRC {
		crc ^= 0x5a5a
	}
	b[126], b[127] = byte(crc), byte(crc>>8)
	return b
}

func TestScrubSPDKeepsCRCs(t *testing.T) {
	t.Parallel()
	ddr4 := spdtest.NewDDR4()
	ddr4.ModuleMaker, ddr4.DRAMMaker, ddr4.Serial, ddr4.PartNumber = hostfixture.Kingston, hostfixture.Micron, 0x5E6F7A8B, "KSM32RD4/32MRR"
	ddr5 := spdtest.NewDDR5()
	ddr5.ModuleMaker, ddr5.DRAMMaker, ddr5.Serial, ddr5.PartNumber = hostfixture.Crucial, hostfixture.Micron, 0xE8FBFF00, "CT16G48C40U5.M8A1"
	images := map[string][]byte{
		"DDR3, CRC covers the serial":          ddr3Image(true, true),
		"DDR3, CRC stops at byte 116":          ddr3Image(false, true),
		"DDR3, CRC already wrong stays wrong":  ddr3Image(true, false),
		"DDR4 (CRCs end before the serial)":    ddr4.Bytes(),
		"DDR5 (CRC ends before the serial)":    ddr5.Bytes(),
		"DDR4 cut to 256 bytes by at24":        ddr4.Bytes()[:256],
		"DDR4 with an unset serial (00000000)": func() []byte { b := ddr4.Bytes(); copy(b[325:329], []byte{0, 0, 0, 0}); return b }(),
	}
	if dir := corpusDir(t); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*.spd"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			img, err := hexdump.Decode(raw)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			images["corpus "+filepath.Base(f)] = img
		}
	}
	for name, img := range images {
		before, berr := spd.Decode(img)
		if before == nil {
			t.Fatalf("%s: fixture does not decode: %v", name, berr)
		}
		m := newMasker(testKey)
		out, err := scrubSPD(img, m)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		after, aerr := spd.Decode(out)
		if (berr == nil) != (aerr == nil) {
			t.Errorf("%s: decode error changed: %v -> %v", name, berr, aerr)
		}
		if after.CRCOK() != before.CRCOK() || len(after.CRCs) != len(before.CRCs) {
			t.Errorf("%s: CRC OK %v -> %v", name, before.CRCOK(), after.CRCOK())
		}
		if before.SerialNumber == "" {
			if !bytes.Equal(out, img) {
				t.Errorf("%s: image without a serial was changed", name)
			}
			continue
		}
		if after.SerialNumber == before.SerialNumber || len(after.SerialNumber) != 8 {
			t.Errorf("%s: serial %q -> %q", name, before.SerialNumber, after.SerialNumber)
		}
		if after.PartNumber != before.PartNumber || after.ModuleManufacturer != before.ModuleManufacturer ||
			after.DRAMManufacturer != before.DRAMManufacturer || after.SizeBytes != before.SizeBytes ||
			after.ManufactureYear != before.ManufactureYear {
			t.Errorf("%s: fields other than the serial changed: %+v -> %+v", name, before, after)
		}
		changed := 0
		for i := range img {
			if img[i] != out[i] {
				changed++
			}
		}
		if changed > 6 { // 4 serial bytes and at most one 2-byte CRC
			t.Errorf("%s: %d bytes changed, want at most 6", name, changed)
		}
	}
	// An image that cannot be decoded cannot be masked: it is refused.
	if _, err := scrubSPD([]byte{0x23, 0x10, 0x7f, 0x00}, newMasker(testKey)); err == nil {
		t.Error("scrubSPD of an undecodable image: want an error")
	}
}

func corpusDir(t *testing.T) string {
	shared := testcorpus.SharedDir()
	dir := filepath.Join(shared, "corpus", "illumos-libjedec-spd")
	if shared == "" {
		t.Logf("corpus not found (set %s): SPD corpus images not tested", testcorpus.EnvVar)
		return ""
	}
	if _, err := os.Stat(dir); err != nil {
		t.Logf("corpus not found at %s: %v: SPD corpus images not tested", dir, err)
		return ""
	}
	return dir
}

func TestScrubATAIdentify(t *testing.T) {
	t.Parallel()
	root := buildHost(t, hostfixture.Workstation())
	text, err := os.ReadFile(filepath.Join(root, "sys/class/ata_device/dev1.0/id"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := storage.ParseATAIdentify(text)
	if err != nil {
		t.Fatal(err)
	}
	if wordSum(before.Words[:]) != 0 || before.Words[255]&0xff != 0xa5 {
		t.Fatal("fixture IDENTIFY data has no valid checksum")
	}
	out, err := scrubATAIdentify(text, newMasker(testKey))
	if err != nil {
		t.Fatal(err)
	}
	after, err := storage.ParseATAIdentify(out)
	if err != nil {
		t.Fatalf("scrubbed IDENTIFY text does not parse: %v", err)
	}
	if after.Serial == before.Serial || len(after.Serial) != len(before.Serial) {
		t.Errorf("serial %q -> %q", before.Serial, after.Serial)
	}
	if after.Model != before.Model || after.Firmware != before.Firmware || after.WWN != before.WWN {
		t.Errorf("other fields changed: %+v -> %+v", before, after)
	}
	if wordSum(after.Words[:]) != 0 {
		t.Error("integrity word 255 not recomputed")
	}
	if len(out) != len(text) || bytes.Count(out, []byte("\n")) != bytes.Count(text, []byte("\n")) {
		t.Error("layout of the id text changed")
	}

	// A checksum that was wrong stays wrong (it is not ours to fix).
	bad := bytes.Clone(text)
	copy(bad[len(bad)-5:len(bad)-1], "00a5")
	out, err = scrubATAIdentify(bad, newMasker(testKey))
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := storage.ParseATAIdentify(out); after.Words[255] != 0x00a5 {
		t.Errorf("bad checksum rewritten: word 255 = %04x", after.Words[255])
	}
	if _, err := scrubATAIdentify([]byte("0040 zzzz\n"), newMasker(testKey)); err == nil {
		t.Error("malformed IDENTIFY text: want an error")
	}
}

func TestScrubUdevRecord(t *testing.T) {
	t.Parallel()
	s := &scrubber{m: newMasker(testKey), report: &scrubReport{}}
	in := "S:disk/by-id/ata-CT1000MX500SSD1_2219E5A1B2C3\nS:disk/by-path/pci-0000:00:17.0-ata-1\nI:1000000\n" +
		"E:ID_MODEL=CT1000MX500SSD1\nE:ID_SERIAL=CT1000MX500SSD1_2219E5A1B2C3\nE:ID_SERIAL_SHORT=2219E5A1B2C3\n" +
		"E:SCSI_IDENT_SERIAL=2219E5A1B2C3\nE:ID_PATH=pci-0000:00:17.0-ata-1\nE:DEVLINKS=/dev/disk/by-id/ata-CT1000MX500SSD1_2219E5A1B2C3\n" +
		"E:MEMORY_DEVICE_0_SERIAL_NUMBER=32297BC1\nG:systemd\n"
	out := string(s.udevRecord([]byte(in)))
	rec, err := storage.ParseUdevRecord([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	p := rec.Properties
	short := p["ID_SERIAL_SHORT"]
	if short == "2219E5A1B2C3" || len(short) != 12 || p["SCSI_IDENT_SERIAL"] != short {
		t.Errorf("short serials %q, %q", short, p["SCSI_IDENT_SERIAL"])
	}
	if p["ID_SERIAL"] != "CT1000MX500SSD1_"+short {
		t.Errorf("ID_SERIAL %q, want the model and the masked short serial", p["ID_SERIAL"])
	}
	if p["MEMORY_DEVICE_0_SERIAL_NUMBER"] == "32297BC1" {
		t.Error("MEMORY_DEVICE serial not masked")
	}
	if strings.Contains(out, "2219E5A1B2C3") || !strings.Contains(out, "S:disk/by-id/ata-CT1000MX500SSD1_"+short+"\n") {
		t.Errorf("by-id names not masked:\n%s", out)
	}
	if p["ID_MODEL"] != "CT1000MX500SSD1" || p["ID_PATH"] != "pci-0000:00:17.0-ata-1" || !strings.HasSuffix(out, "G:systemd\n") {
		t.Errorf("other lines changed:\n%s", out)
	}
}

// scrubDMI runs the whole scrub over one SMBIOS table (and entry point).
func scrubDMI(ep, table []byte) ([]byte, *masker) {
	tr := tree{dmiTable: {kind: kindFile, data: bytes.Clone(table)}}
	s := &scrubber{t: tr, m: newMasker(testKey), report: &scrubReport{}}
	ds := s.dmiTable(dmiTable, ep)
	ds.replace(s.m.replacer())
	return tr[dmiTable].data, s.m
}

type dmiCase struct {
	name         string
	entry, table []byte
}

func dmiCases(t *testing.T) []dmiCase {
	b := smbiostest.NewBuilder()
	b.AddSystem(smbiostest.System{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R750", SerialNumber: "7XK2Q33",
		UUID: [16]byte{0x44, 0x45, 0x4c, 0x4c, 0x58, 0x00, 0x10, 0x4b, 0x80, 0x32, 0xb7, 0xc0, 0x4f, 0x51, 0x33, 0x33}})
	b.AddBaseboard(smbiostest.Baseboard{Manufacturer: "Dell Inc.", Product: "0PJ0J3", SerialNumber: ".7XK2Q33.CNFCP0034200E1."})
	// Type 3 chassis (serial at 0x07) and type 11 OEM strings quoting the
	// service tag.
	b.AddStructure(3, []byte{1, 0x17, 2, 3, 0}, "Dell Inc.", "Not Specified", "7XK2Q33")
	b.AddStructure(11, []byte{2}, "Dell System", "svctag=7XK2Q33")
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x5C, Size: 0x7FFF, ExtendedSize: 65536, FormFactor: 0x09, Type: 0x1A,
		Locator: "A1", Manufacturer: "002C069D002C", SerialNumber: "32297BC1", PartNumber: "36ASF8G72PZ-3G2E1"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x5C, Size: 0, FormFactor: 0x09, Type: 0x02, Locator: "A2", SerialNumber: "Not Specified"})
	b.AddEndOfTable()
	raw := b.Bytes()
	cases := []dmiCase{{"synthetic 3.3 with entry point", smbiostest.EntryPoint30(3, 3, 0, uint32(len(raw))), raw},
		{"synthetic without entry point", nil, raw}}
	shared := testcorpus.SharedDir()
	dir := filepath.Join(shared, "corpus", "smbios-binary-dumps")
	if _, err := os.Stat(dir); shared == "" || err != nil {
		t.Logf("corpus not found at %s (set %s): real SMBIOS tables not tested", dir, testcorpus.EnvVar)
		return cases
	}
	dmis, _ := filepath.Glob(filepath.Join(dir, "*", "*.dmi"))
	bins, _ := filepath.Glob(filepath.Join(dir, "*", "*.bin"))
	for _, f := range append(dmis, bins...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := dmiCase{name: filepath.Base(f), table: data}
		if strings.HasSuffix(f, ".bin") {
			ep, err := smbios.ParseEntryPoint(data)
			if err != nil || ep.TableAddress > uint64(len(data)) {
				t.Fatalf("%s: entry point: %v", f, err)
			}
			c.entry, c.table = data[:ep.Length], data[ep.TableAddress:]
		}
		cases = append(cases, c)
	}
	return cases
}

func parseDMI(entry, table []byte) (*smbios.Table, error) {
	if entry != nil {
		return smbios.ParseSysfs(entry, table)
	}
	return smbios.ParseTable(table, smbios.DefaultRawVersion)
}

func TestScrubDMITable(t *testing.T) {
	t.Parallel()
	for _, tc := range dmiCases(t) {
		before, berr := parseDMI(tc.entry, tc.table)
		out, m := scrubDMI(tc.entry, tc.table)
		after, aerr := parseDMI(tc.entry, out)
		if (berr == nil) != (aerr == nil) || len(after.Structures) != len(before.Structures) || len(out) != len(tc.table) {
			t.Errorf("%s: table structure changed: %d structures (%v) -> %d (%v)", tc.name, len(before.Structures), berr, len(after.Structures), aerr)
			continue
		}
		var serials []string
		for i := range before.Structures {
			bs, as := &before.Structures[i], &after.Structures[i]
			if bs.Type != as.Type || bs.Handle != as.Handle || !bytes.Equal(bs.Data[:4], as.Data[:4]) || len(bs.Strings) != len(as.Strings) {
				t.Errorf("%s: structure %d header changed", tc.name, i)
				continue
			}
			isSerial := map[int]bool{}
			for _, off := range serialFields[bs.Type] {
				if bs.Has(off, 1) && bs.Data[off] != 0 {
					isSerial[int(bs.Data[off])] = true
				}
			}
			for k, old := range bs.Strings {
				nw := as.Strings[k]
				switch {
				case isSerial[k+1] && !placeholder.Is(old):
					if nw == old || len(nw) != len(old) {
						t.Errorf("%s: type %d serial %q -> %q", tc.name, bs.Type, old, nw)
					}
					serials = append(serials, strings.TrimSpace(old))
				case nw != old && !containsMasked(old, m):
					t.Errorf("%s: type %d string %q changed to %q: it is no serial and holds none", tc.name, bs.Type, old, nw)
				}
			}
		}
		for _, s := range serials {
			if alnumCount(s) >= minReplaceAlnum && bytes.Contains(out, []byte(s)) {
				t.Errorf("%s: serial %q still in the table", tc.name, s)
			}
		}
		bsys, bok := before.System()
		asys, _ := after.System()
		if bok && realUUIDText(bsys.UUID) && (asys.UUID == bsys.UUID || len(asys.UUID) != len(bsys.UUID)) {
			t.Errorf("%s: system UUID %q -> %q", tc.name, bsys.UUID, asys.UUID)
		}
		bmem, _ := before.MemoryDevices()
		amem, _ := after.MemoryDevices()
		for i := range bmem {
			b, a := bmem[i], amem[i]
			if a.PartNumber != b.PartNumber || a.SizeBytes != b.SizeBytes || a.Manufacturer != b.Manufacturer || a.Locator != b.Locator {
				t.Errorf("%s: memory device %d changed beyond its serial: %+v -> %+v", tc.name, i, b, a)
			}
		}
	}
}

func containsMasked(s string, m *masker) bool {
	for old := range m.pairs {
		if alnumCount(old) >= minReplaceAlnum && strings.Contains(s, old) {
			return true
		}
	}
	return false
}

func realUUIDText(u string) bool {
	return len(u) == 36 && strings.Trim(strings.ReplaceAll(u, "-", ""), "0") != "" && strings.Trim(strings.ReplaceAll(u, "-", ""), "f") != ""
}

// TestScrubbedSnapshot is the end-to-end check of --scrub-serials: no
// original serial is anywhere in the archive, and the scan of the scrubbed
// snapshot reports masked serials with everything else unchanged.
func TestScrubbedSnapshot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		root func(t testing.TB) string
	}{
		{"two-socket server", func(t testing.TB) string { return buildHost(t, hostfixture.TwoSocketServer()) }},
		{"workstation", func(t testing.TB) string { return buildHost(t, hostfixture.Workstation()) }},
		{"large server 24x8", func(t testing.TB) string { return buildHost(t, hostfixture.LargeServer(24, 8)) }},
		{"every device kind", kitchenSink},
		{"no SMBIOS tables: udev fallback", udevOnlyHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tc.root(t)
			want := scanRoot(t, root)
			archive, st := writeSnapshot(t, Options{Root: root, ScrubSerials: true})
			raw := decompressed(t, archive)

			originals := originalSerials(want)
			if len(originals) == 0 {
				t.Fatal("fixture has no serial numbers to mask")
			}
			for _, s := range originals {
				for _, form := range []string{s, hex.EncodeToString([]byte(s)), udev.Replace(s)} {
					if bytes.Contains(raw, []byte(form)) {
						t.Errorf("serial %q (as %q) is still in the archive", s, form)
					}
				}
			}
			if st.Masked == 0 {
				t.Error("Stats.Masked is 0")
			}

			got := scanRoot(t, extractSnapshot(t, archive))
			compareScrubbed(t, want, got)
		})
	}
}

// originalSerials lists the serials and UUIDs of an inventory that must be
// masked (placeholders excluded).
func originalSerials(inv *memledgerv1.Inventory) []string {
	var out []string
	add := func(s string) {
		if !placeholder.Is(s) {
			out = append(out, s)
		}
	}
	h := inv.GetHost()
	add(h.GetSystemSerial())
	add(h.GetBaseboardSerial())
	if realUUIDText(h.GetSystemUuid()) {
		out = append(out, h.GetSystemUuid())
	}
	for _, m := range inv.GetMemoryModules() {
		add(m.GetSerialNumber())
	}
	for _, d := range inv.GetStorageDevices() {
		add(d.GetSerialNumber())
	}
	return out
}

func compareScrubbed(t *testing.T, want, got *memledgerv1.Inventory) {
	t.Helper()
	masked := func(what, a, b string) {
		t.Helper()
		if placeholder.Is(a) {
			if a != b {
				t.Errorf("%s: placeholder %q became %q", what, a, b)
			}
			return
		}
		if a == b || len(a) != len(b) {
			t.Errorf("%s: %q -> %q, want a masked value of the same length", what, a, b)
		}
	}
	wh, gh := want.GetHost(), got.GetHost()
	masked("system serial", wh.GetSystemSerial(), gh.GetSystemSerial())
	masked("baseboard serial", wh.GetBaseboardSerial(), gh.GetBaseboardSerial())
	if realUUIDText(wh.GetSystemUuid()) {
		masked("system UUID", wh.GetSystemUuid(), gh.GetSystemUuid())
	}
	if wh.GetHostId() != gh.GetHostId() || wh.GetSystemProduct() != gh.GetSystemProduct() || wh.GetSystemManufacturer() != gh.GetSystemManufacturer() ||
		wh.GetMemorySlots() != gh.GetMemorySlots() || wh.GetOs() != gh.GetOs() {
		t.Errorf("host facts other than serials changed:\n%v\n%v", wh, gh)
	}
	wm, gm := want.GetMemoryModules(), got.GetMemoryModules()
	if len(wm) != len(gm) {
		t.Fatalf("%d modules, want %d", len(gm), len(wm))
	}
	for i := range wm {
		a, b := wm[i], gm[i]
		masked("module "+a.GetLocator()+" serial", a.GetSerialNumber(), b.GetSerialNumber())
		if a.GetLocator() != b.GetLocator() || a.GetSizeBytes() != b.GetSizeBytes() || a.GetPartNumber() != b.GetPartNumber() ||
			a.GetModuleVendor().GetId() != b.GetModuleVendor().GetId() || a.GetDramVendor().GetId() != b.GetDramVendor().GetId() ||
			a.GetSource() != b.GetSource() || a.GetMemoryType() != b.GetMemoryType() {
			t.Errorf("module %d changed beyond its serial:\n%v\n%v", i, a, b)
		}
		if (a.GetSpd() == nil) != (b.GetSpd() == nil) || a.GetSpd().GetCrcOk() != b.GetSpd().GetCrcOk() ||
			a.GetSpd().GetPath() != b.GetSpd().GetPath() {
			t.Errorf("module %s: SPD %v -> %v (the SPD must still match its module, CRCs still check)", a.GetLocator(), a.GetSpd(), b.GetSpd())
		}
	}
	wd, gd := want.GetStorageDevices(), got.GetStorageDevices()
	if len(wd) != len(gd) {
		t.Fatalf("%d drives, want %d", len(gd), len(wd))
	}
	for i := range wd {
		a, b := wd[i], gd[i]
		masked("drive "+a.GetName()+" serial", a.GetSerialNumber(), b.GetSerialNumber())
		if a.GetName() != b.GetName() || a.GetModel() != b.GetModel() || a.GetSizeBytes() != b.GetSizeBytes() ||
			a.GetTransport() != b.GetTransport() || a.GetFirmware() != b.GetFirmware() || a.GetVendor().GetId() != b.GetVendor().GetId() ||
			a.GetControllerVendor().GetId() != b.GetControllerVendor().GetId() || a.GetPciVendorId() != b.GetPciVendorId() {
			t.Errorf("drive %d changed beyond its serial:\n%v\n%v", i, a, b)
		}
	}
	if len(want.GetWarnings()) != len(got.GetWarnings()) {
		t.Errorf("%d warnings, want %d:\n%v", len(got.GetWarnings()), len(want.GetWarnings()), got.GetWarnings())
	}
}

// TestScrubbedCopiesAgree: the kernel's copies of the SMBIOS system serial
// and UUID under sys/class/dmi/id must carry the same tokens as the table,
// as they carry the same values on the host.
func TestScrubbedCopiesAgree(t *testing.T) {
	t.Parallel()
	root := kitchenSink(t)
	archive, _ := writeSnapshot(t, Options{Root: root, ScrubSerials: true})
	dir := extractSnapshot(t, archive)
	read := func(rel string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	table, err := smbios.ParseSysfs(read(dmiEntryPoint), read(dmiTable))
	if err != nil {
		t.Fatal(err)
	}
	sys, ok := table.System()
	if !ok {
		t.Fatal("no system structure")
	}
	board, _ := table.Baseboard()
	for attr, want := range map[string]string{"product_uuid": sys.UUID, "product_serial": sys.SerialNumber, "board_serial": board.SerialNumber} {
		got := strings.TrimSpace(string(read("sys/class/dmi/id/" + attr)))
		if got != want {
			t.Errorf("%s = %q, the SMBIOS table says %q", attr, got, want)
		}
	}
	if sys.UUID == "33221100-5544-7766-8899-aabbccddeeff" || sys.SerialNumber == "S123456X9" {
		t.Errorf("system identity not masked: %+v", sys)
	}
}
