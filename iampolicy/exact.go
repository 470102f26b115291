package iampolicy

import (
	"fmt"
	"strings"
)

// Regions are the values of a request's free part (its resource, or one
// condition key) for which a policy set decides one way or another.
type Regions struct {
	// Allowed are the values surely allowed; Possible those that may be,
	// depending on a statement that cannot be decided (an unknown key, an
	// operator not evaluated, a policy variable). Values outside Possible
	// are surely denied.
	Allowed, Possible Region
	// Undecided explains the first undecided statement that could matter.
	Undecided string
}

// policyRegions are one policy's statements folded by effect and by
// whether they apply for sure.
type policyRegions struct {
	allow, maybeAllow, deny, maybeDeny Region
	reason                             string
}

// regions folds a policy's statements for the request.
func (p *Policy) regions(r Request) (policyRegions, error) {
	var out policyRegions
	r.Context = lowerKeys(r.Context)
	for i := range p.Statements {
		st := &p.Statements[i]
		reg, m, why, err := st.region(r)
		if err != nil {
			return out, err
		}
		if m == no || len(reg) == 0 {
			continue
		}
		switch {
		case st.Effect == Allow && m == yes:
			out.allow = Union(out.allow, reg)
		case st.Effect == Allow:
			out.maybeAllow = Union(out.maybeAllow, reg)
		case m == yes && st.Effect == Deny:
			out.deny = Union(out.deny, reg)
		default:
			out.maybeDeny = Union(out.maybeDeny, reg)
		}
		if m == maybe && out.reason == "" {
			out.reason = st.Ref() + ": " + why
		}
	}
	return out, nil
}

// region is the set of free values for which the statement applies, and
// whether it applies for sure (yes) or only perhaps (maybe) there.
func (st *Statement) region(r Request) (Region, tri, string, error) {
	if !st.actionMatches(r.Action) {
		return nil, no, "", nil
	}
	if r.Principal != nil && !st.principalMatches(*r.Principal) {
		return nil, no, "", nil
	}
	result, reason := yes, ""
	undecided := func(why string) {
		if result == yes {
			result, reason = maybe, why
		}
	}
	if st.Broken {
		undecided("the statement is malformed")
	}
	reg := Everything()
	switch {
	case r.Free == FreeResource:
		switch {
		case st.Broken && (notARNs(st.Resource) || notARNs(st.NotResource)):
			// Resources that are not ARNs: what they mean is not guessed.
		case st.Resource != nil:
			reg = Of(globs(st.Resource, false)...)
		case st.NotResource != nil:
			reg = NoneOf(globs(st.NotResource, false)...)
		}
		if v, ok := resourceVariable(st); ok {
			undecided("the resource uses the policy variable " + v + ", which is not evaluated")
		}
	case r.Resource != "":
		if !st.resourceMatches(r.Resource) {
			if _, ok := resourceVariable(st); !ok {
				return nil, no, "", nil
			}
			undecided("the resource uses a policy variable, which is not evaluated")
		}
	}
	free := strings.ToLower(r.Free)
	for _, c := range st.Conditions {
		if free != "" && strings.ToLower(c.Key) == free {
			cr, ok := c.region()
			if !ok {
				undecided(fmt.Sprintf("operator %s is not decided over every value of %s", c.Operator, c.Key))
				continue
			}
			var err error
			if reg, err = Intersect(reg, cr); err != nil {
				return nil, no, "", err
			}
			continue
		}
		switch m, why := c.eval(r); m {
		case no:
			return nil, no, "", nil
		case maybe:
			undecided(why)
		}
	}
	return reg, result, reason, nil
}

// region is the set of values of the condition's key that satisfy it,
// when the key holds one value, as the free keys (a token's sub or aud)
// do. ok is false for an operator not decided that way.
func (c Condition) region() (Region, bool) {
	if !c.Known {
		return nil, false
	}
	if _, ok := c.variable(); ok {
		return nil, false
	}
	var ps []Pattern
	base := c.Base
	neg := negated[base]
	if neg {
		base = positive(base)
	}
	for _, v := range c.Values {
		switch base {
		case "StringEquals":
			ps = append(ps, NewLiteral(v, false))
		case "StringEqualsIgnoreCase", "Bool":
			ps = append(ps, NewLiteral(v, true))
		case "StringLike":
			ps = append(ps, NewGlob(v, false))
		case "ArnEquals", "ArnLike":
			ps = append(ps, NewArnGlob(v))
		case "Null":
			// The free key is always present.
			if strings.EqualFold(v, "true") {
				return Region{}, true
			}
			return Everything(), true
		default:
			return nil, false
		}
	}
	if neg {
		return NoneOf(ps...), true
	}
	return Of(ps...), true
}

