package remediate

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/strvals"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
)

const arn = "arn:aws:iam::123456789012:role/backup-restore-role"

// space is a snapshot of three AWS control planes; mutate changes it.
func space(mutate func(s *snapshot.Snapshot)) *snapshot.Snapshot {
	s := snapshot.New(time.Time{})
	s.Profiles = []snapshot.Profile{{Name: "spaces-backup", ServiceAccount: "mxp-controller", Workload: snapshot.WorkloadMatch{Kind: "Deployment", Name: "mxp-controller"},
		BackupConfig: "SharedBackupConfig", Targets: []string{"mxp-1-system", "mxp-2-system", "mxp-3-system"},
		Helm: &snapshot.HelmValues{ServiceAccountAnnotations: "controlPlanes.mxpController.serviceAccount.annotations", BackupStorage: "backup.storage"}}}
	for _, ns := range s.Profiles[0].Targets {
		s.Targets = append(s.Targets, snapshot.Target{Profile: "spaces-backup", Namespace: ns, Cloud: "aws"})
		s.Kubernetes.ServiceAccounts[ns] = map[string]snapshot.ServiceAccount{"mxp-controller": {Meta: snapshot.Meta{Namespace: ns, Name: "mxp-controller", Annotations: map[string]string{"eks.amazonaws.com/role-arn": arn}}}}
		s.Kubernetes.Deployments[ns] = map[string]snapshot.Workload{"mxp-controller": {Meta: snapshot.Meta{Namespace: ns, Name: "mxp-controller"}, Kind: "Deployment"}}
	}
	s.Kubernetes.Spaces.SharedBackupConfigs = []snapshot.BackupConfig{{Meta: snapshot.Meta{Namespace: "default", Name: "default"}, Kind: "SharedBackupConfig", Provider: "AWS", Bucket: "b",
		Config: map[string]string{"region": " us-east-1"}, CredentialsSource: "Secret", SecretRef: &snapshot.KeyRef{Name: "creds", Key: "credentials"}}}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func failing(control, kind, ns, name string, fix *report.Fix) report.Finding {
	return report.Finding{ControlID: control, Status: report.Fail, Key: control + "|" + kind + "/" + ns + "/" + name, Message: "m",
		Resource: report.Resource{Kind: kind, Namespace: ns, Name: name}, Fix: fix}
}

func plan(t *testing.T, s *snapshot.Snapshot, o Options, findings ...report.Finding) Plan {
	t.Helper()
	o.Snapshot = s
	return build(report.Report{Findings: findings}, o)
}

// A missing binding gets the identity every other control plane of the
// profile uses, as a patch, and the restart that lets the pods pick it
// up; with control planes that disagree there is nothing to copy.
func TestDeriveBinding(t *testing.T) {
	noBinding := func(s *snapshot.Snapshot) {
		s.Kubernetes.ServiceAccounts["mxp-2-system"]["mxp-controller"] = snapshot.ServiceAccount{Meta: snapshot.Meta{Namespace: "mxp-2-system", Name: "mxp-controller", Annotations: map[string]string{}}}
	}
	p := plan(t, space(noBinding), Options{}, failing("WI-K8S-002", "ServiceAccount", "mxp-2-system", "mxp-controller", nil))
	if len(p.Steps) != 2 || p.Skipped != 0 {
		t.Fatalf("steps %+v", p.Steps)
	}
	want := `--patch=[{"op":"add","path":"/metadata/annotations","value":{"eks.amazonaws.com/role-arn":"` + arn + `"}}]`
	if !slices.Contains(p.Steps[0].Args, want) || p.Steps[1].Action != report.Restart || p.Steps[1].Object != "Deployment/mxp-2-system/mxp-controller" {
		t.Errorf("steps %q then %s", p.Steps[0].Args, p.Steps[1].Object)
	}
	disagree := func(s *snapshot.Snapshot) {
		noBinding(s)
		s.Kubernetes.ServiceAccounts["mxp-3-system"]["mxp-controller"].Annotations["eks.amazonaws.com/role-arn"] = arn + "-other"
	}
	p = plan(t, space(disagree), Options{}, failing("WI-K8S-002", "ServiceAccount", "mxp-2-system", "mxp-controller", nil))
	if len(p.Steps) != 0 || p.Skipped != 1 || !strings.Contains(p.Unplanned[0].Reason, "no fix for WI-K8S-002") {
		t.Errorf("with two identities: %+v", p)
	}
}

// An object a Helm release owns is changed through the release's values,
// escaped for --set; without --helm-chart the step is by hand with them.
func TestHelmOwned(t *testing.T) {
	owned := func(s *snapshot.Snapshot) {
		sa := s.Kubernetes.ServiceAccounts["mxp-1-system"]["mxp-controller"]
		sa.Annotations = map[string]string{"eks.amazonaws.com/role-arn": " " + arn, "meta.helm.sh/release-name": "spaces", "meta.helm.sh/release-namespace": "upbound-system"}
		s.Kubernetes.ServiceAccounts["mxp-1-system"]["mxp-controller"] = sa
	}
	f := failing("WI-K8S-004", "ServiceAccount", "mxp-1-system", "mxp-controller", &report.Fix{Action: report.Annotate, Kind: "ServiceAccount", Namespace: "mxp-1-system", Name: "mxp-controller", Key: "eks.amazonaws.com/role-arn", Value: arn})
	p := plan(t, space(owned), Options{HelmChart: "oci://xpkg.upbound.io/spaces-artifacts/spaces"}, f)
	want := []string{"helm", "upgrade", "spaces", "oci://xpkg.upbound.io/spaces-artifacts/spaces", "--namespace=upbound-system", "--reuse-values",
		`--set-string=controlPlanes.mxpController.serviceAccount.annotations.eks\.amazonaws\.com/role-arn=` + arn}
	if !slices.Equal(p.Steps[0].Args, want) {
		t.Errorf("got %q\nwant %q", p.Steps[0].Args, want)
	}
	// As Helm reads it: the annotation's key is one key under the chart's
	// annotations map.
	values := map[string]any{}
	if err := strvals.ParseIntoString(strings.TrimPrefix(p.Steps[0].Args[6], "--set-string="), values); err != nil {
		t.Fatal(err)
	}
	wantValues := map[string]any{"controlPlanes": map[string]any{"mxpController": map[string]any{"serviceAccount": map[string]any{"annotations": map[string]any{"eks.amazonaws.com/role-arn": arn}}}}}
	if !reflect.DeepEqual(values, wantValues) {
		t.Errorf("helm reads %v, want %v", values, wantValues)
	}
	p = plan(t, space(owned), Options{}, f)
	if p.Steps[0].Args != nil || !strings.Contains(p.Steps[0].ByHand, "helm upgrade spaces <chart> --namespace upbound-system --reuse-values --set-string") {
		t.Errorf("without a chart: %q %q", p.Steps[0].Args, p.Steps[0].ByHand)
	}
	// A release name Helm would not accept, read from the object, never
	// becomes an argument.
	steered := func(s *snapshot.Snapshot) {
		owned(s)
		s.Kubernetes.ServiceAccounts["mxp-1-system"]["mxp-controller"].Annotations["meta.helm.sh/release-name"] = "--kubeconfig=/tmp/evil"
	}
	p = plan(t, space(steered), Options{HelmChart: "oci://xpkg.upbound.io/spaces-artifacts/spaces"}, f)
	if p.Steps[0].Args != nil || p.Steps[0].Helm != nil || strings.Contains(p.Steps[0].ByHand, "evil") {
		t.Errorf("a steering release name: %q %q", p.Steps[0].Args, p.Steps[0].ByHand)
	}
}

// A backup storage field is a path under the chart's storage values:
// backup.storage.aws.region, as the documented --set writes it.
func TestHelmBackupStorage(t *testing.T) {
	owned := func(s *snapshot.Snapshot) {
		s.Kubernetes.Spaces.SharedBackupConfigs[0].Annotations = map[string]string{"meta.helm.sh/release-name": "spaces", "meta.helm.sh/release-namespace": "upbound-system"}
	}
	f := failing("WI-K8S-013", "SharedBackupConfig", "default", "default", &report.Fix{Action: report.SetField, Kind: "SharedBackupConfig", Namespace: "default", Name: "default", Field: "spec.objectStorage.config.region", Value: "us-east-1"})
	p := plan(t, space(owned), Options{HelmChart: "spaces-chart"}, f)
	if got := p.Steps[0].Args; len(got) != 7 || got[6] != "--set-string=backup.storage.aws.region=us-east-1" {
		t.Errorf("args %q", got)
	}
}

// Dropping static credentials waits for the identity: while an identity
// failure has no command in the plan the switch is withheld and names it;
// once every one has a step, it comes after them.
func TestGate(t *testing.T) {
	use := failing("WI-K8S-012", "SharedBackupConfig", "default", "default", &report.Fix{Action: report.UseIdentity, Kind: "SharedBackupConfig", Namespace: "default", Name: "default"})
	notAdmitted := failing("WI-AWS-006", "IAMRole", "", arn, &report.Fix{Action: report.TrustSubject, Kind: "IAMRole", Name: arn, Role: arn, Subjects: []string{sub("mxp-2-system")}})
	p := plan(t, space(nil), Options{}, use, notAdmitted)
	last := p.Steps[len(p.Steps)-1]
	if last.Action != report.UseIdentity || last.Args != nil || !strings.Contains(last.ByHand, "WI-AWS-006 on IAMRole/"+arn+" still fail") {
		t.Errorf("without the role in the snapshot the trust step is by hand, so the switch waits: %+v", last)
	}
	withRole := func(s *snapshot.Snapshot) {
		s.AWS = &snapshot.AWS{Roles: map[string]snapshot.Role{arn: {ARN: arn, Found: true, TrustPolicy: &snapshot.PolicyDocument{Document: trustDoc(t, sub("mxp-1-system"))}}},
			Cluster: &snapshot.EKSCluster{Name: "spaces", OIDCIssuer: "https://" + issuer}}
	}
	p = plan(t, space(withRole), Options{}, use, notAdmitted)
	first, last := p.Steps[0], p.Steps[len(p.Steps)-1]
	if first.Action != report.TrustSubject || first.Args == nil || last.Action != report.UseIdentity || last.Args == nil {
		t.Fatalf("the trust edit then the switch: %+v", p.Steps)
	}
	want := `--patch=[{"op":"test","path":"/spec/objectStorage/credentials/source","value":"Secret"},{"op":"replace","path":"/spec/objectStorage/credentials/source","value":"InjectedIdentity"},{"op":"remove","path":"/spec/objectStorage/credentials/secretRef"}]`
	if !slices.Contains(last.Args, want) || !strings.Contains(last.Caution, "only after the steps above have taken effect") {
		t.Errorf("switch %q, caution %q", last.Args, last.Caution)
	}
}

// Each removed piece is tested by name at the index the scan read, last
// first so that earlier indexes still hold; init containers count apart.
func TestRemoveCredentials(t *testing.T) {
	withEnv := func(s *snapshot.Snapshot) {
		d := s.Kubernetes.Deployments["mxp-1-system"]["mxp-controller"]
		d.Template.Containers = []snapshot.Container{
			{Name: "setup", Init: true, Env: []snapshot.EnvVar{{Name: "AWS_SECRET_ACCESS_KEY"}}},
			{Name: "mxp-controller", Env: []snapshot.EnvVar{{Name: "AWS_ACCESS_KEY_ID"}, {Name: "LOG"}, {Name: "AWS_SECRET_ACCESS_KEY"}},
				EnvFrom: []snapshot.EnvFrom{{Secret: "creds"}}, Mounts: []snapshot.Mount{{Volume: "tmp"}, {Volume: "creds"}}},
		}
		d.Template.Volumes = []snapshot.Volume{{Name: "creds", Secret: "creds"}, {Name: "tmp", Other: "emptyDir"}}
		s.Kubernetes.Deployments["mxp-1-system"]["mxp-controller"] = d
	}
	f := failing("WI-K8S-011", "Deployment", "mxp-1-system", "mxp-controller", &report.Fix{Action: report.RemoveCredentials, Kind: "Deployment", Namespace: "mxp-1-system", Name: "mxp-controller",
		Remove: []string{"env:setup:AWS_SECRET_ACCESS_KEY", "env:mxp-controller:AWS_ACCESS_KEY_ID", "env:mxp-controller:AWS_SECRET_ACCESS_KEY", "envFrom:mxp-controller:creds", "volume:creds"}})
	p := plan(t, space(withEnv), Options{}, f)
	var got []string
	for _, op := range p.Steps[0].Patch.Ops {
		got = append(got, op.Op+" "+op.Path)
	}
	want := []string{
		"test /spec/template/spec/initContainers/0/env/0/name", "remove /spec/template/spec/initContainers/0/env/0",
		"test /spec/template/spec/containers/0/volumeMounts/1/name", "remove /spec/template/spec/containers/0/volumeMounts/1",
		"test /spec/template/spec/containers/0/envFrom/0/secretRef/name", "remove /spec/template/spec/containers/0/envFrom/0",
		"test /spec/template/spec/containers/0/env/2/name", "remove /spec/template/spec/containers/0/env/2",
		"test /spec/template/spec/containers/0/env/0/name", "remove /spec/template/spec/containers/0/env/0",
		"test /spec/template/spec/volumes/0/name", "remove /spec/template/spec/volumes/0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ops\n got %q\nwant %q", got, want)
	}
}

