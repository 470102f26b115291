package iampolicy

import (
	"testing"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	role := &RequestPrincipal{Type: "AWS", ID: "arn:aws:iam::111122223333:role/backup"}
	get := Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::backups/cp1/state.tar"}
	cases := []struct {
		name string
		doc  string
		req  Request
		want Decision
	}{
		{"documented policy grants an object", documented, get, Allowed},
		{"action names are case-insensitive", `{"Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}}`, get, Allowed},
		{"resource ARNs are case-sensitive", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::BACKUPS/*"}}`, get, ImplicitDeny},
		{"action wildcard", `{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`, get, Allowed},
		{"single-character wildcard", `{"Statement":{"Effect":"Allow","Action":"s3:GetObjec?","Resource":"arn:aws:s3:::backup?/*"}}`, get, Allowed},
		{"star action", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, get, Allowed},
		{"NotAction allows the rest", `{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, get, Allowed},
		{"NotAction excludes", `{"Statement":{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}}`, get, ImplicitDeny},
		{"NotResource allows the rest", `{"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::other/*"}}`, get, Allowed},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::backups/*"}]}`, get, ExplicitDeny},
		{"deny on another bucket", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}]}`, get, Allowed},
		{"prefix grant is not the whole bucket", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::backups/other/*"}}`, get, ImplicitDeny},
		{"broken allow is indeterminate", `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringFuzzy":{"k":"v"}}}}`, get, Indeterminate},
		{"broken deny is indeterminate", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NewOperator":{"k":"v"}}}]}`, get, Indeterminate},
		{"definite deny beats a broken one", `{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"NewOperator":{"k":"v"}}},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, get, ExplicitDeny},
		{"principal account ID", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}}`, withPrincipal(get, role), Allowed},
		{"principal account root", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"*"}}`, withPrincipal(get, role), Allowed},
		{"principal other account", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"*"}}`, withPrincipal(get, role), ImplicitDeny},
		{"principal star", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, withPrincipal(get, role), Allowed},
		{"principal AWS star", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":"*"}}`, withPrincipal(get, role), Allowed},
		{"NotPrincipal", `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/backup"},"Action":"s3:*","Resource":"*"}}`, withPrincipal(get, role), ImplicitDeny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustParse(t, c.doc).Evaluate(c.req); got.Decision != c.want {
				t.Fatalf("decision %s (%s), want %s", got.Decision, got.Reason, c.want)
			}
		})
	}
}

func withPrincipal(r Request, p *RequestPrincipal) Request {
	r.Principal = p
	return r
}

func TestConditions(t *testing.T) {
	stmt := func(cond string) string {
		return `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}}`
	}
	req := func(ctx map[string][]string) Request {
		return Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}
	}
	sub := func(v ...string) map[string][]string { return map[string][]string{"oidc.example/id/X:sub": v} }
	cases := []struct {
		name, cond string
		ctx        map[string][]string
		want       Decision
	}{
		{"StringEquals match", `{"StringEquals":{"oidc.example/id/X:sub":"a"}}`, sub("a"), Allowed},
		{"StringEquals mismatch", `{"StringEquals":{"oidc.example/id/X:sub":"a"}}`, sub("b"), ImplicitDeny},
		{"StringEquals values are OR", `{"StringEquals":{"oidc.example/id/X:sub":["a","b"]}}`, sub("b"), Allowed},
		{"StringEquals is case-sensitive in values", `{"StringEquals":{"oidc.example/id/X:sub":"A"}}`, sub("a"), ImplicitDeny},
		{"keys are case-insensitive", `{"StringEquals":{"OIDC.EXAMPLE/ID/X:SUB":"a"}}`, sub("a"), Allowed},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"oidc.example/id/X:sub":"A"}}`, sub("a"), Allowed},
		{"StringLike star", `{"StringLike":{"oidc.example/id/X:sub":"system:serviceaccount:*:mxp"}}`, sub("system:serviceaccount:ns:mxp"), Allowed},
		{"StringLike question mark", `{"StringLike":{"oidc.example/id/X:sub":"a?c"}}`, sub("abc"), Allowed},
		{"StringLike no match", `{"StringLike":{"oidc.example/id/X:sub":"a*"}}`, sub("ba"), ImplicitDeny},
		{"StringNotEquals values are NOR", `{"StringNotEquals":{"oidc.example/id/X:sub":["a","b"]}}`, sub("b"), ImplicitDeny},
		{"StringNotEquals other value", `{"StringNotEquals":{"oidc.example/id/X:sub":["a","b"]}}`, sub("c"), Allowed},
		{"missing key fails a positive operator", `{"StringEquals":{"oidc.example/id/X:sub":"a"}}`, nil, ImplicitDeny},
		{"missing key passes a negated operator", `{"StringNotEquals":{"oidc.example/id/X:sub":"a"}}`, nil, Allowed},
		{"IfExists passes a missing key", `{"StringEqualsIfExists":{"oidc.example/id/X:sub":"a"}}`, nil, Allowed},
		{"IfExists checks a present key", `{"StringEqualsIfExists":{"oidc.example/id/X:sub":"a"}}`, sub("b"), ImplicitDeny},
		{"ForAnyValue any", `{"ForAnyValue:StringEquals":{"oidc.example/id/X:sub":"a"}}`, sub("b", "a"), Allowed},
		{"ForAnyValue missing key", `{"ForAnyValue:StringEquals":{"oidc.example/id/X:sub":"a"}}`, nil, ImplicitDeny},
		{"ForAllValues every", `{"ForAllValues:StringEquals":{"oidc.example/id/X:sub":["a","b"]}}`, sub("b", "a"), Allowed},
		{"ForAllValues one outside", `{"ForAllValues:StringEquals":{"oidc.example/id/X:sub":["a"]}}`, sub("a", "c"), ImplicitDeny},
		{"ForAllValues missing key passes", `{"ForAllValues:StringEquals":{"oidc.example/id/X:sub":["a"]}}`, nil, Allowed},
		{"ForAnyValue negated admits nearly all", `{"ForAnyValue:StringNotEquals":{"oidc.example/id/X:sub":["a","b"]}}`, sub("z"), Allowed},
		{"several keys are AND", `{"StringEquals":{"oidc.example/id/X:sub":"a","oidc.example/id/X:aud":"sts.amazonaws.com"}}`, sub("a"), ImplicitDeny},
		{"Null true", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, Allowed},
		{"Null false", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, ImplicitDeny},
		{"Bool", `{"Bool":{"aws:SecureTransport":"true"}}`, map[string][]string{"aws:securetransport": {"true"}}, Allowed},
		{"Bool as JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, map[string][]string{"aws:SecureTransport": {"true"}}, Allowed},
		{"ArnLike per component", `{"ArnLike":{"aws:SourceArn":"arn:aws:eks:*:111122223333:cluster/*"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:eks:us-east-1:111122223333:cluster/prod"}}, Allowed},
		{"ArnLike wildcard stays in its component", `{"ArnLike":{"aws:SourceArn":"arn:aws:eks:*:cluster/prod"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:eks:us-east-1:111122223333:cluster/prod"}}, ImplicitDeny},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, map[string][]string{"s3:max-keys": {"5"}}, Allowed},
		{"IpAddress on a present key is not evaluated", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, map[string][]string{"aws:SourceIp": {"10.1.2.3"}}, Indeterminate},
		{"IpAddress on a missing key fails", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, ImplicitDeny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustParse(t, stmt(c.cond)).Evaluate(req(c.ctx)); got.Decision != c.want {
				t.Fatalf("decision %s (%s), want %s", got.Decision, got.Reason, c.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "anything:at/all", true}, {"a*b", "ab", true}, {"a*b", "axxb", true},
		{"a*b", "axxbc", false}, {"a?c", "abc", true}, {"a?c", "ac", false}, {"*a*b*", "xxaxxbxx", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true}, {"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"", "", true}, {"", "a", false}, {"**", "abc", true},
	}
	for _, c := range cases {
		if got := Glob(c.pattern, c.s, false); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// ARNField splits an ARN into its six fields once, for every package that
// reads one; anything that is not an ARN, or a field past the sixth, is "".
func TestARNField(t *testing.T) {
	role := "arn:aws-cn:iam::123456789012:role/path/with:colon"
	for i, want := range []string{"arn", "aws-cn", "iam", "", "123456789012", "role/path/with:colon"} {
		if got := ARNField(role, i); got != want {
			t.Errorf("field %d: %q, want %q", i, got, want)
		}
	}
	for _, c := range []struct {
		arn string
		i   int
	}{{"urn:aws:iam::1:role/x", 4}, {"arn:aws:iam", 1}, {role, 6}, {role, -1}} {
		if got := ARNField(c.arn, c.i); got != "" {
			t.Errorf("ARNField(%q, %d) = %q, want empty", c.arn, c.i, got)
		}
	}
}
