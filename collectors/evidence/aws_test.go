package evidence

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/snapshot"
)

const (
	roleARN     = "arn:aws:iam::123456789012:role/backup-restore-role"
	extraPolicy = "arn:aws:iam::123456789012:policy/extra"
	issuerHost  = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	trustDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/` + issuerHost + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	permDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::spaces-backups/*"}]}`
)

// roleByRole is a bundle gathered with one CLI call per object, as an
// auditor without iam:GetAccountAuthorizationDetails gathers it.
func roleByRole() map[string]string {
	return map[string]string{
		"sa.yaml":                                     "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mxp-controller, namespace: " + ns + ", annotations: {eks.amazonaws.com/role-arn: " + roleARN + "}}\n",
		"aws/caller.json":                             `{"UserId": "AIDASAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/auditor"}`,
		"aws/cluster.json":                            `{"cluster": {"name": "spaces", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/spaces", "identity": {"oidc": {"issuer": "https://` + issuerHost + `"}}}}`,
		"aws/oidc-provider.json":                      `{"Url": "` + issuerHost + `", "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": []}`,
		"aws/associations.json":                       `{"associations": []}`,
		"aws/roles/backup-restore-role/role.json":     `{"Role": {"Path": "/", "RoleName": "backup-restore-role", "Arn": "` + roleARN + `", "AssumeRolePolicyDocument": ` + trustDoc + `}}`,
		"aws/roles/backup-restore-role/inline.json":   `{"PolicyNames": ["backup"]}`,
		"aws/roles/backup-restore-role/backup.json":   `{"RoleName": "backup-restore-role", "PolicyName": "backup", "PolicyDocument": ` + permDoc + `}`,
		"aws/roles/backup-restore-role/attached.json": `{"AttachedPolicies": [{"PolicyName": "extra", "PolicyArn": "` + extraPolicy + `"}]}`,
		"aws/policies/extra/policy.json":              `{"Policy": {"PolicyName": "extra", "Arn": "` + extraPolicy + `", "DefaultVersionId": "v2"}}`,
		"aws/policies/extra/v2.json":                  `{"PolicyVersion": {"Document": ` + permDoc + `, "VersionId": "v2", "IsDefaultVersion": true}}`,
	}
}

func awsGaps(s *snapshot.Snapshot) []string {
	var out []string
	for _, e := range s.Errors {
		if e.Kind != "ServiceAccount" && e.Kind != "Deployment" && e.Kind != "Pod" && e.Kind != "Secret" && e.Kind != "SharedBackupConfig" {
			out = append(out, e.Kind+"/"+e.Name+": "+e.Message)
		}
	}
	return out
}

func TestAWSRoleByRole(t *testing.T) {
	s := collectDir(t, roleByRole())
	if g := awsGaps(s); len(g) != 1 || !strings.Contains(g[0], "list-open-id-connect-providers") {
		t.Fatalf("gaps %v, want only the missing provider list", g)
	}
	a := s.AWS
	if a == nil || a.Account != "123456789012" || a.Partition != "aws" || a.Cluster == nil || a.Cluster.Name != "spaces" {
		t.Fatalf("aws section %+v", a)
	}
	// The provider's ARN is derived from the account and its URL.
	p, ok := a.OIDCProviders["arn:aws:iam::123456789012:oidc-provider/"+issuerHost]
	if !ok || len(p.ClientIDs) != 1 {
		t.Fatalf("providers %+v", a.OIDCProviders)
	}
	r := a.Roles[roleARN]
	if !r.Found || r.TrustPolicy == nil || r.TrustPolicy.Document == nil {
		t.Fatalf("role %+v", r)
	}
	if len(r.Inline) != 1 || r.Inline[0].Name != "backup" || r.Inline[0].Error != "" {
		t.Errorf("inline %+v", r.Inline)
	}
	if len(r.Attached) != 1 || r.Attached[0].ARN != extraPolicy || r.Attached[0].Version != "v2" || r.Attached[0].Document == nil {
		t.Errorf("attached %+v", r.Attached)
	}
}

