// Package gcp is Google Cloud IAM's evaluation logic as Rego built-ins:
//
//   - wiscan.gcp.analyze_access decides, for each subject (a Google service
//     account, or a Kubernetes service account by its IAM principal
//     identifier), which of the storage permissions the workload needs it
//     can use on the backup bucket (allow policies of the bucket, project,
//     folders and organization, the bucket's convenience members,
//     predefined roles from the shipped data and custom roles as read,
//     conditions decided over the objects the workload needs, deny
//     policies subtracted), and which of its grants are broader than the
//     bucket, each with a witness;
//
//   - wiscan.gcp.impersonation decides, for each Kubernetes service
//     account, whether a Google service account's IAM policy lets it act
//     as the account (roles/iam.workloadIdentityUser), exactly or through
//     a broader grant.
package gcp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/wiscan/wiscan/analysis/terms"
	"github.com/wiscan/wiscan/snapshot"
)

// The built-ins' names.
const (
	AnalyzeAccessName = "wiscan.gcp.analyze_access"
	ImpersonationName = "wiscan.gcp.impersonation"
)

// WorkloadIdentityUser is the role that lets a Kubernetes service account
// act as a Google service account.
const WorkloadIdentityUser = "roles/iam.workloadIdentityUser"

var (
	accessDecl = &ast.Builtin{
		Name:        AnalyzeAccessName,
		Description: "Analyses subjects (keyed) for the storage access the workload needs on its bucket and any broader grant.",
		Decl:        types.NewFunction(types.Args(types.A, types.A), types.A),
	}
	impersonationDecl = &ast.Builtin{
		Name:        ImpersonationName,
		Description: "Analyses a Google service account's IAM policy for who may act as it, for each Kubernetes service account (keyed).",
		Decl:        types.NewFunction(types.Args(types.A, types.A), types.A),
	}
)

// AccessBuiltin is wiscan.gcp.analyze_access, for analysis.Builtins.
func AccessBuiltin() (*ast.Builtin, func(*rego.Rego)) {
	return accessDecl, terms.Function2(accessDecl, "subjects", "context", Analyze)
}

// ImpersonationBuiltin is wiscan.gcp.impersonation, for analysis.Builtins.
func ImpersonationBuiltin() (*ast.Builtin, func(*rego.Rego)) {
	return impersonationDecl, terms.Function2(impersonationDecl, "subjects", "context", Impersonation)
}

// Context is the storage the workload needs and the GCP state.
type Context struct {
	Bucket string `json:"bucket"`
	// Prefix confines the objects the workload needs ("" for the whole
	// bucket).
	Prefix string `json:"prefix"`
	// Needs are the permissions it needs (storage.objects.get, ...).
	Needs []string `json:"needs"`
	// Now is the scan time (RFC 3339), at which request.time is judged.
	Now string        `json:"now"`
	GCP *snapshot.GCP `json:"gcp"`
}

func (c Context) now() time.Time {
	t, err := time.Parse(time.RFC3339Nano, c.Now)
	if err != nil {
		return time.Now().UTC()
	}
	return t
}

// Need is one permission the workload needs, as the subject can use it.
type Need struct {
	Permission string `json:"permission"`
	// Status is granted, missing, denied or unknown.
	Status string `json:"status"`
	// Grant names the binding that grants it (granted, denied) or whose
	// condition refuses the Witness (missing).
	Grant   *Grant `json:"grant,omitempty"`
	Witness string `json:"witness,omitempty"`
	// DeniedBy is the deny policy that takes it away.
	DeniedBy string `json:"deniedBy,omitempty"`
	// Why says what leaves an unknown undecided.
	Why []string `json:"why,omitempty"`
	// AtScanTime says a request.time condition decided it, judged at the
	// scan time; ChangesAt is when that verdict may change.
	AtScanTime bool   `json:"atScanTime,omitempty"`
	ChangesAt  string `json:"changesAt,omitempty"`
}

// Grant is one binding of one member.
type Grant struct {
	// Resource is where the policy is: buckets/B, projects/P, folders/N,
	// organizations/N, serviceAccounts/E.
	Resource string `json:"resource"`
	Role     string `json:"role"`
	Member   string `json:"member"`
	// Why says what set the member stands for (broad), or why its grant
	// is undecided.
	Why         string `json:"why,omitempty"`
	Conditional bool   `json:"conditional,omitempty"`
}

// Excess is a grant broader than the bucket: above it (Kind scope) or a
// bucket role beyond object use (Kind role), with a permission as witness.
type Excess struct {
	Grant
	Kind    string `json:"kind"`
	Witness string `json:"witness"`
}

// Access is one subject's analysis.
type Access struct {
	Needs     []Need   `json:"needs"`
	Excess    []Excess `json:"excess"`
	Undecided []Grant  `json:"undecided"`
	// Unread are the policies that were not read, where a broader grant
	// may hide.
	Unread []string `json:"unread"`
}

