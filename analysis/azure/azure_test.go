package azure

import (
	"strings"
	"testing"

	"github.com/wiscan/wiscan/snapshot"
)

const (
	sub       = "00000000-1111-2222-3333-444444444444"
	rg        = "/subscriptions/" + sub + "/resourceGroups/spaces"
	account   = rg + "/providers/Microsoft.Storage/storageAccounts/spacesbackups"
	container = account + "/blobServices/default/containers/backups"
	principal = "11111111-2222-3333-4444-555555555555"
	group     = "99999999-2222-3333-4444-555555555555"
	blobRead  = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
	blobWrite = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
	blobDel   = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"
	roleDefs  = "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/"
	// Built-in roles, by ID.
	sbdcID        = roleDefs + StorageBlobDataContributor
	sbdoID        = roleDefs + "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
	contributorID = roleDefs + "b24988ac-6180-42a0-ab88-20f7382dd24c"
	readerDataID  = roleDefs + "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
	customID      = roleDefs + "0a0a0a0a-0000-0000-0000-000000000001"
)

var needs = []string{blobRead, blobWrite, blobDel}

func ident() snapshot.ManagedIdentity {
	return snapshot.ManagedIdentity{ClientID: "c", PrincipalID: principal, Found: true, Assignments: true, DenyAssignments: true}
}

func ra(id, scope, role string) snapshot.RoleAssignment {
	return snapshot.RoleAssignment{ID: id, Scope: scope, RoleDefinitionID: role, PrincipalID: principal, PrincipalType: "ServicePrincipal"}
}

// status is each need's status, in the order of needs.
func status(a Analysis) string {
	var s []string
	for _, n := range a.Needs {
		s = append(s, n.Status)
	}
	return strings.Join(s, ",")
}

