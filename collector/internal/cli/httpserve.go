package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/net/netutil"

	"github.com/memledger/memledger/collector/internal/dashboard"
	"github.com/memledger/memledger/collector/internal/httpapi"
	"github.com/memledger/memledger/collector/internal/metrics"
	"github.com/memledger/memledger/collector/internal/report"
	"github.com/memledger/memledger/collector/internal/server"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/fileutil"
	"github.com/memledger/memledger/internal/policy"
)

// httpFlags are serve's policy, HTTP listener and metrics flags.
type httpFlags struct {
	httpListen      string
	httpAddrFile    string
	policy          string
	reportingWindow time.Duration
	followInterval  time.Duration
	// maxConns caps the HTTP connections (limits.go: --http-max-conns).
	maxConns        int
	tlsCert, tlsKey string
}

func addHTTPFlags(fl *pflag.FlagSet, f *httpFlags) {
	fl.StringVar(&f.httpListen, "http-listen", "", "serve the report dashboard, the HTTP API and /metrics on `ADDR` (host:port; empty: no HTTP listener)")
	fl.StringVar(&f.httpAddrFile, "http-addr-file", "", "write the bound HTTP address to `FILE` once listening")
	fl.StringVar(&f.policy, "policy", "", "procurement policy `FILE` (docs/policy.md) the ledger is evaluated against; reloaded on SIGHUP and POST /api/v1/policy/reload")
	fl.DurationVar(&f.reportingWindow, "reporting-window", 2*time.Hour, "a host counts in memledger_hosts_reporting when seen this recently (twice the agents' report interval)")
	fl.StringVar(&f.tlsCert, "http-tls-cert", "", "serve HTTPS on --http-listen with this certificate `FILE` (PEM; the collector's own, e.g. /etc/memledger/tls/collector.crt); needs --http-tls-key")
	fl.StringVar(&f.tlsKey, "http-tls-key", "", "the private key `FILE` of --http-tls-cert")
	fl.DurationVar(&f.followInterval, "follow-interval", 10*time.Second, "with --policy: look this often for changes other writers made to the ledger (ingest, label, other collectors) and evaluate them")
}

// policyRuntime is what serve runs besides gRPC ingest: the policy (with
// reload), the status tracker, the metrics and the HTTP listener.
type policyRuntime struct {
	logger  *slog.Logger
	holder  *policy.Holder // nil without --policy
	reload  sync.Mutex     // one reload at a time
	tracker *report.Tracker
	metrics *metrics.Metrics
	http    *http.Server
	httpErr chan error
	// ingest is the gRPC server once serve made it, for the metrics.
	ingest atomic.Pointer[server.Server]
	cancel context.CancelFunc
	done   sync.WaitGroup
	// commitErr is the error of the last group commit, nil once one
	// succeeds: /readyz (ready).
	commitErr atomic.Pointer[error]
}

// startPolicyRuntime loads the policy, starts the evaluation loop, the
// SIGHUP handler and serves HTTP on lis (bound by the caller from
// --http-listen; nil: none). stop undoes it; serve calls it after the gRPC
// drain and before closing the ledger. On error lis is closed.
func (a *app) startPolicyRuntime(ctx context.Context, st store.Store, f httpFlags, guard httpGuard, lis net.Listener) (*policyRuntime, error) {
	rt := &policyRuntime{logger: a.logger}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		if lis != nil {
			lis.Close()
		}
		return nil, errors.New("--http-tls-cert and --http-tls-key go together")
	}
	if f.policy != "" {
		h, err := policy.NewHolder(f.policy)
		if err != nil {
			if lis != nil {
				lis.Close()
			}
			return nil, fmt.Errorf("--policy: %w", err)
		}
		rt.holder = h
		a.logger.Info("policy_loaded", "policy", f.policy, "rules", len(h.Policy().Rules))
	}
	rt.tracker = report.NewTracker(st, rt.currentPolicy, report.TrackerOptions{Logger: a.logger, PollEvery: f.followInterval})
	rt.metrics = metrics.New(metrics.Options{Tracker: rt.tracker, Store: st, ReportingWindow: f.reportingWindow, Ingest: rt.ingestStats})

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rt.cancel = cancel
	rt.done.Add(1)
	go func() {
		defer rt.done.Done()
		rt.tracker.Run(bg)
	}()
	// SIGHUP reloads the policy; without one it is logged and ignored
	// rather than ending the process (its default action).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	rt.done.Add(1)
	go func() {
		defer rt.done.Done()
		defer signal.Stop(hup)
		for {
			select {
			case <-bg.Done():
				return
			case <-hup:
				if rt.holder == nil {
					rt.logger.Info("sighup_ignored", "reason", "no policy file (--policy)")
					continue
				}
				_ = rt.Reload(bg) // logged by Reload
			}
		}
	}()
	if lis == nil {
		return rt, nil
	}
	var reload func(context.Context) error
	if rt.holder != nil {
		reload = rt.Reload
	}
	handler := newHTTPHandler(httpapi.Options{
		Store: st, Policy: rt.currentPolicy, Reload: reload, Registry: rt.metrics.Registry,
		Logger: a.logger, Ready: rt.ready, Report: rt.tracker.Report,
	}, guard)
	addr := lis.Addr().String()
	if f.maxConns > 0 {
		lis = netutil.LimitListener(lis, f.maxConns)
	}
	rt.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A report over a large fleet takes a few seconds to compute.
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	// Announced, then the address file (the readiness signal), then served:
	// a failed write closes a listener nothing serves yet.
	a.logger.Info("http_listening", "addr", addr)
	if f.httpAddrFile != "" {
		if err := fileutil.WriteAtomic(f.httpAddrFile, []byte(addr+"\n"), 0o644); err != nil {
			lis.Close()
			rt.stop(context.Background())
			return nil, fmt.Errorf("--http-addr-file: %w", err)
		}
	}
	rt.httpErr = make(chan error, 1)
	if f.tlsCert != "" {
		go func() { rt.httpErr <- rt.http.ServeTLS(lis, f.tlsCert, f.tlsKey) }()
	} else {
		go func() { rt.httpErr <- rt.http.Serve(lis) }()
	}
	return rt, nil
}