// Analyze judges each subject's access to the bucket.
func Analyze(subjects map[string]Subject, ctx Context) map[string]Access {
	g := ctx.GCP
	if g == nil {
		g = snapshot.NewGCP()
	}
	out := make(map[string]Access, len(subjects))
	for key, s := range subjects {
		a := analyzer{s: s.prepared(), g: g, ctx: ctx, now: ctx.now()}
		out[key] = a.run()
	}
	return out
}

type analyzer struct {
	s   Subject
	g   *snapshot.GCP
	ctx Context
	now time.Time
}

// levels are the policies that apply to the bucket's objects, the bucket
// first; ok is false when the project's ancestry is not known.
func (a analyzer) levels() (levels []string, ok bool) {
	levels = []string{"buckets/" + a.ctx.Bucket}
	if a.g.Project != "" {
		levels = append(levels, "projects/"+a.g.Project)
	}
	levels = append(levels, a.g.Ancestry...)
	return levels, a.g.Project != "" && a.g.Ancestry != nil
}

func (a analyzer) run() Access {
	acc := Access{Needs: []Need{}, Excess: []Excess{}, Undecided: []Grant{}, Unread: []string{}}
	for _, p := range a.ctx.Needs {
		acc.Needs = append(acc.Needs, a.need(p))
	}
	acc.Excess, acc.Undecided = a.excess()
	levels, known := a.levels()
	if !known {
		acc.Unread = append(acc.Unread, "the project's folders and organization")
	}
	for _, l := range levels {
		if _, ok := a.g.Policies[l]; !ok {
			acc.Unread = append(acc.Unread, "the IAM policy of "+l)
		}
	}
	return acc
}

// member is how a binding's member reaches the subject, resolving the
// bucket's convenience members through the project's basic roles.
func (a analyzer) member(resource, m string) Match {
	if strings.HasPrefix(resource, "buckets/") {
		for prefix, role := range convenience {
			if p, ok := strings.CutPrefix(m, prefix); ok {
				if p != a.g.Project && p != a.g.ProjectNumber {
					return none
				}
				return a.holds(role)
			}
		}
	}
	return a.s.MatchMember(m)
}

// convenience are the bucket members that stand for the holders of a
// basic role on the project.
var convenience = map[string]string{"projectOwner:": "roles/owner", "projectEditor:": "roles/editor", "projectViewer:": "roles/viewer"}

// holds says whether the subject holds a basic role on the project, and
// how.
func (a analyzer) holds(role string) Match {
	levels, known := a.levels()
	best := none
	for _, l := range levels[1:] {
		pol, ok := a.g.Policies[l]
		if !ok {
			best = Match{"unknown", "the IAM policy of " + l + " was not read"}
			continue
		}
		for _, b := range pol.Bindings {
			if b.Role != role || b.Condition != nil {
				continue
			}
			for _, m := range b.Members {
				switch x := a.s.MatchMember(m); x.Kind {
				case "exact", "broad":
					return Match{"broad", fmt.Sprintf("the holders of %s on project %s, through %s on %s", role, a.g.Project, m, l)}
				case "unknown":
					best = x
				}
			}
		}
	}
	if best.Kind == "none" && !known {
		return Match{"unknown", "whether it holds " + role + " on the project is not known: the project's ancestry was not read"}
	}
	return best
}

func (a analyzer) request(p string) Request {
	return Request{Bucket: a.ctx.Bucket, Prefix: a.ctx.Prefix, List: p == "storage.objects.list", Now: a.now}
}

