package remediate

import (
	"errors"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
)

// Each field a plan turns into an argument is checked against what its
// platform accepts. A value that would be read as an option, a value that
// holds a space or a control character, and a value of the wrong shape
// are refused, and the error names the finding's key and the field, never
// the value. The documented, valid names pass.
func TestValidate(t *testing.T) {
	const canary = "--kubeconfig=/tmp/evil"
	sa := func(mod func(*report.Fix)) report.Fix {
		f := report.Fix{Action: report.Annotate, Kind: "ServiceAccount", Namespace: "mxp-1-system", Name: "mxp-controller", Key: "eks.amazonaws.com/role-arn", Value: role}
		mod(&f)
		return f
	}
	iam := func(mod func(*report.Fix)) report.Fix {
		f := report.Fix{Action: report.Grant, Kind: "IAMRole", Name: role, Role: role, Actions: []string{"s3:GetObject", "s3:*"}, Resources: []string{"arn:aws:s3:::backups/*", "arn:aws-us-gov:s3:::b"}}
		mod(&f)
		return f
	}
	az := func(mod func(*report.Fix)) report.Fix {
		f := report.Fix{Action: report.Federate, Kind: "ManagedIdentity", Name: azIdentity, Identity: azIdentity, Issuer: azIssuer,
			Subjects: []string{"system:serviceaccount:mxp-1-system:mxp-controller"}, Audience: "api://AzureADTokenExchange"}
		mod(&f)
		return f
	}
	gcp := func(mod func(*report.Fix)) report.Fix {
		f := report.Fix{Action: report.Bind, Kind: "GoogleServiceAccount", Name: gsa, Role: "roles/iam.workloadIdentityUser", Member: "serviceAccount:acme-prod.svc.id.goog[mxp-1-system/mxp-controller]"}
		mod(&f)
		return f
	}
	cases := []struct {
		name  string
		fix   report.Fix
		field string // "" when valid
	}{
		{"documented service account", sa(func(*report.Fix) {}), ""},
		{"documented grant", iam(func(*report.Fix) {}), ""},
		{"rename between qualified keys", sa(func(f *report.Fix) {
			f.Action, f.From, f.Key, f.In, f.Value = report.RenameKey, "eks.amazon.aws/role-arn", "eks.amazonaws.com/role-arn", "template.annotations", ""
		}), ""},
		{"label with its value", sa(func(f *report.Fix) { f.Action, f.Key, f.Value = report.Label, "azure.workload.identity/use", "true" }), ""},
		{"trust subjects", iam(func(f *report.Fix) {
			f.Action, f.Actions, f.Resources = report.TrustSubject, nil, nil
			f.Subjects = []string{"system:serviceaccount:mxp-1-system:mxp-controller"}
		}), ""},
		{"pod identity association", sa(func(f *report.Fix) {
			f.Action, f.Key, f.Value, f.Cluster, f.Role = report.Associate, "", "", "spaces_prod-1", role
		}), ""},
		{"oidc provider", iam(func(f *report.Fix) {
			f.Action, f.Provider = report.TrustProvider, "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
		}), ""},

		{"namespace that is an option", sa(func(f *report.Fix) { f.Namespace = canary }), "namespace"},
		{"name that is an option", sa(func(f *report.Fix) { f.Name = "--all" }), "name"},
		{"name with a space", sa(func(f *report.Fix) { f.Name = "a b" }), "name"},
		{"namespace too long for a label", sa(func(f *report.Fix) { f.Namespace = strings.Repeat("a", 64) }), "namespace"},
		{"kind no fix changes", sa(func(f *report.Fix) { f.Kind = "ClusterRoleBinding" }), "kind"},
		{"key that is an option", sa(func(f *report.Fix) { f.Key = "--server" }), "key"},
		{"from with a slash too many", sa(func(f *report.Fix) { f.Action, f.From, f.In = report.RenameKey, "a/b/c", "annotations" }), "from"},
		{"unknown map", sa(func(f *report.Fix) { f.Action, f.From, f.In = report.RenameKey, "a", "spec" }), "in"},
		{"label value too long", sa(func(f *report.Fix) { f.Action, f.Key, f.Value = report.Label, "app", strings.Repeat("v", 64) }), "value"},
		{"annotation value with a direction override", sa(func(f *report.Fix) { f.Value = role + "\u202e" }), "value"},
		{"annotation value with a line break", sa(func(f *report.Fix) { f.Value = role + "\ntouch x" }), "value"},
		{"cluster that is an option", sa(func(f *report.Fix) { f.Action, f.Cluster = report.Associate, "--endpoint-url=http://x" }), "cluster"},
		{"role that is not an ARN", sa(func(f *report.Fix) { f.Action, f.Role = report.Associate, "--role-arn" }), "role"},
		{"role ARN with a space", iam(func(f *report.Fix) { f.Role = role + " --debug" }), "role"},
		{"IAM object named by something else", iam(func(f *report.Fix) { f.Name = "backup" }), "name"},
		{"namespace on a cloud object", iam(func(f *report.Fix) { f.Namespace = "ns" }), "namespace"},
		{"action that is an option", iam(func(f *report.Fix) { f.Actions = []string{"s3:GetObject", "--query"} }), "actions[1]"},
		{"resource with a space", iam(func(f *report.Fix) { f.Resources = []string{"arn:aws:s3:::b/*", "arn:aws:s3:::b c"} }), "resources[1]"},
		{"resource that is not an ARN", iam(func(f *report.Fix) { f.Resources = []string{"*"} }), "resources[0]"},
		{"subject in an invalid namespace", iam(func(f *report.Fix) {
			f.Action, f.Subjects = report.TrustSubject, []string{"system:serviceaccount:--all:sa"}
		}), "subjects[0]"},
		{"federated credential", az(func(*report.Fix) {}), ""},
		{"role assignment", report.Fix{Action: report.AssignRole, Kind: "ManagedIdentity", Name: azIdentity, Principal: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", Scope: azAccount}, ""},
		{"identity that is not a resource ID", az(func(f *report.Fix) { f.Identity = "--subscription=x" }), "identity"},
		{"identity name with a space", az(func(f *report.Fix) { f.Name = strings.Replace(azIdentity, "backup-restore-identity", "a b", 1) }), "name"},
		{"issuer that is an option", az(func(f *report.Fix) { f.Issuer = "--debug" }), "issuer"},
		{"issuer over plain HTTP", az(func(f *report.Fix) { f.Issuer = "http://issuer.example/" }), "issuer"},
		{"audience with a space", az(func(f *report.Fix) { f.Audience = "api://x --only-show-errors" }), "audience"},
		{"principal that is not a GUID", report.Fix{Action: report.AssignRole, Kind: "ManagedIdentity", Name: azIdentity, Principal: "--assignee=everyone", Role: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", Scope: azAccount}, "principal"},
		{"role by display name", report.Fix{Action: report.AssignRole, Kind: "ManagedIdentity", Name: azIdentity, Principal: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: "Owner", Scope: azAccount}, "role"},
		{"scope at a subscription", report.Fix{Action: report.AssignRole, Kind: "ManagedIdentity", Name: azIdentity, Principal: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", Scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333"}, "scope"},
		{"assignment that is not one", report.Fix{Action: report.Unassign, Kind: "ManagedIdentity", Name: azIdentity, Assignment: "a1; rm -rf /"}, "assignment"},
		{"workload identity user", gcp(func(*report.Fix) {}), ""},
		{"principal identifier", gcp(func(f *report.Fix) {
			f.Member = "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-prod.svc.id.goog/subject/ns/mxp-1-system/sa/mxp-controller"
		}), ""},
		{"member that is an option", gcp(func(f *report.Fix) { f.Member = "--impersonate-service-account=x@y.iam.gserviceaccount.com" }), "member"},
		{"member of a whole pool", gcp(func(f *report.Fix) {
			f.Member = "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-prod.svc.id.goog/*"
		}), "member"},
		{"member with a space", gcp(func(f *report.Fix) { f.Member = "serviceAccount:acme-prod.svc.id.goog[ns/sa] --quiet" }), "member"},
		{"account that is not an e-mail", gcp(func(f *report.Fix) { f.Name = "--project=other" }), "name"},
		{"role that is an option", gcp(func(f *report.Fix) { f.Role = "--role=roles/owner" }), "role"},
		{"bucket with a slash", gcp(func(f *report.Fix) { f.Kind, f.Name = "Bucket", "b/../c" }), "name"},
		{"bucket", gcp(func(f *report.Fix) { f.Kind, f.Name, f.Role = "Bucket", "spaces-backups", "roles/storage.objectUser" }), ""},
		{"node pool", report.Fix{Action: report.NodePoolMetadata, Kind: "NodePool", Name: "default-pool", Cluster: "projects/acme-prod/locations/us-central1/clusters/spaces", Value: "GKE_METADATA"}, ""},
		{"node pool to the node's metadata", report.Fix{Action: report.NodePoolMetadata, Kind: "NodePool", Name: "default-pool", Cluster: "projects/acme-prod/locations/us-central1/clusters/spaces", Value: "GCE_METADATA"}, "value"},
		{"node pool of a cluster that is an option", report.Fix{Action: report.NodePoolMetadata, Kind: "NodePool", Name: "default-pool", Cluster: "--zone=x", Value: "GKE_METADATA"}, "cluster"},
		{"node pool that is an option", report.Fix{Action: report.NodePoolMetadata, Kind: "NodePool", Name: "--async", Cluster: "projects/acme-prod/locations/us-central1/clusters/spaces", Value: "GKE_METADATA"}, "name"},
		{"key", report.Fix{Action: report.DeleteKey, Kind: "GoogleServiceAccount", Name: gsa, Key: "8f1e4c7a2b9d3e6f0a5c8b1d4e7f2a9c3b6d0e1f"}, ""},
		{"key that is not an ID", report.Fix{Action: report.DeleteKey, Kind: "GoogleServiceAccount", Name: gsa, Key: "all"}, "key"},
		// The fixes made from the state: each name they carry, checked.
		{"backup field", report.Fix{Action: report.SetField, Kind: "SharedBackupConfig", Namespace: "default", Name: "default", Field: "spec.objectStorage.config.region", Value: "us-east-1"}, ""},
		{"backup field outside the storage", report.Fix{Action: report.SetField, Kind: "SharedBackupConfig", Namespace: "default", Name: "default", Field: "metadata.finalizers", Value: "x"}, "field"},
		{"backup field that is an option", report.Fix{Action: report.SetField, Kind: "SharedBackupConfig", Namespace: "default", Name: "default", Field: canary, Value: "x"}, "field"},
		{"removal of a variable", report.Fix{Action: report.RemoveCredentials, Kind: "Deployment", Namespace: "ns", Name: "d", Remove: []string{"env:mxp-controller:AWS_ACCESS_KEY_ID", "envFrom:mxp-controller:backup-creds", "volume:creds"}}, ""},
		{"removal that is a command", report.Fix{Action: report.RemoveCredentials, Kind: "Deployment", Namespace: "ns", Name: "d", Remove: []string{"env:c:$(touch x)"}}, "remove[0]"},
		{"secret that is an option", report.Fix{Action: report.DeleteSecret, Kind: "Secret", Namespace: "ns", Name: "--all"}, "name"},
		{"storage account", report.Fix{Action: report.DisableSharedKey, Kind: "StorageAccount", Name: azAccount}, ""},
		{"storage account that is an option", report.Fix{Action: report.DisableSharedKey, Kind: "StorageAccount", Name: canary}, "name"},
		{"project grant", report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/storage.objectAdmin", Scope: "projects/acme-prod", Resources: []string{"buckets/spaces-backups"}}, ""},
		{"grant scope that is an option", report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/storage.objectAdmin", Scope: canary}, "scope"},
		{"grant bucket that is a path", report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/storage.objectAdmin", Scope: "projects/acme-prod", Resources: []string{"buckets/../x"}}, "resources[0]"},
		{"narrowed role", iam(func(f *report.Fix) {
			f.Action, f.Policy = report.Narrow, "managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess"
		}), ""},
		{"policy that is an option", iam(func(f *report.Fix) { f.Action, f.Policy = report.Narrow, "inline policy "+canary }), "policy"},
		{"provider with a query", iam(func(f *report.Fix) {
			f.Action, f.Provider = report.TrustProvider, "arn:aws:iam::123456789012:oidc-provider/x?y"
		}), "provider"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := report.Report{Findings: []report.Finding{{Key: "WI-X|k", ControlID: "WI-X", Status: report.Fail, Fix: &c.fix}}}
			err := Validate(r)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "finding WI-X|k: fix."+c.field+": not ") {
				t.Fatalf("got %v, want fix.%s named", err, c.field)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "touch x") {
				t.Errorf("the error quotes the value: %v", err)
			}
			if _, err := New(r); !errors.Is(err, ErrUntrusted) {
				t.Errorf("New planned a report Validate refuses: %v", err)
			}
		})
	}
}

// Unknowns, waived findings and failures without a fix become no
// argument, so their names are not judged.
func TestValidateOnlyWhatIsPlanned(t *testing.T) {
	bad := &report.Fix{Action: report.Restart, Kind: "Deployment", Namespace: "--all", Name: "d"}
	r := report.Report{Findings: []report.Finding{
		{Key: "a", Status: report.Unknown, Fix: bad},
		{Key: "b", Status: report.Fail, Fix: bad, Waiver: &report.Waiver{Reason: "r"}},
	}}
	if err := Validate(r); err != nil {
		t.Errorf("refused: %v", err)
	}
	r.Findings = append(r.Findings, report.Finding{Key: "c", Status: report.Fail, Fix: bad}, report.Finding{Key: "d", Status: report.Fail, Fix: bad})
	err := Validate(r)
	if err == nil || !strings.Contains(err.Error(), "finding c: fix.namespace") || !strings.Contains(err.Error(), "finding d: fix.namespace") {
		t.Errorf("every refused finding must be named: %v", err)
	}
}
