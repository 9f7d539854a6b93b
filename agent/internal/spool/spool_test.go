package spool

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

func full(seq uint64) *memledgerv1.ReportRequest {
	return &memledgerv1.ReportRequest{
		HostId: "h1", Sequence: seq,
		Body: &memledgerv1.ReportRequest_Inventory{Inventory: &memledgerv1.Inventory{
			Host:          &memledgerv1.Host{HostId: "h1", Hostname: "db-1"},
			MemoryModules: []*memledgerv1.MemoryModule{{Locator: "DIMM A1", SerialNumber: "0x1234", PartNumber: "MTA18ASF2G72PDZ-3G2"}},
		}},
		SentAt: timestamppb.New(time.Unix(1700000000, 0)),
	}
}

func hb(seq uint64) *memledgerv1.ReportRequest {
	return &memledgerv1.ReportRequest{
		HostId: "h1", Sequence: seq,
		Body: &memledgerv1.ReportRequest_Heartbeat{Heartbeat: &memledgerv1.Heartbeat{InventoryDigest: strings.Repeat("ab", 32)}},
	}
}

func seqs(es []Entry) []uint64 {
	var s []uint64
	for _, e := range es {
		s = append(s, e.Sequence)
	}
	return s
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustPut(t *testing.T, s *Spool, r *memledgerv1.ReportRequest) {
	t.Helper()
	if _, err := s.Put(r); err != nil {
		t.Fatalf("Put(%d): %v", r.GetSequence(), err)
	}
}

// Entries come back in sequence order after a reopen, acknowledged ones
// are gone from disk, and the files are named by sequence and kind.
func TestPutAckReopenOrder(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*memledgerv1.ReportRequest{hb(30), full(10), hb(20), full(40)} {
		mustPut(t, s, r)
	}
	if got := seqs(s.Pending()); !equal(got, []uint64{10, 20, 30, 40}) {
		t.Fatalf("pending %v, want sorted 10 20 30 40", got)
	}
	if err := s.Ack(20); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(999); err != nil {
		t.Fatalf("Ack of an unknown sequence: %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName(20, Heartbeat))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("acknowledged entry still on disk: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "00000000000000000040.full.pb")); err != nil {
		t.Fatalf("entry file: %v", err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := s2.Pending()
	if got := seqs(p); !equal(got, []uint64{10, 30, 40}) {
		t.Fatalf("after reopen: pending %v, want 10 30 40", got)
	}
	if !proto.Equal(p[0].Report, full(10)) || p[0].Kind != Full || !p[0].Durable {
		t.Errorf("reloaded entry differs: %+v", p[0])
	}
	if s2.MaxSequence() != 40 || s2.Len() != 3 {
		t.Errorf("MaxSequence %d Len %d, want 40 and 3", s2.MaxSequence(), s2.Len())
	}
	if _, err := s2.Put(hb(30)); err == nil {
		t.Error("Put of a sequence already spooled succeeded")
	}
}

// The bounds drop the oldest heartbeats first, then older full inventories
// only to admit a newer full; never the newest full for a heartbeat.
func TestBounds(t *testing.T) {
	tests := []struct {
		name       string
		maxEntries int
		puts       []*memledgerv1.ReportRequest
		wantErrAt  int // index of the Put expected to fail; -1 none
		want       []uint64
	}{
		{"heartbeats dropped oldest first", 3, []*memledgerv1.ReportRequest{full(1), hb(2), hb(3), hb(4), hb(5)}, -1, []uint64{1, 4, 5}},
		{"full admitted by dropping heartbeats", 3, []*memledgerv1.ReportRequest{full(1), hb(2), hb(3), full(4)}, -1, []uint64{1, 3, 4}},
		{"newer full supersedes older full", 2, []*memledgerv1.ReportRequest{full(1), full(2), full(3)}, -1, []uint64{2, 3}},
		{"heartbeats go before any full", 2, []*memledgerv1.ReportRequest{full(1), hb(2), full(3), full(4)}, -1, []uint64{3, 4}},
		{"newest full never dropped for a heartbeat", 1, []*memledgerv1.ReportRequest{full(1), hb(2)}, 1, []uint64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{MaxEntries: tt.maxEntries})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range tt.puts {
				_, err := s.Put(r)
				if (err != nil) != (i == tt.wantErrAt) {
					t.Fatalf("Put #%d (seq %d): err %v, want error: %v", i, r.GetSequence(), err, i == tt.wantErrAt)
				}
			}
			if got := seqs(s.Pending()); !equal(got, tt.want) {
				t.Fatalf("pending %v, want %v", got, tt.want)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.pb"))
			if len(files) != len(tt.want) {
				t.Errorf("%d files on disk (%v), want %d: dropped entries must be removed", len(files), files, len(tt.want))
			}
		})
	}
}

func TestByteBound(t *testing.T) {
	size := int64(proto.Size(hb(2)))
	s, err := Open(t.TempDir(), Options{MaxBytes: int64(proto.Size(full(1))) + 2*size})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*memledgerv1.ReportRequest{full(1), hb(2), hb(3), hb(4)} {
		mustPut(t, s, r)
	}
	if got := seqs(s.Pending()); !equal(got, []uint64{1, 3, 4}) {
		t.Fatalf("pending %v, want 1 3 4", got)
	}
	tiny, _ := Open(t.TempDir(), Options{MaxBytes: 10})
	if _, err := tiny.Put(full(1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put of an oversized report: %v, want ErrTooLarge", err)
	}
}

// A corrupt, truncated, mislabelled or foreign entry is quarantined with a
// warning on Open; the good ones load; temp files of a torn write vanish.
func TestCorruptEntriesQuarantined(t *testing.T) {
	dir := t.TempDir()
	good, _ := proto.Marshal(full(5))
	hbData, _ := proto.Marshal(hb(6))
	files := map[string][]byte{
		FileName(5, Full):                   good,
		FileName(7, Full):                   good[:len(good)/2], // truncated
		FileName(8, Full):                   []byte("\xff\xff\xff garbage"),
		FileName(9, Heartbeat):              good, // sequence 5 inside
		FileName(6, Full):                   hbData,
		"notes.txt":                         []byte("hello"),
		"." + FileName(11, Full) + ".tmp-1": good,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var log strings.Builder
	s, err := Open(dir, Options{Logger: newTextLogger(&log)})
	if err != nil {
		t.Fatalf("Open with corrupt entries: %v (must not be fatal)", err)
	}
	if got := seqs(s.Pending()); !equal(got, []uint64{5}) {
		t.Fatalf("pending %v, want only the good entry 5", got)
	}
	for _, name := range []string{FileName(7, Full), FileName(8, Full), FileName(9, Heartbeat), FileName(6, Full), "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, QuarantineDir, name)); err != nil {
			t.Errorf("%s not quarantined: %v", name, err)
		}
		if !strings.Contains(log.String(), name) {
			t.Errorf("no warning names %s; log:\n%s", name, log.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "."+FileName(11, Full)+".tmp-1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file of a torn write survived Open: %v", err)
	}
	for _, want := range []string{"does not match its file name", "decode report"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// failWriter fails every write with err, like a full disk.
type failWriter struct {
	err     error
	removed []string
}

func (w *failWriter) WriteFile(path string, _ []byte) error {
	return &os.PathError{Op: "write", Path: path, Err: w.err}
}

func (w *failWriter) Remove(path string) error {
	w.removed = append(w.removed, path)
	return os.Remove(path)
}

// ENOSPC or EACCES on write: Put says so clearly, the report is still
// queued in memory, and acknowledging it works.
func TestWriteFailureKeepsReportInMemory(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EACCES, syscall.EROFS} {
		t.Run(errno.Error(), func(t *testing.T) {
			w := &failWriter{err: errno}
			s, err := Open(t.TempDir(), Options{Writer: w})
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.Put(full(3))
			if !errors.Is(err, errno) || !strings.Contains(err.Error(), "memory") || !strings.Contains(err.Error(), "report 3") {
				t.Fatalf("Put error %v: want %v naming the report and saying it is held in memory", err, errno)
			}
			if e.Durable {
				t.Error("entry claims to be durable")
			}
			if got := seqs(s.Pending()); !equal(got, []uint64{3}) {
				t.Fatalf("pending %v, want the in-memory report 3", got)
			}
			if err := s.Ack(3); err != nil {
				t.Fatal(err)
			}
			if s.Len() != 0 || len(w.removed) != 0 {
				t.Errorf("after ack: %d pending, removed files %v; want none and no removal", s.Len(), w.removed)
			}
		})
	}
}

// A spool directory that cannot be created gives a clear error.
func TestUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(parent, 0o700) })
	_, err := Open(filepath.Join(parent, "spool"), Options{})
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "spool directory") {
		t.Fatalf("Open under a read-only dir: %v, want a permission error naming the spool directory", err)
	}
	// An existing but read-only spool opens; writes fail, reports stay in memory.
	ro := filepath.Join(t.TempDir(), "spool")
	os.Mkdir(ro, 0o700)
	s, err := Open(ro, Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(ro, 0o500)
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	if _, err := s.Put(hb(1)); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("Put into a read-only spool: %v, want permission error", err)
	}
	if s.Len() != 1 {
		t.Fatalf("report not held in memory")
	}
}

func FuzzDecode(f *testing.F) {
	for _, r := range []*memledgerv1.ReportRequest{full(1), hb(2), {HostId: "x", Sequence: 3}} {
		b, _ := proto.Marshal(r)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("\x10\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, kind, err := Decode(data)
		if err != nil {
			if req != nil {
				t.Fatal("error with a report")
			}
			return
		}
		if req.GetSequence() == 0 || req.GetHostId() == "" || (kind != Full && kind != Heartbeat) {
			t.Fatalf("accepted an invalid report: %v %v", req, kind)
		}
	})
}

func TestQuarantineAndMemory(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, Options{})
	mustPut(t, s, full(1))
	mustPut(t, s, hb(2))
	s.Quarantine(1, "rejected by the collector: bad part number")
	if got := seqs(s.Pending()); !equal(got, []uint64{2}) {
		t.Fatalf("pending %v, want 2", got)
	}
	if _, err := os.Stat(filepath.Join(dir, QuarantineDir, FileName(1, Full))); err != nil {
		t.Fatalf("rejected report not quarantined: %v", err)
	}
	m := NewMemory(Options{}, os.ErrPermission)
	if _, err := m.Put(full(5)); !errors.Is(err, os.ErrPermission) {
		t.Fatalf("memory spool Put: %v, want the reason the directory is unusable", err)
	}
	if m.Len() != 1 {
		t.Fatal("memory spool did not queue the report")
	}
	if err := m.Ack(5); err != nil || m.Len() != 0 {
		t.Fatalf("memory spool Ack: %v, %d left", err, m.Len())
	}
}

// BenchmarkPutAck is the spool's cost per report: an fsynced write, then
// the removal once acknowledged (a full inventory of one module).
func BenchmarkPutAck(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := full(1)
	for i := 0; i < b.N; i++ {
		r.Sequence = uint64(i + 1)
		if _, err := s.Put(r); err != nil {
			b.Fatal(err)
		}
		if err := s.Ack(r.Sequence); err != nil {
			b.Fatal(err)
		}
	}
}
