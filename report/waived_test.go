package report

import (
	"testing"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

// A waived finding leaves the exit code and the severity counts alone and
// is counted apart; its control still fails, its failure accepted.
func TestWaivedFindings(t *testing.T) {
	s := snapshot.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	s.Profiles = []snapshot.Profile{{Name: "p", Targets: []string{"ns"}}}
	waived := &Waiver{Reason: "r", Expires: "2027-01-01", Source: "w.yaml:4"}
	fs := []Finding{
		{ControlID: "WI-A", Status: Fail, Severity: Critical, Waiver: waived},
		{ControlID: "WI-B", Status: Unknown, Severity: High, Waiver: waived},
		{ControlID: "WI-C", Status: Fail, Severity: Medium},
	}
	controls := []Control{{ID: "WI-A", Severity: Critical}, {ID: "WI-B", Severity: High}, {ID: "WI-C", Severity: Medium}}
	r := New(Tool{}, time.Now(), s, controls, fs, nil)
	if r.Summary.Waived != 2 || r.Summary.Findings[Critical] != 0 || r.Summary.Findings[Medium] != 1 || r.Summary.Unknown != 0 {
		t.Errorf("summary %+v", r.Summary)
	}
	for _, c := range r.Controls {
		want := map[string][3]int{"WI-A": {0, 0, 1}, "WI-B": {0, 0, 1}, "WI-C": {1, 0, 0}}[c.ID]
		status := map[string]Status{"WI-A": Fail, "WI-B": Unknown, "WI-C": Fail}[c.ID]
		if c.Status != status || [3]int{c.Failed, c.Unknown, c.Waived} != want {
			t.Errorf("%s: %s failed %d unknown %d waived %d, want %s %v", c.ID, c.Status, c.Failed, c.Unknown, c.Waived, status, want)
		}
	}
	if got := r.ExitCode(High, true); got != ExitPass {
		t.Errorf("exit at high: %d, want 0: the critical and the unknown high are waived", got)
	}
	if got := r.ExitCode(Medium, true); got != ExitFindings {
		t.Errorf("exit at medium: %d, want 1 for WI-C", got)
	}
}
