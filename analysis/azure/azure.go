// Package azure is Azure RBAC's evaluation logic as a Rego built-in:
// wiscan.azure.analyze_identity decides, for one managed identity, which
// of the data actions the workload needs it can use on the backup
// container (role assignments at every scope above it, role definitions by
// ID with wildcards expanded, notDataActions and deny assignments
// subtracted, conditions decided where wiscan can), and which of its
// assignments grant more than Storage Blob Data Contributor on the
// account, or at a scope above it, each with a witness.
package azure

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/wiscan/wiscan/analysis/terms"
	"github.com/wiscan/wiscan/snapshot"
)

// AnalyzeIdentityName is the built-in's name.
const AnalyzeIdentityName = "wiscan.azure.analyze_identity"

var decl = &ast.Builtin{
	Name:        AnalyzeIdentityName,
	Description: "Analyses a managed identity (as in input.azure.identities) for the storage access the workload needs and any broader grant.",
	Decl:        types.NewFunction(types.Args(types.A, types.A), types.A),
}

// Builtin is wiscan.azure.analyze_identity: its declaration and its
// implementation, for the one list of built-ins (analysis.Builtins).
func Builtin() (*ast.Builtin, func(*rego.Rego)) {
	return decl, terms.Function2(decl, "identity", "context", Analyze)
}

// Everyone is the principal ID a deny assignment names to apply to all.
const Everyone = "00000000-0000-0000-0000-000000000000"

// Context is the built-in's second argument: the storage the workload
// needs, and the Azure state (input.azure).
type Context struct {
	// Account is the storage account's resource ID ("" when unknown),
	// Container the backup container ("" when unknown).
	Account   string `json:"account"`
	Container string `json:"container"`
	// Needs are the data actions the workload needs on its container.
	Needs []string        `json:"needs"`
	Azure *snapshot.Azure `json:"azure"`
}

// Need is one data action the workload needs, as the identity can use it.
type Need struct {
	Action string `json:"action"`
	// Status is granted, missing, denied or unknown.
	Status string `json:"status"`
	// By names the assignment that grants it (granted, denied), Role its
	// role's name and Scope its scope; DeniedBy the deny assignment.
	By       string `json:"by,omitempty"`
	Role     string `json:"role,omitempty"`
	Scope    string `json:"scope,omitempty"`
	DeniedBy string `json:"deniedBy,omitempty"`
	// Why says what leaves an unknown undecided, or what a missing
	// grant's closest assignment lacks.
	Why []string `json:"why,omitempty"`
	// Witness is a blob path the condition of the assignment By refuses,
	// when that condition is what leaves the action missing.
	Witness string `json:"witness,omitempty"`
}

// Excess is an assignment that grants storage access broader than needed.
type Excess struct {
	Assignment string `json:"assignment"`
	Role       string `json:"role"`
	Scope      string `json:"scope"`
	// Kind is scope (assigned above the storage account) or role (its
	// permissions exceed Storage Blob Data Contributor's).
	Kind      string `json:"kind"`
	ScopeKind string `json:"scopeKind"`
	// Witness is an operation the role allows beyond the baseline.
	Witness string `json:"witness,omitempty"`
	Data    bool   `json:"data,omitempty"`
	// Via is the group the grant comes through, if any.
	Via string `json:"via,omitempty"`
}

// Undecided is an assignment wiscan could not judge, and why.
type Undecided struct {
	Assignment string `json:"assignment"`
	Why        string `json:"why"`
}

// Analysis is the built-in's answer.
type Analysis struct {
	Needs     []Need      `json:"needs"`
	Excess    []Excess    `json:"excess"`
	Undecided []Undecided `json:"undecided"`
	// Elsewhere are the storage scopes (accounts or containers) that do
	// not hold the backup container but where the identity is granted
	// every data action it needs: a backup configuration naming another
	// container or account than the one granted.
	Elsewhere []string `json:"elsewhere"`
}

// assignment is a role assignment as the analysis sees it.
type assignment struct {
	snapshot.RoleAssignment
	scope Scope
	role  snapshot.RoleDefinition
	// via is the group it reaches the identity through; unproven when
	// the listing does not show membership.
	via      string
	unproven bool
	// err says why it cannot be judged (malformed scope, unknown role).
	err string
}

