package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/wiscan/wiscan/analysis"
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
	c := ast.NewCompiler().WithStrict(true).WithCapabilities(Capabilities()).WithSchemas(inputSchema(t))
	if c.Compile(parsed); c.Failed() {
		t.Fatal(c.Errors)
	}
}

// Every *_test.rego beside the policies passes; the run fails if no test
// ran at all.
func TestRegoTests(t *testing.T) {
	modules := map[string]*ast.Module{}
	for p, src := range builtinRego(t) {
		mod, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		modules[p] = mod
	}
	ctx := context.Background()
	// The runner's default of 5 s per test is a speed assertion that a
	// loaded machine under the race detector fails; the limit here only
	// stops a test that hangs.
	ch, err := tester.NewRunner().
		SetTimeout(5*time.Minute).
		SetCompiler(ast.NewCompiler().WithCapabilities(Capabilities()).WithSchemas(inputSchema(t))).
		SetModules(modules).
		AddCustomBuiltins(regoTestBuiltins()).
		EnableTracing(false).
		CapturePrintOutput(true).
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
			t.Errorf("%s failed; failing cases: %s\nprinted: %s", name, failures(t, modules, res.Package), res.Output)
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
func failures(_ *testing.T, modules map[string]*ast.Module, pkg string) string {
	c := ast.NewCompiler().WithCapabilities(Capabilities())
	if c.Compile(modules); c.Failed() {
		return c.Errors.Error()
	}
	opts := append([]func(*rego.Rego){rego.Compiler(c), rego.Query(pkg + ".failures")}, analysis.Impls()...)
	rs, err := rego.New(opts...).Eval(context.Background())
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
}

// A control's METADATA carries exactly the fixed key set: a missing or
// unknown key (or a misspelled one) fails to load.
func TestMetadataKeys(t *testing.T) {
	const good = `# METADATA
# title: T
# description: D
# related_resources:
#   - ref: https://example.com
# custom:
#   id: WI-USR-001
#   severity: high
#   remediation: R
package user.good

deny contains {"msg": "m", "resource": {"kind": "K", "name": "n"}} if false
`
	cases := []struct {
		name, src, err string
	}{
		{"complete", good, ""},
		{"unknown top-level key", strings.Replace(good, "# title: T", "# title: T\n# authors: [me]", 1), `unknown key "authors"`},
		{"two spellings of one key", strings.Replace(good, "#   severity: high", "#   severity: high\n#   Severity: high", 1), "unknown key custom.Severity"},
		{"missing severity", strings.Replace(good, "#   severity: high\n", "", 1), "missing key custom.severity"},
		{"missing title", strings.Replace(good, "# title: T\n", "", 1), "missing key title"},
		{"bad severity", strings.Replace(good, "severity: high", "severity: urgent", 1), `custom.severity "urgent"`},
		{"bad id", strings.Replace(good, "WI-USR-001", "usr1", 1), "is not of the form"},
		{"deny without metadata", "package user.bare\n\ndeny contains 1 if false\n", "needs a METADATA block"},
		{"duplicate of a built-in id", strings.Replace(good, "WI-USR-001", "WI-K8S-001", 1), "already defined"},
		{"built-in package", strings.Replace(good, "package user.good", "package wiscan.k8s.service_account", 1), "is built in"},
		// User policies run without network built-ins.
		{"http.send refused", strings.Replace(good, "if false", `if { http.send({"method": "get", "url": "http://127.0.0.1:1"}) }`, 1), "http.send"},
		{"net.lookup_ip_addr refused", strings.Replace(good, "if false", `if { net.lookup_ip_addr("example.com") }`, 1), "net.lookup_ip_addr"},
		{"opa.runtime refused", strings.Replace(good, "if false", `if { opa.runtime() }`, 1), "opa.runtime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(c.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(context.Background(), Options{PolicyDirs: []string{dir}})
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want one containing %q", err, c.err)
			}
		})
	}
}

