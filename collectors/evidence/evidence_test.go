package evidence

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

func collectDir(t *testing.T, files map[string]string) *snapshot.Snapshot {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := snapshot.New(time.Now())
	p, _ := profiles.Get(profiles.Default)
	s.Profiles = []snapshot.Profile{p}
	if err := (&Collector{Dir: dir}).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

const ns = "mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system"

// Files are recognised by content whatever their names: a single object, a
// multi-document stream, a kind: List, a typed list from the raw API, JSON.
func TestFormats(t *testing.T) {
	s := collectDir(t, map[string]string{
		"a.txt":      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mxp-controller, namespace: " + ns + "}\n",
		"b":          "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mxp-controller, namespace: " + ns + "}\nspec: {template: {spec: {containers: []}}}\n",
		"dir/c.json": `{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "p", "namespace": "` + ns + `"}, "spec": {"containers": []}}]}`,
		"d.yaml":     "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s, namespace: " + ns + "}\n  stringData: {token: abc}\n",
		"README.md":  "# notes\nnot: [data\n",
	})
	k := s.Kubernetes
	if _, ok := k.ServiceAccounts[ns]["mxp-controller"]; !ok {
		t.Error("service account from a .txt file not read")
	}
	if _, ok := k.Pods[ns]["p"]; !ok {
		t.Error("pod from a typed PodList not read")
	}
	if loc := k.Deployments[ns]["mxp-controller"].Source; loc == nil || loc.File != "b" || loc.Line != 6 {
		t.Errorf("deployment location %+v, want b:6", loc)
	}
	if loc := k.Secrets[ns]["s"].Source; loc == nil || loc.Line != 4 {
		t.Errorf("list item location %+v, want line 4", loc)
	}
	// The Spaces kind the bundle lacks is a gap, and so is the file that is
	// not evidence: nothing is skipped without a word.
	s.Sort()
	if len(s.Errors) != 2 || s.Errors[0].Kind != "" || s.Errors[0].Source.File != "README.md" || s.Errors[1].Kind != "SharedBackupConfig" {
		t.Errorf("gaps %+v, want README.md and SharedBackupConfig not provided", s.Errors)
	}
	if got := s.Profiles[0].Targets; len(got) != 1 {
		t.Errorf("targets %v", got)
	}
}

// A malformed file is a gap naming file and line; the other files are
// still read, and no gap quotes the file's content.
func TestMalformedFile(t *testing.T) {
	s := collectDir(t, map[string]string{
		"bad.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  key: 'c2VjcmV0\n  other: [\n",
		"sa.yaml":  "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mxp-controller, namespace: " + ns + "}\n",
	})
	if _, ok := s.Kubernetes.ServiceAccounts[ns]["mxp-controller"]; !ok {
		t.Error("the good file was not read")
	}
	var found bool
	for _, e := range s.Errors {
		if e.Reason == "malformed" {
			found = true
			if e.Source == nil || e.Source.File != "bad.yaml" || e.Source.Line == 0 {
				t.Errorf("malformed gap without file and line: %+v", e)
			}
			if strings.Contains(e.Message, "c2VjcmV0") {
				t.Errorf("gap quotes the content: %s", e.Message)
			}
		}
	}
	if !found {
		t.Fatalf("no malformed gap in %+v", s.Errors)
	}
}

// A kind the bundle lacks is a gap, so that its controls are unknown.
func TestNotProvided(t *testing.T) {
	s := collectDir(t, map[string]string{
		"sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mxp-controller, namespace: " + ns + "}\n",
	})
	missing := map[string]bool{}
	for _, e := range s.Errors {
		if e.Reason == "not-provided" {
			missing[e.Kind] = true
		}
	}
	for _, k := range []string{"Deployment", "Pod", "Secret", "SharedBackupConfig"} {
		if !missing[k] {
			t.Errorf("no not-provided gap for %s (gaps %+v)", k, s.Errors)
		}
	}
	if missing["ServiceAccount"] {
		t.Error("a gap for a kind that was provided")
	}
}

// Bucket policies come from aws s3api get-bucket-policy in a folder
// buckets/<bucket>/; {"Policy": null} says the bucket has none; a bucket
// the backup configuration names without an export is a gap, and a policy
// outside such a folder is reported.
func TestBucketPolicies(t *testing.T) {
	config := `apiVersion: spaces.upbound.io/v1alpha1
kind: SharedBackupConfig
metadata: {name: default, namespace: default}
spec: {objectStorage: {provider: AWS, bucket: %s, credentials: {source: InjectedIdentity}}}
`
	caller := `{"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a", "UserId": "AIDA"}`
	policy := `{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:DeleteBucket\",\"Resource\":\"arn:aws:s3:::backups\"}]}"}`
	s := collectDir(t, map[string]string{
		"spaces.yaml":                     fmt.Sprintf(config, "backups"),
		"aws/caller.json":                 caller,
		"aws/buckets/backups/policy.json": policy,
		"aws/stray-policy.json":           policy,
	})
	b, ok := s.AWS.Buckets["backups"]
	if !ok || b.Policy == nil || b.Policy.Document == nil || b.Policy.Source == nil {
		t.Errorf("bucket %+v", b)
	}
	var stray bool
	for _, e := range s.Errors {
		if e.Kind == "S3BucketPolicy" {
			t.Errorf("gap for an exported bucket: %+v", e)
		}
		if strings.Contains(e.Message, "stray-policy.json") && strings.Contains(e.Message, "names no bucket") {
			stray = true
		}
	}
	if !stray {
		t.Errorf("the policy outside buckets/<bucket>/ is not reported: %+v", s.Errors)
	}

	s = collectDir(t, map[string]string{
		"spaces.yaml":                   fmt.Sprintf(config, "backups"),
		"aws/caller.json":               caller,
		"aws/buckets/other/policy.json": `{"Policy": null}`,
	})
	if b := s.AWS.Buckets["other"]; b.Name != "other" || b.Policy != nil {
		t.Errorf("a bucket without a policy: %+v", b)
	}
	found := false
	for _, e := range s.Errors {
		if e.Kind == "S3BucketPolicy" && e.Name == "backups" && e.Reason == "not-provided" && strings.Contains(e.Message, "get-bucket-policy --bucket backups") {
			found = true
		}
	}
	if !found {
		t.Errorf("no gap for the bucket the configuration names: %+v", s.Errors)
	}
}