// Analyze judges one identity's storage access.
func Analyze(ident snapshot.ManagedIdentity, ctx Context) Analysis {
	a := Analysis{Needs: []Need{}, Excess: []Excess{}, Undecided: []Undecided{}, Elsewhere: []string{}}
	az := ctx.Azure
	if az == nil {
		az = snapshot.NewAzure()
	}
	mine := assignments(ident, az)
	account, accountErr := ParseScope(ctx.Account)
	for _, as := range mine {
		if as.err != "" {
			a.Undecided = append(a.Undecided, Undecided{Assignment: as.ID, Why: as.err})
		}
	}
	for _, n := range ctx.Needs {
		a.Needs = append(a.Needs, need(n, ident, az, mine, account, accountErr, ctx))
	}
	if accountErr == nil {
		a.Excess, a.Undecided = excess(mine, account, a.Undecided)
		if ctx.Container != "" {
			a.Elsewhere = elsewhere(mine, account.Child("blobServices", "default").Child("containers", ctx.Container), ctx.Needs)
		}
	}
	return a
}

// elsewhere lists the storage scopes, other than the backup container's
// and those above it, where the identity holds every needed data action.
func elsewhere(mine []assignment, target Scope, needs []string) []string {
	out := []string{}
	for _, as := range mine {
		if as.err != "" || as.unproven || as.scope.Kind != Resource || as.scope.Contains(target) || !storageScope(as.Scope) {
			continue
		}
		all := len(needs) > 0
		for _, n := range needs {
			all = all && roleGrants(as.role, n, true)
		}
		if all && strings.TrimSpace(as.Condition) == "" && !slices.Contains(out, as.Scope) {
			out = append(out, as.Scope)
		}
	}
	return out
}

// storageScope holds for a storage account or anything under one.
func storageScope(id string) bool {
	return strings.Contains(strings.ToLower(id), "/providers/microsoft.storage/storageaccounts/")
}

// assignments are the role assignments that reach the identity: its own,
// and its groups' where the listing proves membership (a listing made for
// the principal with its groups: assignedTo, az role assignment list
// --assignee --include-groups).
func assignments(ident snapshot.ManagedIdentity, az *snapshot.Azure) []assignment {
	var out []assignment
	for _, ra := range az.RoleAssignments {
		as := assignment{RoleAssignment: ra}
		switch {
		case strings.EqualFold(ra.PrincipalID, ident.PrincipalID):
		case strings.EqualFold(ra.PrincipalType, "Group"):
			as.via = ra.PrincipalID
			as.unproven = !ident.Assignments
		default:
			continue
		}
		s, err := ParseScope(ra.Scope)
		if err != nil {
			as.err = fmt.Sprintf("scope: %v", err)
		}
		as.scope = s
		if r, ok := definition(az, ra.RoleDefinitionID); ok {
			as.role = r
		} else if as.err == "" {
			as.err = "role definition " + roleGUID(ra.RoleDefinitionID) + " is not known: neither read nor a built-in role in the shipped data"
		}
		out = append(out, as)
	}
	return out
}

// roleGUID is the last part of a role definition ID, in lower case.
func roleGUID(id string) string {
	return strings.ToLower(id[strings.LastIndex(id, "/")+1:])
}

// definition finds a role by ID: as read, else Azure's built-in.
func definition(az *snapshot.Azure, id string) (snapshot.RoleDefinition, bool) {
	g := roleGUID(id)
	if r, ok := az.RoleDefinitions[g]; ok {
		return r, true
	}
	r, ok := data().roles[g]
	return r, ok
}

