package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/test/gcpapi"
)

// gcpBundle is a Space of three control planes on GKE, exported with
// kubectl and gcloud (testdata/evidence/gcp-space.md says what is broken).
const gcpBundle = "../../testdata/evidence/gcp-space"

// The GCP Space gives exactly the findings its README lists, each on its
// object: the misspelt workload identity binding, the pool still on the
// node's metadata, the host-network pod, the project-wide storage grant and
// the user-managed key.
func TestScanGCPEvidenceGolden(t *testing.T) {
	spaceGolden(t, gcpBundle, "gcp-space", gcpapi.SpaceFindings(), func(name string) string { return name })
}

// The plan for the GCP Space: the missing binding and the pool as gcloud
// steps (the pool's marked disruptive), the key by hand.
func TestPlanGCP(t *testing.T) {
	dir := t.TempDir()
	report, plan := filepath.Join(dir, "r.json"), filepath.Join(dir, "plan.sh")
	if code, _, stderr := wiscan(t, "scan", "--evidence", gcpBundle, "-o", "json="+report, "--fail-on", "none"); code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr)
	}
	if code, _, stderr := wiscan(t, "plan", report, "-o", plan); code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr)
	}
	b, err := os.ReadFile(plan) //nolint:gosec // G304: the test's own plan
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"gcloud iam service-accounts add-iam-policy-binding " + gcpapi.Account + " '--member=serviceAccount:acme-prod.svc.id.goog[" + gcpapi.Namespaces[1] + "/mxp-controller]' '--role=roles/iam.workloadIdentityUser' '--condition=None'\n",
		"#   disruptive: GKE recreates every node of the pool to apply this, draining and rescheduling its pods\ngcloud container node-pools update legacy-pool '--cluster=spaces' '--location=us-central1' '--project=acme-prod' '--workload-metadata=GKE_METADATA'\n",
		"#   once nothing uses it any more, delete user-managed key " + gcpapi.KeyID + " of " + gcpapi.Account,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the plan lacks %q:\n%s", want, b)
		}
	}
}
