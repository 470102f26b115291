package report

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Table writes a report for people: a header, then one block per finding,
// most severe first (then by namespace): a line with the severity, the
// control and where, the message wrapped to the width, and for a failure a
// short fix. Unknown results with the same message are folded into one
// block. Colour is for terminals only; the full text is in the JSON.
type Table struct {
	W             io.Writer
	Color         bool
	FailOn        Severity
	FailOnUnknown bool
	// Width is the terminal's width; 0 writes lines whole.
	Width int
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

// indent is where a block's text starts: after the severity and control.
const indent = 22

// Write implements Writer.
func (t Table) Write(_ context.Context, r Report) error {
	var b strings.Builder
	for _, l := range t.wrap(t.heading(r), 0) {
		t.line(&b, "", l)
	}
	blocks := t.blocks(r.Findings)
	if len(blocks) > 0 {
		b.WriteString("\n")
		t.line(&b, "", t.paint(bold, fmt.Sprintf("%-8s  %-10s  %s", "SEVERITY", "CONTROL", "WHERE, WHAT AND FIX")))
	}
	for _, bl := range blocks {
		pad := strings.Repeat(" ", indent)
		for i, l := range t.wrap(Clean(bl.where), indent) {
			if i == 0 {
				t.line(&b, "", t.label(bl.first)+"  "+fmt.Sprintf("%-10s", Clean(bl.control))+"  "+l)
				continue
			}
			t.line(&b, pad, l)
		}
		if bl.resource != "" {
			for _, l := range t.wrap(Clean(bl.resource), indent) {
				t.line(&b, pad, l)
			}
		}
		for _, l := range t.wrap(Clean(bl.first.Message), indent) {
			t.line(&b, pad, l)
		}
		if bl.fix != "" {
			// A command wraps, never is cut: every word of it is shown.
			for _, l := range t.wrap("fix: "+Clean(bl.fix), indent) {
				t.line(&b, pad, t.paint(dim, l))
			}
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		for i, l := range t.wrap("note: "+Clean(n), 0) {
			if i > 0 {
				l = "      " + l
			}
			t.line(&b, "", l)
		}
	}
	b.WriteString("\n")
	for _, l := range t.wrap(t.summary(r), 0) {
		t.line(&b, "", t.paint(bold, l))
	}
	_, err := io.WriteString(t.W, b.String())
	return err
}

func (t Table) line(b *strings.Builder, prefix, s string) {
	b.WriteString(prefix)
	b.WriteString(s)
	b.WriteString("\n")
}

// source names where the report's data came from.
func source(r Report) string {
	switch {
	case r.Source.Evidence != "":
		return "evidence " + r.Source.Evidence
	case r.Source.Context != "":
		return "cluster " + r.Source.Context
	case r.Source.Server != "":
		return "cluster " + r.Source.Server
	}
	return r.Source.Mode
}

func (t Table) heading(r Report) string {
	src := source(r)
	var profiles []string
	for _, p := range r.Profiles {
		profiles = append(profiles, fmt.Sprintf("%s (%d %s)", p.Name, p.Targets, Plural(p.Targets, "namespace")))
	}
	return fmt.Sprintf("wiscan %s · %s · profile %s", r.Tool.Version, Clean(src), Clean(strings.Join(profiles, ", ")))
}

// block is one finding, or unknown results folded together.
type block struct {
	first   Finding
	control string
	// where is the namespace (or, cluster-wide, the resource); resource
	// the resource under its namespace.
	where, resource string
	fix             string
}

// inTableOrder orders findings as the table shows them: failures by
// severity, then unknowns by the severity they would have; then
// namespace, control and resource. The Markdown summary shares it.
func inTableOrder(fs []Finding) []Finding {
	sorted := append([]Finding(nil), fs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if ga, gb := group(a), group(b); ga != gb {
			return ga < gb
		}
		if ra, rb := weight(a), weight(b); ra != rb {
			return ra > rb
		}
		if a.Resource.Namespace != b.Resource.Namespace {
			return a.Resource.Namespace < b.Resource.Namespace
		}
		if a.ControlID != b.ControlID {
			return a.ControlID < b.ControlID
		}
		return a.Resource.String() < b.Resource.String()
	})
	return sorted
}

// blocks orders the findings (inTableOrder) and folds unknowns that say
// the same thing.
func (t Table) blocks(fs []Finding) []block {
	sorted := inTableOrder(fs)
	var out []block
	folded := map[string]int{}
	members := map[int][]Finding{}
	for _, f := range sorted {
		if f.Status == Unknown && f.Waiver == nil {
			if i, ok := folded[f.Message]; ok {
				members[i] = append(members[i], f)
				continue
			}
			folded[f.Message] = len(out)
		}
		members[len(out)] = []Finding{f}
		w, res := f.Resource.Namespace, where(f.Resource)
		if w == "" || f.Resource.Kind == "Namespace" {
			w, res = res, ""
		}
		out = append(out, block{first: f, control: f.ControlID, where: w, resource: res, fix: fixLine(f)})
	}
	for i := range out {
		fs := members[i]
		if len(fs) < 2 {
			continue
		}
		controls, resources := distinct(fs, func(f Finding) string { return f.ControlID }), distinct(fs, func(f Finding) string { return where(f.Resource) })
		sort.Strings(controls)
		out[i].control = controls[0]
		var parts []string
		if len(controls) > 1 {
			parts = append(parts, fmt.Sprintf("and %d more controls: %s", len(controls)-1, strings.Join(controls[1:], ", ")))
		}
		if len(resources) == 1 {
			parts = append(parts, resources[0])
		} else {
			parts = append(parts, fmt.Sprintf("%d resources", len(resources)))
		}
		out[i].where, out[i].resource = strings.Join(parts, " · "), ""
	}
	return out
}

// group puts failures first, then unknowns, then what waivers accept.
func group(f Finding) int {
	switch {
	case f.Waiver != nil:
		return 2
	case f.Status == Unknown:
		return 1
	}
	return 0
}

// weight ranks a finding: a failure by its severity, an unknown by the
// severity it would have.
func weight(f Finding) int {
	if f.Status == Unknown {
		return f.WouldBe.Rank()
	}
	return f.Severity.Rank()
}

func distinct(fs []Finding, key func(Finding) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if k := key(f); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// fixLine is a failure's fix in one line: the command the policy gives,
// else the first sentence of the remediation.
func fixLine(f Finding) string {
	if w := f.Waiver; w != nil {
		if w.Expires == "" {
			return "accepted by the baseline " + w.Source
		}
		return fmt.Sprintf("waived until %s (%s): %s", w.Expires, w.Source, w.Reason)
	}
	if f.Status != Fail {
		return ""
	}
	if f.Fix != nil && f.Fix.Command != "" {
		return f.Fix.Command
	}
	rem := strings.TrimSpace(f.Remediation)
	if i := strings.Index(rem, ". "); i > 0 {
		rem = rem[:i+1]
	}
	return rem
}

func (t Table) paint(code, s string) string {
	if !t.Color || code == "" {
		return s
	}
	return code + s + reset
}

func (t Table) label(f Finding) string {
	if f.Waiver != nil {
		return t.paint(dim, "WAIVED  ")
	}
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

// wrap breaks s into lines that fit the width after used columns, at
// spaces where it can; a word longer than a line goes on over the next
// lines: nothing is left out, so a command or a name is whole.
func (t Table) wrap(s string, used int) []string {
	room := t.Width - used
	if t.Width <= 0 || room < 10 {
		return []string{s}
	}
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		w := []rune(word)
		for len(w) > room {
			if len(cur) > 0 {
				lines = append(lines, string(cur))
				cur = nil
			}
			lines = append(lines, string(w[:room]))
			w = w[room:]
		}
		switch {
		case len(cur) == 0:
			cur = w
		case len(cur)+1+len(w) <= room:
			cur = append(append(cur, ' '), w...)
		default:
			lines = append(lines, string(cur))
			cur = w
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		lines = append(lines, string(cur))
	}
	return lines
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
	line := fmt.Sprintf("%d %s", failed, Plural(failed, "finding"))
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	c := r.Summary.Controls
	line += fmt.Sprintf(", %d unknown", r.Summary.Unknown)
	if r.Summary.Waived > 0 {
		line += fmt.Sprintf(", %d waived", r.Summary.Waived)
	}
	line += fmt.Sprintf(" · controls: %d passed, %d failed, %d unknown, %d not applicable", c[Pass], c[Fail], c[Unknown], c[NotApplicable])
	line += fmt.Sprintf(" · %d %s", r.Summary.Namespaces, Plural(r.Summary.Namespaces, "namespace"))
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
	return line
}

// Plural is word, with an s unless n is 1.
func Plural(n int, word string) string {
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
