package simulate

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// generatedCodec encodes the simulator's reports with the generated
// vtprotobuf code (MarshalVTStrict) instead of protobuf-go's reflective
// encoder. The simulator stands in for agents on other machines but shares
// the benchmark's machine with the collector, so what it spends encoding
// is taken from what is measured: encoding was three fifths of its CPU.
// The wire format is the same protobuf; only the order of host labels may
// differ, which the collector does not depend on. Anything without the
// generated methods (and all decoding) goes through the standard codec.
type generatedCodec struct{ base encoding.CodecV2 }

// reportCodec is the call option that selects generatedCodec.
func reportCodec() grpc.CallOption {
	return grpc.ForceCodecV2(generatedCodec{base: encoding.GetCodecV2(proto.Name)})
}

type generatedMessage interface {
	SizeVT() int
	MarshalToSizedBufferVTStrict([]byte) (int, error)
}

func (c generatedCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(generatedMessage)
	if !ok {
		return c.base.Marshal(v)
	}
	b := make([]byte, m.SizeVT())
	if _, err := m.MarshalToSizedBufferVTStrict(b); err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (c generatedCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return c.base.Unmarshal(data, v)
}

func (c generatedCodec) Name() string { return c.base.Name() }
