package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/scan"
	"github.com/wiscan/wiscan/test/gcpapi"
	"github.com/wiscan/wiscan/test/harness"
)

// gcpBundle is the shipped GKE Space: its Kubernetes objects (nodes
// included) go on the real API server, its gcloud exports stand for what
// GCP answers.
const gcpBundle = "../../testdata/evidence/gcp-space"

// A GKE Space of three control planes on the real API server, its GCP
// side served over gRPC and the Storage JSON API to the real
// google-cloud-go clients: a live scan reports exactly the findings the
// Space holds, and the Space exported with the shipped scripts (kubectl,
// and gcloud through a stand-in answering what GCP answered) gives equal
// snapshots and reports.
func TestGCPLiveAndEvidenceAgree(t *testing.T) {
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
	for _, f := range []string{"namespaces.yaml", "nodes.yaml", "serviceaccounts.yaml", "deployments.yaml", "pods.yaml", "secrets.yaml", "sharedbackupconfig.yaml"} {
		run(nil, kubectl, "--kubeconfig", kc, "apply", "-f", filepath.Join(gcpBundle, f))
	}

	fakes := gcpapi.Space()
	grpcOpts, storageOpts := fakes.Start(t)
	cfg := func(evidence string) scan.Config {
		c := scan.Config{Kube: scan.Kube{Timeout: 30 * time.Second}, Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }}
		if evidence != "" {
			c.Evidence = evidence
			return c
		}
		c.Kube.Kubeconfig = kc
		c.GCP = scan.GCP{Project: gcpapi.Project, Location: gcpapi.Location, Cluster: gcpapi.Cluster, ClientOptions: grpcOpts, StorageOptions: storageOpts}
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
	if err := os.WriteFile(filepath.Join(bin, "gcloud"), []byte(gcpapi.StandInGcloud), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(gcpBundle)
	path := "PATH=" + bin + ":" + filepath.Dir(kubectl) + ":" + os.Getenv("PATH")
	run([]string{path}, "bash", filepath.Join("..", "..", "scripts", "export-evidence.sh"), bundle, "--kubeconfig", kc)
	run([]string{path, "GCLOUD_BUNDLE=" + abs, "GCLOUD_LOG=" + filepath.Join(dir, "gcloud-calls")}, "bash", filepath.Join("..", "..", "scripts", "export-gcp-evidence.sh"), bundle,
		"--project", gcpapi.Project, "--location", gcpapi.Location, "--cluster", gcpapi.Cluster)
	evidenceReport, exported, err := scan.Run(context.Background(), cfg(bundle))
	if err != nil {
		t.Fatal(err)
	}

	agree(t, liveReport, evidenceReport, live, exported, gcpapi.SpaceFindings(), func(name string) string { return name })
	if n := len(live.Kubernetes.Nodes); n != 3 {
		t.Errorf("live nodes: %d, want the 3 the pods run on", n)
	}
}
