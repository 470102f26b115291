package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wiscan/wiscan/analysis"
	"github.com/wiscan/wiscan/memory"
)

// Errors for an evaluation stopped at a limit; the error names the policy.
var (
	ErrEvalTimeout = errors.New("policy evaluation exceeded its time limit")
	ErrEvalMemory  = errors.New("policy evaluation exceeded its memory limit")
)

// Default limits of an evaluation.
const (
	DefaultEvalTimeout = 5 * time.Minute
	DefaultMaxMemory   = memory.Default
)

// culpritBudget bounds the evaluation of one control while the engine
// looks for the one that ran away.
const culpritBudget = 10 * time.Second

// limited runs fn under the engine's time limit and a heap watchdog that
// cancels it when the live heap passes the memory limit.
func (e *Engine) limited(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	defer collectLess(e.maxMemory)()
	ctx, cancelTime := context.WithTimeoutCause(ctx, timeout, ErrEvalTimeout)
	defer cancelTime()
	ctx, stop := memory.Watch(ctx, e.maxMemory, ErrEvalMemory)
	defer stop()
	err := fn(ctx)
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrEvalTimeout) || errors.Is(cause, ErrEvalMemory) {
		return cause
	}
	return err
}

// culprit finds the control that hits the limit on its own, user policies
// first, and names it; it gives up on the parent context's end.
func (e *Engine) culprit(ctx context.Context, input ast.Value, limit error) error {
	order := make([]int, 0, len(e.controls))
	for i, c := range e.controls {
		if !c.Builtin {
			order = append(order, i)
		}
	}
	for i, c := range e.controls {
		if c.Builtin {
			order = append(order, i)
		}
	}
	budget := min(e.evalTimeout, culpritBudget)
	for _, i := range order {
		if ctx.Err() != nil {
			break
		}
		c := e.controls[i]
		q, err := rego.New(append([]func(*rego.Rego){rego.Compiler(e.compiler), rego.Query("data." + c.Package)}, analysis.Impls()...)...).PrepareForEval(ctx)
		if err != nil {
			continue
		}
		err = e.limited(ctx, budget, func(ctx context.Context) error {
			_, err := q.Eval(ctx, rego.EvalParsedInput(input))
			return err
		})
		if errors.Is(err, ErrEvalTimeout) || errors.Is(err, ErrEvalMemory) {
			return fmt.Errorf("%w: control %s (package %s)", limit, c.ID, c.Package)
		}
	}
	return fmt.Errorf("%w: no single control hits it alone", limit)
}

// evalGCPercent is the garbage collector's target while an evaluation
// runs. The evaluation allocates much and keeps little, so that at Go's
// default (100) the collector, not the policies, bounds how far the
// workers run side by side.
const evalGCPercent = 400

// collectLess lets the heap grow further between collections while an
// evaluation runs, within a soft memory limit below the evaluation's own
// bound (so that garbage alone never reaches it), and returns what
// restores the settings.
func collectLess(maxMemory int64) func() {
	oldPercent := debug.SetGCPercent(evalGCPercent)
	oldLimit := debug.SetMemoryLimit(-1)
	if soft := maxMemory / 10 * 9; maxMemory > 0 && soft < oldLimit {
		debug.SetMemoryLimit(soft)
	}
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}
