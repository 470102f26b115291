// Package terms makes a Rego built-in of a Go function: its arguments are
// decoded from Rego terms into Go values (through JSON, as the snapshot
// types read them) and its result encoded back. Each cloud's analysis
// declares its built-ins with it, so that none decodes terms by hand.
package terms

import (
	"encoding/json"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Function2 is the memoized built-in decl, calling f on its two arguments,
// which errors name as first and second.
func Function2[A, B, R any](decl *ast.Builtin, first, second string, f func(A, B) R) func(*rego.Rego) {
	return rego.Function2(&rego.Function{Name: decl.Name, Decl: decl.Decl, Memoize: true}, func(_ rego.BuiltinContext, at, bt *ast.Term) (*ast.Term, error) {
		var a A
		var b B
		if err := decode(at, &a); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", decl.Name, first, err)
		}
		if err := decode(bt, &b); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", decl.Name, second, err)
		}
		v, err := ast.InterfaceToValue(f(a, b))
		if err != nil {
			return nil, err
		}
		return ast.NewTerm(v), nil
	})
}

func decode(t *ast.Term, dst any) error {
	v, err := ast.JSON(t.Value)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}
