package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/memledger/memledger/collector/internal/view"
	"github.com/memledger/memledger/internal/cmdutil"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// runCLI runs the command line with only the given environment and returns
// its standard output and error.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, lookup)
	return stdout.String(), stderr.String(), err
}

func mustRun(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, nil, "", append(args, "--db", db)...)
	if err != nil {
		t.Fatalf("%s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

var (
	crucial  = &memledgerv1.Vendor{Id: "crucial", Name: "Crucial", Parent: "micron", Evidence: []string{"smbios-module-id"}, Jep106: "6:0x1B"}
	micron   = &memledgerv1.Vendor{Id: "micron", Name: "Micron Technology", Parent: "micron", Evidence: []string{"smbios-module-id"}, Jep106: "1:0x2C"}
	kingston = &memledgerv1.Vendor{Id: "kingston", Name: "Kingston Technology", Parent: "kingston", Evidence: []string{"name"}}
	samsung  = &memledgerv1.Vendor{Id: "samsung", Name: "Samsung", Parent: "samsung", Evidence: []string{"pci-vendor"}}
)

func module(slot string, v *memledgerv1.Vendor, dram *memledgerv1.Vendor, pn, serial string) *memledgerv1.MemoryModule {
	return &memledgerv1.MemoryModule{
		Locator: slot, SizeBytes: 32 << 30, MemoryType: "DDR4", FormFactor: "DIMM", SpeedMts: 3200,
		PartNumber: pn, SerialNumber: serial, ModuleVendor: v, DramVendor: dram, Source: "dmidecode",
	}
}

// writeInventory writes inv as "scan --format json" does and returns the path.
func writeInventory(t *testing.T, dir, name string, inv *memledgerv1.Inventory) string {
	t.Helper()
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func hostA(at time.Time, thirdSerial string) *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host:        &memledgerv1.Host{HostId: "host-a", Hostname: "db-17", Labels: map[string]string{"site": "fra1"}, SystemManufacturer: "Dell Inc.", SystemProduct: "PowerEdge R650"},
		CollectedAt: timestamppb.New(at),
		MemoryModules: []*memledgerv1.MemoryModule{
			module("DIMM_A1", crucial, nil, "CT32G4RFD432A", "E1A2B3C4"),
			module("DIMM_A2", micron, micron, "36ASF8G72PZ-3G2E1", "2C0FFEE1"),
			module("DIMM_A3", kingston, micron, "KSM32RD4/32MEI", thirdSerial),
			module("DIMM_A4", nil, nil, "XYZ-UNKNOWN", "00ABCDEF"),
		},
		StorageDevices: []*memledgerv1.StorageDevice{{
			Name: "nvme0n1", Transport: "nvme", Model: "SAMSUNG MZQL23T8HCLS-00A07", SerialNumber: "S64HNE0R1", SizeBytes: 3840755982336, Vendor: samsung,
		}},
	}
}

func hostB(at time.Time) *memledgerv1.Inventory {
	return &memledgerv1.Inventory{
		Host:          &memledgerv1.Host{HostId: "host-b", Hostname: "web-3", Labels: map[string]string{"site": "ams2"}},
		CollectedAt:   timestamppb.New(at),
		MemoryModules: []*memledgerv1.MemoryModule{module("DIMM0", &memledgerv1.Vendor{Id: "samsung", Name: "Samsung", Parent: "samsung"}, nil, "M393A4K40DB3-CWE", "4E000001")},
	}
}

func TestIngestAndRead(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	t0 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)

	a1 := writeInventory(t, dir, "a1.json", hostA(t0, "0K1NG001"))
	a2 := writeInventory(t, dir, "a2.json", hostA(t0.Add(24*time.Hour), "0K1NG002")) // module in A3 swapped
	b1 := writeInventory(t, dir, "b1.json", hostB(t0))
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"host": {"hostId": "x"}, "memoryModules": [`), 0o644)
	future := writeInventory(t, dir, "future.json", hostB(time.Now().Add(time.Hour)))
	noHost := writeInventory(t, dir, "nohost.json", &memledgerv1.Inventory{Host: &memledgerv1.Host{}, CollectedAt: timestamppb.Now()})

	// Files in any order: they are applied oldest first.
	out, errOut, err := runCLI(t, nil, "", "ingest", "--db", db, a2, bad, b1, a1, future, noHost)
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 1 || !strings.Contains(err.Error(), "3 of 6 files not ingested") {
		t.Fatalf("ingest with bad files: %v, want exit 1 naming 3 of 6 files", err)
	}
	for _, want := range []string{"bad.json: truncated: the JSON ends at line 1", "future.json: collectedAt", "in the future", "nohost.json: host.host_id: required"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, want := range []string{"a1.json: host host-a (db-17): committed", "a2.json: host host-a (db-17): committed", "b1.json: host host-b (web-3): committed"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "a1.json") > strings.Index(out, "a2.json") {
		t.Errorf("a2 (newer) applied before a1:\n%s", out)
	}

	// Loading the same file again, or an older scan, changes nothing.
	out = mustRun(t, db, "ingest", a1)
	if !strings.Contains(out, "a1.json: host host-a (db-17): duplicate, nothing changed") {
		t.Errorf("re-ingest of an old scan: %s", out)
	}

	t.Run("hosts json", func(t *testing.T) {
		var hosts []view.Host
		if err := json.Unmarshal([]byte(mustRun(t, db, "hosts", "--format", "json")), &hosts); err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 2 || hosts[0].HostID != "host-a" || hosts[0].Hostname != "db-17" || hosts[0].ActiveParts != 5 || hosts[1].HostID != "host-b" {
			t.Fatalf("hosts = %+v", hosts)
		}
		if hosts[0].LastSequence != uint64(t0.Add(24*time.Hour).UnixMicro()) {
			t.Errorf("host-a last sequence %d, want collectedAt of a2 in µs", hosts[0].LastSequence)
		}
	})

	t.Run("micron finds Crucial, Micron and Micron DRAM on Kingston", func(t *testing.T) {
		rows := readCSV(t, mustRun(t, db, "parts", "--vendor", "micron", "--format", "csv"))
		if got := strings.Join(rows[0], ","); got != strings.Join(view.PartCSVHeader, ",") {
			t.Fatalf("CSV header %q", got)
		}
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[4]+":"+r[5]+"/"+r[7])
		}
		want := "DIMM_A1:crucial/ DIMM_A2:micron/micron DIMM_A3:kingston/micron"
		if strings.Join(got, " ") != want {
			t.Errorf("micron parts %v, want %s", got, want)
		}
		if rows[1][12] != fmt.Sprint(32<<30) {
			t.Errorf("CSV size %q, want bytes", rows[1][12])
		}
		rows = readCSV(t, mustRun(t, db, "parts", "--vendor", "micron", "--maker-only", "--format", "csv"))
		if len(rows) != 3 {
			t.Errorf("--maker-only: %d parts, want 2 (Crucial and Micron modules)", len(rows)-1)
		}
	})

	t.Run("table", func(t *testing.T) {
		out := mustRun(t, db, "parts", "--host", "db-17")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 6 || !strings.HasPrefix(lines[0], "HOST") {
			t.Fatalf("parts table:\n%s", out)
		}
		for _, want := range []string{"Crucial (Micron Technology)", "Kingston Technology", "3.84 TB", "32 GiB"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
		// The unidentified module shows "-" as maker, never a guess.
		found := false
		for _, l := range lines {
			if !strings.Contains(l, "XYZ-UNKNOWN") {
				continue
			}
			found = true
			cells := regexp.MustCompile(`\s{2,}`).Split(l, -1)
			if len(cells) < 6 || cells[1] != "db-17" || cells[4] != "-" || cells[5] != "-" {
				t.Errorf("unidentified module's cells %q, want maker and DRAM \"-\"", cells)
			}
		}
		if !found {
			t.Errorf("no line for the unidentified module:\n%s", out)
		}
	})

	t.Run("swap shows as removed and added", func(t *testing.T) {
		rows := readCSV(t, mustRun(t, db, "parts", "--host", "host-a", "--removed=only", "--format", "csv"))
		if len(rows) != 2 || rows[1][10] != "0K1NG001" || rows[0][15] != "removed_at" || rows[1][15] == "" {
			t.Fatalf("removed parts %v, want the first Kingston module with its removal time", rows)
		}
		var events []view.Event
		if err := json.Unmarshal([]byte(mustRun(t, db, "history", "--host", "db-17", "--format", "json")), &events); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range events {
			kinds = append(kinds, e.Kind)
		}
		k := strings.Join(kinds, " ")
		if !strings.HasPrefix(k, "host_enrolled part_added") || !strings.Contains(k, "part_removed") || strings.Count(k, "part_added") != 6 {
			t.Errorf("history kinds %q, want enrolment, 5 parts added, then the swap", k)
		}
		out := mustRun(t, db, "history", "--host", "host-a", "--kind", "part_removed")
		if !strings.Contains(out, "part_removed") || strings.Contains(out, "part_added") {
			t.Errorf("history --kind part_removed:\n%s", out)
		}
	})

	t.Run("labels", func(t *testing.T) {
		out := mustRun(t, db, "label", "db-17", "env=prod", "site-")
		if strings.TrimSpace(out) != "host-a\tdb-17\tenv=prod" {
			t.Errorf("label output %q, want host-a<TAB>db-17<TAB>env=prod (site hidden)", out)
		}
		rows := readCSV(t, mustRun(t, db, "hosts", "--label", "env=prod", "--format", "csv"))
		if len(rows) != 2 || rows[1][0] != "host-a" {
			t.Errorf("hosts --label env=prod: %v", rows)
		}
		rows = readCSV(t, mustRun(t, db, "hosts", "--label", "!env", "--vendor", "samsung", "--format", "csv"))
		if len(rows) != 2 || rows[1][0] != "host-b" {
			t.Errorf("hosts --label !env --vendor samsung: %v", rows)
		}
		out = mustRun(t, db, "history", "--host", "host-a", "--kind", "labels_changed")
		if !strings.Contains(out, "labels_changed") {
			t.Errorf("no labels_changed event:\n%s", out)
		}
		out = mustRun(t, db, "label", "host-a", "site=fra2", "env-")
		if strings.TrimSpace(out) != "host-a\tdb-17\tsite=fra2" {
			t.Errorf("label output %q", out)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"parts", "--host", "nope"}, `no host "nope" in the ledger`},
			{[]string{"parts", "--format", "xml"}, `--format "xml": want table, json or csv`},
			{[]string{"parts", "--kind", "cpu"}, `--kind "cpu": want memory or drive`},
			{[]string{"parts", "--removed=maybe"}, `--removed="maybe"`},
			{[]string{"parts", "--as-of", "yesterday"}, `--as-of: "yesterday"`},
			{[]string{"hosts", "--removed"}, "--removed needs --vendor"},
			{[]string{"hosts", "--label", "a=b,,c"}, "empty"},
			{[]string{"history", "--kind", "exploded"}, `--kind "exploded": not an event kind`},
			{[]string{"label", "host-a", "site"}, `want KEY=VALUE to set a label or KEY- to unset it`},
			{[]string{"label", "host-a", "a=1", "a-"}, `label "a" is both set and unset`},
			{[]string{"label", "host-a", "b c=1"}, "forbidden character"},
			{[]string{"label", "ghost", "a=1"}, `no host "ghost"`},
		}
		for _, tt := range tests {
			_, _, err := runCLI(t, nil, "", append(tt.args, "--db", db)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want an error containing %q", strings.Join(tt.args, " "), err, tt.want)
			}
		}
	})
}

func TestIngestStdin(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	b, err := protojson.Marshal(hostB(time.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, nil, string(b), "ingest", "--db", db, "-")
	if err != nil || !strings.Contains(out, "-: host host-b (web-3): committed") {
		t.Fatalf("ingest -: %q, %v", out, err)
	}
}

// A named pipe nobody writes is a bad file, reported and skipped, not an
// ingest blocked in open(2); nothing reaches the ledger.
func TestIngestNamedPipe(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "ledger.db")
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := runCLI(t, nil, "", "ingest", "--db", db, fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "1 of 1 files not ingested") || cmdutil.ExitCode(err) != 1 {
			t.Errorf("ingest of a named pipe: %v (exit %d), want exit 1", err, cmdutil.ExitCode(err))
		}
	case <-time.After(time.Minute):
		t.Fatal("ingest blocked on a named pipe without a writer")
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ledger after a refused ingest: %v, want none written", err)
	}
}

// A read command on an empty file (a wrong path, a ledger lost to a full
// disk) says there is no ledger rather than writing one into the file and
// reporting an empty fleet.
func TestReadCommandsRefuseAnEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"hosts"}, {"parts"}, {"history"}, {"report"}, {"check"}, {"label", "db-17"}} {
		_, _, err := runCLI(t, nil, "", append(args, "--db", "sqlite:"+path)...)
		if err == nil || !strings.Contains(err.Error(), "no ledger at "+path+": the file is empty") || cmdutil.ExitCode(err) != 1 {
			t.Errorf("%v on an empty file: %v (exit %d), want exit 1 and no ledger", args, err, cmdutil.ExitCode(err))
		}
	}
	if b, err := os.ReadFile(path); err != nil || len(b) != 0 {
		t.Errorf("the empty file after the read commands: %d bytes, %v; want it untouched", len(b), err)
	}
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	return rows
}

// The flag > environment > config file > default precedence, seen through
// which ledger a read command tries to open (none exists, so the error
// names the path it chose).
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "collector.yaml")
	os.WriteFile(cfg, []byte("# collector settings\ndb: sqlite:/from/file.db\nlisten: \":7420\"\n"), 0o644)
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("db: sqlite:/x.db\nlistne: \":1\"\n"), 0o644)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, nil, "no ledger at /var/lib/memledger-collector/ledger.db"},
		{"config file", nil, []string{"--config", cfg}, "no ledger at /from/file.db"},
		{"config file from the environment", map[string]string{"MEMLEDGER_CONFIG": cfg}, nil, "no ledger at /from/file.db"},
		{"environment over file", map[string]string{"MEMLEDGER_DB": "sqlite:/from/env.db"}, []string{"--config", cfg}, "no ledger at /from/env.db"},
		{"flag over environment", map[string]string{"MEMLEDGER_DB": "sqlite:/from/env.db"}, []string{"--config", cfg, "--db", "sqlite:/from/flag.db"}, "no ledger at /from/flag.db"},
		{"unknown key", nil, []string{"--config", badCfg}, `bad.yaml:2: unknown key "listne"`},
		{"bad env value", map[string]string{"MEMLEDGER_LIMIT": "many"}, []string{"--config", cfg}, `environment MEMLEDGER_LIMIT="many"`},
		{"missing config", nil, []string{"--config", filepath.Join(dir, "none.yaml")}, "none.yaml: no such file"},
		{"missing config from the environment", map[string]string{"MEMLEDGER_CONFIG": filepath.Join(dir, "none.yaml")}, nil, "none.yaml: no such file"},
		{"empty MEMLEDGER_CONFIG reads no file", map[string]string{"MEMLEDGER_CONFIG": ""}, nil, "no ledger at /var/lib/memledger-collector/ledger.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCLI(t, tt.env, "", append([]string{"parts"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parts: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// Sizes take one syntax (cliconfig.ByteSize) from every source, and a bad
// one names the flag, variable or file line it came from.
func TestServeSizeErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "collector.yaml")
	os.WriteFile(cfg, []byte("listen: \"127.0.0.1:0\"\nmax-report-bytes: 4 parsecs\n"), 0o644)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"flag", nil, []string{"--max-report-bytes", "lots"}, `invalid argument "lots" for "--max-report-bytes" flag: size "lots": want a positive number of bytes`},
		{"environment", map[string]string{"MEMLEDGER_MAX_INFLIGHT_BYTES": "0"}, nil, `environment MEMLEDGER_MAX_INFLIGHT_BYTES="0": invalid argument "0" for "--max-inflight-bytes" flag: size "0"`},
		{"config file", nil, []string{"--config", cfg}, `collector.yaml:2: max-report-bytes: invalid argument "4 parsecs" for "--max-report-bytes" flag`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--db", "sqlite:" + filepath.Join(dir, "ledger.db")}, tt.args...)
			_, _, err := runCLI(t, tt.env, "", args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve %v: %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// Every command explains itself with an example.
func TestHelpHasExamples(t *testing.T) {
	a := &app{lookupEnv: func(string) (string, bool) { return "", false }}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Long == "" || c.Example == "" {
			t.Errorf("command %q lacks a long description or an example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
	out, _, err := runCLI(t, nil, "", "serve", "--help")
	if err != nil || !strings.Contains(out, "--listen ADDR") || !strings.Contains(out, "Examples:") {
		t.Errorf("serve --help: %v\n%s", err, out)
	}
}
