//go:build mutate

package engine

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// flips are the comparison mutants: each operator and what it becomes.
var flips = map[string]string{
	"equal": "neq", "neq": "equal", "lt": "lte", "lte": "lt", "gt": "gte", "gte": "gt",
}

// mutant is one change to a control's module.
type mutant struct {
	where string
	apply func(*ast.Module)
}

// mutants lists, for a control's module, every comparison flipped and every
// condition dropped from a rule body with more than one.
func mutants(mod *ast.Module) []mutant {
	var out []mutant
	for ri, rule := range mod.Rules {
		for bi, expr := range rule.Body {
			loc := fmt.Sprintf("%s:%d", mod.Rules[ri].Location.File, expr.Location.Row)
			if op := expr.Operator(); len(op) == 1 {
				name := op.String()
				if to, ok := flips[name]; ok {
					out = append(out, mutant{where: loc + " " + name + "→" + to, apply: func(m *ast.Module) {
						m.Rules[ri].Body[bi].Terms.([]*ast.Term)[0] = ast.RefTerm(ast.VarTerm(to))
					}})
				}
			}
			if len(rule.Body) > 1 {
				out = append(out, mutant{where: loc + " condition dropped", apply: func(m *ast.Module) {
					m.Rules[ri].Body = append(m.Rules[ri].Body[:bi:bi], m.Rules[ri].Body[bi+1:]...)
				}})
			}
		}
	}
	return out
}

// TestRegoMutation mutates each control (comparisons flipped, conditions
// dropped, one at a time) and runs that control's Rego tests on each
// mutant; a mutant is killed when a test fails or the policy no longer
// compiles. It prints the share killed per control and every survivor.
// It is built only with the mutate tag: make mutate runs it (go test
// -tags mutate -run TestRegoMutation ./engine/).
func TestRegoMutation(t *testing.T) {
	modules := map[string]*ast.Module{}
	for p, src := range builtinRego(t) {
		mod, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		modules[p] = mod
	}
	var files []string
	for p, mod := range modules {
		if _, isControl, _ := parseMetadata(p, mod); isControl && !strings.HasSuffix(p, "_test.rego") {
			files = append(files, p)
		}
	}
	sort.Strings(files)
	ctx := context.Background()
	totalKilled, total := 0, 0
	for _, p := range files {
		mod := modules[p]
		testPkg := mod.Package.Path.String() + "_test"
		killed, ms := 0, mutants(mod)
		var survivors []string
		for _, m := range ms {
			mutated := mod.Copy()
			m.apply(mutated)
			set := map[string]*ast.Module{}
			for k, v := range modules {
				set[k] = v
			}
			set[p] = mutated
			if !passes(ctx, t, set, testPkg) {
				killed++
			} else {
				survivors = append(survivors, m.where)
			}
		}
		total += len(ms)
		totalKilled += killed
		share := 100.0
		if len(ms) > 0 {
			share = 100 * float64(killed) / float64(len(ms))
		}
		t.Logf("%-45s %3d/%3d killed (%5.1f %%)", p, killed, len(ms), share)
		for _, s := range survivors {
			t.Logf("    survived: %s", s)
		}
	}
	t.Logf("all controls: %d/%d killed (%.1f %%)", totalKilled, total, 100*float64(totalKilled)/float64(max(total, 1)))
}

// passes reports whether every test of the package passes on the modules;
// a compile error counts as failing.
func passes(ctx context.Context, t *testing.T, modules map[string]*ast.Module, pkg string) bool {
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(Capabilities()).WithSchemas(inputSchema(t))).
		SetModules(modules).
		AddCustomBuiltins(regoTestBuiltins()).
		Filter("^"+regexp.QuoteMeta(pkg)+`\.`).
		RunTests(ctx, nil)
	if err != nil {
		return false
	}
	ran := 0
	ok := true
	for res := range ch {
		ran++
		if res.Error != nil || res.Fail {
			ok = false
		}
	}
	return ok && ran > 0
}
