package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/wiscan/wiscan/analysis/aws"
	"github.com/wiscan/wiscan/iampolicy"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
)

// DefaultTrustPolicyQuota is IAM's default limit on a role trust policy's
// length, white space not counted.
const DefaultTrustPolicyQuota = 2048

// TrustChange is a role trust policy's edit: the whole new document, what
// it adds, and its diff from the document the scan read.
type TrustChange struct {
	Role string `json:"role"`
	// Before and After are the documents, indented.
	Before string `json:"before"`
	After  string `json:"after"`
	Diff   string `json:"diff"`
	// Added are the subjects the new document admits besides the old
	// ones; Pattern, when set, is the StringLike pattern that admits them.
	Added   []string `json:"added"`
	Pattern []string `json:"pattern,omitempty"`
	// Size is the new document's length as IAM counts it, and Quota the
	// limit it was checked against; Literal is the length with one
	// subject each, when a pattern replaced them.
	Size    int `json:"size"`
	Quota   int `json:"quota"`
	Literal int `json:"literal,omitempty"`
}

// errByHand carries why a trust policy cannot be edited exactly.
var errByHand = errors.New("by hand")

// trustSubject writes the role's trust policy with the missing subjects
// added to the statement that admits the others: nothing else changes,
// and the IAM evaluator proves that the new document admits exactly the
// old subjects and the new ones.
func (st *state) trustSubject(s *Step, f report.Fix) {
	role, ok := st.roles()[f.Role]
	if !ok || role.TrustPolicy == nil || role.TrustPolicy.Document == nil {
		return
	}
	issuer, provider := st.issuer(role)
	c, err := editTrust(role.TrustPolicy.Document, provider, issuer, f.Subjects, st.quota(), st.trustScope(f.Subjects))
	if err != nil {
		s.ByHand = fmt.Sprintf("%s (role %s): %s", strings.TrimSuffix(s.ByHand, ")"), f.Role, strings.TrimPrefix(err.Error(), errByHand.Error()+": "))
		return
	}
	if c.Size > c.Quota || (len(c.Pattern) > 0 && !st.opts.TrustPattern) {
		s.ByHand = fmt.Sprintf("the trust policy of role %s with one subject per control plane would be %d characters, over the quota of %d: move the control planes to EKS Pod Identity or raise the quota (--aws-trust-policy-quota tells wiscan)", f.Role, c.Literal, c.Quota)
		if len(c.Pattern) > 0 {
			s.ByHand += ", or plan with --trust-pattern to admit them by the StringLike pattern " + strings.Join(c.Pattern, ", ")
		}
		return
	}
	c.Role = f.Role
	s.Trust = c
	s.Args = []string{"aws", "iam", "update-assume-role-policy", "--role-name=" + roleName(f.Role), "--policy-document=" + compact(c.After)}
	s.ByHand = ""
	if len(c.Pattern) > 0 {
		s.Caution = "admits the control planes by the StringLike pattern " + strings.Join(c.Pattern, ", ") + " (--trust-pattern): the one subject each would not fit the quota"
	}
}

func (st *state) roles() map[string]snapshot.Role {
	if st.snap.AWS == nil {
		return nil
	}
	return st.snap.AWS.Roles
}

func (st *state) quota() int {
	if st.snap.AWS != nil && st.snap.AWS.TrustPolicyQuota > 0 {
		return st.snap.AWS.TrustPolicyQuota
	}
	return DefaultTrustPolicyQuota
}

// issuer is the cluster's OIDC issuer without its scheme and the IAM OIDC
// provider of it in the role's account; empty when the snapshot has no
// cluster, and the trust policy's own statement then names them.
func (st *state) issuer(role snapshot.Role) (issuer, provider string) {
	if st.snap.AWS == nil || st.snap.AWS.Cluster == nil || st.snap.AWS.Cluster.OIDCIssuer == "" {
		return "", ""
	}
	issuer = strings.TrimPrefix(st.snap.AWS.Cluster.OIDCIssuer, "https://")
	parts := strings.SplitN(role.ARN, ":", 6)
	if len(parts) < 5 {
		return issuer, ""
	}
	return issuer, "arn:" + parts[1] + ":iam::" + parts[4] + ":oidc-provider/" + issuer
}

