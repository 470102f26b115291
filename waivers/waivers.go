// Package waivers accepts known findings for a while: a waivers file names
// findings by key or fingerprint, each with a reason and an end date, and
// a baseline (an earlier JSON report) accepts every failure it holds.
// Waived findings stay in the report, marked, and leave the exit code
// alone. WI-SCAN-002 reports the waivers themselves: expired, naming a
// control wiscan lacks, or matching no finding.
package waivers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wiscan/wiscan/input"
	"github.com/wiscan/wiscan/report"
)

// APIVersion and Kind name a waivers file.
const (
	APIVersion = "wiscan.io/v1alpha1"
	Kind       = "Waivers"
)

// MaxTerm is the longest a waiver may run from the scan: a year, so that
// every waiver is looked at again at least once a year.
const MaxTerm = 366 * 24 * time.Hour

// ErrInvalid marks a waivers file or baseline that cannot be used.
var ErrInvalid = errors.New("invalid waivers")

// ControlID is the control that reports on waivers.
const ControlID = "WI-SCAN-002"

// Control is WI-SCAN-002's catalog entry.
var Control = report.Control{
	ID:    ControlID,
	Title: "Waivers are current",
	Description: "Every waiver in force names a control wiscan has and a finding the scan still makes, and has not " +
		"expired. An expired waiver no longer waives its finding.",
	Severity: report.Medium,
	Remediation: "Delete waivers whose finding is gone, correct ones that name a control wiscan does not have, and renew " +
		"an expired waiver only with a new reason and end date, or fix the finding.",
	RelatedResources: []string{"https://github.com/wiscan/wiscan#waivers-and-baselines"},
	Package:          "wiscan.waivers",
	Builtin:          true,
}

// Waiver accepts the finding with Key or Fingerprint until Expires.
type Waiver struct {
	Key         string
	Fingerprint string
	Reason      string
	// Expires is the first day (UTC) the waiver no longer holds; zero for
	// a baseline's, which do not expire.
	Expires time.Time
	Owner   string
	// File and Line locate the waiver.
	File string
	Line int
}

// name is how messages name the waiver: its key, else its fingerprint.
func (w Waiver) name() string {
	if w.Key != "" {
		return w.Key
	}
	return w.Fingerprint
}

func (w Waiver) matches(f report.Finding) bool {
	return (w.Key != "" && w.Key == f.Key) || (w.Fingerprint != "" && w.Fingerprint == f.Fingerprint)
}

