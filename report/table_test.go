package report

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapAndFit(t *testing.T) {
	tb := Table{Width: 30}
	for _, l := range tb.wrap("a message long enough to need three lines at this width, with averyveryveryverylongwordthatmustbecut", 10) {
		if n := utf8.RuneCountInString(l); n > 20 {
			t.Errorf("line %q is %d wide, room 20", l, n)
		}
	}
	if got := tb.fit("0123456789012345678901234567890123", 0); got != "01234567890123456789012345678…" {
		t.Errorf("fit: %q", got)
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
		{ControlID: "WI-D", Status: Fail, Severity: Critical, Message: "c", Resource: Resource{Kind: "Secret", Namespace: "ns", Name: "s"}, Fix: map[string]any{"command": "kubectl delete secret s"}},
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
