package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what Check reports instead of failing
// the test that runs it.
type recorder struct {
	testing.TB
	errors, fatals []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("host db-17\nmaker Micron\nslots 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := &recorder{TB: t}
	Check(r, path, []byte("host db-17\nmaker Micron\nslots 2\n"))
	if len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("equal output reported: %q %q", r.errors, r.fatals)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("host db-17\nmaker Samsung\nslots 2\n"))
	if len(r.errors) != 1 {
		t.Fatalf("changed output: %d errors, want 1 (%q)", len(r.errors), r.errors)
	}
	for _, want := range []string{"-maker Micron", "+maker Samsung", "-update", path} {
		if !strings.Contains(r.errors[0], want) {
			t.Errorf("report lacks %q:\n%s", want, r.errors[0])
		}
	}
	if strings.Contains(r.errors[0], "-host db-17") {
		t.Errorf("report marks an unchanged line as removed:\n%s", r.errors[0])
	}

	r = &recorder{TB: t}
	Check(r, filepath.Join(dir, "missing.txt"), []byte("x\n"))
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "-update") {
		t.Errorf("missing golden file: fatals %q, want one naming -update", r.fatals)
	}
}

func TestCheckUpdateWrites(t *testing.T) {
	defer func(old bool) { *update = old }(*update)
	*update = true
	path := filepath.Join(t.TempDir(), "new", "out.json")
	Check(t, path, []byte("{}\n"))
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "{}\n" {
		t.Errorf("-update wrote %q, %v", got, err)
	}
}
