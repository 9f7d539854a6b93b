package server

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// testInventory returns a plausible inventory of host with modules memory
// modules and drives drives; serials derive from gen, so two generations
// differ in every part.
func testInventory(host string, modules, drives, gen int) *memledgerv1.Inventory {
	inv := &memledgerv1.Inventory{
		Host: &memledgerv1.Host{
			HostId:             host,
			Hostname:           host + ".example.net",
			Labels:             map[string]string{"site": "fra1", "role": "db"},
			Os:                 "debian 12.5",
			Kernel:             "6.1.0-18-amd64",
			SystemManufacturer: "Dell Inc.",
			SystemProduct:      "PowerEdge R650",
			MemorySlots:        uint32(modules),
		},
		CollectedAt:  timestamppb.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)),
		AgentVersion: "test",
		Sources:      []string{"smbios", "udev"},
	}
	for i := 0; i < modules; i++ {
		inv.MemoryModules = append(inv.MemoryModules, &memledgerv1.MemoryModule{
			Locator:         fmt.Sprintf("DIMM_%c%d", 'A'+i/8, i%8+1),
			SizeBytes:       64 << 30,
			MemoryType:      "DDR4",
			FormFactor:      "DIMM",
			SpeedMts:        3200,
			ManufacturerRaw: "Micron Technology",
			PartNumber:      "36ASF8G72PZ-3G2E1",
			SerialNumber:    fmt.Sprintf("%08X", gen*1000+i+1),
			ModuleVendor:    &memledgerv1.Vendor{Id: "micron", Name: "Micron", Parent: "micron", Evidence: []string{"smbios-module-id"}, Jep106: "1:0x2C"},
			Source:          "smbios",
		})
	}
	for i := 0; i < drives; i++ {
		inv.StorageDevices = append(inv.StorageDevices, &memledgerv1.StorageDevice{
			Name:         fmt.Sprintf("nvme%dn1", i),
			Transport:    "nvme",
			Model:        "Micron_7450_MTFDKCC3T8TFR",
			SerialNumber: fmt.Sprintf("2345%08d", gen*1000+i),
			SizeBytes:    3840755982336,
			Vendor:       &memledgerv1.Vendor{Id: "micron", Name: "Micron", Parent: "micron", Evidence: []string{"pci-vendor"}},
			Source:       "sysfs",
		})
	}
	return inv
}

func fullReport(host string, seq uint64, inv *memledgerv1.Inventory) *memledgerv1.ReportRequest {
	return &memledgerv1.ReportRequest{
		HostId:   host,
		Sequence: seq,
		Body:     &memledgerv1.ReportRequest_Inventory{Inventory: inv},
		SentAt:   timestamppb.Now(),
	}
}

func heartbeat(host string, seq uint64, digest string) *memledgerv1.ReportRequest {
	return &memledgerv1.ReportRequest{
		HostId:   host,
		Sequence: seq,
		Body:     &memledgerv1.ReportRequest_Heartbeat{Heartbeat: &memledgerv1.Heartbeat{InventoryDigest: digest}},
	}
}

