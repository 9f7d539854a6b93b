package dmidecode

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/memledger/memledger/internal/testcorpus"
)

// fuzzSeedMax bounds the size of the seeds taken from the shared corpus.
const fuzzSeedMax = 3 << 10

// FuzzParse checks that no input makes Parse panic, that every failure is
// one of the documented errors, and that the result does not depend on
// line ends: the same text with CRLF parses to the same Dump.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		sampleNew,
		sampleOld,
		sampleQuiet,
		strings.ReplaceAll(sampleNew, "\n", "\r\n"),
		sampleNew[:len(sampleNew)/2],
		"",
		"\n",
		"hello\n",
		"# dmidecode 3.3\n",
		"Handle 0x0040, DMI type 17, 40 bytes\nMemory Device\n\tSize: lots\n",
		"Handle 0x0040, DMI type 17, 92 bytes\nMemory Device\n\tSize: 8 GB\n\tModule Manufacturer ID: Bank 6, Hex 0x9B\n\tType Detail: Synchronous Registered (Buffered)\n",
		"Handle 0x0040\n\tDMI type 17, 27 bytes.\n\tMemory Device\n\t\tSpeed: 400 MHz (2.5 ns)\n",
		"\xff\xfe#\x00",
		"\x7fELF\x02\x01\x01\x00",
		utf16Text(sampleNew[:200], false), // PowerShell redirection, no byte-order mark
		utf16Text(sampleNew[:200], true),
		"\x00\x1a\x00\x00\x01\x02\x00\xf0\x03\xff\x80\x98\xfbw\x01\x00\x00\x00\x03\r\x05\x11\xff\xff\x10\x00Dell\x00\x00", // an SMBIOS table
	} {
		f.Add([]byte(s))
	}
	// Real outputs, when the shared corpus is there: each from its first
	// memory device on, cut to fuzzSeedMax bytes, because the fuzzer
	// minimises every new input it keeps, byte by byte, and a 40 KB seed
	// would have it minimising instead of fuzzing.
	if shared := testcorpus.SharedDir(); shared != "" {
		for _, glob := range []string{
			"corpus/glpi-agent-dmidecode/dmidecode/*",
			"corpus/linuxhw-dmi/dmidecode/*",
			"corpus/smbios-binary-dumps/u-root-smbios/*.orig.txt",
		} {
			matches, _ := filepath.Glob(filepath.Join(shared, glob))
			for _, m := range matches {
				b, err := os.ReadFile(m)
				if err != nil {
					continue
				}
				if i := bytes.Index(b, []byte("DMI type 17")); i > 0 {
					b = b[bytes.LastIndexByte(b[:i], '\n')+1:]
				}
				f.Add(b[:min(len(b), fuzzSeedMax)])
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Parse(bytes.NewReader(in))
		if err != nil {
			if d != nil {
				t.Fatalf("Parse returned both a dump and error %v", err)
			}
			if !errors.Is(err, ErrNotDmidecode) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error %v is neither ErrNotDmidecode nor ErrMalformed", err)
			}
		} else {
			if d == nil {
				t.Fatal("Parse returned neither dump nor error")
			}
			if n := bytes.Count(in, []byte("Memory Device")) + bytes.Count(in, []byte("DMI type 17")); len(d.MemoryDevices) > n {
				t.Fatalf("%d memory devices from input with %d titles/headers", len(d.MemoryDevices), n)
			}
			if len(d.Warnings) > maxWarnings+1 {
				t.Fatalf("%d warnings, bound is %d", len(d.Warnings), maxWarnings+1)
			}
		}
		// CRLF invariance, away from the line-length limit (one extra
		// byte per line could push a line over it), from input that
		// already holds '\r' before '\n', and from input that starts
		// as UTF-16, whose line end is two bytes: adding a '\r' byte
		// shifts the text after it off the NUL pairing.
		if len(in) > MaxLineBytes/2 || bytes.Contains(in, []byte("\r")) || bomlessUTF16(in[:min(len(in), utf16Window)]) != "" {
			return
		}
		d2, err2 := Parse(bytes.NewReader(bytes.ReplaceAll(in, []byte("\n"), []byte("\r\n"))))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("LF: %v; CRLF: %v", err, err2)
		}
		if err == nil && !reflect.DeepEqual(d, d2) {
			t.Fatalf("LF and CRLF parse differently:\nLF   %+v\nCRLF %+v", d, d2)
		}
	})
}
