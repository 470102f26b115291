// Package aws is IAM's evaluation logic as a Rego built-in:
// wiscan.aws.analyze_role decides, for one role, who may assume it (IRSA
// and EKS Pod Identity) and what it may do to the workload's buckets,
// exactly, over every request (iampolicy).
package aws

import (
	"errors"
	"fmt"
	"regexp/syntax"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/wiscan/wiscan/analysis/terms"
	"github.com/wiscan/wiscan/iampolicy"
	"github.com/wiscan/wiscan/snapshot"
)

// AnalyzeRoleName is the built-in that gives policies IAM's evaluation
// logic: wiscan.aws.analyze_role(role, context) analyses one role's trust
// and permission policies for the subjects and buckets in context.
const AnalyzeRoleName = "wiscan.aws.analyze_role"

var analyzeRoleDecl = &ast.Builtin{
	Name:        AnalyzeRoleName,
	Description: "Analyses an IAM role (as in input.aws.roles) for IRSA, EKS Pod Identity and least-privilege access to buckets.",
	Decl:        types.NewFunction(types.Args(types.A, types.A), types.A),
}

// Builtin is wiscan.aws.analyze_role: its declaration and its
// implementation, for the one list of built-ins (analysis.Builtins).
func Builtin() (*ast.Builtin, func(*rego.Rego)) {
	return analyzeRoleDecl, terms.Function2(analyzeRoleDecl, "role", "context", AnalyzeRole)
}

// RoleContext is the second argument of wiscan.aws.analyze_role.
type RoleContext struct {
	Partition   string `json:"partition"`
	Account     string `json:"account"`
	ClusterName string `json:"clusterName"`
	ClusterARN  string `json:"clusterArn"`
	// Issuer is the cluster's OIDC issuer without its scheme.
	Issuer      string `json:"issuer"`
	ProviderARN string `json:"providerArn"`
	// IRSASubjects are the subjects that reach the role through IRSA.
	IRSASubjects []string `json:"irsaSubjects"`
	// Scopes are the profiles that reach the role through IRSA: a subject
	// the trust policy admits outside all of them is too broad.
	Scopes []Scope `json:"scopes"`
	// Now is when the snapshot was taken (RFC 3339); time conditions are
	// judged then, and are undecided without it.
	Now string `json:"now"`
	// Region is the cluster's region, where the pods call STS.
	Region string `json:"region"`
	// BucketRegions are the buckets' regions where known, where the pods
	// call S3.
	BucketRegions map[string]string `json:"bucketRegions"`
	// PodSubjects are [namespace, service account] pairs that reach the
	// role through EKS Pod Identity.
	PodSubjects [][2]string `json:"podSubjects"`
	Buckets     []string    `json:"buckets"`
	// BucketPolicies are input.aws.buckets: each bucket's resource policy.
	BucketPolicies map[string]snapshot.Bucket `json:"bucketPolicies"`
	// Access is what the role's users need; awsAccess maps it to IAM.
	Access snapshot.Access `json:"access"`
}

func (c RoleContext) now() time.Time {
	t, err := time.Parse(time.RFC3339Nano, c.Now)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Scope is a profile's namespaces and service account.
type Scope struct {
	Namespaces     snapshot.NamespaceMatch `json:"namespaces"`
	ServiceAccount string                  `json:"serviceAccount"`
	Targets        []string                `json:"targets"`
}

// Subjects are the OIDC subjects the scope allows, as IAM wildcard
// patterns: the namespace pattern's literal parts with * for the rest
// (^mxp-[0-9a-f-]+-system$ is mxp-*-system), else the named namespaces,
// else (a label selector) the namespaces it matched.
func (s Scope) Subjects() []string {
	var namespaces []string
	switch {
	case s.Namespaces.Pattern != "":
		namespaces = regexpGlobs(s.Namespaces.Pattern)
	case len(s.Namespaces.Names) > 0:
		namespaces = s.Namespaces.Names
	default:
		namespaces = s.Targets
	}
	out := make([]string, 0, len(namespaces))
	for _, ns := range namespaces {
		out = append(out, iampolicy.Subject(ns, s.ServiceAccount))
	}
	return out
}

// regexpGlobs turns a regular expression into IAM wildcard patterns that
// match at least what it matches: literal text stays, anything else
// becomes *, each alternative its own pattern.
func regexpGlobs(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return []string{"*"}
	}
	var walk func(*syntax.Regexp) []string
	walk = func(re *syntax.Regexp) []string {
		switch re.Op {
		case syntax.OpLiteral:
			if re.Flags&syntax.FoldCase != 0 {
				return []string{"*"}
			}
			return []string{strings.NewReplacer("*", "${*}", "?", "${?}", "$", "${$}").Replace(string(re.Rune))}
		case syntax.OpBeginText, syntax.OpEndText, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
			return []string{""}
		case syntax.OpCapture:
			return walk(re.Sub[0])
		case syntax.OpAlternate:
			var out []string
			for _, sub := range re.Sub {
				out = append(out, walk(sub)...)
			}
			return out
		case syntax.OpConcat:
			out := []string{""}
			for _, sub := range re.Sub {
				var next []string
				for _, prefix := range out {
					for _, part := range walk(sub) {
						next = append(next, prefix+part)
					}
				}
				if len(next) > 16 {
					return []string{"*"}
				}
				out = next
			}
			return out
		}
		return []string{"*"}
	}
	out := walk(re)
	for i, g := range out {
		if !strings.HasPrefix(expr, "^") && !strings.HasPrefix(expr, `\A`) {
			g = "*" + g
		}
		if !strings.HasSuffix(expr, "$") && !strings.HasSuffix(expr, `\z`) {
			g += "*"
		}
		for strings.Contains(g, "**") {
			g = strings.ReplaceAll(g, "**", "*")
		}
		out[i] = g
	}
	return out
}