// trustScope is the StringLike patterns a trust policy may fall back to:
// those of the profile whose targets the subjects are, when every one of
// them confines the namespace (not a bare *).
func (st *state) trustScope(subjects []string) []string {
	for _, sub := range subjects {
		ns, _, _ := subjectParts(sub)
		_, p, ok := st.target(ns)
		if !ok {
			continue
		}
		globs := aws.Scope{Namespaces: p.Namespaces, ServiceAccount: p.ServiceAccount, Targets: p.Targets}.Subjects()
		for _, g := range globs {
			if strings.HasPrefix(g, "system:serviceaccount:*") || strings.Contains(g, "*:*") {
				return nil
			}
		}
		return globs
	}
	return nil
}

// editTrust adds subjects to the <issuer>:sub condition of the statement
// that admits the provider's tokens. Over the quota with a scope, the
// edit instead admits the subjects by the scope's StringLike patterns
// (Pattern says so; the caller decides whether that is allowed).
func editTrust(doc any, provider, issuer string, add []string, quota int, scope []string) (*TrustChange, error) {
	before, err := indent(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: the trust policy is not JSON: %w", errByHand, err)
	}
	var root map[string]any
	if err := json.Unmarshal([]byte(before), &root); err != nil {
		return nil, fmt.Errorf("%w: the trust policy is not a JSON object", errByHand)
	}
	st, key, err := subStatement(root, provider, issuer)
	if err != nil {
		return nil, err
	}
	if issuer == "" {
		issuer = strings.TrimSuffix(key, ":sub")
		if provider, err = federated(st); err != nil {
			return nil, err
		}
	}
	c := &TrustChange{Before: before, Added: slices.Clone(add), Quota: quota}
	cond := st["Condition"].(map[string]any)
	eq := cond["StringEquals"].(map[string]any)
	eq[key] = appendSubjects(eq[key], add)
	if err := c.finish(root); err != nil {
		return nil, err
	}
	c.Literal = c.Size
	if c.Size > quota && len(scope) > 0 {
		kept := keepOutside(values(eq[key]), scope)
		if len(kept) > 0 {
			eq[key] = kept
		} else {
			delete(eq, key)
		}
		like, _ := cond["StringLike"].(map[string]any)
		if like == nil {
			like = map[string]any{}
			cond["StringLike"] = like
		}
		like[key] = appendSubjects(like[key], scope)
		c.Pattern = scope
		if err := c.finish(root); err != nil {
			return nil, err
		}
	}
	if err := c.verify(provider, issuer, scope); err != nil {
		return nil, err
	}
	return c, nil
}

// finish renders the new document, its diff and its size.
func (c *TrustChange) finish(root map[string]any) error {
	after, err := indent(root)
	if err != nil {
		return err
	}
	p, err := iampolicy.Parse(after)
	if err != nil {
		return fmt.Errorf("%w: the new trust policy does not parse: %w", errByHand, err)
	}
	c.After, c.Size = after, p.Size
	c.Diff, _ = difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(c.Before), B: difflib.SplitLines(c.After), FromFile: "trust policy read", ToFile: "trust policy planned", Context: 3,
	})
	return nil
}

// verify proves with the IAM evaluator, over every subject a token could
// carry, that the new document admits exactly what the old one did and
// the added subjects (or, with a pattern, what its patterns match too).
func (c *TrustChange) verify(provider, issuer string, scope []string) error {
	old, err := admitted(c.Before, provider, issuer)
	if err != nil {
		return err
	}
	now, err := admitted(c.After, provider, issuer)
	if err != nil {
		return err
	}
	want := old
	for _, s := range c.Added {
		want = iampolicy.Union(want, iampolicy.Of(iampolicy.NewLiteral(s, false)))
	}
	if len(c.Pattern) > 0 {
		for _, g := range scope {
			want = iampolicy.Union(want, iampolicy.Of(iampolicy.NewGlob(g, false)))
		}
	}
	// Only the subjects a service-account token can carry matter.
	tokens := iampolicy.Of(iampolicy.Subjects)
	for _, pair := range [][2]iampolicy.Region{{now, want}, {want, now}} {
		extra, err := iampolicy.Subtract(pair[0], pair[1])
		if err == nil {
			extra, err = iampolicy.Intersect(extra, tokens)
		}
		if err != nil {
			return fmt.Errorf("%w: cannot prove what the new trust policy admits: %w", errByHand, err)
		}
		if w, found, err := extra.Witness(); err != nil || found {
			return fmt.Errorf("%w: the new trust policy would change what it admits beyond the added subjects (%s)", errByHand, w)
		}
	}
	return nil
}