var (
	fingerprintRE = regexp.MustCompile(`^[0-9a-f]{16}$`)
	keyRE         = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+\|[^|/]+/[^|/]*/[^|]+(\|.*)?$`)
)

type rawWaiver struct {
	Key         string `yaml:"key"`
	Fingerprint string `yaml:"fingerprint"`
	Reason      string `yaml:"reason"`
	Expires     string `yaml:"expires"`
	Owner       string `yaml:"owner"`
}

type rawFile struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Waivers    []yaml.Node `yaml:"waivers"`
}

// Load reads a waivers file. now is the scan's time: a waiver may run at
// most MaxTerm past it. An expired waiver loads (WI-SCAN-002 reports it);
// anything else wrong is an error naming the file and line.
func Load(ctx context.Context, path string, now time.Time) ([]Waiver, error) {
	b, err := readFile(ctx, path, input.Waivers)
	if err != nil {
		return nil, err
	}
	return Parse(path, b, now)
}

func readFile(ctx context.Context, path string, l input.Limit) ([]byte, error) {
	b, err := input.ReadFile(ctx, path, l)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return b, nil
}

// Parse reads a waivers file's text; file names it in messages.
func Parse(file string, b []byte, now time.Time) ([]Waiver, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var raw rawFile
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s: empty file", ErrInvalid, file)
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalid, file, yamlMessage(err))
	}
	if raw.APIVersion != APIVersion || raw.Kind != Kind {
		return nil, fmt.Errorf("%w: %s: want apiVersion %s and kind %s", ErrInvalid, file, APIVersion, Kind)
	}
	var out []Waiver
	seen := map[string]int{}
	var errs []error
	for _, n := range raw.Waivers {
		w, err := parseOne(file, &n, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if first, dup := seen[w.name()]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: %s is waived already at line %d", file, w.Line, w.name(), first))
			continue
		}
		seen[w.name()] = w.Line
		out = append(out, w)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return out, nil
}

func parseOne(file string, n *yaml.Node, now time.Time) (Waiver, error) {
	at := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", file, n.Line, fmt.Sprintf(format, a...))
	}
	var r rawWaiver
	if err := n.Decode(&r); err != nil {
		return Waiver{}, at("%s", yamlMessage(err))
	}
	if n.Kind == yaml.MappingNode {
		// KnownFields does not reach a node decoded on its own.
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i].Value; k {
			case "key", "fingerprint", "reason", "expires", "owner":
			default:
				return Waiver{}, at("unknown field %q: want key or fingerprint, reason, expires, owner", k)
			}
		}
	}
	w := Waiver{Key: strings.TrimSpace(r.Key), Fingerprint: strings.TrimSpace(r.Fingerprint), Reason: strings.TrimSpace(r.Reason), Owner: r.Owner, File: file, Line: n.Line}
	switch {
	case (w.Key == "") == (w.Fingerprint == ""):
		return Waiver{}, at("a waiver names a finding by key or by fingerprint, one of them")
	case w.Key != "" && !keyRE.MatchString(w.Key):
		return Waiver{}, at("key %q: want CONTROL|Kind/namespace/name[|problem], as the report's findings give it", w.Key)
	case w.Fingerprint != "" && !fingerprintRE.MatchString(w.Fingerprint):
		return Waiver{}, at("fingerprint %q: want the 16 hexadecimal digits the report gives", w.Fingerprint)
	case w.Reason == "":
		return Waiver{}, at("%s: a waiver needs a reason", w.name())
	}
	exp, err := time.Parse(time.DateOnly, strings.TrimSpace(r.Expires))
	if err != nil {
		return Waiver{}, at("%s: expires %q: want a date, YYYY-MM-DD", w.name(), r.Expires)
	}
	if exp.Sub(now) > MaxTerm {
		return Waiver{}, at("%s: expires %s, more than a year after the scan: renew waivers yearly", w.name(), r.Expires)
	}
	w.Expires = exp
	return w, nil
}

// yamlMessage is a YAML error without the values it quotes.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return "fields of the wrong type or unknown: " + strings.Join(te.Errors, "; ")
	}
	return err.Error()
}

// Baseline reads an earlier JSON report: each failure in it is accepted,
// without end, as "in the baseline".
func Baseline(ctx context.Context, path string) ([]Waiver, error) {
	b, err := readFile(ctx, path, input.Baseline)
	if err != nil {
		return nil, err
	}
	if err := input.CheckJSON(b); err != nil {
		return nil, fmt.Errorf("%w: baseline %s: %w", ErrInvalid, path, err)
	}
	var r struct {
		SchemaVersion string `json:"schemaVersion"`
		Findings      []struct {
			Status      report.Status `json:"status"`
			Fingerprint string        `json:"fingerprint"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: baseline %s: not a JSON report: %w", ErrInvalid, path, err)
	}
	if !strings.HasPrefix(r.SchemaVersion, "wiscan.io/report/") || r.Findings == nil {
		return nil, fmt.Errorf("%w: baseline %s: not a wiscan JSON report (wiscan scan -o json=FILE)", ErrInvalid, path)
	}
	var out []Waiver
	for _, f := range r.Findings {
		if f.Status != report.Fail || f.Fingerprint == "" {
			continue
		}
		out = append(out, Waiver{Fingerprint: f.Fingerprint, Reason: "in the baseline " + path, File: path})
	}
	return out, nil
}
