package spd

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/jep106"
	"github.com/memledger/memledger/internal/spd/spdtest"
)

var (
	kingston = jep106.ID{Bank: 2, Code: 0x18}
	micron   = jep106.ID{Bank: 1, Code: 0x2C}
	skHynix  = jep106.ID{Bank: 1, Code: 0x2D}
	samsung  = jep106.ID{Bank: 1, Code: 0x4E}
)

const gib = 1 << 30

func TestCRC16CheckValue(t *testing.T) {
	// CRC-16/XMODEM check value from the CRC catalogue.
	if got := CRC16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("CRC16(123456789) = %#04x, want 0x31C3", got)
	}
	if got := CRC16(nil); got != 0 {
		t.Fatalf("CRC16(nil) = %#04x, want 0", got)
	}
}

// ddr3Image builds a DDR3 RDIMM by hand (spdtest covers DDR4/DDR5 only):
// SK hynix module and DRAM, 4 Gbit x8 dies, 2 ranks, 72-bit bus = 8 GiB.
// crc116 selects the byte 0 bit 7 coverage (bytes 0-116 instead of 0-125).
func ddr3Image(crc116 bool) []byte {
	b := make([]byte, 256)
	b[0] = 0x12 // 176 used, 256 total, CRC over 0-125
	if crc116 {
		b[0] |= 0x80
	}
	b[1], b[2], b[3] = 0x13, 0x0b, 0x01
	b[4], b[5], b[7], b[8] = 0x04, 0x19, 0x09, 0x0b
	b[117], b[118] = 0x80, 0xad
	b[120], b[121] = 0x15, 0x22
	copy(b[122:], []byte{0x0a, 0xbc, 0x00, 0xef})
	copy(b[128:146], "HMT41GR7AFR4C-PB  ")
	b[146], b[147] = 0x4d, 0x30
	b[148], b[149] = 0x80, 0xad
	end := 125
	if crc116 {
		end = 116
	}
	c := CRC16(b[:end+1])
	b[126], b[127] = byte(c), byte(c>>8)
	return b
}

func mustName(t *testing.T, id jep106.ID) string {
	t.Helper()
	n, ok := id.Name()
	if !ok {
		t.Fatalf("id %v has no JEP106 name", id)
	}
	return n
}

