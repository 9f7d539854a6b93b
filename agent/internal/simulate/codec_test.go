package simulate

import (
	"testing"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// The generated encoding decodes, by protobuf-go, to the message encoded;
// messages without generated methods take the standard codec.
func TestGeneratedCodec(t *testing.T) {
	c := generatedCodec{base: encoding.GetCodecV2(grpcproto.Name)}
	inv := &memledgerv1.Inventory{
		Host:          &memledgerv1.Host{HostId: "h1", Hostname: "h1.example", Labels: map[string]string{"a": "1", "b": "2", "c": "3"}},
		CollectedAt:   timestamppb.Now(),
		MemoryModules: []*memledgerv1.MemoryModule{{Locator: "A1", SerialNumber: "S1", SizeBytes: 32 << 30}},
	}
	req := &memledgerv1.ReportRequest{HostId: "h1", Sequence: 7, Body: &memledgerv1.ReportRequest_Inventory{Inventory: inv}}
	for _, m := range []proto.Message{req, timestamppb.Now()} {
		data, err := c.Marshal(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		got := m.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(data.Materialize(), got); err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !proto.Equal(got, m) {
			t.Errorf("%T: decoded %v, want %v", m, got, m)
		}
	}
}
