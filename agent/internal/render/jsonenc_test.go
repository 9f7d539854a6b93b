package render

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// protojsonIndented is what JSON wrote with protojson itself.
func protojsonIndented(inv *memledgerv1.Inventory) ([]byte, error) {
	b, err := protojson.Marshal(inv)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// randomStrings holds what protojson escapes, and what it leaves alone.
var randomStrings = []string{
	"", "a", "Kingston", "KHX2933C17D4/16G", `quote " and \ backslash`, "tab\tnew\nline\r\x00\x1f\x7f",
	"\b\f", "<html>&amp;", "é ü ß 😀", "\u2028\u2029", "\ufffd", "0", " ",
}

// fill sets a random subset of m's fields, every kind and nesting level
// included, so that a field the generator writes wrongly (or a new one it
// does not know) shows in a comparison with protojson.
func fill(r *rand.Rand, m protoreflect.Message, depth int) {
	fs := m.Descriptor().Fields()
	if m.Descriptor().FullName() == "google.protobuf.Timestamp" {
		secs := []int64{0, 1, 1741944600, -62135596800, 253402300799, r.Int64N(253402300799)}
		nanos := []int32{0, 1, 500000000, 123000000, 123456000, 999999999, r.Int32N(1e9)}
		m.Set(fs.ByName("seconds"), protoreflect.ValueOfInt64(secs[r.IntN(len(secs))]))
		m.Set(fs.ByName("nanos"), protoreflect.ValueOfInt32(nanos[r.IntN(len(nanos))]))
		return
	}
	for i := range fs.Len() {
		fd := fs.Get(i)
		if r.IntN(4) == 0 {
			continue
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for range r.IntN(4) {
				mp.Set(protoreflect.ValueOfString(randomStrings[r.IntN(len(randomStrings))]).MapKey(), scalar(r, fd.MapValue()))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(4) {
				if fd.Kind() == protoreflect.MessageKind {
					if depth < 4 {
						e := l.NewElement()
						fill(r, e.Message(), depth+1)
						l.Append(e)
					}
					continue
				}
				l.Append(scalar(r, fd))
			}
		case fd.Kind() == protoreflect.MessageKind:
			if depth < 4 {
				fill(r, m.Mutable(fd).Message(), depth+1)
			}
		default:
			m.Set(fd, scalar(r, fd))
		}
	}
}

func scalar(r *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(randomStrings[r.IntN(len(randomStrings))])
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32([]uint32{0, 1, 2933, math.MaxUint32}[r.IntN(4)])
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64([]uint64{0, 1, 17179869184, math.MaxUint64}[r.IntN(4)])
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(r.IntN(fd.Enum().Values().Len() + 2)))
	}
	panic("fill: no value for kind " + fd.Kind().String() + " of " + string(fd.FullName()))
}

func TestJSONMatchesProtojson(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 12))
	for i := range 2000 {
		inv := &memledgerv1.Inventory{}
		fill(r, inv.ProtoReflect(), 0)
		want, err := protojsonIndented(inv)
		if err != nil {
			t.Fatalf("inventory %d: protojson: %v", i, err)
		}
		var got bytes.Buffer
		if err := JSON(&got, inv); err != nil {
			t.Fatalf("inventory %d: %v", i, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("inventory %d: JSON differs from protojson's:\n got %s\nwant %s", i, got.Bytes(), want)
		}
	}
}

// Where protojson fails, JSON fails too: invalid UTF-8 in any string,
// a timestamp out of range.
func TestJSONFailsWhereProtojsonDoes(t *testing.T) {
	bad := map[string]*memledgerv1.Inventory{
		"hostname":     {Host: &memledgerv1.Host{Hostname: "db\xff17"}},
		"label key":    {Host: &memledgerv1.Host{Labels: map[string]string{"\xc3": "x"}}},
		"evidence":     {MemoryModules: []*memledgerv1.MemoryModule{{ModuleVendor: &memledgerv1.Vendor{Evidence: []string{"name", "\xed\xa0\x80"}}}}},
		"seconds":      {CollectedAt: &timestamppb.Timestamp{Seconds: 253402300800}},
		"nanos":        {CollectedAt: &timestamppb.Timestamp{Nanos: -1}},
		"warning text": {Warnings: []*memledgerv1.Warning{{Message: "\x80"}}},
	}
	for name, inv := range bad {
		if _, err := protojsonIndented(inv); err == nil {
			t.Fatalf("%s: protojson accepts it; the test needs a case it refuses", name)
		}
		if err := JSON(&bytes.Buffer{}, inv); err == nil {
			t.Errorf("%s: JSON wrote an inventory protojson refuses", name)
		}
	}
}
