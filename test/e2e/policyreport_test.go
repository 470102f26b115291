package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

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
}
