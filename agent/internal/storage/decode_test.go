package storage

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// A udev record shaped like what systemd-udevd writes for a SATA SSD with
// ata_id and sg3_utils' rules (values are made up).
const sataUdevRecord = `S:disk/by-id/ata-INTEL_SSDSC2KB960G8_PHYF000000001P9DGN
S:disk/by-path/pci-0000:00:17.0-ata-1
W:58
I:147686920
E:ID_ATA=1
E:ID_TYPE=disk
E:ID_BUS=ata
E:ID_MODEL=INTEL_SSDSC2KB96
E:ID_MODEL_ENC=INTEL\x20SSDSC2KB96
E:ID_REVISION=0132
E:ID_SERIAL=INTEL_SSDSC2KB960G8_PHYF000000001P9DGN
E:ID_SERIAL_SHORT=PHYF000000001P9DGN
E:ID_FS_TYPE=
E:SCSI_REVISION=0132
G:systemd
Q:systemd
V:1
`

func TestParseUdevRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		props   map[string]string
		links   []string
		tags    []string
		wantErr string
	}{
		{
			name: "sata record",
			in:   sataUdevRecord,
			props: map[string]string{
				"ID_ATA": "1", "ID_TYPE": "disk", "ID_BUS": "ata", "ID_MODEL": "INTEL_SSDSC2KB96",
				"ID_MODEL_ENC": `INTEL\x20SSDSC2KB96`, "ID_REVISION": "0132",
				"ID_SERIAL": "INTEL_SSDSC2KB960G8_PHYF000000001P9DGN", "ID_SERIAL_SHORT": "PHYF000000001P9DGN",
				"ID_FS_TYPE": "", "SCSI_REVISION": "0132",
			},
			links: []string{"disk/by-id/ata-INTEL_SSDSC2KB960G8_PHYF000000001P9DGN", "disk/by-path/pci-0000:00:17.0-ata-1"},
			tags:  []string{"systemd"},
		},
		{
			name:  "value holding '=' and no final newline",
			in:    "E:ID_FS_VERSION=LVM2 001\nE:X=a=b",
			props: map[string]string{"ID_FS_VERSION": "LVM2 001", "X": "a=b"},
		},
		{
			name:  "last duplicate wins, blank lines skipped",
			in:    "E:ID_MODEL=a\n\n\nE:ID_MODEL=b\n",
			props: map[string]string{"ID_MODEL": "b"},
		},
		{name: "empty", in: "", props: map[string]string{}},
		{name: "no colon", in: "E:A=1\nEID_MODEL=x\n", wantErr: "line 2"},
		{name: "lower-case type", in: "e:ID_MODEL=x\n", wantErr: "line 1"},
		{name: "single byte line", in: "E\n", wantErr: "line 1"},
		{name: "property without =", in: "I:1\nE:ID_MODEL\n", wantErr: "line 2: property"},
		{name: "property with empty name", in: "E:=x\n", wantErr: "line 1: property"},
		{name: "NUL byte", in: "E:ID_MODEL=a\x00b\n", wantErr: "line 1: NUL"},
		{name: "binary garbage", in: "\x7fELF\x02\x01\x01", wantErr: "line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, err := ParseUdevRecord([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseUdevRecord error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseUdevRecord: %v", err)
			}
			if !reflect.DeepEqual(rec.Properties, tc.props) {
				t.Errorf("Properties = %v, want %v", rec.Properties, tc.props)
			}
			if !reflect.DeepEqual(rec.Symlinks, tc.links) {
				t.Errorf("Symlinks = %q, want %q", rec.Symlinks, tc.links)
			}
			if !reflect.DeepEqual(rec.Tags, tc.tags) {
				t.Errorf("Tags = %q, want %q", rec.Tags, tc.tags)
			}
		})
	}
}

// identifyText renders IDENTIFY words the way libata's id attribute does.
func identifyText(w [256]uint16) string {
	var s strings.Builder
	for i, v := range w {
		sep := " "
		if (i+1)%8 == 0 {
			sep = "\n"
		}
		fmt.Fprintf(&s, "%04x%s", v, sep)
	}
	return s.String()
}

