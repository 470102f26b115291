// Package analysis is the one room of wiscan's own Rego built-ins: each
// cloud's analysis lives in a package of its own (analysis/aws, ...) and
// joins the list below, which the engine's capabilities, its queries and
// the Rego test runner all read. A cloud adds a line here, and no file to
// the engine.
package analysis

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wiscan/wiscan/analysis/aws"
	"github.com/wiscan/wiscan/analysis/azure"
	"github.com/wiscan/wiscan/analysis/gcp"
)

// Builtin is one of wiscan's own built-ins: its declaration and its
// implementation, as an option of a query.
type Builtin struct {
	Decl *ast.Builtin
	Impl func(*rego.Rego)
}

// Builtins lists every cloud's built-ins.
func Builtins() []Builtin {
	var out []Builtin
	for _, b := range []func() (*ast.Builtin, func(*rego.Rego)){aws.Builtin, azure.Builtin, gcp.AccessBuiltin, gcp.ImpersonationBuiltin} {
		decl, impl := b()
		out = append(out, Builtin{decl, impl})
	}
	return out
}

// Impls are the implementations, as options of a query.
func Impls() []func(*rego.Rego) {
	bs := Builtins()
	out := make([]func(*rego.Rego), len(bs))
	for i, b := range bs {
		out[i] = b.Impl
	}
	return out
}
