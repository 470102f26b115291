package iampolicy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Actions and audiences of the two EKS identity mechanisms.
const (
	WebIdentityAction  = "sts:AssumeRoleWithWebIdentity"
	AssumeRoleAction   = "sts:AssumeRole"
	TagSessionAction   = "sts:TagSession"
	IRSAAudience       = "sts.amazonaws.com"
	PodIdentityService = "pods.eks.amazonaws.com"
)

// Subject renders a Kubernetes service account as an OIDC subject.
func Subject(namespace, serviceAccount string) string {
	return "system:serviceaccount:" + namespace + ":" + serviceAccount
}

// dnsChars are the characters of Kubernetes names.
const dnsChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// Subjects is every subject a Kubernetes service-account token can carry:
// system:serviceaccount:<namespace>:<name>, both DNS names. A subject
// outside it is never presented, so it is never a witness.
var Subjects = NewShape("system:serviceaccount:<namespace>:<name>",
	"system:serviceaccount:", "["+dnsChars+"]", "["+dnsChars+".-]*", ":", "["+dnsChars+"]", "["+dnsChars+".-]*")

// IRSAInput describes the cluster and the service accounts a trust policy
// should admit.
type IRSAInput struct {
	// ProviderARN is the IAM OIDC provider of the cluster's issuer.
	ProviderARN string
	// Issuer is the issuer without its scheme, the prefix of the condition
	// keys (<issuer>:aud, <issuer>:sub).
	Issuer string
	// Subjects must each be admitted.
	Subjects []string
	// Scope is the subjects the profiles allow, as IAM wildcard patterns
	// (system:serviceaccount:mxp-*-system:mxp-controller); an admitted
	// subject outside it is too broad.
	Scope []string
	Env   Environment
}

