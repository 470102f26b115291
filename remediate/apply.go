package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/wiscan/wiscan/report"
)

// Applier makes the steps of one target that wiscan apply runs. It re-reads
// what a step changes just before it writes: a value that is no longer the
// one the scan read is ErrChanged, and one that already holds the change
// needs no write.
type Applier interface {
	Apply(ctx context.Context, s Step, dryRun bool) (Change, error)
}

// Change is what applying one step did.
type Change struct {
	// Wrote is false when the object already held the change.
	Wrote bool
	// Before and After describe the value changed (never a Secret's).
	Before, After string
}

// Sentinels an applier returns.
var (
	// ErrChanged marks an object that changed since the scan: nothing is
	// written, and a new scan plans from the new state.
	ErrChanged = errors.New("changed since the scan")
	// ErrNotApplicable marks a step an applier cannot make (by hand, a
	// Helm release's value, a kind it does not know).
	ErrNotApplicable = errors.New("not applied by wiscan")
)

// Targets are the places a step changes, as --only names them.
var Targets = []string{"kubernetes", "aws", "azure", "gcp"}

// Target is where a step makes its change.
func (s Step) Target() string {
	switch s.Action {
	case report.TrustSubject, report.TrustProvider, report.Associate, report.Grant, report.Narrow:
		return "aws"
	case report.Federate, report.AssignRole, report.Unassign, report.DisableSharedKey:
		return "azure"
	case report.Bind, report.Unbind, report.NodePoolMetadata, report.DeleteKey:
		return "gcp"
	}
	return "kubernetes"
}

// Selection chooses the steps wiscan apply makes.
type Selection struct {
	// Only are targets (Targets); empty for all.
	Only []string
	// Controls are control IDs: a step is chosen when it fixes a finding
	// of one of them; empty for all.
	Controls []string
	// Namespaces confine the Kubernetes steps; cloud steps are chosen by
	// Only and Controls.
	Namespaces []string
}

// Chosen says whether the selection takes a step.
func (sel Selection) Chosen(s Step) bool {
	if len(sel.Only) > 0 && !slices.Contains(sel.Only, s.Target()) {
		return false
	}
	if len(sel.Controls) > 0 && !slices.ContainsFunc(s.Findings, func(k string) bool {
		id, _, _ := strings.Cut(k, "|")
		return slices.Contains(sel.Controls, id)
	}) {
		return false
	}
	if _, ns, _ := split(s.Object); len(sel.Namespaces) > 0 && s.Target() == "kubernetes" {
		return slices.Contains(sel.Namespaces, ns)
	}
	return true
}

// Runnable says whether wiscan can make a step: one with a command, not
// withheld, not a Helm release's value, and on Kubernetes one with its
// patch (or a restart or deletion, which need none).
func (s Step) Runnable() bool {
	if s.Args == nil || s.Needs != "" || s.Helm != nil {
		return false
	}
	return s.Target() != "kubernetes" || s.Patch != nil || s.Action == report.Restart || s.Action == report.DeleteSecret
}

// Outcome is what a run of steps did.
type Outcome struct {
	// Applied are the steps written, and Unchanged those whose object
	// already held the change.
	Applied, Unchanged []Step
	// Failed is the step that stopped the run, and Err why.
	Failed *Step
	Err    error
}

// Run makes the steps in order. Every step is first checked (a
// server-side dry run, its preconditions read again) before any is
// written, so that a state that changed since the scan is found before
// the first write; then each is written, checking again just before. The
// first that fails stops the run: a second run plans from the state this
// one left and continues from there. Every change is logged with its
// before and after.
func Run(ctx context.Context, steps []Step, appliers map[string]Applier, dryRun bool, log *slog.Logger, done func(verb string, s Step, c Change)) Outcome {
	var out Outcome
	checked := make([]Change, len(steps))
	for i := range steps {
		a, ok := appliers[steps[i].Target()]
		if !ok {
			out.Failed, out.Err = &steps[i], fmt.Errorf("%w: no %s access configured", ErrNotApplicable, steps[i].Target())
			return out
		}
		c, err := a.Apply(ctx, steps[i], true)
		if err != nil {
			out.Failed, out.Err = &steps[i], err
			return out
		}
		checked[i] = c
	}
	for i := range steps {
		s, c := steps[i], checked[i]
		var err error
		if !dryRun && c.Wrote {
			c, err = appliers[s.Target()].Apply(ctx, s, false)
		}
		if err != nil {
			out.Failed, out.Err = &steps[i], err
			return out
		}
		verb := "applied"
		switch {
		case !c.Wrote:
			verb = "already applied"
			out.Unchanged = append(out.Unchanged, s)
		case dryRun:
			verb = "dry run passed"
			out.Applied = append(out.Applied, s)
		default:
			out.Applied = append(out.Applied, s)
		}
		log.Info(verb, "step", string(s.Action), "object", report.Clean(s.Object), "before", report.Clean(c.Before), "after", report.Clean(c.After))
		if done != nil {
			done(verb, s, c)
		}
	}
	return out
}
