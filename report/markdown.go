package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
)

// MaxMarkdownRows bounds each table of the Markdown summary: job summaries
// have a size limit, and a reader wants the first rows; the JSON report
// has every finding.
const MaxMarkdownRows = 500

// Markdown writes a summary for a CI job page (GitHub's
// GITHUB_STEP_SUMMARY, GitLab's and others' Markdown): the verdict, the
// counts, a table of failures, one of unknowns and one of waived findings.
// Every value from the cluster is escaped, so a name cannot add HTML, a
// link, an image or a table cell.
type Markdown struct {
	W io.Writer
	Options
}

// Write implements Writer.
func (m Markdown) Write(_ context.Context, r Report) error {
	var b strings.Builder
	b.WriteString("## wiscan: workload identity\n\n")
	fmt.Fprintf(&b, "**%s** · %s · wiscan %s\n\n", m.verdict(r), mdText(source(r)), mdText(r.Tool.Version))
	c := r.Summary.Controls
	fmt.Fprintf(&b, "| findings | unknown | waived | controls passed | failed | unknown | not applicable | namespaces |\n|---|---|---|---|---|---|---|---|\n")
	failed := 0
	for _, n := range r.Summary.Findings {
		failed += n
	}
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d |\n", failed, r.Summary.Unknown, r.Summary.Waived, c[Pass], c[Fail], c[Unknown], c[NotApplicable], r.Summary.Namespaces)

	var fails, unknowns, waived []Finding
	for _, f := range inTableOrder(r.Findings) {
		switch {
		case f.Waiver != nil:
			waived = append(waived, f)
		case f.Status == Unknown:
			unknowns = append(unknowns, f)
		default:
			fails = append(fails, f)
		}
	}
	mdTable(&b, "Findings", []string{"severity", "control", "namespace", "resource", "what is wrong", "fix"}, fails, func(f Finding) []string {
		return []string{string(f.Severity), f.ControlID, f.Resource.Namespace, where(f.Resource), f.Message, fixLine(f)}
	})
	mdTable(&b, "Unknown for want of data", []string{"would be", "control", "namespace", "resource", "what is missing"}, unknowns, func(f Finding) []string {
		return []string{string(f.WouldBe), f.ControlID, f.Resource.Namespace, where(f.Resource), f.Message}
	})
	mdTable(&b, "Waived", []string{"control", "namespace", "resource", "reason", "until", "by"}, waived, func(f Finding) []string {
		return []string{f.ControlID, f.Resource.Namespace, where(f.Resource), f.Waiver.Reason, cmp.Or(f.Waiver.Expires, "baseline"), f.Waiver.Source}
	})
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n> %s\n", mdText(n))
	}
	_, err := io.WriteString(m.W, b.String())
	return err
}

func (m Markdown) verdict(r Report) string {
	if m.FailOn == "" || m.FailOn == None {
		return "REPORT"
	}
	switch r.ExitCode(m.FailOn, m.FailOnUnknown) {
	case ExitFindings:
		return fmt.Sprintf("FAIL: findings at or above %s", m.FailOn)
	case ExitIncomplete:
		return fmt.Sprintf("INCOMPLETE: results at or above %s unknown", m.FailOn)
	}
	return fmt.Sprintf("PASS: nothing at or above %s", m.FailOn)
}

// mdTable writes a titled table of rows, at most MaxMarkdownRows, saying
// how many more there are; nothing when there are none.
func mdTable(b *strings.Builder, title string, head []string, fs []Finding, row func(Finding) []string) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s (%d)\n\n| %s |\n|%s\n", title, len(fs), strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for i, f := range fs {
		if i == MaxMarkdownRows {
			fmt.Fprintf(b, "\n…and %d more in the JSON report.\n", len(fs)-MaxMarkdownRows)
			break
		}
		cells := row(f)
		for j := range cells {
			cells[j] = mdText(cells[j])
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
}

// mdText makes a value inert in a Markdown table cell: every character
// that inline Markdown or HTML gives a meaning there is a backslash escape
// or an entity, ':', '@' and "www." are broken so that no autolink
// forms, line breaks are spaces, and control characters are quoted
// (Clean).
func mdText(s string) string {
	var b strings.Builder
	s = Clean(s)
	for i, r := range s {
		switch {
		case r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteString("\\.")
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '|':
			b.WriteString("\\|")
		case strings.ContainsRune("\\`*_[]!~:@", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
