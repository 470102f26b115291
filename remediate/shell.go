package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wiscan/wiscan/report"
)

// ErrUnsafe marks a plan that cannot be written as a script: an argument
// holding a NUL byte, which no shell argument can carry.
var ErrUnsafe = errors.New("unsafe plan")

// quote makes one shell word of s, whatever it holds: as it is when every
// character is one the shell gives no meaning (letters, digits, and
// @%+:,./-_), else in single quotes, with each single quote closed,
// escaped and reopened.
func quote(s string) string {
	plain := s != ""
	for _, r := range s {
		plain = plain && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+:,./-_", r))
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// comment is s as one line of a comment: control characters, line breaks
// among them, are quoted (report.Clean), so nothing from a report can end
// the comment and start a command.
func comment(s string) string {
	return "# " + report.Clean(s)
}

// WriteShell writes the plan as a POSIX shell script to review and run:
// it shows each command before running it (set -x) and stops at the first
// that fails (set -e).
// from names the report the plan is made from.
func WriteShell(w io.Writer, p Plan, from string) error {
	var b strings.Builder
	byHand := 0
	for _, s := range p.Steps {
		if s.Args == nil {
			byHand++
		}
	}
	b.WriteString("#!/bin/sh\n")
	b.WriteString(comment("wiscan remediation plan for " + from))
	b.WriteString("\n# Read every step before running it: it changes the cluster (kubectl, the\n")
	b.WriteString("# current context) and the cloud (the aws, az or gcloud CLI, the current\n# credentials).\n")
	fmt.Fprintf(&b, "# %d %s, %d of them by hand or withheld (comments only); %d failed %s without a step; %d waived.\n",
		len(p.Steps), report.Plural(len(p.Steps), "step"), byHand, p.Skipped, report.Plural(p.Skipped, "finding"), p.Waived)
	for _, u := range p.Unplanned {
		b.WriteString(comment("Not planned: " + u.Finding + ": " + u.Reason))
		b.WriteString("\n")
	}
	b.WriteString("set -eux\n")
	for i, s := range p.Steps {
		if err := writeStep(&b, i, s); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeStep writes one step: its comments, then its command.
func writeStep(b *strings.Builder, i int, s Step) error {
	line := func(text string) {
		b.WriteString(comment(text))
		b.WriteString("\n")
	}
	how := ""
	switch {
	case s.Needs != "":
		how = ", withheld (needs " + s.Needs + ")"
	case s.Args == nil:
		how = ", by hand"
	}
	fmt.Fprintf(b, "\n%s\n", comment(fmt.Sprintf("Step %d%s: %s %s", i+1, how, s.Action, s.Object)))
	for _, why := range s.Why {
		line("  fixes " + why)
	}
	if s.Caution != "" {
		line("  " + s.Caution)
	}
	if s.Trust != nil {
		line(fmt.Sprintf("  the whole trust policy, %d of %d characters; what changes:", s.Trust.Size, s.Trust.Quota))
		for _, d := range strings.Split(strings.TrimRight(s.Trust.Diff, "\n"), "\n") {
			line("    " + d)
		}
	}
	if s.Args == nil {
		line("  " + s.ByHand)
		return nil
	}
	words := make([]string, len(s.Args))
	for j, a := range s.Args {
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("%w: step %d: an argument holds a NUL byte", ErrUnsafe, i+1)
		}
		words[j] = quote(a)
	}
	b.WriteString(strings.Join(words, " "))
	b.WriteString("\n")
	return nil
}

// planJSON is a plan as JSON: each step's command as its argument vector
// (never a shell line), or what to do by hand.
type planJSON struct {
	From      string      `json:"from"`
	Steps     []stepJSON  `json:"steps"`
	Skipped   int         `json:"skipped"`
	Waived    int         `json:"waived"`
	Unplanned []Unplanned `json:"unplanned"`
}

type stepJSON struct {
	Action   report.FixAction `json:"action"`
	Object   string           `json:"object"`
	Args     []string         `json:"args,omitempty"`
	ByHand   string           `json:"byHand,omitempty"`
	Caution  string           `json:"caution,omitempty"`
	Needs    string           `json:"needs,omitempty"`
	Patch    *Patch           `json:"patch,omitempty"`
	Trust    *TrustChange     `json:"trust,omitempty"`
	Helm     *Helm            `json:"helm,omitempty"`
	Fix      report.Fix       `json:"fix"`
	Findings []string         `json:"findings"`
	Why      []string         `json:"why"`
}

// WriteJSON writes the plan as JSON, for a program that applies or
// reviews it: the steps in order, each command as its argument vector.
func WriteJSON(w io.Writer, p Plan, from string) error {
	out := planJSON{From: from, Steps: []stepJSON{}, Skipped: p.Skipped, Waived: p.Waived, Unplanned: p.Unplanned}
	if out.Unplanned == nil {
		out.Unplanned = []Unplanned{}
	}
	for _, s := range p.Steps {
		out.Steps = append(out.Steps, stepJSON(s))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
