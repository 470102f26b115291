// Package rego holds wiscan's built-in policies: one control per file, each
// with its tests beside it, and shared helpers under lib/.
package rego

import "embed"

// FS holds the policies and their tests.
//
//go:embed lib/*.rego k8s/*.rego aws/*.rego azure/*.rego gcp/*.rego scan/*.rego
var FS embed.FS
