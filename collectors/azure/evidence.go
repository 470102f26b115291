// Package azure reads Azure's side of workload identity: the AKS cluster,
// the user-assigned managed identities the service accounts name with
// their federated credentials, the role assignments, role definitions and
// deny assignments that apply to them, and the storage accounts. This file
// reads them from the JSON the az CLI prints (evidence mode).
package azure

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	azanalysis "github.com/wiscan/wiscan/analysis/azure"
	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/snapshot"
)

// Cloud is the clouds table's name for Azure.
const Cloud = "azure"

// Name names the collector in gaps.
const Name = "azure"

// Resource types, as az prints them (compared without case).
const (
	typeCluster     = "microsoft.containerservice/managedclusters"
	typeIdentity    = "microsoft.managedidentity/userassignedidentities"
	typeCredential  = "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials"
	typeAssignment  = "microsoft.authorization/roleassignments"
	typeDefinition  = "microsoft.authorization/roledefinitions"
	typeDeny        = "microsoft.authorization/denyassignments"
	typeStorage     = "microsoft.storage/storageaccounts"
	credentialsPath = "/federatedidentitycredentials/"
)

// Recognizer reads Azure evidence: the JSON az prints, recognised by each
// object's resource type, and the wrappers the export script adds where a
// bare list would not say what it lists (all identities of a subscription,
// a principal's assignments with its groups', its deny assignments, one
// identity's credentials).
type Recognizer struct {
	seen        bool
	clusters    []snapshot.AKSCluster
	identities  []snapshot.ManagedIdentity
	credentials map[string][]snapshot.FederatedCredential // by identity ID, lower case
	credsListed map[string]bool
	assignments []snapshot.RoleAssignment
	assignedTo  map[string]bool // principals listed with their groups
	definitions map[string]snapshot.RoleDefinition
	denies      []snapshot.DenyAssignment
	denyListed  map[string]bool
	accounts    []snapshot.StorageAccount
	listed      map[string]bool // subscriptions whose identities were all listed
	conflicted  map[string]bool // client IDs given by two identities
	subs        map[string]bool
	malformed   []fileGap
}

type fileGap struct {
	file string
	line int
	msg  string
}

// NewRecognizer returns a recognizer for one evidence folder.
func NewRecognizer() *Recognizer {
	return &Recognizer{
		credentials: map[string][]snapshot.FederatedCredential{}, credsListed: map[string]bool{},
		assignedTo: map[string]bool{}, definitions: map[string]snapshot.RoleDefinition{},
		denyListed: map[string]bool{}, listed: map[string]bool{}, subs: map[string]bool{}, conflicted: map[string]bool{},
	}
}

// Name implements collectors.Recognizer.
func (a *Recognizer) Name() string { return "Azure" }

// Document implements collectors.Recognizer.
func (a *Recognizer) Document(file string, line int, m map[string]any, lines func(key string, i int) int) bool {
	at := func(key string, i int) *snapshot.Location {
		if l := lines(key, i); l > 0 {
			return &snapshot.Location{File: file, Line: l}
		}
		return &snapshot.Location{File: file, Line: line}
	}
	loc := &snapshot.Location{File: file, Line: line}
	switch {
	case has(m, "subscription", "identities"):
		sub := strings.ToLower(collectors.String(m["subscription"]))
		a.listed[sub], a.subs[sub] = true, true
		for i, it := range collectors.List(m["identities"]) {
			a.resource(collectors.Object(it), at("identities", i))
		}
	case has(m, "assignee", "roleAssignments"):
		if m["includeGroups"] == true {
			a.assignedTo[strings.ToLower(collectors.String(m["assignee"]))] = true
		}
		for i, it := range collectors.List(m["roleAssignments"]) {
			a.resource(collectors.Object(it), at("roleAssignments", i))
		}
	case has(m, "principalId", "denyAssignments"):
		a.denyListed[strings.ToLower(collectors.String(m["principalId"]))] = true
		for i, it := range collectors.List(m["denyAssignments"]) {
			a.resource(collectors.Object(it), at("denyAssignments", i))
		}
	case has(m, "identity", "federatedCredentials"):
		a.credsListed[strings.ToLower(collectors.String(m["identity"]))] = true
		for i, it := range collectors.List(m["federatedCredentials"]) {
			a.resource(collectors.Object(it), at("federatedCredentials", i))
		}
	case has(m, "value") && len(m) <= 2:
		// az rest: a page of resources.
		ok := false
		for i, it := range collectors.List(m["value"]) {
			ok = a.resource(collectors.Object(it), at("value", i)) || ok
		}
		if !ok {
			return false
		}
	default:
		if !a.resource(m, loc) {
			return false
		}
	}
	a.seen = true
	return true
}

