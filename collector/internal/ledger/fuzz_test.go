package ledger

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	inventorypkg "github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// FuzzDiff feeds two arbitrary encoded inventories (the stored state and a
// new report) through Observe, Digest and Diff. Properties: no panic;
// diffing an inventory against its own rows changes nothing; after any
// diff, every observed identity is accounted for exactly once and only
// active rows are removed.
func FuzzDiff(f *testing.F) {
	seed := func(inv *memledgerv1.Inventory) []byte {
		b, err := proto.Marshal(inv)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	a := inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q"))
	b := inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("C2", "SER00002"), dimm("A1", "00000000"), dimm("A2", "00000000")}, nvme("nvme1n1", "S64F0001", "GDC5A02Q"))
	dup := inventory([]*memledgerv1.MemoryModule{dimm("", "DUP"), dimm("", "DUP"), dimm("X|Y", "a\\b|c")})
	f.Add(seed(a), seed(b))
	f.Add(seed(b), seed(a))
	f.Add(seed(a), seed(dup))
	f.Add([]byte{}, seed(a))
	f.Add(seed(a), []byte{0x22, 0x02, 0x08, 0x01}) // truncated / odd bytes

	f.Fuzz(func(t *testing.T, oldBytes, newBytes []byte) {
		oldInv, newInv := &memledgerv1.Inventory{}, &memledgerv1.Inventory{}
		if proto.Unmarshal(oldBytes, oldInv) != nil || proto.Unmarshal(newBytes, newInv) != nil {
			return
		}
		if _, err := inventorypkg.Digest(newInv); err != nil {
			return
		}
		oldObs, err := Observe("h1", oldInv, ObserveOptions{})
		if err != nil {
			return
		}
		newObs, err := Observe("h1", newInv, ObserveOptions{})
		if err != nil {
			return
		}
		rows := make([]Row, len(oldObs))
		for i, o := range oldObs {
			rows[i] = Row{ID: int64(i + 1), Identity: o.Identity, Kind: o.Kind, RealSerial: o.RealSerial, Slot: o.Slot, SlotKey: o.SlotKey, Proto: o.Proto}
		}
		// Identities are unique within one inventory.
		seen := map[string]bool{}
		for _, o := range newObs {
			if seen[o.Identity] {
				t.Fatalf("identity %q twice in one inventory", o.Identity)
			}
			seen[o.Identity] = true
		}
		self, err := Diff(Input{HostID: "h1", At: time.Unix(0, 0), Rows: rows, Parts: oldObs})
		if err != nil || len(self.Changes) != 0 {
			t.Fatalf("diff against own rows: %v %+v", err, self.Changes)
		}
		res, err := Diff(Input{HostID: "h1", At: time.Unix(0, 0), Rows: rows, Parts: newObs})
		if err != nil {
			t.Fatal(err)
		}
		touched := map[string]int{}
		byID := map[int64]Row{}
		for _, r := range rows {
			byID[r.ID] = r
		}
		for _, c := range res.Changes {
			if len(c.Events) == 0 && c.Op != OpUpdate {
				t.Fatalf("change %v without event", c.Op)
			}
			switch c.Op {
			case OpRemove:
				r := byID[c.PartID]
				if r.Removed || seen[r.Identity] {
					t.Fatalf("removes row %d (%q) that is still reported or already removed", c.PartID, r.Identity)
				}
			default:
				touched[c.Part.Identity]++
			}
		}
		active := map[string]bool{}
		for _, r := range rows {
			active[r.Identity] = true
		}
		for id := range seen {
			if !active[id] && touched[id] != 1 {
				t.Fatalf("new identity %q handled %d times", id, touched[id])
			}
			if touched[id] > 1 {
				t.Fatalf("identity %q changed %d times", id, touched[id])
			}
		}
	})
}

// FuzzJoinKey checks that the one-pass joinKey agrees with its plain
// definition and that CleanText never panics.
func FuzzJoinKey(f *testing.F) {
	for _, s := range []string{"", "0", "SerNum0", "a|b", `a\b`, "\x00", "\xff\xfe", "sernum٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parts := range [][]string{{s}, {s, "x"}, {"k", s, s}} {
			if got, want := joinKey(parts...), joinKeyByReplace(parts...); got != want {
				t.Fatalf("joinKey(%q) = %q, want %q", parts, got, want)
			}
		}
		_ = CleanText(s)
	})
}

// joinKeyByReplace is joinKey written plainly: the definition its one-pass
// version must agree with.
func joinKeyByReplace(parts ...string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		p = strings.ToValidUTF8(p, "\uFFFD")
		p = strings.ReplaceAll(p, `\`, `\\`)
		p = strings.ReplaceAll(p, `|`, `\|`)
		out[i] = strings.ReplaceAll(p, "\x00", `\0`)
	}
	return strings.Join(out, "|")
}
