// Package scan is wiscan's pipeline without a command line: resolve the
// profiles, collect the cluster (live or from evidence files) and the
// clouds the targets use, evaluate the policies, and build the report. The
// CLI, a scheduled in-cluster scan and remediation all run it through Run,
// Collect and Evaluator.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/collectors/evidence"
	"github.com/wiscan/wiscan/collectors/kube"
	"github.com/wiscan/wiscan/collectors/secrets"
	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/memory"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/waivers"
)

// ErrConfig marks a configuration refused before anything is read: an
// unknown profile or cloud, a policy that does not compile, contradicting
// settings.
var ErrConfig = errors.New("invalid configuration")

// ErrIncomplete marks a scan that started but could not finish: a
// collector or the evaluation failed, or the context ended. No report is
// made from it.
var ErrIncomplete = errors.New("scan incomplete")

// ErrLoadMemory is the cause of a collection stopped at its memory bound.
var ErrLoadMemory = errors.New("reading exceeded its memory limit")

// Config is one scan: what to check, where to read it, and how to
// evaluate it.
type Config struct {
	// Profiles are built-in profile names and ProfileFiles user profile
	// files; with neither, the default profile.
	Profiles     []string
	ProfileFiles []string
	// Cloud, when set, is every profile's cloud.
	Cloud string
	// Evidence is a folder (or file) of exported files; empty reads the
	// live cluster through Kube.
	Evidence string
	Kube     Kube
	// LoadMemory bounds the heap while the cluster, the evidence and the
	// clouds are read, in bytes (memory.Default when zero).
	LoadMemory int64
	// AWS, Azure and GCP configure the clouds' sources.
	AWS      AWS
	Azure    Azure
	GCP      GCP
	Policies Policies
	// Accept names the waivers and the baseline that accept findings.
	Accept Accept
	// Version names the tool's version in the report.
	Version string
	// Log receives the collectors' messages; Progress (optional) a line
	// about long work, and ProgressDone the end of a stage.
	Log          *slog.Logger
	Progress     collectors.Progress
	ProgressDone func()
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Kube configures the live cluster source.
type Kube struct {
	Kubeconfig string
	Context    string
	// Timeout bounds each API call (and each cloud call).
	Timeout time.Duration
	// SkipSecrets reads no Secret, live or from evidence (the controls on
	// their content do not apply, and say why).
	SkipSecrets bool
	// Namespaces confine a live scan to these namespaces, with namespaced
	// reads only (kube.Options.Namespaces).
	Namespaces []string
}

// Policies configure the evaluation.
type Policies struct {
	// Dirs hold user policies that join the built-in ones.
	Dirs []string
	// EvalTimeout and MaxMemory bound the evaluation (the engine's
	// defaults when zero).
	EvalTimeout time.Duration
	MaxMemory   int64
	// Workers is how many groups of controls are evaluated side by side
	// (GOMAXPROCS when zero).
	Workers int
}

// Accept names what accepts findings: a waivers file, and an earlier JSON
// report whose failures are the baseline.
type Accept struct {
	Waivers  string
	Baseline string
}

// load reads the waivers and the baseline; now bounds the waivers' terms.
func (a Accept) load(ctx context.Context, now time.Time) ([]waivers.Waiver, error) {
	var ws []waivers.Waiver
	if a.Waivers != "" {
		w, err := waivers.Load(ctx, a.Waivers, now)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: interrupted while reading the waivers: %w", ErrIncomplete, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		ws = append(ws, w...)
	}
	if a.Baseline != "" {
		b, err := waivers.Baseline(ctx, a.Baseline)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: interrupted while reading the baseline: %w", ErrIncomplete, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		ws = append(ws, b...)
	}
	return ws, nil
}

func (c Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c Config) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func (c Config) done() {
	if c.ProgressDone != nil {
		c.ProgressDone()
	}
}

// check refuses settings outside their range or that contradict each
// other.
func (c Config) check() error {
	if c.Kube.Timeout <= 0 {
		return fmt.Errorf("%w: timeout %s: want a duration greater than 0", ErrConfig, c.Kube.Timeout)
	}
	if c.Cloud != "" {
		if _, ok := clouds.Get(c.Cloud); !ok {
			return fmt.Errorf("%w: cloud %q: want one of %s", ErrConfig, c.Cloud, strings.Join(clouds.Names(), ", "))
		}
	}
	if c.Evidence != "" && (c.Kube.Kubeconfig != "" || c.Kube.Context != "") {
		return fmt.Errorf("%w: evidence is read from files; it does not take a kubeconfig or a context", ErrConfig)
	}
	for _, s := range c.cloudSources() {
		if err := s.check(c); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}

// Run compiles the policies, collects and evaluates: the whole scan.
func Run(ctx context.Context, c Config) (report.Report, *snapshot.Snapshot, error) {
	e, err := NewEvaluator(ctx, c)
	if err != nil {
		return report.Report{}, nil, err
	}
	s, err := Collect(ctx, c)
	if err != nil {
		return report.Report{}, nil, err
	}
	r, err := e.Evaluate(ctx, s)
	return r, s, err
}

// Collect builds a snapshot: the cluster from the live API or the evidence,
// the targets resolved, then the IAM state of each cloud a target uses.
func Collect(ctx context.Context, c Config) (*snapshot.Snapshot, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	ps, err := profiles.Resolve(ctx, c.Profiles, c.ProfileFiles)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: interrupted while reading the profiles: %w", ErrIncomplete, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for i := range ps {
		if c.Cloud != "" {
			ps[i].Cloud = c.Cloud
		}
	}
	s := snapshot.New(c.now())
	s.Profiles = ps
	bound := cmp.Or(c.LoadMemory, memory.Default)
	ctx, stop := memory.Watch(ctx, bound, ErrLoadMemory)
	defer stop()
	err = c.collect(ctx, s)
	if errors.Is(context.Cause(ctx), ErrLoadMemory) {
		return nil, fmt.Errorf("%w: reading needed more than %d MiB of heap (--load-memory %d; read so far: %s); no report was written", ErrIncomplete, bound>>20, bound>>20, ReadSoFar(s))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// collect runs the collectors into s.
func (c Config) collect(ctx context.Context, s *snapshot.Snapshot) error {
	var cluster collectors.Collector
	if c.Evidence != "" {
		cluster = &evidence.Collector{Dir: c.Evidence, Progress: c.Progress, Log: c.log(), SkipClouds: c.skipped(), SkipSecrets: c.Kube.SkipSecrets}
	} else {
		k, err := kube.New(kube.Options{Kubeconfig: c.Kube.Kubeconfig, Context: c.Kube.Context, Timeout: c.Kube.Timeout, SkipSecrets: c.Kube.SkipSecrets, Namespaces: c.Kube.Namespaces, Progress: c.Progress, Log: c.log()})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
		cluster = k
	}
	if err := c.run(ctx, cluster, s); err != nil {
		return err
	}
	start := time.Now()
	if err := profiles.Target(s); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c.log().Debug("targets resolved", "targets", len(s.Targets), "took", time.Since(start).Round(time.Millisecond))
	for _, src := range c.cloudSources() {
		start := time.Now()
		if err := src.collect(ctx, c, s); err != nil {
			return err
		}
		c.log().Debug("cloud collected", "cloud", src.cloud, "took", time.Since(start).Round(time.Millisecond))
	}
	s.Source.SkipCloud = c.skipped()
	// The one redaction of everything read, live or from evidence.
	start = time.Now()
	secrets.Scrub(s)
	s.Sort()
	c.log().Debug("scrubbed and sorted", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// skipped are the clouds the configuration leaves unread.
func (c Config) skipped() []string {
	var out []string
	for cloud, skip := range map[string]bool{"aws": c.AWS.Skip, "azure": c.Azure.Skip, "gcp": c.GCP.Skip} {
		if skip {
			out = append(out, cloud)
		}
	}
	slices.Sort(out)
	return out
}

// run runs one collector and names what was read when it stops.
func (c Config) run(ctx context.Context, col collectors.Collector, s *snapshot.Snapshot) error {
	c.log().Info("collecting", "collector", col.Name())
	start := time.Now()
	err := col.Collect(ctx, s)
	c.done()
	c.log().Debug("collected", "collector", col.Name(), "took", time.Since(start).Round(time.Millisecond))
	switch {
	case errors.Is(err, profiles.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrConfig, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: interrupted while reading %s (read so far: %s); no report was written", ErrIncomplete, col.Name(), ReadSoFar(s))
	case err != nil:
		return fmt.Errorf("%w: collect %s: %w", ErrIncomplete, col.Name(), err)
	}
	return nil
}

// Evaluator is a compiled set of policies that turns snapshots into
// reports.
type Evaluator struct {
	c       Config
	eng     *engine.Engine
	waivers []waivers.Waiver
}

// NewEvaluator compiles the built-in and user policies.
func NewEvaluator(ctx context.Context, c Config) (*Evaluator, error) {
	eng, err := engine.New(ctx, engine.Options{PolicyDirs: c.Policies.Dirs, EvalTimeout: c.Policies.EvalTimeout, MaxMemory: c.Policies.MaxMemory, Workers: c.Policies.Workers})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	ws, err := c.Accept.load(ctx, c.now())
	if err != nil {
		return nil, err
	}
	return &Evaluator{c: c, eng: eng, waivers: ws}, nil
}

// Controls are the compiled controls and WI-SCAN-002, which judges the
// waivers, sorted by ID.
func (e *Evaluator) Controls() []report.Control {
	cs := append(e.eng.Controls(), waivers.Control)
	slices.SortFunc(cs, func(a, b report.Control) int { return strings.Compare(a.ID, b.ID) })
	return cs
}

// Evaluate resolves the snapshot's targets again (a snapshot from a file
// may predate its data) and runs every control over it.
func (e *Evaluator) Evaluate(ctx context.Context, s *snapshot.Snapshot) (report.Report, error) {
	start := time.Now()
	if err := profiles.Target(s); err != nil {
		return report.Report{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	targets := time.Since(start)
	res, err := e.eng.Run(ctx, s)
	if ctx.Err() != nil {
		return report.Report{}, fmt.Errorf("%w: interrupted while evaluating the policies; no report was written", ErrIncomplete)
	}
	if err != nil {
		return report.Report{}, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	now := e.c.now()
	controls := e.Controls()
	findings := append(res.Findings, waivers.Apply(res.Findings, controls, e.waivers, now)...)
	if len(e.waivers) == 0 {
		if res.NotApplicable == nil {
			res.NotApplicable = map[string]string{}
		}
		res.NotApplicable[waivers.ControlID] = "no waivers or baseline given"
	}
	start = time.Now()
	r := report.New(report.Tool{Name: "wiscan", Version: e.c.Version}, now, s, controls, findings, res.NotApplicable)
	groups := make([]string, len(res.Phases.Groups))
	for i, d := range res.Phases.Groups {
		groups[i] = d.Round(time.Millisecond).String()
	}
	e.c.log().Debug("evaluated", "targets", len(s.Targets), "findings", len(r.Findings),
		"resolve", targets.Round(time.Millisecond), "input", res.Phases.Input.Round(time.Millisecond),
		"eval", res.Phases.Eval.Round(time.Millisecond), "groups", strings.Join(groups, " "),
		"findingsRead", res.Phases.Findings.Round(time.Millisecond), "report", time.Since(start).Round(time.Millisecond))
	return r, nil
}

// Profile evaluates the snapshot once more under OPA's profiler and
// returns its n costliest policy expressions.
func (e *Evaluator) Profile(ctx context.Context, s *snapshot.Snapshot, n int) ([]engine.ExprCost, error) {
	costs, err := e.eng.Profile(ctx, s, n)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	return costs, nil
}

// ReadSoFar summarises the collectors' object counts.
func ReadSoFar(s *snapshot.Snapshot) string {
	var parts []string
	for _, st := range s.Stats {
		for _, k := range slices.Sorted(maps.Keys(st.Objects)) {
			parts = append(parts, fmt.Sprintf("%d %s", st.Objects[k], k))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
