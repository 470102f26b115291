package profiles

import (
	"errors"
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
		"unknown field":         base + "colud: aws\n",
		"bad pattern":           strings.Replace(base, "'^a$'", "'('", 1),
		"no namespaces":         strings.Replace(base, "namespaces: {pattern: '^a$'}\n", "", 1),
		"bad cloud":             base + "cloud: oracle\n",
		"method of other cloud": base + "cloud: azure\nmethod: irsa\n",
		"wrong kind":            strings.Replace(base, "kind: Profile", "kind: Policy", 1),
		"statefulset":           base + "workload: {kind: StatefulSet, name: x}\n",
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