// Every built-in control has a test package beside it.
func TestEveryControlHasTests(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.Controls() {
		file := strings.ReplaceAll(strings.TrimPrefix(c.Package, "wiscan."), ".", "/") + "_test.rego"
		if _, err := builtin.FS.ReadFile(file); err != nil {
			t.Errorf("%s (%s) has no %s", c.ID, c.Package, file)
		}
	}
}

// A user policy's finding that breaks the output contract is an error, not
// a silently dropped result.
func TestContractViolation(t *testing.T) {
	dir := t.TempDir()
	src := `# METADATA
# title: T
# description: D
# custom:
#   id: WI-USR-002
#   severity: low
#   remediation: R
package user.broken

deny contains {"message": "wrong key"} if true
`
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), Options{PolicyDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Evaluate(context.Background(), snapshot.New(time.Now()))
	if !errors.Is(err, ErrContract) {
		t.Fatalf("error %v, want ErrContract", err)
	}
}

// inputSchema is the snapshot schema as the type of input, as the
// engine compiles with it.
func inputSchema(t testing.TB) *ast.SchemaSet {
	t.Helper()
	ss, err := InputSchema()
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// regoTestBuiltins returns wiscan's built-ins in the form OPA's test runner
// takes, so that policy tests run with the same functions as scans.
func regoTestBuiltins() []*tester.Builtin {
	bs := analysis.Builtins()
	out := make([]*tester.Builtin, len(bs))
	for i, b := range bs {
		out[i] = &tester.Builtin{Decl: b.Decl, Func: b.Impl}
	}
	return out
}

// The policies pass OPA's own checks: strict compilation (as opa check
// --strict does: unused imports, variables and arguments, deprecated
// built-ins) and canonical formatting (as opa fmt writes it).
func TestRegoStrictAndFormatted(t *testing.T) {
	modules := map[string]*ast.Module{}
	for p, src := range builtinRego(t) {
		formatted, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(formatted, src) {
			t.Errorf("%s is not formatted as opa fmt writes it", p)
		}
		mod, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		modules[p] = mod
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities()).WithStrict(true).WithSchemas(inputSchema(t))
	if c.Compile(modules); c.Failed() {
		t.Errorf("strict compilation: %v", c.Errors)
	}
}

// builtinRego returns every Rego file shipped in the binary, tests
// included, by path, and the generated clouds table.
func builtinRego(t *testing.T) map[string][]byte {
	t.Helper()
	table, err := CloudsModule()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{table.File: []byte(table.Source)}
	err = fs.WalkDir(builtin.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		src, err := builtin.FS.ReadFile(p)
		out[p] = src
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A user policy's fix must be an action of the closed list with what the
// action needs; a finding's key is the control, the resource and the
// problem the policy names; a cloud must be one of the table.
func TestFindingIdentityAndFix(t *testing.T) {
	c := report.Control{ID: "USER-001", Package: "user.x", Severity: report.High}
	res := map[string]any{"kind": "ServiceAccount", "namespace": "ns", "name": "sa"}
	good := map[string]any{"msg": "m", "resource": res, "key": "no-binding", "cloud": "aws",
		"fix": map[string]any{"action": "annotate", "kind": "ServiceAccount", "namespace": "ns", "name": "sa", "key": "eks.amazonaws.com/role-arn", "value": "arn"}}
	f, err := finding(c, report.Fail, good)
	if err != nil {
		t.Fatal(err)
	}
	if f.Key != "USER-001|ServiceAccount/ns/sa|no-binding" || f.Fingerprint != report.Fingerprint(f.Key) || len(f.Fingerprint) != 16 {
		t.Errorf("key %q fingerprint %q", f.Key, f.Fingerprint)
	}
	if f.Cloud != "aws" || f.Fix == nil || f.Fix.Action != report.Annotate || f.Fix.Key != "eks.amazonaws.com/role-arn" {
		t.Errorf("cloud %q fix %+v", f.Cloud, f.Fix)
	}
	bad := map[string]map[string]any{
		"action not in the list":   {"action": "delete", "kind": "Secret", "name": "s"},
		"a field no fix has":       {"action": "restart", "kind": "Deployment", "name": "d", "remove": "x"},
		"no object":                {"action": "restart"},
		"annotate without a key":   {"action": "annotate", "kind": "ServiceAccount", "name": "sa"},
		"rename without from":      {"action": "rename-key", "kind": "ServiceAccount", "name": "sa", "key": "k", "in": "annotations"},
		"rename without its map":   {"action": "rename-key", "kind": "ServiceAccount", "name": "sa", "key": "k", "from": "j"},
		"rename in no such map":    {"action": "rename-key", "kind": "ServiceAccount", "name": "sa", "key": "k", "from": "j", "in": "spec"},
		"trust without subjects":   {"action": "trust-subject", "kind": "IAMRole", "name": "r"},
		"associate without a home": {"action": "associate", "kind": "ServiceAccount", "name": "sa"},
		"grant without resources":  {"action": "grant", "kind": "IAMRole", "name": "r", "actions": []any{"s3:GetObject"}},
	}
	for name, fix := range bad {
		if _, err := finding(c, report.Fail, map[string]any{"msg": "m", "resource": res, "fix": fix}); !errors.Is(err, ErrContract) {
			t.Errorf("%s: error %v, want ErrContract", name, err)
		}
	}
	if _, err := finding(c, report.Fail, map[string]any{"msg": "m", "resource": res, "cloud": "oracle"}); !errors.Is(err, ErrContract) {
		t.Errorf("unknown cloud: error %v, want ErrContract", err)
	}
}

// A finding's cloud is the one its policy names, else its control's (a
// package under wiscan.<cloud>), else its target's (by profile and
// namespace), else the one cloud of its namespace's targets; two findings
// of one key are told apart by message order, the first keeping it.
func TestIdentify(t *testing.T) {
	s := snapshot.New(time.Now())
	s.Targets = []snapshot.Target{
		{Profile: "a", Namespace: "ns1", Cloud: "azure"},
		{Profile: "b", Namespace: "ns1", Cloud: "gcp"},
		{Profile: "a", Namespace: "ns2", Cloud: "gcp"},
	}
	controls := []report.Control{{ID: "WI-AWS-X", Package: "wiscan.aws.x"}, {ID: "WI-K8S-X", Package: "wiscan.k8s.x"}, {ID: "U", Package: "aws"}}
	key := report.FindingKey("WI-K8S-X", report.Resource{Kind: "Pod", Namespace: "ns2", Name: "p"}, "")
	fs := []report.Finding{
		{ControlID: "WI-AWS-X", Resource: report.Resource{Namespace: "ns1"}, Key: "1"},
		{ControlID: "WI-K8S-X", Profile: "b", Resource: report.Resource{Namespace: "ns1"}, Key: "2"},
		{ControlID: "WI-K8S-X", Resource: report.Resource{Namespace: "ns1"}, Key: "3"},
		{ControlID: "WI-K8S-X", Resource: report.Resource{Namespace: "ns2"}, Key: key, Message: "z"},
		{ControlID: "WI-K8S-X", Resource: report.Resource{Namespace: "ns2"}, Key: key, Message: "a"},
		{ControlID: "WI-K8S-X", Resource: report.Resource{Namespace: "ns2"}, Key: key, Message: "m"},
		{ControlID: "U", Cloud: "azure", Key: "7"},
		{ControlID: "U", Resource: report.Resource{Namespace: "none"}, Key: "8"},
	}
	identify(fs, controls, s)
	want := []struct{ cloud, key string }{
		{"aws", "1"}, {"gcp", "2"}, {"", "3"},
		{"gcp", key + "#3"}, {"gcp", key}, {"gcp", key + "#2"},
		{"azure", "7"}, {"", "8"},
	}
	for i, w := range want {
		if fs[i].Cloud != w.cloud || fs[i].Key != w.key {
			t.Errorf("finding %d: cloud %q key %q, want %q %q", i, fs[i].Cloud, fs[i].Key, w.cloud, w.key)
		}
	}
	if fs[3].Fingerprint != report.Fingerprint(key+"#3") {
		t.Error("a renamed key keeps its old fingerprint")
	}
}
