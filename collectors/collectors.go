// Package collectors defines the contract every source of a snapshot
// implements. A collector that partly fails records the gap in the snapshot
// and carries on; it returns an error only when the scan cannot go on.
package collectors

import (
	"context"
	"maps"
	"slices"
	"strings"

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

// BackupBuckets are the buckets the profiles expect, else those their
// backup configurations name: the buckets whose policies the cloud side
// reads, live or from evidence.
func BackupBuckets(s *snapshot.Snapshot) []string {
	seen := map[string]bool{}
	for _, p := range s.Profiles {
		if b := strings.TrimSpace(p.Storage.Bucket); b != "" {
			seen[b] = true
			continue
		}
		var cfgs []snapshot.BackupConfig
		switch p.BackupConfig {
		case "SharedBackupConfig":
			cfgs = s.Kubernetes.Spaces.SharedBackupConfigs
		case "SpaceBackupConfig":
			cfgs = s.Kubernetes.Spaces.SpaceBackupConfigs
		}
		for _, bc := range cfgs {
			if b := strings.TrimSpace(bc.Bucket); b != "" {
				seen[b] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
