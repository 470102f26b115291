package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/report"
)

// shippedFailures are the keys of the shipped bundle's failures.
func shippedFailures(t *testing.T) (report.Report, []string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "r.json")
	if code, stderr := writeReport(t, p); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(p) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range r.Findings {
		if f.Status == report.Fail {
			keys = append(keys, f.Key)
		}
	}
	if len(keys) == 0 {
		t.Fatal("the shipped bundle has no failure")
	}
	return r, keys
}

func writeWaivers(t *testing.T, keys []string, expires string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: wiscan.io/v1alpha1\nkind: Waivers\nwaivers:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "- key: %q\n  reason: accepted for the test\n  expires: %s\n", k, expires)
	}
	p := filepath.Join(t.TempDir(), "waivers.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Waiving every failure of the shipped bundle passes the scan; the
// findings stay in the report, marked, and the table says so. The same
// waivers expired fail it again, with WI-SCAN-002 naming each waiver.
func TestWaiversGate(t *testing.T) {
	_, keys := shippedFailures(t)
	// The CLI's clock is 2026-11-28.
	ok := writeWaivers(t, keys, "2027-01-31")
	code, table, stderr := wiscan(t, "scan", "--evidence", bundle, "--waivers", ok)
	if code != exitOK {
		t.Fatalf("every failure waived: exit %d, want 0: %s\n%s", code, stderr, table)
	}
	if n := strings.Count(table, "WAIVED"); n != len(keys) {
		t.Errorf("%d WAIVED blocks, want %d:\n%s", n, len(keys), table)
	}
	if !strings.Contains(table, "0 findings, 0 unknown, "+fmt.Sprint(len(keys))+" waived") || !strings.Contains(table, "waived until 2027-01-31 ("+ok+":4): accepted for the test") {
		t.Errorf("the table does not say what is waived:\n%s", table)
	}
	_, out, _ := wiscan(t, "scan", "--evidence", bundle, "--waivers", ok, "-o", "json")
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Summary.Waived != len(keys) || len(r.Summary.Findings) != 0 {
		t.Errorf("summary %+v", r.Summary)
	}

	expired := writeWaivers(t, keys, "2026-11-28")
	code, table, _ = wiscan(t, "scan", "--evidence", bundle, "--waivers", expired)
	if code != exitFindings || strings.Count(table, "WI-SCAN-002") != len(keys) || strings.Contains(table, "WAIVED") {
		t.Errorf("expired waivers: exit %d, want %d, with a WI-SCAN-002 finding each and nothing waived:\n%s", code, exitFindings, table)
	}
}

// A baseline accepts the failures of an earlier report: the same scan
// passes, and a finding the baseline lacks fails it.
func TestBaselineGate(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.json")
	if code, stderr := writeReport(t, base); code != exitOK {
		t.Fatal(stderr)
	}
	if code, table, stderr := wiscan(t, "scan", "--evidence", bundle, "--baseline", base); code != exitOK || !strings.Contains(table, "accepted by the baseline "+base) {
		t.Errorf("the baseline's own scan: exit %d, want 0: %s\n%s", code, stderr, table)
	}
	// Drop one failure from the baseline: it is new, and fails the scan.
	b, err := os.ReadFile(base) //nolint:gosec // G304: the test's own report
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	fs := doc["findings"].([]any)
	var dropped string
	for i, f := range fs {
		if f.(map[string]any)["severity"] == "critical" {
			dropped = f.(map[string]any)["controlId"].(string)
			doc["findings"] = append(fs[:i:i], fs[i+1:]...)
			break
		}
	}
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(base, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, table, _ := wiscan(t, "scan", "--evidence", bundle, "--baseline", base)
	if code != exitFindings || !strings.Contains(table, "CRITICAL  "+dropped) {
		t.Errorf("a failure new since the baseline: exit %d, want %d showing %s:\n%s", code, exitFindings, dropped, table)
	}
}

// A waivers file or baseline that cannot be used is a usage error naming
// the file and line, before anything is read.
func TestWaiversUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: wiscan.io/v1alpha1\nkind: Waivers\nwaivers:\n- {fingerprint: 0123456789abcdef, expires: 2027-01-01}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--waivers", bad}, bad + ":4: 0123456789abcdef: a waiver needs a reason"},
		{[]string{"--waivers", filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{[]string{"--baseline", bad}, "not a JSON report"},
	} {
		code, _, stderr := wiscan(t, append([]string{"scan", "--evidence", bundle}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want %d with %q: %s", c.args, code, exitUsage, c.want, stderr)
		}
	}
}
