package remediate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wiscan/wiscan/iampolicy"
)

const (
	issuer   = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	provider = "arn:aws:iam::123456789012:oidc-provider/" + issuer
)

func sub(ns string) string { return "system:serviceaccount:" + ns + ":mxp-controller" }

// trustDoc is a trust policy of the documented shape whose sub condition
// holds subs (a string for one), with extra statements after it.
func trustDoc(t *testing.T, subs any, extra ...map[string]any) any {
	t.Helper()
	statements := []any{map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"Federated": provider},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringEquals": map[string]any{issuer + ":aud": "sts.amazonaws.com", issuer + ":sub": subs}},
	}}
	for _, e := range extra {
		statements = append(statements, e)
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// admits decides, with the IRSA analysis rather than by reading the text,
// which of the subjects a document admits.
func admits(t *testing.T, doc string, subjects ...string) map[string]bool {
	t.Helper()
	p, err := iampolicy.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	r := iampolicy.IRSA(p, iampolicy.IRSAInput{ProviderARN: provider, Issuer: issuer, Subjects: subjects})
	out := map[string]bool{}
	for _, s := range subjects {
		out[s] = true
	}
	for _, d := range r.Denied {
		out[d.Subject] = false
	}
	return out
}

// The new document admits exactly the old subjects and the added ones:
// each added subject, every old one, and no other control plane, as the
// IAM evaluator decides; and nothing but the sub condition changes.
func TestEditTrustAdmitsExactlyTheAdded(t *testing.T) {
	deny := map[string]any{"Effect": "Deny", "Principal": map[string]any{"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringEquals": map[string]any{issuer + ":sub": sub("mxp-9-system")}}}
	for name, c := range map[string]struct {
		doc      any
		add, old []string
	}{
		"one subject, a string":          {trustDoc(t, sub("mxp-1-system")), []string{sub("mxp-2-system")}, []string{sub("mxp-1-system")}},
		"a list":                         {trustDoc(t, []string{sub("mxp-1-system"), sub("mxp-3-system")}), []string{sub("mxp-2-system"), sub("mxp-4-system")}, []string{sub("mxp-1-system"), sub("mxp-3-system")}},
		"a deny of another stays":        {trustDoc(t, sub("mxp-1-system"), deny), []string{sub("mxp-2-system")}, []string{sub("mxp-1-system")}},
		"a subject already there is one": {trustDoc(t, sub("mxp-1-system")), []string{sub("mxp-1-system"), sub("mxp-2-system")}, []string{sub("mxp-1-system")}},
	} {
		t.Run(name, func(t *testing.T) {
			c2, err := editTrust(c.doc, provider, issuer, c.add, DefaultTrustPolicyQuota, nil)
			if err != nil {
				t.Fatal(err)
			}
			all := append(append([]string{}, c.old...), c.add...)
			outsider := sub("mxp-5-system")
			got := admits(t, c2.After, append(all, outsider)...)
			for _, s := range all {
				if !got[s] {
					t.Errorf("the new policy does not admit %s:\n%s", s, c2.After)
				}
			}
			if got[outsider] {
				t.Errorf("the new policy admits %s, which nobody added:\n%s", outsider, c2.After)
			}
			if before := admits(t, c2.Before, outsider); before[outsider] {
				t.Fatal("the test's outsider was admitted before")
			}
			if strings.Count(c2.Diff, "\n-") != 1 {
				t.Errorf("the diff changes more than the sub condition:\n%s", c2.Diff)
			}
		})
	}
}

// Where the edit cannot be made exactly, the step is by hand and says why:
// no statement to add to, or a policy whose answer for the new subject is
// not the added one (a deny of exactly that subject).
func TestEditTrustRefuses(t *testing.T) {
	denyNew := map[string]any{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringEquals": map[string]any{issuer + ":sub": sub("mxp-2-system")}}}
	pod := map[string]any{"Version": "2012-10-17", "Statement": map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "pods.eks.amazonaws.com"}, "Action": []any{"sts:AssumeRole", "sts:TagSession"}}}
	for name, c := range map[string]struct {
		doc  any
		want string
	}{
		"no web identity statement": {pod, "no statement allows sts:AssumeRoleWithWebIdentity"},
		"a deny of the new subject": {trustDoc(t, sub("mxp-1-system"), denyNew), "would change what it admits beyond the added subjects"},
		"another provider only":     {trustDoc(t, sub("mxp-1-system")), "no statement allows"},
	} {
		p := provider
		if name == "another provider only" {
			p = strings.Replace(provider, "123456789012", "210987654321", 1)
		}
		_, err := editTrust(c.doc, p, issuer, []string{sub("mxp-2-system")}, DefaultTrustPolicyQuota, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

// Over the quota, with the profile's scope, the subjects move to one
// StringLike pattern that admits the control plane namespaces and nothing
// outside them; the evaluator proves it.
func TestEditTrustPattern(t *testing.T) {
	var subs []string
	for i := range 40 {
		subs = append(subs, sub(fmt.Sprintf("mxp-%08x-system", i)))
	}
	scope := []string{"system:serviceaccount:mxp-*-system:mxp-controller"}
	c, err := editTrust(trustDoc(t, subs), provider, issuer, []string{sub("mxp-ffffffff-system")}, DefaultTrustPolicyQuota, scope)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Pattern) != 1 || c.Size > c.Quota || c.Literal <= c.Quota {
		t.Fatalf("pattern %v, size %d, literal %d, quota %d", c.Pattern, c.Size, c.Literal, c.Quota)
	}
	got := admits(t, c.After, sub("mxp-ffffffff-system"), subs[0], sub("mxp-abc-system"), sub("kube-system"), "system:serviceaccount:mxp-1-system:other")
	want := map[string]bool{sub("mxp-ffffffff-system"): true, subs[0]: true, sub("mxp-abc-system"): true, sub("kube-system"): false, "system:serviceaccount:mxp-1-system:other": false}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("%s admitted %v, want %v:\n%s", s, got[s], w, c.After)
		}
	}
	// Without a scope the document stays over the quota, and the caller
	// makes the step by hand.
	c, err = editTrust(trustDoc(t, subs), provider, issuer, []string{sub("mxp-ffffffff-system")}, DefaultTrustPolicyQuota, nil)
	if err != nil || c.Size <= c.Quota || len(c.Pattern) != 0 {
		t.Errorf("without a scope: %v, size %d", err, c.Size)
	}
}
