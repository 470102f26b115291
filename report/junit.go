package report

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit writes the report as JUnit XML, which CI systems show as tests:
// one test case per control. XML cannot carry control characters; the
// encoder writes U+FFFD in their place, so hostile names still give a
// document every reader accepts. A control that fails is a failure listing its
// findings; one left unknown for want of data is an error (the check could
// not run); one that does not apply, or whose only failures are waived, is
// skipped with the reason; one that passes is a plain test case. A
// control below --fail-on (FailOn) is reported in its case's output, not
// failed: a CI page then fails what the gate fails.
type JUnit struct {
	W      io.Writer
	FailOn Severity
}

// gated says a control's results count at the gate: FailOn unset counts
// every one.
func (j JUnit) gated(s Severity) bool { return j.FailOn == "" || s.Rank() >= j.FailOn.Rank() }

// junitCounts are the attributes a suite and the suites share.
type junitCounts struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	junitCounts
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// Write implements Writer.
func (j JUnit) Write(_ context.Context, r Report) error {
	byControl := map[string][]Finding{}
	for _, f := range r.Findings {
		byControl[f.ControlID] = append(byControl[f.ControlID], f)
	}
	suite := junitSuite{junitCounts: junitCounts{Name: "wiscan", Time: "0"}}
	if !r.GeneratedAt.IsZero() {
		suite.Timestamp = r.GeneratedAt.UTC().Format("2006-01-02T15:04:05")
	}
	for _, c := range r.allControls() {
		tc := junitCase{Name: Clean(c.ID + " " + c.Title), Classname: "wiscan." + area(c.ID), Time: "0"}
		fs := byControl[c.ID]
		var below []string
		switch {
		case c.Failed > 0 && !j.gated(c.Severity):
			below = append(below, fmt.Sprintf("%d %s %s below --fail-on %s, reported and not failed:\n%s", c.Failed, c.Severity, Plural(c.Failed, "finding"), j.FailOn,
				findingLines(fs, func(f Finding) bool { return f.Waiver == nil && f.Status == Fail })))
		case c.Failed > 0:
			sev := string(c.Severity)
			tc.Failure = &junitProblem{Message: fmt.Sprintf("%d %s %s", c.Failed, sev, Plural(c.Failed, "finding")), Type: sev, Text: findingLines(fs, func(f Finding) bool { return f.Waiver == nil && f.Status == Fail })}
			suite.Failures++
		case c.Unknown > 0 && !j.gated(c.Severity):
			below = append(below, fmt.Sprintf("%d %s unknown for want of data, below --fail-on %s:\n%s", c.Unknown, Plural(c.Unknown, "result"), j.FailOn,
				findingLines(fs, func(f Finding) bool { return f.Waiver == nil && f.Status == Unknown })))
		case c.Unknown > 0:
			tc.Error = &junitProblem{Message: fmt.Sprintf("%d %s unknown for want of data", c.Unknown, Plural(c.Unknown, "result")), Type: "unknown", Text: findingLines(fs, func(f Finding) bool { return f.Waiver == nil && f.Status == Unknown })}
			suite.Errors++
		case c.Status == NotApplicable:
			tc.Skipped = &junitSkipped{Message: Clean("not applicable: " + c.Reason)}
			suite.Skipped++
		case c.Waived > 0:
			tc.Skipped = &junitSkipped{Message: fmt.Sprintf("%d %s waived", c.Waived, Plural(c.Waived, "finding"))}
			suite.Skipped++
		}
		if waived := findingLines(fs, func(f Finding) bool { return f.Waiver != nil }); waived != "" {
			below = append(below, "waived:\n"+waived)
		}
		tc.SystemOut = strings.Join(below, "\n")
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	out := junitSuites{junitCounts: suite.junitCounts, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(j.W, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(j.W)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	if _, err := io.WriteString(j.W, "\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// area is a control's family, from its ID: WI-AWS-003 → aws.
func area(id string) string {
	parts := strings.Split(id, "-")
	if len(parts) < 3 {
		return "policy"
	}
	return strings.ToLower(strings.Join(parts[1:len(parts)-1], "-"))
}

// findingLines lists the findings keep selects, one per line: the
// resource with its evidence file and line, and the message.
func findingLines(fs []Finding, keep func(Finding) bool) string {
	var b strings.Builder
	for _, f := range fs {
		if !keep(f) {
			continue
		}
		line := where(f.Resource) + ": " + f.Message
		if f.Resource.Namespace != "" {
			line = f.Resource.Namespace + " " + line
		}
		if w := f.Waiver; w != nil {
			line += " (" + strings.TrimSpace(w.Reason+" "+w.Expires) + ", " + w.Source + ")"
		}
		// Escaped like the table: a direction override or an invisible
		// format character cannot reorder or hide what a CI page shows.
		b.WriteString(Clean(line))
		b.WriteString("\n")
	}
	return b.String()
}