// resource records one Azure resource by its type.
func (a *Recognizer) resource(m map[string]any, loc *snapshot.Location) bool {
	id := collectors.String(m["id"])
	if sub := subscription(id); sub != "" {
		a.subs[sub] = true
	}
	switch strings.ToLower(collectors.String(m["type"])) {
	case typeCluster:
		oidc, wi := collectors.Object(m["oidcIssuerProfile"]), collectors.Object(collectors.Object(m["securityProfile"])["workloadIdentity"])
		a.clusters = append(a.clusters, snapshot.AKSCluster{ID: id, Name: collectors.String(m["name"]),
			OIDCIssuerEnabled: boolPtr(oidc["enabled"]), OIDCIssuer: collectors.String(oidc["issuerUrl"]), WorkloadIdentityEnabled: boolPtr(wi["enabled"]), Source: loc})
	case typeIdentity:
		a.identities = append(a.identities, snapshot.ManagedIdentity{ID: id, Name: collectors.String(m["name"]), ClientID: collectors.String(m["clientId"]),
			PrincipalID: collectors.String(m["principalId"]), TenantID: collectors.String(m["tenantId"]), Found: true, Source: loc})
	case typeCredential:
		parent, _, ok := strings.Cut(strings.ToLower(id), credentialsPath)
		if !ok {
			a.malformed = append(a.malformed, fileGap{loc.File, loc.Line, "a federated credential whose ID names no identity"})
			return true
		}
		a.credentials[parent] = append(a.credentials[parent], snapshot.FederatedCredential{Name: collectors.String(m["name"]), Issuer: collectors.String(m["issuer"]),
			Subject: collectors.String(m["subject"]), Audiences: collectors.Strings(m["audiences"]), Source: loc})
	case typeAssignment:
		p := props(m)
		ra := snapshot.RoleAssignment{ID: id, Scope: collectors.String(p["scope"]), RoleDefinitionID: collectors.String(p["roleDefinitionId"]), PrincipalID: collectors.String(p["principalId"]),
			PrincipalType: collectors.String(p["principalType"]), Condition: collectors.String(p["condition"]), ConditionVersion: collectors.String(p["conditionVersion"]), Source: loc}
		if _, err := azanalysis.ParseScope(ra.Scope); err != nil {
			a.malformed = append(a.malformed, fileGap{loc.File, loc.Line, fmt.Sprintf("role assignment %s: %v", ra.ID, err)})
		}
		a.assignments = append(a.assignments, ra)
	case typeDefinition:
		p := props(m)
		guid := strings.ToLower(collectors.String(m["name"]))
		a.definitions[guid] = snapshot.RoleDefinition{ID: id, Name: collectors.String(p["roleName"]), Type: collectors.String(p["roleType"]), Permissions: permissions(p["permissions"]), Source: loc}
	case typeDeny:
		p := props(m)
		d := snapshot.DenyAssignment{ID: id, Name: collectors.String(p["denyAssignmentName"]), Scope: collectors.String(p["scope"]), Permissions: permissions(p["permissions"]),
			DoNotApplyToChildScopes: p["doNotApplyToChildScopes"] == true, Source: loc}
		for _, pr := range collectors.List(p["principals"]) {
			d.Principals = append(d.Principals, collectors.String(collectors.Object(pr)["id"]))
		}
		for _, pr := range collectors.List(p["excludePrincipals"]) {
			d.ExcludePrincipals = append(d.ExcludePrincipals, collectors.String(collectors.Object(pr)["id"]))
		}
		a.denies = append(a.denies, d)
	case typeStorage:
		a.accounts = append(a.accounts, snapshot.StorageAccount{ID: id, Name: collectors.String(m["name"]), AllowSharedKeyAccess: boolPtr(m["allowSharedKeyAccess"]), Source: loc})
	default:
		return false
	}
	return true
}

