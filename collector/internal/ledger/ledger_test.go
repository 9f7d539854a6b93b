package ledger

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventorypkg "github.com/memledger/memledger/internal/inventory"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

var (
	t0      = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	micron  = &memledgerv1.Vendor{Id: "micron", Name: "Micron", Parent: "micron"}
	samsung = &memledgerv1.Vendor{Id: "samsung", Name: "Samsung", Parent: "samsung"}
)

func dimm(slot, serial string) *memledgerv1.MemoryModule {
	return &memledgerv1.MemoryModule{
		Locator: slot, SizeBytes: 32 << 30, MemoryType: "DDR4", FormFactor: "DIMM",
		PartNumber: "36ASF8G72PZ-2G3B1", SerialNumber: serial, ModuleVendor: micron,
	}
}

func nvme(name, serial, fw string) *memledgerv1.StorageDevice {
	return &memledgerv1.StorageDevice{
		Name: name, Transport: "nvme", Model: "SAMSUNG MZQL2960HCJR-00A07", SerialNumber: serial,
		Firmware: fw, SizeBytes: 960197124096, Vendor: samsung,
	}
}

func inventory(mods []*memledgerv1.MemoryModule, drives ...*memledgerv1.StorageDevice) *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host:           &memledgerv1.Host{HostId: "h1", Hostname: "h1.example.net"},
		CollectedAt:    timestamppb.New(t0),
		MemoryModules:  mods,
		StorageDevices: drives,
	}
}

// rowsOf turns an inventory into the rows a store would hold after it,
// numbering ids from 1.
func rowsOf(t *testing.T, inv *memledgerv1.Inventory) []Row {
	t.Helper()
	obs, err := Observe("h1", inv, ObserveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]Row, len(obs))
	for i, o := range obs {
		rows[i] = Row{ID: int64(i + 1), Identity: o.Identity, Kind: o.Kind, RealSerial: o.RealSerial, Slot: o.Slot, SlotKey: o.SlotKey, Proto: o.Proto, ArrivedAt: t0}
	}
	return rows
}

// summary renders a diff result as "op:partID:slot[kinds]" strings.
func summary(res Result) []string {
	var out []string
	for _, c := range res.Changes {
		s := c.Op.String()
		if c.PartID != 0 {
			s += ":" + strconv.FormatInt(c.PartID, 10)
		}
		if c.Part != nil {
			s += ":" + c.Part.Slot
		}
		if c.HostID != "h1" {
			s += "@" + c.HostID
		}
		var kinds []string
		for _, e := range c.Events {
			kinds = append(kinds, string(e.Kind))
		}
		out = append(out, s+"["+strings.Join(kinds, ",")+"]")
	}
	return out
}

