package smartctl

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type obj = map[string]any

// smartctlJSON lays out one object as `smartctl --json` does (two-space
// indent, the object's braces at column 0).
func smartctlJSON(t testing.TB, o obj) string {
	t.Helper()
	o["json_format_version"] = []int{1, 0}
	o["smartctl"] = obj{"version": []int{7, 3}, "exit_status": 0}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func jsonATA(t testing.TB) string {
	return smartctlJSON(t, obj{
		"device":           obj{"name": "/dev/sda", "info_name": "/dev/sda [SAT]", "type": "sat", "protocol": "ATA"},
		"model_family":     "Micron 5100 Pro / 52xx / 5300 SSDs",
		"model_name":       "MTFDDAK960TDS",
		"serial_number":    "18231C1A2B3C",
		"wwn":              obj{"naa": 5, "oui": 0x00a075, "id": 0x11c1a2b3c},
		"firmware_version": "D3DJ004",
		"user_capacity":    obj{"blocks": 1875385008, "bytes": 960197124096},
		"rotation_rate":    0,
		"form_factor":      obj{"ata_value": 3, "name": "2.5 inches"},
	})
}

func jsonNVMe(t testing.TB) string {
	return smartctlJSON(t, obj{
		"device":                   obj{"name": "/dev/nvme0", "info_name": "/dev/nvme0", "type": "nvme", "protocol": "NVMe"},
		"model_name":               "Samsung SSD 970 EVO Plus 1TB",
		"serial_number":            "S4EWNX0N123456",
		"firmware_version":         "2B2QEXM7",
		"nvme_pci_vendor":          obj{"id": 0x144d, "subsystem_id": 0x144d},
		"nvme_ieee_oui_identifier": 0x002538,
		"nvme_total_capacity":      1000204886016,
		"nvme_namespaces": []obj{{"id": 1, "size": obj{"blocks": 1953525168, "bytes": 1000204886016},
			"eui64": obj{"oui": 0x002538, "ext_id": 0x5a91b2c3d4}}},
	})
}

func jsonSAS(t testing.TB) string {
	return smartctlJSON(t, obj{
		"device":                  obj{"name": "/dev/sdc", "info_name": "/dev/sdc", "type": "scsi", "protocol": "SCSI"},
		"scsi_vendor":             "SEAGATE",
		"scsi_product":            "ST600MM0208",
		"scsi_model_name":         "SEAGATE ST600MM0208",
		"scsi_revision":           "N003",
		"user_capacity":           obj{"blocks": 1172123568, "bytes": 600127266816},
		"rotation_rate":           10000,
		"logical_unit_id":         "0x5000c500a1b2c3d4",
		"serial_number":           "W0M1ABCD0000E8231A2B",
		"scsi_transport_protocol": obj{"name": "SAS (SPL-4)", "value": 6},
	})
}

func TestParseJSON(t *testing.T) {
	ata := Drive{Line: 1, Name: "/dev/sda", Type: "sat", Protocol: "ATA", Transport: "sata",
		ModelFamily: "Micron 5100 Pro / 52xx / 5300 SSDs", Model: "MTFDDAK960TDS", SerialNumber: "18231C1A2B3C",
		Firmware: "D3DJ004", SizeBytes: 960197124096, Media: "ssd", FormFactor: "2.5 inches", WWN: "naa.500a07511c1a2b3c"}
	nvme := Drive{Line: 1, Name: "/dev/nvme0", Type: "nvme", Protocol: "NVMe", Transport: "nvme",
		Model: "Samsung SSD 970 EVO Plus 1TB", SerialNumber: "S4EWNX0N123456", Firmware: "2B2QEXM7",
		SizeBytes: 1000204886016, Media: "ssd", PCIVendor: 0x144d, PCISubsystemVendor: 0x144d,
		IEEEOUI: "002538", EUI64: "0025385a91b2c3d4"}
	sas := Drive{Line: 1, Name: "/dev/sdc", Type: "scsi", Protocol: "SCSI", Transport: "sas", Vendor: "SEAGATE",
		Model: "ST600MM0208", SerialNumber: "W0M1ABCD0000E8231A2B", Firmware: "N003", SizeBytes: 600127266816,
		Media: "hdd", WWN: "naa.5000c500a1b2c3d4"}

	for _, tt := range []struct {
		name string
		in   string
		want Drive
	}{{"ATA", jsonATA(t), ata}, {"NVMe", jsonNVMe(t), nvme}, {"SAS", jsonSAS(t), sas}} {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := Parse([]byte(tt.in))
			if err != nil || len(warnings) != 0 {
				t.Fatalf("err %v, warnings %+v", err, warnings)
			}
			if !reflect.DeepEqual(got, []Drive{tt.want}) {
				t.Errorf("got  %+v\nwant %+v", got, []Drive{tt.want})
			}
		})
	}

	t.Run("several objects, pretty and compact, CRLF", func(t *testing.T) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(jsonNVMe(t))); err != nil {
			t.Fatal(err)
		}
		in := jsonATA(t) + compact.String() + "\n" + strings.ReplaceAll(jsonSAS(t), "\n", "\r\n")
		got, warnings, err := Parse([]byte(in))
		if err != nil || len(warnings) != 0 {
			t.Fatalf("err %v, warnings %+v", err, warnings)
		}
		n := 1 + strings.Count(jsonATA(t), "\n")
		nvme.Line, sas.Line = n, n+1
		if want := []Drive{ata, nvme, sas}; !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})

	t.Run("SCSI keys of smartctl 7.0-7.2", func(t *testing.T) {
		in := `{"device":{"name":"/dev/sdc","type":"scsi","protocol":"SCSI"},"vendor":"HGST","product":"HUC101860CSS200","model_name":"HGST HUC101860CSS200","revision":"A3B0","serial_number":"0BGXJ1AB"}`
		got, _, err := Parse([]byte(in))
		if err != nil || got[0].Vendor != "HGST" || got[0].Model != "HUC101860CSS200" || got[0].Firmware != "A3B0" || got[0].Transport != "scsi" {
			t.Errorf("got %+v, %v", got, err)
		}
	})
}