// Each case states the grants and what the analysis must conclude: the
// status of read, write and delete on the backup container, and the
// assignments it reports as too broad, with their kind and witness.
func TestAnalyze(t *testing.T) {
	custom := snapshot.RoleDefinition{ID: customID, Name: "blob star", Permissions: []snapshot.RolePermission{{DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}}}}
	cases := []struct {
		name      string
		ident     func(*snapshot.ManagedIdentity)
		az        func(*snapshot.Azure)
		container string
		needs     string
		excess    []string // assignment:kind:witness
		undecided []string // assignment ids
	}{
		{name: "documented setup: SBDC on the account", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
		}, needs: "granted,granted,granted"},
		{name: "SBDC on the backup container", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", container, sbdcID)}
		}, needs: "granted,granted,granted"},
		{name: "SBDC on another container", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account+"/blobServices/default/containers/other", sbdcID)}
		}, needs: "missing,missing,missing"},
		{name: "nothing granted", needs: "missing,missing,missing"},
		{name: "reader only: write and delete missing", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, readerDataID)}
		}, needs: "granted,missing,missing"},
		{name: "SBDC at subscription scope: granted, and too broad whatever the role", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", "/subscriptions/"+sub, sbdcID)}
		}, needs: "granted,granted,granted", excess: []string{"a1:scope:"}},
		{name: "SBDC at resource group scope", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", rg, sbdcID)}
		}, needs: "granted,granted,granted", excess: []string{"a1:scope:"}},
		{name: "Storage Blob Data Owner on the account: beyond SBDC", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdoID)}
		}, needs: "granted,granted,granted", excess: []string{"a1:role:Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action"}},
		{name: "Contributor on the account: the account keys", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID), ra("a2", account, contributorID)}
		}, needs: "granted,granted,granted", excess: []string{"a2:role:Microsoft.Storage/storageAccounts/listkeys/action"}},
		{name: "custom role with blobs/*", az: func(az *snapshot.Azure) {
			az.RoleDefinitions[strings.ToLower(customID[strings.LastIndex(customID, "/")+1:])] = custom
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, customID)}
		}, needs: "granted,granted,granted", excess: []string{"a1:role:Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action"}},
		{name: "Storage Account Contributor: the keys, not data", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, roleDefs+"17d1049b-9a84-46fb-8f53-869881c3d3ab")}
		}, needs: "missing,missing,missing", excess: []string{"a1:role:Microsoft.Storage/storageAccounts/listkeys/action"}},
		{name: "another provider's operation is undecided, not assumed harmless", az: func(az *snapshot.Azure) {
			r := custom
			r.Permissions = []snapshot.RolePermission{{Actions: []string{"Microsoft.Authorization/*/read"}, DataActions: []string{blobRead}}}
			az.RoleDefinitions[strings.ToLower(customID[strings.LastIndex(customID, "/")+1:])] = r
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, customID)}
		}, needs: "granted,missing,missing", undecided: []string{"a1"}},
		{name: "a condition that does not parse leaves the grant unknown", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "((ActionMatches{'x'}"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "unknown,unknown,unknown"},
		{name: "a role nobody can resolve is undecided, never assumed", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, customID)}
		}, needs: "unknown,unknown,unknown", undecided: []string{"a1"}},
		{name: "grant through a group the listing proves", az: func(az *snapshot.Azure) {
			g := ra("a1", account, sbdcID)
			g.PrincipalID, g.PrincipalType = group, "Group"
			az.RoleAssignments = []snapshot.RoleAssignment{g}
		}, needs: "granted,granted,granted"},
		{name: "grant through a group not proven", ident: func(i *snapshot.ManagedIdentity) { i.Assignments = false }, az: func(az *snapshot.Azure) {
			g := ra("a1", account, sbdcID)
			g.PrincipalID, g.PrincipalType = group, "Group"
			az.RoleAssignments = []snapshot.RoleAssignment{g}
		}, needs: "unknown,unknown,unknown"},
		{name: "another principal's assignment does not count", az: func(az *snapshot.Azure) {
			o := ra("a1", account, sbdcID)
			o.PrincipalID = group
			az.RoleAssignments = []snapshot.RoleAssignment{o}
		}, needs: "missing,missing,missing"},
		{name: "deny assignment on delete", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
			az.DenyAssignments = []snapshot.DenyAssignment{{ID: "d1", Scope: rg, Principals: []string{Everyone},
				Permissions: []snapshot.RolePermission{{DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"}}}}}
		}, needs: "granted,granted,denied"},
		{name: "deny assignment excluding the identity", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
			az.DenyAssignments = []snapshot.DenyAssignment{{ID: "d1", Scope: rg, Principals: []string{Everyone}, ExcludePrincipals: []string{principal},
				Permissions: []snapshot.RolePermission{{DataActions: []string{"*"}}}}}
		}, needs: "granted,granted,granted"},
		{name: "deny at a parent that does not apply to children", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
			az.DenyAssignments = []snapshot.DenyAssignment{{ID: "d1", Scope: rg, Principals: []string{principal}, DoNotApplyToChildScopes: true,
				Permissions: []snapshot.RolePermission{{DataActions: []string{"*"}}}}}
		}, needs: "granted,granted,granted"},
		{name: "deny assignments not read", ident: func(i *snapshot.ManagedIdentity) { i.DenyAssignments = false }, az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
		}, needs: "unknown,unknown,unknown"},
		{name: "ABAC condition limited to another container", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'}) AND !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'other'))"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "missing,missing,missing"},
		{name: "ABAC condition limited to the backup container", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringLike 'back*'))"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "granted,granted,granted"},
		{name: "ABAC condition naming the backup container exactly with StringLike", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringLike 'backups')"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "granted,granted,granted"},
		{name: "ABAC StringLike on a prefix of the name without a wildcard", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringLike 'back')"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "missing,missing,missing"},
		{name: "ABAC comparison with the empty string", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringNotEquals '')"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "granted,granted,granted"},
		{name: "deny assignment on the backup container itself", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
			az.DenyAssignments = []snapshot.DenyAssignment{{ID: "d1", Scope: container, Principals: []string{principal}, DoNotApplyToChildScopes: true,
				Permissions: []snapshot.RolePermission{{DataActions: []string{blobRead}}}}}
		}, needs: "denied,granted,granted"},
		{name: "ABAC condition on a blob tag is undecided", az: func(az *snapshot.Azure) {
			a := ra("a1", account, sbdcID)
			a.Condition = "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:project<$key_case_sensitive$>] StringEquals 'spaces')"
			az.RoleAssignments = []snapshot.RoleAssignment{a}
		}, needs: "unknown,unknown,unknown"},
		{name: "malformed scope is reported, not crashed on", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", "/subscriptions/not-a-guid/resourceGroups/x", sbdcID)}
		}, needs: "unknown,unknown,unknown", undecided: []string{"a1"}},
		{name: "container unknown: an account grant still decides", container: "-", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
		}, needs: "granted,granted,granted"},
		{name: "container unknown: a container grant cannot", container: "-", az: func(az *snapshot.Azure) {
			az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", container, sbdcID)}
		}, needs: "unknown,unknown,unknown"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := ident()
			if c.ident != nil {
				c.ident(&i)
			}
			az := snapshot.NewAzure()
			if c.az != nil {
				c.az(az)
			}
			cont := "backups"
			if c.container == "-" {
				cont = ""
			}
			a := Analyze(i, Context{Account: account, Container: cont, Needs: needs, Azure: az})
			if got := status(a); got != c.needs {
				t.Errorf("needs %s, want %s: %+v", got, c.needs, a.Needs)
			}
			var ex []string
			for _, e := range a.Excess {
				ex = append(ex, e.Assignment+":"+e.Kind+":"+e.Witness)
			}
			if strings.Join(ex, " ") != strings.Join(c.excess, " ") {
				t.Errorf("excess %q, want %q", ex, c.excess)
			}
			var un []string
			for _, u := range a.Undecided {
				un = append(un, u.Assignment)
			}
			if strings.Join(un, " ") != strings.Join(c.undecided, " ") {
				t.Errorf("undecided %q, want %q: %+v", un, c.undecided, a.Undecided)
			}
		})
	}
}