// A snapshot of another scan is refused before anything is planned.
func TestMatches(t *testing.T) {
	s := space(func(s *snapshot.Snapshot) { s.Source = snapshot.Source{Mode: "evidence", Evidence: "a"} })
	r := report.Report{Source: snapshot.Source{Mode: "evidence", Evidence: "a"}, Profiles: []report.ProfileSummary{{Name: "spaces-backup", Namespaces: []string{"mxp-1-system", "mxp-2-system", "mxp-3-system"}}}}
	if err := Matches(r, s); err != nil {
		t.Errorf("the same scan: %v", err)
	}
	r.Profiles[0].Namespaces = r.Profiles[0].Namespaces[:2]
	if err := Matches(r, s); err == nil || !strings.Contains(err.Error(), "profile spaces-backup matched other namespaces") {
		t.Errorf("other namespaces: %v", err)
	}
	r.Source.Evidence = "b"
	if _, err := Make(r, Options{Snapshot: s}); err == nil || !strings.Contains(err.Error(), "the report read evidence b, the snapshot evidence a") {
		t.Errorf("another source: %v", err)
	}
}

// What deletes or narrows is listed with its command withheld until its
// flag asks for it; the narrower grant it waits for is planned either way.
func TestWithheld(t *testing.T) {
	unbindFix := &report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gsa, Member: "serviceAccount:" + gsa, Role: "roles/storage.objectAdmin", Scope: "projects/acme-prod", Resources: []string{"buckets/b-1", "buckets/b-2"}}
	unassignFix := &report.Fix{Action: report.Unassign, Kind: "ManagedIdentity", Name: azIdentity, Assignment: azIdentity[:strings.Index(azIdentity, "/providers/")] + "/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
		Principal: "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", Scope: azAccount}
	findings := []report.Finding{
		failing("WI-GCP-007", "GoogleServiceAccount", "", gsa, unbindFix),
		failing("WI-AZ-006", "ManagedIdentity", "", azIdentity, unassignFix),
		failing("WI-AZ-007", "StorageAccount", "", azAccount, &report.Fix{Action: report.DisableSharedKey, Kind: "StorageAccount", Name: azAccount}),
		failing("WI-GCP-008", "GoogleServiceAccount", "", gsa, &report.Fix{Action: report.DeleteKey, Kind: "GoogleServiceAccount", Name: gsa, Key: strings.Repeat("ab", 20)}),
	}
	summary := func(p Plan) []string {
		var out []string
		for _, s := range p.Steps {
			words := []string{string(s.Action)}
			if s.Needs != "" {
				words = append(words, s.Needs)
			}
			if s.Args != nil {
				words = append(words, s.Args[:3]...)
			}
			out = append(out, strings.Join(words, " "))
		}
		return out
	}
	got := summary(build(report.Report{Findings: findings}, Options{}))
	want := []string{"bind gcloud storage buckets", "bind gcloud storage buckets", "assign-role az role assignment",
		"unbind --allow-narrowing", "unassign --allow-narrowing", "disable-shared-key --allow-narrowing", "delete-key --allow-deletion"}
	if !slices.Equal(got, want) {
		t.Errorf("without the flags\n got %q\nwant %q", got, want)
	}
	got = summary(build(report.Report{Findings: findings}, Options{AllowNarrowing: true, AllowDeletion: true}))
	want = []string{"bind gcloud storage buckets", "bind gcloud storage buckets", "assign-role az role assignment",
		"unbind gcloud projects remove-iam-policy-binding", "unassign az role assignment", "disable-shared-key az storage account", "delete-key gcloud iam service-accounts"}
	if !slices.Equal(got, want) {
		t.Errorf("with the flags\n got %q\nwant %q", got, want)
	}
}

