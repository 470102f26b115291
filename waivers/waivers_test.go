package waivers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/report"
)

var scanTime = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

const keyA = "WI-AWS-011|ServiceAccount/mxp-1-system/mxp-controller"

// A file's waivers load with their lines, names and end dates.
func TestParse(t *testing.T) {
	doc := `apiVersion: wiscan.io/v1alpha1
kind: Waivers
waivers:
- key: ` + keyA + `
  reason: moving to Pod Identity, OPS-1
  expires: 2027-03-01
  owner: platform
- fingerprint: 0123456789abcdef
  reason: accepted risk
  expires: "2026-12-02"
`
	ws, err := Parse("w.yaml", []byte(doc), scanTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("%d waivers", len(ws))
	}
	if w := ws[0]; w.Key != keyA || w.Line != 4 || w.Owner != "platform" || !w.Expires.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first waiver %+v", w)
	}
	if w := ws[1]; w.Fingerprint != "0123456789abcdef" || w.Line != 8 || w.File != "w.yaml" {
		t.Errorf("second waiver %+v", w)
	}
}

// What cannot be a waiver is refused with the file and line, and every
// bad waiver of a file is named, not only the first.
func TestParseRejects(t *testing.T) {
	head := "apiVersion: wiscan.io/v1alpha1\nkind: Waivers\nwaivers:\n"
	for name, c := range map[string]struct{ doc, want string }{
		"both names":     {head + "- {key: '" + keyA + "', fingerprint: 0123456789abcdef, reason: r, expires: 2027-01-01}\n", "w.yaml:4: a waiver names a finding by key or by fingerprint"},
		"no name":        {head + "- {reason: r, expires: 2027-01-01}\n", "w.yaml:4: a waiver names"},
		"bad key":        {head + "- {key: WI-AWS-011, reason: r, expires: 2027-01-01}\n", "w.yaml:4: key \"WI-AWS-011\": want CONTROL|Kind/namespace/name"},
		"bad print":      {head + "- {fingerprint: 0123, reason: r, expires: 2027-01-01}\n", "want the 16 hexadecimal digits"},
		"no reason":      {head + "- {fingerprint: 0123456789abcdef, reason: '  ', expires: 2027-01-01}\n", "needs a reason"},
		"bad date":       {head + "- {fingerprint: 0123456789abcdef, reason: r, expires: next year}\n", "want a date, YYYY-MM-DD"},
		"no date":        {head + "- {fingerprint: 0123456789abcdef, reason: r}\n", "want a date, YYYY-MM-DD"},
		"too long":       {head + "- {fingerprint: 0123456789abcdef, reason: r, expires: 2027-12-03}\n", "more than a year after the scan"},
		"duplicate":      {head + "- {fingerprint: 0123456789abcdef, reason: r, expires: 2027-01-01}\n- {fingerprint: 0123456789abcdef, reason: s, expires: 2027-01-01}\n", "w.yaml:5: 0123456789abcdef is waived already at line 4"},
		"unknown field":  {head + "- {fingerprint: 0123456789abcdef, reason: r, expires: 2027-01-01, until: x}\n", `unknown field "until"`},
		"wrong kind":     {"apiVersion: wiscan.io/v1alpha1\nkind: Profile\n", "want apiVersion wiscan.io/v1alpha1 and kind Waivers"},
		"top-level typo": {head + "waiver: []\n", "w.yaml"},
		"empty":          {"", "empty file"},
		"two bad":        {head + "- {reason: r, expires: 2027-01-01}\n- {fingerprint: x, reason: r, expires: 2027-01-01}\n", "w.yaml:5:"},
	} {
		_, err := Parse("w.yaml", []byte(c.doc), scanTime)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, c.want)
		}
	}
	// A year to the instant is the longest term.
	midnight := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Parse("w.yaml", []byte(head+"- {fingerprint: 0123456789abcdef, reason: r, expires: 2027-12-02}\n"), midnight); err != nil {
		t.Errorf("a term of exactly MaxTerm: %v", err)
	}
	if _, err := Parse("w.yaml", []byte(head+"- {fingerprint: 0123456789abcdef, reason: r, expires: 2027-12-02}\n"), midnight.Add(-time.Nanosecond)); err == nil {
		t.Error("a term a nanosecond over MaxTerm was accepted")
	}
	// A year to the day is the longest term.
	if _, err := Parse("w.yaml", []byte(head+"- {fingerprint: 0123456789abcdef, reason: r, expires: 2027-12-02}\n"), scanTime); err != nil {
		t.Errorf("a year's waiver: %v", err)
	}
}

