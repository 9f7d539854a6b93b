package ledger

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	inventorypkg "github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// encodedCases are inventories whose parts Observe must take from
// the digest input exactly as it encodes them without it.
func encodedCases() map[string]*memledgerv1.Inventory {
	withUnknown := dimm("B3", "UNKN0001")
	withUnknown.ProtoReflect().SetUnknown([]byte{0xf8, 0x3f, 0x01}) // field 1023, varint 1
	labels := inventory([]*memledgerv1.MemoryModule{dimm("A1", "LBL00001")})
	labels.Host.Labels = map[string]string{"rack": "r1", "zone": "z", "app": "db"}
	return map[string]*memledgerv1.Inventory{
		"modules and drives": inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00002")},
			nvme("nvme0n1", "S64F0001", "GDC5602Q"), nvme("nvme1n1", "S64F0002", "GDC5602Q")),
		"drives only":           inventory(nil, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
		"empty":                 inventory(nil),
		"placeholders, repeats": inventory([]*memledgerv1.MemoryModule{dimm("", "00000000"), dimm("", "00000000"), dimm("A1", "DUP"), dimm("A2", "DUP")}),
		"unknown fields":        inventory([]*memledgerv1.MemoryModule{withUnknown}),
		"host labels":           labels,
	}
}

// wantHostRecord is the host record HostRecord must find: the host alone,
// encoded deterministically.
func wantHostRecord(t testing.TB, inv *memledgerv1.Inventory) (string, bool) {
	if inv.GetHost() == nil {
		return "", false
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(inv.GetHost())
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func TestHostRecord(t *testing.T) {
	cases := encodedCases()
	cases["no host"] = &memledgerv1.Inventory{MemoryModules: []*memledgerv1.MemoryModule{dimm("A1", "NOHOST01")}}
	for name, inv := range cases {
		in, err := inventorypkg.DigestInput(inv)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := HostRecord(in)
		want, wantOK := wantHostRecord(t, inv)
		if string(got) != want || ok != wantOK {
			t.Errorf("%s: HostRecord = %x, %v; want %x, %v", name, got, ok, want, wantOK)
		}
	}
	for _, bad := range [][]byte{nil, {0x00}, {0x0a, 0x05, 0x01}} {
		if rec, ok := HostRecord(bad); ok {
			t.Errorf("HostRecord(%x) = %x, true; want false", bad, rec)
		}
	}
}

func TestObserveDigestInput(t *testing.T) {
	for name, inv := range encodedCases() {
		t.Run(name, func(t *testing.T) {
			want, err := Observe("h1", inv, ObserveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			in, err := inventorypkg.DigestInput(inv)
			if err != nil {
				t.Fatal(err)
			}
			// The real input, and inputs that must fall back to encoding.
			for _, c := range []struct {
				name  string
				input []byte
			}{
				{"digest input", in},
				{"nil", nil},
				{"truncated", in[:len(in)/2+1]},
				{"bad tag", append([]byte{0x00}, in...)},
			} {
				got, err := Observe("h1", inv, ObserveOptions{DigestInput: c.input})
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: Observe with DigestInput differs from Observe without:\n%+v\n%+v", c.name, got, want)
				}
				if len(got) > 0 && len(c.input) > 0 && &got[0].Proto[0] == &c.input[0] {
					t.Errorf("%s: Proto aliases the input", c.name)
				}
			}
		})
	}
	if _, err := Observe("h1", nil, ObserveOptions{DigestInput: []byte{}}); err == nil {
		t.Error("Observe with DigestInput (nil inventory): no error")
	}
	nullElem := &memledgerv1.Inventory{MemoryModules: []*memledgerv1.MemoryModule{nil}}
	if _, err := Observe("h1", nullElem, ObserveOptions{DigestInput: []byte{}}); err == nil {
		t.Error("Observe with DigestInput and a null module: no error")
	}
}

// FuzzObserveDigestInput: for any inventory, Observe with its digest
// input equals Observe; with arbitrary bytes as the input it never panics
// and returns one part per module and drive.
func FuzzObserveDigestInput(f *testing.F) {
	for _, inv := range encodedCases() {
		b, err := proto.Marshal(inv)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte{})
		f.Add(b, b)
	}
	f.Add([]byte{0x22, 0x02, 0x08, 0x01}, []byte{0x22, 0x05, 0x01})
	f.Fuzz(func(t *testing.T, invBytes, input []byte) {
		inv := &memledgerv1.Inventory{}
		if proto.Unmarshal(invBytes, inv) != nil {
			return
		}
		want, err := Observe("h", inv, ObserveOptions{})
		if err != nil {
			return
		}
		in, err := inventorypkg.DigestInput(inv)
		if err != nil {
			return
		}
		got, err := Observe("h", inv, ObserveOptions{DigestInput: in})
		if err != nil {
			t.Fatalf("Observe with DigestInput: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Observe with DigestInput differs from Observe without")
		}
		rec, ok := HostRecord(in)
		if wantRec, wantOK := wantHostRecord(t, inv); string(rec) != wantRec || ok != wantOK {
			t.Fatalf("HostRecord = %x, %v; want %x, %v", rec, ok, wantRec, wantOK)
		}
		HostRecord(input) // arbitrary bytes: must not panic
		odd, err := Observe("h", inv, ObserveOptions{DigestInput: input})
		if err != nil {
			t.Fatalf("Observe with arbitrary DigestInput: %v", err)
		}
		if len(odd) != len(want) {
			t.Fatalf("%d parts from arbitrary input, want %d", len(odd), len(want))
		}
	})
}

// observeWithMemo observes each inventory in turn through one memo and
// checks every result against Observe.
func observeWithMemo(t testing.TB, invs ...*memledgerv1.Inventory) *ObserveMemo {
	t.Helper()
	memo := &ObserveMemo{}
	for i, inv := range invs {
		want, err := Observe("h", inv, ObserveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		in, err := inventorypkg.DigestInput(inv)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Observe("h", inv, ObserveOptions{DigestInput: in, Memo: memo})
		if err != nil {
			t.Fatalf("inventory %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("inventory %d: Observe with a memo differs from Observe:\n%+v\n%+v", i, got, want)
		}
	}
	return memo
}

func TestObserveMemo(t *testing.T) {
	mods := func(serials ...string) []*memledgerv1.MemoryModule {
		var out []*memledgerv1.MemoryModule
		for i, s := range serials {
			out = append(out, dimm(string(rune('A'+i))+"1", s))
		}
		return out
	}
	invs := []*memledgerv1.Inventory{
		inventory(mods("S1", "S2", "S3"), nvme("nvme0n1", "D1", "F1")),
		// One module swapped, the drive's firmware changed.
		inventory(mods("S1", "S2", "S4"), nvme("nvme0n1", "D1", "F2")),
		// A serial that was real elsewhere now repeats: both fall back
		// to fingerprints, although the memo holds S1 as real.
		inventory(mods("S1", "S1", "S4"), nvme("nvme0n1", "D1", "F2")),
		// Placeholders in slots the memo held with real serials.
		inventory(mods("00000000", "S2", "S4"), nvme("nvme0n1", "00000000", "F2")),
		inventory(mods("S1", "S2", "S4"), nvme("nvme0n1", "D1", "F2")),
	}
	memo := observeWithMemo(t, invs...)
	if memo.Len() != 4 {
		t.Errorf("memo holds %d parts after an inventory of 4", memo.Len())
	}
	for _, cases := range encodedCases() {
		observeWithMemo(t, cases, cases)
	}
	// A module and a drive with one encoding (field 1 is the locator of
	// one, the name of the other) are different parts.
	sameBytes := &memledgerv1.Inventory{
		MemoryModules:  []*memledgerv1.MemoryModule{{Locator: "X"}},
		StorageDevices: []*memledgerv1.StorageDevice{{Name: "X"}},
	}
	observeWithMemo(t, sameBytes, sameBytes)
	// Undecodable input: no memo use, the same answer.
	memo = observeWithMemo(t, invs[0])
	got, err := Observe("h", invs[1], ObserveOptions{DigestInput: []byte{0x00}, Memo: memo})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := Observe("h", invs[1], ObserveOptions{}); !reflect.DeepEqual(got, want) {
		t.Errorf("with a bad digest input: %+v, want %+v", got, want)
	}
}

// FuzzObserveMemo: two inventories observed in turn through one memo give
// what Observe gives for each.
func FuzzObserveMemo(f *testing.F) {
	cases := encodedCases()
	for _, a := range cases {
		for _, b := range cases {
			ab, _ := proto.Marshal(a)
			bb, _ := proto.Marshal(b)
			f.Add(ab, bb)
		}
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var invs []*memledgerv1.Inventory
		for _, b := range [][]byte{first, second} {
			inv := &memledgerv1.Inventory{}
			if proto.Unmarshal(b, inv) != nil {
				return
			}
			if _, err := inventorypkg.DigestInput(inv); err != nil {
				return
			}
			if _, err := Observe("h", inv, ObserveOptions{}); err != nil {
				return
			}
			invs = append(invs, inv)
		}
		observeWithMemo(t, invs...)
	})
}

// BenchmarkObserveChanged observes a 16-module, 4-drive inventory whose
// first module changes every time, as a host swapping a module in every
// report: from scratch, and through the memo a stream keeps.
func BenchmarkObserveChanged(b *testing.B) {
	invs := make([]*memledgerv1.Inventory, 2)
	inputs := make([][]byte, 2)
	for i := range invs {
		var mods []*memledgerv1.MemoryModule
		for m := 0; m < 16; m++ {
			mods = append(mods, dimm(fmt.Sprintf("P1-DIMM%c%d", 'A'+m/2, m%2+1), fmt.Sprintf("SER%05d", m)))
		}
		mods[0].SerialNumber = fmt.Sprintf("SWAP%04d", i)
		var drives []*memledgerv1.StorageDevice
		for d := 0; d < 4; d++ {
			drives = append(drives, nvme(fmt.Sprintf("nvme%dn1", d), fmt.Sprintf("S64F%04d", d), "GDC5602Q"))
		}
		invs[i] = inventory(mods, drives...)
		in, err := inventorypkg.DigestInput(invs[i])
		if err != nil {
			b.Fatal(err)
		}
		inputs[i] = in
	}
	for _, c := range []struct {
		name string
		memo *ObserveMemo
	}{{"scratch", nil}, {"memo", &ObserveMemo{}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := Observe("h", invs[i%2], ObserveOptions{DigestInput: inputs[i%2], Memo: c.memo}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