// Admission is the outcome for one subject.
type Admission struct {
	Subject   string   `json:"subject"`
	Decision  Decision `json:"decision"`
	Statement string   `json:"statement,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// IRSAResult is what a trust policy does for IRSA.
type IRSAResult struct {
	// Statements allow sts:AssumeRoleWithWebIdentity to the cluster's
	// provider, conditions aside.
	Statements []string `json:"statements"`
	// NoAudience are the statements that admit a token for another
	// audience than sts.amazonaws.com; Audience is such an audience.
	NoAudience []string `json:"noAudience"`
	Audience   string   `json:"audience"`
	// Broad are subjects outside the scope (or tokens of another provider)
	// that the policy admits, each a concrete witness.
	Broad []Admission `json:"broad"`
	// Denied are target subjects the policy does not admit.
	Denied []Admission `json:"denied"`
	// AudienceUndecided and BroadUndecided explain why the audience or the
	// breadth could not be decided: a statement on a key whose value is not
	// known, or a policy too complex to decide.
	AudienceUndecided []string `json:"audienceUndecided"`
	BroadUndecided    []string `json:"broadUndecided"`
}

// IRSA analyses a trust policy for IAM Roles for Service Accounts over
// every token the cluster's provider could present.
func IRSA(p *Policy, in IRSAInput) IRSAResult {
	out := IRSAResult{Statements: []string{}, NoAudience: []string{}, Broad: []Admission{}, Denied: []Admission{}, AudienceUndecided: []string{}, BroadUndecided: []string{}}
	provider := &RequestPrincipal{Type: "Federated", ID: in.ProviderARN}
	bare := Request{Action: WebIdentityAction, Principal: provider}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect == Allow && st.Matches(bare) {
			out.Statements = append(out.Statements, st.Ref())
		}
	}
	set := PolicySet{Identity: []Named{{Kind: "trust", Name: "", Policy: p}}}
	subKey, audKey := in.Issuer+":sub", in.Issuer+":aud"
	request := func(principal *RequestPrincipal, sub, aud string) Request {
		return in.Env.WebIdentity(principal, in.Issuer, sub, aud)
	}
	undecided := func(msg string) {
		if !slices.Contains(out.BroadUndecided, msg) {
			out.BroadUndecided = append(out.BroadUndecided, msg)
		}
	}
	audUndecided := func(msg string) {
		if !slices.Contains(out.AudienceUndecided, msg) {
			out.AudienceUndecided = append(out.AudienceUndecided, msg)
		}
	}
	// Subjects: one decision over every subject, then each target read
	// off it.
	q := request(provider, "", IRSAAudience)
	q.Free = subKey
	subs, err := set.Decide(q)
	if err != nil {
		undecided(err.Error())
	}
	for _, sub := range in.Subjects {
		switch {
		case err == nil && subs.Allowed.Contains(sub):
		case err == nil && !subs.Possible.Contains(sub):
			out.Denied = append(out.Denied, admission(sub, p.Evaluate(request(provider, sub, IRSAAudience))))
		default:
			a := admission(sub, p.Evaluate(request(provider, sub, IRSAAudience)))
			a.Decision, a.Reason = Indeterminate, subs.Undecided
			out.Denied = append(out.Denied, a)
		}
	}
	if err == nil {
		out.broad(p, in, subs, request(provider, "", IRSAAudience), undecided)
	}
	// Audience: with a target's subject, every audience the policy admits.
	if len(in.Subjects) > 0 {
		q := request(provider, in.Subjects[0], "")
		q.Free = audKey
		auds, err := set.Decide(q)
		other := NoneOf(NewLiteral(IRSAAudience, false))
		switch {
		case err != nil:
			audUndecided(err.Error())
		default:
			if w, ok, err := intersectWitness(auds.Allowed, other); err != nil {
				audUndecided(err.Error())
			} else if ok {
				if c := "any-other-audience"; auds.Allowed.Contains(c) {
					w = c
				}
				out.Audience = w
				r := p.Evaluate(request(provider, in.Subjects[0], w))
				if r.Statement != nil {
					out.NoAudience = append(out.NoAudience, r.Statement.Ref())
				}
			} else if _, ok, _ := intersectWitness(auds.Possible, other); ok {
				audUndecided("whether a token for another audience than " + IRSAAudience + " is admitted depends on " + auds.Undecided)
			}
		}
	}
	// A token from any other identity provider, with a subject the policy
	// admits: a * principal lets every provider registered in the account in.
	other := &RequestPrincipal{Type: "Federated", ID: otherProvider(in.ProviderARN)}
	for _, sub := range in.Subjects {
		if r := p.Evaluate(request(other, sub, IRSAAudience)); r.Decision == Allowed {
			a := admission(sub, r)
			a.Reason = "admits a token from any identity provider (" + other.ID + ")"
			out.Broad = append(out.Broad, a)
			break
		}
	}
	return out
}

// broad finds a subject the policy admits outside the scope: a real
// subject shape, admitted for sure, matched by no scope pattern.
func (out *IRSAResult) broad(p *Policy, in IRSAInput, subs Regions, base Request, undecided func(string)) {
	scope := make([]Pattern, len(in.Scope))
	for i, s := range in.Scope {
		scope[i] = NewGlob(s, false)
	}
	outside := Region{{Pos: []Pattern{Subjects}, Neg: scope}}
	w, ok, err := intersectWitness(subs.Allowed, outside)
	switch {
	case err != nil:
		undecided(err.Error())
	case ok:
		r := base
		r.Context = maps.Clone(base.Context)
		r.Context[in.Issuer+":sub"] = []string{w}
		out.Broad = append(out.Broad, admission(w, p.Evaluate(r)))
	default:
		if w, ok, _ := intersectWitness(subs.Possible, outside); ok {
			undecided(fmt.Sprintf("whether a service account outside the profile (%s) is admitted depends on %s", w, subs.Undecided))
		}
	}
}

func intersectWitness(a, b Region) (string, bool, error) {
	r, err := Intersect(a, b)
	if err != nil {
		return "", false, err
	}
	return r.Witness()
}

func otherProvider(arn string) string {
	if i := strings.Index(arn, ":oidc-provider/"); i >= 0 {
		return arn[:i] + ":oidc-provider/oidc.wiscan.invalid/id/PROBE"
	}
	return "arn:aws:iam::000000000000:oidc-provider/oidc.wiscan.invalid/id/PROBE"
}

func admission(sub string, r Result) Admission {
	a := Admission{Subject: sub, Decision: r.Decision, Reason: r.Reason}
	if r.Statement != nil {
		a.Statement = r.Statement.Ref()
	}
	return a
}

// PodIdentityInput describes the cluster and the service accounts an EKS
// Pod Identity association gives the role to.
type PodIdentityInput struct {
	Account     string
	ClusterARN  string
	ClusterName string
	// Subjects are namespace and service account pairs.
	Subjects [][2]string
	Env      Environment
}

// PodIdentityResult is what a trust policy does for EKS Pod Identity.
type PodIdentityResult struct {
	// Denied lists, per action, the subjects the EKS Pod Identity service
	// cannot act for.
	Denied []PodDenial `json:"denied"`
}

// PodDenial is one action refused for one service account.
type PodDenial struct {
	Action string `json:"action"`
	Admission
}

// PodIdentity analyses a trust policy for EKS Pod Identity, which calls
// sts:AssumeRole and sts:TagSession as the service pods.eks.amazonaws.com
// with session tags naming the cluster, namespace and service account.
func PodIdentity(p *Policy, in PodIdentityInput) PodIdentityResult {
	out := PodIdentityResult{Denied: []PodDenial{}}
	for _, s := range in.Subjects {
		for _, action := range []string{AssumeRoleAction, TagSessionAction} {
			r := in.Env.PodIdentity(action, in.Account, in.ClusterARN, in.ClusterName, s[0], s[1])
			if res := p.Evaluate(r); res.Decision != Allowed {
				out.Denied = append(out.Denied, PodDenial{Action: action, Admission: admission(Subject(s[0], s[1]), res)})
			}
		}
	}
	return out
}

// Named is a policy attached to a role, with where it comes from.
type Named struct {
	// Kind is inline, managed, boundary, bucket or trust.
	Kind string
	// Name is the inline policy's name or the managed policy's ARN.
	Name   string
	Policy *Policy
	// Listed marks an AWS managed policy judged from wiscan's list of
	// their documents, its own document not having been exported.
	Listed bool
}

// Ref names a statement of the policy for people.
func (n Named) Ref(st *Statement) string {
	return fmt.Sprintf("%s policy %s %s", n.Kind, n.Name, st.Ref())
}

// AccessInput is what decides a role's access to one bucket.
type AccessInput struct {
	Partition string
	// Bucket is the backup bucket; empty when it is not known, and then
	// only what holds for every bucket is decided.
	Bucket   string
	RoleARN  string
	Identity []Named
	// Boundary is the permissions boundary, nil when the role has none.
	Boundary *Named
	// BucketPolicy is the bucket's resource policy, nil when it has none or
	// it could not be read.
	BucketPolicy *Policy
	Env          Environment
	// Needs are what the workload needs; nil means the four S3 permissions
	// of a backup workload (BackupNeeds).
	Needs []Need
}

// Need is one permission a workload needs. For the S3 object actions and
// s3:ListBucket, Resource is left empty: they are needed on the objects of
// the bucket (or on the bucket), known or not. For any other action,
// Resource is an ARN pattern, and the need is met when the role may do the
// action on at least one resource it matches (a secret the profile names
// by pattern). An Optional need is allowed without being required: it is
// not excess, and not missing either.
type Need struct {
	Action   string `json:"action"`
	Resource string `json:"resource,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// BackupNeeds are the four S3 permissions a backup workload needs.
func BackupNeeds() []Need {
	return []Need{{Action: "s3:GetObject"}, {Action: "s3:PutObject"}, {Action: "s3:DeleteObject"}, {Action: "s3:ListBucket"}}
}

// bucketAction reports whether action is needed on a bucket or its
// objects, as the S3 needs are.
func bucketAction(action string) bool {
	switch strings.ToLower(action) {
	case "s3:getobject", "s3:putobject", "s3:deleteobject", "s3:listbucket":
		return true
	}
	return false
}

// Permission is one required action on its resource, and whether the role
// has it.
type Permission struct {
	Action    string   `json:"action"`
	Resource  string   `json:"resource"`
	Decision  Decision `json:"decision"`
	Statement string   `json:"statement,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// Excess is a grant beyond least privilege, with a request that proves it.
type Excess struct {
	Policy    string `json:"policy"`
	Statement string `json:"statement"`
	Detail    string `json:"detail"`
	// Action and Resource are a witness: a request the role may make that
	// least privilege does not need.
	Action   string `json:"action,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// AccessResult is a role's access to one bucket, or to any bucket.
type AccessResult struct {
	Missing []Permission `json:"missing"`
	Excess  []Excess     `json:"excess"`
	// Buckets are the buckets the role's Allow statements name.
	Buckets []string `json:"buckets"`
	// Required are the permissions checked, on the bucket when it is
	// known.
	Required []Permission `json:"required"`
	// Undecided explains what keeps a verdict open: a statement that
	// cannot be evaluated, or, when the bucket is not known, a grant whose
	// excess depends on which bucket it is.
	Undecided []string `json:"undecided"`
}

// Required are the permissions needs require, as the findings name them:
// the S3 object actions on <bucket>/*, s3:ListBucket on the bucket itself,
// any other action on its pattern. Optional needs are left out.
func Required(partition, bucket string, needs []Need) []Permission {
	var out []Permission
	for _, n := range needs {
		if n.Optional {
			continue
		}
		if !bucketAction(n.Action) {
			out = append(out, Permission{Action: n.Action, Resource: n.Resource})
			continue
		}
		for _, p := range backupRequired(partition, bucket) {
			if strings.EqualFold(p.Action, n.Action) {
				out = append(out, p)
			}
		}
	}
	return out
}

// backupRequired are the four S3 permissions on their resources.
func backupRequired(partition, bucket string) []Permission {
	b := BucketARN(partition, bucket)
	return []Permission{
		{Action: "s3:GetObject", Resource: b + "/*"},
		{Action: "s3:PutObject", Resource: b + "/*"},
		{Action: "s3:DeleteObject", Resource: b + "/*"},
		{Action: "s3:ListBucket", Resource: b},
	}
}

// BucketARN is the ARN of an S3 bucket.
func BucketARN(partition, bucket string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":s3:::" + bucket
}

// Access computes which required permissions the role has on the bucket and
// what it grants beyond them, over every resource and every action.
func Access(in AccessInput) AccessResult {
	if in.Needs == nil {
		in.Needs = BackupNeeds()
	}
	out := AccessResult{Missing: []Permission{}, Excess: []Excess{}, Buckets: in.buckets(), Undecided: []string{}}
	a := newAccess(in)
	shown := in.Bucket
	if shown == "" {
		shown = "<bucket>"
	}
	out.Required = Required(in.Partition, shown, in.Needs)
	for _, req := range out.Required {
		a.missing(req, &out)
	}
	a.excess(&out)
	return out
}

// access holds one role's policies for the questions about it.
type access struct {
	in  AccessInput
	set PolicySet
}

func newAccess(in AccessInput) *access {
	set := PolicySet{Identity: in.Identity, Boundary: in.Boundary, Caller: &RequestPrincipal{Type: "AWS", ID: in.RoleARN}}
	if in.BucketPolicy != nil {
		set.Resource = &Named{Kind: "bucket", Name: in.Bucket, Policy: in.BucketPolicy}
	}
	return &access{in: in, set: set}
}

// decide is what the role may do with action, over every resource.
func (a *access) decide(action string) (Regions, error) {
	r := a.in.Env.S3(a.in.RoleARN, action, "")
	r.Free = FreeResource
	return a.set.Decide(r)
}

// needed is where least privilege lets the role use action: nothing for
// an action it does not need; with the bucket unknown, the shape of the
// right resource in any bucket.
func (a *access) needed(action string, bucket string) Region {
	var patterns []Pattern
	for _, n := range a.in.Needs {
		if !strings.EqualFold(n.Action, action) {
			continue
		}
		if bucketAction(action) {
			return a.bucketNeed(action, bucket)
		}
		patterns = append(patterns, NewArnGlob(n.Resource))
	}
	if len(patterns) == 0 {
		return Region{}
	}
	return Of(patterns...)
}

// bucketNeed is where an S3 action is needed: on the bucket's objects, or
// the bucket itself; with the bucket unknown, the shape of the right
// resource in any bucket.
func (a *access) bucketNeed(action string, bucket string) Region {
	prefix := escapeGlob(BucketARN(a.in.Partition, bucket))
	if bucket == "" {
		prefix = escapeGlob(BucketARN(a.in.Partition, "")) + "?*"
	}
	switch strings.ToLower(action) {
	case "s3:getobject", "s3:putobject", "s3:deleteobject":
		return Of(NewGlob(prefix+"/?*", false))
	case "s3:listbucket":
		if bucket == "" {
			return Region{{Pos: []Pattern{NewGlob(prefix, false)}, Neg: []Pattern{NewGlob(prefix+"/*", false)}}}
		}
		return Of(NewLiteral(BucketARN(a.in.Partition, bucket), false))
	}
	return Region{}
}

func escapeGlob(s string) string {
	return strings.NewReplacer("*", "${*}", "?", "${?}", "$", "${$}").Replace(s)
}

// missing decides one required permission. With the bucket known, every
// object (or the bucket) must be allowed; a part surely not allowed is
// missing, with a witness. With the bucket unknown, only a permission the
// role holds on no bucket at all is missing.
func (a *access) missing(req Permission, out *AccessResult) {
	rs, err := a.decide(req.Action)
	if err != nil {
		out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: Indeterminate, Reason: err.Error()})
		return
	}
	want := a.needed(req.Action, a.in.Bucket)
	lacking, err := Subtract(want, rs.Possible)
	if err != nil {
		out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: Indeterminate, Reason: err.Error()})
		return
	}
	if !bucketAction(req.Action) {
		a.missingAny(req, rs, want, out)
		return
	}
	if a.in.Bucket == "" {
		if held, err := Intersect(rs.Possible, want); err == nil && mustEmpty(held) {
			out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: ImplicitDeny,
				Reason: "no statement allows " + req.Action + " on any bucket"})
			return
		}
		if notSure, err := Subtract(want, rs.Allowed); err != nil || !mustEmpty(notSure) {
			out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: Indeterminate,
				Reason: "granted on some buckets only, and the backup bucket is not known"})
		}
		return
	}
	if w, ok, _ := lacking.Witness(); ok {
		p := a.explain(req, w)
		out.Missing = append(out.Missing, p)
		return
	}
	notSure, err := Subtract(want, rs.Allowed)
	if err != nil {
		return
	}
	if w, ok, _ := notSure.Witness(); ok {
		out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: Indeterminate,
			Reason: fmt.Sprintf("on %s it depends on %s", w, rs.Undecided)})
	}
}