func TestDecodeSynthetic(t *testing.T) {
	kingstonDDR4 := spdtest.NewDDR4()
	kingstonDDR4.ModuleMaker, kingstonDDR4.DRAMMaker = kingston, micron
	kingstonDDR4.PartNumber = "KSM32RD8/16MEI"
	kingstonDDR4.Serial = 0x12AB34CD
	kingstonDDR4.Date = spdtest.Date{Year: 2021, Week: 5}
	kingstonDDR4.ModuleType = "RDIMM"
	kingstonDDR4.Ranks, kingstonDDR4.ECC = 2, true

	ddr4TDS := spdtest.NewDDR4() // 3DS: 4 dies per package, 16 Gbit x4, 2 package ranks
	ddr4TDS.ModuleMaker, ddr4TDS.DRAMMaker = samsung, samsung
	ddr4TDS.ModuleType, ddr4TDS.DieDensityGbit, ddr4TDS.DeviceWidth, ddr4TDS.Ranks = "LRDIMM", 16, 4, 2
	ddr4TDS.Set = map[int]byte{6: 0xb2}

	hynixDDR5 := spdtest.NewDDR5()
	hynixDDR5.ModuleMaker, hynixDDR5.DRAMMaker = skHynix, skHynix
	hynixDDR5.PartNumber = "HMCG88AEBRA107N"
	hynixDDR5.Serial = 0x0000BEEF
	hynixDDR5.Date = spdtest.Date{Year: 2023, Week: 47}
	hynixDDR5.ModuleType, hynixDDR5.DeviceWidth, hynixDDR5.ECC = "RDIMM", 4, true

	ddr5TDS := spdtest.NewDDR5() // 4-high 3DS, 2 package ranks, x4
	ddr5TDS.ModuleMaker, ddr5TDS.DRAMMaker = micron, micron
	ddr5TDS.ModuleType, ddr5TDS.DeviceWidth, ddr5TDS.Ranks = "RDIMM", 4, 2
	ddr5TDS.Set = map[int]byte{4: 3<<5 | 0x04}

	lp5 := spdtest.NewLPDDR5()
	lp5.ModuleMaker, lp5.DRAMMaker = samsung, samsung
	lp5.PartNumber = "K3LK7K70BM-BGCP"

	unset := spdtest.NewDDR4() // module maker never programmed

	tests := []struct {
		name       string
		img        []byte
		memType    string
		modType    string
		modMaker   string // "" = expect ...OK false
		dramMaker  string
		modBytes   [2]byte
		pn, serial string
		year, week int
		size       uint64
		rev        string
		used, tot  int
		crcs       int
	}{
		{"DDR4 Kingston module on Micron dies", kingstonDDR4.Bytes(), "DDR4", "RDIMM", "Kingston", "Micron Technology",
			[2]byte{0x01, 0x98}, "KSM32RD8/16MEI", "12AB34CD", 2021, 5, 16 * gib, "1.1", 384, 512, 2},
		{"DDR4 3DS LRDIMM", ddr4TDS.Bytes(), "DDR4", "LRDIMM", "Samsung", "Samsung",
			[2]byte{0x80, 0xce}, "", "", 0, 0, 256 * gib, "1.1", 384, 512, 2},
		{"DDR5 RDIMM", hynixDDR5.Bytes(), "DDR5", "RDIMM", "SK Hynix (former Hyundai Electronics)", "SK Hynix (former Hyundai Electronics)",
			[2]byte{0x80, 0xad}, "HMCG88AEBRA107N", "0000BEEF", 2023, 47, 32 * gib, "1.0", 0, 1024, 1},
		{"DDR5 3DS RDIMM", ddr5TDS.Bytes(), "DDR5", "RDIMM", "Micron Technology", "Micron Technology",
			[2]byte{0x80, 0x2c}, "", "", 0, 0, 256 * gib, "1.0", 0, 1024, 1},
		{"LPDDR5 soldered", lp5.Bytes(), "LPDDR5", "SOLDER", "Samsung", "Samsung",
			[2]byte{0x80, 0xce}, "K3LK7K70BM-BGCP", "", 0, 0, 0, "1.0", 0, 1024, 1},
		{"DDR4 unset makers", unset.Bytes(), "DDR4", "UDIMM", "", "",
			[2]byte{0, 0}, "", "", 0, 0, 8 * gib, "1.1", 384, 512, 2},
		{"DDR3 CRC over 0-116", ddr3Image(true), "DDR3", "RDIMM", "SK Hynix (former Hyundai Electronics)", "SK Hynix (former Hyundai Electronics)",
			[2]byte{0x80, 0xad}, "HMT41GR7AFR4C-PB", "0ABC00EF", 2015, 22, 8 * gib, "1.3", 176, 256, 1},
		{"DDR3 CRC over 0-125", ddr3Image(false), "DDR3", "RDIMM", "SK Hynix (former Hyundai Electronics)", "SK Hynix (former Hyundai Electronics)",
			[2]byte{0x80, 0xad}, "HMT41GR7AFR4C-PB", "0ABC00EF", 2015, 22, 8 * gib, "1.3", 176, 256, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.img)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if m.MemoryType != tc.memType || m.ModuleType != tc.modType {
				t.Errorf("types = %q/%q, want %q/%q", m.MemoryType, m.ModuleType, tc.memType, tc.modType)
			}
			checkMaker(t, "module", m.ModuleManufacturer, m.ModuleManufacturerOK, tc.modMaker)
			checkMaker(t, "DRAM", m.DRAMManufacturer, m.DRAMManufacturerOK, tc.dramMaker)
			if m.ModuleManufacturerBytes != tc.modBytes {
				t.Errorf("module maker bytes = % X, want % X", m.ModuleManufacturerBytes, tc.modBytes)
			}
			if m.PartNumber != tc.pn || m.SerialNumber != tc.serial {
				t.Errorf("PN/SN = %q/%q, want %q/%q", m.PartNumber, m.SerialNumber, tc.pn, tc.serial)
			}
			if m.ManufactureYear != tc.year || m.ManufactureWeek != tc.week {
				t.Errorf("date = %d/%d, want %d/%d", m.ManufactureYear, m.ManufactureWeek, tc.year, tc.week)
			}
			if m.SizeBytes != tc.size {
				t.Errorf("SizeBytes = %d (%.2f GiB), want %d", m.SizeBytes, float64(m.SizeBytes)/gib, tc.size)
			}
			if m.Revision != tc.rev || m.BytesUsed != tc.used || m.BytesTotal != tc.tot {
				t.Errorf("rev/used/total = %s/%d/%d, want %s/%d/%d", m.Revision, m.BytesUsed, m.BytesTotal, tc.rev, tc.used, tc.tot)
			}
			if len(m.CRCs) != tc.crcs || !m.CRCOK() {
				t.Errorf("CRCs = %+v (CRCOK %v), want %d matching", m.CRCs, m.CRCOK(), tc.crcs)
			}
			if len(m.Warnings) != 0 {
				t.Errorf("unexpected warnings: %q", m.Warnings)
			}
		})
	}
}

