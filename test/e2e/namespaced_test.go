package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/test/chart"
	"github.com/wiscan/wiscan/test/harness"
)

// The chart in namespaced mode (rbac.namespaces) binds its reader role in
// the named namespaces only. Its CronJob's arguments, run as its service
// account, scan those namespaces with no failed read: the findings are the
// administrator's cluster-wide findings in those namespaces, the one left
// out is not scanned, the cluster-scoped SpaceBackupConfig is reported as
// not read (not as a collection failure), and the PolicyReports are
// applied, the cluster's included.
func TestChartNamespaced(t *testing.T) {
	env := harness.Start(t, func(e *envtest.Environment) {
		e.CRDDirectoryPaths = []string{filepath.Join("testdata", "crds"), filepath.Join("testdata", "spacebackupconfig-crd"), filepath.Join("testdata", "policyreport-crds")}
	})
	c := newCluster(t, env)
	buildSpace(c)
	scanned := []string{"team-a", cpNamespace(0), cpNamespace(1), cpNamespace(3)}
	rendered, err := chart.Render("wiscan", chartNamespace, map[string]any{
		"scan":          map[string]any{"skipCloud": true, "failOn": "none"},
		"rbac":          map[string]any{"namespaces": []any{scanned[0], scanned[1], scanned[2], scanned[3]}},
		"policyReports": map[string]any{"apply": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rendered.Find("ClusterRoleBinding", "wiscan-reader") != nil {
		t.Fatal("namespaced mode binds the reader cluster-wide")
	}
	cj := install(t, env, c, rendered)
	args, sa, groups := runsAs(cj)
	dir := t.TempDir()
	bin := buildCLI(t)
	run := func(args []string, kubeconfig string) report.Report {
		t.Helper()
		out := filepath.Join(dir, "r.json")
		all := append(slices.Clone(args), "--kubeconfig", kubeconfig, "-o", "json="+out)
		if b, err := exec.CommandContext(t.Context(), bin, all...).CombinedOutput(); err != nil { //nolint:gosec // G204: the binary the test built, with the chart's arguments
			t.Fatalf("wiscan %q: %v\n%s", all, err, b)
		}
		return readReport(t, out)
	}
	asSA := run(args, env.UserKubeconfig(t, dir, sa, groups...))
	var noPolicyReports []string
	for _, a := range args {
		if !strings.HasPrefix(a, "--apply-policyreports") && !strings.HasPrefix(a, "--namespace") {
			noPolicyReports = append(noPolicyReports, a)
		}
	}
	asAdmin := run(noPolicyReports, env.Kubeconfig(t, t.TempDir()))

	want := []string{cpNamespace(0), cpNamespace(1), cpNamespace(3)}
	slices.Sort(want)
	if got := asSA.Profiles[0].Namespaces; !slices.Equal(got, want) {
		t.Errorf("targets %v", got)
	}
	var saKeys, adminKeys []string
	for _, f := range asSA.Findings {
		if f.ControlID == "WI-SCAN-001" {
			t.Errorf("a collection failure in namespaced mode: %s", f.Message)
		}
		saKeys = append(saKeys, f.Key)
	}
	for _, f := range asAdmin.Findings {
		if !strings.Contains(f.Key, cpNamespace(2)) {
			adminKeys = append(adminKeys, f.Key)
		}
	}
	slices.Sort(saKeys)
	slices.Sort(adminKeys)
	if !slices.Equal(saKeys, adminKeys) {
		t.Errorf("namespaced findings differ from the administrator's in those namespaces:\n namespaced %q\n admin      %q", saKeys, adminKeys)
	}
	if !slices.ContainsFunc(asSA.Findings, func(f report.Finding) bool {
		return f.ControlID == "WI-K8S-010" && f.Resource.Namespace == cpNamespace(3)
	}) {
		t.Error("the static key in " + cpNamespace(3) + " was not found")
	}

	// A named namespace that does not exist is a collection failure that
	// names it, not a silent empty scan.
	missing := run(append(slices.Clone(noPolicyReports), "--namespace=mxp-gone-system", "--namespace="+cpNamespace(0)), env.Kubeconfig(t, t.TempDir()))
	if !slices.ContainsFunc(missing.Findings, func(f report.Finding) bool {
		return f.ControlID == "WI-SCAN-001" && f.Resource.Kind == "Namespace" && f.Resource.Namespace == "mxp-gone-system" && strings.Contains(f.Message, "not found")
	}) {
		t.Errorf("the missing namespace is not reported: %+v", missing.Findings)
	}

	// The snapshot says what namespaced mode left unread.
	snap := filepath.Join(dir, "snap.json")
	collect := append([]string{"collect", "-o", snap, "--skip-cloud", "--kubeconfig", env.UserKubeconfig(t, dir, sa, groups...)}, nsArgs(args)...)
	if b, err := exec.CommandContext(t.Context(), bin, collect...).CombinedOutput(); err != nil { //nolint:gosec // G204: the binary the test built
		t.Fatalf("collect: %v\n%s", err, b)
	}
	b, err := os.ReadFile(snap) //nolint:gosec // G304: the test's own snapshot
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Errors []struct{ Kind, Namespace, Reason, Message string }
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) != 1 || s.Errors[0].Kind != "SpaceBackupConfig" || s.Errors[0].Reason != "not-read" || !strings.Contains(s.Errors[0].Message, "namespaced mode") {
		t.Errorf("gaps %+v, want SpaceBackupConfig not read", s.Errors)
	}

	for _, ns := range []string{cpNamespace(0), cpNamespace(3)} {
		if _, err := c.dyn.Resource(policyReports).Namespace(ns).Get(t.Context(), "wiscan", metav1.GetOptions{}); err != nil {
			t.Errorf("PolicyReport of %s: %v", ns, err)
		}
	}
	if _, err := c.dyn.Resource(clusterPolicyReports).Get(t.Context(), "wiscan", metav1.GetOptions{}); err != nil {
		t.Errorf("ClusterPolicyReport: %v", err)
	}

	// Nothing outside the named namespaces, and no cluster-wide list.
	for _, a := range []authzv1.ResourceAttributes{
		{Resource: "pods", Verb: "list", Namespace: cpNamespace(2)},
		{Resource: "pods", Verb: "list"},
		{Resource: "namespaces", Verb: "list"},
		{Resource: "nodes", Verb: "list"},
		{Group: "wgpolicyk8s.io", Resource: "policyreports", Verb: "patch", Namespace: cpNamespace(2)},
		{Group: "wgpolicyk8s.io", Resource: "clusterpolicyreports", Verb: "patch", Name: "other"},
	} {
		sar, err := c.cs.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User: sa, Groups: groups, ResourceAttributes: &a,
		}}, metav1.CreateOptions{})
		c.must(err)
		if sar.Status.Allowed {
			t.Errorf("%s %s.%s in %q (%s): allowed", a.Verb, a.Resource, a.Group, a.Namespace, a.Name)
		}
	}
}

// nsArgs are the --namespace arguments among args.
func nsArgs(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "--namespace") {
			out = append(out, a)
		}
	}
	return out
}
