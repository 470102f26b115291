package snapshot

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// A saved snapshot loads back and satisfies its schema; the schema rejects
// fields it does not describe, so that the Go types and the schema cannot
// drift apart unnoticed.
func TestRoundTrip(t *testing.T) {
	s := New(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	s.Source = Source{Mode: "evidence", Evidence: "x"}
	s.Profiles = []Profile{{Name: "p", ServiceAccount: "sa", Workload: WorkloadMatch{Kind: "Deployment", Name: "d"}, Namespaces: NamespaceMatch{Pattern: "^a$"}, Targets: []string{"a"}}}
	s.Targets = []Target{{Profile: "p", Namespace: "a", Cloud: "aws", CloudFrom: "annotation", Method: "irsa", MethodFrom: "annotation", Identity: "arn", IdentityFrom: "annotation", Annotated: []string{"aws"}}}
	yes := true
	Put(s.Kubernetes.ServiceAccounts, "a", "sa", ServiceAccount{Meta: Meta{Namespace: "a", Name: "sa"}, Automount: &yes})
	Put(s.Kubernetes.Secrets, "a", "s", Secret{Meta: Meta{Namespace: "a", Name: "s"}, Type: "Opaque", Keys: []string{"k"}, Credentials: []Credential{{Kind: KindAWSAccessKey, Cloud: "aws", Key: "k", Fingerprint: "AKIA…MPLE"}}})
	Put(s.Kubernetes.Pods, "a", "p", Pod{Meta: Meta{Namespace: "a", Name: "p"}, Spec: PodSpec{ServiceAccount: "sa", Containers: []Container{{Name: "c", Env: []EnvVar{{Name: "AWS_ROLE_ARN", Value: "arn", HasValue: true}}}}}})
	s.AddError(CollectionError{Collector: "kubernetes", Kind: "Secret", Reason: "forbidden", Message: "m"})
	var buf bytes.Buffer
	if err := Save(&buf, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("load saved snapshot: %v", err)
	}
	if got.Kubernetes.Secrets["a"]["s"].Credentials[0].Fingerprint != "AKIA…MPLE" {
		t.Error("secret classification lost")
	}
	for name, doc := range map[string]string{
		"unknown field": strings.Replace(buf.String(), `"schemaVersion"`, `"extra": 1, "schemaVersion"`, 1),
		"wrong version": strings.Replace(buf.String(), SchemaVersion, "wiscan.io/snapshot/v0", 1),
		"bad reason":    strings.Replace(buf.String(), `"forbidden"`, `"nope"`, 1),
		"not json":      "{",
	} {
		if _, err := Load(strings.NewReader(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	// A snapshot of another format says so and what to do, not which
	// field the schema misses.
	old := strings.Replace(buf.String(), SchemaVersion, "wiscan.io/snapshot/v1alpha1", 1)
	if _, err := Load(strings.NewReader(old)); err == nil || !strings.Contains(err.Error(), "collect the snapshot again") {
		t.Errorf("an older snapshot: error %v, want one that says to collect again", err)
	}
}
