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
