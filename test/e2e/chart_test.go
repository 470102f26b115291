package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/test/chart"
	"github.com/wiscan/wiscan/test/harness"
)

const chartNamespace = "wiscan-system"

// runsAs gives what the chart's CronJob runs: its container's arguments,
// and the user and groups its service account authenticates as (a client
// certificate in that name and those groups is how the tests act as it:
// RBAC binds a ServiceAccount subject by that user name).
func runsAs(cj *unstructured.Unstructured) (args []string, user string, groups []string) {
	containers, _, _ := unstructured.NestedSlice(cj.Object, "spec", "jobTemplate", "spec", "template", "spec", "containers")
	args, _, _ = unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	sa, _, _ := unstructured.NestedString(cj.Object, "spec", "jobTemplate", "spec", "template", "spec", "serviceAccountName")
	return args, "system:serviceaccount:" + chartNamespace + ":" + sa, []string{"system:serviceaccounts", "system:serviceaccounts:" + chartNamespace}
}

// readReport reads a JSON report the test had wiscan write.
func readReport(t *testing.T, path string) report.Report {
	t.Helper()
	b, err := os.ReadFile(path) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// install creates what the chart renders on the API server, each object
// validated strictly (an unknown field is an error), and returns the
// CronJob as the server stored it.
func install(t *testing.T, env *harness.Env, c *cluster, r *chart.Rendered) *unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	c.namespace(chartNamespace, nil)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(kubernetes.NewForConfigOrDie(env.Config).Discovery()))
	var cronJob *unstructured.Unstructured
	for _, o := range r.Objects {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s %s: %v", gvk.Kind, o.GetName(), err)
		}
		res := c.dyn.Resource(m.Resource)
		var created *unstructured.Unstructured
		opts := metav1.CreateOptions{FieldValidation: "Strict"}
		if o.GetNamespace() != "" {
			created, err = res.Namespace(o.GetNamespace()).Create(ctx, o, opts)
		} else {
			created, err = res.Create(ctx, o, opts)
		}
		if err != nil {
			t.Fatalf("create %s %s: %v", gvk.Kind, o.GetName(), err)
		}
		if gvk.Kind == "CronJob" {
			cronJob = created
		}
	}
	if cronJob == nil {
		t.Fatal("the chart rendered no CronJob")
	}
	return cronJob
}

// The chart installed on a real API server: its CronJob's own arguments,
// run as its service account, scan the Space with no gap and find what an
// administrator's scan finds, push the metrics, and the API server refuses
// that service account every write.
func TestChartInCluster(t *testing.T) {
	env := startSpace(t)
	c := newCluster(t, env)
	buildSpace(c)

	var (
		mu     sync.Mutex
		pushes bytes.Buffer
	)
	gw := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/metrics/job/wiscan/cluster/e2e" {
			mu.Lock()
			defer mu.Unlock()
			_, _ = io.Copy(&pushes, r.Body)
		}
	}))
	defer gw.Close()
	rendered, err := chart.Render("wiscan", chartNamespace, map[string]any{
		"scan":        map[string]any{"skipCloud": true},
		"pushgateway": map[string]any{"url": gw.URL, "labels": map[string]any{"cluster": "e2e"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cj := install(t, env, c, rendered)
	args, sa, groups := runsAs(cj)

	bin := buildCLI(t)
	dir := t.TempDir()
	saConfig := env.UserKubeconfig(t, dir, sa, groups...)
	run := func(kubeconfig string, extra ...string) report.Report {
		t.Helper()
		out := filepath.Join(dir, "report.json")
		all := append(slices.Clone(args), append([]string{"--kubeconfig", kubeconfig, "--output", "json=" + out}, extra...)...)
		cmd := exec.CommandContext(t.Context(), bin, all...) //nolint:gosec // G204: the binary the test built, with the chart's arguments
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("wiscan %q: %v\n%s", all, err, stderr.String())
		}
		return readReport(t, out)
	}
	asSA := run(saConfig)
	asAdmin := run(env.Kubeconfig(t, t.TempDir()))

	keys := func(r report.Report) []string {
		var k []string
		for _, f := range r.Findings {
			if f.ControlID == "WI-SCAN-001" {
				t.Errorf("a collection gap as the chart's service account: %s", f.Message)
			}
			k = append(k, f.Key)
		}
		slices.Sort(k)
		return k
	}
	if a, b := keys(asSA), keys(asAdmin); !slices.Equal(a, b) {
		t.Errorf("the service account's findings differ from the administrator's:\n sa    %q\n admin %q", a, b)
	}
	if asSA.Summary.Findings[report.Critical] == 0 {
		t.Error("the scan found none of the Space's critical findings")
	}
	mu.Lock()
	pushed := pushes.String()
	mu.Unlock()
	if !strings.Contains(pushed, `wiscan_findings{`) {
		t.Errorf("no metrics pushed; got %q", pushed)
	}

	assertReadOnly(t, c, rendered, sa, kubernetes.NewForConfigOrDie(env.User(t, sa, groups...)))
}

// assertReadOnly asks the API server whether the service account may
// create, update, patch or delete each resource the chart lets it read,
// and tries one write for real.
func assertReadOnly(t *testing.T, c *cluster, r *chart.Rendered, user string, sa kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + chartNamespace, "system:authenticated"}
	role := r.Find("ClusterRole", "")
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	checked := 0
	for _, rule := range rules {
		apiGroups, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "apiGroups")
		resources, _, _ := unstructured.NestedStringSlice(rule.(map[string]any), "resources")
		for _, g := range apiGroups {
			for _, res := range resources {
				for _, verb := range []string{"get", "list", "create", "update", "patch", "delete", "deletecollection"} {
					sar, err := c.cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
						User: user, Groups: groups,
						ResourceAttributes: &authzv1.ResourceAttributes{Group: g, Resource: res, Verb: verb, Namespace: cpNamespace(0)},
					}}, metav1.CreateOptions{})
					c.must(err)
					read := verb == "get" || verb == "list"
					if sar.Status.Allowed != read {
						t.Errorf("%s %s.%s: allowed %v", verb, res, g, sar.Status.Allowed)
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no rule checked")
	}
	_, err := sa.CoreV1().ConfigMaps(cpNamespace(0)).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("a write as the service account: %v, want forbidden", err)
	}
	if err := sa.CoreV1().Secrets(cpNamespace(3)).Delete(ctx, "backup-creds", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("a delete as the service account: %v, want forbidden", err)
	}
}