// putATAString stores s, space padded to 2*n bytes, in words w[at:at+n].
func putATAString(w *[256]uint16, at, n int, s string) {
	p := s + strings.Repeat(" ", 2*n-len(s))
	for i := 0; i < n; i++ {
		w[at+i] = uint16(p[2*i])<<8 | uint16(p[2*i+1])
	}
}

func identifyWords(model, serial, fw string, wwn uint64, rot uint16) [256]uint16 {
	var w [256]uint16
	w[0] = 0x0040
	putATAString(&w, 10, 10, serial)
	putATAString(&w, 23, 4, fw)
	putATAString(&w, 27, 20, model)
	if wwn != 0 {
		w[87] = 0x4100
		w[108], w[109], w[110], w[111] = uint16(wwn>>48), uint16(wwn>>32), uint16(wwn>>16), uint16(wwn)
	} else {
		w[87] = 0x4000
	}
	w[217] = rot
	return w
}

func TestParseATAIdentify(t *testing.T) {
	t.Parallel()
	micron := identifyWords("Micron_5300_MTFDDAK480TDS", "21032C1A2B3C", "D3MU001", 0x500a07512c1a2b3c, 1)
	// A WWN in words 108-111 that word 87 does not mark valid is ignored.
	staleWWN := identifyWords("WDC WD40EFRX-68N32N0", "WD-WCC7K0000000", "82.00A82", 0, 5400)
	staleWWN[108], staleWWN[109] = 0x5001, 0x4ee0
	staleWWN[87] = 0x0100 // bits 15:14 are not 01: word not valid
	// Non-ASCII bytes in a string field are replaced, not passed through.
	garbled := identifyWords("", "", "", 0, 0)
	garbled[27] = 0xff41 // "\xffA"

	tests := []struct {
		name    string
		in      string
		want    ATAIdentity
		wantErr string
	}{
		{
			name: "ssd with wwn",
			in:   identifyText(micron),
			want: ATAIdentity{Model: "Micron_5300_MTFDDAK480TDS", Serial: "21032C1A2B3C", Firmware: "D3MU001", WWN: 0x500a07512c1a2b3c, RotationRate: 1, Words: micron},
		},
		{
			name: "hdd, wwn not marked valid",
			in:   identifyText(staleWWN),
			want: ATAIdentity{Model: "WDC WD40EFRX-68N32N0", Serial: "WD-WCC7K0000000", Firmware: "82.00A82", RotationRate: 5400, Words: staleWWN},
		},
		{
			name: "one line, CRLF-free whitespace variants",
			in:   strings.ReplaceAll(identifyText(micron), "\n", "\t"),
			want: ATAIdentity{Model: "Micron_5300_MTFDDAK480TDS", Serial: "21032C1A2B3C", Firmware: "D3MU001", WWN: 0x500a07512c1a2b3c, RotationRate: 1, Words: micron},
		},
		{
			name: "garbled model byte",
			in:   identifyText(garbled),
			want: ATAIdentity{Model: "\uFFFDA", Words: garbled},
		},
		{name: "empty (port multiplier)", in: "", wantErr: "0 words, want 256"},
		{name: "truncated", in: identifyText(micron)[:5*100], wantErr: "100 words, want 256"},
		{name: "extra word", in: identifyText(micron) + "0000\n", wantErr: "line 33: more than 256"},
		{name: "bad hex", in: strings.Replace(identifyText(micron), "0040", "00g0", 1), wantErr: "line 1, word 0"},
		{name: "short word", in: "0040 " + identifyText(micron)[5:][:5*8-5] + "12\n", wantErr: "word 8"},
		{name: "long word", in: strings.Replace(identifyText(micron), "0040 ", "00400 ", 1), wantErr: "word 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseATAIdentify([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseATAIdentify error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseATAIdentify: %v", err)
			}
			if got != tc.want {
				t.Errorf("ParseATAIdentify = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"  CT500MX500SSD1   \n", "CT500MX500SSD1"},
		{"S64F\x00\x00\x00", "S64F"},
		{"a\x01b", "a\uFFFDb"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"Dell Ent NVMe v2 AGN RI U.2 1.92TB", "Dell Ent NVMe v2 AGN RI U.2 1.92TB"},
		{"ünïcode ok", "ünïcode ok"},
		{"del\x7f", "del\uFFFD"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := CleanText(tc.in); got != tc.want {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParsePCIID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"0x1344\n", 0x1344, true},
		{"0xc0a9", 0xc0a9, true},
		{"0x8", 0x8, true},
		{"1344", 0, false},
		{"0x", 0, false},
		{"0x12345", 0, false},
		{"0xzz", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, err := parsePCIID(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parsePCIID(%q) = %#x, %v; want %#x, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestNormalizeWWN(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"0x500A07512C1A2B3C", "naa.500a07512c1a2b3c"},
		{"naa.5000C500A1B2C3D4\n", "naa.5000c500a1b2c3d4"},
		{"eui.0025388b91b2c3d4", "eui.0025388b91b2c3d4"},
		{"nvme.1344-3232-4d69-00000001", "nvme.1344-3232-4d69-00000001"},
		{"t10.ATA     CT500MX500SSD1                          2041E4C1A2B3", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := normalizeWWN(tc.in); got != tc.want {
			t.Errorf("normalizeWWN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeNVMeID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		size int
		want string
	}{
		{"00 25 38 8b 91 b2 c3 d4", 8, "0025388b91b2c3d4"},
		{"36344630-5270-0123-0025-384500000001", 16, "36344630527001230025384500000001"},
		{"00A0751E1A2B3C4D\n", 8, "00a0751e1a2b3c4d"},
		{"00 00 00 00 00 00 00 00", 8, ""},
		{"00 25 38", 8, ""},
		{"zz 25 38 8b 91 b2 c3 d4", 8, ""},
		{"", 16, ""},
	} {
		if got := normalizeNVMeID(tc.in, tc.size); got != tc.want {
			t.Errorf("normalizeNVMeID(%q, %d) = %q, want %q", tc.in, tc.size, got, tc.want)
		}
	}
}

func FuzzNormalizeNVMeID(f *testing.F) {
	for _, s := range []string{"00 25 38 8b 91 b2 c3 d4", "36344630-5270-0123-0025-384500000001", "", "zz", "00000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, size := range []int{8, 16} {
			got := normalizeNVMeID(s, size)
			if got != "" && (len(got) != 2*size || strings.ToLower(got) != got) {
				t.Fatalf("normalizeNVMeID(%q, %d) = %q", s, size, got)
			}
		}
	})
}

func FuzzParseUdevRecord(f *testing.F) {
	f.Add([]byte(sataUdevRecord))
	f.Add([]byte("S:disk/by-path/pci-0000:02:00.0-nvme-1\nI:79621327\nE:ID_SERIAL_SHORT=S252B6CU1HG3M1\nE:ID_WWN=eui.0025385b71b2c3d4\nE:ID_MODEL=SAMSUNG MZQL2960HCJR-00A07\nG:systemd\nV:1\n"))
	f.Add([]byte("E:ID_NAME=DG4016\nE:ID_SERIAL=0x1234abcd\n"))
	f.Add([]byte("E:\nE=\n:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseUdevRecord(data)
		if err != nil {
			if rec.Properties != nil {
				t.Fatalf("error %v came with properties %v", err, rec.Properties)
			}
			return
		}
		for k, v := range rec.Properties {
			if k == "" || strings.ContainsAny(k, "\n=") || strings.Contains(v, "\n") {
				t.Fatalf("bad property %q=%q", k, v)
			}
		}
	})
}

func FuzzParseATAIdentify(f *testing.F) {
	f.Add([]byte(identifyText(identifyWords("Micron_5300_MTFDDAK480TDS", "21032C1A2B3C", "D3MU001", 0x500a07512c1a2b3c, 1))))
	f.Add([]byte(identifyText(identifyWords("CT500MX500SSD1", "2041E4C1A2B3", "M3CR046", 0, 1))))
	f.Add([]byte(""))
	f.Add([]byte("0040 zzzz\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := ParseATAIdentify(data)
		if err != nil {
			return
		}
		for name, v := range map[string]string{"model": id.Model, "serial": id.Serial, "firmware": id.Firmware} {
			if !utf8.ValidString(v) {
				t.Fatalf("%s %q is not valid UTF-8", name, v)
			}
		}
		if n := utf8.RuneCountInString(id.Model); n > 40 {
			t.Fatalf("model %q has %d characters, more than the 40 the field holds", id.Model, n)
		}
	})
}
