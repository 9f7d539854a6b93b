package cliconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

type testFlags struct {
	db       string
	batchMax int
	wait     time.Duration
	verbose  bool
	labels   []string
}

func newFlagSet(f *testFlags) *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.StringVar(&f.db, "db", "sqlite:/var/lib/memledger/ledger.db", "")
	fs.IntVar(&f.batchMax, "batch-max", 256, "")
	fs.DurationVar(&f.wait, "batch-wait", 0, "")
	fs.BoolVar(&f.verbose, "verbose", false, "")
	fs.StringArrayVar(&f.labels, "label", nil, "")
	fs.String("config", "", "")
	return fs
}

// known accepts the test flags plus "listen", a flag of another command.
func known(k string) bool {
	switch k {
	case "db", "batch-max", "batch-wait", "verbose", "label", "listen":
		return true
	}
	return false
}

func TestEnvName(t *testing.T) {
	for flag, want := range map[string]string{
		"db":                 "MEMLEDGER_DB",
		"batch-max":          "MEMLEDGER_BATCH_MAX",
		"max-inflight-bytes": "MEMLEDGER_MAX_INFLIGHT_BYTES",
	} {
		if got := EnvName(flag); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flag, got, want)
		}
	}
}

func TestPrecedence(t *testing.T) {
	file := "db: sqlite:/srv/file.db\nbatch-max: 64\nbatch-wait: 2ms\nlabel:\n  - site=fra1\n  - role=db\nlisten: \":7420\"\n"
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		file   string
		want   testFlags
		hasErr string
	}{
		{
			name: "defaults",
			want: testFlags{db: "sqlite:/var/lib/memledger/ledger.db", batchMax: 256},
		},
		{
			name: "file over default",
			file: file,
			want: testFlags{db: "sqlite:/srv/file.db", batchMax: 64, wait: 2 * time.Millisecond, labels: []string{"site=fra1", "role=db"}},
		},
		{
			name: "env over file",
			file: file,
			env:  map[string]string{"MEMLEDGER_DB": "postgres://db/ledger", "MEMLEDGER_LABEL": "a=1, b=2", "MEMLEDGER_VERBOSE": "true"},
			want: testFlags{db: "postgres://db/ledger", batchMax: 64, wait: 2 * time.Millisecond, verbose: true, labels: []string{"a=1", "b=2"}},
		},
		{
			name: "flag over env and file",
			file: file,
			args: []string{"--db", "sqlite:/tmp/flag.db", "--label", "x=y"},
			env:  map[string]string{"MEMLEDGER_DB": "postgres://db/ledger", "MEMLEDGER_BATCH_MAX": "9"},
			want: testFlags{db: "sqlite:/tmp/flag.db", batchMax: 9, wait: 2 * time.Millisecond, labels: []string{"x=y"}},
		},
		{
			name: "empty env value is a value",
			env:  map[string]string{"MEMLEDGER_DB": ""},
			want: testFlags{db: "", batchMax: 256},
		},
		{
			name: "null in the file leaves the default",
			file: "db:\n",
			want: testFlags{db: "sqlite:/var/lib/memledger/ledger.db", batchMax: 256},
		},
		{
			name: "comments only",
			file: "# nothing yet\n",
			want: testFlags{db: "sqlite:/var/lib/memledger/ledger.db", batchMax: 256},
		},
		{
			name:   "bad value in the file names file and line",
			file:   "db: x\nbatch-max: lots\n",
			hasErr: `collector.yaml:2: batch-max: invalid argument "lots"`,
		},
		{
			name:   "bad value in the environment names the variable",
			env:    map[string]string{"MEMLEDGER_BATCH_WAIT": "soon"},
			hasErr: `environment MEMLEDGER_BATCH_WAIT="soon"`,
		},
		{
			name:   "list for a single-valued flag",
			file:   "db:\n  - a\n  - b\n",
			hasErr: "collector.yaml:1: db: takes one value, not a list",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testFlags
			fs := newFlagSet(&got)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var f *File
			if tt.file != "" {
				var err error
				f, err = Parse("collector.yaml", []byte(tt.file), knownKeys)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			err := Apply(fs, f, lookup)
			if tt.hasErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.hasErr) {
					t.Fatalf("Apply error = %v, want it to contain %q", err, tt.hasErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("flags = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown key", "db: x\n\nlisten: :1\nbatch-maxx: 3\n", `collector.yaml:4: unknown key "batch-maxx"`},
		{"config key is not allowed", "config: other.yaml\n", `collector.yaml:1: unknown key "config"`},
		{"duplicate key", "db: a\nverbose: true\ndb: b\n", `collector.yaml:3: key "db" already set on line 1`},
		{"not a mapping", "- db\n- x\n", "collector.yaml:1: want a mapping"},
		{"nested mapping", "db:\n  path: x\n", "collector.yaml:2: db: want a value or a list"},
		{"list of mappings", "label:\n  - a: b\n", "collector.yaml:2: label: list items must be plain values"},
		{"bad yaml", "db: [unclosed\n", "config file collector.yaml: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("collector.yaml", []byte(tt.file), knownKeys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("db: sqlite:x.db\nlisten: 127.0.0.1:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path, knownKeys)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Keys(), ","); got != "db,listen" {
		t.Errorf("Keys = %q, want db,listen", got)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), knownKeys); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load of a missing file = %v, want an error naming it", err)
	}
	// A wrong file is refused by its size, not read whole: a sparse file
	// stands in for /dev/zero or a disk image.
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, maxConfigBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, knownKeys); err == nil || !strings.Contains(err.Error(), big+": larger than 1 MiB") {
		t.Errorf("Load of a file over the limit = %v, want an error naming it and the limit", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("db: sqlite:/x\nlabel: [a=b, c=d]\n"))
	f.Add([]byte("listen: :7420\nbatch-max: 12\n# c\n"))
	f.Add([]byte("- a\n"))
	f.Add([]byte("db: &a x\nlisten: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data, knownKeys)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		var got testFlags
		_ = Apply(newFlagSet(&got), file, nil) // must not panic
	})
}