// props are an object's properties: az flattens them for most commands,
// and keeps them under "properties" for az rest.
func props(m map[string]any) map[string]any {
	if p := collectors.Object(m["properties"]); len(p) > 0 {
		return p
	}
	return m
}

func permissions(v any) []snapshot.RolePermission {
	var out []snapshot.RolePermission
	for _, it := range collectors.List(v) {
		p := collectors.Object(it)
		out = append(out, snapshot.RolePermission{Actions: orEmpty(collectors.Strings(p["actions"])), NotActions: orEmpty(collectors.Strings(p["notActions"])),
			DataActions: orEmpty(collectors.Strings(p["dataActions"])), NotDataActions: orEmpty(collectors.Strings(p["notDataActions"]))})
	}
	return out
}

// Finish implements collectors.Recognizer: it joins the evidence into the
// snapshot and reports what contradicts itself and what is missing.
func (a *Recognizer) Finish(s *snapshot.Snapshot, gaps collectors.EvidenceGaps) {
	for _, g := range a.malformed {
		gaps.File(g.file, g.line, "malformed", g.msg)
	}
	if !a.seen {
		if Needed(s) {
			gaps.Missing("AKSCluster", "", "the evidence holds no az exports for the control planes that use Azure (see the Azure evidence export in the README)")
		}
		return
	}
	az := snapshot.NewAzure()
	s.Azure = az
	az.Subscriptions = sortedKeys(a.subs)
	az.IdentitiesListed = sortedKeys(a.listed)
	a.cluster(az, gaps)
	a.identitiesInto(az, gaps)
	az.RoleAssignments = append(az.RoleAssignments, a.assignments...)
	az.DenyAssignments = append(az.DenyAssignments, a.denies...)
	az.RoleDefinitions = a.definitions
	for _, acc := range a.accounts {
		if prev, dup := az.StorageAccounts[acc.Name]; dup && !strings.EqualFold(prev.ID, acc.ID) {
			gaps.File(acc.Source.File, acc.Source.Line, "conflict", fmt.Sprintf("storage account %s is given twice with different IDs (also %s:%d): two subscriptions' accounts of one name; neither is used", acc.Name, prev.Source.File, prev.Source.Line))
			acc.ID = ""
		}
		az.StorageAccounts[acc.Name] = acc
	}
	for name, acc := range az.StorageAccounts {
		if acc.ID == "" {
			delete(az.StorageAccounts, name)
		}
	}
	a.targetsInto(s, az, gaps)
}

// cluster keeps the one AKS cluster; two different ones contradict.
func (a *Recognizer) cluster(az *snapshot.Azure, gaps collectors.EvidenceGaps) {
	distinct := map[string]snapshot.AKSCluster{}
	for _, c := range a.clusters {
		distinct[strings.ToLower(c.ID)] = c
	}
	switch len(distinct) {
	case 0:
	case 1:
		c := a.clusters[len(a.clusters)-1]
		az.Cluster = &c
	default:
		for _, c := range a.clusters {
			gaps.File(c.Source.File, c.Source.Line, "conflict", fmt.Sprintf("the evidence holds %d AKS clusters; wiscan checks one cluster: keep the export of the cluster being scanned", len(distinct)))
		}
	}
}

