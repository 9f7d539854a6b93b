package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnrollCommandRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no trust anchor", []string{"--token", "t", "--host-id", "h"}, "no way to trust the collector"},
		{"insecure", []string{"--token", "t", "--host-id", "h", "--insecure", "--ca-sha256", strings.Repeat("ab", 32)}, "enroll always uses TLS"},
		{"no token", []string{"--host-id", "h", "--ca-sha256", strings.Repeat("ab", 32)}, "enrollment token: empty"},
		{"bad pin", []string{"--token", "t", "--host-id", "h", "--ca-sha256", "abc"}, "want 64 hex digits"},
		{"bad host id", []string{"--token", "t", "--host-id", " h", "--ca-sha256", strings.Repeat("ab", 32)}, "host id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			cmd := newEnrollCommand(&out, &errOut)
			cmd.SetArgs(append([]string{"--config", "", "--state-dir", t.TempDir(), "--collector", "127.0.0.1:1"}, tc.args...))
			err := cmd.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("enroll %v: %v, want %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestMachineID(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"systemd", map[string]string{"etc/machine-id": "4c4c4544004235108052b4c04f4d4e32\n"}, "4c4c4544004235108052b4c04f4d4e32"},
		{"dbus fallback", map[string]string{"etc/machine-id": "\n", "var/lib/dbus/machine-id": "abc\n"}, "abc"},
		{"none", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for p, c := range tc.files {
				if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := machineID(root)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "--host-id") {
					t.Fatalf("machineID = %q, %v; want an error naming --host-id", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("machineID = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
