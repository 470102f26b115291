package remediate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
)

const role = "arn:aws:iam::123456789012:role/backup/backup-restore-role"

// An Azure Space's identity, issuer and storage account.
const (
	azIdentity = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity"
	azIssuer   = "https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f/"
	azAccount  = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Storage/storageAccounts/spacesbackups"
)

// A GKE Space's Google service account.
const gsa = "backup-restore-sa@acme-prod.iam.gserviceaccount.com"

// Each control plane gets a credential name of its own, valid for Azure
// (3 to 120 letters, digits, - and _): the documented fixed name would
// replace another control plane's credential.
func TestCredentialName(t *testing.T) {
	long := strings.Repeat("a", 63)
	for _, c := range []struct{ ns, sa, want string }{
		{"mxp-1-system", "mxp-controller", "mxp-1-system-mxp-controller"},
		{"ns", "sa.with.dots", "ns-sa-with-dots"},
	} {
		if got := CredentialName(c.ns, c.sa); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.ns, c.sa, got, c.want)
		}
	}
	a, b := CredentialName(long, strings.Repeat("b", 100)), CredentialName(long, strings.Repeat("b", 99)+"c")
	if len(a) != 120 || a == b || !regexp.MustCompile(`^[A-Za-z0-9_-]{3,120}$`).MatchString(a) {
		t.Errorf("long names %q %q", a, b)
	}
}

