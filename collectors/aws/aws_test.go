package aws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wiscan/wiscan/engine"
	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/snapshot"
	"github.com/wiscan/wiscan/test/awsapi"
)

const (
	bucket  = "spaces-backups"
	managed = "arn:aws:iam::123456789012:policy/backup-restore"
	perms   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject"],"Resource":["arn:aws:s3:::spaces-backups","arn:aws:s3:::spaces-backups/*"]}]}`
)

func namespace(i int) string { return fmt.Sprintf("mxp-%08x-0000-0000-0000-000000000000-system", i) }

// server is the documented IRSA setup: the cluster's provider registered,
// role backup-restore-role trusting it, with an inline and a managed
// policy; role other shares the managed policy.
func server(t *testing.T) *awsapi.Server {
	srv := awsapi.Start(t)
	srv.Env(t)
	issuer := strings.TrimPrefix(srv.Issuer, "https://")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + srv.ProviderARN() + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + issuer + `:aud":"sts.amazonaws.com","` + issuer + `:sub":"system:serviceaccount:` + namespace(0) + `:mxp-controller"}}}]}`
	srv.Providers[srv.ProviderARN()] = []string{"sts.amazonaws.com"}
	srv.Roles["backup-restore-role"] = awsapi.Role{Name: "backup-restore-role", Trust: trust, Inline: map[string]string{"backup": perms}, Attached: []string{managed}, Boundary: managed}
	srv.Roles["other"] = awsapi.Role{Name: "other", Trust: trust, Attached: []string{managed}}
	srv.Policies[managed] = awsapi.Policy{Name: "backup-restore", Version: "v3", Document: perms}
	srv.Buckets[bucket] = ""
	return srv
}

// spaceSnapshot has n control plane namespaces whose service accounts name
// the given roles in turn.
func spaceSnapshot(n int, roles ...string) *snapshot.Snapshot {
	s := snapshot.New(time.Now())
	s.Source = snapshot.Source{Mode: "live"}
	p := snapshot.Profile{Name: "spaces-backup", ServiceAccount: "mxp-controller", Workload: snapshot.WorkloadMatch{Kind: "Deployment", Name: "mxp-controller"}, BackupConfig: "SharedBackupConfig", Storage: snapshot.Storage{Bucket: bucket}}
	for i := range n {
		ns := namespace(i)
		p.Targets = append(p.Targets, ns)
		s.Targets = append(s.Targets, snapshot.Target{Profile: p.Name, Namespace: ns, Cloud: Cloud, CloudFrom: "annotation"})
		role := roles[i%len(roles)]
		snapshot.Put(s.Kubernetes.ServiceAccounts, ns, "mxp-controller", snapshot.ServiceAccount{Meta: snapshot.Meta{
			Namespace: ns, Name: "mxp-controller", Annotations: map[string]string{"eks.amazonaws.com/role-arn": role}}})
	}
	s.Profiles = []snapshot.Profile{p}
	return s
}

func collect(t *testing.T, s *snapshot.Snapshot) *snapshot.Snapshot {
	t.Helper()
	var opts Options
	opts.ClusterName = "spaces"
	opts.Timeout = 300 * time.Millisecond
	opts.MaxBackoff = 5 * time.Millisecond
	if err := New(opts).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCollect(t *testing.T) {
	srv := server(t)
	s := collect(t, spaceSnapshot(2, srv.RoleARN("backup-restore-role"), srv.RoleARN("other")))
	if len(s.Errors) != 0 {
		t.Fatalf("gaps: %+v", s.Errors)
	}
	a := s.AWS
	if a.Account != "123456789012" || a.Partition != "aws" || a.Cluster == nil || a.Cluster.OIDCIssuer != srv.Issuer {
		t.Fatalf("account and cluster: %+v %+v", a, a.Cluster)
	}
	if ids := a.OIDCProviders[srv.ProviderARN()].ClientIDs; len(ids) != 1 || ids[0] != "sts.amazonaws.com" {
		t.Errorf("provider client IDs %v", ids)
	}
	r := a.Roles[srv.RoleARN("backup-restore-role")]
	if !r.Found || r.TrustPolicy == nil || len(r.Inline) != 1 || len(r.Attached) != 1 || r.Boundary == nil {
		t.Fatalf("role %+v", r)
	}
	// IAM sends documents percent-encoded; the snapshot holds them decoded.
	doc, ok := r.TrustPolicy.Document.(map[string]any)
	if !ok || doc["Version"] != "2012-10-17" {
		t.Errorf("trust policy not decoded: %#v", r.TrustPolicy.Document)
	}
	if r.Attached[0].Version != "v3" || r.Attached[0].Document == nil {
		t.Errorf("attached %+v", r.Attached[0])
	}
	// The managed policy attached to both roles and used as a boundary is
	// read once.
	if c := srv.Calls(); c["GetPolicy"] != 1 || c["GetPolicyVersion"] != 1 {
		t.Errorf("managed policy read %d/%d times, want once", c["GetPolicy"], c["GetPolicyVersion"])
	}
	if b, ok := a.Buckets[bucket]; !ok || b.Policy != nil {
		t.Errorf("bucket %+v", a.Buckets)
	}
}

func TestCollectErrors(t *testing.T) {
	cases := map[string]struct {
		setup func(*awsapi.Server)
		role  string
		check func(*testing.T, *snapshot.Snapshot, *awsapi.Server)
	}{
		// NoSuchEntity is an answer: the role does not exist.
		"role does not exist": {role: "missing", check: func(t *testing.T, s *snapshot.Snapshot, srv *awsapi.Server) {
			r, ok := s.AWS.Roles[srv.RoleARN("missing")]
			if !ok || r.Found {
				t.Fatalf("role %+v", r)
			}
			if len(s.Errors) != 0 {
				t.Fatalf("gaps %+v", s.Errors)
			}
		}},
		// AccessDenied is a gap: the role is absent and the reason kept.
		"GetRole denied": {setup: func(srv *awsapi.Server) { srv.Deny["GetRole"] = true }, check: func(t *testing.T, s *snapshot.Snapshot, srv *awsapi.Server) {
			if _, ok := s.AWS.Roles[srv.RoleARN("backup-restore-role")]; ok {
				t.Fatal("a denied role is in the snapshot")
			}
			assertGap(t, s, KindRole, srv.RoleARN("backup-restore-role"), "forbidden", "AccessDenied")
		}},
		"inline policy denied": {setup: func(srv *awsapi.Server) { srv.Deny["GetRolePolicy"] = true }, check: func(t *testing.T, s *snapshot.Snapshot, srv *awsapi.Server) {
			r := s.AWS.Roles[srv.RoleARN("backup-restore-role")]
			if len(r.Inline) != 1 || r.Inline[0].Error == "" || r.Inline[0].Document != nil {
				t.Fatalf("inline %+v", r.Inline)
			}
			assertGap(t, s, KindRole, srv.RoleARN("backup-restore-role"), "forbidden", "GetRolePolicy")
		}},
		"associations denied": {setup: func(srv *awsapi.Server) { srv.Deny["ListPodIdentityAssociations"] = true }, check: func(t *testing.T, s *snapshot.Snapshot, _ *awsapi.Server) {
			assertGap(t, s, KindAssociation, "", "forbidden", "AccessDeniedException")
		}},
		// Throttled calls are retried with backoff and then succeed.
		"throttled": {setup: func(srv *awsapi.Server) { srv.Throttle["GetRole"] = 2; srv.Throttle["DescribeCluster"] = 1 }, check: func(t *testing.T, s *snapshot.Snapshot, srv *awsapi.Server) {
			if len(s.Errors) != 0 {
				t.Fatalf("gaps %+v", s.Errors)
			}
			if c := srv.Calls(); c["GetRole"] != 3 || c["DescribeCluster"] != 2 {
				t.Fatalf("calls %v, want GetRole 3 and DescribeCluster 2", c)
			}
		}},
		// A call that does not answer in time is a timeout gap; the scan
		// goes on.
		"GetRole hangs": {setup: func(srv *awsapi.Server) { srv.Delay["GetRole"] = time.Second }, check: func(t *testing.T, s *snapshot.Snapshot, srv *awsapi.Server) {
			assertGap(t, s, KindRole, srv.RoleARN("backup-restore-role"), "timeout", "")
			if _, ok := s.AWS.Buckets[bucket]; !ok {
				t.Error("the scan stopped after the timeout")
			}
		}},
		"bucket policy denied": {setup: func(srv *awsapi.Server) { srv.Deny["GetBucketPolicy"] = true }, check: func(t *testing.T, s *snapshot.Snapshot, _ *awsapi.Server) {
			assertGap(t, s, KindBucket, bucket, "forbidden", "AccessDenied")
		}},
		"role in another partition": {role: "arn:aws-cn:iam::123456789012:role/backup", check: func(t *testing.T, s *snapshot.Snapshot, _ *awsapi.Server) {
			assertGap(t, s, KindRole, "arn:aws-cn:iam::123456789012:role/backup", "not-provided", "partition aws-cn")
		}},
		"role in another account": {role: "arn:aws:iam::210987654321:role/backup", check: func(t *testing.T, s *snapshot.Snapshot, _ *awsapi.Server) {
			assertGap(t, s, KindRole, "arn:aws:iam::210987654321:role/backup", "not-provided", "account 210987654321")
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := server(t)
			if c.setup != nil {
				c.setup(srv)
			}
			role := srv.RoleARN("backup-restore-role")
			if strings.HasPrefix(c.role, "arn:") {
				role = c.role
			} else if c.role != "" {
				role = srv.RoleARN(c.role)
			}
			c.check(t, collect(t, spaceSnapshot(1, role)), srv)
		})
	}
}

func assertGap(t *testing.T, s *snapshot.Snapshot, kind, name, reason, text string) {
	t.Helper()
	for _, e := range s.Errors {
		if e.Kind == kind && e.Name == name && e.Reason == reason && strings.Contains(e.Message, text) {
			return
		}
	}
	t.Fatalf("no %s gap %s/%s with %q: %+v", reason, kind, name, text, s.Errors)
}

// With every control plane sharing one role, a thousand namespaces cost the
// same AWS calls as one: each distinct role is read once.
func TestCallsDoNotGrowWithNamespaces(t *testing.T) {
	count := func(n int) map[string]int {
		srv := server(t)
		collect(t, spaceSnapshot(n, srv.RoleARN("backup-restore-role")))
		return srv.Calls()
	}
	one, many := count(1), count(1000)
	if fmt.Sprint(one) != fmt.Sprint(many) {
		t.Fatalf("calls with 1 namespace %v, with 1,000 %v", one, many)
	}
	t.Logf("AWS calls for 1 or 1,000 namespaces: %v", one)
}

// Access denied on the role is never a pass: every AWS control that needs
// the role is unknown, and WI-SCAN-001 names the gap.
func TestAccessDeniedIsUnknown(t *testing.T) {
	srv := server(t)
	srv.Deny["GetRole"] = true
	s := spaceSnapshot(3, srv.RoleARN("backup-restore-role"))
	s.Kubernetes.Spaces.Kinds["SharedBackupConfig"] = true
	collect(t, s)
	e, err := engine.New(context.Background(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := e.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.Status{}
	for _, f := range fs {
		if strings.HasPrefix(f.ControlID, "WI-AWS-") || f.ControlID == "WI-SCAN-001" {
			got[f.ControlID] = f.Status
		}
	}
	for _, id := range []string{"WI-AWS-001", "WI-AWS-003", "WI-AWS-004", "WI-AWS-005", "WI-AWS-006", "WI-AWS-007", "WI-AWS-008", "WI-AWS-012"} {
		if got[id] != report.Unknown {
			t.Errorf("%s: %q, want unknown", id, got[id])
		}
	}
	if got["WI-SCAN-001"] != report.Fail {
		t.Errorf("WI-SCAN-001: %q, want fail (all: %v)", got["WI-SCAN-001"], got)
	}
}

// Without --cluster-name, a kubeconfig context named after the cluster's ARN
// (as aws eks update-kubeconfig names it) gives the cluster and region; with
// neither, the cluster is a gap that says what to pass.
func TestClusterFromContext(t *testing.T) {
	srv := server(t)
	s := spaceSnapshot(1, srv.RoleARN("backup-restore-role"))
	opts := Options{ClusterARN: "arn:aws:eks:us-east-1:123456789012:cluster/spaces", MaxBackoff: time.Millisecond}
	if err := New(opts).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if s.AWS.Cluster == nil || s.AWS.Cluster.Name != "spaces" || len(s.Errors) != 0 {
		t.Fatalf("cluster %+v, gaps %+v", s.AWS.Cluster, s.Errors)
	}
	s = spaceSnapshot(1, srv.RoleARN("backup-restore-role"))
	if err := New(Options{ClusterARN: "kind-dev"}).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	assertGap(t, s, KindCluster, "", "not-provided", "--cluster-name")
	assertGap(t, s, KindAssociation, "", "not-provided", "--cluster-name")
}

// A live snapshot with the AWS side keeps to the snapshot schema.
func TestSnapshotSchema(t *testing.T) {
	srv := server(t)
	s := collect(t, spaceSnapshot(2, srv.RoleARN("backup-restore-role"), srv.RoleARN("missing")))
	var buf bytes.Buffer
	if err := snapshot.Save(&buf, s); err != nil {
		t.Fatal(err)
	}
	if err := snapshot.Validate(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// An identity STS refuses leaves nothing of AWS readable: the collector
// says so with ErrNoIdentity (the CLI's exit 3), after recording the gaps
// that make every AWS control unknown.
func TestNoIdentity(t *testing.T) {
	srv := server(t)
	srv.Deny["GetCallerIdentity"] = true
	s := spaceSnapshot(1, "backup-restore-role")
	err := New(Options{ClusterName: "spaces", Timeout: 300 * time.Millisecond, MaxBackoff: 5 * time.Millisecond}).Collect(context.Background(), s)
	if !errors.Is(err, ErrNoIdentity) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("got %v, want ErrNoIdentity naming the refusal", err)
	}
	if len(s.Errors) == 0 {
		t.Error("no gaps recorded")
	}
}

// Every AWS call the collector makes, when refused, ends as a gap of the
// kind it reads, never as silently missing data.
func TestEveryDeniedCallIsAGap(t *testing.T) {
	kinds := map[string]string{
		"DescribeCluster":                KindCluster,
		"ListOpenIDConnectProviders":     KindProvider,
		"GetOpenIDConnectProvider":       KindProvider,
		"GetRole":                        KindRole,
		"ListRolePolicies":               KindRole,
		"GetRolePolicy":                  KindRole,
		"ListAttachedRolePolicies":       KindRole,
		"GetPolicy":                      KindRole,
		"GetPolicyVersion":               KindRole,
		"ListPodIdentityAssociations":    KindAssociation,
		"DescribePodIdentityAssociation": KindAssociation,
		"GetBucketPolicy":                KindBucket,
	}
	for op, kind := range kinds {
		t.Run(op, func(t *testing.T) {
			srv := server(t)
			// An association, so that describing one is called too.
			srv.Assocs = []awsapi.Association{{ID: "a-0123456789abcdef0", Namespace: namespace(0), ServiceAccount: "mxp-controller", RoleARN: srv.RoleARN("backup-restore-role")}}
			srv.Deny[op] = true
			s := collect(t, spaceSnapshot(1, srv.RoleARN("backup-restore-role")))
			if srv.Calls()[op] == 0 {
				t.Fatalf("%s was not called", op)
			}
			for _, e := range s.Errors {
				if e.Kind == kind && e.Reason == "forbidden" {
					return
				}
			}
			t.Errorf("no forbidden %s gap: %+v", kind, s.Errors)
		})
	}
}

// Gaps found while role reads run concurrently are recorded under the
// lock: a role that cannot be read next to one whose read is refused
// (run with -race, as .ci/run does).
func TestGapsWhileReading(t *testing.T) {
	srv := server(t)
	srv.Deny["GetRole"] = true
	s := collect(t, spaceSnapshot(2, srv.RoleARN("backup-restore-role"), "zz-not-a-role-arn"))
	assertGap(t, s, KindRole, srv.RoleARN("backup-restore-role"), "forbidden", "AccessDenied")
	assertGap(t, s, KindRole, "zz-not-a-role-arn", "not-provided", "")
}

// A policy document given as text decodes the same from S3 (plain JSON,
// where a + is a +) and from IAM (URL-encoded); text that is not JSON
// stays text for the engine to report.
func TestDocument(t *testing.T) {
	plain := `{"Statement":[{"Effect":"Allow","Resource":"arn:aws:s3:::a+b/*"}]}`
	for name, raw := range map[string]string{"plain": plain, "url-encoded": url.PathEscape(plain)} {
		d := document(raw)
		m, ok := d.Document.(map[string]any)
		if !ok {
			t.Fatalf("%s: not decoded: %#v", name, d.Document)
		}
		if got := m["Statement"].([]any)[0].(map[string]any)["Resource"]; got != "arn:aws:s3:::a+b/*" {
			t.Errorf("%s: resource %q, want the + kept", name, got)
		}
	}
	if d := document("not json"); d.Document != "not json" {
		t.Errorf("text %#v, want it kept", d.Document)
	}
}
