package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/view"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// retire HOST removes the host's parts with its retirement recorded; a
// module with a real serial that another host reports afterwards moved
// from it (not a serial clash), and check passes.
func TestRetire(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	inv := func(id, name string, at time.Time, mods ...*memledgerv1.MemoryModule) *memledgerv1.Inventory {
		return &memledgerv1.Inventory{
			Host:          &memledgerv1.Host{HostId: id, Hostname: name},
			CollectedAt:   timestamppb.New(at),
			MemoryModules: mods,
		}
	}
	moving := module("A1", micron, nil, "36ASF8G72PZ-2G3B1", "RETIRECLI1")
	mustRun(t, db, "ingest", writeInventory(t, dir, "old.json", inv("host-old", "old-1", time.Now().Add(-time.Hour), moving,
		module("A2", micron, nil, "36ASF8G72PZ-2G3B1", "RETIRECLI2"))))

	out := mustRun(t, db, "retire", "old-1") // by hostname
	f := strings.Split(strings.TrimSpace(out), "\t")
	if len(f) != 4 || f[0] != "host-old" || f[1] != "old-1" || f[3] != "2 parts removed" {
		t.Fatalf("retire output %q, want host-old<TAB>old-1<TAB>time<TAB>2 parts removed", out)
	}
	if out := mustRun(t, db, "retire", "host-old"); !strings.Contains(out, "already retired") {
		t.Errorf("second retire: %q", out)
	}
	if rows := readCSV(t, mustRun(t, db, "parts", "--host", "host-old", "--format", "csv")); len(rows) != 1 {
		t.Errorf("retired host still lists parts: %v", rows)
	}

	mustRun(t, db, "ingest", writeInventory(t, dir, "new.json", inv("host-new", "new-1", time.Now(), moving)))
	var events []view.Event
	if err := json.Unmarshal([]byte(mustRun(t, db, "history", "--host", "host-new", "--format", "json")), &events); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, " ") != "host_enrolled part_moved" {
		t.Errorf("history of the new host %v, want host_enrolled part_moved", kinds)
	}
	out = mustRun(t, db, "history", "--host", "host-old", "--kind", "host_retired")
	if !strings.Contains(out, "host_retired") {
		t.Errorf("history --kind host_retired:\n%s", out)
	}
	mustRun(t, db, "check")

	if _, errOut, err := runCLI(t, nil, "", "retire", "ghost", "--db", db); err == nil || !strings.Contains(err.Error()+errOut, `no host "ghost"`) {
		t.Errorf("retire of an unknown host: %v %s", err, errOut)
	}
	if _, _, err := runCLI(t, nil, "", "retire", "--db", db); err == nil {
		t.Error("retire without a host succeeded")
	}
}
