package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/scan"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/azureapi"
	"github.com/wiscan/wiscan/test/harness"
)

// azureBundle is the shipped Azure Space: its Kubernetes objects go on
// the real API server, its az exports stand for what Azure answers.
const azureBundle = "../../testdata/evidence/azure-space"

// An Azure Space of three control planes on the real API server, its
// Azure side served by the SDK's fakes: a live scan reports exactly the
// findings the Space holds, and the Space exported with the shipped
// scripts (kubectl, and az through a stand-in answering what Azure
// answered) gives equal snapshots and reports.
func TestAzureLiveAndEvidenceAgree(t *testing.T) {
	env := startSpace(t)
	kubectl := harness.Kubectl(t)
	dir := t.TempDir()
	kc := env.Kubeconfig(t, dir)
	run := func(environ []string, name string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), name, args...) //nolint:gosec // G204: the tools the test built or ships
		cmd.Env = append(os.Environ(), environ...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
	}
	for _, f := range []string{"namespaces.yaml", "serviceaccounts.yaml", "deployments.yaml", "pods.yaml", "secrets.yaml", "sharedbackupconfig.yaml"} {
		run(nil, kubectl, "--kubeconfig", kc, "apply", "-f", filepath.Join(azureBundle, f))
	}

	cfg := func(evidence string) scan.Config {
		c := scan.Config{Kube: scan.Kube{Timeout: 30 * time.Second}, Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }}
		if evidence != "" {
			c.Evidence = evidence
			return c
		}
		c.Kube.Kubeconfig = kc
		c.Azure = scan.Azure{Subscriptions: []string{azureapi.Subscription}, ResourceGroup: "spaces", Cluster: "spaces",
			Credential: azureapi.Credential(), Transport: &azureapi.Route{F: azureapi.Space(nil)}}
		return c
	}
	liveReport, live, err := scan.Run(context.Background(), cfg(""))
	if err != nil {
		t.Fatal(err)
	}

	bundle := filepath.Join(dir, "bundle")
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "az"), []byte(azureapi.StandInAz), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(azureBundle)
	path := "PATH=" + bin + ":" + filepath.Dir(kubectl) + ":" + os.Getenv("PATH")
	run([]string{path}, "bash", filepath.Join("..", "..", "scripts", "export-evidence.sh"), bundle, "--kubeconfig", kc)
	run([]string{path, "AZ_BUNDLE=" + abs, "AZ_LOG=" + filepath.Join(dir, "az-calls")}, "bash", filepath.Join("..", "..", "scripts", "export-azure-evidence.sh"), bundle, "--resource-group", "spaces", "--cluster", "spaces")
	evidenceReport, exported, err := scan.Run(context.Background(), cfg(bundle))
	if err != nil {
		t.Fatal(err)
	}

	agree(t, liveReport, evidenceReport, live, exported, azureapi.SpaceFindings(), func(name string) string { return name[strings.LastIndex(name, "/")+1:] })
}

// agree checks a Space's live scan against the scan of its export: equal
// snapshots and reports, no gap in the live one, and exactly the
// failures want (as "status control kind namespace name", the name as
// short shows it).
func agree(t *testing.T, liveReport, evidenceReport report.Report, live, exported *snapshot.Snapshot, want []string, short func(string) string) {
	t.Helper()
	a, b := normalSnapshot(t, mustJSON(t, live)), normalSnapshot(t, mustJSON(t, exported))
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the snapshots differ (live, then evidence):\n%s", diffJSON(a, b))
	}
	ra, rb := normalReport(t, mustJSON(t, liveReport)), normalReport(t, mustJSON(t, evidenceReport))
	if !reflect.DeepEqual(ra, rb) {
		t.Errorf("the reports differ (live, then evidence):\n%s", diffJSON(ra, rb))
	}
	var got []string
	for _, f := range liveReport.Findings {
		got = append(got, string(f.Status)+" "+f.ControlID+" "+f.Resource.Kind+" "+f.Resource.Namespace+" "+short(f.Resource.Name))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(live.Errors); n != 0 {
		t.Errorf("live gaps: %+v", live.Errors)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
