// Package collectors defines the contract every source of a snapshot
// implements. A collector that partly fails records the gap in the snapshot
// and carries on; it returns an error only when the scan cannot go on.
package collectors

import (
	"context"

	"github.com/wiscan/wiscan/snapshot"
)

// Collector fills part of a snapshot.
type Collector interface {
	Name() string
	Collect(ctx context.Context, s *snapshot.Snapshot) error
}

// Progress receives a line about long work; nil is allowed and ignored.
type Progress func(msg string)

// Report calls p if it is set.
func (p Progress) Report(msg string) {
	if p != nil {
		p(msg)
	}
}
