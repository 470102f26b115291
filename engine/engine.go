// Package engine evaluates the Rego policies against a snapshot with OPA's
// Go SDK. Policies are compiled once into a prepared query; user policies run
// under capabilities without network or runtime built-ins.
package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wiscan/wiscan/analysis"
	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/input"
	builtin "github.com/wiscan/wiscan/rego"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
)

// ErrPolicy marks a policy that cannot be loaded or compiled.
var ErrPolicy = errors.New("policy")

// Options configure an engine.
type Options struct {
	// PolicyDirs hold user policies (*.rego, tests excluded) that join the
	// built-in ones under the same contract.
	PolicyDirs []string
	// EvalTimeout bounds one evaluation (DefaultEvalTimeout when zero);
	// MaxMemory bounds the live heap while it runs (DefaultMaxMemory when
	// zero).
	EvalTimeout time.Duration
	MaxMemory   int64
	// Workers is how many queries evaluate the controls side by side,
	// each over a group of controls (GOMAXPROCS when zero).
	Workers int
}

// Engine is a compiled set of controls.
type Engine struct {
	controls []report.Control
	// queries evaluate the controls in groups, side by side; together
	// they bind every control's rules once.
	queries     []rego.PreparedEvalQuery
	compiler    *ast.Compiler
	evalTimeout time.Duration
	maxMemory   int64
}

// Module is a parsed policy file.
type Module struct {
	File    string
	Source  string
	Builtin bool
}

// New loads, checks and compiles the built-in and user policies.
func New(ctx context.Context, opts Options) (*Engine, error) {
	mods, err := BuiltinModules()
	if err != nil {
		return nil, err
	}
	for _, dir := range opts.PolicyDirs {
		user, err := readDir(ctx, dir)
		if err != nil {
			return nil, err
		}
		mods = append(mods, user...)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e, err := compile(ctx, mods, Capabilities(), workers)
	if err != nil {
		return nil, err
	}
	e.evalTimeout = cmp.Or(opts.EvalTimeout, DefaultEvalTimeout)
	e.maxMemory = cmp.Or(opts.MaxMemory, DefaultMaxMemory)
	return e, nil
}

// BuiltinModules returns the embedded policies, tests excluded, and the
// clouds table.
func BuiltinModules() ([]Module, error) {
	table, err := CloudsModule()
	if err != nil {
		return nil, err
	}
	out := []Module{table}
	err = fs.WalkDir(builtin.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isPolicy(p) {
			return err
		}
		b, err := fs.ReadFile(builtin.FS, p)
		if err != nil {
			return err
		}
		out = append(out, Module{File: "rego/" + p, Source: string(b), Builtin: true})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read built-in policies: %w", ErrPolicy, err)
	}
	return out, nil
}

func isPolicy(p string) bool {
	return strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego")
}

func readDir(ctx context.Context, dir string) ([]Module, error) {
	var out []Module
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isPolicy(p) {
			return err
		}
		b, err := input.ReadFile(ctx, p, input.Policy)
		if err != nil {
			return err
		}
		out = append(out, Module{File: p, Source: string(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrPolicy, dir, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no .rego files in %s", ErrPolicy, dir)
	}
	return out, nil
}

// Capabilities are OPA's built-ins less those that reach the network or the
// host (http.send, net.*, opa.runtime), and wiscan's own.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if b.Name == "http.send" || b.Name == "opa.runtime" || strings.HasPrefix(b.Name, "net.") {
			continue
		}
		kept = append(kept, b)
	}
	caps.Builtins = kept
	for _, b := range analysis.Builtins() {
		caps.Builtins = append(caps.Builtins, b.Decl)
	}
	caps.AllowNet = []string{}
	return caps
}