func TestValidateReport(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	long := strings.Repeat("x", 1025)
	mod := func(f func(r *memledgerv1.ReportRequest)) *memledgerv1.ReportRequest {
		r := fullReport("h1", 7, testInventory("h1", 2, 1, 0))
		f(r)
		return r
	}
	tests := []struct {
		name      string
		req       *memledgerv1.ReportRequest
		wantField string // "" with wantOK
		wantIn    string // substring of the reason
		wantOK    bool
	}{
		{name: "full report", req: fullReport("h1", 1, testInventory("h1", 16, 4, 0)), wantOK: true},
		{name: "heartbeat", req: heartbeat("h1", 2, digest), wantOK: true},
		{name: "nil", req: nil, wantIn: "empty report"},
		{name: "no host id", req: mod(func(r *memledgerv1.ReportRequest) { r.HostId = "" }), wantField: "host_id", wantIn: "required"},
		{name: "host id too long", req: mod(func(r *memledgerv1.ReportRequest) { r.HostId = strings.Repeat("h", 256) }), wantField: "host_id", wantIn: "256 bytes"},
		{name: "host id control char", req: heartbeat("h\n1", 1, digest), wantField: "host_id", wantIn: "control character U+000A at byte 1"},
		{name: "host id blank", req: heartbeat(" h1", 1, digest), wantField: "host_id", wantIn: "white space"},
		{name: "host id bad utf8", req: heartbeat("h\xff", 1, digest), wantField: "host_id", wantIn: "UTF-8"},
		{name: "sequence zero", req: heartbeat("h1", 0, digest), wantField: "sequence", wantIn: "required"},
		{name: "no body", req: &memledgerv1.ReportRequest{HostId: "h1", Sequence: 1}, wantField: "body", wantIn: "inventory or a heartbeat"},
		{name: "empty heartbeat", req: &memledgerv1.ReportRequest{HostId: "h1", Sequence: 1, Body: &memledgerv1.ReportRequest_Heartbeat{}}, wantField: "heartbeat", wantIn: "empty"},
		{name: "short digest", req: heartbeat("h1", 1, "abc"), wantField: "heartbeat.inventory_digest", wantIn: "got 3 bytes"},
		{name: "uppercase digest", req: heartbeat("h1", 1, strings.Repeat("AB", 32)), wantField: "heartbeat.inventory_digest", wantIn: "byte 0"},
		{name: "empty inventory", req: &memledgerv1.ReportRequest{HostId: "h1", Sequence: 1, Body: &memledgerv1.ReportRequest_Inventory{}}, wantField: "inventory", wantIn: "empty"},
		{name: "inventory without host", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().Host = nil }), wantField: "inventory.host", wantIn: "required"},
		{name: "inventory of other host", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().Host.HostId = "h2" }), wantField: "inventory.host.host_id", wantIn: `"h2" differs from the report's host_id "h1"`},
		{name: "too many modules", req: fullReport("h1", 1, testInventory("h1", 1025, 0, 0)), wantField: "inventory.memory_modules", wantIn: "1025 modules"},
		{name: "1024 modules", req: fullReport("h1", 1, testInventory("h1", 1024, 0, 0)), wantOK: true},
		{name: "too many drives", req: fullReport("h1", 1, testInventory("h1", 0, 1025, 0)), wantField: "inventory.storage_devices", wantIn: "1025 drives"},
		{name: "too many labels", req: mod(func(r *memledgerv1.ReportRequest) {
			for i := 0; i < 65; i++ {
				r.GetInventory().Host.Labels[fmt.Sprint("k", i)] = "v"
			}
		}), wantField: "inventory.host.labels", wantIn: "labels, more than the limit of 64"},
		{name: "too many warnings", req: mod(func(r *memledgerv1.ReportRequest) {
			for i := 0; i < 1025; i++ {
				r.GetInventory().Warnings = append(r.GetInventory().Warnings, &memledgerv1.Warning{Source: "smbios", Message: "m"})
			}
		}), wantField: "inventory.warnings", wantIn: "1025 warnings"},
		{name: "long part number", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().MemoryModules[1].PartNumber = long }), wantField: "inventory.memory_modules[1].part_number", wantIn: "1025 bytes, more than the limit of 1024"},
		{name: "bad utf8 in vendor evidence", req: mod(func(r *memledgerv1.ReportRequest) {
			r.GetInventory().MemoryModules[0].ModuleVendor.Evidence = []string{"ok", "bad\xc3"}
		}), wantField: "inventory.memory_modules[0].module_vendor.evidence[1]", wantIn: "not valid UTF-8 (byte 3)"},
		{name: "bad utf8 in drive serial", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().StorageDevices[0].SerialNumber = "\xff" }), wantField: "inventory.storage_devices[0].serial_number", wantIn: "UTF-8"},
		{name: "long label value", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().Host.Labels["site"] = long }), wantField: `inventory.host.labels["site"]`, wantIn: "1025 bytes"},
		{name: "long label key", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().Host.Labels[long] = "v" }), wantField: "inventory.host.labels", wantIn: "key of 1025 bytes"},
		{name: "bad utf8 label key", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().Host.Labels["\xffk"] = "v" }), wantField: "inventory.host.labels", wantIn: "key \"\\xffk\" not valid UTF-8 (byte 0)"},
		{name: "null module", req: mod(func(r *memledgerv1.ReportRequest) { r.GetInventory().MemoryModules[1] = nil }), wantField: "inventory.memory_modules[1]", wantIn: "null"},
		{name: "long spd path", req: mod(func(r *memledgerv1.ReportRequest) {
			r.GetInventory().MemoryModules[0].Spd = &memledgerv1.SPDInfo{Path: long}
		}), wantField: "inventory.memory_modules[0].spd.path", wantIn: "1025 bytes"},
		{name: "long warning", req: mod(func(r *memledgerv1.ReportRequest) {
			r.GetInventory().Warnings = []*memledgerv1.Warning{{Source: "spd"}, {Message: long}}
		}), wantField: "inventory.warnings[1].message", wantIn: "1025 bytes"},
		{name: "too many sources", req: mod(func(r *memledgerv1.ReportRequest) {
			r.GetInventory().Sources = make([]string, 65)
		}), wantField: "inventory.sources", wantIn: "65 items, more than the limit of 64"},
		{name: "bad collected_at", req: mod(func(r *memledgerv1.ReportRequest) {
			r.GetInventory().CollectedAt = &timestamppb.Timestamp{Seconds: 1, Nanos: -5}
		}), wantField: "inventory.collected_at", wantIn: "nanos"},
		{name: "bad sent_at", req: mod(func(r *memledgerv1.ReportRequest) { r.SentAt = &timestamppb.Timestamp{Seconds: 1 << 62} }), wantField: "sent_at", wantIn: "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateReport(tt.req, Limits{})
			if tt.wantOK {
				if err != nil {
					t.Fatalf("ValidateReport: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateReport = nil, want an error about %q", tt.wantField)
			}
			if !errors.Is(err, ErrInvalidReport) {
				t.Errorf("error %v does not wrap ErrInvalidReport", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			if !strings.HasPrefix(ve.Field, tt.wantField) || (tt.wantField == "" && ve.Field != "") {
				t.Errorf("Field = %q, want %q", ve.Field, tt.wantField)
			}
			if !strings.Contains(ve.Reason, tt.wantIn) {
				t.Errorf("Reason = %q, want it to contain %q", ve.Reason, tt.wantIn)
			}
		})
	}
}