func globs(patterns []string, fold bool) []Pattern {
	out := make([]Pattern, len(patterns))
	for i, p := range patterns {
		out[i] = NewGlob(p, fold)
	}
	return out
}

func resourceVariable(st *Statement) (string, bool) {
	for _, r := range append(append([]string{}, st.Resource...), st.NotResource...) {
		if m := variableRE.FindString(r); m != "" {
			return m, true
		}
	}
	return "", false
}

// PolicySet is the policies IAM combines for a request within one account:
// the principal's identity policies, the resource's policy, and the
// permissions boundary, which caps what the identity policies allow.
type PolicySet struct {
	Identity []Named
	// Resource is the resource-based policy (a bucket policy), nil if none.
	Resource *Named
	// Boundary is the permissions boundary, nil if none.
	Boundary *Named
	// Caller is who makes the request, as the resource policy's Principal
	// element names it: for the workload, its role.
	Caller *RequestPrincipal
}

// Decide computes, over the request's free part, what the set allows: an
// explicit deny in any policy wins; otherwise an allow in an identity
// policy or in the resource policy allows, within the boundary.
func (ps PolicySet) Decide(r Request) (Regions, error) {
	var out Regions
	fold := func(n *Named) (policyRegions, error) {
		pr, err := n.Policy.regions(r)
		if err == nil && pr.reason != "" && out.Undecided == "" {
			out.Undecided = n.Kind + " policy " + n.Name + " " + pr.reason
		}
		return pr, err
	}
	var allow, maybeAllow, deny, maybeDeny Region
	for i := range ps.Identity {
		pr, err := fold(&ps.Identity[i])
		if err != nil {
			return out, err
		}
		allow, maybeAllow = Union(allow, pr.allow), Union(maybeAllow, pr.maybeAllow)
		deny, maybeDeny = Union(deny, pr.deny), Union(maybeDeny, pr.maybeDeny)
	}
	if ps.Resource != nil {
		pr, err := ps.Resource.Policy.regions(ps.asCaller(r))
		if err == nil && pr.reason != "" && out.Undecided == "" {
			out.Undecided = ps.Resource.Kind + " policy " + ps.Resource.Name + " " + pr.reason
		}
		if err != nil {
			return out, err
		}
		allow, maybeAllow = Union(allow, pr.allow), Union(maybeAllow, pr.maybeAllow)
		deny, maybeDeny = Union(deny, pr.deny), Union(maybeDeny, pr.maybeDeny)
	}
	// The boundary caps every allow for a role, the resource policy's
	// too when it names the role (not one session of it).
	if ps.Boundary != nil {
		pr, err := fold(ps.Boundary)
		if err != nil {
			return out, err
		}
		sure, err := Intersect(allow, pr.allow)
		if err != nil {
			return out, err
		}
		if maybeAllow, err = Intersect(Union(allow, maybeAllow), Union(pr.allow, pr.maybeAllow)); err != nil {
			return out, err
		}
		allow = sure
		deny, maybeDeny = Union(deny, pr.deny), Union(maybeDeny, pr.maybeDeny)
	}
	var err error
	if out.Allowed, err = Subtract(allow, Union(deny, maybeDeny)); err != nil {
		return out, err
	}
	if out.Possible, err = Subtract(Union(allow, maybeAllow), deny); err != nil {
		return out, err
	}
	return out, nil
}

// asCaller is the request as the resource policy sees it: from the
// caller, or from nobody a statement could name.
func (ps PolicySet) asCaller(r Request) Request {
	r.Principal = ps.Caller
	if r.Principal == nil {
		r.Principal = &RequestPrincipal{Type: "AWS", ID: "arn:aws:iam::000000000000:role/wiscan-unknown-caller"}
	}
	return r
}

// Decision is what the set decides for one request without a free part.
func (rs Regions) Decision() Decision {
	if empty, err := rs.Allowed.Empty(); err != nil || !empty {
		if err == nil {
			return Allowed
		}
		return Indeterminate
	}
	if empty, err := rs.Possible.Empty(); err != nil || !empty {
		return Indeterminate
	}
	return ImplicitDeny
}
