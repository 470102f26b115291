package iampolicy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Decision is the outcome of evaluating a request.
type Decision string

// Decisions. Indeterminate means a statement that could change the outcome
// cannot be evaluated (a broken statement, an operator wiscan does not
// evaluate on the value given); it is never treated as Allow.
const (
	ImplicitDeny  Decision = "implicit-deny"
	Allowed       Decision = "allow"
	ExplicitDeny  Decision = "explicit-deny"
	Indeterminate Decision = "indeterminate"
)

// Request is what a principal asks to do.
type Request struct {
	Action string
	// Resource is the resource ARN; empty for trust policies, whose
	// statements name no resource.
	Resource string
	// Principal is who asks; nil for identity policies, which name none.
	Principal *RequestPrincipal
	// Context holds the request's condition keys. Keys are compared
	// case-insensitively; values are kept as given.
	Context map[string][]string
	// Open marks a request whose context is only partly known: a key that
	// is neither in Context nor in Absent may or may not be sent, so a
	// condition on it is undecided. In a closed request (the default) the
	// keys of Context are all there is.
	Open bool
	// Absent are keys known not to be sent, lower case; a name ending in
	// "/" stands for every key it begins.
	Absent []string
	// Free names the one part of the request that ranges over a set
	// instead of holding a value: FreeResource, or a condition key. Only
	// Policy.Regions reads it.
	Free string
}

// FreeResource makes the resource the free part of a request.
const FreeResource = "(resource)"

// absent reports whether a key is missing from the request for certain.
func (r Request) absent(key string) bool {
	if !r.Open {
		return true
	}
	for _, a := range r.Absent {
		if key == a || strings.HasSuffix(a, "/") && strings.HasPrefix(key, a) {
			return true
		}
	}
	return false
}

// RequestPrincipal is the principal of a request: Type is AWS, Federated or
// Service, ID its ARN or name.
type RequestPrincipal struct {
	Type string
	ID   string
}

// Result is a decision with the statement that made it.
type Result struct {
	Decision Decision
	// Statement is the deciding statement: the matching Deny, or the first
	// matching Allow; nil for an implicit deny.
	Statement *Statement
	// Reason explains an indeterminate result.
	Reason string
}

// tri is a three-valued match.
type tri int

const (
	no tri = iota
	yes
	maybe
)

// Evaluate decides a request against one policy: an explicit deny wins, then
// an allow; otherwise the request is implicitly denied.
func (p *Policy) Evaluate(r Request) Result {
	r.Context = lowerKeys(r.Context)
	var allow, maybeAllow, maybeDeny *Statement
	var maybeReason string
	for i := range p.Statements {
		st := &p.Statements[i]
		m, reason := st.match(r, false)
		switch {
		case m == yes && st.Effect == Deny:
			return Result{Decision: ExplicitDeny, Statement: st}
		case m == maybe && st.Effect != Allow && maybeDeny == nil:
			maybeDeny, maybeReason = st, reason
		case m == yes && st.Effect == Allow && allow == nil:
			allow = st
		case m == maybe && st.Effect == Allow && maybeAllow == nil:
			maybeAllow, maybeReason = st, reason
		}
	}
	switch {
	case maybeDeny != nil:
		return Result{Decision: Indeterminate, Statement: maybeDeny, Reason: fmt.Sprintf("%s may deny: %s", maybeDeny.Ref(), maybeReason)}
	case allow != nil:
		return Result{Decision: Allowed, Statement: allow}
	case maybeAllow != nil:
		return Result{Decision: Indeterminate, Statement: maybeAllow, Reason: fmt.Sprintf("%s may allow: %s", maybeAllow.Ref(), maybeReason)}
	}
	return Result{Decision: ImplicitDeny}
}

// Matches reports whether the statement applies to the request, conditions
// ignored; a broken statement matches only if its parsed parts do.
func (st *Statement) Matches(r Request) bool {
	m, _ := st.match(r, true)
	return m != no
}

