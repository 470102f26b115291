package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/test/awsapi"
	"github.com/wiscan/wiscan/test/harness"
)

// The two sources agree: a Space on the real API server and the AWS
// wire-level server is scanned live, then exported with the shipped
// scripts (kubectl and the AWS CLI, as the README says) and scanned from
// the files. The snapshots, where each object came from aside, and the
// reports are equal. A cloud added later joins this test.
func TestLiveAndEvidenceAgree(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the AWS CLI is needed (.ci/run installs it): ", err)
	}
	env := startSpace(t)
	kubectl := harness.Kubectl(t)
	c := newCluster(t, env)
	buildSpace(c)
	srv := awsapi.Start(t)
	srv.Providers[srv.ProviderARN()] = []string{"sts.amazonaws.com"}
	managed := "arn:aws:iam::123456789012:policy/backup-boundary"
	srv.Roles["backup-restore-role"] = awsapi.Role{
		Name: "backup-restore-role", Trust: trustFor(srv, cpNamespace(0)),
		Inline: map[string]string{"backup-restore": documentedPermissions}, Attached: []string{managed}, Boundary: managed,
	}
	srv.Policies[managed] = awsapi.Policy{Name: "backup-boundary", Version: "v2", Document: documentedPermissions}
	srv.Buckets["spaces-backups"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::spaces-backups/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	awsEnv := append(os.Environ(),
		"AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID="+exampleKeyID, "AWS_SECRET_ACCESS_KEY="+exampleSecret,
		"PATH="+filepath.Dir(kubectl)+":"+os.Getenv("PATH"))
	dir := t.TempDir()
	kc := env.Kubeconfig(t, dir)
	bin := buildCLI(t)
	run := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), name, args...) //nolint:gosec // G204: runs the binary or scripts the test built or ships
		cmd.Env = awsEnv
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			// wiscan exits 1 on findings; anything else stops the test.
			if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 1 || name != bin {
				t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
			}
		}
		return stdout.Bytes()
	}

	live := run(bin, "collect", "--kubeconfig", kc, "--cluster-name", srv.Cluster, "-o", "json")
	bundle := filepath.Join(dir, "bundle")
	run("bash", filepath.Join("..", "..", "scripts", "export-evidence.sh"), bundle, "--kubeconfig", kc)
	// The endpoint goes as a flag: older AWS CLIs ignore AWS_ENDPOINT_URL.
	run("bash", filepath.Join("..", "..", "scripts", "export-aws-evidence.sh"), bundle, "--cluster", srv.Cluster, "--endpoint-url", srv.URL)
	exported := run(bin, "collect", "--evidence", bundle, "-o", "json")

	a, b := normalSnapshot(t, live), normalSnapshot(t, exported)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the snapshots differ (live, then evidence):\n%s", diffJSON(a, b))
	}

	write := func(name string, doc []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	liveReport := run(bin, "eval", write("live.json", live), "-o", "json")
	evidenceReport := run(bin, "eval", write("evidence.json", exported), "-o", "json")
	ra, rb := normalReport(t, liveReport), normalReport(t, evidenceReport)
	if !reflect.DeepEqual(ra, rb) {
		t.Errorf("the reports differ (live, then evidence):\n%s", diffJSON(ra, rb))
	}
	// The scan found what the Space holds wrong, on both sides.
	for _, w := range []string{"WI-K8S-003", "WI-K8S-010", "WI-AWS-006"} {
		if !bytes.Contains(evidenceReport, []byte(`"controlId": "`+w+`"`)) {
			t.Errorf("the reports lack %s", w)
		}
	}
}

// normalSnapshot is a snapshot without what tells the sources apart by
// design: where and when it was read, how long it took, where each object
// came from, and which collector recorded a gap.
func normalSnapshot(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	for _, k := range []string{"source", "stats", "collectedAt"} {
		delete(m, k)
	}
	dropKey(m, "source")
	errs, _ := m["errors"].([]any)
	for _, e := range errs {
		delete(e.(map[string]any), "collector")
	}
	sort.Slice(errs, func(i, j int) bool { return jsonText(errs[i]) < jsonText(errs[j]) })
	return m
}

// normalReport is a report without its time, source and evidence
// locations.
func normalReport(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	delete(m, "generatedAt")
	delete(m, "source")
	fs, _ := m["findings"].([]any)
	for _, f := range fs {
		r, _ := f.(map[string]any)["resource"].(map[string]any)
		delete(r, "file")
		delete(r, "line")
	}
	return m
}

func dropKey(v any, key string) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, key)
		for _, c := range x {
			dropKey(c, key)
		}
	case []any:
		for _, c := range x {
			dropKey(c, key)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// diffJSON lists the paths where two documents differ.
func diffJSON(a, b any) string {
	var out []string
	var walk func(path string, a, b any)
	walk = func(path string, a, b any) {
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if aok && bok {
			keys := map[string]bool{}
			for k := range am {
				keys[k] = true
			}
			for k := range bm {
				keys[k] = true
			}
			for k := range keys {
				walk(path+"."+k, am[k], bm[k])
			}
			return
		}
		al, aok := a.([]any)
		bl, bok := b.([]any)
		if aok && bok && len(al) == len(bl) {
			for i := range al {
				walk(path+"["+itoa(i)+"]", al[i], bl[i])
			}
			return
		}
		if !reflect.DeepEqual(a, b) {
			out = append(out, path+": "+trim(jsonText(a))+" | "+trim(jsonText(b)))
		}
	}
	walk("", a, b)
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }
