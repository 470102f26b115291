// Package memory bounds the heap of one phase of a scan (loading, then
// evaluating) and derives those bounds from the container's memory limit.
package memory

import (
	"context"
	"runtime/metrics"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// Default is each phase's bound outside a container, in bytes.
const Default = 4 << 30

// Watch returns a context that is cancelled with cause once the heap's
// objects (live, and garbage not yet collected) exceed limit bytes, and
// the function that stops watching. A limit of 0 is no bound.
func Watch(ctx context.Context, limit int64, cause error) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	if limit <= 0 {
		return ctx, func() { cancel(nil) }
	}
	stop := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(s)
				if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > uint64(limit) { //nolint:gosec // G115: limit is above 0 here
					cancel(cause)
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(stop)
		cancel(nil)
	}
}

// Limits are the bounds of a scan's phases and the Go runtime's soft
// limit, in bytes.
type Limits struct {
	// Load bounds the heap while the cluster or evidence is read; Eval
	// while the policies are evaluated (the snapshot read still in it).
	Load, Eval int64
	// Soft is the Go runtime's memory limit (GOMEMLIMIT), 0 for none.
	Soft int64
}

// For derives the bounds from a container's memory limit (0 when there
// is none): loading gets 40 % of it, so that the snapshot it leaves
// behind cannot starve the evaluation, which gets 75 % (the snapshot
// included); the runtime collects harder from 90 %. Without a limit each
// phase gets Default and the runtime none.
func For(container int64) Limits {
	if container <= 0 {
		return Limits{Load: Default, Eval: Default}
	}
	return Limits{Load: container / 10 * 4, Eval: container / 100 * 75, Soft: container / 10 * 9}
}

// Container is the process's cgroup memory limit, 0 when there is none
// (or it cannot be read).
func Container() int64 {
	l, err := memlimit.FromCgroup()
	if err != nil || l == 0 || l > 1<<50 {
		return 0
	}
	return int64(l) //nolint:gosec // G115: at most 1<<50 here
}