func (st *Statement) match(r Request, ignoreConditions bool) (tri, string) {
	if !st.actionMatches(r.Action) {
		return no, ""
	}
	if r.Resource != "" && !st.resourceMatches(r.Resource) {
		return no, ""
	}
	if r.Principal != nil && !st.principalMatches(*r.Principal) {
		return no, ""
	}
	if st.Broken {
		return maybe, "the statement is malformed"
	}
	if ignoreConditions {
		return yes, ""
	}
	result := yes
	var reason string
	for _, c := range st.Conditions {
		switch m, why := c.eval(r); m {
		case no:
			return no, ""
		case maybe:
			result, reason = maybe, why
		}
	}
	return result, reason
}

func (st *Statement) actionMatches(action string) bool {
	switch {
	case st.Action != nil:
		return anyGlob(st.Action, action, true) || st.Broken && anyGlob(st.Action, actionName(action), true)
	case st.NotAction != nil:
		return !anyGlob(st.NotAction, action, true)
	}
	return st.Broken
}

// notARNs reports resources written as something else than ARNs, which
// a broken statement may hold: what they mean is not guessed.
func notARNs(resources []string) bool {
	for _, r := range resources {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return true
		}
	}
	return false
}

// actionName is an action without its service prefix, which a broken
// statement may have left out.
func actionName(action string) string {
	_, name, _ := strings.Cut(action, ":")
	return name
}

func (st *Statement) resourceMatches(res string) bool {
	switch {
	case st.Resource != nil:
		return anyGlob(st.Resource, res, false) || st.Broken && notARNs(st.Resource)
	case st.NotResource != nil:
		return !anyGlob(st.NotResource, res, false)
	}
	// Trust policies name no resource; an identity statement without one is
	// broken and already marked so.
	return true
}

