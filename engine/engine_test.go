package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"

	builtin "github.com/wiscan/wiscan/rego"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
)

// The built-in policies compile, also under OPA's strict mode, which
// rejects unused variables and imports and deprecated built-ins.
func TestBuiltinPoliciesCompileStrict(t *testing.T) {
	mods, err := BuiltinModules()
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.Module{}
	for _, m := range mods {
		mod, err := ast.ParseModuleWithOpts(m.File, m.Source, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		parsed[m.File] = mod
	}
	c := ast.NewCompiler().WithStrict(true).WithCapabilities(Capabilities())
	if c.Compile(parsed); c.Failed() {
		t.Fatal(c.Errors)
	}
}

// Every *_test.rego beside the policies passes; the run fails if no test
// ran at all.
func TestRegoTests(t *testing.T) {
	files, err := builtin.FS.ReadDir("k8s")
	if err != nil {
		t.Fatal(err)
	}
	_ = files
	modules := map[string]*ast.Module{}
	for _, dir := range []string{"lib", "k8s", "scan"} {
		entries, err := builtin.FS.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := builtin.FS.ReadFile(dir + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			mod, err := ast.ParseModuleWithOpts(dir+"/"+e.Name(), string(b), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			modules[dir+"/"+e.Name()] = mod
		}
	}
	ctx := context.Background()
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithCapabilities(Capabilities())).
		SetModules(modules).
		EnableTracing(false).
		RunTests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for res := range ch {
		ran++
		name := res.Package + "." + res.Name
		switch {
		case res.Error != nil:
			t.Errorf("%s: %v", name, res.Error)
		case res.Fail:
			t.Errorf("%s failed; failing cases: %s", name, failures(t, modules, res.Package))
		case res.Skip:
			t.Errorf("%s skipped", name)
		}
	}
	if ran == 0 {
		t.Fatal("no Rego test ran")
	}
	t.Logf("%d Rego tests", ran)
}

// failures evaluates a test package's failures set, which the table-driven
// tests define, so that a failed test names its cases.
func failures(t *testing.T, modules map[string]*ast.Module, pkg string) string {
	c := ast.NewCompiler().WithCapabilities(Capabilities())
	if c.Compile(modules); c.Failed() {
		return c.Errors.Error()
	}
	rs, err := rego.New(rego.Compiler(c), rego.Query(pkg+".failures")).Eval(context.Background())
	if err != nil || len(rs) == 0 {
		return fmt.Sprintf("(no failures set: %v)", err)
	}
	b, _ := json.MarshalIndent(rs[0].Expressions[0].Value, "", "  ")
	return string(b)
}

// An empty snapshot evaluates without error.
func TestEvaluateEmpty(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New(time.Now())
	fs, err := e.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Fatalf("findings on an empty snapshot: %+v", fs)
	}
	if len(e.Controls()) < 12 {
		t.Fatalf("only %d controls", len(e.Controls()))
	}
	_ = report.Fail
	_ = errors.New
	_ = strings.Contains
}
