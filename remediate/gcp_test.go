package remediate

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	container "cloud.google.com/go/container/apiv1"
	iamadmin "cloud.google.com/go/iam/admin/apiv1"
	"cloud.google.com/go/iam/apiv1/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/storage"
	"google.golang.org/grpc/codes"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/test/gcpapi"
)

// gcpSteps plans the shipped GKE Space's cloud steps, narrowing and
// deletion allowed, against the fake GCP servers.
func gcpSteps(t *testing.T) ([]Step, *gcpapi.Fakes, GCP) {
	t.Helper()
	f := gcpapi.Space()
	grpcOpts, storageOpts := f.Start(t)
	ctx := context.Background()
	var g GCP
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	g.GKE, err = container.NewClusterManagerClient(ctx, grpcOpts...)
	must(err)
	g.Admin, err = iamadmin.NewIamClient(ctx, grpcOpts...)
	must(err)
	g.Projects, err = resourcemanager.NewProjectsClient(ctx, grpcOpts...)
	must(err)
	g.Folders, err = resourcemanager.NewFoldersClient(ctx, grpcOpts...)
	must(err)
	g.Orgs, err = resourcemanager.NewOrganizationsClient(ctx, grpcOpts...)
	must(err)
	g.Storage, err = storage.NewClient(ctx, storageOpts...)
	must(err)
	member := "serviceAccount:" + gcpapi.Project + ".svc.id.goog[" + gcpapi.Namespaces[1] + "/mxp-controller]"
	sa := "serviceAccount:" + gcpapi.Account
	findings := []report.Finding{
		failing("WI-GCP-004", "GoogleServiceAccount", "", gcpapi.Account, &report.Fix{Action: report.Bind, Kind: "GoogleServiceAccount", Name: gcpapi.Account, Role: "roles/iam.workloadIdentityUser", Member: member}),
		failing("WI-GCP-002", "NodePool", "", "legacy-pool", &report.Fix{Action: report.NodePoolMetadata, Kind: "NodePool", Name: "legacy-pool", Cluster: gcpapi.ClusterID, Value: "GKE_METADATA"}),
		failing("WI-GCP-007", "GoogleServiceAccount", "", gcpapi.Account, &report.Fix{Action: report.Unbind, Kind: "GoogleServiceAccount", Name: gcpapi.Account, Member: sa, Role: "roles/storage.objectAdmin",
			Scope: "projects/" + gcpapi.Project, Resources: []string{"buckets/" + gcpapi.Bucket}}),
		failing("WI-GCP-008", "GoogleServiceAccount", "", gcpapi.Account, &report.Fix{Action: report.DeleteKey, Kind: "GoogleServiceAccount", Name: gcpapi.Account, Key: gcpapi.KeyID}),
	}
	p := build(report.Report{Findings: findings}, Options{AllowNarrowing: true, AllowDeletion: true})
	return p.Steps, f, g
}

// Each GCP step sends exactly its request, with the etag it read: the
// workload identity user binding added, the pool moved to the GKE
// metadata server, object use granted on the bucket before the project
// grant goes, the key deleted. Applying again sends no write.
func TestApplyGCP(t *testing.T) {
	steps, f, g := gcpSteps(t)
	appliers := map[string]Applier{"gcp": g}
	out := Run(context.Background(), steps, appliers, false, slog.New(slog.DiscardHandler), nil)
	if out.Err != nil {
		t.Fatalf("outcome %+v", out)
	}
	var got []string
	for _, w := range f.Writes() {
		got = append(got, w.Call+" "+w.Target)
	}
	want := []string{
		"iam.serviceAccounts.setIamPolicy projects/-/serviceAccounts/" + gcpapi.Account,
		"container.nodePools.update " + gcpapi.ClusterID + "/nodePools/legacy-pool",
		"storage.buckets.setIamPolicy " + gcpapi.Bucket,
		"resourcemanager.projects.setIamPolicy projects/" + gcpapi.Project,
		"iam.serviceAccountKeys.delete projects/-/serviceAccounts/" + gcpapi.Account + "/keys/" + gcpapi.KeyID,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("writes\n got %q\nwant %q", got, want)
	}
	w := f.Writes()
	member := gcpapi.Project + ".svc.id.goog[" + gcpapi.Namespaces[1] + "/mxp-controller]"
	if !strings.Contains(w[0].Body, member) || !strings.Contains(w[0].Body, "-sytem/mxp-controller]") {
		t.Errorf("the binding lost a member or lacks the new one: %s", w[0].Body)
	}
	if !strings.Contains(w[2].Body, `"role":"roles/storage.objectUser","members":["serviceAccount:`+gcpapi.Account+`"]`) {
		t.Errorf("bucket policy written: %s", w[2].Body)
	}
	if strings.Contains(w[3].Body, "storage.objectAdmin") || !strings.Contains(w[3].Body, "roles/owner") {
		t.Errorf("project policy written: %s", w[3].Body)
	}
	again := Run(context.Background(), steps, appliers, false, slog.New(slog.DiscardHandler), nil)
	if again.Err != nil || len(again.Applied) != 0 || len(f.Writes()) != len(want) {
		t.Errorf("applying again: %+v, %d writes", again, len(f.Writes()))
	}
}

// A policy that another writer changes between the read and the write is
// refused by its etag: the step fails as a change since the scan, and the
// other writer's policy stays.
func TestApplyGCPEtag(t *testing.T) {
	steps, f, g := gcpSteps(t)
	resource := "projects/-/serviceAccounts/" + gcpapi.Account
	other := &iampb.Policy{Version: 1, Bindings: []*iampb.Binding{{Role: "roles/iam.workloadIdentityUser", Members: []string{"user:someone@acme.example"}}}}
	f.Concurrent = func(_, r string) {
		if r == resource {
			f.SetPolicy(resource, other)
		}
	}
	out := Run(context.Background(), steps[:1], map[string]Applier{"gcp": g}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || !errors.Is(out.Err, ErrChanged) || len(f.Writes()) != 0 {
		t.Errorf("outcome %+v, writes %v", out, f.Writes())
	}
}

// A permission missing on GCP names the step and the permission; the
// steps before it were made, and the run says so.
func TestApplyGCPDenied(t *testing.T) {
	steps, f, g := gcpSteps(t)
	f.Fail["container.nodePools.update"] = codes.PermissionDenied
	out := Run(context.Background(), steps, map[string]Applier{"gcp": g}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || out.Failed.Action != report.NodePoolMetadata || len(out.Applied) != 1 || out.Applied[0].Action != report.Bind {
		t.Fatalf("outcome %+v", out)
	}
	if msg := out.Err.Error(); !strings.Contains(msg, "container.nodePools.update") || !strings.Contains(msg, "PermissionDenied") {
		t.Errorf("error %q does not name the permission and the refusal", msg)
	}
}
