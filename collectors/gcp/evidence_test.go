package gcp_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/collectors/evidence"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/gcpapi"
)

// copyBundle copies the shipped Space to a folder of the test's, where
// edit renames, rewrites or removes its gcloud files.
func copyBundle(t *testing.T, edit func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(bundle, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(bundle, p)
		b, err := os.ReadFile(p) //nolint:gosec // G304: the shipped bundle
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o750); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600) //nolint:gosec // G703: under the test's folder
	})
	if err != nil {
		t.Fatal(err)
	}
	edit(filepath.Join(dir, "gcloud"))
	return dir
}

func collect(t *testing.T, dir string) *snapshot.Snapshot {
	t.Helper()
	ps, err := profiles.Resolve(context.Background(), []string{"spaces-backup"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot.New(time.Now())
	s.Profiles = ps
	if err := (&evidence.Collector{Dir: dir}).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func gaps(s *snapshot.Snapshot) []string {
	var out []string
	for _, e := range s.Errors {
		where := e.Kind + " " + e.Name
		if e.Source != nil {
			where = e.Source.File
		}
		out = append(out, e.Reason+" "+where+": "+e.Message)
	}
	slices.Sort(out)
	return out
}

func rename(dir, from, to string) {
	if err := os.Rename(filepath.Join(dir, from), filepath.Join(dir, to)); err != nil {
		panic(err)
	}
}

func write(dir, name, body string) {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil { //nolint:gosec // G703: under the test's folder
		panic(err)
	}
}

const accountPolicy = "iam-policy.service-account." + gcpapi.Account + ".json"

// An IAM policy printed alone is paired by its file name: the longest
// resource name in it wins (the account's e-mail holds the project's ID).
func TestPolicyPairedByFileName(t *testing.T) {
	s := collect(t, copyBundle(t, func(dir string) {
		rename(dir, accountPolicy, "wiu-"+gcpapi.Account+"-acme-prod.json")
		rename(dir, "iam-policy.bucket.spaces-backups.json", "spaces-backups.json")
	}))
	if len(s.Errors) != 0 {
		t.Fatalf("gaps: %v", gaps(s))
	}
	if s.GCP.ServiceAccounts[gcpapi.Account].Policy == nil || len(s.GCP.Policies["buckets/spaces-backups"].Bindings) != 2 {
		t.Fatal("policies not paired")
	}
}

// A policy whose file name fits no resource is paired with the one
// resource still without a policy; with two such, it is reported by file.
func TestPolicyPairedWithOnlyCandidate(t *testing.T) {
	s := collect(t, copyBundle(t, func(dir string) { rename(dir, "iam-policy.bucket.spaces-backups.json", "policy.json") }))
	if len(s.Errors) != 0 || len(s.GCP.Policies["buckets/spaces-backups"].Bindings) != 2 {
		t.Fatalf("gaps: %v", gaps(s))
	}
	s = collect(t, copyBundle(t, func(dir string) {
		rename(dir, "iam-policy.bucket.spaces-backups.json", "policy-1.json")
		rename(dir, accountPolicy, "policy-2.json")
	}))
	got := gaps(s)
	want := []string{
		"not-provided IAMPolicy buckets/spaces-backups: the evidence holds no IAM policy of buckets/spaces-backups (get-iam-policy --format=json, in a file named after it)",
		"not-provided IAMPolicy serviceAccounts/" + gcpapi.Account + ": the evidence holds no IAM policy of " + gcpapi.Account + " (gcloud iam service-accounts get-iam-policy " + gcpapi.Account + " --format=json, in a file named after it)",
		"unrecognised gcloud/policy-1.json: gcloud/policy-1.json:1: an IAM policy printed alone, whose file name names none of the resources it could be for (buckets/spaces-backups, folders/111111111111, organizations/222222222222, projects/acme-prod, serviceAccounts/" + gcpapi.Account + "): name the file after one",
		"unrecognised gcloud/policy-2.json: gcloud/policy-2.json:1: an IAM policy printed alone, whose file name names none of the resources it could be for (buckets/spaces-backups, folders/111111111111, organizations/222222222222, projects/acme-prod, serviceAccounts/" + gcpapi.Account + "): name the file after one",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("gaps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A number alone (a date) does not pair a policy with a folder.
func TestFolderNeedsItsKindInTheName(t *testing.T) {
	s := collect(t, copyBundle(t, func(dir string) {
		rename(dir, "iam-policy.folder.111111111111.json", "export-111111111111.json")
		rename(dir, "iam-policy.organization.222222222222.json", "org-policy-2222222222220.json")
	}))
	got := strings.Join(gaps(s), "\n")
	if !strings.Contains(got, "gcloud/export-111111111111.json:1: an IAM policy printed alone") || !strings.Contains(got, "gcloud/org-policy-2222222222220.json:1: an IAM policy printed alone") {
		t.Fatalf("gaps:\n%s", got)
	}
}

// Keys: the export script's wrapper proves the account has none; a bare
// list of keys shows those it holds; neither leaves them unknown.
func TestKeys(t *testing.T) {
	keys := "keys." + gcpapi.Account + ".json"
	s := collect(t, copyBundle(t, func(dir string) { write(dir, keys, `{"iamAccount": "`+gcpapi.Account+`", "keys": []}`) }))
	if k := s.GCP.ServiceAccounts[gcpapi.Account].Keys; k == nil || len(k) != 0 || len(s.Errors) != 0 {
		t.Fatalf("keys %v, gaps %v", k, gaps(s))
	}
	s = collect(t, copyBundle(t, func(dir string) {
		write(dir, keys, `[{"keyType": "USER_MANAGED", "name": "projects/acme-prod/serviceAccounts/`+gcpapi.Account+`/keys/`+gcpapi.KeyID+`"},
		{"keyType": "SYSTEM_MANAGED", "name": "projects/acme-prod/serviceAccounts/`+gcpapi.Account+`/keys/0000000000000000000000000000000000000000"}]`)
	}))
	if k := s.GCP.ServiceAccounts[gcpapi.Account].Keys; len(k) != 1 || k[0].ID != gcpapi.KeyID || len(s.Errors) != 0 {
		t.Fatalf("keys %v, gaps %v", k, gaps(s))
	}
	s = collect(t, copyBundle(t, func(dir string) { write(dir, keys, `[]`) }))
	if k := s.GCP.ServiceAccounts[gcpapi.Account].Keys; k != nil || !strings.Contains(strings.Join(gaps(s), "\n"), "not-provided ServiceAccountKey "+gcpapi.Account) {
		t.Fatalf("keys %v, gaps %v", k, gaps(s))
	}
}

// Deny policies: the wrapper lists an attachment point in full; a policy
// listed without its rules is reported; one read alone does not prove
// there are no others.
func TestDenyPolicies(t *testing.T) {
	rule := `{"name": "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F123456789012/denypolicies/no-delete", "kind": "DenyPolicy",
		"rules": [{"denyRule": {"deniedPrincipals": ["principalSet://goog/public:all"], "deniedPermissions": ["storage.googleapis.com/objects.delete"],
		"denialCondition": {"title": "tagged", "expression": "resource.matchTag('222222222222/env', 'prod')"}}}]}`
	s := collect(t, copyBundle(t, func(dir string) {
		write(dir, "deny-policies.projects.acme-prod.json", `{"attachmentPoint": "cloudresourcemanager.googleapis.com/projects/123456789012", "denyPolicies": [`+rule+`]}`)
	}))
	d := s.GCP.DenyPolicies["projects/acme-prod"]
	if len(s.Errors) != 0 || len(d) != 1 || d[0].Rules[0].Condition == nil || d[0].Rules[0].DeniedPermissions[0] != "storage.googleapis.com/objects.delete" {
		t.Fatalf("deny %+v, gaps %v", d, gaps(s))
	}
	s = collect(t, copyBundle(t, func(dir string) {
		if err := os.Remove(filepath.Join(dir, "deny-policies.projects.acme-prod.json")); err != nil {
			t.Fatal(err)
		}
		write(dir, "no-delete.json", rule)
		write(dir, "list.json", `[{"name": "policies/cloudresourcemanager.googleapis.com%2Fprojects%2F123456789012/denypolicies/other", "kind": "DenyPolicy"}]`)
	}))
	got := gaps(s)
	want := []string{
		"not-provided DenyPolicy projects/acme-prod: the deny policies of projects/acme-prod are not listed in full (the export script wraps gcloud iam policies list and get for each attachment point)",
		"not-provided DenyPolicy projects/acme-prod: the evidence holds no deny policies of projects/acme-prod (gcloud iam policies list and get, as the export script wraps them)",
		"unrecognised gcloud/list.json: gcloud/list.json:1: deny policy other is listed without its rules: export it with gcloud iam policies get",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("gaps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// What the evidence lacks is a gap each, naming the gcloud command.
func TestMissingExports(t *testing.T) {
	s := collect(t, copyBundle(t, func(dir string) {
		for _, f := range []string{"cluster.json", "node-pools.json", "project.json", "ancestors.json", "service-account." + gcpapi.Account + ".json"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
	}))
	got := strings.Join(gaps(s), "\n")
	for _, w := range []string{
		"not-provided GKECluster : the evidence does not describe the GKE cluster (gcloud container clusters describe",
		"not-provided Project acme-prod: the evidence does not describe project acme-prod (gcloud projects describe acme-prod --format=json)",
		"not-provided Ancestry acme-prod: the evidence holds no ancestry of project acme-prod",
		"not-provided GoogleServiceAccount " + gcpapi.Account + ": the evidence does not describe " + gcpapi.Account,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("no gap %q in:\n%s", w, got)
		}
	}
	if s.GCP.Project != "acme-prod" {
		t.Errorf("project %q: the accounts' project stands in for the cluster's", s.GCP.Project)
	}
}

// Two clusters in one bundle: neither is used.
func TestTwoClusters(t *testing.T) {
	s := collect(t, copyBundle(t, func(dir string) {
		b, err := os.ReadFile(filepath.Join(dir, "cluster.json")) //nolint:gosec // G304: the test's copy
		if err != nil {
			t.Fatal(err)
		}
		write(dir, "cluster-2.json", strings.ReplaceAll(string(b), "clusters/spaces", "clusters/other"))
	}))
	if s.GCP.Cluster != nil || !strings.Contains(strings.Join(gaps(s), "\n"), "the evidence describes 2 GKE clusters (projects/acme-prod/locations/us-central1/clusters/other, projects/acme-prod/locations/us-central1/clusters/spaces): one scan reads one cluster; none is used") {
		t.Fatalf("cluster %+v, gaps %v", s.GCP.Cluster, gaps(s))
	}
}

// Without any gcloud export, a GCP target's controls are unknown with a
// gap that says what to export.
func TestNoGCPEvidence(t *testing.T) {
	s := collect(t, copyBundle(t, func(dir string) {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}))
	if s.GCP != nil || !strings.Contains(strings.Join(gaps(s), "\n"), "not-provided GKECluster : the evidence holds no gcloud exports") {
		t.Fatalf("gaps: %v", gaps(s))
	}
}