// TestCheckerCoversSchema sets every string of the Inventory schema (found
// by reflection, so fields added later are included) to an over-long value,
// and then to one that is not UTF-8, and expects the hand-written checker
// to reject it, naming the field. The UTF-8 half matters: the collector's
// decoder (vtprotobuf) does not check it, the checker must.
func TestCheckerCoversSchema(t *testing.T) {
	bad := []struct{ what, key, value string }{
		{"over-long", "k", strings.Repeat("x", 1025)},
		{"non-UTF-8", "k", "ok\xffno"},
		{"non-UTF-8 key", "k\xff", "v"},
	}
	var paths [][]protoreflect.FieldDescriptor
	var walk func(md protoreflect.MessageDescriptor, prefix []protoreflect.FieldDescriptor)
	walk = func(md protoreflect.MessageDescriptor, prefix []protoreflect.FieldDescriptor) {
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			p := append(append([]protoreflect.FieldDescriptor(nil), prefix...), fd)
			switch {
			case fd.IsMap():
				paths = append(paths, p)
			case fd.Kind() == protoreflect.StringKind:
				paths = append(paths, p)
			case fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() != "google.protobuf.Timestamp":
				walk(fd.Message(), p)
			}
		}
	}
	walk((&memledgerv1.Inventory{}).ProtoReflect().Descriptor(), nil)
	if len(paths) < 60 {
		t.Fatalf("found only %d string fields in the schema; the walk is broken", len(paths))
	}
	for _, p := range paths {
		var names []string
		for _, fd := range p {
			names = append(names, string(fd.Name()))
		}
		name := strings.Join(names, ".")
		last := p[len(p)-1]
		for _, b := range bad {
			if b.key != "k" && !last.IsMap() {
				continue
			}
			t.Run(name+"/"+b.what, func(t *testing.T) {
				inv := testInventory("h1", 1, 1, 0)
				m := inv.ProtoReflect()
				for _, fd := range p[:len(p)-1] {
					if fd.IsList() {
						l := m.Mutable(fd).List()
						if l.Len() == 0 {
							l.Append(l.NewElement())
						}
						m = l.Get(0).Message()
						continue
					}
					m = m.Mutable(fd).Message()
				}
				switch {
				case last.IsMap():
					key := protoreflect.ValueOfString(b.key).MapKey()
					m.Mutable(last).Map().Set(key, protoreflect.ValueOfString(b.value))
				case last.IsList():
					m.Mutable(last).List().Append(protoreflect.ValueOfString(b.value))
				default:
					m.Set(last, protoreflect.ValueOfString(b.value))
				}
				err := ValidateInventory(inv, "h1", Limits{})
				if err == nil {
					t.Fatalf("a %s %s passed validation: add it to the checker", b.what, name)
				}
				if !strings.Contains(err.Error(), string(last.Name())) {
					t.Errorf("error %q does not name the field %s", err, last.Name())
				}
			})
		}
	}
}

