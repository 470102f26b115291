package iampolicy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
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
	// Probes are subjects outside the profile that must not be admitted.
	Probes []string
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
	// NoAudience are those of Statements whose conditions do not pin the
	// audience to sts.amazonaws.com.
	NoAudience []string `json:"noAudience"`
	// Broad are subjects outside the profile (or tokens of another
	// provider) that the policy admits.
	Broad []Admission `json:"broad"`
	// Denied are target subjects the policy does not admit.
	Denied []Admission `json:"denied"`
}

// IRSA analyses a trust policy for IAM Roles for Service Accounts.
func IRSA(p *Policy, in IRSAInput) IRSAResult {
	out := IRSAResult{Statements: []string{}, NoAudience: []string{}, Broad: []Admission{}, Denied: []Admission{}}
	provider := &RequestPrincipal{Type: "Federated", ID: in.ProviderARN}
	bare := Request{Action: WebIdentityAction, Principal: provider}
	audKey := in.Issuer + ":aud"
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != Allow || !st.Matches(bare) {
			continue
		}
		out.Statements = append(out.Statements, st.Ref())
		if !pinsAudience(st, audKey) {
			out.NoAudience = append(out.NoAudience, st.Ref())
		}
	}
	request := func(principal *RequestPrincipal, sub string) Request {
		return Request{Action: WebIdentityAction, Principal: principal, Context: map[string][]string{
			in.Issuer + ":sub": {sub}, audKey: {IRSAAudience}, in.Issuer + ":amr": {"authenticated"},
		}}
	}
	for _, sub := range in.Subjects {
		if r := p.Evaluate(request(provider, sub)); r.Decision != Allowed {
			out.Denied = append(out.Denied, admission(sub, r))
		}
	}
	for _, sub := range in.Probes {
		if r := p.Evaluate(request(provider, sub)); r.Decision == Allowed {
			out.Broad = append(out.Broad, admission(sub, r))
		}
	}
	// A token from any other identity provider, with a subject the policy
	// admits: a * principal lets every provider registered in the account in.
	other := &RequestPrincipal{Type: "Federated", ID: otherProvider(in.ProviderARN)}
	for _, sub := range in.Subjects {
		if r := p.Evaluate(request(other, sub)); r.Decision == Allowed {
			a := admission(sub, r)
			a.Reason = "admits a token from any identity provider (" + other.ID + ")"
			out.Broad = append(out.Broad, a)
			break
		}
	}
	return out
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

// pinsAudience holds when the statement's conditions admit the audience
// sts.amazonaws.com and refuse any other.
func pinsAudience(st *Statement, key string) bool {
	var conds []Condition
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Key, key) {
			conds = append(conds, c)
		}
	}
	if len(conds) == 0 {
		return false
	}
	check := func(aud string) tri {
		ctx := map[string][]string{strings.ToLower(key): {aud}}
		for _, c := range conds {
			if m, _ := c.eval(ctx); m != yes {
				return m
			}
		}
		return yes
	}
	return check(IRSAAudience) == yes && check("wiscan.invalid") == no
}

// PodIdentityInput describes the cluster and the service accounts an EKS
// Pod Identity association gives the role to.
type PodIdentityInput struct {
	Account     string
	ClusterARN  string
	ClusterName string
	// Subjects are namespace and service account pairs.
	Subjects [][2]string
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
	svc := &RequestPrincipal{Type: "Service", ID: PodIdentityService}
	for _, s := range in.Subjects {
		ctx := map[string][]string{
			"aws:SourceAccount":                         {in.Account},
			"aws:SourceArn":                             {in.ClusterARN},
			"aws:RequestTag/eks-cluster-arn":            {in.ClusterARN},
			"aws:RequestTag/eks-cluster-name":           {in.ClusterName},
			"aws:RequestTag/kubernetes-namespace":       {s[0]},
			"aws:RequestTag/kubernetes-service-account": {s[1]},
			"aws:TagKeys":                               {"eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account", "kubernetes-pod-name", "kubernetes-pod-uid"},
		}
		for _, action := range []string{AssumeRoleAction, TagSessionAction} {
			if r := p.Evaluate(Request{Action: action, Principal: svc, Context: ctx}); r.Decision != Allowed {
				out.Denied = append(out.Denied, PodDenial{Action: action, Admission: admission(Subject(s[0], s[1]), r)})
			}
		}
	}
	return out
}