// need decides one data action on the backup container.
func need(action string, ident snapshot.ManagedIdentity, az *snapshot.Azure, mine []assignment, account Scope, accountErr error, ctx Context) Need {
	n := Need{Action: action, Status: "missing"}
	if accountErr != nil {
		n.Status = "unknown"
		n.Why = append(n.Why, "the storage account is not known: "+cmpOr(ctx.Account, "not named by the profile or a backup configuration"))
		return n
	}
	var target Scope
	if ctx.Container != "" {
		target = account.Child("blobServices", "default").Child("containers", ctx.Container)
	}
	var why []string
	for _, as := range mine {
		if as.err != "" {
			// It might grant the action: the verdict depends on it.
			why = append(why, as.ID+": "+as.err)
			continue
		}
		applies := ctx.Container != "" && as.scope.Contains(target) || ctx.Container == "" && as.scope.Contains(account)
		if !applies {
			if ctx.Container == "" && account.Contains(as.scope) && roleGrants(as.role, action, true) {
				why = append(why, as.ID+": granted on part of the account, and the backup container is not known")
			}
			continue
		}
		if !roleGrants(as.role, action, true) {
			continue
		}
		v, witness, undecided, err := conditionHolds(as, action, ctx.Container)
		switch {
		case err != nil:
			why = append(why, as.ID+": "+err.Error())
			continue
		case v == no:
			if witness != "" && n.Witness == "" {
				n.Witness, n.By = witness, as.ID
			}
			continue
		case v == maybe:
			why = append(why, as.ID+": its condition cannot be decided: "+strings.Join(undecided, ", "))
			continue
		case as.unproven:
			why = append(why, as.ID+": granted to group "+as.via+", whose membership the listing does not prove (list the identity's assignments with its groups)")
			continue
		}
		n.Status, n.By, n.Role, n.Scope, n.Witness = "granted", as.ID, as.role.Name, as.Scope, ""
		break
	}
	if n.Status == "granted" {
		deny(&n, ident, az, target, account, ctx.Container)
		return n
	}
	if len(why) > 0 || !ident.Assignments {
		n.Status = "unknown"
		if !ident.Assignments {
			why = append(why, "the identity's role assignments were not listed with its groups'")
		}
	}
	n.Why = why
	return n
}

// conditionHolds decides an assignment's condition for the action over
// every blob of the container; a refusal over blob paths names the
// shortest path it excludes.
func conditionHolds(as assignment, action, container string) (tri, string, []string, error) {
	if strings.TrimSpace(as.Condition) == "" {
		return yes, "", nil, nil
	}
	return evalCondition(as.Condition, request{action: action, container: container})
}

// deny subtracts deny assignments from a granted need.
func deny(n *Need, ident snapshot.ManagedIdentity, az *snapshot.Azure, target, account Scope, container string) {
	at := target
	if container == "" {
		at = account
	}
	for _, d := range az.DenyAssignments {
		s, err := ParseScope(d.Scope)
		if err != nil {
			n.Status, n.Why = "unknown", append(n.Why, d.ID+": scope: "+err.Error())
			continue
		}
		if !s.Contains(at) || d.DoNotApplyToChildScopes && s.Above(at) {
			continue
		}
		if !slices.ContainsFunc(d.Permissions, func(p snapshot.RolePermission) bool { return grants(p, n.Action, true) }) {
			continue
		}
		if containsFold(d.ExcludePrincipals, ident.PrincipalID) {
			continue
		}
		if containsFold(d.Principals, ident.PrincipalID) || containsFold(d.Principals, Everyone) {
			n.Status, n.DeniedBy = "denied", d.ID
			return
		}
		n.Status, n.Why = "unknown", append(n.Why, d.ID+": denies it to principals whose membership is not read")
	}
	if !ident.DenyAssignments && n.Status == "granted" {
		n.Status, n.Why = "unknown", append(n.Why, "granted by "+n.By+", but the identity's deny assignments were not read")
	}
}

func containsFold(list []string, s string) bool {
	return s != "" && slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// excess lists the assignments broader than the workload needs: any
// whose scope is above the account, and any at the account or below whose
// role allows more than Storage Blob Data Contributor.
func excess(mine []assignment, account Scope, undecided []Undecided) ([]Excess, []Undecided) {
	out := []Excess{}
	sbdc := data().roles[StorageBlobDataContributor]
	for _, as := range mine {
		if as.err != "" {
			continue
		}
		e := Excess{Assignment: as.ID, Role: as.role.Name, Scope: as.Scope, ScopeKind: as.scope.Kind, Via: as.via}
		switch {
		case as.scope.Above(account):
			e.Kind = "scope"
		case account.Contains(as.scope):
			b := beyond(as.role, sbdc)
			if b.Witness == "" {
				if len(b.Undecided) > 0 {
					undecided = append(undecided, Undecided{Assignment: as.ID, Why: "role " + as.role.Name + " allows operations the shipped data does not list: " + strings.Join(b.Undecided, ", ")})
				}
				continue
			}
			e.Kind, e.Witness, e.Data = "role", b.Witness, b.Data
		default:
			continue
		}
		if as.unproven {
			undecided = append(undecided, Undecided{Assignment: as.ID, Why: "granted to group " + as.via + ", whose membership the listing does not prove"})
			continue
		}
		out = append(out, e)
	}
	return out, undecided
}