func TestValidateReportCustomLimits(t *testing.T) {
	req := fullReport("h1", 1, testInventory("h1", 3, 0, 0))
	if err := ValidateReport(req, Limits{MaxModules: 2}); err == nil || !strings.Contains(err.Error(), "3 modules, more than the limit of 2") {
		t.Fatalf("ValidateReport with MaxModules 2 = %v, want the module limit error", err)
	}
	if err := ValidateReport(req, Limits{MaxModules: 3}); err != nil {
		t.Fatalf("ValidateReport with MaxModules 3 = %v, want nil", err)
	}
}

func TestValidateInventory(t *testing.T) {
	inv := testInventory("h9", 2, 2, 0)
	if err := ValidateInventory(inv, "", Limits{}); err != nil {
		t.Fatalf("ValidateInventory: %v", err)
	}
	if err := ValidateInventory(inv, "other", Limits{}); err == nil || !strings.Contains(err.Error(), "host.host_id") {
		t.Fatalf("ValidateInventory with another host = %v, want a host.host_id error", err)
	}
	noHost := testInventory("", 1, 0, 0)
	if err := ValidateInventory(noHost, "", Limits{}); err == nil || err.Error() != "host.host_id: required" {
		t.Fatalf("ValidateInventory without host id = %v, want host.host_id: required", err)
	}
	bad := testInventory("h9", 1, 0, 0)
	bad.MemoryModules[0].Locator = "\xfe"
	if err := ValidateInventory(bad, "", Limits{}); err == nil || !strings.HasPrefix(err.Error(), "memory_modules[0].locator: not valid UTF-8") {
		t.Fatalf("ValidateInventory with bad locator = %v, want the path without a prefix", err)
	}
}

