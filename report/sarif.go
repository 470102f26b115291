package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/wiscan/wiscan/snapshot"
)

// SARIF writes the report as a SARIF 2.1.0 log, the format code scanning
// services read: one rule per control, one result per failed or unknown
// finding.
//
// A failure is a result of kind "fail" with the level of its severity; an
// unknown is kind "open" at level "none" (SARIF's "could not tell"); passed
// and not-applicable controls have no result. Every result has a physical
// location, because code scanning drops results without one: the evidence
// file and line in evidence mode, a path under live/ that names the
// context and the object in live mode. partialFingerprints carries the
// finding's fingerprint, so an alert stays one alert from scan to scan.
type SARIF struct{ W io.Writer }

// SARIF's names for its own schema and version.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// sarifFingerprint is the partialFingerprints key of a finding's
	// fingerprint; its version changes if Fingerprint ever does.
	sarifFingerprint = "wiscanFindingFingerprint/v1"
	// sarifSrcRoot is the base that code scanning resolves relative paths
	// against: the checked-out repository.
	sarifSrcRoot = "%SRCROOT%"
)

// ToolURI is wiscan's home, where a reader of a report learns about it.
const ToolURI = "https://github.com/wiscan/wiscan"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	InformationURI  string      `json:"informationUri"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	HelpURI              string            `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is the score code scanning ranks security alerts by.
	SecuritySeverity string `json:"security-severity,omitempty"`
	Severity         string `json:"wiscanSeverity"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	EndTimeUTC          string              `json:"endTimeUtc,omitempty"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

// sarifSuppression is a waiver, kept outside the scanned files.
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// Write implements Writer.
func (s SARIF) Write(_ context.Context, r Report) error {
	enc := json.NewEncoder(s.W)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifFrom(r)); err != nil {
		return fmt.Errorf("write sarif log: %w", err)
	}
	return nil
}

func sarifFrom(r Report) sarifLog {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: r.Tool.Name, InformationURI: ToolURI, Version: sarifToolVersion(r.Tool.Version), SemanticVersion: semver(r.Tool.Version),
			Rules: []sarifRule{},
		}},
		Results:    []sarifResult{},
		Properties: map[string]any{"reportSchemaVersion": r.SchemaVersion, "source": r.Source},
	}
	// Every finding's control is a rule, listed or not: results point at
	// their rule by index.
	index := map[string]int{}
	for _, c := range r.allControls() {
		index[c.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(c.Control))
	}
	for _, f := range r.Findings {
		run.Results = append(run.Results, sarifResultOf(r.Source, index[f.ControlID], f))
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	if !r.GeneratedAt.IsZero() {
		inv.EndTimeUTC = r.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	for _, n := range r.Notes {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note", Message: sarifText{Text: n}})
	}
	run.Invocations = []sarifInvocation{inv}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

func sarifRuleOf(c Control) sarifRule {
	rule := sarifRule{
		ID:                   c.ID,
		Name:                 ruleName(c),
		ShortDescription:     sarifText{Text: cmp.Or(c.Title, c.ID)},
		FullDescription:      sarifText{Text: cmp.Or(c.Description, cmp.Or(c.Title, c.ID))},
		Help:                 sarifText{Text: cmp.Or(c.Remediation, "See the control's description.")},
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(c.Severity)},
		Properties: sarifRuleProperty{
			Tags:             []string{"security", "workload-identity"},
			SecuritySeverity: securitySeverity(c.Severity),
			Severity:         string(c.Severity),
		},
	}
	for _, u := range c.RelatedResources {
		if p, err := url.Parse(u); err == nil && (p.Scheme == "https" || p.Scheme == "http") {
			rule.HelpURI = u
			break
		}
	}
	return rule
}

func sarifResultOf(src snapshot.Source, rule int, f Finding) sarifResult {
	res := sarifResult{
		RuleID:              f.ControlID,
		RuleIndex:           rule,
		Kind:                "fail",
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{Text: cmp.Or(f.Message, cmp.Or(f.Title, f.ControlID))},
		Locations:           []sarifLocation{sarifLocationOf(src, f.Resource)},
		PartialFingerprints: map[string]string{sarifFingerprint: f.Fingerprint},
		Properties: map[string]any{
			"status":      string(f.Status),
			"key":         f.Key,
			"remediation": f.Remediation,
		},
	}
	if f.Status != Fail {
		// SARIF: a result that is not a failure has level "none".
		res.Kind, res.Level = "open", "none"
		res.Properties["wouldBe"] = string(f.WouldBe)
	} else {
		res.Properties["severity"] = string(f.Severity)
	}
	for k, v := range map[string]string{"namespace": f.Resource.Namespace, "profile": f.Profile, "cloud": f.Cloud} {
		if v != "" {
			res.Properties[k] = v
		}
	}
	if f.Evidence != nil {
		res.Properties["evidence"] = f.Evidence
	}
	if w := f.Waiver; w != nil {
		// A waiver is an external suppression: code scanning shows the
		// alert as dismissed, with the reason.
		just := w.Reason
		if w.Expires != "" {
			just += " (until " + w.Expires + ", " + w.Source + ")"
		}
		res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: just}}
		res.Properties["waiver"] = w
	}
	if f.Fix != nil {
		res.Properties["fix"] = f.Fix
	}
	return res
}

