package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// At most one format goes to stdout: two would run together.
func TestOneFormatOnStdout(t *testing.T) {
	code, out, stderr := wiscan(t, "scan", "--evidence", gcpBundle, "-o", "json", "-o", "sarif")
	if code != exitUsage || out != "" || !strings.Contains(stderr, "--output: json, sarif would all go to stdout") {
		t.Errorf("exit %d, stdout %d bytes, stderr %s", code, len(out), stderr)
	}
	if code, _, stderr := wiscan(t, "scan", "--evidence", gcpBundle, "-o", "json", "-o", "sarif="+filepath.Join(t.TempDir(), "r.sarif"), "--fail-on", "none"); code != exitOK {
		t.Errorf("one on stdout, one in a file: exit %d: %s", code, stderr)
	}
}

// plan takes -o FORMAT[=FILE] as scan does: script or json; a bare value
// that is no format is a file for the script (--format json is json, not
// a file named json).
func TestPlanFormats(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	if code, _, stderr := wiscan(t, "scan", "--evidence", gcpBundle, "-o", "json="+report, "--fail-on", "none"); code != exitOK {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	code, out, stderr := wiscan(t, "plan", report, "--format", "json")
	var p struct {
		Steps []struct {
			Action string   `json:"action"`
			Args   []string `json:"args"`
		} `json:"steps"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &p) != nil || len(p.Steps) != 6 || p.Steps[0].Args[0] != "gcloud" {
		t.Fatalf("plan --format json: %d %s\n%s", code, stderr, out)
	}
	if _, err := os.Stat("json"); err == nil {
		t.Error("a file named json was written")
	}
	for _, o := range []string{"script=" + filepath.Join(dir, "a.sh"), filepath.Join(dir, "b.sh")} {
		if code, _, stderr := wiscan(t, "plan", report, "-o", o); code != exitOK {
			t.Fatalf("-o %s: %d %s", o, code, stderr)
		}
	}
	for _, f := range []string{"a.sh", "b.sh"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !strings.HasPrefix(string(b), "#!/bin/sh\n") { //nolint:gosec // G304: the test's own files
			t.Errorf("%s: %v", f, err)
		}
	}
	if code, out, _ := wiscan(t, "plan", report); code != exitOK || !strings.HasPrefix(out, "#!/bin/sh\n") {
		t.Errorf("the default is the script on stdout: %d", code)
	}
}

// eval says a report is a report, and what reads one.
func TestEvalRecognisesAReport(t *testing.T) {
	report := filepath.Join(t.TempDir(), "r.json")
	if code, _, stderr := wiscan(t, "scan", "--evidence", gcpBundle, "-o", "json="+report, "--fail-on", "none"); code != exitOK {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	code, _, stderr := wiscan(t, "eval", report)
	if code != exitUsage || !strings.Contains(stderr, "is a wiscan report (wiscan.io/report/") || !strings.Contains(stderr, "wiscan plan") || strings.Contains(stderr, "collect the snapshot again") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// --skip-cloud in evidence mode reads no cloud file, as a live scan reads
// no cloud: the cloud's controls are unknown and say why; the Kubernetes
// ones still judge.
func TestSkipCloudInEvidence(t *testing.T) {
	code, out, stderr := wiscan(t, "scan", "--evidence", gcpBundle, "--skip-cloud", "-o", "json", "--fail-on", "none")
	var r struct {
		Findings []struct {
			ControlID, Status, Message string
		} `json:"findings"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	unknown := map[string]bool{}
	for _, f := range r.Findings {
		if f.Status == "unknown" && strings.HasPrefix(f.ControlID, "WI-GCP-") {
			unknown[f.ControlID] = true
			if !strings.Contains(f.Message, "GCP was not read (--skip-cloud)") {
				t.Errorf("%s: %s", f.ControlID, f.Message)
			}
		}
		if f.Status == "fail" && f.ControlID != "WI-GCP-002" {
			t.Errorf("a finding that needs GCP's data: %+v", f)
		}
	}
	if len(unknown) != 8 {
		t.Errorf("unknown GCP controls: %v, want all eight", unknown)
	}
}

// --skip-secrets reads no Secret: WI-K8S-010 does not apply, saying why;
// a credential variable is still found by its name. The snapshot says it
// skipped them, and eval reads it.
func TestSkipSecrets(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "s.json")
	if code, _, stderr := wiscan(t, "collect", "--evidence", bundle, "--skip-secrets", "--skip-cloud", "-o", snap); code != exitOK {
		t.Fatalf("collect: %d %s", code, stderr)
	}
	code, out, stderr := wiscan(t, "eval", snap, "-o", "json", "--fail-on", "none")
	var r struct {
		Controls []struct {
			ID, Status, Reason string
		} `json:"controls"`
		Findings []struct{ ControlID, Status string } `json:"findings"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	seen := false
	for _, c := range r.Controls {
		if c.ID == "WI-K8S-010" {
			seen = true
			if c.Status != "not_applicable" || !strings.HasPrefix(c.Reason, "Secrets are not read (--skip-secrets") {
				t.Errorf("WI-K8S-010: %+v", c)
			}
		}
	}
	if !seen {
		t.Error("no WI-K8S-010 in the report")
	}
	found := false
	for _, f := range r.Findings {
		if f.ControlID == "WI-K8S-010" {
			t.Errorf("a WI-K8S-010 result without Secrets: %+v", f)
		}
		found = found || (f.ControlID == "WI-K8S-011" && f.Status == "fail")
	}
	if !found {
		t.Error("the credential variable is no longer found")
	}
}
