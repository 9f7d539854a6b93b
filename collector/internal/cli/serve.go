package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"runtime/debug"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/spf13/cobra"

	"github.com/memledger/memledger/collector/internal/enroll"
	"github.com/memledger/memledger/collector/internal/server"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/cliconfig"
	"github.com/memledger/memledger/internal/fileutil"
)

type serveFlags struct {
	listen          string
	addrFile        string
	batchMax        int
	committers      int
	batchWait       time.Duration
	queueSize       int
	streamWindow    int
	maxInflight     cliconfig.ByteSize
	maxReport       cliconfig.ByteSize
	maxStreams      int
	commitTimeout   time.Duration
	shutdownTimeout time.Duration
	// gcPercent is --gc-percent; gcPercentSet says it was given.
	gcPercent    int
	gcPercentSet bool
	// memoryLimit is --memory-limit; 0: not given.
	memoryLimit cliconfig.ByteSize
	// sec: mutual TLS, enrollment and HTTP bearer tokens (ca.go).
	sec securityFlags
	// http: policy, HTTP listener and metrics (httpserve.go).
	http httpFlags
	// limits: per-host and per-connection defences (limits.go).
	limits limitFlags
}

func (a *app) serveCommand() *cobra.Command {
	f := serveFlags{maxInflight: 128 << 20, maxReport: 4 << 20}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive agents' inventory reports over gRPC and commit them to the ledger",
		Long: `serve runs the gRPC service memledger.v1.IngestService. Agents open a Report
stream and send full inventories when something changed and small heartbeats
when nothing did; each report is acknowledged only once it is durably
committed (reports from all agents are committed together in batches: group
commit). A report whose sequence the ledger already holds is acknowledged as
a duplicate and changes nothing. A malformed report ends its stream with
InvalidArgument and the reason.

gRPC health checking and server reflection are on, so grpcurl works:
  grpcurl -cacert ca.crt -cert agent.crt -key agent.key localhost:7420 list

The transport is mutual TLS: agents need a certificate from the fleet CA
(--tls-ca), and each may report only for the host named in its certificate
(PermissionDenied otherwise). --ca-dir also serves enrollment (see ca init,
enroll-token create and docs/security.md). --insecure serves plaintext with
no authentication, for test setups only.

SIGINT or SIGTERM stops accepting reports, acknowledges those received,
closes the ledger and exits 0.

With --listen 127.0.0.1:0 the system picks a free port; the address bound is
logged ("listening") and written to --addr-file.`,
		Example: `  memledger-collector serve
  memledger-collector serve --db postgres://memledger@db.internal/memledger --listen :7420
  MEMLEDGER_DB=sqlite:/srv/ledger.db memledger-collector serve --listen 127.0.0.1:0 --addr-file /run/memledger/addr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.gcPercentSet = cmd.Flags().Changed("gc-percent")
			return a.runServe(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.gcPercent, "gc-percent", defaultGCPercent, "Go garbage collector target (GOGC): heap growth in % over live data before a collection; higher trades memory for CPU; -1 turns the collector off (default used only when GOGC is not set)")
	fl.Var(&f.memoryLimit, "memory-limit", "soft limit on the collector's memory (the Go runtime's GOMEMLIMIT, e.g. 900MiB): near it the garbage collector runs more often, trading CPU for memory (default: GOMEMLIMIT when set, else 90% of the cgroup's memory limit, such as a unit's MemoryMax=, when there is one, else none; GOMEMLIMIT=off: none)")
	fl.StringVar(&f.listen, "listen", ":7420", "listen on `ADDR` (host:port; port 0 picks a free one)")
	fl.StringVar(&f.addrFile, "addr-file", "", "write the bound address to `FILE` once listening (replaced atomically)")
	fl.IntVar(&f.batchMax, "batch-max", 128, "most reports committed in one transaction")
	fl.IntVar(&f.committers, "committers", 2, "group committers; hosts are spread over them (one prepares a batch while another commits)")
	fl.DurationVar(&f.batchWait, "batch-wait", 0, "wait up to this long for more reports before committing a batch that is not full (0: commit what is queued at once)")
	fl.IntVar(&f.queueSize, "queue-size", 4096, "most reports waiting for a commit; beyond it agents are slowed down (backpressure)")
	fl.IntVar(&f.streamWindow, "stream-window", 64, "most unacknowledged reports per agent stream")
	fl.Var(&f.maxInflight, "max-inflight-bytes", "most bytes of received, uncommitted reports over all agents (e.g. 128MiB)")
	fl.Var(&f.maxReport, "max-report-bytes", "largest report accepted (e.g. 4MiB)")
	fl.IntVar(&f.maxStreams, "max-streams", 20000, "most agent streams at once; more are refused with ResourceExhausted")
	fl.DurationVar(&f.commitTimeout, "commit-timeout", time.Minute, "longest one batch commit may take")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "longest the drain on SIGINT/SIGTERM may take before streams are cut")
	addSecurityFlags(fl, &f.sec)
	addHTTPFlags(fl, &f.http)
	addLimitFlags(fl, &f.limits)
	return cmd
}

// defaultGCPercent is serve's garbage collector target. Ingest allocates
// about 70 KiB per changed report (decoding, digest, SQL); at Go's default
// of 100 the collections cost a tenth of a changed report's CPU. 200 buys
// that back for about a third more resident memory (docs/benchmarks.md).
const defaultGCPercent = 200

// setGCPercent applies --gc-percent: given explicitly (flag, environment
// or config file) it wins, else a GOGC in the environment, else the
// default.
func (a *app) setGCPercent(percent int, explicit bool) {
	source := "setting" // --gc-percent, MEMLEDGER_GC_PERCENT or the config file
	if !explicit {
		if gogc, ok := a.lookupEnv("GOGC"); ok {
			a.logger.Info("gc_target_set", "gogc", gogc, "source", "GOGC")
			return
		}
		source = "default"
	}
	debug.SetGCPercent(percent)
	a.logger.Info("gc_target_set", "gogc", percent, "source", source)
}

// cgroupShare is the part of the cgroup's memory limit serve's default
// soft limit takes: the rest is left to memory the Go runtime does not
// count (SQLite's page cache, which modernc's allocator maps itself, and
// the binary's pages) and to the heap's growth while a collection runs.
const cgroupShare = 0.9

// setMemoryLimit applies --memory-limit. Under GOGC=200 the heap may grow
// to three times its live data before a collection; a collector that
// falls behind a large fleet holds every waiting agent's connection, and
// that growth, not the live data, is what would meet a cgroup's limit and
// its OOM killer. A soft limit makes the collections come sooner as the
// heap nears it. Given explicitly it wins; else GOMEMLIMIT in the
// environment (which the runtime has applied) is left alone; else
// cgroupShare of the cgroup's limit, when there is one (cgroupLimit is
// memlimit.FromCgroup: v1 and v2 hierarchies).
func (a *app) setMemoryLimit(limit int64, cgroupLimit func() (uint64, error)) {
	source := "setting"
	if limit == 0 {
		if v, ok := a.lookupEnv("GOMEMLIMIT"); ok {
			a.logger.Info("memory_limit_set", "gomemlimit", v, "source", "GOMEMLIMIT")
			return
		}
		max, err := cgroupLimit()
		if err != nil {
			// No cgroup limit (ErrNoLimit), none readable, or no cgroups:
			// the runtime's default, no limit, stays.
			a.logger.Info("memory_limit_none", "reason", err.Error())
			return
		}
		limit = int64(float64(max) * cgroupShare)
		source = "cgroup"
	}
	debug.SetMemoryLimit(limit)
	a.logger.Info("memory_limit_set", "bytes", limit, "source", source)
}

func (a *app) runServe(ctx context.Context, f serveFlags) (err error) {
	a.setGCPercent(f.gcPercent, f.gcPercentSet)
	a.setMemoryLimit(int64(f.memoryLimit), memlimit.FromCgroup)
	f.sec.warnFileModes(a.logger)
	tlsCfg, enrollSvc, registry, err := a.serveSecurity(f.sec)
	if err != nil {
		return err
	}
	httpMW, err := f.sec.httpMiddleware()
	if err != nil {
		return err
	}
	// The listeners are bound before the ledger is opened: a port in use
	// is reported before any migration runs or any work starts that would
	// then be cancelled.
	f.http.maxConns = f.limits.httpMaxConns
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.listen, err)
	}
	var httpLis net.Listener
	if f.http.httpListen != "" {
		if httpLis, err = lc.Listen(ctx, "tcp", f.http.httpListen); err != nil {
			lis.Close()
			return fmt.Errorf("--http-listen %s: %w", f.http.httpListen, err)
		}
	}
	closeListeners := func() {
		lis.Close()
		if httpLis != nil {
			httpLis.Close()
		}
	}
	st, err := a.openStore(ctx, false)
	if err != nil {
		closeListeners()
		return err
	}
	defer closeStore(st, &err)

	// Policy evaluation, metrics and the HTTP listener (httpserve.go),
	// stopped after the gRPC drain and before the ledger is closed.
	rt, err := a.startPolicyRuntime(ctx, st, f.http, httpMW, httpLis)
	if err != nil {
		lis.Close()
		return err
	}
	defer rt.stopInto(f.shutdownTimeout, &err)
	if es, ok := enrollSvc.(*enroll.Service); ok {
		es.Observe = rt.metrics.ObserveEnrollment
	}
	addr := lis.Addr().String()
	opts := server.Options{
		Committer: server.CommitterOptions{
			MaxBatch:      f.batchMax,
			MaxWait:       f.batchWait,
			QueueSize:     f.queueSize,
			CommitTimeout: f.commitTimeout,
			OnCommit:      rt.onCommit,
		},
		Committers:       f.committers,
		StreamWindow:     f.streamWindow,
		MaxInflightBytes: int64(f.maxInflight),
		MaxRecvMsgSize:   int(f.maxReport),
		MaxStreams:       f.maxStreams,
		ShutdownTimeout:  f.shutdownTimeout,
		Logger:           a.logger,
		TLS:              tlsCfg,
		Enroll:           enrollSvc,
	}
	f.limits.apply(&opts)
	if registry != nil {
		opts.CheckCert = func(host string, cert *x509.Certificate) error { return registry.Check(host, cert, time.Now()) }
	}
	opts.OnRefused = rt.metrics.ObserveRefused
	srv := server.New(st, opts)
	rt.ingest.Store(srv)
	a.logger.Info("listening", "addr", addr, "db", store.RedactDSN(a.db))
	// The address file is the readiness signal scripts wait for, so it is
	// written after everything the start-up announces.
	if f.addrFile != "" {
		if err := fileutil.WriteAtomic(f.addrFile, []byte(addr+"\n"), 0o644); err != nil {
			lis.Close()
			return fmt.Errorf("--addr-file: %w", err)
		}
	}
	stopping := notifySystemd(ctx, a.logger)
	defer stopping()
	if err := srv.Serve(ctx, lis); err != nil {
		return err
	}
	return nil
}