// wiscan apply makes only what it can make exactly: a Kubernetes command
// without its patch (a label set from a report alone) is listed.
func TestRunnable(t *testing.T) {
	label := step(report.Fix{Action: report.Label, Kind: "Deployment", Namespace: "ns", Name: "d", Key: "k", Value: "v"})
	rename := step(report.Fix{Action: report.RenameKey, Kind: "ServiceAccount", Namespace: "ns", Name: "sa", From: "a", Key: "b", In: "annotations"})
	restart := step(report.Fix{Action: report.Restart, Kind: "Deployment", Namespace: "ns", Name: "d"})
	withheld := step(report.Fix{Action: report.DeleteSecret, Kind: "Secret", Namespace: "ns", Name: "s"})
	withheld.Needs = "--allow-deletion"
	for _, c := range []struct {
		s    Step
		want bool
	}{{label, false}, {rename, true}, {restart, true}, {withheld, false}} {
		if got := c.s.Runnable(); got != c.want {
			t.Errorf("%s %s: runnable %v, want %v", c.s.Action, c.s.Object, got, c.want)
		}
	}
}

// What apply logs of a removal is its path, never the value it held: an
// environment variable may carry a credential literally.
func TestSummaryHidesRemovedValues(t *testing.T) {
	secret := "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
	obj := map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
		"env": []any{map[string]any{"name": "AWS_SECRET_ACCESS_KEY", "value": secret}, map[string]any{"name": "DB_PASSWORD", "value": secret}},
	}}}}}}
	p := &Patch{Ops: []Op{{Op: "test", Path: "/spec/template/spec/containers/0/env/0/name", Value: "AWS_SECRET_ACCESS_KEY"}, {Op: "remove", Path: "/spec/template/spec/containers/0/env/0"}}}
	before, after := summary(p, obj, false), summary(p, obj, true)
	if strings.Contains(before+after, "EXAMPLEKEY") {
		t.Fatalf("a removed value is logged: %s / %s", before, after)
	}
	if before != `["/spec/template/spec/containers/0/env/0 present"]` || after != `["/spec/template/spec/containers/0/env/0 removed"]` {
		t.Errorf("before %s, after %s", before, after)
	}
}
