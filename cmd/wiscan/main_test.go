package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wiscan/wiscan/report"
	wiscanversion "github.com/wiscan/wiscan/version"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenRead records the golden files the tests compared.
var goldenRead sync.Map

// TestMain fails a full run that left a golden file unread: a golden file
// no test compares is a defect of the suite.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !*update {
		entries, err := os.ReadDir(filepath.Join("..", "..", "testdata", "golden"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, e := range entries {
			if _, ok := goldenRead.Load(e.Name()); !ok {
				fmt.Fprintf(os.Stderr, "testdata/golden/%s: no test compares it\n", e.Name())
				code = 1
			}
		}
	}
	os.Exit(code)
}

const bundle = "../../testdata/evidence/broken-space"

// k8sOnly is a Space set up as documented on the Kubernetes side, without
// the AWS exports: every AWS control is unknown.
const k8sOnly = "testdata/k8s-only"

// wiscan runs the CLI in-process with a fixed clock.
func wiscan(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	code = runWith(context.Background(), args, strings.NewReader(""), &out, &errb, a)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenRead.Store(name, true)
	// A message rendered with the wrong verb (%!d(float64=...)) is a bug
	// whatever the golden file says.
	if i := strings.Index(got, "%!"); i >= 0 {
		t.Errorf("%s holds a badly formatted message: …%s…", name, got[max(0, i-60):min(len(got), i+40)])
	}
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil { //nolint:gosec // G703: the golden file the test names
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path) //nolint:gosec // G304: a file the test itself wrote or ships
	if err != nil {
		t.Fatalf("read golden file (create it with: go test ./cmd/wiscan -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; if the change is intended, refresh it with go test ./cmd/wiscan -update and read the diff.\n--- got ---\n%s", name, got)
	}
}

// durations vary from run to run; the golden JSON holds zero.
func stable(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, `"durationSeconds"`) {
			lines[i] = l[:strings.Index(l, ":")+1] + " 0,"
		}
	}
	return strings.Join(lines, "\n")
}

// The shipped broken Space gives exactly the findings its README lists.
func TestScanEvidenceGolden(t *testing.T) {
	code, table, stderr := wiscan(t, "scan", "--evidence", bundle)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFindings, stderr)
	}
	golden(t, "broken-space.table.txt", table)

	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	code, _, stderr = wiscan(t, "scan", "--evidence", bundle, "--format", "json="+out, "--fail-on", "none")
	if code != exitOK {
		t.Fatalf("exit %d with --fail-on none; stderr: %s", code, stderr)
	}
	b, err := os.ReadFile(out) //nolint:gosec // G304: a file the test itself wrote or ships
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "broken-space.report.json", string(b))

	sarif := filepath.Join(dir, "report.sarif")
	if code, _, stderr = wiscan(t, "scan", "--evidence", bundle, "-o", "sarif="+sarif); code != exitFindings {
		t.Fatalf("sarif: exit %d; stderr: %s", code, stderr)
	}
	b, err = os.ReadFile(sarif) //nolint:gosec // G304: a file the test itself wrote
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "broken-space.sarif", string(b))
}