func (st *Statement) principalMatches(rp RequestPrincipal) bool {
	switch {
	case st.Principal != nil:
		return st.Principal.matches(rp)
	case st.NotPrincipal != nil:
		return !st.NotPrincipal.matches(rp)
	}
	return st.Broken
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

func (p *Principal) matches(rp RequestPrincipal) bool {
	if p.Any {
		return true
	}
	switch rp.Type {
	case "AWS":
		acct := arnAccount(rp.ID)
		for _, v := range p.AWS {
			switch {
			case v == rp.ID:
				return true
			case accountRE.MatchString(v) && v == acct:
				return true
			case strings.HasSuffix(v, ":root") && arnAccount(v) == acct && acct != "":
				return true
			}
		}
	case "Federated":
		for _, v := range p.Federated {
			if v == rp.ID {
				return true
			}
		}
	case "Service":
		for _, v := range p.Service {
			if strings.EqualFold(v, rp.ID) {
				return true
			}
		}
	}
	return false
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string { return ARNField(arn, 4) }

// ARNField returns field i of an ARN (1 partition, 2 service, 3 region, 4
// account, 5 resource), or "" when arn is not an ARN.
func ARNField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || i < 0 || i > 5 {
		return ""
	}
	return parts[i]
}

func lowerKeys(ctx map[string][]string) map[string][]string {
	out := make(map[string][]string, len(ctx))
	for k, v := range ctx {
		out[strings.ToLower(k)] = v
	}
	return out
}

var negated = setOf("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
	"DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike")

// eval decides one condition against the request, whose context keys are
// lower case.
func (c Condition) eval(r Request) (tri, string) {
	if !c.Known {
		return maybe, fmt.Sprintf("unknown condition operator %q", c.Operator)
	}
	if v, ok := c.variable(); ok {
		return maybe, fmt.Sprintf("the value of %s uses the policy variable %s, which is not evaluated", c.Key, v)
	}
	key := strings.ToLower(c.Key)
	vals, present := r.Context[key]
	present = present && len(vals) > 0
	if !present && !r.absent(key) {
		return maybe, fmt.Sprintf("the request's %s is not known", c.Key)
	}
	if c.Base == "Null" {
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return boolTri(want != present), ""
	}
	if !present {
		switch {
		case c.IfExists, c.Set == "ForAllValues":
			return yes, ""
		case c.Set == "ForAnyValue":
			return no, ""
		}
		return boolTri(negated[c.Base]), ""
	}
	results := make([]tri, len(vals))
	for i, v := range vals {
		results[i] = c.evalValue(v)
	}
	var m tri
	if c.Set == "ForAllValues" {
		m = all(results)
	} else {
		m = anyOf(results)
	}
	if m == maybe {
		return maybe, fmt.Sprintf("operator %s is not evaluated on the value of %s", c.Base, c.Key)
	}
	return m, ""
}

// evalValue compares one request value with the condition's values: OR for
// a positive operator, NOR for a negated one.
func (c Condition) evalValue(v string) tri {
	base := c.Base
	neg := negated[base]
	if neg {
		base = positive(base)
	}
	results := make([]tri, len(c.Values))
	for i, pv := range c.Values {
		results[i] = compare(base, v, pv)
	}
	m := anyOf(results)
	if neg && m != maybe {
		return boolTri(m == no)
	}
	return m
}

func positive(base string) string {
	switch base {
	case "NotIpAddress":
		return "IpAddress"
	}
	return strings.Replace(base, "Not", "", 1)
}

func compare(base, v, pv string) tri {
	switch base {
	case "StringEquals":
		return boolTri(v == pv)
	case "StringEqualsIgnoreCase":
		return boolTri(strings.EqualFold(v, pv))
	case "StringLike":
		return boolTri(Glob(pv, v, false))
	case "ArnEquals", "ArnLike":
		return boolTri(arnLike(pv, v))
	case "Bool":
		return boolTri(strings.EqualFold(v, pv))
	case "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals":
		return numeric(base, v, pv)
	case "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals":
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		if !ok1 || !ok2 {
			return maybe
		}
		return numeric(strings.Replace(base, "Date", "Numeric", 1), strconv.FormatInt(a.Unix(), 10), strconv.FormatInt(b.Unix(), 10))
	}
	return maybe
}

// parseDate reads a date as IAM accepts it: ISO 8601 (with or without a
// time and zone) or seconds since the epoch.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// variable returns the first policy variable (${aws:username}) in the
// condition's values; ${*}, ${?} and ${$} are escapes, not variables.
func (c Condition) variable() (string, bool) {
	for _, v := range c.Values {
		if m := variableRE.FindString(v); m != "" {
			return m, true
		}
	}
	return "", false
}

var variableRE = regexp.MustCompile(`\$\{[^*?$}][^}]*\}`)

func numeric(base, v, pv string) tri {
	a, err1 := strconv.ParseFloat(v, 64)
	b, err2 := strconv.ParseFloat(pv, 64)
	if err1 != nil || err2 != nil {
		return maybe
	}
	switch base {
	case "NumericEquals":
		return boolTri(a == b)
	case "NumericLessThan":
		return boolTri(a < b)
	case "NumericLessThanEquals":
		return boolTri(a <= b)
	case "NumericGreaterThan":
		return boolTri(a > b)
	}
	return boolTri(a >= b)
}

// arnLike matches an ARN against a pattern component by component: each of
// the six colon-separated fields is matched on its own.
func arnLike(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], ap[i], false) {
			return false
		}
	}
	return true
}

func boolTri(b bool) tri {
	if b {
		return yes
	}
	return no
}

// anyOf is true if one is, else maybe if one is; all is false if one is,
// else maybe if one is.
func anyOf(ts []tri) tri { return fold(ts, yes, no) }

func all(ts []tri) tri { return fold(ts, no, yes) }

func fold(ts []tri, decisive, neutral tri) tri {
	out := neutral
	for _, t := range ts {
		if t == decisive {
			return decisive
		}
		if t == maybe {
			out = maybe
		}
	}
	return out
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if Glob(p, s, fold) {
			return true
		}
	}
	return false
}

// Glob matches s against an IAM wildcard pattern: * matches any run of
// characters (colons and slashes included), ? any one character. fold makes
// the match case-insensitive, as action names are.
func Glob(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// HasWildcard reports whether a pattern holds * or ?.
func HasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }
