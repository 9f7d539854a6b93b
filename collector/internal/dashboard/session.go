package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Principal is who signed in. Scopes (read, admin) slot in here when the
// token file carries them.
type Principal struct {
	// Name says which token signed in, for the page header and the log;
	// never the token itself.
	Name string
}

// Authenticator checks a token entered on the sign-in page against the
// collector's token file (httpauth). It returns an error when the token
// is not accepted.
type Authenticator interface {
	Authenticate(token string) (Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(token string) (Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(token string) (Principal, error) { return f(token) }

// ErrBadToken: the token is not one of the collector's.
var ErrBadToken = errors.New("token not accepted")

const (
	sessionCookie = "memledger_session"
	// signinCookie carries the sign-in form's CSRF token (double submit):
	// there is no session to hold it yet.
	signinCookie = "memledger_signin"
	// maxSessions bounds the memory a flood of sign-ins can take; the
	// oldest session goes first.
	maxSessions = 10000
)

type session struct {
	principal Principal
	csrf      string
	expires   time.Time
	created   time.Time
}

// sessions are held in memory: a restart signs everybody out, which is
// the safe failure. Only a hash of each session id is kept, so a memory
// dump does not hand out live cookies.
type sessions struct {
	mu   sync.Mutex
	byID map[[sha256.Size]byte]*session
	ttl  time.Duration
	now  func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{byID: map[[sha256.Size]byte]*session{}, ttl: ttl, now: now}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session and returns its id (the cookie value).
func (s *sessions) create(p Principal) (string, *session) {
	id := randomToken()
	now := s.now()
	ss := &session{principal: p, csrf: randomToken(), expires: now.Add(s.ttl), created: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= maxSessions {
		s.evictLocked(now)
	}
	s.byID[sha256.Sum256([]byte(id))] = ss
	return id, ss
}

// evictLocked drops expired sessions and, when still full, the oldest.
func (s *sessions) evictLocked(now time.Time) {
	var oldestKey [sha256.Size]byte
	var oldest *session
	for k, ss := range s.byID {
		if !now.Before(ss.expires) {
			delete(s.byID, k)
			continue
		}
		if oldest == nil || ss.created.Before(oldest.created) {
			oldestKey, oldest = k, ss
		}
	}
	if len(s.byID) >= maxSessions && oldest != nil {
		delete(s.byID, oldestKey)
	}
}

// get returns the live session of id.
func (s *sessions) get(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byID[k]
	if !ok {
		return nil, false
	}
	if !s.now().Before(ss.expires) {
		delete(s.byID, k)
		return nil, false
	}
	return ss, true
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sha256.Sum256([]byte(id)))
}

// sameToken compares two tokens in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}
