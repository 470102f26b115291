package report

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Table writes a report for people: findings grouped by namespace (control
// plane), then a one-line summary. Colour is for terminals only.
type Table struct {
	W             io.Writer
	Color         bool
	FailOn        Severity
	FailOnUnknown bool
}

const (
	reset  = "\x1b[0m"
	bold   = "\x1b[1m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	purple = "\x1b[35m"
	dim    = "\x1b[2m"
)

var severityColor = map[Severity]string{Critical: bold + red, High: red, Medium: yellow, Low: cyan, Info: dim}

// Write implements Writer.
func (t Table) Write(_ context.Context, r Report) error {
	var b strings.Builder
	t.header(&b, r)
	groups, order := group(r.Findings)
	for _, ns := range order {
		title := ns
		if ns == "" {
			title = "(cluster-wide and cloud)"
		}
		fmt.Fprintf(&b, "\n%s\n", t.paint(bold, Clean(title)))
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, f := range groups[ns] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.label(f), Clean(f.ControlID), Clean(where(f.Resource)), Clean(f.Message))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", Clean(n))
	}
	fmt.Fprintf(&b, "\n%s\n", t.summary(r))
	_, err := io.WriteString(t.W, b.String())
	return err
}

func (t Table) header(b *strings.Builder, r Report) {
	src := r.Source.Mode
	switch {
	case r.Source.Evidence != "":
		src = "evidence " + r.Source.Evidence
	case r.Source.Context != "":
		src = "cluster " + r.Source.Context
	case r.Source.Server != "":
		src = "cluster " + r.Source.Server
	}
	var profiles []string
	for _, p := range r.Profiles {
		profiles = append(profiles, fmt.Sprintf("%s (%d %s)", p.Name, p.Targets, plural(p.Targets, "namespace")))
	}
	fmt.Fprintf(b, "wiscan %s · %s · profile %s\n", r.Tool.Version, Clean(src), Clean(strings.Join(profiles, ", ")))
}

func (t Table) paint(code, s string) string {
	if !t.Color || code == "" {
		return s
	}
	return code + s + reset
}

func (t Table) label(f Finding) string {
	if f.Status == Unknown {
		return t.paint(purple, "UNKNOWN ")
	}
	return t.paint(severityColor[f.Severity], fmt.Sprintf("%-8s", strings.ToUpper(string(f.Severity))))
}

// where renders a resource with its evidence location.
func where(r Resource) string {
	s := r.Kind + "/" + r.Name
	if r.File != "" {
		s += fmt.Sprintf(" (%s:%d)", r.File, r.Line)
	}
	return s
}

func group(fs []Finding) (map[string][]Finding, []string) {
	groups := map[string][]Finding{}
	for _, f := range fs {
		groups[f.Resource.Namespace] = append(groups[f.Resource.Namespace], f)
	}
	order := make([]string, 0, len(groups))
	for ns := range groups {
		order = append(order, ns)
	}
	sort.Strings(order)
	return groups, order
}

func (t Table) summary(r Report) string {
	failed := 0
	var parts []string
	for _, s := range []Severity{Critical, High, Medium, Low, Info} {
		if n := r.Summary.Findings[s]; n > 0 {
			failed += n
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	line := fmt.Sprintf("%d %s", failed, plural(failed, "finding"))
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	c := r.Summary.Controls
	line += fmt.Sprintf(", %d unknown · controls: %d passed, %d failed, %d unknown, %d not applicable", r.Summary.Unknown, c[Pass], c[Fail], c[Unknown], c[NotApplicable])
	line += fmt.Sprintf(" · %d %s", r.Summary.Namespaces, plural(r.Summary.Namespaces, "namespace"))
	if t.FailOn != "" && t.FailOn != None {
		switch r.ExitCode(t.FailOn, t.FailOnUnknown) {
		case ExitFindings:
			line += fmt.Sprintf(" · FAIL (findings at or above %s)", t.FailOn)
		case ExitIncomplete:
			line += fmt.Sprintf(" · INCOMPLETE (unknown results at or above %s)", t.FailOn)
		default:
			line += fmt.Sprintf(" · PASS (nothing at or above %s)", t.FailOn)
		}
	}
	return t.paint(bold, line)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Clean makes text from the cluster or the evidence safe for a terminal:
// a string with a control or formatting character (ESC, CR, OSC, a
// bidirectional override, ...) is shown escaped the way %q would, so that a
// hostile name cannot rewrite or hide lines. Other text is unchanged.
func Clean(s string) string {
	for _, r := range s {
		if r != ' ' && !unicode.IsPrint(r) {
			q := strconv.Quote(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}
