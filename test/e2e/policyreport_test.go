package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	orv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	orclient "github.com/openreports/reports-api/pkg/client/clientset/versioned"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wiscan/wiscan/test/chart"
	"github.com/wiscan/wiscan/test/harness"
)

var (
	policyReports        = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	clusterPolicyReports = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}
)

// -o policyreport writes objects the API server accepts under the
// PolicyReport CRD: applied with kubectl and read back, each control
// plane's report holds its failures (a cloud finding in each namespace it
// concerns), its passes, and a summary that counts them; applied again
// after a fix, a namespace's report holds the fix, not the old failure.
func TestPolicyReports(t *testing.T) {
	env := harness.Start(t, func(e *envtest.Environment) {
		e.CRDDirectoryPaths = []string{filepath.Join("testdata", "crds"), filepath.Join("testdata", "policyreport-crds")}
	})
	kubectl := harness.Kubectl(t)
	kc := env.Kubeconfig(t, t.TempDir())
	bin := buildCLI(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	if out, err := exec.CommandContext(t.Context(), "cp", "-r", gcpBundle, bundle).CombinedOutput(); err != nil { //nolint:gosec // G204: cp of the shipped bundle into the test's folder
		t.Fatalf("cp: %v %s", err, out)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput() //nolint:gosec // G204: the tools the test built
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(kubectl, "--kubeconfig", kc, "apply", "-f", filepath.Join(bundle, "namespaces.yaml"))
	apply := func() {
		t.Helper()
		reports := filepath.Join(dir, "reports.yaml")
		run(bin, "scan", "--evidence", bundle, "-o", "policyreport="+reports, "--fail-on", "none")
		run(kubectl, "--kubeconfig", kc, "apply", "--server-side", "--field-manager=wiscan", "-f", reports)
	}
	apply()
	dyn := dynamic.NewForConfigOrDie(env.Config)
	results := func(ns string) (map[string]string, map[string]any) {
		t.Helper()
		o, err := dyn.Resource(policyReports).Namespace(ns).Get(context.Background(), "wiscan", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("policy report of %s: %v", ns, err)
		}
		// The PolicyReport schema is OpenReports' Report: the object
		// decodes into the typed Report with no field left over.
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, &orv1alpha1.Report{}, true); err != nil {
			t.Errorf("policy report of %s as a typed report: %v", ns, err)
		}
		rs, _, _ := unstructured.NestedSlice(o.Object, "results")
		out := map[string]string{}
		for _, r := range rs {
			m := r.(map[string]any)
			if m["result"] != "pass" || out[m["policy"].(string)] == "" {
				out[m["policy"].(string)] = m["result"].(string)
			}
		}
		sum, _, _ := unstructured.NestedMap(o.Object, "summary")
		return out, sum
	}
	const cp2 = "mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system"
	got, sum := results(cp2)
	for policy, want := range map[string]string{"WI-GCP-004": "fail", "WI-GCP-002": "fail", "WI-GCP-007": "fail", "WI-GCP-008": "fail", "WI-K8S-001": "pass", "WI-GCP-006": "pass"} {
		if got[policy] != want {
			t.Errorf("%s in %s: %q, want %q (%v)", policy, cp2, got[policy], want, got)
		}
	}
	if sum["fail"] != int64(4) {
		t.Errorf("summary %v, want 4 failures", sum)
	}
	cluster, err := dyn.Resource(clusterPolicyReports).Get(context.Background(), "wiscan", metav1.GetOptions{})
	if err != nil || cluster.GetLabels()["app.kubernetes.io/managed-by"] != "wiscan" {
		t.Errorf("cluster report: %v %v", err, cluster)
	}

	// The misspelt binding is fixed: the next report of the namespace no
	// longer fails WI-GCP-004.
	p := filepath.Join(bundle, "gcloud", "iam-policy.service-account.backup-restore-sa@acme-prod.iam.gserviceaccount.com.json")
	b, err := os.ReadFile(p) //nolint:gosec // G304: the test's copy
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "-sytem/", "-system/", 1)), 0o600); err != nil { //nolint:gosec // G703: the test's copy
		t.Fatal(err)
	}
	apply()
	if got, _ := results(cp2); got["WI-GCP-004"] != "pass" {
		t.Errorf("after the fix, WI-GCP-004 in %s: %q", cp2, got["WI-GCP-004"])
	}

	// wiscan applies them itself when asked; a namespace that is no
	// longer a target keeps its report, emptied, not stale.
	profile := filepath.Join(dir, "two.yaml")
	if err := os.WriteFile(profile, []byte("apiVersion: wiscan.io/v1alpha1\nkind: Profile\nname: two\nnamespaces: {names: [mxp-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d-system, "+cp2+"]}\n"+
		"serviceAccount: mxp-controller\nworkload: {kind: Deployment, name: mxp-controller}\nbackupConfig: SharedBackupConfig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "scan", "--evidence", bundle, "--profile-file", profile, "--apply-policyreports", "--fail-on", "none") //nolint:gosec // G204: the binary the test built
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kc)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scan --apply-policyreports: %v\n%s", err, out)
	}
	if got, sum := results("mxp-3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f-system"); len(got) != 0 || sum["pass"] != int64(0) {
		t.Errorf("the report of a namespace no longer scanned: %v %v", got, sum)
	}
	if got, _ := results(cp2); got["WI-GCP-002"] != "fail" {
		t.Errorf("applied by wiscan: %v", got)
	}
}

