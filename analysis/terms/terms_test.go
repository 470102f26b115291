package terms

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
)

type pair struct {
	N int    `json:"n"`
	S string `json:"s"`
}

var decl = &ast.Builtin{Name: "test.join", Decl: types.NewFunction(types.Args(types.A, types.A), types.A)}

func eval(t *testing.T, query string) (any, error) {
	t.Helper()
	f := Function2(decl, "left", "right", func(a pair, b []string) map[string]any {
		return map[string]any{"n": a.N + len(b), "s": a.S + strings.Join(b, "")}
	})
	rs, err := rego.New(rego.Query(query), rego.StrictBuiltinErrors(true), f).Eval(context.Background())
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0].Expressions[0].Value, nil
}

// Arguments arrive as the Go types the function takes, and its result as
// a Rego value.
func TestFunction2(t *testing.T) {
	v, err := eval(t, `test.join({"n": 1, "s": "a"}, ["b", "c"])`)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := v.(map[string]any)
	if m["s"] != "abc" || m["n"] == nil {
		t.Errorf("got %v", v)
	}
}

// An argument that does not decode is an error naming the built-in and
// the argument.
func TestFunction2Errors(t *testing.T) {
	_, err := eval(t, `test.join({"n": "one"}, [])`)
	if err == nil || !strings.Contains(err.Error(), "test.join: left:") {
		t.Errorf("got %v", err)
	}
	_, err = eval(t, `test.join({}, {"x": 1})`)
	if err == nil || !strings.Contains(err.Error(), "test.join: right:") {
		t.Errorf("got %v", err)
	}
}