func TestDiff(t *testing.T) {
	base := inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q"))
	removedRow := func(rows []Row, id int64, at time.Time) []Row {
		out := append([]Row(nil), rows...)
		for i := range out {
			if out[i].ID == id {
				out[i].Removed, out[i].RemovedAt = true, at
			}
		}
		return out
	}
	tests := []struct {
		name      string
		rows      func(t *testing.T) []Row
		inv       *memledgerv1.Inventory
		elsewhere map[string]Remote
		// prevReport is the host's previous full inventory (Input.PrevReport).
		prevReport time.Time
		want       []string
	}{
		{
			name: "first inventory adds everything",
			rows: func(t *testing.T) []Row { return nil },
			inv:  base,
			want: []string{"add:B1[part_added]", "add:B2[part_added]", "add:nvme0n1[part_added]"},
		},
		{
			name: "same inventory again changes nothing",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:  base,
			want: nil,
		},
		{
			name: "module swap is removed + added",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:  inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00099")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
			want: []string{"remove:2[part_removed]", "add:B2[part_added]"},
		},
		{
			name: "slot move keeps the part",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:  inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("C4", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
			want: []string{"update:2:C4[part_moved]"},
		},
		{
			name: "firmware change",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:  inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5A02Q")),
			want: []string{"update:3:nvme0n1[fields_changed]"},
		},
		{
			name: "drive renamed by the kernel is a field change, not a move",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:  inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00002")}, nvme("nvme1n1", "S64F0001", "GDC5602Q")),
			want: []string{"update:3:nvme1n1[fields_changed]"},
		},
		{
			name: "maker re-identified by a newer agent: the same parts, fields changed",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv: func() *memledgerv1.Inventory {
				inv := proto.Clone(base).(*memledgerv1.Inventory)
				inv.MemoryModules[0].ModuleVendor = nil // an older agent's unknown, or the reverse
				inv.StorageDevices[0].Vendor = micron
				return inv
			}(),
			want: []string{"update:1:B1[fields_changed]", "update:3:nvme0n1[fields_changed]"},
		},
		{
			name: "removed part comes back: returned",
			rows: func(t *testing.T) []Row { return removedRow(rowsOf(t, base), 2, t0) },
			inv:  base,
			want: []string{"reopen:2:B2[part_returned]"},
		},
		{
			name: "returned with a changed size: returned + fields_changed",
			rows: func(t *testing.T) []Row { return removedRow(rowsOf(t, base), 2, t0) },
			inv: func() *memledgerv1.Inventory {
				inv := proto.Clone(base).(*memledgerv1.Inventory)
				inv.MemoryModules[1].SizeBytes = 16 << 30
				return inv
			}(),
			want: []string{"reopen:2:B2[part_returned,fields_changed]"},
		},
		{
			name:      "part another host still carries: a serial clash, that host keeps it",
			rows:      func(t *testing.T) []Row { return nil },
			inv:       inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001")}),
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", Active: true, ArrivedAt: t0}},
			want:      []string{"add:B1[serial_clash]", "note:77@h2[serial_clash]"},
		},
		{
			name:      "removed here, now here again while another host carries it: a serial clash",
			rows:      func(t *testing.T) []Row { return removedRow(rowsOf(t, base), 1, t0) },
			inv:       base,
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", Active: true, ArrivedAt: t0.Add(time.Hour)}},
			want:      []string{"reopen:1:B1[serial_clash]", "note:77@h2[serial_clash]"},
		},
		{
			name:       "left out here, on another host since this host last listed it: moved there",
			rows:       func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:        inventory([]*memledgerv1.MemoryModule{dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
			elsewhere:  map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", Active: true, ArrivedAt: t0.Add(2 * time.Hour)}},
			prevReport: t0.Add(time.Hour),
			want:       []string{"remove:1[part_moved]", "note:77@h2[part_moved]"},
		},
		{
			name:       "left out here, listed here after another host got it (a clone): removed",
			rows:       func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:        inventory([]*memledgerv1.MemoryModule{dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
			elsewhere:  map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", Active: true, ArrivedAt: t0.Add(time.Hour)}},
			prevReport: t0.Add(2 * time.Hour),
			want:       []string{"remove:1[part_removed]"},
		},
		{
			name:      "left out here, on another host since before it came here: removed",
			rows:      func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:       inventory([]*memledgerv1.MemoryModule{dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", Active: true, ArrivedAt: t0.Add(-time.Hour)}},
			want:      []string{"remove:1[part_removed]"},
		},
		{
			name:      "left out here, removed from the other host too: removed",
			rows:      func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:       inventory([]*memledgerv1.MemoryModule{dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")),
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", ArrivedAt: t0.Add(time.Hour)}},
			want:      []string{"remove:1[part_removed]"},
		},
		{
			name:      "part last seen on another host, already removed there",
			rows:      func(t *testing.T) []Row { return nil },
			inv:       inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001")}),
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", ArrivedAt: t0}},
			want:      []string{"add:B1[part_moved]"},
		},
		{
			name:      "removed here, then on another host: moved back, old row reopened",
			rows:      func(t *testing.T) []Row { return removedRow(rowsOf(t, base), 1, t0) },
			inv:       base,
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", ArrivedAt: t0.Add(time.Hour)}},
			want:      []string{"reopen:1:B1[part_moved]"},
		},
		{
			name:      "on another host before it was here: returned",
			rows:      func(t *testing.T) []Row { return removedRow(rowsOf(t, base), 1, t0) },
			inv:       base,
			elsewhere: map[string]Remote{"memory|36ASF8G72PZ-2G3B1|SER00001": {PartID: 77, HostID: "h2", Slot: "A1", ArrivedAt: t0.Add(-time.Hour)}},
			want:      []string{"reopen:1:B1[part_returned]"},
		},
		{
			name: "placeholder serials in two slots stay two parts",
			rows: func(t *testing.T) []Row { return nil },
			inv:  inventory([]*memledgerv1.MemoryModule{dimm("A1", "00000000"), dimm("A2", "00000000")}),
			// Placeholder identities are never looked up elsewhere.
			elsewhere: map[string]Remote{"memory@h1|/A1|36ASF8G72PZ-2G3B1|34359738368": {PartID: 9, HostID: "h2", Active: true}},
			want:      []string{"add:A1[part_added]", "add:A2[part_added]"},
		},
		{
			name: "placeholder part in another slot is removed + added",
			rows: func(t *testing.T) []Row {
				return rowsOf(t, inventory([]*memledgerv1.MemoryModule{dimm("A1", "Not Specified")}))
			},
			inv:  inventory([]*memledgerv1.MemoryModule{dimm("A3", "Not Specified")}),
			want: []string{"remove:1[part_removed]", "add:A3[part_added]"},
		},
		{
			name: "everything removed",
			rows: func(t *testing.T) []Row { return rowsOf(t, base) },
			inv:  inventory(nil),
			want: []string{"remove:3[part_removed]", "remove:1[part_removed]", "remove:2[part_removed]"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Observe("h1", tc.inv, ObserveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Diff(Input{
				HostID: "h1", At: t0.Add(24 * time.Hour), Rows: tc.rows(t), Parts: obs,
				Elsewhere:  func(id string) (Remote, bool, error) { r, ok := tc.elsewhere[id]; return r, ok, nil },
				PrevReport: tc.prevReport,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(res); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("diff:\n got %v\nwant %v", got, tc.want)
			}
			if res.EventCount() != countEvents(res) {
				t.Errorf("EventCount %d", res.EventCount())
			}
		})
	}
}

func countEvents(r Result) int {
	n := 0
	for _, c := range r.Changes {
		n += len(c.Events)
	}
	return n
}

func TestDiffLookupError(t *testing.T) {
	obs, err := Observe("h1", inventory([]*memledgerv1.MemoryModule{dimm("A1", "SER1")}), ObserveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("database gone")
	_, err = Diff(Input{HostID: "h1", At: t0, Parts: obs, Elsewhere: func(string) (Remote, bool, error) { return Remote{}, false, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("err %v, want wrapping %v", err, boom)
	}
}

func TestDiffMessages(t *testing.T) {
	rows := rowsOf(t, inventory([]*memledgerv1.MemoryModule{dimm("B2", "12345678")}, nvme("nvme0n1", "S64F0001", "GDC5602Q")))
	obs, err := Observe("h1", inventory([]*memledgerv1.MemoryModule{dimm("B3", "12345678")}, nvme("nvme0n1", "S64F0001", "GDC5A02Q")), ObserveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Diff(Input{HostID: "h1", At: t0, Rows: rows, Parts: obs})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, c := range res.Changes {
		for _, e := range c.Events {
			msgs = append(msgs, e.Message)
		}
	}
	want := []string{
		"part moved: Micron DIMM 36ASF8G72PZ-2G3B1 serial 12345678 from slot B2 to slot B3",
		"fields changed: Samsung NVMe drive SAMSUNG MZQL2960HCJR-00A07 serial S64F0001: firmware GDC5602Q -> GDC5A02Q",
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages:\n got %q\nwant %q", msgs, want)
	}
	// Added message, with an unknown maker: never guessed.
	m := dimm("A1", "ABC123")
	m.ModuleVendor = nil
	m.ManufacturerRaw = "859B"
	obs, _ = Observe("h1", inventory([]*memledgerv1.MemoryModule{m}), ObserveOptions{})
	res, _ = Diff(Input{HostID: "h1", At: t0, Parts: obs})
	if got, want := res.Changes[0].Events[0].Message, "part added: unknown-maker DIMM 36ASF8G72PZ-2G3B1 serial ABC123 in slot A1"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestObserveIdentities(t *testing.T) {
	wwnOnly := nvme("sda", "", "FW1")
	wwnOnly.Wwn = "0x5000c500a1b2c3d4"
	noID := nvme("vda", "", "")
	noID.Transport = "virtio"
	inv := inventory([]*memledgerv1.MemoryModule{
		dimm("A1", " ser0001 "),
		dimm("A2", "DUP"), dimm("A3", "DUP"), // repeated serial: not trusted
		dimm("", "0"), dimm("", "0"), // same fingerprint twice: numbered
	}, wwnOnly, noID)
	obs, err := Observe("h|1", inv, ObserveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		identity string
		real     bool
	}{
		{"memory|36ASF8G72PZ-2G3B1|SER0001", true},
		{`memory@h\|1|/A2|36ASF8G72PZ-2G3B1|34359738368`, false},
		{`memory@h\|1|/A3|36ASF8G72PZ-2G3B1|34359738368`, false},
		{`memory@h\|1|/|36ASF8G72PZ-2G3B1|34359738368`, false},
		{`memory@h\|1|/|36ASF8G72PZ-2G3B1|34359738368#2`, false},
		{"drive|SAMSUNG MZQL2960HCJR-00A07|WWN:0X5000C500A1B2C3D4", true},
		{`drive@h\|1|vda|SAMSUNG MZQL2960HCJR-00A07|960197124096`, false},
	}
	if len(obs) != len(want) {
		t.Fatalf("%d observed, want %d", len(obs), len(want))
	}
	for i, w := range want {
		if obs[i].Identity != w.identity || obs[i].RealSerial != w.real {
			t.Errorf("part %d: identity %q real %v, want %q %v", i, obs[i].Identity, obs[i].RealSerial, w.identity, w.real)
		}
	}
	if _, err := Observe("h1", nil, ObserveOptions{}); err == nil {
		t.Error("Observe(nil) succeeded")
	}
	if _, err := Observe("h1", &memledgerv1.Inventory{MemoryModules: []*memledgerv1.MemoryModule{nil}}, ObserveOptions{}); err == nil || !strings.Contains(err.Error(), "memory_modules[0]") {
		t.Errorf("Observe with null module: %v", err)
	}
}

func TestJoinKeyInjective(t *testing.T) {
	pairs := [][2][]string{
		{{"a|b", "c"}, {"a", "b|c"}},
		{{`a\`, "b"}, {"a", `\b`}},
		{{"a\x00"}, {`a\0`}},
		{{"a\x00"}, {`a\x00`}},
	}
	for _, p := range pairs {
		if a, b := joinKey(p[0]...), joinKey(p[1]...); a == b {
			t.Errorf("joinKey(%q) == joinKey(%q) == %q", p[0], p[1], a)
		}
	}
}

func TestDigest(t *testing.T) {
	inv := inventory([]*memledgerv1.MemoryModule{dimm("A1", "S1")})
	inv.Host.Labels = map[string]string{"b": "2", "a": "1", "c": "3"}
	d1, err := inventorypkg.Digest(inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(d1) != 64 || strings.Trim(d1, "0123456789abcdef") != "" {
		t.Fatalf("digest %q is not 64 lowercase hex digits", d1)
	}
	later := proto.Clone(inv).(*memledgerv1.Inventory)
	later.CollectedAt = timestamppb.New(t0.Add(time.Hour))
	if d2, _ := inventorypkg.Digest(later); d2 != d1 {
		t.Errorf("collected_at changes the digest")
	}
	if inv.CollectedAt == nil || !inv.CollectedAt.AsTime().Equal(t0) {
		t.Errorf("Digest modified its input")
	}
	changed := proto.Clone(inv).(*memledgerv1.Inventory)
	changed.MemoryModules[0].SerialNumber = "S2"
	if d3, _ := inventorypkg.Digest(changed); d3 == d1 {
		t.Errorf("a changed serial keeps the digest")
	}
	// Map order never matters (deterministic encoding).
	for i := 0; i < 20; i++ {
		c := proto.Clone(inv).(*memledgerv1.Inventory)
		if d, _ := inventorypkg.Digest(c); d != d1 {
			t.Fatalf("digest not deterministic")
		}
	}
	if _, err := inventorypkg.Digest(nil); err == nil {
		t.Error("Digest(nil) succeeded")
	}
	bad := inventory([]*memledgerv1.MemoryModule{dimm("A1", "S\xff")})
	if _, err := inventorypkg.Digest(bad); err == nil {
		t.Error("Digest of invalid UTF-8 succeeded")
	}
}

func TestFieldChanges(t *testing.T) {
	a := nvme("nvme0n1", "S1", "FW1")
	b := proto.Clone(a).(*memledgerv1.StorageDevice)
	b.Firmware = "FW2"
	b.Vendor = &memledgerv1.Vendor{Id: "kingston"}
	b.Rotational = true
	got := FieldChanges(a, b)
	var names []string
	for _, c := range got {
		names = append(names, c.Field)
	}
	if want := []string{"firmware", "rotational", "vendor"}; !reflect.DeepEqual(names, want) {
		t.Errorf("fields %v, want %v", names, want)
	}
	if got[0].Old != "FW1" || got[0].New != "FW2" || got[1].Old != nil || got[1].New != true {
		t.Errorf("values %+v", got)
	}
	if s := summarizeChanges(got); s != "firmware FW1 -> FW2, rotational (none) -> true, vendor samsung -> kingston" {
		t.Errorf("summary %q", s)
	}
	if c := FieldChanges(a, proto.Clone(a)); len(c) != 0 {
		t.Errorf("equal records: %v", c)
	}
	if c := FieldChanges(a, b, "firmware", "vendor", "rotational"); len(c) != 0 {
		t.Errorf("skipped fields reported: %v", c)
	}
}

func TestLabels(t *testing.T) {
	agent := map[string]string{"env": "prod", "rack": "r1"}
	eff := EffectiveLabels(agent, map[string]string{"env": "staging", "team": "db"}, []string{"rack", "absent"})
	if want := map[string]string{"env": "staging", "team": "db"}; !reflect.DeepEqual(eff, want) {
		t.Errorf("effective %v, want %v", eff, want)
	}
	if agent["env"] != "prod" {
		t.Error("EffectiveLabels modified its input")
	}
	ch := LabelChanges(agent, eff)
	if len(ch) != 3 || ch[0].Key != "env" || *ch[0].Old != "prod" || *ch[0].New != "staging" ||
		ch[1].Key != "rack" || ch[1].New != nil || ch[2].Key != "team" || ch[2].Old != nil {
		t.Errorf("changes %+v", ch)
	}
	d, ok := LabelsDraft("h1", "collector", ch)
	if !ok || d.Message != "labels changed by collector: env=staging, rack removed, team=db" {
		t.Errorf("draft %q", d.Message)
	}
	if _, ok := LabelsDraft("h1", "agent", nil); ok {
		t.Error("draft for no changes")
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":   "plain",
		"a\x00b":  `a\x00b`,
		"bad\xff": "bad\uFFFD",
		"":        "",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDiffMemoryUnread: an inventory whose scan read no SMBIOS (nor udev's
// copy) says nothing of the modules the host holds from there; its drives
// are diffed all the same. Modules held from SPD EEPROMs alone are diffed.
func TestDiffMemoryUnread(t *testing.T) {
	unreadable := []*memledgerv1.Warning{{Source: "smbios", Message: "cannot read the SMBIOS tables: permission denied"}}
	read := inventory([]*memledgerv1.MemoryModule{dimm("B1", "SER00001"), dimm("B2", "SER00002")}, nvme("nvme0n1", "S64F0001", "GDC5602Q"))
	read.Sources = []string{"smbios", "sysfs"}
	spdA := dimm("SPD 0-0050", "SER00001")
	spdA.Source = "spd"
	spdOnly := inventory([]*memledgerv1.MemoryModule{spdA})
	spdOnly.Sources, spdOnly.Warnings = []string{"spd"}, unreadable
	spdHeld := inventory([]*memledgerv1.MemoryModule{spdA, func() *memledgerv1.MemoryModule {
		m := dimm("SPD 0-0051", "SER00002")
		m.Source = "spd"
		return m
	}()})
	spdHeld.Sources, spdHeld.Warnings = []string{"spd"}, unreadable

	for _, tc := range []struct {
		name string
		held *memledgerv1.Inventory
		inv  *memledgerv1.Inventory
		want []string
	}{
		{"modules held from SMBIOS stay; the drive is diffed", read, spdOnly, []string{"remove:3[part_removed]"}},
		{"modules held from SPD EEPROMs are diffed", spdHeld, spdOnly, []string{"remove:2[part_removed]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Observe("h1", tc.inv, ObserveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Diff(Input{HostID: "h1", At: t0.Add(time.Hour), Rows: rowsOf(t, tc.held), Parts: obs, Incomplete: Incomplete(tc.inv)})
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(res); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changes %v, want %v", got, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name    string
		sources []string
		warns   []*memledgerv1.Warning
		want    bool
	}{
		{"smbios", []string{"smbios", "spd", "sysfs"}, nil, true},
		{"udev fallback", []string{"udev"}, unreadable, true},
		{"dmidecode text", []string{"dmidecode"}, nil, true},
		{"SPD images alone", []string{"spd"}, nil, true},
		{"no source, no warning", nil, nil, true},
		{"SMBIOS unreadable", []string{"sysfs"}, unreadable, false},
		{"SMBIOS unreadable, SPD read", []string{"spd", "sysfs"}, unreadable, false},
		{"nothing readable", nil, unreadable, false},
	} {
		inv := &memledgerv1.Inventory{Sources: tc.sources, Warnings: tc.warns}
		if got := MemoryRead(inv); got != tc.want {
			t.Errorf("%s: MemoryRead %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestObserveSerialForms: the forms in which sources write one part's
// serial and model give one identity; different numbers and strings stay
// different parts.
func TestObserveSerialForms(t *testing.T) {
	identity := func(inv *memledgerv1.Inventory) string {
		t.Helper()
		obs, err := Observe("h1", inv, ObserveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(obs) != 1 || !obs[0].RealSerial {
			t.Fatalf("observed %+v, want one real-serial part", obs)
		}
		return obs[0].Identity
	}
	mod := func(serial string) string {
		return identity(inventory([]*memledgerv1.MemoryModule{dimm("A1", serial)}))
	}
	drive := func(model, serial string) string {
		d := nvme("sda", serial, "FW1")
		d.Model = model
		return identity(inventory(nil, d))
	}
	same := [][2]string{
		{mod("0x750174F7"), mod("750174F7")},         // SMBIOS as some firmware prints it; the SPD's form
		{mod("0X750174f7"), mod("750174F7")},         // case
		{mod("0x0750174F"), mod("0750174F")},         // a leading zero the SPD writes
		{mod("0x750174F"), mod("0750174F")},          // the same number, unpadded
		{mod("0x00000000750174F7"), mod("750174F7")}, // the same number, 8 bytes wide
		{mod(" 0x750174F7 "), mod("750174F7")},
		{drive("Samsung_SSD_860_EVO_500GB", "S3Z1NB0K123456A"), drive("Samsung SSD 860 EVO 500GB", "S3Z1NB0K123456A")},
		{drive("WDC_WD10EZEX-08WN4A0", "WD-WCC6Y1234567"), drive("  WDC  WD10EZEX-08WN4A0  ", "  WD-WCC6Y1234567")},
		{drive("ST1000DM003", "Z1D_9X2Y"), drive("ST1000DM003", "Z1D 9X2Y")},
		{drive("Micron_5200_MTFDDAK960TDD", "18151C123456"), drive("Micron 5200 MTFDDAK960TDD", "18151C123456")},
	}
	for i, p := range same {
		if p[0] != p[1] {
			t.Errorf("pair %d: %q and %q, want one identity", i, p[0], p[1])
		}
	}
	if got, want := mod("0x750174F7"), "memory|36ASF8G72PZ-2G3B1|750174F7"; got != want {
		t.Errorf("identity %q, want %q", got, want)
	}
	if got, want := drive("Samsung_SSD_860_EVO_500GB", "S3Z1NB0K123456A"), "drive|SAMSUNG SSD 860 EVO 500GB|S3Z1NB0K123456A"; got != want {
		t.Errorf("identity %q, want %q", got, want)
	}
	different := [][2]string{
		{mod("0000750174F7"), mod("750174F7")}, // not provably a number: a string with zeros
		{mod("0x750174F7"), mod("0x750174F8")},
		{mod("0x1750174F7"), mod("750174F7")},
		{mod("0xG50174F7"), mod("G50174F7")},                                  // not hex: not a number
		{drive("ST1000DM003", "Z1D/9X2Y"), drive("ST1000DM003", "Z1D_9X2Y")},  // udev's '_' for '/' is not undone
		{drive("ST1000DM003", "Z1D__9X2Y"), drive("ST1000DM003", "Z1D 9X2Y")}, // udev writes a run of spaces as one '_'
		{drive("ST1000DM003", "Z1D9X2Y"), drive("ST1000DM003", "Z1D 9X2Y")},
	}
	for i, p := range different {
		if p[0] == p[1] {
			t.Errorf("pair %d: both %q, want two identities", i, p[0])
		}
	}
	// A drive's fingerprint (placeholder serial) is unchanged: its model
	// as written, trimmed and in upper case.
	obs, err := Observe("h1", inventory(nil, &memledgerv1.StorageDevice{Name: "sda", Model: "Samsung_SSD_860_EVO_500GB", SizeBytes: 500}), ObserveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "drive@h1|sda|SAMSUNG_SSD_860_EVO_500GB|500"; obs[0].Identity != want {
		t.Errorf("fingerprint %q, want %q", obs[0].Identity, want)
	}
}

// TestDiffIncomplete: the part kinds an inventory names incomplete are
// left as the host holds them (no removal, move, change or addition of
// that kind); the other kinds are diffed. An inventory of an agent that
// predates the field is diffed whole (but for MemoryRead, above).
func TestDiffIncomplete(t *testing.T) {
	held := inventory([]*memledgerv1.MemoryModule{dimm("A1", "SER00001"), dimm("A2", "SER00002"), dimm("B1", "SER00003")},
		nvme("nvme0n1", "S64F0001", "GDC5602Q"), nvme("nvme1n1", "S64F0002", "GDC5602Q"))
	held.Sources = []string{"smbios", "sysfs"}
	with := func(inv *memledgerv1.Inventory, incomplete ...string) *memledgerv1.Inventory {
		inv.Sources, inv.Incomplete = []string{"smbios"}, incomplete
		return inv
	}
	allModules := []*memledgerv1.MemoryModule{dimm("A1", "SER00001"), dimm("A2", "SER00002"), dimm("B1", "SER00003")}
	// A damaged table: B1 is past the damage, and C1 is listed anew.
	damaged := []*memledgerv1.MemoryModule{dimm("A1", "SER00001"), dimm("A2", "SER00002"), dimm("C1", "SER00009")}

	for _, tc := range []struct {
		name string
		inv  *memledgerv1.Inventory
		want []string
	}{
		{"drive listing failed: drives stay, memory diffed",
			with(inventory(allModules[:2]), "storage"), []string{"remove:3[part_removed]"}},
		{"drive listing failed, old agent: drives removed",
			with(inventory(allModules)), []string{"remove:4[part_removed]", "remove:5[part_removed]"}},
		{"damaged table: modules stay, drives diffed",
			with(inventory(damaged, nvme("nvme0n1", "S64F0001", "GDC5602Q")), "memory"), []string{"remove:5[part_removed]"}},
		{"damaged table, old agent: B1 removed, C1 added",
			with(inventory(damaged, nvme("nvme0n1", "S64F0001", "GDC5602Q"), nvme("nvme1n1", "S64F0002", "GDC5602Q"))),
			[]string{"remove:3[part_removed]", "add:C1[part_added]"}},
		{"a listed module in another slot is not moved",
			with(inventory([]*memledgerv1.MemoryModule{dimm("A2", "SER00001")}, nvme("nvme0n1", "S64F0001", "GDC5602Q"), nvme("nvme1n1", "S64F0002", "GDC5602Q")), "memory"), nil},
		{"both incomplete, unknown domain ignored",
			with(inventory(nil), "memory", "storage", "gpu"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Observe("h1", tc.inv, ObserveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Diff(Input{HostID: "h1", At: t0.Add(time.Hour), Rows: rowsOf(t, held), Parts: obs, Incomplete: Incomplete(tc.inv)})
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(res); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changes %v, want %v", got, tc.want)
			}
		})
	}

	unreadable := []*memledgerv1.Warning{{Source: "smbios", Message: "cannot read the SMBIOS tables: permission denied"}}
	for _, tc := range []struct {
		name       string
		sources    []string
		warns      []*memledgerv1.Warning
		incomplete []string
		want       []PartKind
	}{
		{"complete", []string{"smbios", "sysfs"}, nil, nil, nil},
		{"storage", []string{"smbios"}, nil, []string{"storage"}, []PartKind{KindDrive}},
		{"memory named", []string{"smbios", "sysfs"}, nil, []string{"memory"}, []PartKind{KindMemory}},
		{"memory inferred (old agent)", []string{"sysfs"}, unreadable, nil, []PartKind{KindMemory}},
		{"memory named and inferred", nil, unreadable, []string{"memory", "storage"}, []PartKind{KindMemory, KindDrive}},
		{"unknown domains", []string{"smbios"}, nil, []string{"gpu", "Memory", ""}, nil},
	} {
		inv := &memledgerv1.Inventory{Sources: tc.sources, Warnings: tc.warns, Incomplete: tc.incomplete}
		if got := Incomplete(inv); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Incomplete %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestKeepHostFacts: a scan that did not read the memory completely keeps
// the recorded slot count and SMBIOS version, and the SMBIOS facts it left
// empty; what it did read is taken.
func TestKeepHostFacts(t *testing.T) {
	old := &memledgerv1.Host{HostId: "h1", Hostname: "a", MemorySlots: 24, SmbiosVersion: "3.3.0",
		SystemManufacturer: "Dell Inc.", SystemProduct: "PowerEdge R650", SystemSerial: "ABC1234", SystemUuid: "4c4c4544-0031",
		BaseboardProduct: "0H28RR", BaseboardSerial: "CN1234"}
	// What a scan without the tables gives: the kernel's dmi/id copy
	// without its root-only serials, no slot, no version; a new hostname.
	unread := &memledgerv1.Host{HostId: "h1", Hostname: "b", SystemManufacturer: "Dell Inc.", SystemProduct: "PowerEdge R650 (renamed)",
		BaseboardProduct: "0H28RR"}
	got := KeepHostFacts(old, unread)
	want := proto.Clone(old).(*memledgerv1.Host)
	want.Hostname, want.SystemProduct = "b", "PowerEdge R650 (renamed)"
	if !proto.Equal(got, want) {
		t.Errorf("KeepHostFacts = %v, want %v", got, want)
	}
	if unread.GetMemorySlots() != 0 || unread.GetSystemSerial() != "" {
		t.Errorf("KeepHostFacts modified its argument: %v", unread)
	}
	if fc := HostFieldChanges(old, got); len(fc) != 2 {
		t.Errorf("changes %v, want hostname and system_product", fc)
	}
	same := proto.Clone(old).(*memledgerv1.Host)
	if KeepHostFacts(old, same) != same || KeepHostFacts(nil, unread) != unread {
		t.Error("KeepHostFacts copied a record it kept nothing for")
	}
}
