package profiles

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/wiscan/wiscan/clouds"
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

// Target resolves the profiles against the snapshot, by one rule for
// every consumer: each profile's targets are the namespaces it matches,
// and each target becomes a snapshot.Target with the cloud, method and
// identity it uses. Running it again after more data arrived gives the same
// records: it reads the profile and the cluster side only.
func Target(s *snapshot.Snapshot) error {
	s.Targets = []snapshot.Target{}
	backup := backupCloud(s)
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
		for _, ns := range p.Targets {
			sa := s.Kubernetes.ServiceAccounts[ns][p.ServiceAccount]
			s.Targets = append(s.Targets, resolve(*p, ns, sa.Annotations, backup))
		}
	}
	return nil
}

// resolve decides a target's cloud, method and identity. The cloud is the
// profile's; else the one cloud whose identity annotation the service
// account carries; else the one cloud every backup configuration names.
// The method is the profile's; else the cloud's annotation method when
// the annotation is there. The identity is the profile's; else the
// annotation's value.
func resolve(p snapshot.Profile, ns string, annotations map[string]string, backup string) snapshot.Target {
	t := snapshot.Target{Profile: p.Name, Namespace: ns, Annotated: []string{}}
	for _, c := range clouds.All() {
		if _, ok := annotations[c.Annotation.Key]; ok {
			t.Annotated = append(t.Annotated, c.Name)
		}
	}
	sort.Strings(t.Annotated)
	switch {
	case p.Cloud != "":
		t.Cloud, t.CloudFrom = p.Cloud, "profile"
	case len(t.Annotated) == 1:
		t.Cloud, t.CloudFrom = t.Annotated[0], "annotation"
	case backup != "":
		t.Cloud, t.CloudFrom = backup, "backup-config"
	}
	c, known := clouds.Get(t.Cloud)
	value, annotated := "", false
	if known {
		value, annotated = annotations[c.Annotation.Key]
		value = strings.TrimSpace(value)
	}
	switch {
	case p.Method != "":
		t.Method, t.MethodFrom = p.Method, "profile"
	case annotated && c.AnnotationMethod() != "":
		t.Method, t.MethodFrom = c.AnnotationMethod(), "annotation"
	}
	switch {
	case p.Identity != "":
		t.Identity, t.IdentityFrom = p.Identity, "profile"
	case annotated && value != "":
		t.Identity, t.IdentityFrom = value, "annotation"
	}
	return t
}

// backupCloud is the one cloud every Spaces backup configuration names,
// "" when they name none, several, or one wiscan does not know.
func backupCloud(s *snapshot.Snapshot) string {
	found := map[string]bool{}
	sp := s.Kubernetes.Spaces
	for _, b := range slices.Concat(sp.SharedBackupConfigs, sp.SpaceBackupConfigs) {
		c, ok := clouds.OfProvider(b.Provider)
		if !ok {
			return ""
		}
		found[c.Name] = true
	}
	if len(found) != 1 {
		return ""
	}
	for c := range found {
		return c
	}
	return ""
}
