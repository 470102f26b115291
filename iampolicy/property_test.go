package iampolicy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomStatement draws a small statement over a few actions, resource
// patterns over a, b and /, and conditions on keys the request carries.
func randomStatement(rng *rand.Rand) map[string]any {
	st := map[string]any{"Effect": []string{"Allow", "Deny"}[rng.IntN(2)]}
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:*", "s3:Get*", "s3:?utObject"}
	pick := func() []string {
		var out []string
		for range 1 + rng.IntN(2) {
			out = append(out, actions[rng.IntN(len(actions))])
		}
		return out
	}
	if rng.IntN(4) == 0 {
		st["NotAction"] = pick()
	} else {
		st["Action"] = pick()
	}
	var resources []string
	for range 1 + rng.IntN(2) {
		var b strings.Builder
		b.WriteString("arn:aws:s3:::")
		for range rng.IntN(4) {
			b.WriteByte("ab/*?"[rng.IntN(5)])
		}
		resources = append(resources, b.String())
	}
	if rng.IntN(4) == 0 {
		st["NotResource"] = resources
	} else {
		st["Resource"] = resources
	}
	switch rng.IntN(4) {
	case 0:
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": []string{"111122223333", "444455556666"}[rng.IntN(2)]}}
	case 1:
		st["Condition"] = map[string]any{"Bool": map[string]any{"aws:SecureTransport": []string{"true", "false"}[rng.IntN(2)]}}
	}
	return st
}

func randomPolicy(t *testing.T, rng *rand.Rand) *Policy {
	var sts []map[string]any
	for range 1 + rng.IntN(3) {
		sts = append(sts, randomStatement(rng))
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
	p, err := Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// For random small policy sets, the exact decision over every resource
// agrees, resource by resource, with evaluating each policy on its own
// request as IAM's logic reads (an explicit deny in any policy wins; an
// identity allow within the boundary allows).
func TestDecideAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4)) //nolint:gosec // G404: a seeded generator keeps the draw reproducible
	ctx := map[string][]string{"aws:PrincipalAccount": {"111122223333"}, "aws:SecureTransport": {"true"}}
	var resources []string
	for _, s := range strs(4) {
		resources = append(resources, "arn:aws:s3:::"+strings.NewReplacer("c", "/").Replace(s))
	}
	seen := map[bool]int{}
	for i := range 300 {
		var ps PolicySet
		for j := range 1 + rng.IntN(2) {
			ps.Identity = append(ps.Identity, Named{Kind: "inline", Name: fmt.Sprint(j), Policy: randomPolicy(t, rng)})
		}
		if rng.IntN(2) == 0 {
			ps.Boundary = &Named{Kind: "boundary", Name: "b", Policy: randomPolicy(t, rng)}
		}
		action := []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}[rng.IntN(3)]
		rs, err := ps.Decide(Request{Action: action, Context: ctx, Free: FreeResource})
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range resources {
			want := bruteForce(ps, Request{Action: action, Resource: res, Context: ctx})
			seen[want]++
			if got := rs.Allowed.Contains(res); got != want || rs.Possible.Contains(res) != want {
				t.Fatalf("case %d, %s on %s: exact %v/%v, brute force %v\n%s", i, action, res, got, rs.Possible.Contains(res), want, describe(ps))
			}
		}
	}
	// The draw must exercise both answers, or the agreement proves little.
	if seen[true] < 1000 || seen[false] < 1000 {
		t.Errorf("allowed %d, denied %d requests: the random policies are too one-sided", seen[true], seen[false])
	}
}

func bruteForce(ps PolicySet, r Request) bool {
	allowed := false
	for _, n := range ps.Identity {
		switch n.Policy.Evaluate(r).Decision {
		case ExplicitDeny:
			return false
		case Allowed:
			allowed = true
		}
	}
	if ps.Boundary != nil {
		switch ps.Boundary.Policy.Evaluate(r).Decision {
		case ExplicitDeny:
			return false
		case Allowed:
		default:
			return false
		}
	}
	return allowed
}

func describe(ps PolicySet) string {
	var b strings.Builder
	for _, n := range ps.Identity {
		j, _ := json.Marshal(n.Policy.Statements)
		fmt.Fprintf(&b, "identity %s: %s\n", n.Name, j)
	}
	if ps.Boundary != nil {
		j, _ := json.Marshal(ps.Boundary.Policy.Statements)
		fmt.Fprintf(&b, "boundary: %s\n", j)
	}
	return b.String()
}

// A broad witness is admitted by the trust policy and outside the scope,
// for random subject patterns.
func TestBroadWitnessIsAdmittedAndOutside(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6)) //nolint:gosec // G404: a seeded generator keeps the draw reproducible
	parts := []string{"system:serviceaccount:", "mxp-", "*", "-system", ":", "mxp-controller", "?", "a"}
	for i := range 200 {
		var b strings.Builder
		for range 2 + rng.IntN(5) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		pattern := b.String()
		doc := fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{%q:"sts.amazonaws.com"},"StringLike":{%q:%q}}}]}`,
			semProvider, semIssuer+":aud", semIssuer+":sub", pattern)
		p, err := Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		scope := []string{"system:serviceaccount:mxp-*-system:mxp-controller"}
		r := IRSA(p, IRSAInput{ProviderARN: semProvider, Issuer: semIssuer, Subjects: []string{"system:serviceaccount:mxp-a-system:mxp-controller"}, Scope: scope})
		for _, w := range r.Broad {
			if !Glob(pattern, w.Subject, false) || Glob(scope[0], w.Subject, false) || !Subjects.Match(w.Subject) {
				t.Fatalf("case %d: pattern %q gave the witness %q", i, pattern, w.Subject)
			}
		}
		// Without a witness, no real subject outside the scope matches:
		// check a few the pattern could mean.
		if len(r.Broad) == 0 {
			for _, s := range []string{"system:serviceaccount:kube-system:mxp-controller", "system:serviceaccount:mxp-a-system:a", "system:serviceaccount:mxp-a-system:mxp-controllera", "system:serviceaccount:a:mxp-controller"} {
				if Glob(pattern, s, false) && !Glob(scope[0], s, false) {
					t.Fatalf("case %d: pattern %q admits %s but no witness was found", i, pattern, s)
				}
			}
		}
	}
}
