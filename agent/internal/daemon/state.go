package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/memledger/memledger/internal/fileutil"
)

// state is what the daemon remembers across restarts, in state.json.
type state struct {
	// LastSequence is the sequence of the last report spooled; the next
	// one is send.NextSequence(LastSequence, now).
	LastSequence uint64 `json:"last_sequence"`
	// LastFullDigest is the digest (inventory.Digest) of the last full
	// inventory spooled, and HostID its host: a scan with the same digest
	// becomes a heartbeat.
	LastFullDigest string `json:"last_full_digest,omitempty"`
	HostID         string `json:"host_id,omitempty"`
}

func stateFile(stateDir string) string { return filepath.Join(stateDir, "state.json") }
func spoolDir(stateDir string) string  { return filepath.Join(stateDir, "spool") }

// loadState reads the state file; a missing one is the zero state.
func loadState(path string) (state, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return state{}, nil
	}
	if err != nil {
		return state{}, fmt.Errorf("read state: %w", err)
	}
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return state{}, fmt.Errorf("state file %s: %w", path, err)
	}
	return s, nil
}

// saveState replaces the state file atomically.
func saveState(path string, s state) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return fileutil.WriteAtomic(path, append(data, '\n'), 0o600)
}