func checkMaker(t *testing.T, what string, id jep106.ID, ok bool, want string) {
	t.Helper()
	if want == "" {
		if ok {
			t.Errorf("%s maker = %v, want unknown", what, id)
		}
		return
	}
	if !ok {
		t.Errorf("%s maker not decoded, want %q", what, want)
		return
	}
	if got := mustName(t, id); got != want {
		t.Errorf("%s maker = %v %q, want %q", what, id, got, want)
	}
}

func TestDecodeDDR3CRCCoverage(t *testing.T) {
	// Bytes 117-125 (manufacturer, date, serial) are covered only when byte
	// 0 bit 7 is clear: changing the serial must break that CRC alone.
	for _, crc116 := range []bool{true, false} {
		img := ddr3Image(crc116)
		img[125] ^= 0xff
		m, err := Decode(img)
		if err != nil {
			t.Fatal(err)
		}
		if m.CRCOK() != crc116 {
			t.Errorf("crc116=%v: CRCOK after changing byte 125 = %v, want %v (CRCs %+v)", crc116, m.CRCOK(), crc116, m.CRCs)
		}
		wantEnd := 125
		if crc116 {
			wantEnd = 116
		}
		if m.CRCs[0].Start != 0 || m.CRCs[0].End != wantEnd {
			t.Errorf("crc116=%v: CRC range %d-%d, want 0-%d", crc116, m.CRCs[0].Start, m.CRCs[0].End, wantEnd)
		}
	}
}

