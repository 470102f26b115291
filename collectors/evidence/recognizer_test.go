package evidence

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// fakeCloud is a third cloud's evidence reader, as small as one can be: it
// claims the documents its CLI prints and, once the targets are resolved,
// reports a target whose identity the evidence lacks.
type fakeCloud struct {
	namespaces map[string]bool
	targets    int
}

func (f *fakeCloud) Name() string { return "FakeCloud" }

func (f *fakeCloud) Document(_ string, _ int, doc map[string]any, _ func(string, int) int) bool {
	ids, ok := doc["FakeCloudIdentities"].([]any)
	for _, it := range ids {
		m, _ := it.(map[string]any)
		ns, _ := m["namespace"].(string)
		f.namespaces[ns] = true
	}
	return ok
}

func (f *fakeCloud) Finish(s *snapshot.Snapshot, gaps collectors.EvidenceGaps) {
	f.targets = len(s.Targets)
	for _, t := range s.Targets {
		if !f.namespaces[t.Namespace] {
			gaps.Missing("FakeIdentity", t.Namespace, "no identity")
		}
	}
}

// A cloud joins evidence mode through its recognizer alone: the walker
// hands it the documents no Kubernetes reader takes, counts what it
// claims, reports what nobody claims, and lets it finish once the targets
// are resolved; its gaps are the evidence collector's.
func TestThirdCloudRecognizer(t *testing.T) {
	fake := &fakeCloud{namespaces: map[string]bool{}}
	s := snapshot.New(time.Now())
	p, _ := profiles.Get(profiles.Default)
	p.Namespaces = snapshot.NamespaceMatch{Pattern: "^mxp-"}
	s.Profiles = []snapshot.Profile{p}
	c := &Collector{Dir: "testdata/fakecloud", Recognizers: func() []collectors.Recognizer { return []collectors.Recognizer{fake} }}
	if err := c.Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if !fake.namespaces["mxp-706c49fa-5bb8-4a7e-9f41-2fc38ef4b065-system"] || fake.targets != 1 {
		t.Errorf("recognizer saw %v and %d targets at its finish, want the one namespace and target", fake.namespaces, fake.targets)
	}
	if got := s.Stats[0].Objects["FakeCloud"]; got != 1 {
		t.Errorf("FakeCloud documents counted %d, want 1", got)
	}
	var unclaimed bool
	for _, e := range s.Errors {
		if e.Source != nil && strings.HasSuffix(e.Source.File, "other.json") && strings.Contains(e.Message, "cloud CLI wiscan reads (FakeCloud)") {
			unclaimed = true
		}
		if e.Kind == "FakeIdentity" {
			t.Errorf("a target with its identity in the evidence is reported: %+v", e)
		}
	}
	if !unclaimed {
		t.Errorf("a document no reader claims is not reported: %+v", s.Errors)
	}
	// Without the cloud's evidence, its recognizer reports the target.
	fake = &fakeCloud{namespaces: map[string]bool{}}
	s = snapshot.New(time.Now())
	s.Profiles = []snapshot.Profile{p}
	c.Dir = "testdata/fakecloud/sa.yaml"
	if err := c.Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	var missing bool
	for _, e := range s.Errors {
		missing = missing || (e.Kind == "FakeIdentity" && e.Collector == Name && e.Reason == "not-provided")
	}
	if !missing {
		t.Errorf("the recognizer's gap is not recorded as the evidence collector's: %+v", s.Errors)
	}
}