// newHTTPHandler is the HTTP listener: the dashboard's pages and sign-in,
// the API, metrics and health, behind the dashboard's session guard and
// the bearer-token guard.
func newHTTPHandler(opts httpapi.Options, guard httpGuard) http.Handler {
	dash := dashboard.New(dashboard.Options{Store: opts.Store, Policy: opts.Policy, Report: opts.Report, Auth: guard.signin, Logger: opts.Logger})
	opts.Pages, opts.Middleware = dash.Handler(), dash.Middleware(guard.bearer)
	return httpapi.New(opts)
}

// ingestStats are the gRPC server's gauges for the metrics (zero before
// serve made it).
func (rt *policyRuntime) ingestStats() metrics.IngestStats {
	srv := rt.ingest.Load()
	if srv == nil {
		return metrics.IngestStats{}
	}
	st := srv.Stats()
	return metrics.IngestStats{
		StreamsOpen: st.Streams, StreamsRejected: st.Rejected,
		QueueDepth: st.Committer.Queued, InflightBytes: st.InflightBytes,
		AcceptPaused: st.AcceptPaused,
	}
}

// ready is readiness: an error while the last group commit failed.
func (rt *policyRuntime) ready() error {
	if p := rt.commitErr.Load(); p != nil {
		return fmt.Errorf("the last commit to the ledger failed: %w", *p)
	}
	return nil
}

func (rt *policyRuntime) currentPolicy() *policy.Policy {
	if rt.holder == nil {
		return nil
	}
	return rt.holder.Policy()
}

// Reload re-reads the policy file; on success the whole fleet is
// re-evaluated, on failure the old policy stays and the error is logged
// and returned.
func (rt *policyRuntime) Reload(context.Context) error {
	if rt.holder == nil {
		return errors.New("no policy file (--policy)")
	}
	rt.reload.Lock()
	defer rt.reload.Unlock()
	err := rt.holder.Reload()
	rt.metrics.ObservePolicyReload(err)
	if err != nil {
		rt.logger.Error("policy_reload_failed", "error", err)
		return err
	}
	rt.logger.Info("policy_reloaded", "policy", rt.holder.Policy().Source, "rules", len(rt.holder.Policy().Rules))
	rt.tracker.RequestFull()
	return nil
}

// onCommit observes a group commit and queues the hosts whose inventory
// may have changed for evaluation. It never blocks.
func (rt *policyRuntime) onCommit(reports []store.Report, outcomes []store.Outcome, took time.Duration, err error) {
	rt.metrics.ObserveCommit(reports, outcomes, took, err)
	if err != nil {
		rt.commitErr.Store(&err)
	} else if rt.commitErr.Load() != nil {
		rt.commitErr.Store(nil)
	}
	if err != nil || rt.holder == nil {
		return
	}
	var hosts []string
	for i, r := range reports {
		if i < len(outcomes) && outcomes[i].Status == store.Committed && outcomes[i].Events > 0 {
			// A copy: the id points into the received message.
			hosts = append(hosts, strings.Clone(r.HostID))
		}
	}
	rt.tracker.Notify(hosts...)
}

// stop closes the HTTP listener (letting requests finish until ctx ends)
// and the evaluation loop. Work still queued is redone by the full
// evaluation of the next start.
func (rt *policyRuntime) stop(ctx context.Context) error {
	var err error
	if rt.http != nil {
		if e := rt.http.Shutdown(ctx); e != nil {
			err = fmt.Errorf("close HTTP listener: %w", e)
			rt.http.Close()
		}
		if e := <-rt.httpErr; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = fmt.Errorf("HTTP listener: %w", e)
		}
	}
	rt.cancel()
	rt.done.Wait()
	return err
}

// stopInto stops the runtime within timeout, adding its error to *errp.
func (rt *policyRuntime) stopInto(timeout time.Duration, errp *error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := rt.stop(ctx); err != nil && *errp == nil {
		*errp = err
	}
}
