package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/test/harness"
)

// Scan, plan, run the plan with the real kubectl, scan again: the
// misspelt annotation is moved to the right key with its value, the
// restarts stamp their workloads' pod templates, and the next plan asks to
// restart the workload whose service account now declares a role its pod
// lacks.
func TestPlanFixesTheSpace(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	buildSpace(c)
	ctx := context.Background()
	bin := buildCLI(t)
	dir := t.TempDir()
	kubeconfig := env.Kubeconfig(t, dir)
	path := filepath.Join(dir, "bin")
	if err := os.Mkdir(path, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(harness.Kubectl(t), filepath.Join(path, "kubectl")); err != nil {
		t.Fatal(err)
	}

	plan := func(r report.Report, name string) string {
		t.Helper()
		rp, pp := filepath.Join(dir, name+".json"), filepath.Join(dir, name+".sh")
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.CommandContext(ctx, bin, "plan", rp, "-o", pp).CombinedOutput(); err != nil { //nolint:gosec // G204: the binary the test built
			t.Fatalf("wiscan plan: %v\n%s", err, out)
		}
		b, err = os.ReadFile(pp) //nolint:gosec // G304: the test's own plan
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	ns1, ns3 := cpNamespace(1), cpNamespace(3)
	first := plan(scanCLI(t, env, nil, "--skip-cloud"), "first")
	if !strings.Contains(first, "kubectl patch '--namespace="+ns1+"' '--type=json'") {
		t.Fatalf("the plan does not move ns1's misspelt annotation:\n%s", first)
	}
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(dir, "first.sh")) //nolint:gosec // G204: the test's own plan
	cmd.Env = append(os.Environ(), "PATH="+path+":/usr/bin:/bin", "KUBECONFIG="+kubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh first.sh: %v\n%s\n%s", err, out, first)
	}

	sa, err := c.cs.CoreV1().ServiceAccounts(ns1).Get(ctx, "mxp-controller", metav1.GetOptions{})
	c.must(err)
	if sa.Annotations["eks.amazonaws.com/role-arn"] != roleARN || sa.Annotations["eks.amazon.aws/role-arn"] != "" {
		t.Errorf("ns1's service account annotations after the plan: %v", sa.Annotations)
	}
	for _, ns := range []string{ns1, ns3} {
		if !strings.Contains(first, "kubectl rollout restart '--namespace="+ns+"' -- deployment mxp-controller") {
			continue
		}
		d, err := c.cs.AppsV1().Deployments(ns).Get(ctx, "mxp-controller", metav1.GetOptions{})
		c.must(err)
		if d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
			t.Errorf("%s: the restart did not reach the pod template", ns)
		}
	}

	r := scanCLI(t, env, nil, "--skip-cloud")
	for _, f := range r.Findings {
		if f.ControlID == "WI-K8S-003" && f.Resource.Namespace == ns1 {
			t.Errorf("the typo is still found: %s", f.Message)
		}
	}
	// No controller runs here, so the pod is the one from before: its
	// service account now declares a role it lacks, and the next plan
	// restarts its workload.
	if second := plan(r, "second"); !strings.Contains(second, "kubectl rollout restart '--namespace="+ns1+"' -- deployment mxp-controller") {
		t.Errorf("the second plan does not restart ns1's workload:\n%s", second)
	}
}
