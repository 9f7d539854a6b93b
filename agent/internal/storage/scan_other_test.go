//go:build !linux

package storage

import (
	"context"
	"errors"
	"testing"
)

func TestScanUnsupported(t *testing.T) {
	_, _, err := Scan(context.Background(), nil)
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Scan error = %v, want ErrUnsupported", err)
	}
}