func sarifLocationOf(src snapshot.Source, res Resource) sarifLocation {
	loc := sarifLocation{LogicalLocations: []sarifLogical{{FullyQualifiedName: res.String(), Kind: "object"}}}
	if res.File != "" {
		loc.PhysicalLocation = evidenceLocation(src, res)
		return loc
	}
	// An object with no file is a one-line document of its own.
	loc.PhysicalLocation = sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: objectURI(src, res), URIBaseID: sarifSrcRoot},
		Region:           &sarifRegion{StartLine: 1},
	}
	return loc
}

// evidenceLocation points at the evidence file and line. A relative
// evidence folder inside the working directory gives a path relative to
// it, which is the repository's root when the scan runs in CI; an absolute
// one gives a file URI.
func evidenceLocation(src snapshot.Source, res Resource) sarifPhysical {
	file := filepath.ToSlash(filepath.Join(src.Evidence, filepath.FromSlash(res.File)))
	art := sarifArtifact{URI: escapePath(file), URIBaseID: sarifSrcRoot}
	if filepath.IsAbs(file) {
		art = sarifArtifact{URI: (&url.URL{Scheme: "file", Path: file}).String()}
	}
	p := sarifPhysical{ArtifactLocation: art}
	if res.Line > 0 {
		p.Region = &sarifRegion{StartLine: res.Line}
	}
	return p
}

// objectURI names an object that no file holds: one read from a live
// cluster, live/<context>/<kind>/<namespace>/<name>, or one that evidence
// implies without a file of its own, evidence/<folder>/<kind>/..., "_"
// standing for an empty part, each part escaped.
func objectURI(src snapshot.Source, res Resource) string {
	where := src.Context
	if src.Mode != "live" {
		where = src.Evidence
	}
	parts := []string{cmp.Or(src.Mode, "live"), cmp.Or(where, "_"), cmp.Or(res.Kind, "_"), cmp.Or(res.Namespace, "_"), cmp.Or(res.Name, "_")}
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// escapePath escapes each segment of a slash path for a URI reference.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// sarifLevel maps a severity to SARIF's level: critical and high are
// errors, medium a warning, low and info notes.
func sarifLevel(s Severity) string {
	switch s {
	case Critical, High:
		return "error"
	case Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is the score code scanning ranks an alert by: over 9
// critical, 7 to 8.9 high, 4 to 6.9 medium, under 4 low.
func securitySeverity(s Severity) string {
	switch s {
	case Critical:
		return "9.5"
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "3.0"
	default:
		return ""
	}
}

// ruleName is a rule's name in the upper camel case SARIF viewers expect,
// from its Rego package's last part (role_exists → RoleExists), else its ID.
func ruleName(c Control) string {
	last := c.Package[strings.LastIndex(c.Package, ".")+1:]
	if last == "" {
		last = c.ID
	}
	var b strings.Builder
	up := true
	for _, r := range last {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sarifToolVersion drops a leading v before a digit: SARIF readers compare
// versions that start with a number.
func sarifToolVersion(v string) string {
	if len(v) > 1 && v[0] == 'v' && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// semver is the version without a leading v when it is a semantic
// version, else "".
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v[0] < '0' || v[0] > '9' || strings.Count(strings.SplitN(strings.SplitN(v, "+", 2)[0], "-", 2)[0], ".") != 2 {
		return ""
	}
	return v
}
