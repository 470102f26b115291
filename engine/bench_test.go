package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wiscan/wiscan/profiles"
	"github.com/wiscan/wiscan/snapshot"
)

// synthetic builds a Space with n control planes, each with its service
// account, Deployment, pod and two Secrets; every tenth is misconfigured so
// that the controls produce findings too.
func synthetic(n int) *snapshot.Snapshot {
	s := snapshot.New(time.Now())
	p, err := profiles.Get(profiles.Default)
	if err != nil {
		panic(err)
	}
	s.Profiles = []snapshot.Profile{p}
	k := &s.Kubernetes
	role := "arn:aws:iam::123456789012:role/backup-restore-role"
	spec := func() snapshot.PodSpec {
		return snapshot.PodSpec{
			Labels: map[string]string{"app": "mxp-controller"}, Annotations: map[string]string{}, ServiceAccount: "mxp-controller",
			Containers: []snapshot.Container{{Name: "mxp-controller", Env: []snapshot.EnvVar{{Name: "AWS_ROLE_ARN", Value: role, HasValue: true}}, EnvFrom: []snapshot.EnvFrom{}, Mounts: []snapshot.Mount{}}},
			Volumes:    []snapshot.Volume{{Name: "aws-iam-token", Projected: []snapshot.ProjectedSource{{ServiceAccountToken: &snapshot.ProjectedToken{Audience: "sts.amazonaws.com", Path: "token"}}}}},
		}
	}
	for i := range n {
		ns := fmt.Sprintf("mxp-%08x-0000-4000-8000-%012x-system", i, i)
		k.Namespaces[ns] = snapshot.Namespace{Name: ns, Labels: map[string]string{}}
		key := "eks.amazonaws.com/role-arn"
		if i%10 == 0 {
			key = "eks.amazon.aws/role-arn"
		}
		meta := func(name string) snapshot.Meta {
			return snapshot.Meta{Namespace: ns, Name: name, Labels: map[string]string{}, Annotations: map[string]string{}}
		}
		sa := snapshot.ServiceAccount{Meta: meta("mxp-controller")}
		sa.Annotations = map[string]string{key: role}
		snapshot.Put(k.ServiceAccounts, ns, "mxp-controller", sa)
		snapshot.Put(k.Deployments, ns, "mxp-controller", snapshot.Workload{Meta: meta("mxp-controller"), Selector: map[string]string{"app": "mxp-controller"}, Template: spec()})
		snapshot.Put(k.Pods, ns, "mxp-controller-abc", snapshot.Pod{Meta: meta("mxp-controller-abc"), Spec: spec(), Phase: "Running", Deployment: "mxp-controller"})
		snapshot.Put(k.Secrets, ns, "tls", snapshot.Secret{Meta: meta("tls"), Type: "kubernetes.io/tls", Keys: []string{"tls.crt", "tls.key"}, Credentials: []snapshot.Credential{}})
		creds := []snapshot.Credential{}
		if i%10 == 0 {
			creds = append(creds, snapshot.Credential{Kind: snapshot.KindAWSAccessKey, Cloud: "aws", Key: "id", Fingerprint: "AKIA…MPLE"})
		}
		snapshot.Put(k.Secrets, ns, "other", snapshot.Secret{Meta: meta("other"), Type: "Opaque", Keys: []string{"id"}, Credentials: creds})
	}
	k.Spaces.Kinds["SharedBackupConfig"] = true
	if err := profiles.Target(s); err != nil {
		panic(err)
	}
	return s
}

// BenchmarkEvaluate measures one evaluation of every control, input
// conversion included, for 100, 1,000 and 10,000 control planes.
func BenchmarkEvaluate(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100, 1000, 10000} {
		s := synthetic(n)
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			for b.Loop() {
				fs, err := e.Evaluate(context.Background(), s)
				if err != nil {
					b.Fatal(err)
				}
				if len(fs) < n/10 {
					b.Fatalf("%d findings for %d control planes", len(fs), n)
				}
			}
		})
	}
}

// The synthetic Space yields the findings it was built with: one typo and
// one static key per ten control planes.
func TestSyntheticFindings(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := e.Evaluate(context.Background(), synthetic(100))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range fs {
		count[f.ControlID+"/"+string(f.Status)]++
	}
	if count["WI-K8S-003/fail"] != 10 || count["WI-K8S-010/fail"] != 10 {
		t.Errorf("findings by control: %v", count)
	}
}
