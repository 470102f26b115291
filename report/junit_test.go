package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joshdk/go-junit"
)

func writeJUnit(t *testing.T, r Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (JUnit{W: &b}).Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hostileReport adds to the SARIF fixture a control that does not apply
// and a finding whose message carries what XML and Markdown must not
// take as markup: control characters, tags, table bars, links.
func hostileReport() Report {
	r := sarifReport("evidence")
	r.Controls = append(r.Controls, ControlResult{Control: Control{ID: "WI-AZ-001", Title: "Azure"}, Status: NotApplicable, Reason: "no control plane uses Azure"})
	for i := range r.Findings {
		if r.Findings[i].ControlID == "WI-K8S-013" {
			r.Findings[i].Message = "bad \x1b[31mvalue\x07 <script>alert(1)</script> | ![x](https://example.com/x.png) [click](https://example.com) ]]> &amp;"
		}
	}
	return r
}

// Each control is a test case: a failure lists its findings, an unknown is
// an error, a control that does not apply or whose failures are all
// waived is skipped; a JUnit reader counts them so.
func TestJUnitCases(t *testing.T) {
	out := writeJUnit(t, hostileReport())
	suites, err := junit.Ingest(out)
	if err != nil {
		t.Fatalf("a JUnit reader refuses the report: %v\n%s", err, out)
	}
	if len(suites) != 1 {
		t.Fatalf("%d suites", len(suites))
	}
	s := suites[0]
	if s.Totals.Tests != 5 || s.Totals.Failed != 2 || s.Totals.Error != 1 || s.Totals.Skipped != 2 || s.Totals.Passed != 0 {
		t.Errorf("totals %+v, want 5 tests: 2 failed, 1 error, 2 skipped", s.Totals)
	}
	want := map[string]junit.Status{
		"WI-K8S-002 Service account has a binding": junit.StatusFailed,
		"WI-AWS-003 Trust":                         junit.StatusError,
		"WI-K8S-013 Settings":                      junit.StatusFailed,
		"ACME-001 House rule":                      junit.StatusSkipped,
		"WI-AZ-001 Azure":                          junit.StatusSkipped,
	}
	for _, tc := range s.Tests {
		if tc.Status != want[tc.Name] {
			t.Errorf("%q: %s, want %s", tc.Name, tc.Status, want[tc.Name])
		}
		switch tc.Name {
		case "WI-K8S-002 Service account has a binding":
			if tc.Classname != "wiscan.k8s" || tc.Message != "1 high finding" || tc.Error == nil || tc.Error.Error() != "mxp-1-system ServiceAccount/mxp controller#? (sa dir/sa.yaml:7): no binding\n" {
				t.Errorf("failure %+v", tc)
			}
		case "ACME-001 House rule":
			if tc.Message != "1 finding waived" || !strings.Contains(tc.SystemOut, "agreed with the house 2027-01-01, waivers.yaml:4") {
				t.Errorf("waived case %+v", tc)
			}
		case "WI-AZ-001 Azure":
			if tc.Message != "not applicable: no control plane uses Azure" {
				t.Errorf("skipped case %+v", tc)
			}
		}
	}
}

// Debian's xmllint finds the report well formed, hostile text and all.
func TestJUnitWellFormed(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is not installed (Debian's libxml2-utils; .ci/run installs it): %v", err)
	}
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(p, writeJUnit(t, hostileReport()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(context.Background(), xmllint, "--noout", p).CombinedOutput(); err != nil { //nolint:gosec // G204: Debian's xmllint on the test's own file
		t.Errorf("xmllint: %v\n%s", err, out)
	}
}

// Direction overrides and invisible format characters in a finding's text
// are escaped, as the table escapes them: a CI page cannot show a name
// reordered or a word hidden.
func TestJUnitEscapesFormatCharacters(t *testing.T) {
	r := hostileReport()
	for i := range r.Findings {
		if r.Findings[i].ControlID == "WI-K8S-013" {
			r.Findings[i].Message = "value gpj.\u202eexe and a zero\u200bwidth space"
		}
	}
	out := string(writeJUnit(t, r))
	if strings.ContainsAny(out, "\u202e\u200b") {
		t.Fatalf("a format character reached the report:\n%s", out)
	}
	if !strings.Contains(out, `value gpj.\u202eexe and a zero\u200bwidth space`) {
		t.Errorf("the escaped text is missing:\n%s", out)
	}
}

// With --fail-on, a control below the gate is a passing case whose output
// says what it found: the CI page fails what the gate fails.
func TestJUnitFollowsTheGate(t *testing.T) {
	var b bytes.Buffer
	if err := (JUnit{W: &b, FailOn: High}).Write(context.Background(), hostileReport()); err != nil {
		t.Fatal(err)
	}
	suites, err := junit.Ingest(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s := suites[0]
	if s.Totals.Failed != 1 || s.Totals.Error != 1 || s.Totals.Passed != 1 {
		t.Errorf("totals %+v, want the high failure failed, the critical unknown an error, the medium one passed", s.Totals)
	}
	for _, tc := range s.Tests {
		if tc.Name == "WI-K8S-013 Settings" && (tc.Status != junit.StatusPassed || !strings.Contains(tc.SystemOut, "1 medium finding below --fail-on high, reported and not failed:")) {
			t.Errorf("below the gate: %+v", tc)
		}
	}
	b.Reset()
	if err := (JUnit{W: &b, FailOn: None}).Write(context.Background(), hostileReport()); err != nil {
		t.Fatal(err)
	}
	if suites, _ := junit.Ingest(b.Bytes()); suites[0].Totals.Failed != 0 || suites[0].Totals.Error != 0 {
		t.Errorf("--fail-on none: totals %+v", suites[0].Totals)
	}
}