var knownKeys = Known{Key: known, Hint: "keys are the test's flag names"}

// Resolve picks the file: --config, else MEMLEDGER_CONFIG, else the
// flag's default, which alone may be missing; "" in either reads none.
func TestResolveChoosesFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dflt := write("default.yaml", "db: sqlite:/from/default.db\n")
	flagFile := write("flag.yaml", "db: sqlite:/from/flag-file.db\n")
	envFile := write("env.yaml", "db: sqlite:/from/env-file.db\n")
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name     string
		dflt     string
		args     []string
		env      map[string]string
		wantFile string
		wantDB   string
		wantErr  string
	}{
		{name: "no default file", wantDB: "sqlite:/var/lib/memledger/ledger.db"},
		{name: "default file", dflt: dflt, wantFile: dflt, wantDB: "sqlite:/from/default.db"},
		{name: "missing default file is fine", dflt: missing, wantDB: "sqlite:/var/lib/memledger/ledger.db"},
		{name: "env names the file", dflt: dflt, env: map[string]string{"MEMLEDGER_CONFIG": envFile}, wantFile: envFile, wantDB: "sqlite:/from/env-file.db"},
		{name: "flag over env", dflt: dflt, args: []string{"--config", flagFile}, env: map[string]string{"MEMLEDGER_CONFIG": envFile}, wantFile: flagFile, wantDB: "sqlite:/from/flag-file.db"},
		{name: "empty env reads no file", dflt: dflt, env: map[string]string{"MEMLEDGER_CONFIG": ""}, wantDB: "sqlite:/var/lib/memledger/ledger.db"},
		{name: "empty flag reads no file", dflt: dflt, args: []string{"--config", ""}, env: map[string]string{"MEMLEDGER_CONFIG": envFile}, wantDB: "sqlite:/var/lib/memledger/ledger.db"},
		{name: "env var over the file", args: []string{"--config", flagFile}, env: map[string]string{"MEMLEDGER_DB": "sqlite:/from/env.db"}, wantFile: flagFile, wantDB: "sqlite:/from/env.db"},
		{name: "flag over env var and file", args: []string{"--config", flagFile, "--db", "sqlite:/from/flag.db"}, env: map[string]string{"MEMLEDGER_DB": "sqlite:/from/env.db"}, wantFile: flagFile, wantDB: "sqlite:/from/flag.db"},
		{name: "flag names a missing file", args: []string{"--config", missing}, wantErr: "missing.yaml"},
		{name: "env names a missing file", env: map[string]string{"MEMLEDGER_CONFIG": missing}, wantErr: "missing.yaml"},
		{name: "unknown key in the default file", dflt: write("typo.yaml", "db: x\nlistne: y\n"), wantErr: `typo.yaml:2: unknown key "listne" (keys are the test's flag names)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testFlags
			fs := newFlagSet(&got)
			// The binary's default file is --config's default value.
			if err := fs.Lookup(ConfigFlag).Value.Set(tt.dflt); err != nil {
				t.Fatal(err)
			}
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			file, err := Resolve(fs, knownKeys, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if file != tt.wantFile || got.db != tt.wantDB {
				t.Errorf("Resolve read %q, db = %q; want %q, %q", file, got.db, tt.wantFile, tt.wantDB)
			}
		})
	}
}

// A bad size names where it came from: flag, variable or file:line.
func TestByteSizeErrorsNameTheSource(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sizes.yaml")
	if err := os.WriteFile(cfg, []byte("db: x\nmax-bytes: 12 parsecs\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := Known{Key: func(k string) bool { return k == "db" || k == "max-bytes" }, Hint: "test"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag", []string{"--max-bytes", "lots"}, nil, `invalid argument "lots" for "--max-bytes" flag: size "lots": want a positive number of bytes`},
		{"env", nil, map[string]string{"MEMLEDGER_MAX_BYTES": "0"}, `environment MEMLEDGER_MAX_BYTES="0": invalid argument "0" for "--max-bytes" flag: size "0": want a positive number`},
		{"file", []string{"--config", cfg}, nil, `sizes.yaml:2: max-bytes: invalid argument "12 parsecs" for "--max-bytes" flag: size "12 parsecs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			fs.String(ConfigFlag, "", "")
			fs.String("db", "", "")
			size := ByteSize(1 << 20)
			fs.Var(&size, "max-bytes", "")
			err := fs.Parse(tt.args)
			if err == nil {
				_, err = Resolve(fs, keys, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if size != 1<<20 {
				t.Errorf("a bad size changed the value to %d", size)
			}
		})
	}
}
