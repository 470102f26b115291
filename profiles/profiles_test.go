package profiles

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/snapshot"
)

func TestBuiltinProfilesLoad(t *testing.T) {
	for _, name := range Builtin() {
		if _, err := Get(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Get("nope"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "spaces-backup") {
		t.Errorf("unknown profile error %v should list the built-in names", err)
	}
}

func TestParseRejects(t *testing.T) {
	base := "apiVersion: wiscan.io/v1alpha1\nkind: Profile\nname: x\nserviceAccount: sa\nnamespaces: {pattern: '^a$'}\n"
	cases := map[string]string{
		"unknown field":            base + "colud: aws\n",
		"bad pattern":              strings.Replace(base, "'^a$'", "'('", 1),
		"no namespaces":            strings.Replace(base, "namespaces: {pattern: '^a$'}\n", "", 1),
		"bad cloud":                base + "cloud: oracle\n",
		"method of other cloud":    base + "cloud: azure\nmethod: irsa\n",
		"unknown object operation": base + "access: {objects: [erase]}\n",
		"blank secret name":        base + "access: {secrets: [' x']}\n",
		"wrong kind":               strings.Replace(base, "kind: Profile", "kind: Policy", 1),
		"not a workload kind":      base + "workload: {kind: ReplicaSet, name: x}\n",
	}
	for name, doc := range cases {
		if _, err := Parse(name, []byte(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	p, err := Parse("ok", []byte(base+"method: irsa\n"))
	if err != nil || p.Cloud != "aws" || p.Workload.Name != "sa" {
		t.Errorf("method implies cloud and workload defaults to the account: %+v %v", p, err)
	}
}

// Spaces control plane namespaces match the default profile; others do not.
func TestTarget(t *testing.T) {
	s := snapshot.New(time.Time{})
	p, _ := Get(Default)
	s.Profiles = []snapshot.Profile{p}
	for _, ns := range []string{"mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system", "upbound-system", "mxp-xyz-system", "default"} {
		s.Kubernetes.Namespaces[ns] = snapshot.Namespace{Name: ns}
	}
	if err := Target(s); err != nil {
		t.Fatal(err)
	}
	if got := s.Profiles[0].Targets; len(got) != 1 || got[0] != "mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system" {
		t.Errorf("targets %v", got)
	}
}

// Every part of a namespace match that is set must hold: names, pattern
// and selector, alone and together; a label the namespace lacks never
// matches a selector that asks for it.
func TestMatcherCombinations(t *testing.T) {
	ns := func(name string, labels map[string]string) snapshot.Namespace {
		return snapshot.Namespace{Name: name, Labels: labels}
	}
	cp := ns("mxp-1a2b-system", map[string]string{"tier": "cp"})
	bare := ns("mxp-3c4d-system", nil)
	other := ns("team-a", map[string]string{"tier": "cp"})
	cases := []struct {
		name  string
		match snapshot.NamespaceMatch
		want  map[string]bool
	}{
		{"names only", snapshot.NamespaceMatch{Names: []string{"team-a"}}, map[string]bool{"team-a": true}},
		{"pattern only", snapshot.NamespaceMatch{Pattern: `^mxp-[0-9a-f]+-system$`}, map[string]bool{"mxp-1a2b-system": true, "mxp-3c4d-system": true}},
		{"selector only", snapshot.NamespaceMatch{Selector: "tier=cp"}, map[string]bool{"mxp-1a2b-system": true, "team-a": true}},
		{"a missing label never matches", snapshot.NamespaceMatch{Selector: "tier"}, map[string]bool{"mxp-1a2b-system": true, "team-a": true}},
		{"names and pattern", snapshot.NamespaceMatch{Names: []string{"team-a", "mxp-1a2b-system"}, Pattern: `^mxp-`}, map[string]bool{"mxp-1a2b-system": true}},
		{"names and selector", snapshot.NamespaceMatch{Names: []string{"mxp-3c4d-system", "team-a"}, Selector: "tier=cp"}, map[string]bool{"team-a": true}},
		{"pattern and selector", snapshot.NamespaceMatch{Pattern: `^mxp-`, Selector: "tier=cp"}, map[string]bool{"mxp-1a2b-system": true}},
		{"all three", snapshot.NamespaceMatch{Names: []string{"mxp-1a2b-system", "mxp-3c4d-system"}, Pattern: `^mxp-`, Selector: "tier=cp"}, map[string]bool{"mxp-1a2b-system": true}},
		{"a negated selector excludes the label only", snapshot.NamespaceMatch{Selector: "tier!=cp"}, map[string]bool{"mxp-3c4d-system": true}},
	}
	for _, c := range cases {
		m, err := NewMatcher(c.match)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []snapshot.Namespace{cp, bare, other} {
			if got := m.Match(n); got != c.want[n.Name] {
				t.Errorf("%s: %s matched %v, want %v", c.name, n.Name, got, c.want[n.Name])
			}
		}
	}
}

// A profile says what its workload needs; without access, a backup
// workload needs the four object operations and any other workload
// nothing; the built-in profiles say theirs.
func TestAccess(t *testing.T) {
	base := "apiVersion: wiscan.io/v1alpha1\nkind: Profile\nname: x\nserviceAccount: sa\nnamespaces: {pattern: '^a$'}\n"
	cases := map[string]struct {
		doc  string
		want snapshot.Access
	}{
		"backup by default":        {base + "backupConfig: SharedBackupConfig\n", snapshot.Access{Objects: []string{"read", "write", "delete", "list"}}},
		"nothing by default":       {base, snapshot.Access{}},
		"said":                     {base + "access: {objects: [write], secrets: ['spaces/*']}\n", snapshot.Access{Objects: []string{"write"}, Secrets: []string{"spaces/*"}}},
		"said, with a backup kind": {base + "backupConfig: SharedBackupConfig\naccess: {objects: [read]}\n", snapshot.Access{Objects: []string{"read"}}},
	}
	for name, c := range cases {
		p, err := Parse(name, []byte(c.doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(p.Access, c.want) {
			t.Errorf("%s: access %+v, want %+v", name, p.Access, c.want)
		}
	}
	for name, want := range map[string]snapshot.Access{
		"spaces-backup":  {Objects: []string{"read", "write", "delete", "list"}},
		"spaces-billing": {Objects: []string{"write", "list"}},
		"spaces-secrets": {Secrets: []string{"*"}},
	} {
		p, err := Get(name)
		if err != nil || !reflect.DeepEqual(p.Access, want) {
			t.Errorf("%s: access %+v (%v), want %+v", name, p.Access, err, want)
		}
	}
}
