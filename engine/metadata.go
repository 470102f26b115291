package engine

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"sigs.k8s.io/yaml"

	"github.com/wiscan/wiscan/report"
)

// The one set of METADATA keys a control carries; anything else is an
// error, so that a misspelled key cannot silently drop a field.
var (
	topKeys    = map[string]bool{"title": true, "description": true, "related_resources": true, "custom": true}
	customKeys = map[string]bool{"id": true, "severity": true, "remediation": true}
	idPattern  = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]{3}$`)
)

// ErrMetadata marks a policy whose METADATA block is wrong.
var ErrMetadata = errors.New("policy metadata")

// metadataBlock extracts the YAML of the first "# METADATA" comment block
// from the module's comments, so that the words inside a string literal
// are never taken for one.
func metadataBlock(mod *ast.Module) (string, bool) {
	for i, c := range mod.Comments {
		if strings.TrimSpace(string(c.Text)) != "METADATA" {
			continue
		}
		var b strings.Builder
		line := c.Location.Row
		for _, m := range mod.Comments[i+1:] {
			if m.Location.Row != line+1 {
				break
			}
			line = m.Location.Row
			b.WriteString(strings.TrimPrefix(string(m.Text), " ") + "\n")
		}
		return b.String(), true
	}
	return "", false
}

type rawMetadata struct {
	Title            string `json:"title"`
	Description      string `json:"description"`
	RelatedResources []struct {
		Ref string `json:"ref"`
	} `json:"related_resources"`
	Custom map[string]any `json:"custom"`
}

// parseMetadata reads and checks a control's METADATA block. isControl is
// false for a helper module (no custom.id), which may carry only a
// description.
func parseMetadata(file string, mod *ast.Module) (c report.Control, isControl bool, err error) {
	block, ok := metadataBlock(mod)
	if !ok {
		return c, false, nil
	}
	var keys map[string]any
	if err := yaml.Unmarshal([]byte(block), &keys); err != nil {
		return c, false, fmt.Errorf("%w: %s: %w", ErrMetadata, file, err)
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !topKeys[k] {
			errs = append(errs, fmt.Errorf("unknown key %q", k))
		}
	}
	var m rawMetadata
	if err := yaml.Unmarshal([]byte(block), &m); err != nil {
		return c, false, fmt.Errorf("%w: %s: %w", ErrMetadata, file, err)
	}
	if m.Custom == nil {
		if m.Title != "" || len(m.RelatedResources) > 0 {
			errs = append(errs, errors.New("a control needs custom.id, custom.severity and custom.remediation"))
		}
		if err := errors.Join(errs...); err != nil {
			return c, false, fmt.Errorf("%w: %s: %w", ErrMetadata, file, err)
		}
		return c, false, nil
	}
	for _, k := range slices.Sorted(maps.Keys(m.Custom)) {
		if !customKeys[k] {
			errs = append(errs, fmt.Errorf("unknown key custom.%s", k))
		}
	}
	str := func(k string) string { s, _ := m.Custom[k].(string); return strings.TrimSpace(s) }
	c = report.Control{
		ID:          str("id"),
		Title:       strings.TrimSpace(m.Title),
		Description: strings.TrimSpace(m.Description),
		Remediation: str("remediation"),
	}
	for _, r := range m.RelatedResources {
		c.RelatedResources = append(c.RelatedResources, r.Ref)
	}
	required := map[string]string{"title": c.Title, "description": c.Description, "custom.id": c.ID, "custom.severity": str("severity"), "custom.remediation": c.Remediation}
	for _, k := range slices.Sorted(maps.Keys(required)) {
		if required[k] == "" {
			errs = append(errs, fmt.Errorf("missing key %s", k))
		}
	}
	if c.ID != "" && !idPattern.MatchString(c.ID) {
		errs = append(errs, fmt.Errorf("custom.id %q is not of the form WI-AREA-NNN", c.ID))
	}
	if s := str("severity"); s != "" {
		sev, err := report.ParseSeverity(s)
		if err != nil || sev == report.None {
			errs = append(errs, fmt.Errorf("custom.severity %q", s))
		}
		c.Severity = sev
	}
	if err := errors.Join(errs...); err != nil {
		return c, true, fmt.Errorf("%w: %s: %w", ErrMetadata, file, err)
	}
	return c, true, nil
}