func scanFinding(control, ns, name string, status report.Status) report.Finding {
	f := report.Finding{ControlID: control, Status: status, Severity: report.High, Resource: report.Resource{Kind: "ServiceAccount", Namespace: ns, Name: name}}
	f.Key = report.FindingKey(control, f.Resource, "")
	f.Fingerprint = report.Fingerprint(f.Key)
	return f
}

// Apply waives what a waiver in force names, by key or fingerprint, and
// reports the waivers that are expired, name a control wiscan lacks, or
// match nothing; a baseline's waiver that matches nothing is no finding.
func TestApply(t *testing.T) {
	a := scanFinding("WI-AWS-011", "mxp-1-system", "mxp-controller", report.Fail)
	b := scanFinding("WI-K8S-002", "mxp-2-system", "mxp-controller", report.Unknown)
	c := scanFinding("WI-K8S-010", "mxp-3-system", "creds", report.Fail)
	d := scanFinding("WI-K8S-011", "mxp-4-system", "mxp-controller", report.Fail)
	controls := []report.Control{{ID: "WI-AWS-011"}, {ID: "WI-K8S-002"}, {ID: "WI-K8S-010"}, {ID: "WI-K8S-011"}, Control}
	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	ws := []Waiver{
		{Key: a.Key, Reason: "moving", Expires: until, File: "w.yaml", Line: 4},
		{Fingerprint: b.Fingerprint, Reason: "unverifiable here", Expires: until, File: "w.yaml", Line: 7},
		{Key: c.Key, Reason: "old", Expires: scanTime.Truncate(24 * time.Hour), Owner: "platform", File: "w.yaml", Line: 10},
		{Key: "WI-XYZ-001|Pod/ns/p", Reason: "typo", Expires: until, File: "w.yaml", Line: 13},
		{Fingerprint: "0123456789abcdef", Reason: "gone", Expires: until, File: "w.yaml", Line: 16},
		{Fingerprint: d.Fingerprint, Reason: "in the baseline r.json", File: "r.json"},
		{Fingerprint: "fedcba9876543210", Reason: "in the baseline r.json", File: "r.json"},
	}
	fs := []report.Finding{a, b, c, d}
	health := Apply(fs, controls, ws, scanTime)

	if fs[0].Waiver == nil || fs[0].Waiver.Source != "w.yaml:4" || fs[0].Waiver.Expires != "2027-01-01" || fs[0].Waiver.Reason != "moving" {
		t.Errorf("a waived by key: %+v", fs[0].Waiver)
	}
	if fs[1].Waiver == nil || fs[1].Waiver.Source != "w.yaml:7" {
		t.Errorf("b waived by fingerprint: %+v", fs[1].Waiver)
	}
	if fs[2].Waiver != nil {
		t.Errorf("c waived by an expired waiver: %+v", fs[2].Waiver)
	}
	if fs[3].Waiver == nil || fs[3].Waiver.Expires != "" || fs[3].Waiver.Source != "r.json" {
		t.Errorf("d accepted by the baseline: %+v", fs[3].Waiver)
	}
	want := map[int]string{
		10: "waiver of " + c.Key + " expired on 2026-12-01: its finding counts again",
		13: "waiver of WI-XYZ-001|Pod/ns/p names control WI-XYZ-001, which wiscan does not have",
		16: "waiver of 0123456789abcdef matches no finding",
	}
	if len(health) != len(want) {
		t.Fatalf("%d WI-SCAN-002 findings, want %d: %+v", len(health), len(want), health)
	}
	for _, h := range health {
		msg, ok := want[h.Resource.Line]
		if !ok || !strings.HasPrefix(h.Message, msg) || h.ControlID != ControlID || h.Severity != report.Medium || h.Resource.Kind != "Waiver" || h.Resource.File != "w.yaml" {
			t.Errorf("finding %+v, want %q", h, msg)
		}
		if ev := h.Evidence.(map[string]any); (h.Resource.Line == 10) != (ev["owner"] == "platform") {
			t.Errorf("evidence %v: the owner is shown when the waiver has one", ev)
		}
		if h.Fingerprint != report.Fingerprint(h.Key) || !strings.HasPrefix(h.Key, ControlID+"|Waiver//") {
			t.Errorf("finding key %q fingerprint %q", h.Key, h.Fingerprint)
		}
	}
	// A waiver holds up to the instant its end day starts.
	fs = []report.Finding{c}
	if h := Apply(fs, controls, ws[2:3], scanTime.Truncate(24*time.Hour).Add(-time.Nanosecond)); len(h) != 0 || fs[0].Waiver == nil {
		t.Errorf("the day before the end: %v, waived %v", h, fs[0].Waiver)
	}
}