// admitted is every subject a policy admits for the provider's tokens
// with the IRSA audience.
func admitted(doc, provider, issuer string) (iampolicy.Region, error) {
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: the trust policy does not parse: %w", errByHand, err)
	}
	set := iampolicy.PolicySet{Identity: []iampolicy.Named{{Kind: "trust", Policy: p}}}
	q := iampolicy.Environment{}.WebIdentity(&iampolicy.RequestPrincipal{Type: "Federated", ID: provider}, issuer, "", iampolicy.IRSAAudience)
	q.Free = issuer + ":sub"
	r, err := set.Decide(q)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot decide what the trust policy admits: %w", errByHand, err)
	}
	if r.Undecided != "" {
		return nil, fmt.Errorf("%w: what the trust policy admits depends on %s", errByHand, r.Undecided)
	}
	return r.Allowed, nil
}

// subStatement finds the Allow statement of sts:AssumeRoleWithWebIdentity
// for the provider (any, when not known) with a StringEquals condition on
// <issuer>:sub, and the key as the policy spells it.
func subStatement(root map[string]any, provider, issuer string) (map[string]any, string, error) {
	var statements []any
	switch v := root["Statement"].(type) {
	case []any:
		statements = v
	case map[string]any:
		statements = []any{v}
		root["Statement"] = statements
	}
	var found []map[string]any
	var keys []string
	for _, raw := range statements {
		st, ok := raw.(map[string]any)
		if !ok || st["Effect"] != "Allow" || !holds(st["Action"], iampolicy.WebIdentityAction) {
			continue
		}
		if p, _ := st["Principal"].(map[string]any); p == nil || (provider != "" && !holds(p["Federated"], provider)) {
			continue
		}
		cond, _ := st["Condition"].(map[string]any)
		eq, _ := cond["StringEquals"].(map[string]any)
		for k := range eq {
			if strings.HasSuffix(strings.ToLower(k), ":sub") && (issuer == "" || strings.EqualFold(k, issuer+":sub")) {
				found, keys = append(found, st), append(keys, k)
			}
		}
	}
	switch {
	case len(found) == 0:
		return nil, "", fmt.Errorf("%w: no statement allows sts:AssumeRoleWithWebIdentity to the cluster's provider with a StringEquals condition on <issuer>:sub to add the subjects to", errByHand)
	case len(found) > 1 && issuer == "":
		return nil, "", fmt.Errorf("%w: several statements admit subjects, and the snapshot does not say which cluster's issuer is the one", errByHand)
	}
	return found[0], keys[0], nil
}

// federated is a statement's one Federated principal.
func federated(st map[string]any) (string, error) {
	p, _ := st["Principal"].(map[string]any)
	if v := values(p["Federated"]); len(v) == 1 {
		return v[0], nil
	}
	return "", fmt.Errorf("%w: the statement names more than one federated principal, and the snapshot does not say which is the cluster's", errByHand)
}

// holds says whether a string-or-list element names want (case-blind, as
// IAM reads actions and ARNs).
func holds(v any, want string) bool {
	return slices.ContainsFunc(values(v), func(s string) bool { return strings.EqualFold(s, want) })
}

// values reads a string-or-list element.
func values(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// appendSubjects adds subjects to a string-or-list value, each once,
// keeping the old ones first and in their order.
func appendSubjects(v any, add []string) any {
	out := values(v)
	for _, s := range add {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	list := make([]any, len(out))
	for i, s := range out {
		list[i] = s
	}
	return list
}

// keepOutside are the subjects no pattern matches.
func keepOutside(subjects, patterns []string) []any {
	var out []any
	for _, s := range subjects {
		if !slices.ContainsFunc(patterns, func(p string) bool { return iampolicy.Glob(p, s, false) }) {
			out = append(out, s)
		}
	}
	return out
}

func indent(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return b.String(), nil
}