// Without the CRD, --apply-policyreports writes every other output, says
// what is missing, counts the failed delivery in the metrics, and exits 3
// when nothing at or above the gate fails.
func TestPolicyReportsWithoutCRD(t *testing.T) {
	env := startSpace(t)
	kc := env.Kubeconfig(t, t.TempDir())
	bin := buildCLI(t)
	dir := t.TempDir()
	metrics, report := filepath.Join(dir, "metrics.txt"), filepath.Join(dir, "r.json")
	cmd := exec.CommandContext(t.Context(), bin, "scan", "--evidence", gcpBundle, "--apply-policyreports", "--fail-on", "none", //nolint:gosec // G204: the binary the test built
		"-o", "json="+report, "-o", "prometheus="+metrics)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kc)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "PolicyReports not applied: the cluster does not serve PolicyReport and ClusterPolicyReport (wgpolicyk8s.io/v1alpha2)") {
		t.Fatalf("exit %v: %s", err, out)
	}
	for _, f := range []string{report, metrics} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("output not written: %v", err)
		}
	}
	if b, _ := os.ReadFile(metrics); !strings.Contains(string(b), `wiscan_delivery_failed{output="policyreport"} 1`) { //nolint:gosec // G304: the test's own file
		t.Errorf("metrics:\n%s", b)
	}
}

// With --policyreport-api openreports.io, wiscan applies OpenReports'
// Report and ClusterReport, read back here with OpenReports' typed client.
func TestOpenReports(t *testing.T) {
	env := harness.Start(t, func(e *envtest.Environment) {
		e.CRDDirectoryPaths = []string{filepath.Join("testdata", "crds"), filepath.Join("testdata", "openreports-crds")}
	})
	kc := env.Kubeconfig(t, t.TempDir())
	bin := buildCLI(t)
	out, err := exec.CommandContext(t.Context(), harness.Kubectl(t), "--kubeconfig", kc, "apply", "-f", filepath.Join(gcpBundle, "namespaces.yaml")).CombinedOutput() //nolint:gosec // G204: the kubectl the harness built
	if err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(t.Context(), bin, "scan", "--evidence", gcpBundle, "--apply-policyreports", "--policyreport-api", "openreports.io", "--fail-on", "none") //nolint:gosec // G204: the binary the test built
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kc)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scan --apply-policyreports: %v\n%s", err, out)
	}
	cs := orclient.NewForConfigOrDie(env.Config)
	const cp2 = "mxp-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e-system"
	rep, err := cs.OpenreportsV1alpha1().Reports(cp2).Get(t.Context(), "wiscan", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Source != "wiscan" || rep.Summary.Fail != 4 {
		t.Errorf("report of %s: source %q, summary %+v, want wiscan and 4 failures", cp2, rep.Source, rep.Summary)
	}
	var key orv1alpha1.ReportResult
	for _, res := range rep.Results {
		if res.Policy == "WI-GCP-004" {
			key = res
		}
	}
	if key.Result != "fail" || key.Severity != "critical" || len(key.Subjects) != 1 || key.Subjects[0].Name == "" || key.Properties["key"] == "" {
		t.Errorf("WI-GCP-004 in %s: %+v", cp2, key)
	}
	cluster, err := cs.OpenreportsV1alpha1().ClusterReports().Get(t.Context(), "wiscan", metav1.GetOptions{})
	if err != nil || cluster.Source != "wiscan" {
		t.Errorf("cluster report: %v %+v", err, cluster)
	}
}

// The chart with policyReports.apply, installed on the API server: its
// CronJob's arguments, run as its service account, apply the PolicyReports
// under field manager wiscan, and the service account may create and patch
// them but delete none, and still write nothing else.
func TestChartAppliesPolicyReports(t *testing.T) {
	env := harness.Start(t, func(e *envtest.Environment) {
		e.CRDDirectoryPaths = []string{filepath.Join("testdata", "crds"), filepath.Join("testdata", "policyreport-crds")}
	})
	c := newCluster(t, env)
	buildSpace(c)
	rendered, err := chart.Render("wiscan", chartNamespace, map[string]any{
		"scan":          map[string]any{"skipCloud": true, "failOn": "none"},
		"policyReports": map[string]any{"apply": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	cj := install(t, env, c, rendered)
	args, sa, groups := runsAs(cj)
	kc := env.UserKubeconfig(t, t.TempDir(), sa, groups...)
	cmd := exec.CommandContext(t.Context(), buildCLI(t), append(slices.Clone(args), "--kubeconfig", kc)...) //nolint:gosec // G204: the binary the test built, with the chart's arguments
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wiscan %q: %v\n%s", args, err, out)
	}
	o, err := c.dyn.Resource(policyReports).Namespace(cpNamespace(0)).Get(t.Context(), "wiscan", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mf := o.GetManagedFields(); len(mf) != 1 || mf[0].Manager != "wiscan" || mf[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("managed fields %+v, want one apply by wiscan", mf)
	}
	if rs, _, _ := unstructured.NestedSlice(o.Object, "results"); len(rs) == 0 {
		t.Error("the report holds no result")
	}
	if _, err := c.dyn.Resource(clusterPolicyReports).Get(t.Context(), "wiscan", metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	for verb, want := range map[string]bool{"create": true, "patch": true, "list": true, "delete": false, "update": false, "deletecollection": false} {
		sar, err := c.cs.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User: sa, Groups: groups,
			ResourceAttributes: &authzv1.ResourceAttributes{Group: "wgpolicyk8s.io", Resource: "policyreports", Verb: verb, Namespace: cpNamespace(0)},
		}}, metav1.CreateOptions{})
		c.must(err)
		if sar.Status.Allowed != want {
			t.Errorf("%s policyreports: allowed %v, want %v", verb, sar.Status.Allowed, want)
		}
	}
	_, err = kubernetes.NewForConfigOrDie(env.User(t, sa, groups...)).CoreV1().ConfigMaps(cpNamespace(0)).Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("a write outside the reports: %v, want forbidden", err)
	}
}
