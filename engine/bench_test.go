package engine

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wiscan/wiscan/analysis"
	"github.com/wiscan/wiscan/internal/benchmark"
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
		snapshot.Put(k.Pods, ns, "mxp-controller-abc", snapshot.Pod{Meta: meta("mxp-controller-abc"), Spec: spec(), Phase: "Running", Workload: &snapshot.Owner{Kind: "Deployment", Name: "mxp-controller"}})
		snapshot.Put(k.Secrets, ns, "tls", snapshot.Secret{Meta: meta("tls"), Type: "kubernetes.io/tls", Keys: []string{"tls.crt", "tls.key"}, Credentials: []snapshot.Credential{}})
		creds := []snapshot.Credential{}
		if i%10 == 0 {
			creds = append(creds, snapshot.Credential{Kind: snapshot.KindAWSAccessKey, Cloud: "aws", Key: "id", Fingerprint: "AKIA…MPLE"})
		}
		snapshot.Put(k.Secrets, ns, "other", snapshot.Secret{Meta: meta("other"), Type: "Opaque", Keys: []string{"id"}, Credentials: creds})
	}
	k.Spaces.Kinds["SharedBackupConfig"] = true
	k.Spaces.SharedBackupConfigs = []snapshot.BackupConfig{{
		Meta: snapshot.Meta{Namespace: "default", Name: "default"}, Kind: "SharedBackupConfig", Provider: "AWS",
		Bucket: "spaces-backups", Config: map[string]string{"region": "us-east-1"}, CredentialsSource: "InjectedIdentity",
	}}
	s.AWS = syntheticAWS(role)
	if err := profiles.Target(s); err != nil {
		panic(err)
	}
	return s
}

// syntheticAWS is the AWS side every control plane shares: one role whose
// trust policy admits the control plane namespaces by a confined pattern.
func syntheticAWS(role string) *snapshot.AWS {
	a := snapshot.NewAWS()
	a.Account, a.Partition = "123456789012", "aws"
	issuer := "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	provider := "arn:aws:iam::123456789012:oidc-provider/" + issuer
	a.Cluster = &snapshot.EKSCluster{Name: "spaces", ARN: "arn:aws:eks:us-east-1:123456789012:cluster/spaces", OIDCIssuer: "https://" + issuer}
	a.OIDCProviders[provider] = snapshot.OIDCProvider{ARN: provider, URL: issuer, ClientIDs: []string{"sts.amazonaws.com"}}
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{
			"StringEquals": map[string]any{issuer + ":aud": "sts.amazonaws.com"},
			"StringLike":   map[string]any{issuer + ":sub": "system:serviceaccount:mxp-*-system:mxp-controller"},
		},
	}}}
	perms := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"},
		"Resource": []any{"arn:aws:s3:::spaces-backups", "arn:aws:s3:::spaces-backups/*"},
	}}}
	a.Roles[role] = snapshot.Role{ARN: role, Name: "backup-restore-role", Found: true,
		TrustPolicy: &snapshot.PolicyDocument{Document: trust},
		Inline:      []snapshot.PolicyDocument{{Name: "backup-restore", Document: perms}}, Attached: []snapshot.PolicyDocument{}}
	a.Buckets["spaces-backups"] = snapshot.Bucket{Name: "spaces-backups"}
	return a
}

// BenchmarkEvaluate measures one evaluation of every control, input
// conversion included, for 100, 1,000 and 10,000 control planes
// (WISCAN_BENCH_SIZES, such as 50000, for others), with the peak heap.
func BenchmarkEvaluate(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range benchmark.Sizes(b, 100, 1000, 10000) {
		s := synthetic(n)
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			var peak float64
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
				stop := benchmark.PeakHeap()
				fs, err := e.Evaluate(context.Background(), s)
				peak = max(peak, stop())
				if err != nil {
					b.Fatal(err)
				}
				if len(fs) < n/10 {
					b.Fatalf("%d findings for %d control planes", len(fs), n)
				}
			}
			b.ReportMetric(peak, "peak-MiB")
		})
	}
}

