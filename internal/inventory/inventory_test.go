package inventory

import (
	"bytes"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/internal/maker"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func TestSlot(t *testing.T) {
	for _, tc := range []struct{ loc, bank, want string }{
		{"DIMM_A1", "", "DIMM_A1"},
		{"DIMM 1", "P0 CHANNEL A", "P0 CHANNEL A/DIMM 1"},
		{"ChannelA-DIMM0", "BANK 0", "BANK 0/ChannelA-DIMM0"},
		{"CPU1_DIMM_A1", "CPU1_DIMM_A1", "CPU1_DIMM_A1"},
		{"DIMM3", "Not Specified", "DIMM3"},
		{"", "BANK 2", "BANK 2"},
		{"", "", ""},
	} {
		got := Slot(&memledgerv1.MemoryModule{Locator: tc.loc, BankLocator: tc.bank})
		if got != tc.want {
			t.Errorf("Slot(%q, %q) = %q, want %q", tc.loc, tc.bank, got, tc.want)
		}
	}
}

func TestDigestIgnoresCollectionTime(t *testing.T) {
	a := &memledgerv1.Inventory{
		Host:          &memledgerv1.Host{HostId: "h1"},
		CollectedAt:   timestamppb.Now(),
		MemoryModules: []*memledgerv1.MemoryModule{{Locator: "A1", SerialNumber: "1"}},
	}
	b := &memledgerv1.Inventory{
		Host:          &memledgerv1.Host{HostId: "h1"},
		MemoryModules: []*memledgerv1.MemoryModule{{Locator: "A1", SerialNumber: "1"}},
	}
	da, err := Digest(a)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := Digest(b)
	if da != db {
		t.Errorf("digests differ only by collected_at: %s vs %s", da, db)
	}
	if a.CollectedAt == nil {
		t.Error("Digest modified its argument")
	}
	b.MemoryModules[0].SerialNumber = "2"
	if dc, _ := Digest(b); dc == da {
		t.Error("digest did not change with the serial number")
	}
}

// populate sets every field of m, recursively, to a value derived from
// seed: non-zero scalars, two-element lists, three-entry maps (map order
// is where encoders may differ), so that encoder comparisons cover every
// field of the schema, including fields added later.
func populate(m protoreflect.Message, seed int, depth int) {
	fields := m.Descriptor().Fields()
	scalar := func(fd protoreflect.FieldDescriptor, i int) protoreflect.Value {
		n := seed*7 + i + int(fd.Number())
		switch fd.Kind() {
		case protoreflect.StringKind:
			return protoreflect.ValueOfString(fmt.Sprintf("%s-%d-é", fd.Name(), n))
		case protoreflect.BoolKind:
			return protoreflect.ValueOfBool(true)
		case protoreflect.EnumKind:
			vals := fd.Enum().Values()
			return protoreflect.ValueOfEnum(vals.Get(n % vals.Len()).Number())
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
			return protoreflect.ValueOfInt32(int32(-n))
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
			return protoreflect.ValueOfInt64(int64(-n) << 33)
		case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
			return protoreflect.ValueOfUint32(uint32(n) << 20)
		case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
			return protoreflect.ValueOfUint64(uint64(n) << 40)
		case protoreflect.BytesKind:
			return protoreflect.ValueOfBytes([]byte{byte(n), 0, 0xff})
		case protoreflect.FloatKind:
			return protoreflect.ValueOfFloat32(float32(n) + 0.5)
		case protoreflect.DoubleKind:
			return protoreflect.ValueOfFloat64(float64(n) + 0.25)
		}
		panic(fmt.Sprintf("populate: kind %v of %s", fd.Kind(), fd.FullName()))
	}
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for j := range 3 {
				k := scalar(fd.MapKey(), 10-j).MapKey() // inserted out of order
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					v := mp.NewValue()
					populate(v.Message(), seed+j, depth+1)
					mp.Set(k, v)
				} else {
					mp.Set(k, scalar(fd.MapValue(), j))
				}
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := range 2 {
				if fd.Kind() == protoreflect.MessageKind {
					if depth > 4 {
						break
					}
					v := l.NewElement()
					populate(v.Message(), seed+j, depth+1)
					l.Append(v)
				} else {
					l.Append(scalar(fd, j))
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			if depth > 4 {
				continue
			}
			populate(m.Mutable(fd).Message(), seed+1, depth+1)
		default:
			m.Set(fd, scalar(fd, 0))
		}
	}
}