// A granted need names the assignment, role and scope that grant it; an
// unknown one says what is missing; a denied one names the deny.
func TestNeedExplains(t *testing.T) {
	az := snapshot.NewAzure()
	az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
	a := Analyze(ident(), Context{Account: account, Container: "backups", Needs: []string{blobRead}, Azure: az})
	if n := a.Needs[0]; n.By != "a1" || n.Role != "Storage Blob Data Contributor" || n.Scope != account {
		t.Errorf("granted need %+v", n)
	}
	i := ident()
	i.Assignments = false
	a = Analyze(i, Context{Account: account, Container: "backups", Needs: []string{blobRead}, Azure: snapshot.NewAzure()})
	if n := a.Needs[0]; n.Status != "unknown" || !strings.Contains(strings.Join(n.Why, ";"), "not listed with its groups") {
		t.Errorf("unknown need %+v", n)
	}
	a = Analyze(ident(), Context{Account: "", Container: "backups", Needs: []string{blobRead}, Azure: az})
	if n := a.Needs[0]; n.Status != "unknown" || !strings.Contains(strings.Join(n.Why, ";"), "storage account is not known: not named by the profile or a backup configuration") {
		t.Errorf("need without account %+v", n)
	}
}

func TestParseScope(t *testing.T) {
	for id, want := range map[string]string{
		"/": Root, "/providers/Microsoft.Management/managementGroups/mg": ManagementGroup,
		"/subscriptions/" + sub: Subscription, rg: ResourceGroup, account: Resource, container: Resource,
		"/SUBSCRIPTIONS/" + sub + "/RESOURCEGROUPS/Spaces": ResourceGroup,
	} {
		if s, err := ParseScope(id); err != nil || s.Kind != want {
			t.Errorf("%s: %v %v, want %s", id, s.Kind, err, want)
		}
	}
	for _, bad := range []string{"", "subscriptions/" + sub, "/subscriptions/" + sub + "/", "/subscriptions/x", "/subscriptions/" + sub + "/resourceGroups",
		"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts", "/subscriptions/" + sub + "//resourceGroups/rg",
		"/subscriptions/" + sub + "/resourceGroups/r g", "/providers/Microsoft.Management/managementGroups"} {
		if _, err := ParseScope(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	acc, _ := ParseScope(account)
	r, _ := ParseScope(strings.ToUpper(rg[:14]) + rg[14:])
	mg, _ := ParseScope("/providers/Microsoft.Management/managementGroups/mg")
	cont, _ := ParseScope(container)
	other, _ := ParseScope("/subscriptions/" + sub + "/resourceGroups/spaces2")
	mg2, _ := ParseScope("/providers/Microsoft.Management/managementGroups/mg2")
	root, _ := ParseScope("/")
	switch {
	case !r.Above(acc), !mg.Above(acc), !acc.Contains(cont), acc.Above(acc), !acc.Contains(acc), other.Contains(acc), cont.Contains(acc):
		t.Error("containment")
	case mg.Contains(mg2), !mg.Contains(mg), !root.Contains(mg), mg.Contains(root), root.Contains(root):
		// The hierarchy of management groups is not read: one contains
		// only itself, and the root contains them all.
		t.Error("management groups")
	}
}

// Wildcards match any run of characters, without case.
func TestMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "Microsoft.Storage/storageAccounts/read", true},
		{"*/read", "Microsoft.Storage/storageAccounts/read", true},
		{"*/read", "Microsoft.Storage/storageAccounts/write", false},
		{"Microsoft.Storage/*/blobs/*", "microsoft.storage/storageaccounts/blobservices/containers/blobs/tags/write", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", true},
		{"a*b*c", "abxbc", true},
		{"a*b*c", "abxbd", false},
		{"", "", true},
		{"abc", "ab", false},
		// A mismatch before any * is final: no backtracking.
		{"ab", "axb", false},
	} {
		if got := match(c.p, c.s); got != c.want {
			t.Errorf("match(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

// The shipped data loads, lists the operations of Storage Blob Data
// Contributor, and knows the built-in roles the controls name.
func TestShippedData(t *testing.T) {
	k := data()
	if len(k.actions) < 150 || len(k.data) < 30 || len(k.roles) < 500 {
		t.Fatalf("%d actions, %d data actions, %d roles", len(k.actions), len(k.data), len(k.roles))
	}
	sbdc := k.roles[StorageBlobDataContributor]
	if sbdc.Name != "Storage Blob Data Contributor" {
		t.Fatalf("SBDC is %q", sbdc.Name)
	}
	for _, p := range sbdc.Permissions {
		for _, op := range append(p.Actions, p.DataActions...) {
			if !coveredByData(op, append(k.actions, k.data...)) {
				t.Errorf("SBDC's %s is not in the operations", op)
			}
		}
	}
}

// Granted every needed action on another container or account, and
// nothing on the backup one: the grants elsewhere are named, for the
// backup configuration's check (WI-K8S-013).
func TestElsewhere(t *testing.T) {
	az := snapshot.NewAzure()
	other := account + "/blobServices/default/containers/other"
	az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", other, sbdcID), ra("a2", rg+"/providers/Microsoft.Storage/storageAccounts/elsewhere", readerDataID)}
	a := Analyze(ident(), Context{Account: account, Container: "backups", Needs: needs, Azure: az})
	if status(a) != "missing,missing,missing" || len(a.Elsewhere) != 1 || a.Elsewhere[0] != other {
		t.Errorf("needs %s, elsewhere %v", status(a), a.Elsewhere)
	}
	az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", account, sbdcID)}
	if a := Analyze(ident(), Context{Account: account, Container: "backups", Needs: needs, Azure: az}); len(a.Elsewhere) != 0 {
		t.Errorf("a grant that holds the container counted as elsewhere: %v", a.Elsewhere)
	}
	// Nothing needed: nothing is granted elsewhere either.
	az.RoleAssignments = []snapshot.RoleAssignment{ra("a1", other, sbdcID)}
	if a := Analyze(ident(), Context{Account: account, Container: "backups", Azure: az}); len(a.Elsewhere) != 0 {
		t.Errorf("with no needs: elsewhere %v", a.Elsewhere)
	}
}

// Conditions on blob paths are decided over every blob of the container
// (exactly, as regions of paths): one that admits them all grants, one
// that refuses some leaves the action missing with the shortest refused
// path as its witness.
func TestPathConditions(t *testing.T) {
	path := "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path]"
	write := "(!(ActionMatches{'" + blobWrite + "'}) OR " + path + " %s)"
	for _, c := range []struct {
		name, cond, status, witness string
	}{
		{"any path", strings.Replace(write, "%s", "StringLike '*'", 1), "granted", ""},
		{"a prefix only", strings.Replace(write, "%s", "StringStartsWith 'backups/'", 1), "missing", "x"},
		{"two prefixes, neither covering all", strings.Replace(write, "%s", "StringLike {'a*', 'b*'}", 1), "missing", "x"},
		{"not one path", strings.Replace(write, "%s", "StringNotEquals 'locked'", 1), "missing", "locked"},
		{"a path or its complement", "(!(ActionMatches{'" + blobWrite + "'}) OR " + path + " StringStartsWith 'x' OR " + path + " StringNotStartsWith 'x')", "granted", ""},
		{"a tag is undecided", "(" + path + " StringLike '*' AND @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:k<$key_case_sensitive$>] StringEquals 'v')", "unknown", ""},
		{"a prefix with a wildcard is undecided", strings.Replace(write, "%s", "StringStartsWith 'a*'", 1), "unknown", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			az := snapshot.NewAzure()
			a := ra("a1", account, sbdcID)
			a.Condition = c.cond
			az.RoleAssignments = []snapshot.RoleAssignment{a}
			n := Analyze(ident(), Context{Account: account, Container: "backups", Needs: []string{blobWrite}, Azure: az}).Needs[0]
			if n.Status != c.status || n.Witness != c.witness {
				t.Errorf("%s witness %q, want %s %q: %+v", n.Status, n.Witness, c.status, c.witness, n)
			}
		})
	}
}
