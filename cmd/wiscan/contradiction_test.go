package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
)

// A profile whose cloud contradicts the cluster (GCP over service accounts
// that carry the IRSA annotation) is one finding per service account,
// WI-K8S-002's, saying both sides; no restart is asked for the other
// cloud's identity.
func TestContradictionReportedOnce(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gcp.yaml")
	profile := "apiVersion: wiscan.io/v1alpha1\nkind: Profile\nname: gcp-backup\nnamespaces:\n  pattern: '^mxp-[0-9a-f-]+-system$'\n" +
		"serviceAccount: mxp-controller\nworkload:\n  kind: Deployment\n  name: mxp-controller\ncloud: gcp\naccess:\n  objects: [read, write, delete, list]\n"
	if err := os.WriteFile(p, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, stderr := wiscan(t, "scan", "--evidence", bundle, "--profile-file", p, "-o", "json")
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	contradictions := map[string]int{}
	for _, f := range r.Findings {
		if f.ControlID == "WI-K8S-005" {
			t.Errorf("a restart asked for the other cloud's identity: %s", f.Message)
		}
		if f.ControlID == "WI-K8S-002" && f.Status == report.Fail {
			if !strings.HasSuffix(f.Message, "; it carries the aws annotation instead, and the profile says gcp") {
				t.Errorf("WI-K8S-002 does not say the contradiction: %s", f.Message)
			}
			contradictions[f.Resource.Namespace]++
		}
	}
	// The bundle's two namespaces whose service account carries the IRSA
	// annotation, once each.
	if len(contradictions) != 2 {
		t.Errorf("contradictions by namespace %v, want two namespaces once each", contradictions)
	}
	for ns, n := range contradictions {
		if n != 1 {
			t.Errorf("%s: %d findings", ns, n)
		}
	}
}