// A baseline is an earlier JSON report; only its failures are accepted.
func TestBaseline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write("r.json", `{"schemaVersion": "wiscan.io/report/v1alpha2", "findings": [
		{"status": "fail", "fingerprint": "0123456789abcdef"},
		{"status": "unknown", "fingerprint": "fedcba9876543210"}]}`)
	ws, err := Baseline(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Fingerprint != "0123456789abcdef" || !ws[0].baseline() || ws[0].File != p {
		t.Errorf("baseline %+v", ws)
	}
	for name, doc := range map[string]string{
		"snapshot":  `{"schemaVersion": "wiscan.io/snapshot/v1alpha4", "findings": []}`,
		"no report": `{"findings": []}`,
		"not json":  `{`,
	} {
		if _, err := Baseline(t.Context(), write(name, doc)); err == nil {
			t.Errorf("%s: accepted as a baseline", name)
		}
	}
	if _, err := Baseline(t.Context(), filepath.Join(dir, "none.json")); err == nil {
		t.Error("a missing baseline was accepted")
	}
}

// A waiver that names a finding by the key an earlier release gave it
// still waives it, and WI-SCAN-002 names the key to write instead; by its
// fingerprint too.
func TestApplyFormerKey(t *testing.T) {
	f := scanFinding("WI-K8S-005", "mxp-1-system", "mxp-controller", report.Fail)
	old := "WI-K8S-005|Pod/mxp-1-system/mxp-controller-7d9f8b6c5d-m4n7r|stale:AWS_ROLE_ARN"
	f.Formerly = []string{old}
	controls := []report.Control{{ID: "WI-K8S-005"}, Control}
	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, w := range []Waiver{
		{Key: old, Reason: "later", Expires: until, File: "w.yaml", Line: 4},
		{Fingerprint: report.Fingerprint(old), Reason: "later", Expires: until, File: "w.yaml", Line: 4},
	} {
		fs := []report.Finding{f}
		health := Apply(fs, controls, []Waiver{w}, scanTime)
		if fs[0].Waiver == nil {
			t.Errorf("%+v: not waived", w)
		}
		if len(health) != 1 || !strings.Contains(health[0].Message, "names its findings by the key an earlier release gave them") ||
			!strings.HasSuffix(health[0].Message, "write "+f.Key+" instead") {
			t.Errorf("%+v: WI-SCAN-002 %+v", w, health)
		}
	}
	// A finding without former keys is not matched by one.
	fs := []report.Finding{scanFinding("WI-K8S-005", "mxp-1-system", "mxp-controller", report.Fail)}
	if Apply(fs, controls, []Waiver{{Key: old, Reason: "later", Expires: until, File: "w.yaml", Line: 4}}, scanTime); fs[0].Waiver != nil {
		t.Error("waived by a key it never had")
	}
}
