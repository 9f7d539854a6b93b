// Package proto holds memledger's wire contract and generates its Go code.
//
// The generators are pinned in tools.mod (buf, protoc-gen-go,
// protoc-gen-go-grpc) so that `go generate ./proto` is reproducible on any
// machine with Go; .ci/check-proto fails when the committed code is stale.
package proto

//go:generate go tool -modfile=tools.mod buf generate
