package gcp_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wiscan/wiscan/collectors/evidence"
	"github.com/wiscan/wiscan/collectors/gcp"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/gcpapi"
)

const bundle = "../../testdata/evidence/gcp-space"

// fromEvidence reads the shipped Space from its evidence bundle.
func fromEvidence(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	ps, err := profiles.Resolve(context.Background(), []string{"spaces-backup"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	s.Profiles = ps
	if err := (&evidence.Collector{Dir: bundle}).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// live reads GCP from the fakes into the Kubernetes side of the bundle.
func live(t *testing.T, f *gcpapi.Fakes) *snapshot.Snapshot {
	t.Helper()
	s := fromEvidence(t)
	s.GCP = nil
	s.Errors = []snapshot.CollectionError{}
	grpcOpts, storageOpts := f.Start(t)
	c := gcp.New(gcp.Options{Project: gcpapi.Project, Location: gcpapi.Location, Cluster: gcpapi.Cluster, Timeout: 10 * time.Second,
		ClientOptions: grpcOpts, StorageOptions: storageOpts})
	if err := c.Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

var sources = regexp.MustCompile(`,?"source":\{[^}]*\}`)

func gcpJSON(t *testing.T, g *snapshot.GCP) string {
	t.Helper()
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return sources.ReplaceAllString(string(b), "")
}

// The live collector reads what the gcloud exports hold: the same GCP
// section, field for field (file locations aside).
func TestLiveEqualsEvidence(t *testing.T) {
	want := fromEvidence(t)
	if len(want.Errors) != 0 {
		t.Fatalf("the bundle has gaps: %+v", want.Errors)
	}
	got := live(t, gcpapi.Space())
	if len(got.Errors) != 0 {
		t.Fatalf("gaps: %+v", got.Errors)
	}
	if g, w := gcpJSON(t, got.GCP), gcpJSON(t, want.GCP); g != w {
		t.Fatalf("live:\n%s\nevidence:\n%s", g, w)
	}
}

// Three control planes share one Google service account: it is read
// once.
func TestCallsDoNotGrowWithControlPlanes(t *testing.T) {
	f := gcpapi.Space()
	live(t, f)
	calls := f.Calls()
	for _, c := range []string{"iam.serviceAccounts.get", "iam.serviceAccounts.getIamPolicy", "iam.serviceAccountKeys.list", "storage.buckets.getIamPolicy", "container.clusters.get"} {
		if calls[c] != 1 {
			t.Errorf("%s: %d calls, want 1 (%v)", c, calls[c], calls)
		}
	}
}

// A denied read is a gap naming the call and the permission; a quota
// error is retried; an account GCP does not know is proven absent.
func TestLiveGaps(t *testing.T) {
	f := gcpapi.Space()
	f.Fail["iam.serviceAccountKeys.list"] = codes.PermissionDenied
	f.Fail["resourcemanager.folders.getIamPolicy"] = codes.PermissionDenied
	f.Throttle["storage.buckets.getIamPolicy"] = 2
	f.Throttle["container.clusters.get"] = 1
	s := live(t, f)
	want := map[string]string{
		"ServiceAccountKey " + gcpapi.Account: "forbidden needs iam.serviceAccountKeys.list",
		"IAMPolicy " + gcpapi.Folder:          "forbidden needs resourcemanager.folders.getIamPolicy",
	}
	if len(s.Errors) != len(want) {
		t.Fatalf("gaps: %+v", s.Errors)
	}
	for _, e := range s.Errors {
		w, ok := want[e.Kind+" "+e.Name]
		reason, perm, _ := strings.Cut(w, " ")
		if !ok || e.Reason != reason || !strings.Contains(e.Message, perm) || e.Collector != "gcp" {
			t.Errorf("gap %+v, want %q", e, w)
		}
	}
	if s.GCP.ServiceAccounts[gcpapi.Account].Keys != nil {
		t.Error("keys unread must be nil, not empty")
	}
	if _, ok := s.GCP.Policies["buckets/"+gcpapi.Bucket]; !ok || s.GCP.Cluster == nil {
		t.Error("throttled reads were not retried")
	}
	if f.Calls()["storage.buckets.getIamPolicy"] != 3 {
		t.Errorf("bucket calls %d, want 3", f.Calls()["storage.buckets.getIamPolicy"])
	}
}

func TestLiveAccountNotFound(t *testing.T) {
	f := gcpapi.Space()
	delete(f.Accounts, gcpapi.Account)
	s := live(t, f)
	a := s.GCP.ServiceAccounts[gcpapi.Account]
	if a.Found || a.Email != gcpapi.Account || len(s.Errors) != 0 {
		t.Fatalf("account %+v, gaps %+v", a, s.Errors)
	}
}

// Without a cluster name there is no cluster to read: a gap that says how
// to name it.
func TestLiveNoCluster(t *testing.T) {
	f := gcpapi.Space()
	s := fromEvidence(t)
	s.GCP, s.Errors = nil, []snapshot.CollectionError{}
	grpcOpts, storageOpts := f.Start(t)
	if err := gcp.New(gcp.Options{Project: gcpapi.Project, ClientOptions: grpcOpts, StorageOptions: storageOpts}).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) != 1 || s.Errors[0].Kind != "GKECluster" || !strings.Contains(s.Errors[0].Message, "--gcp-cluster") {
		t.Fatalf("gaps: %+v", s.Errors)
	}
	if f.Calls()["container.clusters.get"] != 0 {
		t.Fatal("a cluster was read without a name")
	}
}

func TestClusterFromContext(t *testing.T) {
	p, l, c, ok := gcp.ClusterFromContext("gke_acme-prod_us-central1_spaces")
	if !ok || p != "acme-prod" || l != "us-central1" || c != "spaces" {
		t.Fatal(p, l, c, ok)
	}
	for _, bad := range []string{"spaces", "gke_a_b", "gke__b_c", "arn:aws:eks:us-east-1:1:cluster/x"} {
		if _, _, _, ok := gcp.ClusterFromContext(bad); ok {
			t.Errorf("%s: accepted", bad)
		}
	}
}
