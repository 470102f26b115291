package report

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wiscan/wiscan/snapshot"
)

// Lines fit the width, and nothing is left out: joined again, the lines
// give every word (a long one split over lines) in order.
func TestWrap(t *testing.T) {
	tb := Table{Width: 30}
	const s = "a message long enough to need three lines at this width, with averyveryveryverylongwordthatmustbecut"
	lines := tb.wrap(s, 10)
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 20 {
			t.Errorf("line %q is %d wide, room 20", l, n)
		}
	}
	if got := strings.Replace(strings.Join(lines, " "), "averyveryveryverylon gwordthatmustbecut", "averyveryveryverylongwordthatmustbecut", 1); got != s {
		t.Errorf("wrapped text loses words: %q", lines)
	}
	if got := (Table{}).wrap("whole line", 0); len(got) != 1 || got[0] != "whole line" {
		t.Errorf("no width: %q", got)
	}
}

// Failures come first by severity, unknowns after them by the severity
// they would have; unknowns saying the same are one block.
func TestBlocks(t *testing.T) {
	fs := []Finding{
		{ControlID: "WI-B", Status: Unknown, WouldBe: Critical, Message: "no AWS data", Resource: Resource{Kind: "IAMRole", Name: "r"}},
		{ControlID: "WI-A", Status: Unknown, WouldBe: High, Message: "no AWS data", Resource: Resource{Kind: "IAMRole", Name: "r"}},
		{ControlID: "WI-C", Status: Fail, Severity: Medium, Message: "m", Resource: Resource{Kind: "Pod", Namespace: "ns", Name: "p"}, Remediation: "Do this. Then that."},
		{ControlID: "WI-D", Status: Fail, Severity: Critical, Message: "c", Resource: Resource{Kind: "Secret", Namespace: "ns", Name: "s"}, Fix: &Fix{Action: Restart, Kind: "Deployment", Namespace: "ns", Name: "d", Command: "kubectl delete secret s"}},
	}
	bs := Table{}.blocks(fs)
	if len(bs) != 3 {
		t.Fatalf("%d blocks, want 3", len(bs))
	}
	if bs[0].control != "WI-D" || bs[1].control != "WI-C" || bs[2].control != "WI-A" {
		t.Errorf("order %s, %s, %s", bs[0].control, bs[1].control, bs[2].control)
	}
	if bs[0].fix != "kubectl delete secret s" || bs[1].fix != "Do this." || bs[2].fix != "" {
		t.Errorf("fixes %q, %q, %q", bs[0].fix, bs[1].fix, bs[2].fix)
	}
	if bs[2].where != "and 1 more controls: WI-B · IAMRole/r" {
		t.Errorf("folded block says %q", bs[2].where)
	}
	var b strings.Builder
	if err := (Table{W: &b}).Write(context.Background(), Report{Findings: fs}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "UNKNOWN") != 1 {
		t.Errorf("unknowns not folded:\n%s", b.String())
	}
}

// The whole table for a small report, at a narrow width and with none:
// header, blocks, wrapping, cutting, the fix line, notes and the summary.
func TestTableExact(t *testing.T) {
	r := Report{
		Tool:     Tool{Name: "wiscan", Version: "v1"},
		Source:   snapshot.Source{Mode: "evidence", Evidence: "bundle"},
		Profiles: []ProfileSummary{{Name: "p", Targets: 1}},
		Findings: []Finding{
			{ControlID: "WI-X-001", Status: Fail, Severity: High, Message: "the service account has no binding at all", Resource: Resource{Kind: "ServiceAccount", Namespace: "ns", Name: "sa", File: "sa.yaml", Line: 3}, Remediation: "Bind it. Then restart."},
			{ControlID: "WI-X-002", Status: Unknown, WouldBe: Critical, Message: "no AWS data", Resource: Resource{Kind: "IAMRole", Name: "r"}},
		},
		Notes:   []string{"profile q matched no namespaces"},
		Summary: Summary{Controls: map[Status]int{Pass: 1, Fail: 1, Unknown: 1, NotApplicable: 2}, Findings: map[Severity]int{High: 1}, Unknown: 1, Namespaces: 1},
	}
	want := map[int]string{
		0: `wiscan v1 · evidence bundle · profile p (1 namespace)

SEVERITY  CONTROL     WHERE, WHAT AND FIX
HIGH      WI-X-001    ns
                      ServiceAccount/sa (sa.yaml:3)
                      the service account has no binding at all
                      fix: Bind it.
UNKNOWN   WI-X-002    IAMRole/r
                      no AWS data

note: profile q matched no namespaces

1 finding (1 high), 1 unknown · controls: 1 passed, 1 failed, 1 unknown, 2 not applicable · 1 namespace · FAIL (findings at or above high)
`,
		40: `wiscan v1 · evidence bundle · profile p
(1 namespace)

SEVERITY  CONTROL     WHERE, WHAT AND FIX
HIGH      WI-X-001    ns
                      ServiceAccount/sa
                      (sa.yaml:3)
                      the service
                      account has no
                      binding at all
                      fix: Bind it.
UNKNOWN   WI-X-002    IAMRole/r
                      no AWS data

note: profile q matched no namespaces

1 finding (1 high), 1 unknown ·
controls: 1 passed, 1 failed, 1 unknown,
2 not applicable · 1 namespace · FAIL
(findings at or above high)
`,
	}
	for width, w := range want {
		var b strings.Builder
		if err := (Table{W: &b, Width: width, FailOn: High, FailOnUnknown: true}).Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if b.String() != w {
			t.Errorf("width %d:\n%s\nwant:\n%s", width, b.String(), w)
		}
	}
	// Unknowns only: the gate says incomplete; nothing at all: pass.
	r.Findings = r.Findings[1:]
	if got := r.ExitCode(High, true); got != ExitIncomplete {
		t.Errorf("exit %d with an unknown critical, want %d", got, ExitIncomplete)
	}
	if got := r.ExitCode(High, false); got != ExitPass {
		t.Errorf("exit %d with unknowns accepted, want %d", got, ExitPass)
	}
	if got := r.ExitCode(Critical, true); got != ExitIncomplete {
		t.Errorf("exit %d at critical, want %d", got, ExitIncomplete)
	}
	r.Findings[0].WouldBe = Medium
	if got := r.ExitCode(High, true); got != ExitPass {
		t.Errorf("exit %d with an unknown below fail-on, want %d", got, ExitPass)
	}
}