// Named is a policy attached to a role, with where it comes from.
type Named struct {
	// Kind is inline, managed or boundary.
	Kind string
	// Name is the inline policy's name or the managed policy's ARN.
	Name   string
	Policy *Policy
}

// Ref names a statement of the policy for people.
func (n Named) Ref(st *Statement) string {
	return fmt.Sprintf("%s policy %s %s", n.Kind, n.Name, st.Ref())
}

// AccessInput is what decides a role's access to one bucket.
type AccessInput struct {
	Partition string
	Bucket    string
	RoleARN   string
	Identity  []Named
	// Boundary is the permissions boundary, nil when the role has none.
	Boundary *Named
	// BucketPolicy is the bucket's resource policy, nil when it has none or
	// it could not be read.
	BucketPolicy *Policy
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

// Excess is a grant beyond least privilege.
type Excess struct {
	Policy    string `json:"policy"`
	Statement string `json:"statement"`
	Detail    string `json:"detail"`
}

// AccessResult is a role's access to one bucket.
type AccessResult struct {
	Missing []Permission `json:"missing"`
	Excess  []Excess     `json:"excess"`
	// Buckets are the buckets the role's Allow statements name.
	Buckets []string `json:"buckets"`
}

// Required are the four S3 permissions the backup workload needs: the object
// actions on <bucket>/*, s3:ListBucket on the bucket itself.
func Required(partition, bucket string) []Permission {
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
// what it grants beyond them.
func Access(in AccessInput) AccessResult {
	out := AccessResult{Missing: []Permission{}, Excess: []Excess{}, Buckets: []string{}}
	for _, req := range Required(in.Partition, in.Bucket) {
		if p := in.decide(req); p.Decision != Allowed {
			out.Missing = append(out.Missing, p)
		}
	}
	out.Excess = in.excess()
	out.Buckets = in.buckets()
	return out
}

// decide evaluates one required permission across the role's policies:
// any explicit deny wins; an allow needs the identity policies (or the
// bucket policy, naming the role) and the boundary.
func (in AccessInput) decide(p Permission) Permission {
	identity := Request{Action: p.Action, Resource: p.Resource}
	resource := Request{Action: p.Action, Resource: p.Resource, Principal: &RequestPrincipal{Type: "AWS", ID: in.RoleARN}}
	var allow, indeterminate *Permission
	for _, n := range in.Identity {
		r := n.Policy.Evaluate(identity)
		switch r.Decision {
		case ExplicitDeny:
			return denied(p, n, r, "denied by "+n.Ref(r.Statement))
		case Indeterminate:
			indeterminate = ptr(denied(p, n, r, n.Kind+" policy "+n.Name+": "+r.Reason))
		case Allowed:
			if allow == nil {
				allow = ptr(denied(p, n, r, ""))
			}
		}
	}
	if in.BucketPolicy != nil {
		bp := Named{Kind: "bucket", Name: in.Bucket, Policy: in.BucketPolicy}
		r := in.BucketPolicy.Evaluate(resource)
		switch r.Decision {
		case ExplicitDeny:
			return denied(p, bp, r, "denied by "+bp.Ref(r.Statement))
		case Allowed:
			if allow == nil {
				allow = ptr(denied(p, bp, r, ""))
			}
		}
	}
	if indeterminate != nil {
		indeterminate.Decision = Indeterminate
		return *indeterminate
	}
	if allow == nil {
		p.Decision, p.Reason = ImplicitDeny, in.notGrantedReason(p)
		return p
	}
	if in.Boundary != nil {
		r := in.Boundary.Policy.Evaluate(identity)
		switch r.Decision {
		case ExplicitDeny:
			return denied(p, *in.Boundary, r, "denied by "+in.Boundary.Ref(r.Statement))
		case ImplicitDeny:
			p.Decision, p.Reason = ImplicitDeny, "outside the permissions boundary "+in.Boundary.Name
			return p
		case Indeterminate:
			p.Decision, p.Reason = Indeterminate, "permissions boundary "+in.Boundary.Name+": "+r.Reason
			return p
		}
	}
	allow.Decision, allow.Reason = Allowed, ""
	return *allow
}

func denied(p Permission, n Named, r Result, reason string) Permission {
	p.Decision, p.Reason = r.Decision, reason
	if r.Statement != nil {
		p.Statement = n.Ref(r.Statement)
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// notGrantedReason explains an implicit deny, naming the common mistake of
// granting s3:ListBucket on the objects instead of the bucket.
func (in AccessInput) notGrantedReason(p Permission) string {
	if p.Action == "s3:ListBucket" {
		objects := Request{Action: p.Action, Resource: p.Resource + "/*"}
		for _, n := range in.Identity {
			if r := n.Policy.Evaluate(objects); r.Decision == Allowed {
				return "granted only on " + p.Resource + "/* by " + n.Ref(r.Statement) + "; s3:ListBucket applies to the bucket ARN " + p.Resource
			}
		}
	}
	return "no statement grants it"
}

// requiredActions are the actions the backup workload needs, lower-cased.
var requiredActions = setOf("s3:getobject", "s3:putobject", "s3:listbucket", "s3:deleteobject")

// excess lists the grants beyond least privilege, statement by statement.
// A grant the permissions boundary blocks is not effective and not listed.
func (in AccessInput) excess() []Excess {
	out := []Excess{}
	allowed := map[string]bool{}
	for _, r := range Required(in.Partition, in.Bucket) {
		allowed[r.Resource] = true
	}
	for _, n := range in.Identity {
		if n.Kind == "managed" && strings.Contains(n.Name, ":iam::aws:policy/") {
			out = append(out, Excess{Policy: n.Kind + " policy " + n.Name, Statement: "(all)", Detail: "AWS managed policy: not limited to the backup bucket"})
			continue
		}
		for i := range n.Policy.Statements {
			st := &n.Policy.Statements[i]
			if st.Effect != Allow || st.Broken {
				continue
			}
			details := in.statementExcess(st, allowed)
			if len(details) > 0 {
				out = append(out, Excess{Policy: n.Kind + " policy " + n.Name, Statement: st.Ref(), Detail: strings.Join(details, "; ")})
			}
		}
	}
	return out
}

func (in AccessInput) statementExcess(st *Statement, allowed map[string]bool) []string {
	var details []string
	var actions, resources []string
	if st.NotAction != nil {
		details = append(details, fmt.Sprintf("NotAction allows every action except %s", strings.Join(st.NotAction, ", ")))
	}
	for _, a := range st.Action {
		if !requiredActions[strings.ToLower(a)] && in.effective(a, "") {
			actions = append(actions, a)
		}
	}
	if st.NotResource != nil {
		details = append(details, fmt.Sprintf("NotResource allows every resource except %s", strings.Join(st.NotResource, ", ")))
	}
	for _, r := range st.Resource {
		if !allowed[r] && in.effective("", r) {
			resources = append(resources, r)
		}
	}
	if len(actions) > 0 {
		details = append(details, "actions beyond the four required: "+strings.Join(actions, ", "))
	}
	if len(resources) > 0 {
		details = append(details, "resources beyond the backup bucket: "+strings.Join(resources, ", "))
	}
	return details
}

// sensitive are concrete actions used to tell whether a wildcard grant
// survives the permissions boundary.
var sensitive = []string{
	"s3:PutBucketPolicy", "s3:DeleteBucket", "s3:GetBucketPolicy", "s3:PutObjectAcl", "s3:GetObjectVersion",
	"s3:DeleteObjectVersion", "s3:ListAllMyBuckets", "s3:PutLifecycleConfiguration", "s3:GetObject",
	"iam:PassRole", "iam:CreateRole", "sts:AssumeRole", "kms:Decrypt", "ec2:RunInstances",
}

// effective tells whether an excess action (or resource) pattern still
// grants something once the permissions boundary applies. Without a boundary
// every grant is effective.
func (in AccessInput) effective(action, resource string) bool {
	if in.Boundary == nil {
		return true
	}
	var probes []Request
	if action != "" {
		for _, a := range append([]string{fill(action)}, sensitive...) {
			if Glob(action, a, true) && !requiredActions[strings.ToLower(a)] {
				probes = append(probes, Request{Action: a, Resource: "*"})
			}
		}
	} else {
		for _, a := range []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject"} {
			probes = append(probes, Request{Action: a, Resource: fill(resource)})
		}
	}
	for _, r := range probes {
		if d := in.Boundary.Policy.Evaluate(r).Decision; d == Allowed || d == Indeterminate {
			return true
		}
	}
	return false
}

// fill turns a pattern into one concrete value it matches.
func fill(pattern string) string {
	return strings.NewReplacer("*", "wiscanprobe", "?", "x").Replace(pattern)
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
