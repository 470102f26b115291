// Package report holds the result model of a scan and the writers that
// render it: table, JSON, SARIF, JUnit, Markdown and Prometheus metrics.
package report

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

// SchemaVersion names the JSON report format.
const SchemaVersion = "wiscan.io/report/v1alpha5"

// Severity is a finding's weight.
type Severity string

// Severities, lowest first.
const (
	Info     Severity = "info"
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
	// None, as a --fail-on threshold, never fails.
	None Severity = "none"
)

var rank = map[Severity]int{Info: 1, Low: 2, Medium: 3, High: 4, Critical: 5, None: 6}

// Rank orders severities; unknown ones rank 0.
func (s Severity) Rank() int { return rank[s] }

// ParseSeverity checks a severity name.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := rank[v]; !ok {
		return "", fmt.Errorf("severity %q: want one of info, low, medium, high, critical, none", s)
	}
	return v, nil
}

// Status is the outcome of a finding or a control.
type Status string

// Statuses.
const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Unknown       Status = "unknown"
	NotApplicable Status = "not_applicable"
)

// Control describes one check from its policy metadata.
type Control struct {
	ID               string   `json:"id"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Severity         Severity `json:"severity"`
	Remediation      string   `json:"remediation"`
	RelatedResources []string `json:"relatedResources,omitempty"`
	// Package is the Rego package that implements it.
	Package string `json:"package"`
	// Builtin is false for user policies.
	Builtin bool `json:"builtin"`
}

// Resource is the object a finding is about.
type Resource struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// File and Line locate the object in evidence mode.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// String renders kind/namespace/name.
func (r Resource) String() string {
	s := r.Kind + "/"
	if r.Namespace != "" && r.Kind != "Namespace" {
		s += r.Namespace + "/"
	}
	return s + r.Name
}

// Finding is one failed or unknown result of a control. An unknown has
// no severity of its own: WouldBe is the severity it would have if it
// failed, and its remediation says how to get the missing data.
type Finding struct {
	ControlID string   `json:"controlId"`
	Status    Status   `json:"status"`
	Severity  Severity `json:"severity,omitempty"`
	WouldBe   Severity `json:"wouldBe,omitempty"`
	// Key is the finding's stable identity (FindingKey), and Fingerprint
	// its hash: the same problem on the same resource keeps them from scan
	// to scan and version to version, whatever the message says.
	Key         string `json:"key"`
	Fingerprint string `json:"fingerprint"`
	// Formerly are the keys an earlier release gave the same problem
	// (0.1.0 split WI-AWS-006 by control plane and moved WI-K8S-005 from
	// the pod to its workload): waivers and baselines that use them still
	// match, and WI-SCAN-002 names the key to write instead. Read for
	// this release only.
	Formerly []string `json:"formerly,omitempty"`
	// Cloud is the cloud the finding is about, "" for none.
	Cloud       string   `json:"cloud,omitempty"`
	Title       string   `json:"title"`
	Message     string   `json:"message"`
	Resource    Resource `json:"resource"`
	Profile     string   `json:"profile,omitempty"`
	Evidence    any      `json:"evidence,omitempty"`
	Remediation string   `json:"remediation"`
	Fix         *Fix     `json:"fix,omitempty"`
	// Waiver, when set, accepts the finding: it stays in the report and
	// leaves the exit code alone.
	Waiver *Waiver `json:"waiver,omitempty"`
}

// Waiver says why a finding is accepted, until when, and where that is
// written: a waivers file's line, or a baseline report.
type Waiver struct {
	Reason string `json:"reason"`
	// Expires is the first day the waiver no longer holds (YYYY-MM-DD);
	// empty for a baseline's.
	Expires string `json:"expires,omitempty"`
	Owner   string `json:"owner,omitempty"`
	Source  string `json:"source"`
}

// ControlResult is a control and its outcome in this scan: pass, fail,
// unknown, or not applicable with the reason.
type ControlResult struct {
	Control
	Status  Status `json:"status"`
	Failed  int    `json:"failed"`
	Unknown int    `json:"unknown"`
	// Waived counts the findings waivers accept; a control whose every
	// failure is waived still fails, its failures accepted (and one whose
	// unknowns are waived stays unknown).
	Waived int `json:"waived,omitempty"`
	// Reason says why a control does not apply.
	Reason string `json:"reason,omitempty"`
}

// UnknownRemediation is the remediation of every unknown result: what is
// missing is data, not a fix of the setup.
const UnknownRemediation = "wiscan could not read what this control needs (the message names it): grant read access to it, add it to the evidence, or pass the flag the message names, and scan again."

// ProfileSummary is a profile in force and how many namespaces it matched.
type ProfileSummary struct {
	Name    string `json:"name"`
	Targets int    `json:"targets"`
	// Namespaces are the target namespaces, sorted.
	Namespaces []string `json:"namespaces"`
}

// Tool names the scanner.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts the outcome.
type Summary struct {
	Controls map[Status]int   `json:"controls"`
	Findings map[Severity]int `json:"findings"`
	Unknown  int              `json:"unknown"`
	// Waived counts the findings waivers accept, which Findings and
	// Unknown leave out.
	Waived     int `json:"waived,omitempty"`
	Namespaces int `json:"namespaces"`
}

// Report is the result of one scan.
type Report struct {
	SchemaVersion string           `json:"schemaVersion"`
	Tool          Tool             `json:"tool"`
	GeneratedAt   time.Time        `json:"generatedAt"`
	Source        snapshot.Source  `json:"source"`
	Profiles      []ProfileSummary `json:"profiles"`
	Summary       Summary          `json:"summary"`
	Controls      []ControlResult  `json:"controls"`
	Findings      []Finding        `json:"findings"`
	// Notes are things the reader should know that are not findings.
	Notes []string `json:"notes,omitempty"`
	// Undelivered names the outputs that could not be delivered before
	// this one was written (policyreport, when applying them failed).
	Undelivered []string `json:"undelivered,omitempty"`
}

// Writer renders a report.
type Writer interface {
	Write(ctx context.Context, r Report) error
}

// New assembles a report: it sorts the findings, derives each control's
// status (not applicable where notApplicable gives a reason and nothing
// was found) and counts the summary.
func New(tool Tool, now time.Time, s *snapshot.Snapshot, controls []Control, findings []Finding, notApplicable map[string]string) Report {
	r := Report{
		SchemaVersion: SchemaVersion,
		Tool:          tool,
		GeneratedAt:   now.UTC(),
		Source:        s.Source,
		Findings:      findings,
		Profiles:      []ProfileSummary{},
		Controls:      []ControlResult{},
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	namespaces := map[string]bool{}
	for _, p := range s.Profiles {
		r.Profiles = append(r.Profiles, ProfileSummary{Name: p.Name, Targets: len(p.Targets), Namespaces: slices.Sorted(slices.Values(append([]string{}, p.Targets...)))})
		for _, ns := range p.Targets {
			namespaces[ns] = true
		}
		if len(p.Targets) == 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("profile %s matched no namespaces", p.Name))
		}
	}
	Sort(r.Findings)
	r.Summary = Summary{Controls: map[Status]int{}, Findings: map[Severity]int{}, Namespaces: len(namespaces)}
	byControl := map[string]*ControlResult{}
	for _, c := range controls {
		r.Controls = append(r.Controls, ControlResult{Control: c, Status: Pass})
	}
	for i := range r.Controls {
		byControl[r.Controls[i].ID] = &r.Controls[i]
	}
	waivedFail := map[string]bool{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Status == Unknown && f.Severity != "" {
			f.WouldBe, f.Severity, f.Remediation = f.Severity, "", UnknownRemediation
		}
		c := byControl[f.ControlID]
		if f.Waiver != nil {
			r.Summary.Waived++
			if c != nil {
				c.Waived++
				waivedFail[c.ID] = waivedFail[c.ID] || f.Status == Fail
			}
			continue
		}
		if f.Status == Fail {
			r.Summary.Findings[f.Severity]++
			if c != nil {
				c.Failed++
			}
		} else {
			r.Summary.Unknown++
			if c != nil {
				c.Unknown++
			}
		}
	}
	for i := range r.Controls {
		c := &r.Controls[i]
		switch {
		case c.Failed > 0 || waivedFail[c.ID]:
			c.Status = Fail
		case c.Unknown > 0 || c.Waived > 0:
			c.Status = Unknown
		case notApplicable[c.ID] != "":
			c.Status, c.Reason = NotApplicable, notApplicable[c.ID]
		case len(namespaces) == 0 && !strings.HasPrefix(c.ID, "WI-SCAN-"):
			c.Status, c.Reason = NotApplicable, "no namespace matched the profiles"
		}
		r.Summary.Controls[c.Status]++
	}
	return r
}

// allControls are the report's controls, and one made from the findings
// of each control the report does not list, with their counts: the writers
// that give every finding its control (a SARIF rule, a JUnit test case)
// lose none.
func (r Report) allControls() []ControlResult {
	cs := append([]ControlResult(nil), r.Controls...)
	listed := map[string]bool{}
	for _, c := range cs {
		listed[c.ID] = true
	}
	extra := map[string]int{}
	for _, f := range r.Findings {
		if listed[f.ControlID] {
			continue
		}
		i, ok := extra[f.ControlID]
		if !ok {
			i = len(cs)
			extra[f.ControlID] = i
			sev := f.Severity
			if sev == "" {
				sev = f.WouldBe
			}
			cs = append(cs, ControlResult{Control: Control{ID: f.ControlID, Title: f.Title, Severity: sev, Remediation: f.Remediation}})
		}
		c := &cs[i]
		switch {
		case f.Waiver != nil:
			c.Waived++
		case f.Status == Unknown:
			c.Unknown++
		default:
			c.Failed++
		}
	}
	return cs
}

// Exit codes of a scan.
const (
	ExitPass       = 0
	ExitFindings   = 1
	ExitIncomplete = 3
)

// ExitCode is 1 when a failed finding is at or above failOn; else, with
// failOnUnknown, 3 when an unknown would be at or above it if it failed
// (the scan could not verify what it must); else 0. Waived findings do
// not count.
func (r Report) ExitCode(failOn Severity, failOnUnknown bool) int {
	unknown := false
	for _, f := range r.Findings {
		switch {
		case f.Waiver != nil:
		case f.Status == Fail && f.Severity.Rank() >= failOn.Rank():
			return ExitFindings
		case f.Status == Unknown && f.WouldBe.Rank() >= failOn.Rank():
			unknown = true
		}
	}
	if unknown && failOnUnknown {
		return ExitIncomplete
	}
	return ExitPass
}

// Sort orders findings by namespace, then severity (highest first), then
// control, resource and message.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Resource.Namespace != b.Resource.Namespace {
			return a.Resource.Namespace < b.Resource.Namespace
		}
		if a.Status != b.Status {
			return a.Status == Fail
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.WouldBe.Rank() != b.WouldBe.Rank() {
			return a.WouldBe.Rank() > b.WouldBe.Rank()
		}
		if a.ControlID != b.ControlID {
			return a.ControlID < b.ControlID
		}
		if a.Resource.String() != b.Resource.String() {
			return a.Resource.String() < b.Resource.String()
		}
		return a.Message < b.Message
	})
}

// JSON writes the report as indented JSON.
type JSON struct{ W io.Writer }