func compile(ctx context.Context, mods []Module, caps *ast.Capabilities, workers int) (*Engine, error) {
	parsed := map[string]*ast.Module{}
	e := &Engine{}
	var parts [][]string // each control's bindings
	ids := map[string]string{}
	builtinPkgs := map[string]bool{}
	for _, m := range mods {
		mod, err := ast.ParseModuleWithOpts(m.File, m.Source, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
		}
		pkg := mod.Package.Path.String()
		if m.Builtin {
			builtinPkgs[pkg] = true
		} else if builtinPkgs[pkg] {
			return nil, fmt.Errorf("%w: %s: package %s is built in", ErrPolicy, m.File, strings.TrimPrefix(pkg, "data."))
		}
		parsed[m.File] = mod
		c, isControl, err := parseMetadata(m.File, mod)
		if err != nil {
			return nil, err
		}
		if !isControl {
			if definesRule(mod, "deny") {
				return nil, fmt.Errorf("%w: %s: a module with deny rules needs a METADATA block with custom.id", ErrMetadata, m.File)
			}
			continue
		}
		if other, dup := ids[c.ID]; dup {
			return nil, fmt.Errorf("%w: %s: control %s is already defined in %s", ErrMetadata, m.File, c.ID, other)
		}
		ids[c.ID] = m.File
		c.Package, c.Builtin = strings.TrimPrefix(pkg, "data."), m.Builtin
		i := len(e.controls)
		e.controls = append(e.controls, c)
		// A partial set rule is the empty set when nothing matches, so only
		// the rules a control defines are referenced.
		var q []string
		for _, rule := range []string{"deny", "unknown", "not_applicable"} {
			if definesRule(mod, rule) {
				q = append(q, fmt.Sprintf(`%s%d := %s.%s`, rule[:1], i, pkg, rule))
			}
		}
		parts = append(parts, q)
	}
	schemas, err := InputSchema()
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().WithCapabilities(caps).WithSchemas(schemas)
	if compiler.Compile(parsed); compiler.Failed() {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, compiler.Errors)
	}
	if len(e.controls) == 0 {
		return nil, fmt.Errorf("%w: no controls", ErrPolicy)
	}
	for _, g := range groups(e.controls, workers) {
		var query []string
		for _, i := range g {
			query = append(query, parts[i]...)
		}
		if len(query) == 0 {
			continue
		}
		opts := append([]func(*rego.Rego){rego.Compiler(compiler), rego.Query(strings.Join(query, "; "))}, analysis.Impls()...)
		pq, err := rego.New(opts...).PrepareForEval(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: prepare query: %w", ErrPolicy, err)
		}
		e.queries = append(e.queries, pq)
	}
	e.compiler = compiler
	return e, nil
}

// groups splits the controls (by index) among at most n workers, by the
// longest-first rule over units of work: every cloud's controls form one
// unit (a cluster runs on one cloud, and a cloud's controls share its
// analysis, which each query computes for itself); each other control is
// a unit of its own. A unit weighs its controls' relative costs
// (controlCost); the order of controls decides ties, so the grouping is
// the same on every run.
func groups(controls []report.Control, n int) [][]int {
	n = max(1, min(n, len(controls)))
	type unit struct {
		members []int
		cost    int
	}
	byKey := map[string]*unit{}
	var units []*unit
	for i, c := range controls {
		key := c.ID
		if parts := strings.Split(c.Package, "."); len(parts) > 2 && parts[0] == "wiscan" {
			if _, ok := clouds.Get(parts[1]); ok {
				key = "cloud"
			}
		}
		u, ok := byKey[key]
		if !ok {
			u = &unit{}
			byKey[key] = u
			units = append(units, u)
		}
		u.members = append(u.members, i)
		if key == "cloud" {
			u.cost = cloudCost
		} else {
			u.cost += cmp.Or(controlCost[c.ID], defaultCost)
		}
	}
	sort.SliceStable(units, func(a, b int) bool { return units[a].cost > units[b].cost })
	out := make([][]int, n)
	load := make([]int, n)
	for _, u := range units {
		least := 0
		for g := range out {
			if load[g] < load[least] {
				least = g
			}
		}
		out[least] = append(out[least], u.members...)
		load[least] += u.cost
	}
	return out
}

// controlCost is each Kubernetes control's relative cost, and cloudCost
// that of one cloud's controls together, in milliseconds per 1,000 control
// planes as measured on the benchmarks' Space; they only balance the
// groups. A control not listed (a user's) costs defaultCost.
var controlCost = map[string]int{
	"WI-K8S-001": 38, "WI-K8S-002": 59, "WI-K8S-003": 111, "WI-K8S-004": 31, "WI-K8S-005": 124,
	"WI-K8S-006": 14, "WI-K8S-007": 95, "WI-K8S-010": 19, "WI-K8S-011": 98, "WI-K8S-012": 1,
	"WI-K8S-013": 60, "WI-SCAN-001": 1,
}

