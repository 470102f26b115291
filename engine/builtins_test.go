package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

// User policies may call the IAM built-in too.
func TestUserPolicyCallsAnalyzeRole(t *testing.T) {
	dir := t.TempDir()
	policy := `# METADATA
# title: Every role trusts a principal
# description: test
# related_resources:
#   - ref: https://example.com
# custom:
#   id: ORG-AWS-001
#   severity: low
#   remediation: none
package org.aws.trust

deny contains {"msg": "role has no trust", "resource": {"kind": "IAMRole", "name": arn}} if {
	some arn, role in input.aws.roles
	a := wiscan.aws.analyze_role(role, {"partition": "aws", "podSubjects": [["ns", "sa"]]})
	count(a.podIdentity.denied) > 0
}
`
	if err := os.WriteFile(filepath.Join(dir, "trust.rego"), []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), Options{PolicyDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New(time.Now())
	s.AWS = snapshot.NewAWS()
	s.AWS.Roles["arn:aws:iam::123456789012:role/r"] = snapshot.Role{ARN: "arn:aws:iam::123456789012:role/r", Found: true,
		TrustPolicy: &snapshot.PolicyDocument{Document: map[string]any{"Statement": []any{}}}}
	fs, err := e.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range fs {
		found = found || f.ControlID == "ORG-AWS-001"
	}
	if !found {
		t.Fatalf("user policy did not fire: %+v", fs)
	}
}

// One role shared by a thousand control planes gives one finding per
// control, naming a few of them and counting the rest, not a thousand rows.
func TestSharedRoleFindingsAreGrouped(t *testing.T) {
	s := synthetic(1000)
	role := "arn:aws:iam::123456789012:role/backup-restore-role"
	r := s.AWS.Roles[role]
	r.TrustPolicy = &snapshot.PolicyDocument{Document: map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringLike": map[string]any{"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:*:mxp-controller"}},
	}}}}
	s.AWS.Roles[role] = r
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := e.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range fs {
		if strings.HasPrefix(f.ControlID, "WI-AWS-") {
			count[f.ControlID]++
			if f.Resource.Kind != "IAMRole" || f.Resource.Name != role {
				t.Errorf("%s names %+v, want the role", f.ControlID, f.Resource)
			}
			if f.ControlID == "WI-AWS-004" && !strings.Contains(f.Message, "and 897 more") {
				t.Errorf("WI-AWS-004 message %q does not summarise the 900 control planes", f.Message)
			}
		}
	}
	// No aud condition (004) and any namespace admitted (005): one finding
	// each for the 900 control planes that use the role.
	if count["WI-AWS-004"] != 1 || count["WI-AWS-005"] != 1 || len(count) != 2 {
		t.Fatalf("AWS findings by control: %v", count)
	}
}