// What each fix becomes: its command, argument by argument, or what to do
// by hand when the report does not hold enough to write one.
func TestSteps(t *testing.T) {
	for name, c := range map[string]struct {
		fix    report.Fix
		args   []string
		byHand string
	}{
		"rename on a service account": {
			fix:  report.Fix{Action: report.RenameKey, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", From: "eks.amazon.aws/role-arn", Key: "eks.amazonaws.com/role-arn", In: "annotations"},
			args: []string{"kubectl", "patch", "--namespace=ns", "--type=json", `--patch=[{"from":"/metadata/annotations/eks.amazon.aws~1role-arn","op":"move","path":"/metadata/annotations/eks.amazonaws.com~1role-arn"}]`, "--", "serviceaccount", "sa"},
		},
		"rename in a cronjob's pod template": {
			fix:  report.Fix{Action: report.RenameKey, Kind: "CronJob", Namespace: "ns", Name: "c", From: "azure.workload.identity/usee", Key: "azure.workload.identity/use", In: "template.labels"},
			args: []string{"kubectl", "patch", "--namespace=ns", "--type=json", `--patch=[{"from":"/spec/jobTemplate/spec/template/metadata/labels/azure.workload.identity~1usee","op":"move","path":"/spec/jobTemplate/spec/template/metadata/labels/azure.workload.identity~1use"}]`, "--", "cronjob", "c"},
		},
		"rename in a job's template, which cannot change": {
			fix:    report.Fix{Action: report.RenameKey, Kind: "Job", Namespace: "ns", Name: "j", From: "a~b", Key: "c", In: "template.labels"},
			byHand: `rename "a~b" to "c" in the template.labels of Job/ns/j`,
		},
		"annotate": {
			fix:  report.Fix{Action: report.Annotate, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", Key: "eks.amazonaws.com/role-arn", Value: role},
			args: []string{"kubectl", "annotate", "--namespace=ns", "--overwrite", "--", "serviceaccount", "sa", "eks.amazonaws.com/role-arn=" + role},
		},
		"annotate without a value": {
			fix:    report.Fix{Action: report.Annotate, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", Key: "k"},
			byHand: `set annotate "k" on ServiceAccount/ns/sa to its value`,
		},
		"restart a deployment":  {fix: report.Fix{Action: report.Restart, Kind: "Deployment", Namespace: "ns", Name: "d"}, args: []string{"kubectl", "rollout", "restart", "--namespace=ns", "--", "deployment", "d"}},
		"restart a statefulset": {fix: report.Fix{Action: report.Restart, Kind: "StatefulSet", Namespace: "ns", Name: "s"}, args: []string{"kubectl", "rollout", "restart", "--namespace=ns", "--", "statefulset", "s"}},
		"restart a cronjob": {
			fix:  report.Fix{Action: report.Restart, Kind: "CronJob", Namespace: "ns", Name: strings.Repeat("c", 60)},
			args: []string{"kubectl", "create", "job", strings.Repeat("c", 55) + "-rebound", "--from=cronjob/" + strings.Repeat("c", 60), "--namespace=ns"},
		},
		"restart a cronjob whose job name just fits": {
			fix:  report.Fix{Action: report.Restart, Kind: "CronJob", Namespace: "ns", Name: strings.Repeat("c", 55)},
			args: []string{"kubectl", "create", "job", strings.Repeat("c", 55) + "-rebound", "--from=cronjob/" + strings.Repeat("c", 55), "--namespace=ns"},
		},
		"grant named by the finding's object": {
			fix:  report.Fix{Action: report.Grant, Kind: "IAMRole", Name: role, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}},
			args: []string{"aws", "iam", "put-role-policy", "--role-name=backup-restore-role", "--policy-name=" + grantPolicyName([]string{"arn:aws:s3:::b/*"}), `--policy-document={"Statement":[{"Action":["s3:GetObject"],"Effect":"Allow","Resource":["arn:aws:s3:::b/*"]}],"Version":"2012-10-17"}`},
		},
		"restart a job": {fix: report.Fix{Action: report.Restart, Kind: "Job", Namespace: "ns", Name: "j"}, byHand: "recreate the pods of Job/ns/j so that they start with the binding"},
		"federated credential under the control plane's own name": {
			fix: report.Fix{Action: report.Federate, Kind: "ManagedIdentity", Name: azIdentity, Identity: azIdentity, Issuer: azIssuer,
				Subjects: []string{"system:serviceaccount:mxp-1-system:mxp-controller"}, Audience: "api://AzureADTokenExchange"},
			args: []string{"az", "identity", "federated-credential", "create", "--name=mxp-1-system-mxp-controller", "--identity-name=backup-restore-identity",
				"--resource-group=spaces", "--subscription=0b1f6471-1bf0-4dda-aec3-111122223333", "--issuer=" + azIssuer,
				"--subject=system:serviceaccount:mxp-1-system:mxp-controller", "--audiences=api://AzureADTokenExchange"},
		},
		"role at the storage account": {
			fix: report.Fix{Action: report.AssignRole, Kind: "ManagedIdentity", Name: azIdentity, Principal: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
				Role: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", Scope: azAccount},
			// The name is derived from scope, principal and role: a second
			// run finds the first's assignment. It must never change.
			args: []string{"az", "role", "assignment", "create", "--name=da890abe-e168-5d14-8442-8847bd5f54f9", "--assignee-object-id=6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "--assignee-principal-type=ServicePrincipal",
				"--role=ba92f5b4-2d11-453d-a403-e96b0029c9fe", "--scope=" + azAccount},
		},
		"broad assignment removed by hand": {
			fix:    report.Fix{Action: report.Unassign, Kind: "ManagedIdentity", Name: azIdentity, Assignment: "/x/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e"},
			byHand: "once the identity holds the role it needs on the storage account, remove role assignment /x/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e (az role assignment delete --ids /x/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e)",
		},
		"associate": {
			fix:  report.Fix{Action: report.Associate, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", Cluster: "spaces", Role: role},
			args: []string{"aws", "eks", "create-pod-identity-association", "--cluster-name=spaces", "--namespace=ns", "--service-account=sa", "--role-arn=" + role},
		},
		"associate to an unknown role": {
			fix:    report.Fix{Action: report.Associate, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", Cluster: "spaces"},
			byHand: "create an EKS Pod Identity association in cluster spaces for service account sa in namespace ns, to the role the workload should use",
		},
		"grant": {
			fix:  report.Fix{Action: report.Grant, Kind: "IAMRole", Name: role, Role: role, Actions: []string{"s3:ListBucket"}, Resources: []string{"arn:aws:s3:::b"}},
			args: []string{"aws", "iam", "put-role-policy", "--role-name=backup-restore-role", "--policy-name=" + grantPolicyName([]string{"arn:aws:s3:::b"}), `--policy-document={"Statement":[{"Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::b"]}],"Version":"2012-10-17"}`},
		},
		"workload identity user on a Google service account": {
			fix:  report.Fix{Action: report.Bind, Kind: "GoogleServiceAccount", Name: gsa, Role: "roles/iam.workloadIdentityUser", Member: "serviceAccount:acme-prod.svc.id.goog[mxp-1-system/mxp-controller]"},
			args: []string{"gcloud", "iam", "service-accounts", "add-iam-policy-binding", gsa, "--member=serviceAccount:acme-prod.svc.id.goog[mxp-1-system/mxp-controller]", "--role=roles/iam.workloadIdentityUser", "--condition=None"},
		},
		"object user on the bucket": {
			fix:  report.Fix{Action: report.Bind, Kind: "Bucket", Name: "spaces-backups", Role: "roles/storage.objectUser", Member: "serviceAccount:" + gsa},
			args: []string{"gcloud", "storage", "buckets", "add-iam-policy-binding", "gs://spaces-backups", "--member=serviceAccount:" + gsa, "--role=roles/storage.objectUser"},
		},
		"node pool to the GKE metadata server": {
			fix:  report.Fix{Action: report.NodePoolMetadata, Kind: "NodePool", Name: "default-pool", Cluster: "projects/acme-prod/locations/us-central1/clusters/spaces", Value: "GKE_METADATA"},
			args: []string{"gcloud", "container", "node-pools", "update", "default-pool", "--cluster=spaces", "--location=us-central1", "--project=acme-prod", "--workload-metadata=GKE_METADATA"},
		},
		// The plan withholds it without --allow-deletion (TestWithheld).
		"key deleted": {
			fix:  report.Fix{Action: report.DeleteKey, Kind: "GoogleServiceAccount", Name: gsa, Key: "8f1e4c7a2b9d3e6f0a5c8b1d4e7f2a9c3b6d0e1f"},
			args: []string{"gcloud", "iam", "service-accounts", "keys", "delete", "8f1e4c7a2b9d3e6f0a5c8b1d4e7f2a9c3b6d0e1f", "--iam-account=" + gsa, "--quiet"},
		},
		"shared key off": {
			fix:  report.Fix{Action: report.DisableSharedKey, Kind: "StorageAccount", Name: azAccount},
			args: []string{"az", "storage", "account", "update", "--ids=" + azAccount, "--allow-shared-key-access=false"},
		},
		"project grant removed": {
			fix:  report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/storage.objectAdmin", Scope: "projects/acme-prod"},
			args: []string{"gcloud", "projects", "remove-iam-policy-binding", "acme-prod", "--member=serviceAccount:" + gsa, "--role=roles/storage.objectAdmin", "--condition=None"},
		},
		"folder grant removed": {
			fix:  report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/editor", Scope: "folders/123"},
			args: []string{"gcloud", "resource-manager", "folders", "remove-iam-policy-binding", "123", "--member=serviceAccount:" + gsa, "--role=roles/editor", "--condition=None"},
		},
		"bucket admin removed": {
			fix:  report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/storage.admin", Scope: "buckets/b-1"},
			args: []string{"gcloud", "storage", "buckets", "remove-iam-policy-binding", "gs://b-1", "--member=serviceAccount:" + gsa, "--role=roles/storage.admin"},
		},
		"host network dropped from a statefulset": {
			fix:  report.Fix{Action: report.NoHostNetwork, Kind: "StatefulSet", Namespace: "ns", Name: "s"},
			args: []string{"kubectl", "patch", "--namespace=ns", "--type=json", `--patch=[{"op":"test","path":"/spec/template/spec/hostNetwork","value":true},{"op":"remove","path":"/spec/template/spec/hostNetwork"}]`, "--", "statefulset", "s"},
		},
		"inline policy removed": {
			fix:  report.Fix{Action: report.Narrow, Kind: "IAMRole", Name: role, Role: role, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}, Policy: "inline policy backup-all"},
			args: []string{"aws", "iam", "delete-role-policy", "--role-name=backup-restore-role", "--policy-name=backup-all"},
		},
		"managed policy detached": {
			fix:  report.Fix{Action: report.Narrow, Kind: "IAMRole", Name: role, Role: role, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}, Policy: "managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess"},
			args: []string{"aws", "iam", "detach-role-policy", "--role-name=backup-restore-role", "--policy-arn=arn:aws:iam::aws:policy/AmazonS3FullAccess"},
		},
		"host network of a job": {
			fix:    report.Fix{Action: report.NoHostNetwork, Kind: "Job", Namespace: "ns", Name: "j"},
			byHand: "run the pods of Job/ns/j without hostNetwork",
		},
		"trust subjects": {
			fix:    report.Fix{Action: report.TrustSubject, Kind: "IAMRole", Name: role, Role: role, Subjects: []string{"system:serviceaccount:ns:sa"}},
			byHand: "add to the trust policy of role " + role + ", in the <issuer>:sub condition of its sts:AssumeRoleWithWebIdentity statement, the subjects system:serviceaccount:ns:sa (aws iam get-role --role-name backup-restore-role --query Role.AssumeRolePolicyDocument, edit, then aws iam update-assume-role-policy; wiscan plan --snapshot writes the whole new document)",
		},
	} {
		s := step(c.fix)
		if !slices.Equal(s.Args, c.args) || s.ByHand != c.byHand {
			t.Errorf("%s:\n got %q %q\nwant %q %q", name, s.Args, s.ByHand, c.args, c.byHand)
		}
	}
}

func fail(control, msg string, fix *report.Fix) report.Finding {
	return report.Finding{ControlID: control, Status: report.Fail, Severity: report.High, Key: control + "|" + msg, Message: msg, Fix: fix}
}

// Grants for other resources get other policy names, the same grant the
// same name.
func TestGrantPolicyNames(t *testing.T) {
	a, b := grantPolicyName([]string{"arn:aws:s3:::a"}), grantPolicyName([]string{"arn:aws:s3:::b"})
	if a == b || a != grantPolicyName([]string{"arn:aws:s3:::a"}) || !strings.HasPrefix(a, GrantPolicyName+"-") || len(a) != len(GrantPolicyName)+9 {
		t.Errorf("names %q and %q", a, b)
	}
}

// Failures that share a step share it; restarts come last; unknowns,
// waived findings and failures without a fix get no step.
func TestNew(t *testing.T) {
	restart := &report.Fix{Action: report.Restart, Kind: "Deployment", Namespace: "ns", Name: "d"}
	r := report.Report{Findings: []report.Finding{
		fail("WI-K8S-005", "pod a stale", restart),
		fail("WI-K8S-003", "typo", &report.Fix{Action: report.RenameKey, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", From: "a", Key: "b", In: "annotations"}),
		fail("WI-K8S-005", "pod b stale", restart),
		fail("WI-K8S-010", "static key", nil),
		{ControlID: "WI-AWS-001", Status: report.Unknown, Fix: restart},
		{ControlID: "WI-AWS-011", Status: report.Fail, Fix: restart, Waiver: &report.Waiver{Reason: "r"}},
	}}
	p, err := New(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 2 || p.Steps[0].Action != report.RenameKey || p.Steps[1].Action != report.Restart {
		t.Fatalf("steps %+v", p.Steps)
	}
	if !slices.Equal(p.Steps[1].Why, []string{"WI-K8S-005: pod a stale", "WI-K8S-005: pod b stale"}) || len(p.Steps[1].Findings) != 2 {
		t.Errorf("the restart fixes %q", p.Steps[1].Why)
	}
	if p.Skipped != 1 || p.Waived != 1 {
		t.Errorf("skipped %d waived %d, want 1 and 1", p.Skipped, p.Waived)
	}
}

// hostile is a plan whose names and messages try to run commands, break
// out of quotes and comments, and carry terminal escapes. New refuses
// such a report (TestRefusesUntrusted); the plan is built past that check
// to show that quoting alone keeps the names inert.
func hostile(canary string) Plan {
	evil := "x'; touch " + canary + "; echo '$(touch " + canary + ")`touch " + canary + "`"
	r := report.Report{Findings: []report.Finding{
		fail("WI-K8S-003", "typo\ntouch "+canary+"\n\x1b[2J", &report.Fix{Action: report.RenameKey, Kind: "ServiceAccount", Namespace: "ns", Name: evil, From: "k'\"$HOME", Key: "eks.amazonaws.com/role-arn", In: "annotations"}),
		fail("WI-AWS-009", "no association", &report.Fix{Action: report.Associate, Kind: "ServiceAccount", Namespace: "ns $(id)", Name: "sa", Cluster: "c\\\"", Role: role}),
		fail("WI-AWS-006", "subjects\n"+canary, &report.Fix{Action: report.TrustSubject, Kind: "IAMRole", Name: role, Role: role, Subjects: []string{"system:serviceaccount:ns:sa\ntouch " + canary}}),
		fail("WI-K8S-005", "stale", &report.Fix{Action: report.Restart, Kind: "Deployment", Namespace: "ns", Name: "d\td"}),
		fail("WI-AZ-004", "no credential", &report.Fix{Action: report.Federate, Kind: "ManagedIdentity", Name: "i",
			// A name without a slash, so that the command is written: the
			// canary is relative to the folder the script runs in.
			Identity: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x';touch pwned-az;'$(touch pwned-az)", Issuer: "https://x/$(touch " + canary + ")",
			Subjects: []string{"system:serviceaccount:ns:`touch " + canary + "`"}, Audience: "a'b"}),
	}}
	return build(r, Options{})
}

// The script, run by sh with stand-in kubectl and aws that record their
// arguments, passes each step's arguments exactly, and nothing in a name
// or message runs: the canary file is never made.
func TestScriptRunsExactly(t *testing.T) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "pwned")
	p := hostile(canary)
	var b bytes.Buffer
	if err := WriteShell(&b, p, "report.json\nrm -rf /"); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "plan.sh")
	if err := os.WriteFile(script, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o750); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "calls")
	// Each call is its tool's name and arguments, NUL-terminated, then a
	// newline.
	stub := "#!/bin/sh\nprintf '%s\\0' \"$(basename \"$0\")\" \"$@\" >> " + quote(log) + "\nprintf '\\n' >> " + quote(log) + "\n"
	for _, tool := range []string{"kubectl", "aws", "az"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(stub), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(context.Background(), "sh", script) //nolint:gosec // G204: the test's own plan
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh plan.sh: %v\n%s\n%s", err, out, b.String())
	}
	for _, c := range []string{canary, filepath.Join(dir, "pwned-az")} {
		if _, err := os.Stat(c); err == nil {
			t.Fatalf("a name ran a command:\n%s", b.String())
		}
	}
	calls, err := os.ReadFile(log) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for _, s := range p.Steps {
		if s.Args != nil {
			want = append(want, s.Args)
		}
	}
	got := strings.Split(strings.TrimSuffix(string(calls), "\x00\n"), "\x00\n")
	if len(got) != len(want) {
		t.Fatalf("%d calls, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if args := strings.Split(got[i], "\x00"); !slices.Equal(args, want[i]) {
			t.Errorf("call %d:\n got %q\nwant %q", i+1, args, want[i])
		}
	}
	for _, want := range []string{"# Step 1: rename-key ServiceAccount/ns/", "# Step 3, by hand: trust-subject IAMRole/", "# Step 4: federate ManagedIdentity/i", "# Step 5: restart Deployment/ns/d"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the plan lacks %q:\n%s", want, b.String())
		}
	}
	if !strings.Contains(b.String(), "# 5 steps, 1 of them by hand or withheld (comments only); 0 failed findings without a step; 0 waived.") {
		t.Errorf("the header does not count the steps:\n%s", b.String())
	}
}

// Debian's shellcheck finds nothing to warn about in a plan. Its notes
// (info) flag "$(...)" and quotes inside single quotes, which is the
// quoting that keeps names inert, so they are not asked about.
func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is not installed (Debian's shellcheck; .ci/run installs it): %v", err)
	}
	var b bytes.Buffer
	if err := WriteShell(&b, hostile("/nonexistent"), "report.json"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), sc, "--shell=sh", "--severity=warning", "-") //nolint:gosec // G204: Debian's shellcheck on the test's own plan
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// An argument with a NUL byte cannot be one shell word: the plan is
// refused rather than cut.
func TestNULRefused(t *testing.T) {
	p := Plan{Steps: []Step{{Action: report.Restart, Args: []string{"kubectl", "a\x00b"}}}}
	if err := WriteShell(&bytes.Buffer{}, p, "r"); err == nil || !strings.Contains(err.Error(), "step 1: an argument holds a NUL byte") {
		t.Errorf("a NUL byte: %v", err)
	}
}

// Words the shell gives no meaning stay as they are; anything else is
// single-quoted, tilde, equals sign, empty word and all.
func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"kubectl": "kubectl", "--namespace": "--namespace", "azAZ09": "azAZ09", "`": "'`'", "{": "'{'", "[": "'['", "arn:aws:iam::1:role/a.b_c": "arn:aws:iam::1:role/a.b_c",
		"":     "''",
		"~x":   "'~x'",
		"a=b":  "'a=b'",
		"$x":   "'$x'",
		"it's": `'it'\''s'`,
		"a b":  "'a b'",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