func TestDecodeBadCRC(t *testing.T) {
	ddr4 := spdtest.NewDDR4().Bytes()
	ddr5 := spdtest.NewDDR5().Bytes()
	tests := []struct {
		name    string
		img     []byte
		flip    int
		wantBad []string // names of CRCs that must fail
	}{
		{"DDR4 base block", ddr4, 20, []string{"base configuration"}},
		{"DDR4 stored CRC byte", ddr4, 127, []string{"base configuration"}},
		{"DDR4 block 1", ddr4, 200, []string{"module specific (block 1)"}},
		{"DDR4 manufacturing data is not covered", ddr4, 330, nil},
		{"DDR5 common block", ddr5, 235, []string{"base, common and module specific"}},
		{"DDR5 manufacturing data is not covered", ddr5, 530, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := slices.Clone(tc.img)
			img[tc.flip] ^= 0x01
			m, err := Decode(img)
			if err != nil {
				t.Fatalf("a bad CRC must not be a decoding error: %v", err)
			}
			var bad []string
			for _, c := range m.CRCs {
				if !c.OK() {
					bad = append(bad, c.Name)
					if c.Stored == c.Computed {
						t.Errorf("CRC %q reported bad with equal values", c.Name)
					}
				}
			}
			if !slices.Equal(bad, tc.wantBad) {
				t.Errorf("failing CRCs = %q, want %q", bad, tc.wantBad)
			}
			if m.CRCOK() != (len(tc.wantBad) == 0) {
				t.Errorf("CRCOK = %v", m.CRCOK())
			}
			if m.MemoryType == "" || m.ModuleType == "" {
				t.Errorf("module not decoded despite bad CRC: %+v", m)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		img      []byte
		sentinel error
		contains string
	}{
		{"empty", nil, ErrTooShort, "0 bytes"},
		{"two bytes", []byte{0x23, 0x11}, ErrTooShort, "offset 2"},
		{"DDR2", []byte{0x80, 0x08, 0x08, 0x0e}, ErrUnknownType, "DDR2"},
		{"DDR4E", []byte{0x23, 0x11, 0x0e, 0x02}, ErrUnknownType, "0x0e"},
		{"garbage type", []byte{0xff, 0xff, 0xff, 0xff}, ErrUnknownType, "0xff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.img)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			if m != nil {
				t.Errorf("module %+v returned with a fatal error", m)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

// TestDecodeTruncated cuts every image at every length: no panic, a
// TruncatedError exactly while a field is missing, and every field that is
// decoded from a prefix equal to the full decode (never a wrong value).
func TestDecodeTruncated(t *testing.T) {
	k := spdtest.NewDDR4()
	k.ModuleMaker, k.DRAMMaker, k.PartNumber, k.Serial = kingston, micron, "KF432C16BB/8", 0x01020304
	k.Date = spdtest.Date{Year: 2020, Week: 12}
	d5 := spdtest.NewDDR5()
	d5.ModuleMaker, d5.DRAMMaker, d5.PartNumber, d5.Serial = micron, micron, "MTC8C1084S1UC48BA1", 0xA1B2C3D4
	l5 := spdtest.NewLPDDR5()
	l5.ModuleMaker, l5.DRAMMaker = samsung, samsung
	images := []struct {
		name     string
		img      []byte
		complete int // length from which nothing is missing
	}{
		{"DDR3", ddr3Image(true), 150},
		{"DDR4", k.Bytes(), 352},
		{"DDR5", d5.Bytes(), 554},
		{"LPDDR5", l5.Bytes(), 554},
	}
	for _, im := range images {
		t.Run(im.name, func(t *testing.T) {
			full, err := Decode(im.img)
			if err != nil {
				t.Fatal(err)
			}
			for n := 0; n <= len(im.img); n++ {
				m, err := Decode(im.img[:n])
				switch {
				case n <= keyByte:
					if !errors.Is(err, ErrTooShort) || m != nil {
						t.Fatalf("len %d: got %v, %v; want ErrTooShort", n, m, err)
					}
					continue
				case n < im.complete:
					var te *TruncatedError
					if !errors.As(err, &te) || !errors.Is(err, ErrTruncated) {
						t.Fatalf("len %d: err = %v, want *TruncatedError", n, err)
					}
					if te.Len != n || len(te.Missing) == 0 {
						t.Fatalf("len %d: TruncatedError %+v", n, te)
					}
					for _, r := range te.Missing {
						if r.End < n {
							t.Fatalf("len %d: region %v reported missing but present", n, r)
						}
					}
				default:
					if err != nil {
						t.Fatalf("len %d: unexpected error %v", n, err)
					}
				}
				if m == nil {
					t.Fatalf("len %d: nil module", n)
				}
				checkPrefixConsistent(t, n, full, m)
			}
		})
	}
}

// checkPrefixConsistent: each field of a decode of a prefix is either its
// zero value or the value of the full decode.
func checkPrefixConsistent(t *testing.T, n int, full, part *Module) {
	t.Helper()
	fv, pv := reflect.ValueOf(*full), reflect.ValueOf(*part)
	for i := 0; i < fv.NumField(); i++ {
		name := fv.Type().Field(i).Name
		if name == "CRCs" || name == "Warnings" {
			continue
		}
		p := pv.Field(i)
		if !p.IsZero() && !reflect.DeepEqual(p.Interface(), fv.Field(i).Interface()) {
			t.Fatalf("len %d: field %s = %v, full image says %v", n, name, p.Interface(), fv.Field(i).Interface())
		}
	}
	for _, c := range part.CRCs {
		if !slices.Contains(full.CRCs, c) {
			t.Fatalf("len %d: CRC %+v not in full decode", n, c)
		}
	}
}

func TestTruncatedAt24DDR4(t *testing.T) {
	// The at24 driver shows only the first 256 bytes of a DDR4 EE1004.
	b := spdtest.NewDDR4()
	b.ModuleMaker, b.ModuleType = kingston, "SODIMM"
	m, err := Decode(b.Bytes()[:256])
	var te *TruncatedError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TruncatedError", err)
	}
	if m.MemoryType != "DDR4" || m.ModuleType != "SODIMM" || m.SizeBytes != 8*gib || !m.CRCOK() || len(m.CRCs) != 2 {
		t.Errorf("partial module = %+v", m)
	}
	if m.ModuleManufacturerOK {
		t.Errorf("module maker decoded from absent bytes")
	}
	msg := err.Error()
	for _, want := range []string{"DDR4", "256 bytes", "module manufacturer ID (bytes 320-321)", "DRAM manufacturer ID (bytes 350-351)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestDecodeWarnings(t *testing.T) {
	base := func() *spdtest.Builder {
		b := spdtest.NewDDR4()
		b.ModuleMaker, b.DRAMMaker, b.PartNumber = kingston, micron, "KVR26N19S8/8"
		b.Date = spdtest.Date{Year: 2019, Week: 30}
		return b
	}
	tests := []struct {
		name    string
		set     map[int]byte
		warn    string // substring of one warning
		check   func(*Module) string
		wantCRC bool
	}{
		{"continuation parity ignored like libjedec", map[int]byte{320: 0x81}, "wrong parity bit", func(m *Module) string {
			if !m.ModuleManufacturerOK || m.ModuleManufacturer != kingston {
				return "module maker should still read as Kingston (bank from bits 6:0)"
			}
			return ""
		}, true},
		{"id byte parity enforced", map[int]byte{321: 0x18}, "not a valid JEP106 id", func(m *Module) string {
			if m.ModuleManufacturerOK {
				return "module maker accepted despite bad id parity"
			}
			return ""
		}, true},
		{"bank beyond table", map[int]byte{350: 0x7f, 351: 0x2c}, "not a valid JEP106 id", func(m *Module) string {
			if m.DRAMManufacturerOK {
				return "DRAM maker accepted with bank 128"
			}
			return ""
		}, true},
		{"erased maker is unknown, not an error", map[int]byte{350: 0xff, 351: 0xff}, "", func(m *Module) string {
			if m.DRAMManufacturerOK {
				return "erased DRAM maker decoded"
			}
			return ""
		}, true},
		{"non BCD date", map[int]byte{323: 0x1a, 324: 0x60}, "not BCD", func(m *Module) string {
			if m.ManufactureYear != 0 || m.ManufactureWeek != 0 {
				return "non-BCD date decoded"
			}
			return ""
		}, true},
		{"non printable part number", map[int]byte{331: 0x07}, "non-printable byte 0x07", func(m *Module) string {
			if m.PartNumber != "" {
				return "part number kept despite control byte"
			}
			return ""
		}, true},
		// Trailing bytes that are not valid UTF-8 must reach the printable
		// check rather than be trimmed as padding: only space, NUL and the
		// erased-EEPROM 0xFF pad the field.
		{"trailing 0x80 in part number", map[int]byte{348: 0x80}, "non-printable byte 0x80", func(m *Module) string {
			if m.PartNumber != "" {
				return "part number kept despite trailing 0x80: " + m.PartNumber
			}
			return ""
		}, true},
		{"trailing 0xFE in part number", map[int]byte{347: 0xfe, 348: 0xff}, "non-printable byte 0xfe", func(m *Module) string {
			if m.PartNumber != "" {
				return "part number kept despite trailing 0xFE: " + m.PartNumber
			}
			return ""
		}, true},
		{"trailing 0xC3 in part number", map[int]byte{341: 0xc3, 342: 0, 343: 0, 344: 0, 345: 0, 346: 0, 347: 0, 348: 0}, "non-printable byte 0xc3", func(m *Module) string {
			if m.PartNumber != "" {
				return "part number kept despite trailing 0xC3: " + m.PartNumber
			}
			return ""
		}, true},
		{"0xFF padded part number", map[int]byte{341: 0xff, 342: 0xff, 343: 0xff, 344: 0xff, 345: 0xff, 346: 0xff, 347: 0xff, 348: 0xff}, "", func(m *Module) string {
			if m.PartNumber != "KVR26N19S8/8" {
				return "0xFF padding not trimmed: " + m.PartNumber
			}
			return ""
		}, true},
		{"NUL padded part number", map[int]byte{341: 0, 342: 0, 343: 0, 344: 0, 345: 0, 346: 0, 347: 0, 348: 0}, "", func(m *Module) string {
			if m.PartNumber != "KVR26N19S8/8" {
				return "NUL padding not trimmed: " + m.PartNumber
			}
			return ""
		}, true},
		{"unknown module type", map[int]byte{3: 0x0f}, "unknown DDR4 module type 0xf", func(m *Module) string {
			if m.ModuleType != "" {
				return "module type invented: " + m.ModuleType
			}
			return ""
		}, false},
		{"hybrid NVDIMM", map[int]byte{3: 0x91}, "hybrid (NVDIMM)", func(m *Module) string {
			if m.ModuleType != "RDIMM" {
				return "base module type lost: " + m.ModuleType
			}
			return ""
		}, true},
		{"asymmetric ranks", map[int]byte{12: 0x49}, "asymmetric", func(m *Module) string {
			if m.SizeBytes != 0 {
				return "capacity claimed for an asymmetric module"
			}
			return ""
		}, true},
		{"reserved density", map[int]byte{4: 0x8f}, "reserved SDRAM density", func(m *Module) string {
			if m.SizeBytes != 0 {
				return "capacity claimed from a reserved density"
			}
			return ""
		}, true},
		{"reserved bus width", map[int]byte{13: 0x07}, "reserved primary bus width", func(m *Module) string {
			if m.SizeBytes != 0 {
				return "capacity claimed from a reserved bus width"
			}
			return ""
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := base()
			b.Set = tc.set
			m, err := Decode(b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(m); msg != "" {
				t.Error(msg)
			}
			joined := strings.Join(m.Warnings, "\n")
			if tc.warn == "" && len(m.Warnings) != 0 {
				t.Errorf("unexpected warnings %q", m.Warnings)
			}
			if tc.warn != "" && !strings.Contains(joined, tc.warn) {
				t.Errorf("warnings %q do not mention %q", m.Warnings, tc.warn)
			}
			// An unknown module type has no annex, hence no block 1 CRC.
			if wantCRCs := map[bool]int{true: 2, false: 1}[tc.wantCRC]; len(m.CRCs) != wantCRCs || !m.CRCOK() {
				t.Errorf("CRCs = %+v, want %d matching", m.CRCs, wantCRCs)
			}
		})
	}
}

func TestDecodeDDR5DDPNotSized(t *testing.T) {
	b := spdtest.NewDDR5()
	b.Set = map[int]byte{4: 1<<5 | 0x04} // die-per-package code 1 ("DDP")
	m, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if m.SizeBytes != 0 || !strings.Contains(strings.Join(m.Warnings, "\n"), "die-per-package code 0x1") {
		t.Errorf("SizeBytes = %d, warnings %q", m.SizeBytes, m.Warnings)
	}
}

func TestCRCOKNeedsACheck(t *testing.T) {
	if (&Module{}).CRCOK() {
		t.Error("CRCOK true with no CRC checked")
	}
	m := &Module{CRCs: []CRC{{Stored: 1, Computed: 1}, {Stored: 1, Computed: 2}}}
	if m.CRCOK() {
		t.Error("CRCOK true with a mismatching CRC")
	}
}