// identitiesInto keys the identities by client ID with their credentials;
// one client ID given by two identities contradicts itself.
func (a *Recognizer) identitiesInto(az *snapshot.Azure, gaps collectors.EvidenceGaps) {
	conflicted := a.conflicted
	for _, i := range a.identities {
		key := strings.ToLower(i.ClientID)
		if prev, dup := az.Identities[key]; dup && !strings.EqualFold(prev.ID, i.ID) {
			gaps.File(i.Source.File, i.Source.Line, "conflict", fmt.Sprintf("client ID %s is given by two identities (%s and %s): not used", i.ClientID, prev.ID, i.ID))
			conflicted[key] = true
			continue
		}
		id := strings.ToLower(i.ID)
		if creds, ok := a.credentials[id]; ok || a.credsListed[id] {
			i.FederatedCredentials = orEmptyCreds(creds)
		}
		i.Assignments = a.assignedTo[strings.ToLower(i.PrincipalID)]
		i.DenyAssignments = a.denyListed[strings.ToLower(i.PrincipalID)]
		az.Identities[key] = i
	}
	for key := range conflicted {
		delete(az.Identities, key)
	}
}

// targetsInto accounts for the client IDs the targets name: absent from
// a full listing of the subscriptions in scope, an identity is proven
// absent there; otherwise the evidence lacks it.
func (a *Recognizer) targetsInto(s *snapshot.Snapshot, az *snapshot.Azure, gaps collectors.EvidenceGaps) {
	for _, client := range clientIDs(s) {
		i, ok := az.Identities[client]
		switch {
		case a.conflicted[client]:
			gaps.Missing("ManagedIdentity", client, "the evidence gives this client ID to two identities; neither is used")
		case !ok && len(a.listed) > 0:
			az.Identities[client] = snapshot.ManagedIdentity{ClientID: client, Found: false}
		case !ok:
			gaps.Missing("ManagedIdentity", client, "the evidence holds no identity with this client ID and no full listing of a subscription's identities (az identity list --subscription, as the Azure export script writes it)")
		case i.FederatedCredentials == nil:
			gaps.Missing("FederatedIdentityCredential", i.Name, "the evidence holds no federated credentials of identity "+i.Name+" (az identity federated-credential list)")
		case !i.Assignments:
			gaps.Missing("RoleAssignment", i.Name, "the evidence holds no role assignments listed for identity "+i.Name+" with its groups (az role assignment list --assignee --include-groups --all --include-inherited)")
		case !i.DenyAssignments:
			gaps.Missing("DenyAssignment", i.Name, "the evidence holds no deny assignments listed for identity "+i.Name+" (az rest on Microsoft.Authorization/denyAssignments)")
		}
	}
}

// clientIDs are the client IDs the Azure targets name, in lower case.
func clientIDs(s *snapshot.Snapshot) []string {
	seen := map[string]bool{}
	for _, t := range s.Targets {
		if t.Cloud == Cloud && t.Identity != "" {
			seen[strings.ToLower(strings.TrimSpace(t.Identity))] = true
		}
	}
	return sortedKeys(seen)
}

// Needed reports whether any target uses Azure, as the profiles resolved
// them.
func Needed(s *snapshot.Snapshot) bool {
	return slices.ContainsFunc(s.Targets, func(t snapshot.Target) bool { return t.Cloud == Cloud })
}

// subscription is the subscription of a resource ID, in lower case.
func subscription(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) > 2 && strings.EqualFold(parts[1], "subscriptions") {
		return strings.ToLower(parts[2])
	}
	return ""
}

func has(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func orEmptyCreds(l []snapshot.FederatedCredential) []snapshot.FederatedCredential {
	if l == nil {
		return []snapshot.FederatedCredential{}
	}
	return l
}

// boolPtr is a JSON boolean, nil for null or absent.
func boolPtr(v any) *bool {
	b, ok := v.(bool)
	if !ok {
		return nil
	}
	return &b
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
