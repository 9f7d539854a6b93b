package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/smbios/smbiostest"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// dumpWithMicron is a dmidecode --dump-bin image of a host with one Micron
// RDIMM (named by a Dell-style hex string) and one Samsung RDIMM.
func dumpWithMicron(t *testing.T) string {
	t.Helper()
	b := smbiostest.NewBuilder()
	b.AddSystem(smbiostest.System{Manufacturer: "Dell Inc.", ProductName: "PowerEdge R640", SerialNumber: "7XK2Q33"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 0x7FFF, ExtendedSize: 32768, FormFactor: 0x09, Type: 0x1A, Locator: "A1",
		Manufacturer: "002C00B3002C", SerialNumber: "1A2B3C4D", PartNumber: "36ASF4G72PZ-2G9E2"})
	b.AddMemoryDevice(smbiostest.MemoryDevice{Length: 0x54, Size: 0x7FFF, ExtendedSize: 32768, FormFactor: 0x09, Type: 0x1A, Locator: "A2",
		Manufacturer: "00CE00B300CE", SerialNumber: "5E6F7A8B", PartNumber: "M393A4K40DB3-CWE"})
	b.AddEndOfTable()
	table := b.Bytes()
	p := filepath.Join(t.TempDir(), "dump.bin")
	if err := os.WriteFile(p, smbiostest.DumpBin(smbiostest.EntryPoint30(3, 2, 0, uint32(len(table))), table), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = Execute(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestScanTableShowsMakersAndEvidence(t *testing.T) {
	t.Parallel()
	out, _, err := run(t, "", "scan", "--smbios", dumpWithMicron(t), "--hostname", "db-17")
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, want := range []string{"db-17", "PowerEdge R640", "A1", "36ASF4G72PZ-2G9E2", "jep106-code-in-string", "Samsung", "32 GiB", "micron", "2 modules in 2 slots"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestScanJSONIsProtojsonOfInventory(t *testing.T) {
	t.Parallel()
	out, _, err := run(t, "", "scan", "--smbios", dumpWithMicron(t), "--format", "json", "--label", "cii=true")
	if err != nil {
		t.Fatal(err)
	}
	var inv memledgerv1.Inventory
	if err := protojson.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("output is not protojson of memledger.v1.Inventory: %v\n%s", err, out)
	}
	if len(inv.GetMemoryModules()) != 2 || inv.GetMemoryModules()[0].GetModuleVendor().GetId() != "micron" {
		t.Errorf("modules: %v", inv.GetMemoryModules())
	}
	if inv.GetHost().GetLabels()["cii"] != "true" {
		t.Errorf("labels: %v", inv.GetHost().GetLabels())
	}
	// Default protojson field names.
	if !strings.Contains(out, `"memoryModules"`) || !strings.Contains(out, `"moduleVendor"`) {
		t.Errorf("want protojson's default (lowerCamelCase) field names:\n%s", out)
	}
}

func TestScanOutputFileIsWrittenAtomically(t *testing.T) {
	t.Parallel()
	dest := filepath.Join(t.TempDir(), "inv.json")
	out, _, err := run(t, "", "scan", "--smbios", dumpWithMicron(t), "--format", "json", "--output", dest)
	if err != nil || out != "" {
		t.Fatalf("err %v, stdout %q", err, out)
	}
	data, err := os.ReadFile(dest)
	if err != nil || !json.Valid(data) {
		t.Fatalf("output file: %v, valid JSON %v", err, json.Valid(data))
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestScanCycloneDX(t *testing.T) {
	t.Parallel()
	out, _, err := run(t, "", "scan", "--smbios", dumpWithMicron(t), "--format", "cyclonedx")
	if err != nil {
		t.Fatal(err)
	}
	var bom struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Type         string `json:"type"`
			Name         string `json:"name"`
			Manufacturer struct {
				Name string `json:"name"`
			} `json:"manufacturer"`
			Properties []struct{ Name, Value string } `json:"properties"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(out), &bom); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" || len(bom.Components) != 2 {
		t.Fatalf("bom %s %s with %d components", bom.BOMFormat, bom.SpecVersion, len(bom.Components))
	}
	c := bom.Components[0]
	props := map[string]string{}
	for _, p := range c.Properties {
		props[p.Name] = p.Value
	}
	if c.Type != "device" || c.Name != "36ASF4G72PZ-2G9E2" || c.Manufacturer.Name == "" ||
		props["memledger:serial_number"] != "1A2B3C4D" || props["memledger:slot"] != "A1" ||
		props["memledger:module_vendor.id"] != "micron" || props["memledger:module_vendor.evidence"] == "" {
		t.Errorf("component %+v, properties %v", c, props)
	}
}

const cacPolicy = `version: 1
rules:
  - id: cac-2023-micron
    title: "no new Micron in critical infrastructure"
    match:
      vendors: [micron]
    effective: 2023-05-21
    action: restrict-new
`

func TestScanPolicyExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(cacPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	dump := dumpWithMicron(t)

	// An existing host: its Micron DIMM is recorded, not a violation.
	out, _, err := run(t, "", "scan", "--smbios", dump, "--policy", pol)
	if err != nil {
		t.Fatalf("existing installs must not fail the scan: %v", err)
	}
	if !strings.Contains(out, "RECORDED") || !strings.Contains(out, "cac-2023-micron") {
		t.Errorf("table does not show the recorded Micron DIMM:\n%s", out)
	}

	// A new server: the Micron DIMM is a violation, exit 3.
	out, _, err = run(t, "", "scan", "--smbios", dump, "--policy", pol, "--assume-new")
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != ExitViolations {
		t.Fatalf("--assume-new with a Micron DIMM: err = %v, want exit %d", err, ExitViolations)
	}
	if !strings.Contains(out, "VIOLATION") {
		t.Errorf("table does not show the violation:\n%s", out)
	}

	// A broken policy is an error (exit 1), never "no violations".
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  - id: x\n    match: {vendors: [nosuchmaker]}\n"), 0o644)
	_, _, err = run(t, "", "scan", "--smbios", dump, "--policy", bad)
	if err == nil || errors.As(err, &exit) || !strings.Contains(err.Error(), "bad.yaml:") {
		t.Errorf("broken policy: err = %v, want a plain error naming bad.yaml:LINE", err)
	}
}

func TestScanDmidecodeFromStdin(t *testing.T) {
	t.Parallel()
	text := "# dmidecode 3.4\nSMBIOS 3.3.0 present.\n\nHandle 0x0040, DMI type 17, 92 bytes\nMemory Device\n" +
		"\tSize: 16 GB\n\tForm Factor: DIMM\n\tLocator: DIMM1\n\tType: DDR4\n\tSpeed: 2666 MT/s\n" +
		"\tManufacturer: 859B0000802C\n\tSerial Number: 12345678\n\tPart Number: CT16G4DFRA266.C16FJ\n" +
		"\tModule Manufacturer ID: Bank 6, Hex 0x9B\n\n"
	out, _, err := run(t, text, "scan", "--dmidecode", "-", "--host-id", "ws-1", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var inv memledgerv1.Inventory
	if err := protojson.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatal(err)
	}
	m := inv.GetMemoryModules()
	if len(m) != 1 || m[0].GetModuleVendor().GetId() != "crucial" || m[0].GetModuleVendor().GetParent() != "micron" ||
		m[0].GetDramVendor().GetId() != "micron" || m[0].GetSource() != "dmidecode" || inv.GetHost().GetHostId() != "ws-1" {
		t.Errorf("got %v", m)
	}
}

func TestScanErrorsNameTheInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notText := filepath.Join(dir, "notes.txt")
	os.WriteFile(notText, []byte("lshw output or something else entirely\nnot dmidecode\n"), 0o644)
	for name, tt := range map[string]struct {
		args []string
		code int
	}{
		"not dmidecode": {[]string{"scan", "--dmidecode", notText}, 1},
		"missing file":  {[]string{"scan", "--smbios", filepath.Join(dir, "nope.bin")}, 1},
		"missing root":  {[]string{"scan", "--root", filepath.Join(dir, "nonexistent")}, 1},
		"root a file":   {[]string{"scan", "--root", notText}, 1},
		"bad format":    {[]string{"scan", "--format", "xml"}, 2},
		"bad label":     {[]string{"scan", "--label", "novalue"}, 2},
		"both inputs":   {[]string{"scan", "--smbios", "a", "--dmidecode", "b"}, 2},
		"assume-new":    {[]string{"scan", "--assume-new"}, 2},
		"unknown flag":  {[]string{"scan", "--bogus"}, 2},
		"an argument":   {[]string{"scan", "extra"}, 2},
	} {
		_, _, err := run(t, "", tt.args...)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if got := cmdutil.ExitCode(err); got != tt.code {
			t.Errorf("%s: exit %d (%v), want %d", name, got, err, tt.code)
		}
	}
	_, _, err := run(t, "", "scan", "--dmidecode", notText)
	if err == nil || !strings.Contains(err.Error(), notText) {
		t.Errorf("error %v does not name %s", err, notText)
	}
	// A missing root is named, not blamed on a virtual machine.
	missing := filepath.Join(dir, "nonexistent")
	_, _, err = run(t, "", "scan", "--root", missing)
	if err == nil || err.Error() != "host root "+missing+": no such file or directory" {
		t.Errorf("scan --root %s: %v", missing, err)
	}
}

// A named pipe nobody writes, given for any input, is an error naming it
// (it reads as empty) rather than a scan blocked in open(2), where the
// signal handling of main cannot end it.
func TestScanNamedPipeInputs(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dump := dumpWithMicron(t)
	for _, args := range [][]string{
		{"scan", "--smbios", fifo},
		{"scan", "--dmidecode", fifo},
		{"scan", "--smbios", dump, "--spd", fifo},
		{"scan", "--smbios", dump, "--policy", fifo},
	} {
		done := make(chan error, 1)
		go func() {
			_, _, err := run(t, "", args...)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), fifo) || cmdutil.ExitCode(err) != 1 {
				t.Errorf("%v: %v (exit %d), want exit 1 naming %s", args, err, cmdutil.ExitCode(err), fifo)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%v blocked on a named pipe without a writer", args)
		}
	}
}
