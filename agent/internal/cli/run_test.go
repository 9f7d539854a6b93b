package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/memledger/memledger/internal/hostfixture"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// ackAll is a collector that commits every report.
type ackAll struct {
	memledgerv1.UnimplementedIngestServiceServer
	mu   sync.Mutex
	seqs []uint64
	got  chan struct{}
}

func (a *ackAll) Report(s grpc.BidiStreamingServer[memledgerv1.ReportRequest, memledgerv1.ReportResponse]) error {
	for {
		req, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.seqs = append(a.seqs, req.GetSequence())
		a.mu.Unlock()
		if err := s.Send(&memledgerv1.ReportResponse{Sequence: req.GetSequence(), Status: memledgerv1.AckStatus_ACK_STATUS_COMMITTED}); err != nil {
			return err
		}
		select {
		case a.got <- struct{}{}:
		default:
		}
	}
}

func execCmd(ctx context.Context, cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(ctx)
}

func fixtureRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := hostfixture.Build(root, hostfixture.TwoSocketServer()); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRunRefusesWithoutTransport(t *testing.T) {
	t.Setenv("MEMLEDGER_INSECURE", "false")
	var stderr bytes.Buffer
	err := execCmd(context.Background(), newRunCommand(io.Discard, &stderr), "--config", "", "--state-dir", t.TempDir(), "--collector", "127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "refusing to start") || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("run without TLS or --insecure: %v", err)
	}
}

// run scans, reports, and stops cleanly (nil error, exit 0) on SIGTERM
// (context cancellation), with the settings taken from the environment;
// its log is text or, with --log-format json, one JSON object a line.
func TestRunReportsAndStops(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { testRunReportsAndStops(t, format) })
	}
}

func testRunReportsAndStops(t *testing.T, logFormat string) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &ackAll{got: make(chan struct{}, 1)}
	srv := grpc.NewServer()
	memledgerv1.RegisterIngestServiceServer(srv, fake)
	go srv.Serve(lis)
	defer srv.Stop()

	state := t.TempDir()
	t.Setenv("MEMLEDGER_COLLECTOR", lis.Addr().String())
	t.Setenv("MEMLEDGER_INSECURE", "true")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- execCmd(ctx, newRunCommand(io.Discard, &stderr), "--config", "", "--state-dir", state, "--root", fixtureRoot(t), "--label", "site=fra1", "--log-format", logFormat)
	}()
	select {
	case <-fake.got:
	case err := <-done:
		t.Fatalf("run ended early: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("no report within 20s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after SIGTERM: %v, want nil (exit 0)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop within 5s of SIGTERM")
	}
	log := stderr.String()
	wants := []string{"insecure_transport", "PLAINTEXT", "msg=scanned", "report=full", "agent_stopped"}
	if logFormat == "json" {
		wants = []string{"insecure_transport", "PLAINTEXT", `"msg":"scanned"`, `"report":"full"`, "agent_stopped"}
		for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("--log-format json wrote %q", line)
			}
		}
	}
	for _, want := range wants {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "state.json")); err != nil {
		t.Errorf("no state file after a report: %v", err)
	}
}

func TestDoctorCommand(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := lis.Addr().String()
	lis.Close()
	var stdout bytes.Buffer
	err = execCmd(context.Background(), newDoctorCommand(&stdout, io.Discard),
		"--config", "", "--root", fixtureRoot(t), "--insecure", "--collector", dead, "--state-dir", t.TempDir(), "--timeout", "2s")
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 1 {
		t.Fatalf("doctor with the collector down: %v, want exit status 1", err)
	}
	out := stdout.String()
	for _, want := range []string{"OK   smbios      SMBIOS 3.", "OK   spd ", "FAIL collector   cannot reach the collector at " + dead, "hint: "} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}

	stdout.Reset()
	err = execCmd(context.Background(), newDoctorCommand(&stdout, io.Discard), "--config", "", "--root", t.TempDir(), "--interval", "5ms", "--insecure")
	if !errors.As(err, &exit) || !strings.Contains(stdout.String(), "FAIL config      interval 5ms") {
		t.Fatalf("doctor with a bad setting: %v\n%s", err, stdout.String())
	}
}
