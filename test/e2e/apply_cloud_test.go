package e2e

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	container "cloud.google.com/go/container/apiv1"
	iamadmin "cloud.google.com/go/iam/admin/apiv1"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"

	"github.com/wiscan/wiscan/remediate"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
	"github.com/wiscan/wiscan/test/azureapi"
	"github.com/wiscan/wiscan/test/gcpapi"
	"github.com/wiscan/wiscan/test/harness"
)

// spaceOn puts a shipped Space's Kubernetes objects on a new API server
// and returns its kubeconfig.
func spaceOn(t *testing.T, bundle string, files ...string) string {
	t.Helper()
	env := startSpace(t)
	kc := env.Kubeconfig(t, t.TempDir())
	for _, f := range files {
		cmd := exec.CommandContext(t.Context(), harness.Kubectl(t), "--kubeconfig", kc, "apply", "-f", filepath.Join(bundle, f)) //nolint:gosec // G204: the kubectl the harness built
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubectl apply %s: %v\n%s", f, err, out)
		}
	}
	return kc
}

// cloudLoop scans, plans with narrowing and deletion allowed, makes the
// cloud's steps in the plan's order, scans again, and checks that every
// failure the steps fix is gone, that each control of want got a step, and
// that the plan of the new scan has no step left for the cloud.
func cloudLoop(t *testing.T, cfg scan.Config, cloud string, a remediate.Applier, want []string) {
	t.Helper()
	ctx := context.Background()
	r, s, err := scan.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts := remediate.Options{Snapshot: s, AllowNarrowing: true, AllowDeletion: true}
	p, err := remediate.Make(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	pick := func(p remediate.Plan) []remediate.Step {
		var out []remediate.Step
		for _, st := range p.Steps {
			if st.Target() == cloud && st.Runnable() {
				out = append(out, st)
			}
		}
		return out
	}
	steps := pick(p)
	fixed := map[string]bool{}
	for _, st := range steps {
		for _, k := range st.Findings {
			fixed[k] = true
		}
	}
	for _, id := range want {
		if !slices.ContainsFunc(steps, func(st remediate.Step) bool {
			return slices.ContainsFunc(st.Findings, func(k string) bool { return strings.HasPrefix(k, id+"|") })
		}) {
			t.Errorf("no %s step for %s", cloud, id)
		}
	}
	out := remediate.Run(ctx, steps, map[string]remediate.Applier{cloud: a}, false, slog.New(slog.DiscardHandler), nil)
	if out.Err != nil {
		t.Fatalf("%s steps: %v", cloud, out.Err)
	}
	after, _, err := scan.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after.Findings {
		if f.Status == report.Fail && fixed[f.Key] {
			t.Errorf("still failing after its step: %s %s: %s", f.ControlID, f.Resource, f.Message)
		}
	}
	// Applying the plan of the new scan sends nothing more.
	p2, err := remediate.Make(after, opts)
	if err != nil {
		t.Fatal(err)
	}
	if left := pick(p2); len(left) != 0 {
		t.Errorf("%d %s steps planned after apply: %+v", len(left), cloud, left)
	}
}

func now() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }

// The shipped Azure Space, its Azure side in the SDK's fakes: after its
// Azure steps (the second control plane's own credential, the broad
// assignment gone, shared keys off) a scan finds none of those failures.
func TestApplyAzureSpace(t *testing.T) {
	kc := spaceOn(t, azureBundle, "namespaces.yaml", "serviceaccounts.yaml", "deployments.yaml", "pods.yaml", "secrets.yaml", "sharedbackupconfig.yaml")
	f := azureapi.Space(nil)
	route := &azureapi.Route{F: f}
	cfg := scan.Config{Kube: scan.Kube{Kubeconfig: kc, Timeout: 30 * time.Second}, Now: now,
		Azure: scan.Azure{Subscriptions: []string{azureapi.Subscription}, ResourceGroup: "spaces", Cluster: "spaces", Credential: azureapi.Credential(), Transport: route}}
	a := remediate.Azure{Credential: azureapi.Credential(), Options: &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: route}}}
	cloudLoop(t, cfg, "azure", a, []string{"WI-AZ-004", "WI-AZ-006", "WI-AZ-007"})
}

// The shipped GKE Space, its GCP side in the fake servers: after its GCP
// steps (the binding, the pool, the bucket grant before the project grant
// goes, the key) a scan finds none of those failures.
func TestApplyGCPSpace(t *testing.T) {
	kc := spaceOn(t, gcpBundle, "namespaces.yaml", "nodes.yaml", "serviceaccounts.yaml", "deployments.yaml", "pods.yaml", "secrets.yaml", "sharedbackupconfig.yaml")
	f := gcpapi.Space()
	grpcOpts, storageOpts := f.Start(t)
	cfg := scan.Config{Kube: scan.Kube{Kubeconfig: kc, Timeout: 30 * time.Second}, Now: now,
		GCP: scan.GCP{Project: gcpapi.Project, Location: gcpapi.Location, Cluster: gcpapi.Cluster, ClientOptions: grpcOpts, StorageOptions: storageOpts}}
	ctx := context.Background()
	var g remediate.GCP
	var err error
	for _, dial := range []func() error{
		func() error { g.GKE, err = container.NewClusterManagerClient(ctx, grpcOpts...); return err },
		func() error { g.Admin, err = iamadmin.NewIamClient(ctx, grpcOpts...); return err },
		func() error { g.Projects, err = resourcemanager.NewProjectsClient(ctx, grpcOpts...); return err },
		func() error { g.Folders, err = resourcemanager.NewFoldersClient(ctx, grpcOpts...); return err },
		func() error { g.Orgs, err = resourcemanager.NewOrganizationsClient(ctx, grpcOpts...); return err },
		func() error { g.Storage, err = storage.NewClient(ctx, storageOpts...); return err },
	} {
		if err := dial(); err != nil {
			t.Fatal(err)
		}
	}
	cloudLoop(t, cfg, "gcp", g, []string{"WI-GCP-004", "WI-GCP-002", "WI-GCP-007", "WI-GCP-008"})
}