// missingAny decides a need met by any one resource of its pattern: it is
// missing when the role may do the action on none of them, and undecided
// when it may only where a condition wiscan cannot judge holds.
func (a *access) missingAny(req Permission, rs Regions, want Region, out *AccessResult) {
	held, err := Intersect(rs.Possible, want)
	if err != nil {
		out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: Indeterminate, Reason: err.Error()})
		return
	}
	if mustEmpty(held) {
		out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: ImplicitDeny,
			Reason: "no statement allows " + req.Action + " on " + req.Resource})
		return
	}
	if sure, err := Intersect(rs.Allowed, want); err != nil || mustEmpty(sure) {
		out.Missing = append(out.Missing, Permission{Action: req.Action, Resource: req.Resource, Decision: Indeterminate,
			Reason: fmt.Sprintf("allowed on %s only if %s", req.Resource, rs.Undecided)})
	}
}

// mustEmpty reports a region known to be empty.
func mustEmpty(r Region) bool {
	empty, err := r.Empty()
	return err == nil && empty
}

// explain says, in AWS's terms, why a request is not allowed: the explicit
// deny that blocks it, the boundary that does not admit it, or no allow.
func (a *access) explain(req Permission, witness string) Permission {
	p := Permission{Action: req.Action, Resource: req.Resource, Decision: ImplicitDeny}
	res := witness
	if res == "" {
		res = req.Resource
	}
	r := a.in.Env.S3(a.in.RoleARN, req.Action, res)
	withRole := r
	withRole.Principal = &RequestPrincipal{Type: "AWS", ID: a.in.RoleARN}
	var allowed bool
	for _, n := range a.set.Identity {
		switch d := n.Policy.Evaluate(r); d.Decision {
		case ExplicitDeny:
			p.Decision, p.Statement, p.Reason = ExplicitDeny, n.Ref(d.Statement), "explicit deny in "+n.Ref(d.Statement)+" blocks "+req.Action+" on "+res+a.timeNote(d.Statement)
			return p
		case Allowed:
			allowed = true
		}
	}
	if bp := a.set.Resource; bp != nil {
		switch d := bp.Policy.Evaluate(withRole); d.Decision {
		case ExplicitDeny:
			p.Decision, p.Statement, p.Reason = ExplicitDeny, bp.Ref(d.Statement), "explicit deny in "+bp.Ref(d.Statement)+" blocks "+req.Action+" on "+res+a.timeNote(d.Statement)
			return p
		case Allowed:
			allowed = true
		}
	}
	if b := a.set.Boundary; b != nil {
		switch d := b.Policy.Evaluate(r); d.Decision {
		case ExplicitDeny:
			p.Decision, p.Statement, p.Reason = ExplicitDeny, b.Ref(d.Statement), "explicit deny in "+b.Ref(d.Statement)+" blocks "+req.Action+" on "+res
			return p
		case ImplicitDeny:
			if allowed {
				p.Reason = "the permissions boundary " + b.Name + " does not allow " + req.Action + " on " + res
				return p
			}
		}
	}
	p.Reason = a.notGrantedReason(req, res)
	return p
}

