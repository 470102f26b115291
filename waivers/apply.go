package waivers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wiscan/wiscan/report"
)

// Apply marks each finding a waiver in force accepts, and returns
// WI-SCAN-002's findings about the waivers: one expired (its finding is no
// longer waived), one whose key names a control not among controls, and
// one that matches no finding (its problem is gone, or it names it wrong).
// A baseline's waivers are never reported: a baseline finding that is
// gone was fixed.
func Apply(findings []report.Finding, controls []report.Control, ws []Waiver, now time.Time) []report.Finding {
	known := map[string]bool{}
	for _, c := range controls {
		known[c.ID] = true
	}
	var health []report.Finding
	for _, w := range ws {
		if !w.Expires.IsZero() && !now.Before(w.Expires) {
			health = append(health, finding(w, "expired", fmt.Sprintf("waiver of %s expired on %s: its finding counts again", w.name(), w.Expires.Format(time.DateOnly))))
			continue
		}
		if id := w.control(); id != "" && !known[id] {
			health = append(health, finding(w, "unknown-control", fmt.Sprintf("waiver of %s names control %s, which wiscan does not have", w.name(), id)))
			continue
		}
		matched := false
		var renamed []string
		for i := range findings {
			f := &findings[i]
			switch {
			case f.Waiver != nil:
			case w.matches(*f):
				f.Waiver = w.marker()
				matched = true
			case w.matchesFormer(*f):
				f.Waiver = w.marker()
				matched = true
				renamed = append(renamed, f.Key)
			}
		}
		if len(renamed) > 0 {
			slices.Sort(renamed)
			instead := "write " + strings.Join(slices.Compact(renamed), ", ") + " instead"
			if w.baseline() {
				instead = "take the baseline again (it will hold " + strings.Join(slices.Compact(renamed), ", ") + ")"
			}
			health = append(health, finding(w, "renamed", fmt.Sprintf("%s names its findings by the key an earlier release gave them, which this release still reads and the next will not: %s", w.what(), instead)))
		}
		if !matched && !w.baseline() {
			health = append(health, finding(w, "unmatched", fmt.Sprintf("waiver of %s matches no finding: the problem is gone (fixed, or its resource removed) or the waiver names it wrong", w.name())))
		}
	}
	return health
}

// what names the waiver in a message: a waivers file's, or a baseline's
// entry.
func (w Waiver) what() string {
	if w.baseline() {
		return "baseline entry " + w.name()
	}
	return "waiver of " + w.name()
}

// matchesFormer says the waiver names a key the finding had in an earlier
// release.
func (w Waiver) matchesFormer(f report.Finding) bool {
	for _, k := range f.Formerly {
		if (w.Key != "" && w.Key == k) || (w.Fingerprint != "" && w.Fingerprint == report.Fingerprint(k)) {
			return true
		}
	}
	return false
}

// control is the control a key names; "" for a fingerprint.
func (w Waiver) control() string {
	id, _, _ := strings.Cut(w.Key, "|")
	return id
}

// baseline tells a baseline's waiver, which has no end.
func (w Waiver) baseline() bool { return w.Expires.IsZero() }

func (w Waiver) marker() *report.Waiver {
	m := &report.Waiver{Reason: w.Reason, Owner: w.Owner, Source: fmt.Sprintf("%s:%d", w.File, w.Line)}
	if w.baseline() {
		m.Source = w.File
	} else {
		m.Expires = w.Expires.Format(time.DateOnly)
	}
	return m
}

func finding(w Waiver, problem, msg string) report.Finding {
	res := report.Resource{Kind: "Waiver", Name: w.name(), File: w.File, Line: w.Line}
	key := report.FindingKey(ControlID, res, problem)
	ev := map[string]any{"reason": w.Reason, "expires": w.Expires.Format(time.DateOnly)}
	if w.Owner != "" {
		ev["owner"] = w.Owner
	}
	return report.Finding{
		ControlID: ControlID, Status: report.Fail, Severity: Control.Severity,
		Key: key, Fingerprint: report.Fingerprint(key),
		Title: Control.Title, Message: msg, Resource: res, Evidence: ev,
		Remediation: Control.Remediation,
	}
}