func TestDecodeReport(t *testing.T) {
	good, err := proto.Marshal(fullReport("h1", 3, testInventory("h1", 2, 1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	// A string field with invalid UTF-8, written by hand (protobuf-go
	// refuses to encode it): field 1 (host_id), wire type 2, length 2;
	// then field 2 (sequence) = 1.
	badUTF8 := []byte{0x0a, 0x02, 'h', 0xff, 0x10, 0x01}
	// The decoder does not check UTF-8, validation does: nested and
	// repeated strings too, here with a byte changed after encoding
	// (TestCheckerCoversSchema covers every string field).
	corrupt := func(set func(*memledgerv1.Inventory)) []byte {
		inv := testInventory("h1", 2, 1, 0)
		set(inv)
		b, err := proto.Marshal(fullReport("h1", 3, inv))
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("ZZZZ"))
		if i < 0 {
			t.Fatal("marker not in the encoding")
		}
		b[i] = 0xff
		return b
	}
	badSerial := corrupt(func(inv *memledgerv1.Inventory) { inv.StorageDevices[0].SerialNumber = "ZZZZ" })
	badEvidence := corrupt(func(inv *memledgerv1.Inventory) {
		inv.MemoryModules[1].ModuleVendor.Evidence = append(inv.MemoryModules[1].ModuleVendor.Evidence, "ZZZZ")
	})
	tests := []struct {
		name    string
		in      []byte
		wantReq bool
		wantErr string
	}{
		{name: "valid", in: good, wantReq: true},
		{name: "truncated", in: good[:len(good)-3], wantErr: "cannot decode"},
		{name: "invalid utf8 on the wire", in: badUTF8, wantReq: true, wantErr: "host_id: not valid UTF-8"},
		{name: "invalid utf8 in a drive serial", in: badSerial, wantReq: true, wantErr: "inventory.storage_devices[0].serial_number: not valid UTF-8"},
		{name: "invalid utf8 in vendor evidence", in: badEvidence, wantReq: true, wantErr: "inventory.memory_modules[1].module_vendor.evidence[1]: not valid UTF-8"},
		{name: "garbage", in: []byte{0xff, 0xff, 0xff}, wantErr: "cannot decode 3 bytes"},
		{name: "empty is a report without anything", in: nil, wantReq: true, wantErr: "host_id: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeReport(tt.in, Limits{})
			if (req != nil) != tt.wantReq {
				t.Errorf("request returned = %v, want %v", req != nil, tt.wantReq)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeReport: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidReport) {
				t.Fatalf("DecodeReport error = %v, want one containing %q and wrapping ErrInvalidReport", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeReport(f *testing.F) {
	for _, req := range []*memledgerv1.ReportRequest{
		fullReport("h1", 1, testInventory("h1", 4, 2, 0)),
		heartbeat("h1", 2, strings.Repeat("0f", 32)),
		{HostId: "h1"},
	} {
		b, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x02, 'h', 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := DecodeReport(b, Limits{})
		if err == nil {
			// A report that passes must also pass a second validation and
			// be convertible.
			if verr := ValidateReport(req, Limits{}); verr != nil {
				t.Fatalf("accepted report fails validation again: %v", verr)
			}
			rep := ToStoreReport(req, time.Unix(0, 0))
			if (rep.Inventory == nil) == (rep.HeartbeatDigest == "") {
				t.Fatalf("accepted report converts to neither full nor heartbeat: %+v", rep)
			}
			// The generated decoder must accept nothing protobuf-go would
			// refuse (invalid UTF-8 above all) and decode it the same way.
			var ref memledgerv1.ReportRequest
			if err := proto.Unmarshal(b, &ref); err != nil {
				t.Fatalf("accepted report that proto.Unmarshal refuses: %v", err)
			}
			if !proto.Equal(&ref, req) {
				t.Fatalf("decoded differently from proto.Unmarshal:\n%v\n%v", req, &ref)
			}
		} else if !errors.Is(err, ErrInvalidReport) {
			t.Fatalf("error %v does not wrap ErrInvalidReport", err)
		}
	})
}

func BenchmarkValidateFullReport(b *testing.B) {
	req := fullReport("h1", 1, testInventory("h1", 16, 4, 0))
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateReport(req, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFullReport(b *testing.B) {
	raw, err := proto.Marshal(fullReport("h1", 1, testInventory("h1", 16, 4, 0)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeReport(raw, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
