package iampolicy

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	issuer   = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	provider = "arn:aws:iam::111122223333:oidc-provider/" + issuer
	ns1      = "mxp-0a1b2c3d-system"
	ns2      = "mxp-4e5f6a7b-system"
)

// trust builds an IRSA trust policy like the documented one, from one
// statement's parts.
func trust(principal, action, conditions string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":%q,"Condition":%s}]}`, principal, action, conditions)
}

var (
	federated  = `{"Federated":"` + provider + `"}`
	documentCd = `{"StringEquals":{"` + issuer + `:aud":"sts.amazonaws.com","` + issuer + `:sub":["system:serviceaccount:` + ns1 + `:mxp-controller","system:serviceaccount:` + ns2 + `:mxp-controller"]}}`
)

func TestIRSA(t *testing.T) {
	in := IRSAInput{
		ProviderARN: provider, Issuer: issuer,
		Subjects: []string{Subject(ns1, "mxp-controller"), Subject(ns2, "mxp-controller")},
		Scope:    []string{"system:serviceaccount:mxp-*-system:mxp-controller"},
	}
	cases := []struct {
		name              string
		doc               string
		statements, noAud int
		broad             bool
		denied            []string
	}{
		{"documented", trust(federated, WebIdentityAction, documentCd), 1, 0, false, nil},
		{"one namespace missing", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com","`+issuer+`:sub":"system:serviceaccount:`+ns1+`:mxp-controller"}}`), 1, 0, false, []string{Subject(ns2, "mxp-controller")}},
		{"any service account", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"},"StringLike":{"`+issuer+`:sub":"system:serviceaccount:*:*"}}`), 1, 0, true, nil},
		{"any namespace", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"},"StringLike":{"`+issuer+`:sub":"system:serviceaccount:*:mxp-controller"}}`), 1, 0, true, nil},
		{"pattern confined to the profile", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"},"StringLike":{"`+issuer+`:sub":"system:serviceaccount:mxp-*-system:mxp-controller"}}`), 1, 0, false, nil},
		{"no sub condition", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"}}`), 1, 0, true, nil},
		{"no aud condition", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:sub":"system:serviceaccount:`+ns1+`:mxp-controller"}}`), 1, 1, false, []string{Subject(ns2, "mxp-controller")}},
		{"aud any", trust(federated, WebIdentityAction, `{"StringLike":{"`+issuer+`:aud":"*","`+issuer+`:sub":"system:serviceaccount:mxp-*-system:mxp-controller"}}`), 1, 1, false, nil},
		{"ForAnyValue negated sub", trust(federated, WebIdentityAction, `{"StringEquals":{"`+issuer+`:aud":"sts.amazonaws.com"},"ForAnyValue:StringNotEquals":{"`+issuer+`:sub":["system:serviceaccount:a:b","system:serviceaccount:c:d"]}}`), 1, 0, true, nil},
		{"star principal", trust(`"*"`, WebIdentityAction, documentCd), 1, 0, true, nil},
		{"wrong account", trust(`{"Federated":"arn:aws:iam::444455556666:oidc-provider/`+issuer+`"}`, WebIdentityAction, documentCd), 0, 0, false, []string{Subject(ns1, "mxp-controller"), Subject(ns2, "mxp-controller")}},
		{"wrong issuer", trust(`{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/OTHER"}`, WebIdentityAction, documentCd), 0, 0, false, []string{Subject(ns1, "mxp-controller"), Subject(ns2, "mxp-controller")}},
		{"wrong action", trust(federated, AssumeRoleAction, documentCd), 0, 0, false, []string{Subject(ns1, "mxp-controller"), Subject(ns2, "mxp-controller")}},
		{"deny one namespace", `{"Statement":[` + strings.TrimSuffix(strings.TrimPrefix(trust(federated, WebIdentityAction, documentCd), `{"Version":"2012-10-17","Statement":[`), `]}`) +
			`,{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringEquals":{"` + issuer + `:sub":"system:serviceaccount:` + ns2 + `:mxp-controller"}}}]}`, 1, 0, false, []string{Subject(ns2, "mxp-controller")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := IRSA(mustParse(t, c.doc), in)
			if len(r.Statements) != c.statements || len(r.NoAudience) != c.noAud || (len(r.Broad) > 0) != c.broad {
				t.Fatalf("statements %v, no audience %v, broad %+v", r.Statements, r.NoAudience, r.Broad)
			}
			var denied []string
			for _, d := range r.Denied {
				denied = append(denied, d.Subject)
			}
			if !reflect.DeepEqual(denied, c.denied) {
				t.Fatalf("denied %v, want %v", denied, c.denied)
			}
		})
	}
}

func TestPodIdentity(t *testing.T) {
	in := PodIdentityInput{Account: "111122223333", ClusterARN: "arn:aws:eks:us-east-1:111122223333:cluster/spaces", ClusterName: "spaces",
		Subjects: [][2]string{{ns1, "mxp-controller"}}}
	doc := func(service, actions, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":` + actions + cond + `}]}`
	}
	cases := []struct {
		name, doc string
		denied    []string
	}{
		{"documented", doc(PodIdentityService, `["sts:AssumeRole","sts:TagSession"]`, ""), nil},
		{"source account condition", doc(PodIdentityService, `["sts:AssumeRole","sts:TagSession"]`, `,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}`), nil},
		{"namespace tag condition elsewhere", doc(PodIdentityService, `["sts:AssumeRole","sts:TagSession"]`, `,"Condition":{"StringEquals":{"aws:RequestTag/kubernetes-namespace":"other"}}`), []string{AssumeRoleAction, TagSessionAction}},
		{"no TagSession", doc(PodIdentityService, `"sts:AssumeRole"`, ""), []string{TagSessionAction}},
		{"wrong service", doc("ec2.amazonaws.com", `["sts:AssumeRole","sts:TagSession"]`, ""), []string{AssumeRoleAction, TagSessionAction}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, d := range PodIdentity(mustParse(t, c.doc), in).Denied {
				got = append(got, d.Action)
			}
			if !reflect.DeepEqual(got, c.denied) {
				t.Fatalf("denied %v, want %v", got, c.denied)
			}
		})
	}
}

func TestAccess(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/backup"
	policy := func(stmts string) string { return `{"Version":"2012-10-17","Statement":[` + stmts + `]}` }
	allow := func(actions, resources string) string {
		return `{"Effect":"Allow","Action":` + actions + `,"Resource":` + resources + `}`
	}
	four := `["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject"]`
	both := `["arn:aws:s3:::backups","arn:aws:s3:::backups/*"]`
	cases := []struct {
		name     string
		identity []string
		boundary string
		bucket   string
		missing  []string
		excess   int
		buckets  []string
	}{
		{name: "documented", identity: []string{documented}, missing: nil, excess: 0, buckets: []string{"backups"}},
		{name: "s3 star", identity: []string{policy(allow(`"s3:*"`, both))}, excess: 1, buckets: []string{"backups"}},
		{name: "resource star", identity: []string{policy(allow(four, `"*"`))}, excess: 1, buckets: []string{}},
		{name: "ListBucket only on objects", identity: []string{policy(allow(four, `"arn:aws:s3:::backups/*"`))}, missing: []string{"s3:ListBucket"}, buckets: []string{"backups"}},
		{name: "no DeleteObject", identity: []string{policy(allow(`["s3:GetObject","s3:PutObject","s3:ListBucket"]`, both))}, missing: []string{"s3:DeleteObject"}, buckets: []string{"backups"}},
		{name: "explicit deny", identity: []string{documented, policy(`{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}`)}, missing: []string{"s3:DeleteObject"}, buckets: []string{"backups"}},
		{name: "split over two policies", identity: []string{policy(allow(`["s3:GetObject","s3:PutObject","s3:DeleteObject"]`, `"arn:aws:s3:::backups/*"`)), policy(allow(`"s3:ListBucket"`, `"arn:aws:s3:::backups"`))}, buckets: []string{"backups"}},
		{name: "boundary blocks", identity: []string{documented}, boundary: policy(allow(`["s3:GetObject","s3:PutObject","s3:ListBucket"]`, `"*"`)), missing: []string{"s3:DeleteObject"}, buckets: []string{"backups"}},
		{name: "boundary trims excess", identity: []string{policy(allow(`"s3:*"`, both))}, boundary: policy(allow(four, both)), buckets: []string{"backups"}},
		{name: "boundary keeps excess", identity: []string{policy(allow(`"s3:*"`, both))}, boundary: policy(allow(`"s3:*"`, `"*"`)), excess: 1, buckets: []string{"backups"}},
		{name: "other bucket", identity: []string{documented}, bucket: "elsewhere", missing: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}, excess: 1, buckets: []string{"backups"}},
		{name: "NotAction", identity: []string{policy(`{"Effect":"Allow","NotAction":"iam:*","Resource":` + both + `}`)}, excess: 1, buckets: []string{"backups"}},
		{name: "extra service", identity: []string{documented, policy(allow(`"ec2:DescribeInstances"`, `"*"`))}, excess: 1, buckets: []string{"backups"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := AccessInput{Partition: "aws", Bucket: "backups", RoleARN: role}
			if c.bucket != "" {
				in.Bucket = c.bucket
			}
			for i, doc := range c.identity {
				in.Identity = append(in.Identity, Named{Kind: "inline", Name: fmt.Sprintf("p%d", i), Policy: mustParse(t, doc)})
			}
			if c.boundary != "" {
				in.Boundary = &Named{Kind: "boundary", Name: "arn:aws:iam::111122223333:policy/b", Policy: mustParse(t, c.boundary)}
			}
			r := Access(in)
			var missing []string
			for _, m := range r.Missing {
				missing = append(missing, m.Action)
			}
			if !reflect.DeepEqual(missing, c.missing) || len(r.Excess) != c.excess || !reflect.DeepEqual(r.Buckets, c.buckets) {
				t.Fatalf("missing %+v, excess %+v, buckets %v", r.Missing, r.Excess, r.Buckets)
			}
		})
	}
}

func TestAccessReasons(t *testing.T) {
	in := AccessInput{Partition: "aws", Bucket: "backups", RoleARN: "arn:aws:iam::111122223333:role/backup",
		Identity: []Named{{Kind: "inline", Name: "p", Policy: mustParse(t, `{"Statement":[{"Sid":"Objects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":"arn:aws:s3:::backups/*"},{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)}}}
	got := map[string]string{}
	for _, m := range Access(in).Missing {
		got[m.Action] = m.Reason + "|" + m.Statement
	}
	want := map[string]string{
		"s3:ListBucket":   `granted only on arn:aws:s3:::backups/* by inline policy p statement "Objects"; s3:ListBucket applies to the bucket ARN arn:aws:s3:::backups|`,
		"s3:DeleteObject": `explicit deny in inline policy p statement "NoDelete" blocks s3:DeleteObject on arn:aws:s3:::backups/x|inline policy p statement "NoDelete"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}

// An AWS managed policy is judged by its document, from the export or from
// the shipped list: AmazonS3FullAccess grants s3:* on every bucket.
func TestAWSManagedPolicyIsExcess(t *testing.T) {
	doc, ok := ManagedPolicy("arn:aws:iam::aws:policy/AmazonS3FullAccess")
	if !ok {
		t.Fatal("AmazonS3FullAccess is not in the shipped list")
	}
	in := AccessInput{Partition: "aws", Bucket: "backups", RoleARN: "arn:aws:iam::111122223333:role/backup",
		Identity: []Named{{Kind: "managed", Name: "arn:aws:iam::aws:policy/AmazonS3FullAccess", Policy: doc, Listed: true}}}
	r := Access(in)
	if len(r.Missing) != 0 || len(r.Excess) != 1 || !strings.Contains(r.Excess[0].Policy, "list of AWS managed policies") {
		t.Fatalf("got %+v", r)
	}
}

// Findings say what AWS would do, with the statement and, for a time
// condition, that it was judged at scan time.
func TestExplanations(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	role := "arn:aws:iam::111122223333:role/backup"
	p := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:ListBucket"],"Resource":["arn:aws:s3:::backups","arn:aws:s3:::backups/*"]},
		{"Sid":"Expiry","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}}]}`)
	r := Access(AccessInput{Partition: "aws", Bucket: "backups", RoleARN: role, Identity: []Named{{Kind: "inline", Name: "p", Policy: p}}, Env: Environment{Now: now}})
	if len(r.Missing) != 1 || !strings.Contains(r.Missing[0].Reason, `explicit deny in inline policy p statement "Expiry" blocks s3:PutObject`) ||
		!strings.Contains(r.Missing[0].Reason, "judged at scan time, 2026-11-29T12:00:00Z") {
		t.Errorf("missing %+v", r.Missing)
	}
	// A grant in the bucket policy is named as such; a long list is cut.
	bucket := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":"s3:Put*","Resource":"arn:aws:s3:::backups"}]}`)
	r = Access(AccessInput{Partition: "aws", Bucket: "backups", RoleARN: role, BucketPolicy: bucket, Env: Environment{Now: now},
		Identity: []Named{{Kind: "inline", Name: "p", Policy: mustParse(t, documented)}}})
	if len(r.Excess) != 1 || r.Excess[0].Policy != "bucket policy backups" || !regexp.MustCompile(`and \d+ more actions$`).MatchString(r.Excess[0].Detail) {
		t.Errorf("excess %+v", r.Excess)
	}
}

// An undecided result names the policy and statement that leave it open.
func TestUndecidedNamesThePolicy(t *testing.T) {
	allow := Named{Kind: "inline", Name: "p", Policy: mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`)}
	boundary := Named{Kind: "boundary", Name: "b", Policy: mustParse(t, `{"Statement":[{"Sid":"Net","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)}
	rs, err := PolicySet{Identity: []Named{allow}, Boundary: &boundary}.Decide(Environment{}.S3("arn:aws:iam::111122223333:role/r", "s3:PutObject", "arn:aws:s3:::b/k"))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Decision() != Indeterminate || !strings.HasPrefix(rs.Undecided, `boundary policy b statement "Net": the request's aws:SourceIp is not known`) {
		t.Errorf("%s: %q", rs.Decision(), rs.Undecided)
	}
	bucket := Named{Kind: "bucket", Name: "b", Policy: mustParse(t, `{"Statement":[{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`)}
	rs, err = PolicySet{Identity: []Named{allow}, Resource: &bucket, Caller: &RequestPrincipal{Type: "AWS", ID: "arn:aws:iam::111122223333:role/r"}}.Decide(Environment{}.S3("arn:aws:iam::111122223333:role/r", "s3:PutObject", "arn:aws:s3:::b/k"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rs.Undecided, `bucket policy b statement "Vpce"`) {
		t.Errorf("%q", rs.Undecided)
	}
}

// A key present with no values is absent; Null with no value is false.
func TestEmptyContextValues(t *testing.T) {
	p := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"s3:x":"true"}}}]}`)
	if d := p.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: map[string][]string{"s3:x": {}}}).Decision; d != Allowed {
		t.Errorf("a key with no values: %s, want allow (it is absent)", d)
	}
}

// Needs other than the backup's: a workload that reads secrets is judged
// against Secrets Manager's read actions on the secrets it names (met by
// any one of them), and one that only writes and lists objects against
// those two; optional actions are neither missing nor excess. Each case
// names the missing actions and the witness actions of the excess.
func TestAccessNeeds(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/app"
	policy := func(stmts ...string) *Policy {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`)
	}
	allow := func(actions, resources string) string {
		return `{"Effect":"Allow","Action":` + actions + `,"Resource":` + resources + `}`
	}
	secret := "arn:aws:secretsmanager:*:*:secret:spaces/*-??????" //nolint:gosec // G101: a secret's ARN pattern, not a credential
	secrets := []Need{{Action: "secretsmanager:GetSecretValue", Resource: secret}, {Action: "secretsmanager:DescribeSecret", Resource: secret, Optional: true}}
	writer := []Need{{Action: "s3:PutObject"}, {Action: "s3:ListBucket"}}
	cases := []struct {
		name    string
		needs   []Need
		bucket  string
		policy  *Policy
		missing []string
		excess  []string
	}{
		{name: "secret read on the path", needs: secrets, policy: policy(allow(`["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"]`, `"arn:aws:secretsmanager:us-east-1:111122223333:secret:spaces/db-AbCdEf"`))},
		{name: "secret read everywhere", needs: secrets, policy: policy(allow(`"secretsmanager:GetSecretValue"`, `"*"`)), excess: []string{"secretsmanager:GetSecretValue"}},
		{name: "every secret action", needs: secrets, policy: policy(allow(`"secretsmanager:*"`, `"arn:aws:secretsmanager:us-east-1:111122223333:secret:spaces/db-AbCdEf"`)), excess: []string{"secretsmanager:Any"}},
		{name: "secret outside the path", needs: secrets, policy: policy(allow(`"secretsmanager:GetSecretValue"`, `"arn:aws:secretsmanager:us-east-1:111122223333:secret:other-AbCdEf"`)), missing: []string{"secretsmanager:GetSecretValue"}, excess: []string{"secretsmanager:GetSecretValue"}},
		{name: "backup grants for a secrets reader", needs: secrets, policy: policy(documentedStatement()), missing: []string{"secretsmanager:GetSecretValue"}, excess: []string{"s3:DeleteObject"}},
		{name: "writer with the four backup actions", needs: writer, bucket: "usage", policy: policy(allow(`["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject"]`, `["arn:aws:s3:::usage","arn:aws:s3:::usage/*"]`)), excess: []string{"s3:DeleteObject"}},
		{name: "writer without ListBucket", needs: writer, bucket: "usage", policy: policy(allow(`"s3:PutObject"`, `"arn:aws:s3:::usage/*"`)), missing: []string{"s3:ListBucket"}},
		{name: "needs nothing", needs: []Need{}, bucket: "usage", policy: policy(allow(`"s3:PutObject"`, `"arn:aws:s3:::usage/*"`)), excess: []string{"s3:PutObject"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Access(AccessInput{Partition: "aws", Bucket: c.bucket, RoleARN: role, Needs: c.needs, Identity: []Named{{Kind: "inline", Name: "p", Policy: c.policy}}})
			var missing, excess []string
			for _, m := range r.Missing {
				missing = append(missing, m.Action)
			}
			for _, e := range r.Excess {
				excess = append(excess, e.Action)
			}
			if !slices.Equal(missing, c.missing) || !slices.Equal(excess, c.excess) {
				t.Errorf("missing %v excess %v (%+v), want missing %v excess %v", missing, excess, r.Excess, c.missing, c.excess)
			}
			// A needed action is never named as excess where it is needed.
			for _, e := range r.Excess {
				if c.name == "writer with the four backup actions" && (strings.Contains(e.Detail, "PutObject") || strings.Contains(e.Detail, "ListBucket")) {
					t.Errorf("needed actions named as excess: %s", e.Detail)
				}
			}
			for _, req := range r.Required {
				for _, n := range c.needs {
					if n.Optional && strings.EqualFold(n.Action, req.Action) {
						t.Errorf("optional %s is required", n.Action)
					}
				}
			}
		})
	}
}

func documentedStatement() string {
	return `{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket","s3:DeleteObject"],"Resource":["arn:aws:s3:::spaces-backups","arn:aws:s3:::spaces-backups/*"]}`
}