func digestInputCases() map[string]*memledgerv1.Inventory {
	full := &memledgerv1.Inventory{}
	populate(full.ProtoReflect(), 1, 0)
	noHost := proto.Clone(full).(*memledgerv1.Inventory)
	noHost.Host = nil
	noTime := proto.Clone(full).(*memledgerv1.Inventory)
	noTime.CollectedAt = nil
	unknown := proto.Clone(full).(*memledgerv1.Inventory)
	// Unknown fields at the top, in a module and in the host: field 2
	// with the wrong wire type (varint), and field 1000.
	unknown.ProtoReflect().SetUnknown([]byte{0x10, 0x01, 0xc0, 0x3e, 0x05})
	unknown.MemoryModules[0].ProtoReflect().SetUnknown([]byte{0xc0, 0x3e, 0x07})
	unknown.Host.ProtoReflect().SetUnknown([]byte{0xc0, 0x3e, 0x09})
	onlyUnknown := &memledgerv1.Inventory{}
	onlyUnknown.ProtoReflect().SetUnknown([]byte{0x10, 0x01})
	emptyHost := &memledgerv1.Inventory{Host: &memledgerv1.Host{}, AgentVersion: "v"}
	// Labels whose entries sort differently by key than by entry bytes,
	// an empty key and an empty value (both encoders write them), and a
	// host with labels only.
	labels := &memledgerv1.Inventory{Host: &memledgerv1.Host{HostId: "h", Os: "debian", Labels: map[string]string{
		"": "empty key", "a": "", "ab": "x", "b": "y", "Zone": "eu", "é": "1", "a\x00": "nul",
	}}}
	onlyLabels := &memledgerv1.Inventory{Host: &memledgerv1.Host{Labels: map[string]string{"site": "fra", "cii": "true"}}}
	return map[string]*memledgerv1.Inventory{
		"every field": full, "no host": noHost, "no collection time": noTime,
		"unknown fields": unknown, "only an unknown field": onlyUnknown,
		"empty host": emptyHost, "empty": {}, "labels": labels, "only labels": onlyLabels,
	}
}

func TestDigestInputValidUTF8(t *testing.T) {
	for name, inv := range digestInputCases() {
		want, err := DigestInput(inv)
		if err != nil {
			t.Fatalf("%s: DigestInput: %v", name, err)
		}
		for range 5 { // map iteration order varies between calls
			got, err := DigestInputValidUTF8(inv)
			if err != nil {
				t.Fatalf("%s: DigestInputValidUTF8: %v", name, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: DigestInputValidUTF8 differs from DigestInput:\n got %x\nwant %x", name, got, want)
			}
		}
	}
	if _, err := DigestInputValidUTF8(nil); err == nil {
		t.Error("DigestInputValidUTF8(nil): no error")
	}
}

// FuzzDigestInputValidUTF8: for any inventory protobuf-go decodes (so its
// strings are valid UTF-8), both encoders give the same digest input.
func FuzzDigestInputValidUTF8(f *testing.F) {
	for _, inv := range digestInputCases() {
		b, err := proto.Marshal(inv)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		inv := &memledgerv1.Inventory{}
		if proto.Unmarshal(b, inv) != nil {
			return
		}
		want, err := DigestInput(inv)
		if err != nil {
			t.Fatalf("DigestInput of a decoded inventory: %v", err)
		}
		got, err := DigestInputValidUTF8(inv)
		if err != nil {
			t.Fatalf("DigestInputValidUTF8: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encoders differ:\n got %x\nwant %x", got, want)
		}
	})
}

// BenchmarkDigestInput encodes an inventory of 16 modules and 4 drives,
// every field set.
func BenchmarkDigestInput(b *testing.B) {
	inv := &memledgerv1.Inventory{}
	populate(inv.ProtoReflect(), 1, 0)
	for len(inv.MemoryModules) < 16 {
		m := proto.Clone(inv.MemoryModules[0]).(*memledgerv1.MemoryModule)
		m.SerialNumber = fmt.Sprint(len(inv.MemoryModules))
		inv.MemoryModules = append(inv.MemoryModules, m)
	}
	for len(inv.StorageDevices) < 4 {
		d := proto.Clone(inv.StorageDevices[0]).(*memledgerv1.StorageDevice)
		d.SerialNumber = fmt.Sprint(len(inv.StorageDevices))
		inv.StorageDevices = append(inv.StorageDevices, d)
	}
	for _, enc := range []struct {
		name string
		fn   func(*memledgerv1.Inventory) ([]byte, error)
	}{{"protobuf-go", DigestInput}, {"generated", DigestInputValidUTF8}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.fn(inv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestVendorProto(t *testing.T) {
	if got := VendorProto(maker.Attribution{}); got != nil {
		t.Errorf("unknown maker: %v, want nil (absent)", got)
	}
	v := maker.Attribution{ID: "crucial", Name: "Crucial", Parent: "micron", Evidence: []string{"smbios-module-id", "part-number"}, JEP106: "6:0x1B"}
	got := VendorProto(v)
	want := &memledgerv1.Vendor{Id: "crucial", Name: "Crucial", Parent: "micron", Evidence: []string{"smbios-module-id", "part-number"}, Jep106: "6:0x1B"}
	if !proto.Equal(got, want) {
		t.Fatalf("VendorProto(%+v) = %v, want %v", v, got, want)
	}
	v.Evidence[0] = "changed"
	if got.GetEvidence()[0] != "smbios-module-id" {
		t.Error("the wire form shares its evidence with the identification")
	}
}