func (a analyzer) need(p string) Need {
	n := Need{Permission: p, Status: "missing"}
	levels, known := a.levels()
	var why []string
	if !known {
		why = append(why, "the project's folders and organization were not read")
	}
	var granted, refused *Grant
	var verdict Verdict
	for _, l := range levels {
		pol, ok := a.g.Policies[l]
		if !ok {
			why = append(why, "the IAM policy of "+l+" was not read")
			continue
		}
		for _, b := range pol.Bindings {
			perms, roleKnown, roleWhy := rolePermissions(b.Role, a.g)
			if roleKnown && !slices.Contains(perms, p) {
				continue
			}
			for _, m := range b.Members {
				match := a.member(l, m)
				if match.Kind == "none" {
					continue
				}
				gr := &Grant{Resource: l, Role: b.Role, Member: m, Why: match.Why, Conditional: b.Condition != nil}
				if !roleKnown {
					why = append(why, roleWhy+" (granted on "+l+" to "+m+")")
					continue
				}
				if match.Kind == "unknown" {
					why = append(why, fmt.Sprintf("%s on %s is granted to %s", b.Role, l, match.Why))
					continue
				}
				if b.Condition == nil {
					if granted == nil || granted.Conditional {
						granted, verdict = gr, Verdict{}
					}
					continue
				}
				c, err := ParseCondition(b.Condition.Expression)
				if err != nil {
					why = append(why, fmt.Sprintf("the condition of %s on %s for %s: %v", b.Role, l, m, err))
					continue
				}
				v := c.Decide(a.request(p))
				switch v.Status {
				case "all":
					if granted == nil {
						granted, verdict = gr, v
					}
				case "refuses":
					if refused == nil {
						refused = gr
						n.Witness, n.AtScanTime, n.ChangesAt = v.Witness, v.AtScanTime, v.ChangesAt
					}
				default:
					why = append(why, fmt.Sprintf("the condition of %s on %s for %s: %s", b.Role, l, m, v.Why))
				}
			}
		}
	}
	switch {
	case granted != nil:
		n.Status, n.Grant, n.Witness = "granted", granted, ""
		n.AtScanTime, n.ChangesAt = verdict.AtScanTime, verdict.ChangesAt
		a.deny(&n)
	case len(why) > 0:
		n.Status, n.Why, n.Witness, n.AtScanTime, n.ChangesAt = "unknown", dedupe(why), "", false, ""
	case refused != nil:
		n.Grant = refused
	}
	return n
}

// deny subtracts the deny policies of the project, its folders and its
// organization from a granted permission.
func (a analyzer) deny(n *Need) {
	levels, _ := a.levels()
	v2 := denyName(n.Permission)
	var why []string
	for _, l := range levels[1:] {
		pols, ok := a.g.DenyPolicies[l]
		if !ok {
			why = append(why, "the deny policies of "+l+" were not read")
			continue
		}
		for _, pol := range pols {
			for _, r := range pol.Rules {
				if !anyPermission(r.DeniedPermissions, v2) || anyPermission(r.ExceptionPermissions, v2) {
					continue
				}
				applies := a.principals(r.DeniedPrincipals)
				excepted := a.principals(r.ExceptionPrincipals)
				if applies.Kind == "none" || excepted.Kind == "exact" || excepted.Kind == "broad" {
					continue
				}
				certain := applies.Kind != "unknown" && excepted.Kind == "none"
				if certain && r.Condition != nil {
					c, err := ParseCondition(r.Condition.Expression)
					if err != nil || c.Decide(a.request(n.Permission)).Status != "all" {
						certain = false
					}
				}
				if certain {
					n.Status, n.DeniedBy = "denied", pol.Name
					return
				}
				w := applies.Why
				if excepted.Kind == "unknown" {
					w = "an exception for " + excepted.Why
				}
				if r.Condition != nil {
					w = "a condition"
				}
				why = append(why, fmt.Sprintf("deny policy %s may deny %s: its rule depends on %s", pol.Name, v2, w))
			}
		}
	}
	if len(why) > 0 {
		n.Status, n.Why = "unknown", dedupe(why)
	}
}

func (a analyzer) principals(list []string) Match {
	best := none
	for _, m := range list {
		x := a.s.MatchMember(m)
		switch x.Kind {
		case "exact", "broad":
			return x
		case "unknown":
			best = x
		}
	}
	return best
}

// denyName is a permission's spelling in deny policies:
// storage.objects.get is storage.googleapis.com/objects.get.
func denyName(p string) string {
	service, rest, _ := strings.Cut(p, ".")
	return service + ".googleapis.com/" + rest
}

