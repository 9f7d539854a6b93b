package send

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// IngestService is the gRPC service name agents report to; the collector
// reports its health under this name.
const IngestService = "memledger.v1.IngestService"

// CheckHealth asks the collector on cc, through the standard gRPC health
// service, whether IngestService is serving. It touches no ledger data, so
// "memledger-agent doctor" can use it as a round trip. It returns nil when
// the collector answers SERVING, an error naming the status otherwise.
func CheckHealth(ctx context.Context, cc grpc.ClientConnInterface) error {
	resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: IngestService})
	if err != nil {
		return fmt.Errorf("health check of %s: %w", IngestService, err)
	}
	if s := resp.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health check of %s: collector answers %s", IngestService, s)
	}
	return nil
}
