package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestHolderReload walks a policy file through good and bad edits: a bad
// file (or a missing one) never replaces the policy in force.
func TestHolderReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(h *Holder) string { return strings.Join(h.Policy().RuleIDs(), ",") }

	write(restrictPolicy)
	h, err := NewHolder(path)
	if err != nil {
		t.Fatalf("NewHolder: %v", err)
	}
	first := h.Policy()

	steps := []struct {
		name    string
		src     string // "" removes the file
		wantErr string // substring; "" for success
		wantIDs string
	}{
		{"good edit is put in force", waiverPolicy, "", "cac-micron,other"},
		{"unknown slug keeps the previous policy", strings.Replace(waiverPolicy, "[samsung]", "[samsnug]", 1),
			path + `:10: rule "other": match.vendors: unknown vendor slug "samsnug"`, "cac-micron,other"},
		{"syntax error keeps the previous policy", "rules: [\n", path + ":2: YAML syntax: did not find expected node content", "cac-micron,other"},
		{"missing file keeps the previous policy", "", "no such file", "cac-micron,other"},
		{"a fixed file is put in force", denyPolicy, "", "ndaa-5949"},
	}
	for _, st := range steps {
		if st.src == "" {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		} else {
			write(st.src)
		}
		before := h.Policy()
		err := h.Reload()
		switch {
		case st.wantErr == "" && err != nil:
			t.Errorf("%s: Reload: %v", st.name, err)
		case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
			t.Errorf("%s: Reload error %v, want one containing %q", st.name, err, st.wantErr)
		case st.wantErr != "" && h.Policy() != before:
			t.Errorf("%s: a failed reload replaced the policy", st.name)
		case st.wantErr != "" && !strings.Contains(err.Error(), "previous policy stays in force"):
			t.Errorf("%s: error %q does not say the previous policy stays", st.name, err)
		}
		if got := ids(h); got != st.wantIDs {
			t.Errorf("%s: rules in force %s, want %s", st.name, got, st.wantIDs)
		}
	}
	if !slices.Equal(first.RuleIDs(), []string{"cac-micron"}) {
		t.Errorf("a reload changed an earlier policy value: %v", first.RuleIDs())
	}
}

func TestNewHolderBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if _, err := NewHolder(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHolder(path); err == nil || err.Error() != path+":1: policy has no rules (rules is an empty list)" {
		t.Errorf("bad file: %v", err)
	}
	// A wrong file is refused by its size, not read whole: a sparse file
	// stands in for /dev/zero or a disk image.
	if err := os.Truncate(path, maxPolicyBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := NewHolder(path); err == nil || !strings.Contains(err.Error(), path+": larger than 16 MiB") {
		t.Errorf("file over the limit: %v, want an error naming it and the limit", err)
	}
}

// TestHolderConcurrent evaluates while the policy is reloaded; run with
// -race it checks that readers never see a half-built policy.
func TestHolderConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(restrictPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := NewHolder(path)
	if err != nil {
		t.Fatal(err)
	}
	part := micronModule(t)
	asOf := day(t, "2024-06-01")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if fs := h.Policy().Evaluate(part, asOf, EvalOptions{}); len(fs) != 1 || fs[0].Status != StatusViolation {
					t.Errorf("findings %+v", fs)
					return
				}
			}
		}()
	}
	for i := range 20 {
		src := restrictPolicy
		if i%2 == 1 {
			src = strings.Replace(restrictPolicy, "cac-micron", "cac-micron-v2", 1)
		}
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := h.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
