// Package spool is the agent's durable outbox: every report is written to
// disk before it is sent and removed only once the collector acknowledges
// it, so reports survive collector outages, agent restarts and crashes.
//
// Layout: one file per report in the spool directory, named
// "<sequence>.full.pb" or "<sequence>.hb.pb" (the sequence zero-padded to 20
// digits so that names sort by sequence), holding the marshalled
// memledger.v1.ReportRequest. Files are written atomically (temporary file,
// fsync, rename, fsync of the directory). On Open every entry is loaded and
// validated; one that does not decode, or whose content disagrees with its
// name, is moved to quarantine/ with a warning instead of stopping the agent.
//
// The spool is bounded (MaxEntries, MaxBytes). When a new report does not
// fit, the oldest heartbeats are dropped first; then, only to admit a newer
// full inventory, older full inventories (a newer full supersedes them). The
// newest full inventory is never dropped to admit a heartbeat.
//
// When the disk refuses a write (ENOSPC, EACCES, read-only), the report is
// still queued in memory and Put returns the error, so that the caller can
// log it and keep sending: nothing is lost until the process exits.
package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/lazyregexp"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// Kind is what a report carries.
type Kind int

const (
	// Full is a report with a whole inventory.
	Full Kind = iota + 1
	// Heartbeat is a report with an inventory digest only.
	Heartbeat
)

