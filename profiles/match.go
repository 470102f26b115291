package profiles

import (
	"fmt"
	"regexp"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/wiscan/wiscan/snapshot"
)

// Matcher decides which namespaces a profile targets. A namespace must
// satisfy every part of the match that is set.
type Matcher struct {
	names    []string
	pattern  *regexp.Regexp
	selector labels.Selector
}

// NewMatcher compiles a namespace match.
func NewMatcher(m snapshot.NamespaceMatch) (*Matcher, error) {
	out := &Matcher{names: m.Names}
	if m.Pattern != "" {
		re, err := regexp.Compile(m.Pattern)
		if err != nil {
			return nil, err
		}
		out.pattern = re
	}
	if m.Selector != "" {
		sel, err := labels.Parse(m.Selector)
		if err != nil {
			return nil, err
		}
		out.selector = sel
	}
	return out, nil
}

// Match reports whether ns is a target.
func (m *Matcher) Match(ns snapshot.Namespace) bool {
	if len(m.names) > 0 && !slices.Contains(m.names, ns.Name) {
		return false
	}
	if m.pattern != nil && !m.pattern.MatchString(ns.Name) {
		return false
	}
	return m.selector == nil || m.selector.Matches(labels.Set(ns.Labels))
}

// Target sets each profile's targets to the snapshot's namespaces that it
// matches.
func Target(s *snapshot.Snapshot) error {
	for i := range s.Profiles {
		p := &s.Profiles[i]
		m, err := NewMatcher(p.Namespaces)
		if err != nil {
			return fmt.Errorf("%w %s: %w", ErrInvalid, p.Name, err)
		}
		p.Targets = []string{}
		for _, ns := range s.Kubernetes.Namespaces {
			if m.Match(ns) {
				p.Targets = append(p.Targets, ns.Name)
			}
		}
		sort.Strings(p.Targets)
	}
	return nil
}
