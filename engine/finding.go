package engine

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wiscan/wiscan/report"
)

// ErrContract marks a policy result that breaks the output contract.
var ErrContract = errors.New("policy result breaks the contract")

var findingKeys = map[string]bool{"msg": true, "resource": true, "evidence": true, "fix": true, "profile": true}

// finding turns one deny or unknown value into a report finding. A value
// must be an object with msg (string) and resource (object with kind and
// name), and may have evidence, fix (object) and profile (string).
func finding(c report.Control, status report.Status, v any) (report.Finding, error) {
	f := report.Finding{ControlID: c.ID, Status: status, Severity: c.Severity, Title: c.Title, Remediation: c.Remediation}
	m, ok := v.(map[string]any)
	if !ok {
		return f, fmt.Errorf("%w: %s (%s) returned %T, want an object", ErrContract, c.ID, c.Package, v)
	}
	var errs []error
	for k := range m {
		if !findingKeys[k] {
			errs = append(errs, fmt.Errorf("unknown key %q", k))
		}
	}
	if f.Message, ok = m["msg"].(string); !ok || f.Message == "" {
		errs = append(errs, errors.New("msg must be a non-empty string"))
	}
	res, ok := m["resource"].(map[string]any)
	if !ok {
		errs = append(errs, errors.New("resource must be an object"))
	}
	f.Resource = resource(res)
	if f.Resource.Kind == "" || f.Resource.Name == "" {
		errs = append(errs, errors.New("resource needs kind and name"))
	}
	f.Evidence = m["evidence"]
	if fix, present := m["fix"]; present {
		if f.Fix, ok = fix.(map[string]any); !ok {
			errs = append(errs, errors.New("fix must be an object"))
		}
	}
	if p, present := m["profile"]; present {
		if f.Profile, ok = p.(string); !ok {
			errs = append(errs, errors.New("profile must be a string"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return f, fmt.Errorf("%w: %s (%s): %w", ErrContract, c.ID, c.Package, err)
	}
	return f, nil
}

func resource(m map[string]any) report.Resource {
	str := func(k string) string { s, _ := m[k].(string); return s }
	r := report.Resource{Kind: str("kind"), Namespace: str("namespace"), Name: str("name"), File: str("file")}
	switch n := m["line"].(type) {
	case json.Number:
		if v, err := n.Int64(); err == nil {
			r.Line = int(v)
		}
	case float64:
		r.Line = int(n)
	}
	return r
}