func (k Kind) String() string {
	switch k {
	case Full:
		return "full"
	case Heartbeat:
		return "hb"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// KindOf returns the kind of req, or an error when it has no body.
func KindOf(req *memledgerv1.ReportRequest) (Kind, error) {
	switch req.GetBody().(type) {
	case *memledgerv1.ReportRequest_Inventory:
		return Full, nil
	case *memledgerv1.ReportRequest_Heartbeat:
		return Heartbeat, nil
	}
	return 0, errors.New("report has neither an inventory nor a heartbeat")
}

// QuarantineDir is the subdirectory corrupt entries are moved to.
const QuarantineDir = "quarantine"

// Defaults for Options.
const (
	DefaultMaxEntries = 1000
	DefaultMaxBytes   = 64 << 20
)

// Writer writes one file durably. The default writes atomically with fsync
// of the file and its directory; tests substitute one that fails with
// ENOSPC or EACCES.
type Writer interface {
	WriteFile(path string, data []byte) error
	Remove(path string) error
}

// Options configure a Spool. Zero fields take the defaults.
type Options struct {
	// MaxEntries bounds the number of reports held (DefaultMaxEntries).
	MaxEntries int
	// MaxBytes bounds the total encoded size of the reports held
	// (DefaultMaxBytes).
	MaxBytes int64
	// Writer writes and removes entry files (an fsyncing one by default).
	Writer Writer
	// Logger receives warnings (quarantined or dropped entries); nil
	// discards them.
	Logger *slog.Logger
}

// Entry is one spooled report.
type Entry struct {
	Sequence uint64
	Kind     Kind
	// Size is the encoded size in bytes.
	Size int64
	// Durable is false when the report is held in memory only, because
	// the disk refused it.
	Durable bool
	Report  *memledgerv1.ReportRequest
}

// Spool is safe for concurrent use.
type Spool struct {
	dir  string
	opts Options

	mu      sync.Mutex
	entries []Entry // sorted by sequence
	bytes   int64
}

// ErrTooLarge is returned by Put for a report larger than MaxBytes alone.
var ErrTooLarge = errors.New("report larger than the spool's byte limit")

// nameRE matches entry file names.
var nameRE = lazyregexp.New(`^([0-9]{20})\.(full|hb)\.pb$`)

// FileName returns the file name of entry seq of kind k.
func FileName(seq uint64, k Kind) string {
	return fmt.Sprintf("%020d.%s.pb", seq, k)
}

// Open opens (creating it when missing) the spool in dir and loads its
// entries. Corrupt entries are quarantined with a warning; leftover
// temporary files of an interrupted write are removed. It fails only when
// dir cannot be created or listed.
func Open(dir string, opts Options) (*Spool, error) {
	s, err := newSpool(dir, opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool directory %s: %w", dir, err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool directory %s: %w", dir, err)
	}
	for _, de := range des {
		name := de.Name()
		if de.IsDir() {
			continue
		}
		if len(name) > 0 && name[0] == '.' {
			// A temporary file of a write that never finished: the
			// report it held was never acknowledged as spooled.
			os.Remove(filepath.Join(dir, name))
			continue
		}
		path := filepath.Join(dir, name)
		e, err := loadEntry(path, name)
		if err != nil {
			s.quarantine(path, name, err)
			continue
		}
		s.entries = append(s.entries, e)
		s.bytes += e.Size
	}
	sort.Slice(s.entries, func(i, j int) bool { return s.entries[i].Sequence < s.entries[j].Sequence })
	return s, nil
}

func newSpool(dir string, opts Options) (*Spool, error) {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Writer == nil {
		opts.Writer = fsyncWriter{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Spool{dir: dir, opts: opts}, nil
}

// loadEntry reads and validates one entry file.
func loadEntry(path, name string) (Entry, error) {
	m := nameRE.FindStringSubmatch(name)
	if m == nil {
		return Entry{}, fmt.Errorf("file name %q is not <20-digit sequence>.{full,hb}.pb", name)
	}
	seq, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return Entry{}, fmt.Errorf("file name %q: sequence: %w", name, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Entry{}, fmt.Errorf("read: %w", err)
	}
	req, kind, err := Decode(data)
	if err != nil {
		return Entry{}, err
	}
	if req.GetSequence() != seq {
		return Entry{}, fmt.Errorf("report sequence %d does not match its file name %q", req.GetSequence(), name)
	}
	if kind.String() != m[2] {
		return Entry{}, fmt.Errorf("report is a %s report but its file name %q says %s", kind, name, m[2])
	}
	return Entry{Sequence: seq, Kind: kind, Size: int64(len(data)), Durable: true, Report: req}, nil
}

// Decode decodes and checks one spooled report: it must unmarshal, carry a
// host id, a non-zero sequence and a body.
func Decode(data []byte) (*memledgerv1.ReportRequest, Kind, error) {
	req := &memledgerv1.ReportRequest{}
	if err := proto.Unmarshal(data, req); err != nil {
		return nil, 0, fmt.Errorf("decode report (%d bytes): %w", len(data), err)
	}
	if req.GetSequence() == 0 {
		return nil, 0, errors.New("report has sequence 0")
	}
	if req.GetHostId() == "" {
		return nil, 0, fmt.Errorf("report %d has no host id", req.GetSequence())
	}
	kind, err := KindOf(req)
	if err != nil {
		return nil, 0, fmt.Errorf("report %d: %w", req.GetSequence(), err)
	}
	return req, kind, nil
}

// quarantine moves a corrupt entry aside, so it is kept for inspection but
// never sent; failing that, it is removed.
func (s *Spool) quarantine(path, name string, cause error) {
	qdir := filepath.Join(s.dir, QuarantineDir)
	dst := filepath.Join(qdir, name)
	err := os.MkdirAll(qdir, 0o700)
	if err == nil {
		err = os.Rename(path, dst)
	}
	if err != nil {
		s.opts.Logger.Warn("spool_entry_corrupt_removed", "file", path, "reason", cause.Error(), "quarantine_error", err.Error())
		os.Remove(path)
		return
	}
	s.opts.Logger.Warn("spool_entry_quarantined", "file", path, "moved_to", dst, "reason", cause.Error())
}

// Dir returns the spool directory.
func (s *Spool) Dir() string { return s.dir }

// Put spools req before it is sent. It first makes room under the bounds
// (see the package comment), then writes the entry. When the write fails
// the report is still queued in memory (Entry.Durable false) and the write
// error is returned: the caller logs it and sends anyway. ErrTooLarge and
// an invalid report are the only errors after which nothing is queued.
func (s *Spool) Put(req *memledgerv1.ReportRequest) (Entry, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return Entry{}, fmt.Errorf("spool report %d: encode: %w", req.GetSequence(), err)
	}
	req, kind, err := Decode(data) // own copy, validated as Open would
	if err != nil {
		return Entry{}, fmt.Errorf("spool: %w", err)
	}
	e := Entry{Sequence: req.GetSequence(), Kind: kind, Size: int64(len(data)), Report: req}
	if e.Size > s.opts.MaxBytes {
		return Entry{}, fmt.Errorf("spool report %d (%d bytes, limit %d): %w", e.Sequence, e.Size, s.opts.MaxBytes, ErrTooLarge)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.entries {
		if s.entries[i].Sequence == e.Sequence {
			return Entry{}, fmt.Errorf("spool report %d: sequence already spooled", e.Sequence)
		}
	}
	if !s.makeRoom(e) {
		return Entry{}, fmt.Errorf("spool report %d: no room without dropping the newest full inventory (limits %d entries, %d bytes)", e.Sequence, s.opts.MaxEntries, s.opts.MaxBytes)
	}
	werr := s.opts.Writer.WriteFile(filepath.Join(s.dir, FileName(e.Sequence, e.Kind)), data)
	e.Durable = werr == nil
	idx := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].Sequence > e.Sequence })
	s.entries = append(s.entries, Entry{})
	copy(s.entries[idx+1:], s.entries[idx:])
	s.entries[idx] = e
	s.bytes += e.Size
	if werr != nil {
		return e, fmt.Errorf("spool report %d to %s (held in memory only until sent): %w", e.Sequence, s.dir, werr)
	}
	return e, nil
}