const (
	cloudCost   = 100
	defaultCost = 30
)

// InputSchema is the snapshot's JSON Schema as the type of input, so
// that the compiler rejects a reference to a field the snapshot does not
// have (input.kubernetes.serviceAcounts) instead of leaving it undefined.
func InputSchema() (*ast.SchemaSet, error) {
	var doc any
	if err := json.Unmarshal(snapshot.Schema, &doc); err != nil {
		return nil, fmt.Errorf("%w: read the snapshot schema: %w", ErrPolicy, err)
	}
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, doc)
	return ss, nil
}

func definesRule(mod *ast.Module, name string) bool {
	for _, r := range mod.Rules {
		if r.Head.Name.String() == name || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.String() == name) {
			return true
		}
	}
	return false
}

// Controls returns the controls, sorted by ID.
func (e *Engine) Controls() []report.Control {
	out := append([]report.Control(nil), e.controls...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Result is one evaluation: the findings, and why each control that has
// nothing to check does not apply.
type Result struct {
	Findings      []report.Finding
	NotApplicable map[string]string
	// Phases are how long each part of the evaluation took.
	Phases Phases
}

// Phases time an evaluation: the input built from the snapshot, each
// group's query (side by side, so Eval is the longest of them), and the
// findings read from the results.
type Phases struct {
	Input    time.Duration
	Groups   []time.Duration
	Eval     time.Duration
	Findings time.Duration
}

// Evaluate runs every control against the snapshot and returns the
// findings.
func (e *Engine) Evaluate(ctx context.Context, s *snapshot.Snapshot) ([]report.Finding, error) {
	r, err := e.Run(ctx, s)
	return r.Findings, err
}

// Run runs every control against the snapshot. A control that defines
// not_applicable (a set of reasons) and finds nothing does not apply.
func (e *Engine) Run(ctx context.Context, s *snapshot.Snapshot) (Result, error) {
	var ph Phases
	start := time.Now()
	input, err := Input(s)
	if err != nil {
		return Result{}, err
	}
	ph.Input = time.Since(start)
	start = time.Now()
	bindings := rego.Vars{}
	ph.Groups = make([]time.Duration, len(e.queries))
	err = e.limited(ctx, e.evalTimeout, func(ctx context.Context) error {
		return e.evalAll(ctx, input, bindings, ph.Groups)
	})
	ph.Eval = time.Since(start)
	start = time.Now()
	if errors.Is(err, ErrEvalTimeout) || errors.Is(err, ErrEvalMemory) {
		runtime.GC()
		return Result{}, e.culprit(ctx, input, err)
	}
	if err != nil {
		return Result{}, fmt.Errorf("evaluate policies: %w", err)
	}
	out := Result{NotApplicable: map[string]string{}}
	var errs []error
	for i, c := range e.controls {
		for _, v := range asList(bindings[fmt.Sprintf("d%d", i)]) {
			f, err := finding(c, report.Fail, v)
			errs = append(errs, err)
			out.Findings = append(out.Findings, f)
		}
		for _, v := range asList(bindings[fmt.Sprintf("u%d", i)]) {
			f, err := finding(c, report.Unknown, v)
			errs = append(errs, err)
			out.Findings = append(out.Findings, f)
		}
		var why []string
		for _, v := range asList(bindings[fmt.Sprintf("n%d", i)]) {
			r, ok := v.(string)
			if !ok || r == "" {
				errs = append(errs, fmt.Errorf("%w: %s (%s): not_applicable holds %T, want non-empty strings", ErrContract, c.ID, c.Package, v))
				continue
			}
			why = append(why, r)
		}
		if len(why) > 0 {
			sort.Strings(why)
			out.NotApplicable[c.ID] = strings.Join(why, "; ")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	identify(out.Findings, e.controls, s)
	report.Sort(out.Findings)
	ph.Findings = time.Since(start)
	out.Phases = ph
	return out, nil
}

// ExprCost is the time one policy expression took in an evaluation, and
// how many times it was evaluated.
type ExprCost struct {
	Location string
	Time     time.Duration
	Evals    int
}

// Profile evaluates every control once more, in one query under OPA's
// profiler (several times slower than Run), and returns the n
// expressions that took longest, with their file and line.
func (e *Engine) Profile(ctx context.Context, s *snapshot.Snapshot, n int) ([]ExprCost, error) {
	input, err := Input(s)
	if err != nil {
		return nil, err
	}
	var query []string
	for i, c := range e.controls {
		for _, rule := range []string{"deny", "unknown", "not_applicable"} {
			if e.compiler.GetRules(ast.MustParseRef("data."+c.Package+"."+rule)) != nil {
				query = append(query, fmt.Sprintf(`%s%d := data.%s.%s`, rule[:1], i, c.Package, rule))
			}
		}
	}
	p := profiler.New()
	opts := append([]func(*rego.Rego){rego.Compiler(e.compiler), rego.Query(strings.Join(query, "; ")), rego.ParsedInput(input), rego.QueryTracer(p)}, analysis.Impls()...)
	err = e.limited(ctx, e.evalTimeout, func(ctx context.Context) error {
		_, err := rego.New(opts...).Eval(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("profile the evaluation: %w", err)
	}
	var out []ExprCost
	for _, st := range p.ReportTopNResults(-1, []string{"total_time_ns", "num_eval"}) {
		if st.Location == nil || st.Location.File == "" || len(out) == n {
			continue // the query itself
		}
		out = append(out, ExprCost{Location: fmt.Sprintf("%s:%d", st.Location.File, st.Location.Row), Time: time.Duration(st.ExprTimeNs), Evals: st.NumEval})
	}
	return out, nil
}

// evalAll evaluates the queries side by side on one input and gathers
// their bindings; the first error cancels the others and is returned.
func (e *Engine) evalAll(ctx context.Context, input ast.Value, into rego.Vars, took []time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	for i, q := range e.queries {
		wg.Go(func() {
			start := time.Now()
			rs, err := q.Eval(ctx, rego.EvalParsedInput(input))
			took[i] = time.Since(start)
			if err == nil && len(rs) != 1 {
				err = fmt.Errorf("%d results, want 1", len(rs))
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
					cancel()
				}
				return
			}
			maps.Copy(into, rs[0].Bindings)
		})
	}
	wg.Wait()
	return first
}

// identify names each finding's cloud where its control did not: the
// control's own (its package lies under wiscan.<cloud>), else that of the
// target the finding is about. Two findings of one key, which a control
// that names no problem may give, are told apart by their order of
// message.
func identify(fs []report.Finding, controls []report.Control, s *snapshot.Snapshot) {
	own := map[string]string{}
	for _, c := range controls {
		parts := strings.Split(c.Package, ".")
		if _, ok := clouds.Get(parts[min(1, len(parts)-1)]); ok && len(parts) > 2 {
			own[c.ID] = parts[1]
		}
	}
	byTarget, byNamespace := map[[2]string]string{}, map[string]string{}
	for _, t := range s.Targets {
		byTarget[[2]string{t.Profile, t.Namespace}] = t.Cloud
		if c, seen := byNamespace[t.Namespace]; seen && c != t.Cloud {
			t.Cloud = ""
		}
		byNamespace[t.Namespace] = t.Cloud
	}
	for i := range fs {
		f := &fs[i]
		switch {
		case f.Cloud != "":
		case own[f.ControlID] != "":
			f.Cloud = own[f.ControlID]
		case f.Profile != "":
			f.Cloud = byTarget[[2]string{f.Profile, f.Resource.Namespace}]
		default:
			f.Cloud = byNamespace[f.Resource.Namespace]
		}
	}
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := fs[order[a]], fs[order[b]]
		if x.Key != y.Key {
			return x.Key < y.Key
		}
		return x.Message < y.Message
	})
	for n := 1; n < len(order); n++ {
		first, f := fs[order[n-1]].Key, &fs[order[n]]
		if k := strings.SplitN(first, "#", 2)[0]; k == f.Key {
			dup := 2
			if _, c, ok := strings.Cut(first, "#"); ok {
				_, _ = fmt.Sscan(c, &dup)
				dup++
			}
			f.Key = fmt.Sprintf("%s#%d", k, dup)
			f.Fingerprint = report.Fingerprint(f.Key)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