// collect then eval gives the same report as scan.
func TestCollectThenEval(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snapshot.json")
	if code, _, stderr := wiscan(t, "collect", "--evidence", bundle, "-o", snap); code != 0 {
		t.Fatalf("collect: exit %d: %s", code, stderr)
	}
	_, direct, _ := wiscan(t, "scan", "--evidence", bundle, "--format", "json")
	code, viaSnap, stderr := wiscan(t, "eval", snap, "--format", "json")
	if code != exitFindings {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	if stable(direct) != stable(viaSnap) {
		t.Error("eval of the collected snapshot differs from scan")
	}
}

// Usage and configuration errors exit 2 and say what is valid; a scan that
// cannot complete exits 3.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "badpolicy")
	brokenResult := filepath.Join(dir, "brokenresult")
	misspelt := filepath.Join(dir, "misspelt")
	for d, src := range map[string]string{
		badPolicy:    "package wiscan.user.bad\n\ndeny contains f if {\n",
		misspelt:     "# METADATA\n# title: Misspelt input\n# description: A policy that reads a field the snapshot does not have.\n# custom:\n#   id: USER-002\n#   severity: low\n#   remediation: None.\npackage wiscan.user.misspelt\n\ndeny contains {\"msg\": \"x\", \"resource\": {\"kind\": \"ServiceAccount\", \"name\": sa.name}} if {\n\tsome sa in input.kubernetes.serviceAcounts[_]\n}\n",
		brokenResult: "# METADATA\n# title: Broken result\n# description: A policy whose result breaks the contract.\n# custom:\n#   id: USER-001\n#   severity: low\n#   remediation: None.\npackage wiscan.user.broken\n\ndeny contains \"a string, not an object\" if true\n",
	} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "p.rego"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	badProfile := filepath.Join(dir, "bad-profile.yaml")
	if err := os.WriteFile(badProfile, []byte("kind: Profile\nname: [not, a, name]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("apiVersion: wiscan.io/v1alpha1\nkind: Profile\nname: typo\nnamespaces:\n  names: [mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-sytsem]\nserviceAccount: mxp-controller\nworkload:\n  kind: Deployment\n  name: mxp-controller\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	// Nothing listens on port 1 of the loopback address.
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	badSnap := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badSnap, []byte(`{"schemaVersion": "nope"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown profile lists the valid ones", []string{"scan", "--evidence", bundle, "--profile", "nope"}, exitUsage, "spaces-backup, spaces-billing"},
		{"unknown flag", []string{"scan", "--nope"}, exitUsage, "unknown flag"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"unknown format", []string{"scan", "--evidence", bundle, "--format", "xml"}, exitUsage, "want one of table, json"},
		{"bad fail-on", []string{"scan", "--evidence", bundle, "--fail-on", "severe"}, exitUsage, "want one of info"},
		{"bad cloud", []string{"scan", "--evidence", bundle, "--cloud", "oracle"}, exitUsage, "want one of aws, azure, gcp"},
		{"evidence with context", []string{"scan", "--evidence", bundle, "--context", "x"}, exitUsage, "does not take"},
		{"invalid snapshot", []string{"eval", badSnap}, exitUsage, "invalid snapshot"},
		{"missing evidence directory", []string{"scan", "--evidence", filepath.Join(dir, "none")}, exitIncomplete, "evidence directory unreadable"},
		{"unreachable API server", []string{"scan", "--kubeconfig", kubeconfig, "--timeout", "5s"}, exitIncomplete, "unreachable"},
		{"missing kubeconfig context", []string{"scan", "--kubeconfig", kubeconfig, "--context", "nope"}, exitUsage, "nope"},
		{"fail-on critical still fails on critical", []string{"scan", "--evidence", bundle, "--fail-on", "critical"}, exitFindings, ""},
		// A gate trusts a green run: data missing for a result at or above
		// --fail-on is exit 3, unless accepted.
		{"unknowns for want of AWS data are incomplete", []string{"scan", "--evidence", k8sOnly}, exitIncomplete, "unknown for want of data"},
		{"unknowns accepted", []string{"scan", "--evidence", k8sOnly, "--fail-on-unknown=false"}, exitOK, ""},
		{"unknown criticals with fail-on critical", []string{"scan", "--evidence", k8sOnly, "--fail-on", "critical"}, exitIncomplete, "unknown for want of data"},
		{"fail-on none", []string{"scan", "--evidence", k8sOnly, "--fail-on", "none"}, exitOK, ""},
		{"contradictory gate flags", []string{"scan", "--evidence", k8sOnly, "--fail-on", "none", "--fail-on-unknown"}, exitUsage, "--fail-on none and --fail-on-unknown"},
		{"empty evidence folder matches nothing", []string{"scan", "--evidence", t.TempDir(), "--fail-on", "critical"}, exitIncomplete, "profile spaces-backup matched no namespace"},
		{"a typo in a profile's names", []string{"scan", "--evidence", k8sOnly, "--profile-file", typo}, exitIncomplete, "profile typo matched no namespace"},
		{"a profile may match nothing when allowed", []string{"scan", "--evidence", k8sOnly, "--profile-file", typo, "--allow-empty", "--fail-on-unknown=false"}, exitOK, ""},
		{"a policy that does not compile", []string{"scan", "--evidence", k8sOnly, "--policy", badPolicy}, exitUsage, "p.rego"},
		// The snapshot's schema types input: a misspelt field is a compile
		// error naming the field and what was meant, not an undefined
		// value that makes the control pass.
		{"a policy reading a field the snapshot lacks", []string{"scan", "--evidence", k8sOnly, "--policy", misspelt}, exitUsage, `have: "serviceAcounts"`},
		{"a profile file that is not a profile", []string{"scan", "--evidence", k8sOnly, "--profile-file", badProfile}, exitUsage, "profile"},
		{"an evaluation that fails", []string{"scan", "--evidence", k8sOnly, "--policy", brokenResult}, exitIncomplete, "USER-001"},
		{"-o is --format", []string{"scan", "--evidence", k8sOnly, "-o", "xml"}, exitUsage, "--output \"xml\": want one of table, json"},
		{"collect -o json=FILE", []string{"collect", "--evidence", k8sOnly, "-o", "json=" + filepath.Join(dir, "snap.json")}, exitOK, ""},
		{"collect -o with another format", []string{"collect", "--evidence", k8sOnly, "-o", "table=x"}, exitUsage, "a snapshot is json"},
		{"the trust policy quota applies to evidence", []string{"scan", "--evidence", bundle, "--aws-trust-policy-quota", "4096"}, exitFindings, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := wiscan(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, c.stderr)
			}
		})
	}
}

func TestVersionAndControls(t *testing.T) {
	code, out, _ := wiscan(t, "version")
	if code != 0 || !strings.HasPrefix(out, "wiscan "+wiscanversion.Release) {
		t.Errorf("version: %d %q", code, out)
	}
	if code, flag, _ := wiscan(t, "--version"); code != 0 || flag != out {
		t.Errorf("--version: %d %q, want %q as wiscan version prints it", code, flag, out)
	}
	code, out, _ = wiscan(t, "controls", "-o", "json")
	if code != 0 || !strings.Contains(out, `"WI-K8S-010"`) {
		t.Errorf("controls -o json: %d %q", code, out)
	}
}

// Several profiles run in one scan, built-in and from a file; each finding
// names its profile.
func TestSeveralProfiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: wiscan.io/v1alpha1
kind: Profile
name: backup-by-label
namespaces: {pattern: '^mxp-c4d2e8f0-.*-system$'}
serviceAccount: mxp-controller
cloud: aws
method: irsa
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := wiscan(t, "scan", "--evidence", bundle, "--profile", "spaces-backup", "--profile", "spaces-billing", "--profile-file", file, "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Profiles []struct {
			Name    string
			Targets int
		}
		Findings []struct{ ControlID, Profile string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Profiles) != 3 || r.Profiles[2].Name != "backup-by-label" || r.Profiles[2].Targets != 1 {
		t.Fatalf("profiles %+v", r.Profiles)
	}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		seen[f.Profile+"/"+f.ControlID] = true
	}
	// The bundle has no vector service account; the file profile sees the
	// leading space in its one namespace.
	for _, want := range []string{"spaces-billing/WI-K8S-001", "backup-by-label/WI-K8S-004", "spaces-backup/WI-K8S-003"} {
		if !seen[want] {
			t.Errorf("no %s finding (have %v)", want, seen)
		}
	}
}

// Controls of another cloud do not apply, and are counted apart from the
// passes, with why.
func TestOtherCloudNotApplicable(t *testing.T) {
	_, out, stderr := wiscan(t, "scan", "--evidence", bundle, "--cloud", "azure", "-o", "json", "--fail-on", "none")
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	aws := 0
	for _, c := range r.Controls {
		if strings.HasPrefix(c.ID, "WI-AWS-") {
			aws++
			if c.Status != report.NotApplicable || c.Reason != "no control plane uses AWS" {
				t.Errorf("%s is %s (%q) on Azure, want not applicable", c.ID, c.Status, c.Reason)
			}
		}
	}
	if aws != 12 || r.Summary.Controls[report.NotApplicable] < 12 {
		t.Errorf("%d AWS controls, %d not applicable", aws, r.Summary.Controls[report.NotApplicable])
	}
	for _, f := range r.Findings {
		if f.Status == report.Unknown && (f.Severity != "" || f.WouldBe == "" || f.Remediation != report.UnknownRemediation) {
			t.Errorf("unknown %s carries severity %q, wouldBe %q, remediation %q", f.ControlID, f.Severity, f.WouldBe, f.Remediation)
		}
	}
}
