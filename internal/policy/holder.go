package policy

import (
	"fmt"
	"sync/atomic"
)

// Holder keeps the policy in force for a long-running process and reloads
// it from its file on request (e.g. on SIGHUP). A reload that fails leaves
// the previous policy in force, so a typo never switches enforcement off.
// It is safe for concurrent use.
type Holder struct {
	path string
	cur  atomic.Pointer[Policy]
}

// NewHolder loads the policy file at path.
func NewHolder(path string) (*Holder, error) {
	h := &Holder{path: path}
	if err := h.Reload(); err != nil {
		return nil, err
	}
	return h, nil
}

// Policy returns the policy in force. Callers keep the returned value for a
// whole evaluation so that a concurrent reload cannot mix two policies.
func (h *Holder) Policy() *Policy { return h.cur.Load() }

// Reload reads the file again and puts it in force when it is valid. On
// error the previous policy stays in force and the error says why.
func (h *Holder) Reload() error {
	p, err := LoadFile(h.path)
	if err != nil {
		if h.cur.Load() != nil {
			return fmt.Errorf("policy not reloaded, previous policy stays in force: %w", err)
		}
		return err
	}
	h.cur.Store(p)
	return nil
}
