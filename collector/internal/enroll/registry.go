package enroll

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/memledger/memledger/internal/fileutil"
)

// ErrRevoked is wrapped by Registry.Check for a revoked certificate or
// host.
var ErrRevoked = errors.New("certificate revoked")

// CertRecord is the certificate a host was last issued: its enrollment.
type CertRecord struct {
	// Serial is the certificate's serial number, lowercase hex.
	Serial   string    `json:"serial"`
	IssuedAt time.Time `json:"issued_at"`
	NotAfter time.Time `json:"not_after"`
}

// Revocation revokes one certificate (Serial) or every certificate of a
// host issued before At (Serial empty).
type Revocation struct {
	HostID string    `json:"host_id,omitempty"`
	Serial string    `json:"serial,omitempty"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
	// NotAfter is the revoked certificate's expiry, after which the entry
	// is dropped (zero for a host: kept).
	NotAfter time.Time `json:"not_after,omitzero"`
}

type registryFile struct {
	Version int                   `json:"version"`
	Hosts   map[string]CertRecord `json:"hosts"`
	Revoked []Revocation          `json:"revoked"`
}

// Registry is the collector's record of issued certificates and
// revocations: a small JSON file (mode 0600, replaced atomically, default
// /var/lib/memledger-collector/certs.json) written by enrollment and by
// `memledger-collector ca revoke`, and read by serve on every handshake
// and stream (re-read when the file changes, checked at most once a
// second). As with the tokens file, a `ca revoke` at the very moment an
// enrollment writes could lose one of the two updates: check the result
// with `ca revoke --list`.
type Registry struct {
	path string

	mu        sync.Mutex
	cur       registryFile
	modTime   time.Time
	size      int64
	checkedAt time.Time
	loadErr   error
}

// NewRegistry returns the registry kept at path (created on first write).
func NewRegistry(path string) *Registry { return &Registry{path: path} }

// Path is the registry's file.
func (r *Registry) Path() string { return r.path }

// refreshLocked re-reads the file when it changed, at most once a second
// (now); a read error keeps the last good state and is returned.
func (r *Registry) refreshLocked(now time.Time, force bool) error {
	if !force && now.Sub(r.checkedAt) < time.Second && now.After(r.checkedAt) {
		return r.loadErr
	}
	r.checkedAt = now
	fi, err := os.Stat(r.path)
	if errors.Is(err, os.ErrNotExist) {
		r.cur, r.modTime, r.size, r.loadErr = registryFile{Version: 1}, time.Time{}, 0, nil
		return nil
	}
	if err != nil {
		r.loadErr = fmt.Errorf("certificate registry: %w", err)
		return r.loadErr
	}
	if !force && fi.ModTime().Equal(r.modTime) && fi.Size() == r.size && r.loadErr == nil {
		return nil
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.loadErr = fmt.Errorf("certificate registry: %w", err)
		return r.loadErr
	}
	var f registryFile
	if err := json.Unmarshal(data, &f); err != nil {
		r.loadErr = fmt.Errorf("certificate registry %s: %w", r.path, err)
		return r.loadErr
	}
	if f.Version != 1 {
		r.loadErr = fmt.Errorf("certificate registry %s: version %d, want 1", r.path, f.Version)
		return r.loadErr
	}
	r.cur, r.modTime, r.size, r.loadErr = f, fi.ModTime(), fi.Size(), nil
	return nil
}

func (r *Registry) saveLocked(now time.Time) error {
	f := r.cur
	f.Version = 1
	kept := f.Revoked[:0:0]
	for _, rv := range f.Revoked {
		if rv.Serial == "" || rv.NotAfter.IsZero() || now.Before(rv.NotAfter) {
			kept = append(kept, rv)
		}
	}
	f.Revoked = kept
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("certificate registry: %w", err)
	}
	if err := fileutil.WriteAtomic(r.path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("certificate registry: %w", err)
	}
	r.cur = f
	r.checkedAt = time.Time{} // re-read the new file's stamp next time
	return nil
}

// SerialHex is how the registry and `ca revoke` write a serial number.
func SerialHex(cert *x509.Certificate) string { return strings.ToLower(cert.SerialNumber.Text(16)) }

// Check returns an error wrapping ErrRevoked when cert, presented for
// host, is revoked: by serial, or by a revocation of its host that
// followed its issue (a host enrolled again after its revocation holds a
// valid certificate again). An unreadable registry fails closed.
func (r *Registry) Check(host string, cert *x509.Certificate, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, false); err != nil {
		return err
	}
	serial := SerialHex(cert)
	for _, rv := range r.cur.Revoked {
		switch {
		case rv.Serial != "" && rv.Serial == serial:
			return fmt.Errorf("%w: serial %s of host %.80q, at %s (%s)", ErrRevoked, serial, host, rv.At.UTC().Format(time.RFC3339), rv.Reason)
		case rv.Serial == "" && rv.HostID == host:
			rec, ok := r.cur.Hosts[host]
			if ok && rec.Serial == serial && rec.IssuedAt.After(rv.At) {
				continue // enrolled again since
			}
			return fmt.Errorf("%w: host %.80q, at %s (%s)", ErrRevoked, host, rv.At.UTC().Format(time.RFC3339), rv.Reason)
		}
	}
	return nil
}

// Standing reports whether host holds a valid certificate at now (its
// last one, unexpired and not revoked) or was revoked: either way a new
// enrollment of host needs a token bound to it or made to replace.
func (r *Registry) Standing(host string, now time.Time) (enrolled, revoked bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, true); err != nil {
		return false, false, err
	}
	rec, ok := r.cur.Hosts[host]
	enrolled = ok && now.Before(rec.NotAfter)
	for _, rv := range r.cur.Revoked {
		switch {
		case rv.Serial == "" && rv.HostID == host:
			revoked = true
			if ok && rec.IssuedAt.After(rv.At) {
				revoked = false
			} else {
				enrolled = false
			}
		case rv.Serial != "" && ok && rv.Serial == rec.Serial:
			enrolled = false
		}
	}
	return enrolled, revoked, nil
}

// Current returns host's enrollment: the certificate last issued to it.
func (r *Registry) Current(host string, now time.Time) (CertRecord, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, true); err != nil {
		return CertRecord{}, false, err
	}
	rec, ok := r.cur.Hosts[host]
	return rec, ok, nil
}

// Record makes cert host's enrollment. With revokePrevious, the host's
// previous certificate is revoked (an enrollment that replaced it).
func (r *Registry) Record(host string, cert *x509.Certificate, revokePrevious bool, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, true); err != nil {
		return err
	}
	if prev, ok := r.cur.Hosts[host]; ok && revokePrevious && prev.Serial != SerialHex(cert) {
		r.cur.Revoked = append(r.cur.Revoked, Revocation{HostID: host, Serial: prev.Serial, At: now.UTC(), Reason: "replaced by a new enrollment", NotAfter: prev.NotAfter})
	}
	if r.cur.Hosts == nil {
		r.cur.Hosts = map[string]CertRecord{}
	}
	r.cur.Hosts[host] = CertRecord{Serial: SerialHex(cert), IssuedAt: now.UTC(), NotAfter: cert.NotAfter.UTC()}
	return r.saveLocked(now)
}

// RevokeHost revokes every certificate of host issued until now.
func (r *Registry) RevokeHost(host, reason string, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, true); err != nil {
		return err
	}
	r.cur.Revoked = append(r.cur.Revoked, Revocation{HostID: host, At: now.UTC(), Reason: reason})
	return r.saveLocked(now)
}

// RevokeSerial revokes one certificate by its serial number (hex, as
// certificate_issued logs it). notAfter, when known, lets the entry be
// dropped once the certificate has expired.
func (r *Registry) RevokeSerial(serial, reason string, notAfter, now time.Time) error {
	serial = strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(serial, ":", ""), "0x"))
	if serial == "" || strings.Trim(serial, "0123456789abcdef") != "" {
		return fmt.Errorf("serial %q: want the hex serial number certificate_issued logs", serial)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, true); err != nil {
		return err
	}
	rv := Revocation{Serial: serial, At: now.UTC(), Reason: reason, NotAfter: notAfter}
	for host, rec := range r.cur.Hosts {
		if rec.Serial == serial {
			rv.HostID, rv.NotAfter = host, rec.NotAfter
		}
	}
	r.cur.Revoked = append(r.cur.Revoked, rv)
	return r.saveLocked(now)
}

// Revocations lists the revocations in force.
func (r *Registry) Revocations(now time.Time) ([]Revocation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.refreshLocked(now, true); err != nil {
		return nil, err
	}
	return append([]Revocation(nil), r.cur.Revoked...), nil
}
