package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/memledger/memledger/internal/cmdutil"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

const smartctlBanner = "smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0-18-amd64] (local build)\n" +
	"Copyright (C) 2002-22, Bruce Allen, Christian Franke, www.smartmontools.org\n\n" +
	"=== START OF INFORMATION SECTION ===\n"

// smartctlBundle is `for d in ...; do smartctl -x $d; done` of a Micron
// SATA SSD in a Dell server, a Crucial NVMe drive, a Seagate SAS disk and
// a device smartctl could not open.
var smartctlBundle = smartctlBanner +
	"Model Family:     Micron 5100 Pro / 52xx / 5300 SSDs\n" +
	"Device Model:     MTFDDAK960TDS\n" +
	"Serial Number:    18231C1A2B3C\n" +
	"LU WWN Device Id: 5 00a075 11c1a2b3c\n" +
	"Firmware Version: D3DJ004\n" +
	"User Capacity:    960,197,124,096 bytes [960 GB]\n" +
	"Rotation Rate:    Solid State Device\n\n" +
	smartctlBanner +
	"Model Number:                       CT1000P5SSD8\n" +
	"Serial Number:                      2105E4A1B2C3\n" +
	"Firmware Version:                   P4CR313\n" +
	"PCI Vendor/Subsystem ID:            0xc0a9\n" +
	"IEEE OUI Identifier:                0x00a075\n" +
	"Namespace 1 Size/Capacity:          1,000,204,886,016 [1.00 TB]\n\n" +
	"smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0-18-amd64] (local build)\n" +
	"Smartctl open device: /dev/sdz failed: No such device\n\n" +
	smartctlBanner +
	"Vendor:               SEAGATE\n" +
	"Product:              ST600MM0208\n" +
	"Revision:             N003\n" +
	"User Capacity:        600,127,266,816 bytes [600 GB]\n" +
	"Rotation Rate:        10000 rpm\n" +
	"Logical Unit id:      0x5000c500a1b2c3d4\n" +
	"Serial number:        W0M1ABCD\n" +
	"Transport protocol:   SAS (SPL-4)\n"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func scanJSON(t *testing.T, stdin string, args ...string) *memledgerv1.Inventory {
	t.Helper()
	out, _, err := run(t, stdin, append([]string{"scan", "--format", "json"}, args...)...)
	if err != nil {
		t.Fatalf("scan %v: %v", args, err)
	}
	var inv memledgerv1.Inventory
	if err := protojson.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("output is not protojson of memledger.v1.Inventory: %v\n%s", err, out)
	}
	return &inv
}