func TestParseJSONSkips(t *testing.T) {
	ata := jsonATA(t)
	failed := `{"smartctl":{"exit_status":2,"messages":[{"string":"Smartctl open device: /dev/sdz failed: No such device","severity":"error"}]},"device":{"name":"/dev/sdz","protocol":"ATA"}}` + "\n"
	truncated := ata[:len(ata)/2]
	wrongType := `{"model_name":"X","serial_number":"S","rotation_rate":"fast"}` + "\n"
	in := failed + truncated + jsonNVMe(t) + wrongType + "garbage\n" + jsonSAS(t)
	got, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if g := models(got); len(g) != 2 || !strings.HasSuffix(g[0], "Samsung SSD 970 EVO Plus 1TB") || !strings.HasSuffix(g[1], "ST600MM0208") {
		t.Errorf("drives %q, want the NVMe and the SAS drive", g)
	}
	nvmeLine := 2 + strings.Count(truncated, "\n")
	wantLines := []int{1, 2, nvmeLine + strings.Count(jsonNVMe(t), "\n"), nvmeLine + strings.Count(jsonNVMe(t), "\n") + 1}
	wantText := []string{"smartctl said \"Smartctl open device: /dev/sdz failed", "not valid JSON", "not smartctl's", "not a JSON object"}
	if len(warnings) != len(wantLines) {
		t.Fatalf("warnings %+v, want %d", warnings, len(wantLines))
	}
	for i, w := range warnings {
		if w.Line != wantLines[i] || !strings.Contains(w.Message, wantText[i]) {
			t.Errorf("warning %d = %+v, want line %d and %q", i, w, wantLines[i], wantText[i])
		}
	}
}

func TestParseJSONBadValues(t *testing.T) {
	in := `{"device":{"protocol":"NVMe"},"model_name":"M","serial_number":"S","nvme_pci_vendor":{"id":70000,"subsystem_id":1},` +
		`"user_capacity":{"bytes":340282366920938463463374607431768211455},"nvme_namespaces":[{"eui64":{"oui":16777216,"ext_id":1}}]}`
	got, warnings, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if d := got[0]; d.PCIVendor != 0 || d.PCISubsystemVendor != 0 || d.SizeBytes != 0 || d.EUI64 != "" {
		t.Errorf("drive %+v: out-of-range values must be left out", d)
	}
	if len(warnings) != 3 {
		t.Errorf("warnings %+v, want 3 (PCI ids, capacity, EUI-64)", warnings)
	}
}
