package aws

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/snapshot"
)

const trustText = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

// Documents arrive decoded (objects), as IAM stores them (URL-encoded
// text), or broken; a broken one is an error naming the policy, never a
// crash or an empty policy.
func TestAnalyzeRoleDocuments(t *testing.T) {
	ctx := RoleContext{Partition: "aws", Account: "123456789012", PodSubjects: [][2]string{{"ns", "sa"}}, Buckets: []string{"b"}}
	cases := map[string]struct {
		trust      any
		trustError string
	}{
		"URL-encoded":    {trust: url.QueryEscape(trustText)},
		"plain text":     {trust: trustText},
		"truncated":      {trust: url.QueryEscape(trustText)[:50], trustError: "trust policy: malformed policy document"},
		"not an object":  {trust: []any{"x"}, trustError: "want a JSON object"},
		"no statement":   {trust: map[string]any{"Version": "2012-10-17"}, trustError: "no Statement element"},
		"binary garbage": {trust: "\x00\x01{", trustError: "malformed policy document"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			role := snapshot.Role{ARN: "arn:aws:iam::123456789012:role/r", Found: true, TrustPolicy: &snapshot.PolicyDocument{Document: c.trust}}
			a := AnalyzeRole(role, ctx)
			if c.trustError == "" {
				if a.TrustError != "" || a.PodIdentity == nil || len(a.PodIdentity.Denied) != 0 {
					t.Fatalf("analysis %+v", a)
				}
				if want := "statement #1 lets Service pods.eks.amazonaws.com sts:AssumeRole, sts:TagSession"; len(a.TrustAllows) != 1 || a.TrustAllows[0] != want {
					t.Fatalf("trust summary %q, want %q", a.TrustAllows, want)
				}
				return
			}
			if !strings.Contains(a.TrustError, c.trustError) {
				t.Fatalf("trust error %q, want %q", a.TrustError, c.trustError)
			}
		})
	}
}