// timeNote says that a statement's time condition was judged at scan
// time, when it has one.
func (a *access) timeNote(st *Statement) string {
	if st == nil {
		return ""
	}
	for _, c := range st.Conditions {
		if k := strings.ToLower(c.Key); k == "aws:currenttime" || k == "aws:epochtime" {
			return " (its " + c.Key + " condition judged at scan time, " + a.in.Env.Now.UTC().Format(time.RFC3339) + ")"
		}
	}
	return ""
}

// notGrantedReason explains an implicit deny, naming the common mistake of
// granting s3:ListBucket on the objects instead of the bucket.
func (a *access) notGrantedReason(req Permission, res string) string {
	if req.Action == "s3:ListBucket" && a.in.Bucket != "" {
		objects := a.in.Env.S3(a.in.RoleARN, req.Action, req.Resource+"/*")
		for _, n := range a.in.Identity {
			if r := n.Policy.Evaluate(objects); r.Decision == Allowed {
				return "granted only on " + req.Resource + "/* by " + n.Ref(r.Statement) + "; s3:ListBucket applies to the bucket ARN " + req.Resource
			}
		}
	}
	return "no statement allows " + req.Action + " on " + res
}

// excess lists what the role may do beyond least privilege: for every
// action its allows name (the known S3 and STS actions, and one witness
// of every other service), the resources it may reach that it does not
// need, with a witness request, grouped by the statement that allows it.
func (a *access) excess(out *AccessResult) {
	type key struct{ policy, statement string }
	found := map[key][]string{}
	witness := map[key]Excess{}
	var order []key
	cache := map[string]Regions{}
	for _, action := range a.candidates() {
		sig := a.signature(action)
		rs, ok := cache[sig]
		if !ok {
			var err error
			if rs, err = a.decide(action); err != nil {
				out.Undecided = append(out.Undecided, err.Error())
				continue
			}
			cache[sig] = rs
		}
		res, ok := a.beyond(action, rs.Allowed)
		if !ok {
			if w, maybe := a.beyond(action, rs.Possible); maybe {
				out.Undecided = append(out.Undecided, fmt.Sprintf("%s on %s may be allowed: %s", action, w, rs.Undecided))
			}
			continue
		}
		if res == "" {
			out.Undecided = append(out.Undecided, fmt.Sprintf("whether %s exceeds least privilege depends on which bucket is the backup bucket", action))
			continue
		}
		n, st := a.grantor(action, res)
		k := key{n, st}
		if _, seen := found[k]; !seen {
			order = append(order, k)
			witness[k] = Excess{Policy: n, Statement: st, Action: action, Resource: res}
		}
		found[k] = append(found[k], fmt.Sprintf("%s on %s", action, res))
	}
	for _, k := range order {
		e := witness[k]
		list := found[k]
		detail := "allows " + strings.Join(first(list, 5), ", ")
		if len(list) > 5 {
			detail += fmt.Sprintf(" and %d more actions", len(list)-5)
		}
		e.Detail = detail
		out.Excess = append(out.Excess, e)
	}
	out.Undecided = dedupe(out.Undecided)
}

