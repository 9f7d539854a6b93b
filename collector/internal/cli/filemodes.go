package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// warnFileModes warns, at serve's start, about secrets that others than
// their owner may read or write: private keys, enrollment tokens, HTTP
// tokens and the certificate registry. It does not refuse to start
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
				"hint", "chmod 600 (owner read/write only) and chown to the collector's user")
		}
	}
}

// errModeTooOpen says a secret file grants others access.
var errModeTooOpen = errors.New("readable or writable by group or others")

// checkSecretMode returns errModeTooOpen when path exists with group or
// other permission bits; a missing file is not a problem here.
func checkSecretMode(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("mode %04o: %w", fi.Mode().Perm(), errModeTooOpen)
	}
	return nil
}
