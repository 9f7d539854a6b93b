// Package pki is memledger's small certificate authority and TLS setup for
// mutual TLS between agents and the collector (docs/security.md).
//
// Host identity: an agent's client certificate names its host id twice, as
// the URI SAN memledger://host/<host_id> (authoritative) and as the subject
// CN (for people reading certificates). HostIDFromCert reads it back.
//
// Keys are ECDSA P-256. Certificates and keys are PEM files; keys are
// written 0600 and certificates 0644, atomically (fileutil.WriteAtomic).
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/memledger/memledger/internal/fileutil"
)

// Lifetimes of the certificates this package issues.
const (
	CAValidity     = 10 * 365 * 24 * time.Hour
	ClientValidity = 90 * 24 * time.Hour
	ServerValidity = 2 * 365 * 24 * time.Hour
	// clockSkew backdates NotBefore so that hosts whose clock is a little
	// behind accept a certificate issued just now.
	clockSkew = 5 * time.Minute
)

// HostURIScheme and HostURIHost make up a host identity URI:
// memledger://host/<host_id>, the host id path-escaped.
const (
	HostURIScheme = "memledger"
	HostURIHost   = "host"
	// MaxHostIDBytes is the longest host id, in bytes, everywhere: here,
	// the collector's report validation and its store
	// (docs/protocol.md).
	MaxHostIDBytes = 255
)

// Errors callers may test with errors.Is.
var (
	// ErrNoHostID: the certificate carries no memledger host identity.
	ErrNoHostID = errors.New("certificate has no memledger host identity (URI SAN memledger://host/<host_id>)")
	// ErrBadHostID: a host id that cannot be put in a certificate.
	ErrBadHostID = errors.New("invalid host id")
)

// ValidateHostID checks that id can be a certificate's host identity: the
// same rules as the collector's report validation (non-empty, at most
// MaxHostIDBytes bytes of UTF-8, no control characters, no surrounding blanks).
func ValidateHostID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrBadHostID)
	case len(id) > MaxHostIDBytes:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrBadHostID, len(id), MaxHostIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not valid UTF-8", ErrBadHostID)
	case strings.TrimSpace(id) != id:
		return fmt.Errorf("%w: %q has leading or trailing white space", ErrBadHostID, id)
	}
	for i, r := range id {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: control character %U at byte %d", ErrBadHostID, r, i)
		}
	}
	return nil
}

// HostURI returns the identity URI of hostID.
func HostURI(hostID string) *url.URL {
	return &url.URL{Scheme: HostURIScheme, Host: HostURIHost, Path: "/" + hostID}
}

// HostIDFromCert returns the host id of an agent certificate: the path of its
// one memledger://host/ URI SAN. A certificate with none, with several, or
// whose CN disagrees is refused: an identity must be unambiguous.
func HostIDFromCert(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", fmt.Errorf("no certificate: %w", ErrNoHostID)
	}
	var ids []string
	for _, u := range cert.URIs {
		if u.Scheme != HostURIScheme {
			continue
		}
		if u.Host != HostURIHost || !strings.HasPrefix(u.Path, "/") {
			return "", fmt.Errorf("certificate URI SAN %q: want memledger://host/<host_id>: %w", u.String(), ErrNoHostID)
		}
		ids = append(ids, strings.TrimPrefix(u.Path, "/"))
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("certificate %q: %w", cert.Subject.CommonName, ErrNoHostID)
	case 1:
	default:
		return "", fmt.Errorf("certificate %q has %d memledger host URIs, want one: %w", cert.Subject.CommonName, len(ids), ErrNoHostID)
	}
	id := ids[0]
	if err := ValidateHostID(id); err != nil {
		return "", fmt.Errorf("certificate URI SAN: %w", err)
	}
	if cn := cert.Subject.CommonName; cn != "" && cn != id {
		return "", fmt.Errorf("certificate CN %q differs from its host URI %q: %w", cn, id, ErrNoHostID)
	}
	return id, nil
}

// Fingerprint returns the hex SHA-256 of cert's DER encoding: what `ca init`
// prints and agents pin with --ca-sha256.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// ParseFingerprint normalises a pinned fingerprint: 64 hex digits, optionally
// separated by colons (as openssl prints them), any case.
func ParseFingerprint(s string) (string, error) {
	h := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("CA fingerprint %q: want 64 hex digits (SHA-256 of the CA certificate)", s)
	}
	return h, nil
}

// GenerateKey returns a new ECDSA P-256 key.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate P-256 key: %w", err)
	}
	return k, nil
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never 0
}

// CA is a certificate authority: its certificate and signing key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewCA creates a self-signed CA named commonName, valid for CAValidity
// from now.
func NewCA(commonName string, now time.Time) (*CA, error) {
	if commonName == "" {
		commonName = "memledger fleet CA"
	}
	key, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"memledger"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

// ParseCSR decodes a DER certificate request and checks its signature, so
// that only the holder of the key can have it certified.
func ParseCSR(der []byte) (*x509.CertificateRequest, error) {
	if len(der) == 0 {
		return nil, errors.New("certificate request: empty")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("certificate request (%d bytes): %w", len(der), err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("certificate request signature: %w", err)
	}
	switch pub := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() && pub.Curve != elliptic.P384() {
			return nil, fmt.Errorf("certificate request: ECDSA curve %s not accepted (want P-256 or P-384)", pub.Curve.Params().Name)
		}
	default:
		return nil, fmt.Errorf("certificate request: %T keys are not accepted (want ECDSA P-256)", csr.PublicKey)
	}
	return csr, nil
}

// CreateCSR returns a DER certificate request for hostID signed by key.
func CreateCSR(key crypto.Signer, hostID string) ([]byte, error) {
	if err := ValidateHostID(hostID); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: hostID},
		URIs:    []*url.URL{HostURI(hostID)},
	}, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate request: %w", err)
	}
	return der, nil
}

