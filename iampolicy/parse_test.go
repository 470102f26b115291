package iampolicy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// documented is the permission policy of the documented setup, with the
// bucket filled in.
const documented = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
      "Resource": ["arn:aws:s3:::backups", "arn:aws:s3:::backups/*"]
    }
  ]
}`

func TestParseShapes(t *testing.T) {
	cases := []struct {
		name, doc string
		// statements and the first statement's action and resource counts
		statements, actions, resources int
	}{
		{"statement array", documented, 1, 4, 2},
		{"statement object, string elements", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, 1, 1, 1},
		{"URL-encoded as IAM returns it", url.QueryEscape(documented), 1, 4, 2},
		{"two statements", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","NotAction":"s3:*","NotResource":"*"}]}`, 2, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Problems) > 0 {
				t.Fatalf("problems: %v", p.Problems)
			}
			if len(p.Statements) != c.statements || len(p.Statements[0].Action) != c.actions || len(p.Statements[0].Resource) != c.resources {
				t.Fatalf("got %+v", p.Statements)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	// Documents that are not policies at all: an error, never a policy that
	// grants or denies nothing.
	for name, doc := range map[string]string{
		"truncated":        documented[:len(documented)/2],
		"empty":            "",
		"array":            `[{"Effect":"Allow"}]`,
		"no statement":     `{"Version":"2012-10-17"}`,
		"statement string": `{"Statement":"allow all"}`,
		"trailing data":    documented + `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(doc)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), "s3:") {
				t.Fatalf("error quotes the document: %v", err)
			}
		})
	}
}

func TestParseProblems(t *testing.T) {
	// Defects inside one statement: the policy parses, the problem names the
	// statement, and the statement is marked broken.
	cases := map[string]struct{ doc, want string }{
		"bad effect":       {`{"Statement":[{"Sid":"A","Effect":"allow","Action":"s3:*","Resource":"*"}]}`, `statement "A": Effect "allow"`},
		"no action":        {`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, `statement #1: needs exactly one of Action and NotAction`},
		"unknown operator": {`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringFuzzy":{"aws:x":"y"}}}]}`, `unknown condition operator "StringFuzzy"`},
		"action number":    {`{"Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}`, `Action: holds a number`},
		"principal string": {`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"root"}]}`, `Principal: string "root"`},
		"statement number": {`{"Statement":[3]}`, `statement #1: is a number`},
		"unknown element":  {`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Resources":"*"}]}`, `unknown element "Resources"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(c.doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Problems) == 0 || !strings.Contains(p.Problems[0].String(), c.want) {
				t.Fatalf("problems %v, want one containing %q", p.Problems, c.want)
			}
			if !p.Statements[0].Broken {
				t.Fatal("statement not marked broken")
			}
		})
	}
}

func TestSize(t *testing.T) {
	// IAM counts characters without white space: the pretty and the compact
	// form of one document have the same size.
	p1, _ := Parse(documented)
	p2, _ := Parse(strings.Join(strings.Fields(documented), ""))
	if p1.Size != p2.Size || p1.Size != len(strings.Join(strings.Fields(documented), "")) {
		t.Fatalf("sizes %d and %d", p1.Size, p2.Size)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(documented)
	f.Add(url.QueryEscape(documented))
	f.Add(`{"Statement":{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"ForAnyValue:StringLikeIfExists":{"a:sub":["*",1,true]}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		// Whatever parsed must evaluate without a panic, and a broken
		// statement never yields a definite allow by itself.
		r := p.Evaluate(Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
			Principal: &RequestPrincipal{Type: "AWS", ID: "arn:aws:iam::111122223333:role/r"},
			Context:   map[string][]string{"a:sub": {"x"}}})
		if r.Decision == Allowed && r.Statement != nil && r.Statement.Broken {
			t.Fatalf("broken %s decided allow", r.Statement.Ref())
		}
		// The exact analyses end on any document, and their witnesses are
		// what the policy allows.
		in := AccessInput{Partition: "aws", Bucket: "b", RoleARN: "arn:aws:iam::111122223333:role/r", Identity: []Named{{Kind: "inline", Name: "p", Policy: p}}}
		for _, e := range Access(in).Excess {
			if rs, err := newAccess(in).decide(e.Action); err == nil && !rs.Allowed.Contains(e.Resource) {
				t.Fatalf("witness %s on %s is not allowed", e.Action, e.Resource)
			}
		}
		IRSA(p, IRSAInput{ProviderARN: "arn:aws:iam::111122223333:oidc-provider/x", Issuer: "a", Subjects: []string{"system:serviceaccount:n:s"}, Scope: []string{"system:serviceaccount:n:*"}})
	})
}
