package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/memledger/memledger/collector/internal/server"
	"github.com/memledger/memledger/collector/internal/store"
	"github.com/memledger/memledger/internal/fileutil"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// maxInventoryFile bounds an inventory file read by ingest (the collector's
// report limit is 4 MiB of protobuf; JSON is larger).
const maxInventoryFile = 32 << 20

// maxClockSkew is how far in the future an inventory's collectedAt may be:
// the allowance agents get too.
const maxClockSkew = server.DefaultMaxClockSkew

// ingestBatch is how many files are committed per transaction.
const ingestBatch = 256

func (a *app) ingestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Load inventory JSON files made offline into the ledger",
		Long: `ingest loads inventories written by "memledger-agent scan --format json"
(protojson of memledger.v1.Inventory, field names in either lowerCamelCase or
snake_case), for instance scans of dmidecode text from hosts that cannot run
the agent. Each inventory is attributed to the host named in the file
(host.hostId) and ordered by its collectedAt: its sequence is collectedAt in
microseconds, the same clock agents use, so loading a file twice, or an
older scan after a newer report, changes nothing (reported "duplicate").

"-" reads standard input. Files are validated like agent reports; a bad file
is reported and skipped, the others are loaded, and the exit status is 1.`,
		Example: `  memledger-agent scan --dmidecode db-17.txt --host-id db-17 --format json > db-17.json
  memledger-collector ingest db-17.json
  memledger-collector ingest --db postgres://memledger@db/memledger scans/*.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runIngest(cmd.Context(), args)
		},
	}
	return cmd
}

// inventoryFile is one file to ingest.
type inventoryFile struct {
	name   string
	report store.Report
}

// readInventoryFile reads and validates one inventory file and makes its
// report. now bounds collectedAt (clock skew).
func readInventoryFile(name string, r io.Reader, now time.Time) (inventoryFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInventoryFile+1))
	if err != nil {
		return inventoryFile{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxInventoryFile {
		return inventoryFile{}, fmt.Errorf("%s: larger than %d MiB, not an inventory", name, maxInventoryFile>>20)
	}
	inv := new(memledgerv1.Inventory)
	if err := protojson.Unmarshal(data, inv); err != nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return inventoryFile{}, fmt.Errorf("%s: empty file, not an inventory", name)
		}
		// protojson names no place for a file cut short (a copy or a
		// scan interrupted): encoding/json tells that case apart.
		var syntax *json.SyntaxError
		if errors.As(json.Unmarshal(data, new(json.RawMessage)), &syntax) && syntax.Offset >= int64(len(data)) {
			line := 1 + bytes.Count(data, []byte("\n"))
			return inventoryFile{}, fmt.Errorf("%s: truncated: the JSON ends at line %d (%d bytes) before the inventory is complete", name, line, len(data))
		}
		return inventoryFile{}, fmt.Errorf("%s: not an inventory (protojson of memledger.v1.Inventory): %w", name, err)
	}
	if err := server.ValidateInventory(inv, "", server.Limits{}); err != nil {
		return inventoryFile{}, fmt.Errorf("%s: %w", name, err)
	}
	ts := inv.GetCollectedAt()
	if ts == nil {
		return inventoryFile{}, fmt.Errorf("%s: collectedAt: required to order the inventory against the host's other reports", name)
	}
	at := ts.AsTime()
	if at.After(now.Add(maxClockSkew)) {
		return inventoryFile{}, fmt.Errorf("%s: collectedAt %s is in the future (clock skew?): it would hide the host's next reports", name, at.Format(time.RFC3339))
	}
	if at.UnixMicro() <= 0 {
		return inventoryFile{}, fmt.Errorf("%s: collectedAt %s: before 1970", name, at.Format(time.RFC3339))
	}
	return inventoryFile{name: name, report: store.Report{
		HostID:   inv.GetHost().GetHostId(),
		Sequence: uint64(at.UnixMicro()),
		// The scan's time, not now: an offline scan tells what the host
		// carried then.
		ReceivedAt: at.UTC().Truncate(time.Microsecond),
		Inventory:  inv,
		// A last sequence beyond the bound, left by a collector before
		// the clock check, does not hide the file.
		MaxSequence: server.SequenceBound(now, maxClockSkew),
	}}, nil
}

func (a *app) runIngest(ctx context.Context, names []string) (err error) {
	now := time.Now()
	var files []inventoryFile
	failed := 0
	for _, name := range names {
		f, err := a.openInput(name)
		if err != nil {
			fmt.Fprintf(a.stderr, "memledger-collector: %v\n", err)
			failed++
			continue
		}
		inv, err := readInventoryFile(name, f, now)
		f.Close()
		if err != nil {
			fmt.Fprintf(a.stderr, "memledger-collector: %v\n", err)
			failed++
			continue
		}
		files = append(files, inv)
	}
	// Oldest first, so that several scans of one host apply in order.
	sort.SliceStable(files, func(i, j int) bool { return files[i].report.Sequence < files[j].report.Sequence })

	if len(files) > 0 {
		st, err := a.openStore(ctx, false)
		if err != nil {
			return err
		}
		defer closeStore(st, &err)
		for start := 0; start < len(files); start += ingestBatch {
			batch := files[start:min(start+ingestBatch, len(files))]
			reports := make([]store.Report, len(batch))
			for i, f := range batch {
				reports[i] = f.report
			}
			outcomes, err := st.Apply(ctx, reports)
			if err != nil {
				return fmt.Errorf("commit %d inventories: %w", len(batch), err)
			}
			for i, out := range outcomes {
				f := batch[i]
				host := hostLabel(f.report)
				switch out.Status {
				case store.Committed:
					fmt.Fprintf(a.stdout, "%s: host %s: committed (%d events)\n", f.name, host, out.Events)
					if out.PoisonedSequence != 0 {
						fmt.Fprintf(a.stderr, "memledger-collector: %s: host %s: replaced its last sequence %d, beyond this collector's clock\n", f.name, host, out.PoisonedSequence)
					}
				case store.Duplicate:
					fmt.Fprintf(a.stdout, "%s: host %s: duplicate, nothing changed (%s)\n", f.name, host, cell(out.Message))
				default:
					msg := out.Message
					if out.Err != nil {
						msg = out.Err.Error()
					}
					fmt.Fprintf(a.stderr, "memledger-collector: %s: host %s: %s: %s\n", f.name, host, out.Status, cell(msg))
					failed++
				}
			}
		}
	}
	if failed > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("%d of %d files not ingested", failed, len(names))}
	}
	return nil
}

// hostLabel names a report's host for people: its id, and its hostname
// beside it when the inventory has one.
func hostLabel(r store.Report) string {
	if name := r.Inventory.GetHost().GetHostname(); name != "" {
		return cell(r.HostID) + " (" + cell(name) + ")"
	}
	return cell(r.HostID)
}

func (a *app) openInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		if a.stdin == nil {
			return nil, errors.New("-: no standard input")
		}
		return io.NopCloser(a.stdin), nil
	}
	f, err := fileutil.OpenInput(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}
