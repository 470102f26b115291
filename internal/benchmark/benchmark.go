// Package benchmark holds what the scale benchmarks share: the sizes they
// run at and the peak heap they report.
package benchmark

import (
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SizesEnv names the comma-separated list of Space sizes (control planes)
// that replaces a benchmark's default sizes, such as 50000 for the
// largest Space the targets name.
const SizesEnv = "WISCAN_BENCH_SIZES"

// Sizes are the sizes a benchmark runs at: SizesEnv's when set, else def.
func Sizes(tb testing.TB, def ...int) []int {
	tb.Helper()
	v := os.Getenv(SizesEnv)
	if v == "" {
		return def
	}
	var sizes []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			tb.Fatalf("%s=%q: want a comma-separated list of positive sizes", SizesEnv, v)
		}
		sizes = append(sizes, n)
	}
	return sizes
}

// heapObjects is the metric both functions read: the heap's objects, live
// and garbage not yet collected.
const heapObjects = "/memory/classes/heap/objects:bytes"

// Heap is the heap's size now, in MiB.
func Heap() float64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}

// PeakHeap samples the heap every 2 ms until stop is called, and returns
// the largest size it saw, in MiB.
func PeakHeap() (stop func() float64) {
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: heapObjects}}
		var most uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			most = max(most, s[0].Value.Uint64())
			select {
			case <-done:
				peak <- most
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		return float64(<-peak) / (1 << 20)
	}
}