func first(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return list[:n]
}

func dedupe(list []string) []string {
	out := []string{}
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// universe is every resource a request for action can name: the objects
// of any bucket for the object actions the workload needs, any bucket for
// s3:ListBucket. Any other action is beyond least privilege wherever it is
// granted, so its universe is every resource.
func (a *access) universe(action string) Region {
	prefix := escapeGlob(BucketARN(a.in.Partition, ""))
	switch strings.ToLower(action) {
	case "s3:getobject", "s3:putobject", "s3:deleteobject":
		return Region{{Pos: []Pattern{NewGlob(prefix+"?*/?*", false)}, Neg: []Pattern{NewGlob(prefix+"/*", false)}}}
	case "s3:listbucket":
		return Region{{Pos: []Pattern{NewGlob(prefix+"?*", false)}, Neg: []Pattern{NewGlob(prefix+"*/*", false)}}}
	}
	return Of(NewGlob("?*", false))
}

// beyond returns a resource in allowed that least privilege does not need
// for action, preferring resources people recognise. With the bucket
// unknown, a grant that stays within one bucket's needed resources
// depends on the bucket: ok with res "".
func (a *access) beyond(action string, allowed Region) (res string, ok bool) {
	reach, err := Intersect(allowed, a.universe(action))
	if err != nil || mustEmpty(reach) {
		return "", false
	}
	bucket := a.in.Bucket
	if bucket == "" {
		// Outside the shape needed in any bucket is excess for every
		// bucket; so is reaching two buckets.
		if w, ok := a.outside(action, reach, ""); ok {
			return w, true
		}
		w, _, _ := reach.Witness()
		if bucket = bucketOf(w, a.in.Partition); bucket == "" {
			return "", false
		}
		if w, ok := a.outside(action, reach, bucket); ok {
			return w, true
		}
		return "", true
	}
	return a.outside(action, reach, bucket)
}

// outside returns a member of reach beyond what action needs in bucket.
func (a *access) outside(action string, reach Region, bucket string) (string, bool) {
	over, err := Subtract(reach, a.needed(action, bucket))
	if err != nil || mustEmpty(over) {
		return "", false
	}
	b := BucketARN(a.in.Partition, bucket)
	other := BucketARN(a.in.Partition, "any-other-bucket")
	prefer := []string{b, b + "/any-key", other, other + "/any-key", "*"}
	if !bucketAction(action) {
		prefer = []string{"*"}
	}
	for _, c := range prefer {
		if over.Contains(c) {
			return c, true
		}
	}
	w, ok, _ := over.Witness()
	return w, ok
}

// bucketOf is the bucket an S3 ARN names.
func bucketOf(arn, partition string) string {
	rest, ok := strings.CutPrefix(arn, BucketARN(partition, ""))
	if !ok {
		return ""
	}
	b, _, _ := strings.Cut(rest, "/")
	return b
}

// grantor names the policy and statement that allow action on res.
func (a *access) grantor(action, res string) (string, string) {
	r := a.in.Env.S3(a.in.RoleARN, action, res)
	for _, n := range a.set.Identity {
		if d := n.Policy.Evaluate(r); d.Decision == Allowed && d.Statement != nil {
			name := n.Kind + " policy " + n.Name
			if n.Listed {
				name += " (its document taken from wiscan's list of AWS managed policies)"
			}
			return name, d.Statement.Ref()
		}
	}
	if bp := a.set.Resource; bp != nil {
		r.Principal = &RequestPrincipal{Type: "AWS", ID: a.in.RoleARN}
		if d := bp.Policy.Evaluate(r); d.Decision == Allowed && d.Statement != nil {
			return bp.Kind + " policy " + bp.Name, d.Statement.Ref()
		}
	}
	return "policies", "(combined)"
}

// candidates are the actions to judge: every known S3 and STS action an
// allow names, and for any other service one action its pattern matches.
func (a *access) candidates() []string {
	seen := map[string]bool{}
	var out []string
	add := func(act string) {
		if !seen[strings.ToLower(act)] {
			seen[strings.ToLower(act)] = true
			out = append(out, act)
		}
	}
	policies := slices.Clone(a.set.Identity)
	if a.set.Resource != nil {
		policies = append(policies, *a.set.Resource)
	}
	for _, n := range policies {
		for _, st := range n.Policy.Statements {
			if st.Effect != Allow {
				continue
			}
			// Other services first: they are the most striking witness.
			for _, pat := range st.Action {
				if w := otherServiceWitness(pat); w != "" {
					add(w)
				}
			}
			if st.NotAction != nil {
				for _, w := range []string{"iam:PassRole", "ec2:RunInstances", "kms:Decrypt"} {
					if st.actionMatches(w) {
						add(w)
						break
					}
				}
			}
			for _, act := range KnownActions() {
				if st.actionMatches(act) {
					add(act)
				}
			}
			for _, n := range a.in.Needs {
				if st.actionMatches(n.Action) {
					add(n.Action)
				}
			}
		}
	}
	return out
}

// otherServiceWitness is an action of a service outside the known list
// that the pattern matches, or "".
func otherServiceWitness(pattern string) string {
	for _, w := range []string{"iam:PassRole", "ec2:RunInstances", "kms:Decrypt"} {
		if Glob(pattern, w, true) {
			return w
		}
	}
	service, _, _ := strings.Cut(strings.ToLower(pattern), ":")
	if service == "s3" || service == "sts" || HasWildcard(service) {
		return ""
	}
	return strings.NewReplacer("*", "Any", "?", "X").Replace(pattern)
}

// signature tells apart actions that the policies treat differently: the
// statements that match each.
func (a *access) signature(action string) string {
	var b strings.Builder
	all := slices.Clone(a.set.Identity)
	if a.set.Resource != nil {
		all = append(all, *a.set.Resource)
	}
	if a.set.Boundary != nil {
		all = append(all, *a.set.Boundary)
	}
	for _, n := range all {
		for i := range n.Policy.Statements {
			if n.Policy.Statements[i].actionMatches(action) {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		b.WriteByte('|')
	}
	return b.String()
}

// buckets lists the buckets named by the role's S3 grants.
func (in AccessInput) buckets() []string {
	seen := map[string]bool{}
	prefix := "arn:" + in.Partition + ":s3:::"
	for _, n := range in.Identity {
		for _, st := range n.Policy.Statements {
			if st.Effect != Allow {
				continue
			}
			for _, r := range st.Resource {
				name, ok := strings.CutPrefix(r, prefix)
				if !ok {
					continue
				}
				name, _, _ = strings.Cut(name, "/")
				if name != "" && !HasWildcard(name) {
					seen[name] = true
				}
			}
		}
	}
	// Never nil: the policies count the list.
	return append([]string{}, slices.Sorted(maps.Keys(seen))...)
}