// RoleAnalysis is the result of wiscan.aws.analyze_role.
type RoleAnalysis struct {
	// Problems are defects in the role's documents, by policy and
	// statement.
	Problems []DocumentProblem `json:"problems"`
	// TrustError is set when the trust policy cannot be analysed.
	TrustError string `json:"trustError,omitempty"`
	// TrustSize is the trust policy's length as IAM counts it.
	TrustSize int `json:"trustSize"`
	// TrustAllows summarises the trust policy's Allow statements, so that
	// a finding can say what the policy admits instead.
	TrustAllows []string              `json:"trustAllows"`
	IRSA        *iampolicy.IRSAResult `json:"irsa,omitempty"`
	// AnyBucket is the role's access when the backup bucket is not known:
	// only what holds for every bucket.
	AnyBucket   *iampolicy.AccessResult      `json:"anyBucket,omitempty"`
	PodIdentity *iampolicy.PodIdentityResult `json:"podIdentity,omitempty"`
	// AccessError is set when a permission document is missing or
	// unreadable, so that access cannot be decided.
	AccessError string                            `json:"accessError,omitempty"`
	Access      map[string]iampolicy.AccessResult `json:"access"`
}

// DocumentProblem is a defect in one of a role's policies.
type DocumentProblem struct {
	Policy    string `json:"policy"`
	Statement string `json:"statement,omitempty"`
	Msg       string `json:"msg"`
}

// AnalyzeRole analyses a role with IAM's evaluation logic.
func AnalyzeRole(role snapshot.Role, ctx RoleContext) RoleAnalysis {
	out := RoleAnalysis{Problems: []DocumentProblem{}, TrustAllows: []string{}, Access: map[string]iampolicy.AccessResult{}}
	trust, err := out.parse("trust policy", role.TrustPolicy)
	if err != nil {
		out.TrustError = err.Error()
	} else {
		out.TrustSize = trust.Size
		out.TrustAllows = summarize(trust)
		env := iampolicy.Environment{Now: ctx.now(), Region: ctx.Region}
		if len(ctx.IRSASubjects) > 0 {
			var scope []string
			for _, s := range ctx.Scopes {
				scope = append(scope, s.Subjects()...)
			}
			r := iampolicy.IRSA(trust, iampolicy.IRSAInput{ProviderARN: ctx.ProviderARN, Issuer: ctx.Issuer, Subjects: ctx.IRSASubjects, Scope: scope, Env: env})
			out.IRSA = &r
		}
		if len(ctx.PodSubjects) > 0 {
			r := iampolicy.PodIdentity(trust, iampolicy.PodIdentityInput{Account: ctx.Account, ClusterARN: ctx.ClusterARN, ClusterName: ctx.ClusterName, Subjects: ctx.PodSubjects, Env: env})
			out.PodIdentity = &r
		}
	}
	in, err := out.accessInput(role, ctx)
	if err != nil {
		out.AccessError = err.Error()
		return out
	}
	in.Needs = awsNeeds(ctx.Partition, ctx.Access)
	if len(ctx.Buckets) == 0 {
		in.Env = iampolicy.Environment{Now: ctx.now()}
		r := iampolicy.Access(in)
		out.AnyBucket = &r
	}
	for _, b := range ctx.Buckets {
		in.Bucket, in.BucketPolicy = b, nil
		in.Env = iampolicy.Environment{Now: ctx.now(), Region: ctx.BucketRegions[b]}
		var bad error
		if bp := ctx.BucketPolicies[b].Policy; bp != nil {
			in.BucketPolicy, bad = out.parse("bucket policy of "+b, bp)
		}
		r := iampolicy.Access(in)
		if bad != nil {
			// A bucket policy that cannot be read could deny what the role's
			// own policies allow, or grant more: nothing the role holds on
			// the bucket is decided.
			r = undecidedBy(r, bad)
		}
		out.Access[b] = r
	}
	return out
}

var errNoDocument = errors.New("document not collected")

// awsObjectActions is the AWS table of the neutral object operations.
var awsObjectActions = map[string]string{"read": "s3:GetObject", "write": "s3:PutObject", "delete": "s3:DeleteObject", "list": "s3:ListBucket"}

