package hostile

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// scanGCP scans the shipped GKE Space and returns its JSON report's path.
func scanGCP(t *testing.T) string {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	if code, out := run(t, "scan", "--evidence", "../../testdata/evidence/gcp-space", "-o", "json="+report); code != 1 {
		t.Fatalf("scan exit %d: %s", code, out)
	}
	return report
}

// A GCP report whose names would steer gcloud (an account that is an
// option, a member with a second flag in it, a pool that is --async, a
// cluster that is --zone) is refused whole, exit 2, and no script is
// written.
func TestGCPPlanRefusesSteeringNames(t *testing.T) {
	forged := forge(t, scanGCP(t), func(_ int, fix, _ map[string]any) {
		switch fix["action"] {
		case "bind":
			fix["member"] = "serviceAccount:x@y.iam.gserviceaccount.com --impersonate-service-account=evil@z.iam.gserviceaccount.com"
			fix["name"] = "--project=other"
		case "node-pool-metadata":
			fix["name"] = "--async"
			fix["cluster"] = "--zone=us-central1-a"
		case "delete-key":
			fix["key"] = "$(touch pwned)"
		}
	})
	plan := filepath.Join(t.TempDir(), "plan.sh")
	code, out := run(t, "plan", forged, "-o", plan)
	if code != 2 {
		t.Fatalf("plan exit %d, want 2: %s", code, out)
	}
	if _, err := os.Stat(plan); err == nil {
		t.Error("a script was written")
	}
	for _, want := range []string{"fix.member: not ", "fix.name: not a Google service account's e-mail", "fix.name: not a node pool name", "fix.cluster: not a GKE cluster", "fix.key: not a service account key's ID"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{"evil@", "--async", "--zone", "touch"} {
		if strings.Contains(out, leak) {
			t.Errorf("the refusal quotes %q:\n%s", leak, out)
		}
	}
}

var (
	gcloudOptions = regexp.MustCompile(`^--(member|role|condition|cluster|location|project|workload-metadata)=[^ ]+$`)
	gcloudWords   = []string{"iam", "service-accounts", "add-iam-policy-binding", "storage", "buckets", "container", "node-pools", "update"}
	gcloudName    = regexp.MustCompile(`^(gs://)?[a-z0-9][a-z0-9@._-]*$`)
	kubeNamespace = regexp.MustCompile(`^--namespace=[a-z0-9-]+$`)
)

// The GKE Space's plan runs against a stand-in gcloud that records its
// argument vectors: every word that begins with "-" is one of the plan's
// own options with its value joined to it, every other word is a
// subcommand or, in the one place gcloud reads it, the validated name of
// the account, bucket or pool.
func TestGCPPlanArgumentsCannotBeSteered(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.sh")
	if code, out := run(t, "plan", scanGCP(t), "-o", plan); code != 0 {
		t.Fatalf("plan exit %d: %s", code, out)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o750); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "calls")
	stub := "#!/bin/sh\nprintf '%s\\0' \"$@\" >> '" + log + "'\nprintf '\\n' >> '" + log + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "gcloud"), []byte(stub), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
		t.Fatal(err)
	}
	kubectlLog := filepath.Join(dir, "kubectl-calls")
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(strings.ReplaceAll(stub, log, kubectlLog)), 0o700); err != nil { //nolint:gosec // G306: a stand-in the test runs
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "sh", plan) //nolint:gosec // G204: the plan the test made
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh plan.sh: %v\n%s", err, out)
	}
	calls, err := os.ReadFile(log) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(calls), "\x00\n"), "\x00\n")
	if len(lines) != 3 {
		t.Fatalf("%d gcloud calls, want the two bindings and the node pool: %q", len(lines), lines)
	}
	// The host-network pod's workload is patched, with its validated
	// namespace and name after the options and --.
	kubectl, err := os.ReadFile(kubectlLog) //nolint:gosec // G304: the test's own file
	if err != nil {
		t.Fatal(err)
	}
	argv := strings.Split(strings.TrimSuffix(string(kubectl), "\x00\n"), "\x00")
	if len(argv) != 7 || argv[0] != "patch" || !kubeNamespace.MatchString(argv[1]) || argv[2] != "--type=json" || !strings.HasPrefix(argv[3], "--patch=[") || argv[4] != "--" || argv[5] != "deployment" || !gcloudName.MatchString(argv[6]) {
		t.Errorf("kubectl call %q", argv)
	}
	for _, l := range lines {
		argv := strings.Split(l, "\x00")
		for i, a := range argv {
			switch {
			case strings.HasPrefix(a, "-"):
				if !gcloudOptions.MatchString(a) {
					t.Errorf("%q is not one of the plan's options: %q", a, argv)
				}
			case slices.Contains(gcloudWords, a) && i < 3:
			case i == 3:
				if !gcloudName.MatchString(a) {
					t.Errorf("%q is not a validated name: %q", a, argv)
				}
			default:
				t.Errorf("%q stands where gcloud reads no name: %q", a, argv)
			}
		}
	}
}
