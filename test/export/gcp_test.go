package export

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/test/gcpapi"
)

const gcpBundle = "../../testdata/evidence/gcp-space"

// gcpSetup stages the GKE Space, nodes included, with the stand-in
// gcloud.
func gcpSetup(t *testing.T, annotate func(string) string) (out, log, bin string) {
	t.Helper()
	return stage(t, "gcloud", gcpapi.StandInGcloud, gcpBundle, []string{"serviceaccounts.yaml", "sharedbackupconfig.yaml", "namespaces.yaml", "deployments.yaml", "pods.yaml", "secrets.yaml", "nodes.yaml"}, annotate)
}

func runGcpScript(t *testing.T, out, log, bin string, args ...string) (int, string) {
	t.Helper()
	abs, _ := filepath.Abs(gcpBundle)
	return export(t, "export-gcp-evidence.sh", out, bin, []string{"GCLOUD_LOG=" + log, "GCLOUD_BUNDLE=" + abs}, args...)
}

var spaceArgs = []string{"--project", "acme-prod", "--location", "us-central1", "--cluster", "spaces"}

// The script makes only read calls, each asking for JSON, and writes a
// bundle that a scan reads as the shipped one: the same findings.
func TestGcpExport(t *testing.T) {
	out, log, bin := gcpSetup(t, nil)
	if code, stderr := runGcpScript(t, out, log, bin, spaceArgs...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var verbs []string
	for _, c := range calls(t, log) {
		verb := c[:3]
		if c[0] == "iam" && (c[1] == "service-accounts" || c[1] == "policies") || c[0] == "resource-manager" {
			verb = c[:4]
		}
		verbs = append(verbs, strings.Join(verb, " "))
		if c[len(c)-1] != "--format=json" {
			t.Errorf("a call without --format=json: %q", c)
		}
		for _, a := range c {
			if slices.Contains([]string{"create", "delete", "update", "add-iam-policy-binding", "set-iam-policy", "remove-iam-policy-binding", "enable", "disable"}, a) {
				t.Errorf("a call that writes: %q", c)
			}
		}
	}
	want := []string{
		"container clusters describe", "container node-pools list", "projects describe acme-prod", "projects get-iam-policy acme-prod",
		"projects get-ancestors acme-prod", "resource-manager folders get-iam-policy 111111111111", "organizations get-iam-policy 222222222222",
		"iam policies list --attachment-point=cloudresourcemanager.googleapis.com%2Fprojects%2Facme-prod",
		"iam policies list --attachment-point=cloudresourcemanager.googleapis.com%2Ffolders%2F111111111111",
		"iam policies list --attachment-point=cloudresourcemanager.googleapis.com%2Forganizations%2F222222222222",
		"iam service-accounts describe " + gcpapi.Account, "iam service-accounts get-iam-policy " + gcpapi.Account, "iam service-accounts keys list",
		"storage buckets get-iam-policy",
	}
	if !slices.Equal(verbs, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(verbs, "\n"), strings.Join(want, "\n"))
	}
	shipped, _ := filepath.Glob(filepath.Join(gcpBundle, "gcloud", "*.json"))
	for _, f := range shipped {
		if _, err := os.Stat(filepath.Join(out, "gcloud", filepath.Base(f))); err != nil {
			t.Errorf("not written: %s", filepath.Base(f))
		}
	}
	if got, want := findings(t, out), findings(t, gcpBundle); got != want {
		t.Errorf("the exported bundle's findings:\n%s\nthe shipped bundle's:\n%s", got, want)
	}
}

// An annotation that is no GCP name never reaches a call or a path: the
// script refuses it, says so and exits 1; the canary its command
// substitution would create is never made.
func TestGcpExportRefusesHostileNames(t *testing.T) {
	canary := filepath.Join(t.TempDir(), "pwned")
	hostile := "x'$(touch " + canary + ")@acme-prod.iam.gserviceaccount.com"
	out, log, bin := gcpSetup(t, func(j string) string {
		return strings.Replace(j, gcpapi.Account, strings.ReplaceAll(hostile, "'", `\u0027`), 1)
	})
	code, stderr := runGcpScript(t, out, log, bin, spaceArgs...)
	if code != 1 || !strings.Contains(stderr, "refusing service account: not a GCP name") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a name ran a command")
	}
	for _, c := range calls(t, log) {
		if strings.Contains(strings.Join(c, " "), "touch") {
			t.Errorf("a hostile name reached gcloud: %q", c)
		}
	}
	if code, _ := runGcpScript(t, out, log, bin, "--project", "acme-prod"); code != 2 {
		t.Errorf("without --cluster: exit %d, want 2", code)
	}
	if code, _ := runGcpScript(t, out, log, bin, "--project", "--debug", "--location", "x", "--cluster", "y"); code != 2 {
		t.Errorf("a project that is an option: exit %d, want 2", code)
	}
}