// anyPermission matches a permission against a deny rule's list, whose
// entries may end in a wildcard (storage.googleapis.com/objects.*,
// storage.googleapis.com/*).
func anyPermission(list []string, p string) bool {
	for _, x := range list {
		if x == p || x == "*" {
			return true
		}
		if prefix, ok := strings.CutSuffix(x, "*"); ok && strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// excess lists the subject's storage grants broader than the bucket.
func (a analyzer) excess() ([]Excess, []Grant) {
	out, undecided := []Excess{}, []Grant{}
	levels, _ := a.levels()
	use := objectUse()
	for _, l := range levels {
		pol, ok := a.g.Policies[l]
		if !ok {
			continue
		}
		for _, b := range pol.Bindings {
			for _, m := range b.Members {
				match := a.member(l, m)
				if match.Kind == "none" {
					continue
				}
				gr := Grant{Resource: l, Role: b.Role, Member: m, Why: match.Why, Conditional: b.Condition != nil}
				perms, known, why := rolePermissions(b.Role, a.g)
				if !known {
					gr.Why = why
					undecided = append(undecided, gr)
					continue
				}
				witness, kind := "", "scope"
				if strings.HasPrefix(l, "buckets/") {
					kind = "role"
					for _, p := range perms {
						if !use[p] {
							witness = p
							break
						}
					}
				} else {
					witness = storageWitness(perms)
				}
				if witness == "" {
					continue
				}
				if match.Kind == "unknown" {
					undecided = append(undecided, gr)
					continue
				}
				out = append(out, Excess{Grant: gr, Kind: kind, Witness: witness})
			}
		}
	}
	return out, undecided
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// ImpersonationContext is the Google service account and the GCP state.
type ImpersonationContext struct {
	Account string        `json:"account"`
	GCP     *snapshot.GCP `json:"gcp"`
}

// Impersonators is, for one Kubernetes service account, who in the Google
// service account's policy (or above it) may act as the account.
type Impersonators struct {
	// Exact are roles/iam.workloadIdentityUser bindings on the account
	// that name the subject itself.
	Exact []Grant `json:"exact"`
	// Broad are grants that cover it through a broader set, or at the
	// project or above (which covers every account of the project).
	Broad []Grant `json:"broad"`
	// Unknown are grants wiscan cannot judge (groups, conditions).
	Unknown []Grant `json:"unknown"`
	// Unread are the policies that were not read.
	Unread []string `json:"unread"`
	// Near are the account's workloadIdentityUser members that look like
	// a misspelling of the subject's.
	Near []string `json:"near"`
}

// Impersonation judges who may act as the Google service account, for
// each Kubernetes service account.
func Impersonation(subjects map[string]Subject, ctx ImpersonationContext) map[string]Impersonators {
	g := ctx.GCP
	if g == nil {
		g = snapshot.NewGCP()
	}
	out := make(map[string]Impersonators, len(subjects))
	email := strings.ToLower(ctx.Account)
	for key, s := range subjects {
		s = s.prepared()
		r := Impersonators{Exact: []Grant{}, Broad: []Grant{}, Unknown: []Grant{}, Unread: []string{}, Near: []string{}}
		// The account's members that name someone else: a near miss is
		// looked for among them only when nothing grants the subject.
		var others []string
		levels := []string{"serviceAccounts/" + email}
		if g.Project != "" {
			levels = append(levels, "projects/"+g.Project)
		}
		levels = append(levels, g.Ancestry...)
		if g.Project == "" || g.Ancestry == nil {
			r.Unread = append(r.Unread, "the project's ancestry")
		}
		for i, l := range levels {
			var pol *snapshot.IAMPolicy
			if i == 0 {
				pol = g.ServiceAccounts[email].Policy
			} else if p, ok := g.Policies[l]; ok {
				pol = &p
			}
			if pol == nil {
				r.Unread = append(r.Unread, l)
				continue
			}
			for _, b := range pol.Bindings {
				if b.Role != WorkloadIdentityUser {
					continue
				}
				for _, m := range b.Members {
					x := s.MatchMember(m)
					gr := Grant{Resource: l, Role: b.Role, Member: m, Why: x.Why, Conditional: b.Condition != nil}
					switch {
					case x.Kind == "none":
						if i == 0 {
							others = append(others, m)
						}
					case x.Kind == "unknown" || b.Condition != nil:
						if b.Condition != nil && x.Kind != "unknown" {
							gr.Why = "its condition " + b.Condition.Expression + " is not decided for impersonation"
						}
						r.Unknown = append(r.Unknown, gr)
					case i > 0:
						gr.Why = fmt.Sprintf("granted on %s, it lets %s act as every service account there", l, m)
						r.Broad = append(r.Broad, gr)
					case x.Kind == "broad":
						r.Broad = append(r.Broad, gr)
					default:
						r.Exact = append(r.Exact, gr)
					}
				}
			}
		}
		if len(r.Exact)+len(r.Broad) == 0 {
			for _, m := range others {
				if near(m, s) {
					r.Near = append(r.Near, m)
				}
			}
		}
		out[key] = r
	}
	return out
}

// near says a member looks like a misspelling of the subject's: within
// three edits of its legacy member or its principal identifier.
func near(m string, s Subject) bool {
	m = strings.ToLower(m)
	return distance(m, strings.ToLower(s.Member()), 3) <= 3 || distance(m, strings.ToLower(s.Principal()), 3) <= 3
}

// distance is the edit distance of a and b, or bound+1 when it exceeds
// bound: only the band of width 2*bound+1 around the diagonal is computed.
func distance(a, b string, bound int) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1
	}
	inf := bound + 1
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = min(j, inf)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-bound), min(len(b), i+bound)
		cur[0] = min(i, inf)
		if lo > 1 {
			cur[lo-1] = inf
		}
		best := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			up := inf
			if j <= i-1+bound {
				up = prev[j]
			}
			cur[j] = min(up+1, cur[j-1]+1, prev[j-1]+cost, inf)
			best = min(best, cur[j])
		}
		if hi < len(b) {
			cur[hi+1] = inf
		}
		if best > bound {
			return inf
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
