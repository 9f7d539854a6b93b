package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// warnFileModes warns, at serve's start, about secrets that other users
// may read or write, or their group write: private keys, enrollment
// tokens, HTTP tokens and the certificate registry. Group read is the
// packaged setup (root:memledger-collector 0640, packaging/config/collector.yaml). It does not refuse to start
// (packagers and container images set modes their own way) but says what
// to fix.
func (f securityFlags) warnFileModes(logger *slog.Logger) {
	secrets := map[string]string{
		f.tlsKey:        "tls-key",
		f.httpTokenFile: "http-token-file",
	}
	if !f.insecure {
		secrets[f.tokensFile] = "tokens-file"
		secrets[f.certsPath()] = "certs-file"
	}
	if f.caDir != "" {
		secrets[filepath.Join(f.caDir, caKeyName)] = "ca key"
		secrets[filepath.Join(f.caDir, serverKeyName)] = "server key"
	}
	for path, what := range secrets {
		if path == "" {
			continue
		}
		if err := checkSecretMode(path); err != nil {
			logger.Warn("secret_file_mode", "file", path, "what", what, "problem", err.Error(),
				"hint", "chmod 0600, or 0640 with the collector's group (chown root:memledger-collector)")
		}
	}
}

// errModeTooOpen says a secret file grants others access.
var errModeTooOpen = errors.New("readable or writable by other users, or writable by its group")

// checkSecretMode returns errModeTooOpen when path exists with any
// permission for others or write permission for its group; a missing file
// is not a problem here.
func checkSecretMode(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o027 != 0 {
		return fmt.Errorf("mode %04o: %w", fi.Mode().Perm(), errModeTooOpen)
	}
	return nil
}