// The synthetic Space yields the findings it was built with: one typo (and
// so one unbound service account) and one static key per ten control
// planes; the shared AWS role passes every AWS control.
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
	// The pods of a misspelled service account still carry the role: a
	// restart is due there too (WI-K8S-005).
	want := map[string]int{"WI-K8S-002/fail": 10, "WI-K8S-003/fail": 10, "WI-K8S-005/fail": 10, "WI-K8S-010/fail": 10}
	if !maps.Equal(count, want) {
		t.Errorf("findings by control %v, want %v", count, want)
	}
}

// BenchmarkEvaluateRoles is BenchmarkEvaluate with a role of its own for
// each control plane: grouping the targets by role stays linear however
// many roles there are; each role's exact IAM analysis is its own cost.
func BenchmarkEvaluateRoles(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100, 1000} {
		s := rolePerControlPlane(synthetic(n))
		b.Run(fmt.Sprintf("namespaces=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := e.Evaluate(context.Background(), s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// rolePerControlPlane gives each control plane's service account a role of
// its own, with the shared role's policies.
func rolePerControlPlane(s *snapshot.Snapshot) *snapshot.Snapshot {
	shared := s.AWS.Roles["arn:aws:iam::123456789012:role/backup-restore-role"]
	for ns, sas := range s.Kubernetes.ServiceAccounts {
		sa := sas["mxp-controller"]
		for k := range sa.Annotations {
			role := fmt.Sprintf("arn:aws:iam::123456789012:role/backup-%s", ns[4:12])
			sa.Annotations[k] = role
			r := shared
			r.ARN, r.Name = role, "backup-"+ns[4:12]
			s.AWS.Roles[role] = r
		}
	}
	return s
}

// BenchmarkEvaluateWorkers compares one query with the controls evaluated
// in groups side by side.
func BenchmarkEvaluateWorkers(b *testing.B) {
	for _, workers := range []int{1, 2} {
		e, err := New(context.Background(), Options{Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{1000, 10000} {
			s := synthetic(n)
			b.Run(fmt.Sprintf("workers=%d/namespaces=%d", workers, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := e.Evaluate(context.Background(), s); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEvaluateFloor measures what OPA charges a control that does
// nothing but look at each target once: ten such rules, each calling a
// one-line function of the target, over the library's targets of 10,000
// control planes, less the targets' own cost. It is the floor under any
// per-target control, whatever its logic (the ns/target/control metric).
func BenchmarkEvaluateFloor(b *testing.B) {
	const n, rules = 10000, 10
	mods, err := BuiltinModules()
	if err != nil {
		b.Fatal(err)
	}
	var src strings.Builder
	src.WriteString("package floor\n\nimport data.wiscan.lib.k8s\n")
	var counts []string
	for i := range rules {
		fmt.Fprintf(&src, "\nf%d(t) if t.cloud == \"aws\"\n\nr%d contains t.namespace if {\n\tsome t in k8s.targets\n\tf%d(t)\n}\n", i, i, i)
		counts = append(counts, fmt.Sprintf("count(data.floor.r%d)", i))
	}
	input, err := Input(synthetic(n))
	if err != nil {
		b.Fatal(err)
	}
	prepare := func(query string) rego.PreparedEvalQuery {
		opts := append([]func(*rego.Rego){rego.Query(query), rego.Module("floor.rego", src.String())}, analysis.Impls()...)
		for _, m := range mods {
			opts = append(opts, rego.Module(m.File, m.Source))
		}
		q, err := rego.New(opts...).PrepareForEval(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return q
	}
	targets := prepare("x := count(data.wiscan.lib.k8s.targets)")
	all := prepare("x := [" + strings.Join(counts, ", ") + "]")
	var base, full time.Duration
	for b.Loop() {
		for _, q := range []struct {
			q   rego.PreparedEvalQuery
			sum *time.Duration
		}{{targets, &base}, {all, &full}} {
			start := time.Now()
			if _, err := q.q.Eval(context.Background(), rego.EvalParsedInput(input)); err != nil {
				b.Fatal(err)
			}
			*q.sum += time.Since(start)
		}
	}
	b.ReportMetric(float64(full-base)/float64(b.N*n*rules), "ns/target/control")
	b.ReportMetric(float64(base.Milliseconds())/float64(b.N), "targets-ms/op")
}
