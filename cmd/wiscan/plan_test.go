package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The plans of the shipped Spaces, made from a scan: every step exact
// (the trust policy whole, patches that test what they change), in the
// order to run them. The same plan comes from the report with the
// snapshot it was made from.
func TestPlanGolden(t *testing.T) {
	for _, c := range []struct{ name, bundle string }{
		{"broken-space", bundle},
		{"azure-space", azureBundle},
		{"gcp-space", gcpBundle},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, script, stderr := wiscan(t, "plan", "--evidence", c.bundle)
			if code != exitOK {
				t.Fatalf("exit %d; stderr: %s", code, stderr)
			}
			golden(t, c.name+".plan.sh", script)
			code, js, stderr := wiscan(t, "plan", "--evidence", c.bundle, "-o", "json")
			if code != exitOK {
				t.Fatalf("json: exit %d; stderr: %s", code, stderr)
			}
			golden(t, c.name+".plan.json", js)

			dir := t.TempDir()
			snap, report := filepath.Join(dir, "snapshot.json"), filepath.Join(dir, "report.json")
			if code, _, stderr := wiscan(t, "collect", "--evidence", c.bundle, "-o", snap); code != exitOK {
				t.Fatalf("collect: exit %d: %s", code, stderr)
			}
			if code, _, stderr := wiscan(t, "eval", snap, "-o", "json="+report, "--fail-on", "none"); code != exitOK {
				t.Fatalf("eval: exit %d: %s", code, stderr)
			}
			code, fromFiles, stderr := wiscan(t, "plan", report, "--snapshot", snap)
			if code != exitOK {
				t.Fatalf("plan of the files: exit %d: %s", code, stderr)
			}
			_, body, _ := strings.Cut(script, "\n# Read every step")
			_, fileBody, _ := strings.Cut(fromFiles, "\n# Read every step")
			if body != fileBody {
				t.Errorf("the plan of the report and its snapshot differs from the plan of the scan:\n%s", fromFiles)
			}
		})
	}
}

// Every failed finding of the shipped AWS Space gets a step, and the one
// that deletes is withheld until --allow-deletion asks for it; dropping
// the static credentials comes after every identity step.
func TestPlanStepForEveryFinding(t *testing.T) {
	_, script, _ := wiscan(t, "plan", "--evidence", bundle)
	if !strings.Contains(script, "# 10 steps, 1 of them by hand or withheld (comments only); 0 failed findings without a step; 0 waived.\n") {
		t.Errorf("the plan does not cover every finding:\n%s", script)
	}
	withheld := "# Step 10, withheld (needs --allow-deletion): delete-secret Secret/mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system/backup-creds\n"
	if !strings.Contains(script, withheld) || strings.Contains(script, "kubectl delete") {
		t.Errorf("the deletion is not withheld:\n%s", script)
	}
	code, allowed, stderr := wiscan(t, "plan", "--evidence", bundle, "--allow-deletion")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "#   then revoke the credential it held at the cloud provider: deleting the Secret leaves the key valid; only after the steps above have taken effect (wiscan apply scans again before it)\nkubectl delete '--namespace=mxp-c4d2e8f0-1a3b-4c5d-8e9f-0a1b2c3d4e5f-system' -- secret backup-creds\n"
	if !strings.Contains(allowed, "# Step 10: delete-secret") || !strings.Contains(allowed, want) {
		t.Errorf("--allow-deletion does not plan the deletion:\n%s", allowed)
	}
}

// A plan reads a report or scans, not both; a snapshot goes with the
// report it was made from.
func TestPlanInputs(t *testing.T) {
	dir := t.TempDir()
	snap, report, other := filepath.Join(dir, "s.json"), filepath.Join(dir, "r.json"), filepath.Join(dir, "other.json")
	wiscan(t, "collect", "--evidence", bundle, "-o", snap)
	wiscan(t, "eval", snap, "-o", "json="+report, "--fail-on", "none")
	wiscan(t, "scan", "--evidence", gcpBundle, "-o", "json="+other, "--fail-on", "none")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"scan flags with a report":  {[]string{"plan", report, "--evidence", bundle}, "--evidence goes with a scan"},
		"snapshot without a report": {[]string{"plan", "--snapshot", snap, "--evidence", bundle}, "--snapshot goes with REPORT.json"},
		"another scan's report":     {[]string{"plan", other, "--snapshot", snap}, "the snapshot is not the one the report was made from: the report read evidence ../../testdata/evidence/gcp-space, the snapshot evidence ../../testdata/evidence/broken-space"},
		"not a snapshot":            {[]string{"plan", report, "--snapshot", report}, "r.json"},
	} {
		code, _, stderr := wiscan(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, want %d, stderr %q, want it to say %q", name, code, exitUsage, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "plan.sh")); err == nil {
		t.Error("a refused plan was written")
	}
}

// apply changes a live cluster: it refuses evidence and unknown targets
// before it reads anything.
func TestApplyRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"evidence":       {[]string{"apply", "--evidence", bundle}, "apply changes the live cluster and clouds the scan reads"},
		"unknown target": {[]string{"apply", "--only", "kubernetes,openstack"}, `--only "openstack": want kubernetes, aws, azure, gcp`},
		"negative wait":  {[]string{"apply", "--wait", "-1s"}, "--wait -1s"},
	} {
		code, _, stderr := wiscan(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want %d and %q", name, code, stderr, exitUsage, c.want)
		}
	}
}

// A scan whose AWS side is unknown says, for each unknown, that no step
// can be planned for it and why: the data it lacks.
func TestPlanSaysWhatCannotBePlanned(t *testing.T) {
	code, script, stderr := wiscan(t, "plan", "--evidence", k8sOnly)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "# Not planned: WI-AWS-001|IAMRole//arn:aws:iam::123456789012:role/backup-restore-role: unknown: the evidence holds no AWS CLI exports: add them (see the evidence export script in the README)\n"
	if !strings.Contains(script, want) || strings.Count(script, "# Not planned: WI-AWS-") != 10 {
		t.Errorf("the plan does not say which steps cannot be planned:\n%s", script)
	}
}