// awsSecretRead is what reading a secret from Secrets Manager takes: its
// value, and the read-only calls an operator makes around it (allowed, not
// required).
var awsSecretRead = []iampolicy.Need{
	{Action: "secretsmanager:GetSecretValue"},
	{Action: "secretsmanager:DescribeSecret", Optional: true},
	{Action: "secretsmanager:GetResourcePolicy", Optional: true},
	{Action: "secretsmanager:ListSecretVersionIds", Optional: true},
}

// awsNeeds maps the profiles' access to IAM through the tables above: an
// object operation to its S3 action, a secret name to the Secrets
// Manager read actions on its ARN (a secret's ARN ends in a dash and six
// random characters).
func awsNeeds(partition string, a snapshot.Access) []iampolicy.Need {
	if partition == "" {
		partition = "aws"
	}
	needs := []iampolicy.Need{}
	for _, op := range a.Objects {
		if action, ok := awsObjectActions[op]; ok {
			needs = append(needs, iampolicy.Need{Action: action})
		}
	}
	for _, name := range a.Secrets {
		arn := fmt.Sprintf("arn:%s:secretsmanager:*:*:secret:%s-??????", partition, name)
		for _, n := range awsSecretRead {
			n.Resource = arn
			needs = append(needs, n)
		}
	}
	return needs
}

// undecidedBy marks every permission not already missing as undecided, and
// the excess as open, because of an unreadable bucket policy.
func undecidedBy(r iampolicy.AccessResult, err error) iampolicy.AccessResult {
	missing := map[string]bool{}
	for _, m := range r.Missing {
		missing[m.Action] = true
	}
	why := fmt.Sprintf("%v; an explicit deny there would block it", err)
	for _, p := range r.Required {
		if !missing[p.Action] {
			r.Missing = append(r.Missing, iampolicy.Permission{Action: p.Action, Resource: p.Resource, Decision: iampolicy.Indeterminate, Reason: why})
		}
	}
	r.Undecided = append(r.Undecided, fmt.Sprintf("%v; it could grant more", err))
	return r
}

// parse reads one document and records its problems.
func (a *RoleAnalysis) parse(name string, d *snapshot.PolicyDocument) (*iampolicy.Policy, error) {
	if d == nil {
		return nil, fmt.Errorf("%s: %w", name, errNoDocument)
	}
	if d.Error != "" {
		return nil, fmt.Errorf("%s: %s", name, d.Error)
	}
	if d.Document == nil {
		return nil, fmt.Errorf("%s: %w", name, errNoDocument)
	}
	p, err := iampolicy.ParseValue(d.Document)
	if err != nil {
		a.Problems = append(a.Problems, DocumentProblem{Policy: name, Msg: err.Error()})
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, pr := range p.Problems {
		a.Problems = append(a.Problems, DocumentProblem{Policy: name, Statement: pr.Statement, Msg: pr.Msg})
	}
	return p, nil
}

// accessInput parses the permission documents; any unreadable one makes
// access undecidable.
func (a *RoleAnalysis) accessInput(role snapshot.Role, ctx RoleContext) (iampolicy.AccessInput, error) {
	in := iampolicy.AccessInput{Partition: ctx.Partition, RoleARN: role.ARN}
	var errs []error
	add := func(kind, name string, d snapshot.PolicyDocument) *iampolicy.Named {
		if d.Document == nil {
			// An AWS managed policy whose document was not exported is
			// judged from the shipped list of their documents.
			if p, ok := iampolicy.ManagedPolicy(name); ok {
				return &iampolicy.Named{Kind: kind, Name: name, Policy: p, Listed: true}
			}
		}
		p, err := a.parse(kind+" policy "+name, &d)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		return &iampolicy.Named{Kind: kind, Name: name, Policy: p}
	}
	for _, d := range role.Inline {
		if n := add("inline", d.Name, d); n != nil {
			in.Identity = append(in.Identity, *n)
		}
	}
	for _, d := range role.Attached {
		if n := add("managed", d.ARN, d); n != nil {
			in.Identity = append(in.Identity, *n)
		}
	}
	if role.Boundary != nil {
		in.Boundary = add("boundary", role.Boundary.ARN, *role.Boundary)
	}
	return in, errors.Join(errs...)
}

// summarize describes each Allow statement: its principals and actions.
func summarize(p *iampolicy.Policy) []string {
	out := []string{}
	for _, st := range p.Statements {
		if st.Effect != iampolicy.Allow {
			continue
		}
		var who []string
		if pr := st.Principal; pr != nil {
			if pr.Any {
				who = append(who, "*")
			}
			for _, v := range pr.Federated {
				who = append(who, "Federated "+v)
			}
			for _, v := range pr.Service {
				who = append(who, "Service "+v)
			}
			if !pr.Any {
				for _, v := range pr.AWS {
					who = append(who, "AWS "+v)
				}
			}
		}
		actions := st.Action
		if st.NotAction != nil {
			actions = []string{"all but " + strings.Join(st.NotAction, ", ")}
		}
		out = append(out, fmt.Sprintf("%s lets %s %s", st.Ref(), orNone(strings.Join(who, ", ")), strings.Join(actions, ", ")))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "no principal"
	}
	return s
}