// fits reports whether n more entries of size more bytes fit.
func (s *Spool) fits(more int64) bool {
	return len(s.entries)+1 <= s.opts.MaxEntries && s.bytes+more <= s.opts.MaxBytes
}

// makeRoom drops entries until e fits: oldest heartbeats first, then (for
// a full e only) the oldest full inventories. It reports whether e fits.
// Called with mu held.
func (s *Spool) makeRoom(e Entry) bool {
	for !s.fits(e.Size) {
		victim := -1
		for i, x := range s.entries {
			if x.Kind == Heartbeat {
				victim = i
				break
			}
		}
		if victim < 0 && e.Kind == Full {
			for i, x := range s.entries {
				if x.Kind == Full {
					victim = i
					break
				}
			}
		}
		if victim < 0 {
			return false
		}
		s.dropLocked(victim, "spool full")
	}
	return true
}

// dropLocked removes entry i unsent. Called with mu held.
func (s *Spool) dropLocked(i int, why string) {
	x := s.entries[i]
	s.opts.Logger.Warn("spool_entry_dropped", "sequence", x.Sequence, "kind", x.Kind.String(), "reason", why)
	if x.Durable {
		if err := s.opts.Writer.Remove(filepath.Join(s.dir, FileName(x.Sequence, x.Kind))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.opts.Logger.Warn("spool_remove_failed", "sequence", x.Sequence, "error", err.Error())
		}
	}
	s.bytes -= x.Size
	s.entries = append(s.entries[:i], s.entries[i+1:]...)
}

// Pending returns the reports not yet acknowledged, oldest first.
func (s *Spool) Pending() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.entries...)
}

// Len returns the number of reports held.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// MaxSequence returns the highest sequence held, 0 when empty.
func (s *Spool) MaxSequence() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return 0
	}
	return s.entries[len(s.entries)-1].Sequence
}

// Ack forgets report seq: the collector acknowledged it. Acknowledging a
// sequence not held is not an error (it was dropped meanwhile). A failure
// to remove the file is returned; the entry is forgotten in memory anyway,
// and if the file survives it is sent again after a restart, which the
// collector answers DUPLICATE.
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.entries {
		if x.Sequence != seq {
			continue
		}
		s.bytes -= x.Size
		s.entries = append(s.entries[:i], s.entries[i+1:]...)
		if !x.Durable {
			return nil
		}
		if err := s.opts.Writer.Remove(filepath.Join(s.dir, FileName(x.Sequence, x.Kind))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("spool: forget acknowledged report %d: %w", seq, err)
		}
		return nil
	}
	return nil
}

// fsyncWriter writes entries atomically and durably.
type fsyncWriter struct{}

func (fsyncWriter) WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return fileutil.SyncDir(dir)
}

func (fsyncWriter) Remove(path string) error {
	if err := os.Remove(path); err != nil {
		return err
	}
	return fileutil.SyncDir(filepath.Dir(path))
}

// Quarantine moves report seq aside unsent, with a warning naming why: the
// collector rejected it as malformed, and sending it again would block
// every report behind it.
func (s *Spool) Quarantine(seq uint64, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.entries {
		if x.Sequence != seq {
			continue
		}
		s.bytes -= x.Size
		s.entries = append(s.entries[:i], s.entries[i+1:]...)
		if x.Durable {
			name := FileName(x.Sequence, x.Kind)
			s.quarantine(filepath.Join(s.dir, name), name, errors.New(reason))
		} else {
			s.opts.Logger.Warn("spool_entry_discarded", "sequence", seq, "reason", reason)
		}
		return
	}
}

// NewMemory returns a spool that holds reports in memory only, for when
// the spool directory cannot be used at all: every Put queues the report
// and returns an error saying it is not durable.
func NewMemory(opts Options, why error) *Spool {
	s, _ := newSpool("", opts)
	s.opts.Writer = memoryOnly{why: why}
	return s
}

type memoryOnly struct{ why error }

func (m memoryOnly) WriteFile(string, []byte) error {
	return fmt.Errorf("no usable spool directory: %w", m.why)
}
func (memoryOnly) Remove(string) error { return nil }
