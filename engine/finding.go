package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wiscan/wiscan/clouds"
	"github.com/wiscan/wiscan/report"
)

// ErrContract marks a policy result that breaks the output contract.
var ErrContract = errors.New("policy result breaks the contract")

var findingKeys = map[string]bool{"msg": true, "resource": true, "evidence": true, "fix": true, "profile": true, "key": true, "cloud": true, "formerly": true}

// finding turns one deny or unknown value into a report finding. A value
// must be an object with msg (string) and resource (object with kind and
// name), and may have evidence, fix (an action of report.FixActions with
// its parameters), profile (string), key (what is wrong, stable: the
// finding's identity with the control and resource) and cloud (a cloud of
// the clouds table).
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
		var err error
		if f.Fix, err = decodeFix(fix); err != nil {
			errs = append(errs, err)
		}
	}
	var problem string
	for name, dst := range map[string]*string{"profile": &f.Profile, "key": &problem, "cloud": &f.Cloud} {
		if v, present := m[name]; present {
			if *dst, ok = v.(string); !ok {
				errs = append(errs, fmt.Errorf("%s must be a string", name))
			}
		}
	}
	if _, known := clouds.Get(f.Cloud); f.Cloud != "" && !known {
		errs = append(errs, fmt.Errorf("cloud %q: want one of %s", f.Cloud, strings.Join(clouds.Names(), ", ")))
	}
	f.Key = report.FindingKey(c.ID, report.Resource{Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name}, problem)
	f.Fingerprint = report.Fingerprint(f.Key)
	if v, present := m["formerly"]; present {
		var err error
		if f.Formerly, err = formerly(c.ID, v); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return f, fmt.Errorf("%w: %s (%s): %w", ErrContract, c.ID, c.Package, err)
	}
	return f, nil
}

// formerly reads the keys an earlier release gave a finding: a list of
// objects with resource (kind, namespace, name) and key, as a finding
// has them.
func formerly(control string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("formerly must be a list")
	}
	var out []string
	for _, it := range list {
		m, ok := it.(map[string]any)
		res, okRes := m["resource"].(map[string]any)
		problem, okKey := m["key"].(string)
		if !ok || !okRes || !okKey {
			return nil, errors.New("formerly: each item needs resource (an object) and key (a string)")
		}
		r := resource(res)
		k := report.FindingKey(control, report.Resource{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}, problem)
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// decodeFix reads a fix object strictly: an action of the closed list, the
// object it changes, and only the parameters a Fix has.
func decodeFix(v any) (*report.Fix, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("fix: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var fix report.Fix
	if err := dec.Decode(&fix); err != nil {
		return nil, fmt.Errorf("fix must be an object of action, kind, namespace, name and the action's parameters: %w", err)
	}
	if err := fix.Check(); err != nil {
		return nil, err
	}
	return &fix, nil
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