// RenewalOpens is when a client certificate may be renewed: once two
// thirds of its lifetime have passed (for 90 days: 30 days before
// expiry), which leaves time for retries while the collector is
// unreachable. Agents renew from then on; the collector refuses earlier
// renewals, so a stolen key cannot keep itself alive by renewing at will.
func RenewalOpens(cert *x509.Certificate) time.Time {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return cert.NotBefore.Add(life / 3 * 2)
}

// ClockSkew is the clock difference between hosts that certificate times
// allow for (certificates are valid from this long before they are
// issued).
const ClockSkew = clockSkew

// SignClient issues a client certificate for hostID to the key of csr, valid
// for validity (ClientValidity when 0) from now. The certificate's names
// come from hostID alone: whatever else the request asks for is ignored, so
// a request cannot widen its identity.
func (ca *CA) SignClient(csr *x509.CertificateRequest, hostID string, now time.Time, validity time.Duration) (*x509.Certificate, error) {
	if err := ValidateHostID(hostID); err != nil {
		return nil, err
	}
	if validity <= 0 {
		validity = ClientValidity
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hostID, Organization: []string{"memledger agent"}},
		URIs:         []*url.URL{HostURI(hostID)},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.sign(tmpl, csr.PublicKey)
}

func (ca *CA) sign(tmpl *x509.Certificate, pub crypto.PublicKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new certificate: %w", err)
	}
	return cert, nil
}

// NewServerCert creates a key and a server certificate for the collector,
// valid for names (DNS names or IP addresses; the first is the CN).
func (ca *CA) NewServerCert(names []string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	if len(names) == 0 {
		return nil, nil, errors.New("server certificate: no names (want DNS names or IP addresses)")
	}
	tmpl := &x509.Certificate{
		NotBefore:   now.Add(-clockSkew),
		NotAfter:    now.Add(ServerValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, nil, errors.New("server certificate: empty name")
		case net.ParseIP(n) != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(n))
		case strings.ContainsAny(n, " /:@"):
			return nil, nil, fmt.Errorf("server certificate: %q is neither a DNS name nor an IP address", n)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	tmpl.Subject = pkix.Name{CommonName: strings.TrimSpace(names[0]), Organization: []string{"memledger collector"}}
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	key, err := GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	cert, err := ca.sign(tmpl, key.Public())
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// EncodeCerts returns certs as PEM CERTIFICATE blocks, in order.
func EncodeCerts(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}) // writes to a buffer cannot fail
	}
	return b.Bytes()
}

// EncodeKey returns key as a PEM PRIVATE KEY block (PKCS #8).
func EncodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseCerts decodes every CERTIFICATE block of PEM data; name says where
// the data came from in errors. Blocks of other types are refused, since a
// key in a certificate file is a mistake worth hearing about.
func ParseCerts(name string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: PEM block %d is %q, want CERTIFICATE", name, n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d: %w", name, n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE block", name)
	}
	return certs, nil
}

// ParseKey decodes the first private key of PEM data (PKCS #8, SEC 1 "EC
// PRIVATE KEY" or PKCS #1 "RSA PRIVATE KEY").
func ParseKey(name string, data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", name)
	}
	var (
		k   any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block is %q, want a private key", name, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: %T cannot sign", name, k)
	}
	return s, nil
}

// LoadCerts reads a PEM certificate file.
func LoadCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	return ParseCerts(path, data)
}

// LoadKey reads a PEM private key file.
func LoadKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	return ParseKey(path, data)
}

// LoadCA reads a CA certificate and its key and checks that they belong
// together and that the certificate is a CA.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certs, err := LoadCerts(certFile)
	if err != nil {
		return nil, err
	}
	key, err := LoadKey(keyFile)
	if err != nil {
		return nil, err
	}
	ca := &CA{Cert: certs[0], Key: key}
	if !ca.Cert.IsCA {
		return nil, fmt.Errorf("%s: certificate %q is not a CA", certFile, ca.Cert.Subject.CommonName)
	}
	if err := matchKey(ca.Cert, key); err != nil {
		return nil, fmt.Errorf("%s and %s: %w", certFile, keyFile, err)
	}
	return ca, nil
}

func matchKey(cert *x509.Certificate, key crypto.Signer) error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("private key does not match the certificate")
	}
	return nil
}

// WriteCerts writes certs to path as PEM, mode 0644, atomically.
func WriteCerts(path string, certs ...*x509.Certificate) error {
	return fileutil.WriteAtomic(path, EncodeCerts(certs...), 0o644)
}

// WriteKey writes key to path as PEM, mode 0600, atomically.
func WriteKey(path string, key crypto.Signer) error {
	b, err := EncodeKey(key)
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(path, b, 0o600)
}
