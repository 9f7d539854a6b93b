package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/memledger/memledger/collector/internal/httpauth"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/view"
	"github.com/memledger/memledger/internal/cmdutil"
	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/pki"
)

// maxServerReport bounds the report JSON read from --server. A violation
// is about 450 bytes of it (testdata/report/report.json), so this holds
// a report listing millions of them, yet an answer that never ends (a
// wrong URL, a hostile server) cannot exhaust memory. A variable for
// tests.
var maxServerReport int64 = 1 << 30

// maxServerError bounds the body of an error answer read for its message.
const maxServerError = 64 << 10

// serverReportURL checks --server and returns the URL of its report API
// with the report's query.
func serverReportURL(f reportFlags) (*url.URL, error) {
	u, err := url.Parse(f.server)
	if err != nil {
		return nil, cmdutil.UsageErrorf("--server: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, cmdutil.UsageErrorf("--server %q: want http:// or https:// and the host:port of a collector's --http-listen", u.Redacted())
	}
	if u.User != nil {
		// It would show in ps and in shell history.
		return nil, cmdutil.UsageErrorf("--server %q: no credentials in the URL: put the token in --token-file", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, cmdutil.UsageErrorf("--server %q: want the collector's base URL, without a query or fragment", u.Redacted())
	}
	if f.serverCA != "" && u.Scheme != "https" {
		return nil, cmdutil.UsageErrorf("--server-ca needs an https:// --server")
	}
	// A path is kept: a reverse proxy may serve the collector under one.
	api := u.JoinPath("api", "v1", "report")
	q := url.Values{"format": {"json"}}
	if len(f.rules) > 0 {
		q["rule"] = f.rules
	}
	if f.groupBy != "" {
		q.Set("group_by", f.groupBy)
	}
	if f.asOf != "" {
		q.Set("as_of", f.asOf) // checked by the caller, read alike by the server
	}
	api.RawQuery = q.Encode()
	return api, nil
}

// serverClient is the HTTP client of --server: it trusts --server-ca (the
// system roots without it) and follows no redirect, which could carry the
// bearer token to another scheme or host.
func serverClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pool, err := pki.CertPool(caFile)
		if err != nil {
			return nil, fmt.Errorf("--server-ca: %w", err)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// serverToken reads the bearer token of --token-file: its first token, in
// the format of the collector's --http-token-file, so that file itself
// serves too.
func (a *app) serverToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	if err := checkSecretMode(path); err != nil {
		a.logger.Warn("secret_file_mode", "file", path, "what", "token-file", "problem", err.Error(), "hint", "chmod 0600")
	}
	toks, err := httpauth.LoadTokens(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	return toks[0].Secret, nil
}

// fetchReport asks the collector at --server for its report, computed
// from its live aggregates under its policy.
func (a *app) fetchReport(ctx context.Context, f reportFlags) (*report.Report, error) {
	api, err := serverReportURL(f)
	if err != nil {
		return nil, err
	}
	client, err := serverClient(f.serverCA)
	if err != nil {
		return nil, err
	}
	token, err := a.serverToken(f.tokenFile)
	if err != nil {
		return nil, err
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	base := strings.TrimSuffix(f.server, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("report from %s: %w", base, err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, serverRequestError(ctx, base, f, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, serverStatusError(resp, base, f)
	}
	body, err := fileutil.ReadAllLimit(resp.Body, "the answer", maxServerReport)
	if err != nil {
		if ctx.Err() != nil {
			return nil, serverRequestError(ctx, base, f, err)
		}
		return nil, fmt.Errorf("report from %s: %w", base, err)
	}
	var rep report.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, fmt.Errorf("report from %s: the answer is not a report's JSON (is it a collector's --http-listen?): %w", base, err)
	}
	if rep.SchemaVersion == 0 {
		return nil, fmt.Errorf("report from %s: the answer has no schema_version: not a collector's report", base)
	}
	if rep.SchemaVersion != view.Version {
		a.logger.Warn("report_schema_differs", "server", base, "server_schema_version", rep.SchemaVersion, "schema_version", view.Version,
			"hint", "fields this version does not know are left out")
	}
	rep.FillEmptyLists()
	return &rep, nil
}

// serverRequestError says why no answer came: a timeout, a refused
// connection, an untrusted certificate, or what the transport said.
func serverRequestError(ctx context.Context, base string, f reportFlags, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // it repeats the method and the URL with the query
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("report from %s: no answer within %s (--timeout)", base, f.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("report from %s: connection refused: is memledger-collector serve running there with --http-listen?", base)
	case errors.As(err, &unknownCA):
		if f.serverCA != "" {
			return fmt.Errorf("report from %s: its certificate is not signed by a CA of --server-ca %s: %w", base, f.serverCA, err)
		}
		return fmt.Errorf("report from %s: its certificate is not signed by a CA this system trusts (name the CA with --server-ca FILE): %w", base, err)
	case errors.As(err, &hostname):
		return fmt.Errorf("report from %s: its certificate is not for this name (use a name of the certificate in --server): %w", base, err)
	}
	return fmt.Errorf("report from %s: %w", base, err)
}

// serverStatusError turns an answer other than 200 into an error that says
// what to do, with the server's message. 400 (an unknown rule or label, a
// bad as_of) is a usage error, as the same mistake is without --server.
func serverStatusError(resp *http.Response, base string, f reportFlags) error {
	msg := serverMessage(resp)
	status := resp.Status
	switch {
	case resp.StatusCode == http.StatusUnauthorized && f.tokenFile == "":
		return fmt.Errorf("report from %s: %s: the collector wants a bearer token: give --token-file FILE (a token of its --http-token-file)", base, status)
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("report from %s: %s: the collector does not accept the token of --token-file %s (not in its --http-token-file)", base, status, f.tokenFile)
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("report from %s: %s: the token of --token-file %s may not read reports (it needs scope read or admin): %s", base, status, f.tokenFile, msg)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("report from %s: %s: it redirects to %q; give --server the collector's own URL", base, status, resp.Header.Get("Location"))
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("report from %s: %s: no report API there (is it a collector's --http-listen?): %s", base, status, msg)
	case resp.StatusCode == http.StatusBadRequest:
		return cmdutil.UsageErrorf("report from %s: %s", base, msg)
	case resp.StatusCode >= 500:
		return fmt.Errorf("report from %s: the collector failed (%s): %s", base, status, msg)
	}
	return fmt.Errorf("report from %s: %s: %s", base, status, msg)
}

// serverMessage is the message of an error answer: the "error" of the
// API's JSON, else the first line of its text, shortened.
func serverMessage(resp *http.Response) string {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxServerError))
	var e struct {
		Error string `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	} else {
		msg, _, _ = strings.Cut(strings.TrimSpace(string(body)), "\n")
	}
	const maxLen = 500
	if len(msg) > maxLen {
		msg = strings.ToValidUTF8(msg[:maxLen], "") + "..."
	}
	if msg == "" {
		return "(no message)"
	}
	return msg
}
