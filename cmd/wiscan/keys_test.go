package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
)

// copyBroken copies the shipped broken Space to a folder of the test's.
func copyBroken(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
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
	return dir
}

// edit replaces old with new in a bundle file, which must hold it.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p) //nolint:gosec // G304: the test's copy
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s holds no %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil { //nolint:gosec // G703: the test's copy
		t.Fatal(err)
	}
}

// scanReport scans a bundle with more flags and returns the JSON report.
func scanReport(t *testing.T, dir string, flags ...string) report.Report {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	if code, _, stderr := wiscan(t, append([]string{"scan", "--evidence", dir, "-o", "json=" + out, "--fail-on", "none"}, flags...)...); code != exitOK {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// open lists the failures no waiver or baseline accepts, as "control key".
func open(r report.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Status == report.Fail && f.Waiver == nil {
			out = append(out, f.ControlID+" "+f.Key)
		}
	}
	slices.Sort(out)
	return out
}

// A finding's key names one problem on one object, so a baseline keeps
// its meaning through churn: a rescheduled pod changes nothing, a control
// plane added is a new finding, a typo fixed lets the next problem show.
// A baseline an earlier release wrote (its keys per role and per pod)
// still accepts what it accepted, with WI-SCAN-002 asking for a new one.
func TestKeysSurviveChurn(t *testing.T) {
	dir := copyBroken(t)
	first := scanReport(t, dir)

	// The earlier release's baseline: WI-AWS-006 keyed by the role alone,
	// WI-K8S-005 by the pod.
	old := first
	old.Findings = slices.Clone(first.Findings)
	renamed := 0
	for i, f := range old.Findings {
		if len(f.Formerly) > 0 {
			old.Findings[i].Key, old.Findings[i].Fingerprint = f.Formerly[0], report.Fingerprint(f.Formerly[0])
			renamed++
		}
	}
	if renamed != 2 {
		t.Fatalf("%d findings with a former key, want WI-AWS-006's and WI-K8S-005's", renamed)
	}
	r := scanReport(t, dir, "--baseline", writeJSON(t, old))
	var notes []string
	for _, f := range r.Findings {
		if f.ControlID == "WI-SCAN-002" {
			notes = append(notes, f.Message)
		}
	}
	if got := open(r); len(got) != len(notes) || len(notes) != 2 {
		t.Fatalf("open failures %v; WI-SCAN-002 %v: want only the two renamed entries", got, notes)
	}
	for _, n := range notes {
		if !strings.Contains(n, "names its findings by the key an earlier release gave them") || !strings.Contains(n, "take the baseline again") {
			t.Errorf("WI-SCAN-002: %s", n)
		}
	}

	base := writeJSON(t, first)
	if got := open(scanReport(t, dir, "--baseline", base)); len(got) != 0 {
		t.Fatalf("the baseline's own scan: %v", got)
	}
	// The pod is rescheduled under another name: nothing new.
	edit(t, dir, "pods.yaml", "name: mxp-controller-7d9f8b6c5d-m4n7r", "name: mxp-controller-7d9f8b6c5d-q2w3e")
	if got := open(scanReport(t, dir, "--baseline", base)); len(got) != 0 {
		t.Errorf("after a reschedule: %v", got)
	}
	// The typo is fixed: the control plane joins the role's users. The
	// trust policy does not admit it, a finding of its own keyed by its
	// subject (the one already accepted, for mxp-c4d2e8f0, stays
	// accepted), and its pod, started before, needs a restart.
	edit(t, dir, "serviceaccounts.yaml", "eks.amazon.aws/role-arn", "eks.amazonaws.com/role-arn")
	want := []string{
		"WI-AWS-006 WI-AWS-006|IAMRole//arn:aws:iam::123456789012:role/backup-restore-role|system:serviceaccount:mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system:mxp-controller",
		"WI-K8S-005 WI-K8S-005|Deployment/mxp-0b5c3e1d-8f2a-4c6e-9a7b-3d4e5f6a7b8c-system/mxp-controller|stale:AWS_ROLE_ARN",
	}
	if got := open(scanReport(t, dir, "--baseline", base)); !slices.Equal(got, want) {
		t.Errorf("after the typo is fixed: %v, want %v", got, want)
	}
}
