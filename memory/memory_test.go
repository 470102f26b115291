package memory

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The phases' bounds follow a container's limit, loading's below
// evaluation's and both below the runtime's; without one, the defaults.
func TestFor(t *testing.T) {
	if got := For(0); got != (Limits{Load: Default, Eval: Default}) {
		t.Errorf("no container: %+v", got)
	}
	l := For(1 << 30)
	if l.Load != 429496728 || l.Eval != 805306350 || l.Soft != 966367638 {
		t.Errorf("1 GiB: %+v", l)
	}
	if l.Load >= l.Eval || l.Eval >= l.Soft || l.Soft >= 1<<30 {
		t.Errorf("1 GiB: bounds out of order %+v", l)
	}
}

var errOver = errors.New("over")

// A heap over the bound cancels the context with the cause given; under
// it, nothing happens until stopped.
func TestWatch(t *testing.T) {
	ctx, stop := Watch(context.Background(), 1, errOver)
	defer stop()
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), errOver) {
			t.Errorf("cause %v", context.Cause(ctx))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a heap over 1 byte was not noticed")
	}
	ctx, stop = Watch(context.Background(), 1<<50, errOver)
	time.Sleep(60 * time.Millisecond)
	if ctx.Err() != nil {
		t.Errorf("cancelled under the bound: %v", context.Cause(ctx))
	}
	stop()
	if ctx.Err() == nil || errors.Is(context.Cause(ctx), errOver) {
		t.Errorf("after stop: %v", context.Cause(ctx))
	}
}