func TestScanSmartctlAlone(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "smartctl-x.txt", smartctlBundle)
	inv := scanJSON(t, "", "--smartctl", file)

	type drive struct{ model, transport, vendor, parent, wwn, pciSubsystem string }
	var got []drive
	for _, d := range inv.GetStorageDevices() {
		if d.GetSource() != "smartctl" || d.GetKind() != memledgerv1.DriveKind_DRIVE_KIND_PHYSICAL {
			t.Errorf("drive %v: want source smartctl, a physical drive", d)
		}
		got = append(got, drive{d.GetModel(), d.GetTransport(), d.GetVendor().GetId(), d.GetVendor().GetParent(), d.GetWwn(), d.GetPciSubsystemVendorId()})
	}
	want := []drive{
		{"MTFDDAK960TDS", "sata", "micron", "micron", "naa.500a07511c1a2b3c", ""},
		{"CT1000P5SSD8", "nvme", "crucial", "micron", "", "c0a9"},
		{"ST600MM0208", "sas", "seagate", "seagate", "naa.5000c500a1b2c3d4", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("drives %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("drive %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if ev := inv.GetStorageDevices()[0].GetVendor().GetEvidence(); !strings.Contains(strings.Join(ev, ","), "wwn-oui") {
		t.Errorf("Micron SSD evidence %v lacks wwn-oui (Micron's OUI in its WWN)", ev)
	}
	if d := inv.GetStorageDevices()[2]; d.GetSizeBytes() != 600127266816 || !d.GetRotational() || d.GetSerialNumber() != "W0M1ABCD" || d.GetFirmware() != "N003" {
		t.Errorf("SAS drive %v", d)
	}
	if src := inv.GetSources(); len(src) != 1 || src[0] != "smartctl" {
		t.Errorf("sources %v, want [smartctl]", src)
	}
	if len(inv.GetMemoryModules()) != 0 || inv.GetHost().GetHostId() != "" {
		t.Errorf("smartctl output alone describes no module and no host id: %v %v", inv.GetMemoryModules(), inv.GetHost())
	}
	var skipped, memory, hostID bool
	for _, w := range inv.GetWarnings() {
		switch {
		case w.GetSource() == "smartctl" && w.GetSubject() == file+":24" && strings.Contains(w.GetMessage(), "/dev/sdz failed"):
			skipped = true
		case w.GetSource() == "smbios" && strings.Contains(w.GetMessage(), "smartctl output only"):
			memory = true // the collector leaves the host's modules as they stand
		case w.GetSource() == "host" && strings.Contains(w.GetMessage(), "--host-id"):
			hostID = true
		}
	}
	if !skipped || !memory || !hostID {
		t.Errorf("warnings %v: want the skipped device (at %s:24), no memory read, no host id", inv.GetWarnings(), file)
	}
}

func TestScanSmartctlWithSMBIOS(t *testing.T) {
	t.Parallel()
	json := `{"json_format_version":[1,0],"device":{"name":"/dev/nvme0","type":"nvme","protocol":"NVMe"},` +
		`"model_name":"Dell Ent NVMe CM6 RI 1.92TB","serial_number":"Y0A0A01BTJ8F","firmware_version":"2.1.8",` +
		`"nvme_pci_vendor":{"id":7695,"subsystem_id":4136},"nvme_ieee_oui_identifier":9233294}` + "\n" +
		`{"device":{"name":"/dev/bus/0","type":"sat+megaraid,1","protocol":"ATA"},"model_name":"EVIL\u001b[2J","serial_number":"S1"}` + "\n"
	inv := scanJSON(t, json, "--smbios", dumpWithMicron(t), "--smartctl", "-", "--host-id", "db-17")
	if len(inv.GetMemoryModules()) != 2 || inv.GetHost().GetHostId() != "db-17" || inv.GetHost().GetSystemProduct() != "PowerEdge R640" {
		t.Errorf("modules %v, host %v: want the dump's", inv.GetMemoryModules(), inv.GetHost())
	}
	if src := strings.Join(inv.GetSources(), ","); src != "smbios,smartctl" {
		t.Errorf("sources %s, want smbios,smartctl", src)
	}
	for _, w := range inv.GetWarnings() {
		if w.GetSource() == "smbios" {
			t.Errorf("warning %v: the dump's modules were read", w)
		}
	}
	d := inv.GetStorageDevices()
	if len(d) != 2 {
		t.Fatalf("drives %v", d)
	}
	if d[0].GetName() != "nvme0" || d[0].GetVendor().GetId() != "kioxia" || d[0].GetOemVendor().GetId() != "dell" ||
		d[0].GetPciVendorId() != "1e0f" || d[0].GetPciSubsystemVendorId() != "1028" {
		t.Errorf("Dell-labelled Kioxia NVMe: %v", d[0])
	}
	if d[1].GetName() != "bus/0 sat+megaraid,1" || d[1].GetModel() != "EVIL\ufffd[2J" || d[1].GetTransport() != "sata" {
		t.Errorf("drive behind a RAID controller: %v (control characters must read U+FFFD)", d[1])
	}
}

func TestScanSmartctlErrors(t *testing.T) {
	t.Parallel()
	notSmartctl := writeFile(t, "notes.txt", "lshw output or something else entirely\n")
	failed := writeFile(t, "failed.txt", "smartctl 7.3 2022-02-28 r5338 [x86_64-linux] (local build)\nSmartctl open device: /dev/sdz failed: No such device\n")
	for name, tt := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no drive":          {[]string{"--smartctl", notSmartctl}, 1, "smartctl output " + notSmartctl + ": no drive found"},
		"says why":          {[]string{"--smartctl", failed}, 1, "line 1: smartctl output names no drive (smartctl said \"Smartctl open device: /dev/sdz failed: No such device\")"},
		"missing file":      {[]string{"--smartctl", filepath.Join(t.TempDir(), "nope")}, 1, "reading smartctl output"},
		"stdin read twice":  {[]string{"--smartctl", "-", "--dmidecode", "-"}, 2, "stdin can be read once"},
		"stdin twice, same": {[]string{"--smartctl", "-", "--smartctl", "-"}, 2, "stdin can be read once"},
	} {
		_, _, err := run(t, "", append([]string{"scan"}, tt.args...)...)
		if err == nil || cmdutil.ExitCode(err) != tt.code || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v (exit %d), want exit %d and %q", name, err, cmdutil.ExitCode(err), tt.code, tt.want)
		}
	}
}