// Each missing export becomes an unreadable document or a gap that names
// the command to run; nothing missing is taken as empty.
func TestAWSMissingFiles(t *testing.T) {
	cases := map[string]struct {
		drop  []string
		check func(*snapshot.Snapshot) string
	}{
		"no list of attached policies": {[]string{"aws/roles/backup-restore-role/attached.json"}, func(s *snapshot.Snapshot) string {
			return attachedError(s.AWS.Roles[roleARN])
		}},
		"no inline policy list": {[]string{"aws/roles/backup-restore-role/inline.json"}, func(s *snapshot.Snapshot) string {
			return s.AWS.Roles[roleARN].Inline[0].Error
		}},
		"no inline policy document": {[]string{"aws/roles/backup-restore-role/backup.json"}, func(s *snapshot.Snapshot) string {
			return s.AWS.Roles[roleARN].Inline[0].Error
		}},
		"no policy version": {[]string{"aws/policies/extra/v2.json"}, func(s *snapshot.Snapshot) string {
			return s.AWS.Roles[roleARN].Attached[0].Error
		}},
		"no role": {[]string{"aws/roles/backup-restore-role/role.json", "aws/roles/backup-restore-role/backup.json", "aws/roles/backup-restore-role/inline.json", "aws/roles/backup-restore-role/attached.json"}, func(s *snapshot.Snapshot) string {
			return strings.Join(awsGaps(s), "\n")
		}},
		"no associations": {[]string{"aws/associations.json"}, func(s *snapshot.Snapshot) string {
			return strings.Join(awsGaps(s), "\n")
		}},
		"no cluster": {[]string{"aws/cluster.json"}, func(s *snapshot.Snapshot) string {
			return strings.Join(awsGaps(s), "\n")
		}},
	}
	want := map[string]string{
		"no list of attached policies": "list-attached-role-policies --role-name backup-restore-role",
		"no inline policy list":        "list-role-policies --role-name backup-restore-role",
		"no inline policy document":    "get-role-policy --role-name backup-restore-role --policy-name backup",
		"no policy version":            "get-policy-version --policy-arn " + extraPolicy,
		"no role":                      "aws iam get-role --role-name backup-restore-role",
		"no associations":              "aws eks list-pod-identity-associations",
		"no cluster":                   "aws eks describe-cluster",
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			files := roleByRole()
			for _, f := range c.drop {
				delete(files, f)
			}
			if got := c.check(collectDir(t, files)); !strings.Contains(got, want[name]) {
				t.Fatalf("got %q, want it to name %q", got, want[name])
			}
		})
	}
}

func attachedError(r snapshot.Role) string {
	for _, d := range r.Attached {
		if d.Error != "" {
			return d.Error
		}
	}
	return ""
}

// A list that names no role, with several roles in the bundle and nothing
// in its path to tell them apart, is reported with its file.
func TestAWSUnattributable(t *testing.T) {
	files := roleByRole()
	files["aws/other-role.json"] = `{"Role": {"RoleName": "other", "Arn": "arn:aws:iam::123456789012:role/other", "AssumeRolePolicyDocument": ` + trustDoc + `}}`
	files["aws/attached.json"] = files["aws/roles/backup-restore-role/attached.json"]
	s := collectDir(t, files)
	found := false
	for _, e := range s.Errors {
		if e.Reason == "malformed" && e.Source != nil && e.Source.File == "aws/attached.json" && strings.Contains(e.Message, "which role") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no gap for the unattributable list: %+v", s.Errors)
	}
}

// Documents come as the CLI prints them (objects) or as IAM stores them
// (URL-encoded strings); a truncated one is kept for the engine to report.
func TestAWSEncodedDocuments(t *testing.T) {
	files := roleByRole()
	files["aws/roles/backup-restore-role/role.json"] = `{"Role": {"RoleName": "backup-restore-role", "Arn": "` + roleARN + `", "AssumeRolePolicyDocument": "` + url.QueryEscape(trustDoc)[:40] + `"}}`
	s := collectDir(t, files)
	d := s.AWS.Roles[roleARN].TrustPolicy
	if d == nil || d.Document == nil {
		t.Fatalf("trust policy %+v", d)
	}
	if _, ok := d.Document.(string); !ok {
		t.Fatalf("document %T, want the string as given", d.Document)
	}
}
