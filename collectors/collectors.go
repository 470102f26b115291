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

// Recognizer reads one cloud's command-line output among evidence files;
// the evidence collector walks the files and hands each JSON document that
// is not a Kubernetes object to every recognizer in its list.
type Recognizer interface {
	// Name names what it reads, as the collector's object counts do.
	Name() string
	// Document takes one decoded document (numbers as json.Number) and
	// reports whether it was its source's; lines(key, i) is the line of
	// item i of the top-level list key, 0 when unknown.
	Document(file string, line int, doc map[string]any, lines func(key string, i int) int) bool
	// Finish joins what was read into the snapshot, once every file is
	// read and the targets are resolved, and reports to gaps what it
	// cannot attribute and what the evidence lacks.
	Finish(s *snapshot.Snapshot, gaps EvidenceGaps)
}

// EvidenceGaps records what the evidence lacks or holds unusably.
type EvidenceGaps interface {
	// File reports a file (and line, 0 for the whole file) that cannot be
	// used; reason is one of the snapshot's gap reasons.
	File(file string, line int, reason, msg string)
	// Missing reports an object the evidence lacks: its kind and, for one
	// object, its name.
	Missing(kind, name, msg string)
}

// The accessors below read a decoded JSON document as recognizers walk
// it: a value of another type reads as empty.

// Object is v as an object.
func Object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// List is v as a list.
func List(v any) []any {
	l, _ := v.([]any)
	return l
}

// String is v as a string.
func String(v any) string {
	s, _ := v.(string)
	return s
}

// Strings are the strings of the list v.
func Strings(v any) []string {
	var out []string
	for _, it := range List(v) {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
