// Package azureapi serves a Space's Azure side through the Azure SDK's
// own fake servers (the fake packages of each resource provider): the
// live Azure collector's tests point the real client pipeline at it.
package azureapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	authfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	aksfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	msifake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage/v2"
	storagefake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage/v2/fake"
)

// sbdcDefinition is Storage Blob Data Contributor as az prints it.
//
//go:embed sbdc.json
var sbdcDefinition string

// Credential is a token credential for the fakes.
func Credential() *azfake.TokenCredential { return &azfake.TokenCredential{} }

// Subscription is the Space's subscription.
const Subscription = sub

// The shipped Azure Space, as Azure's resource manager answers it.
const (
	sub       = "0b1f6471-1bf0-4dda-aec3-111122223333"
	rg        = "/subscriptions/" + sub + "/resourceGroups/spaces"
	principal = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	identity  = rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/backup-restore-identity"
	account   = rg + "/providers/Microsoft.Storage/storageAccounts/spacesbackups"
	issuer    = "https://eastus.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f/"
	sbdc      = "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe"
)

// Fakes are the SDK's fake servers for the four resource providers the
// collector calls, with a count of the requests each one answers.
type Fakes struct {
	aks     aksfake.ServerFactory
	msi     msifake.ServerFactory
	auth    authfake.ServerFactory
	storage storagefake.ServerFactory
	// Fail makes the named call answer with an error status and code.
	Fail map[string]Failure

	mu sync.Mutex
	// creds, assignments and sharedKey are the state the writes change.
	creds       map[string]*armmsi.FederatedIdentityCredential
	assignments map[string]*armauthorization.RoleAssignment
	order       []string
	credOrder   []string
	sharedKey   *bool
	writes      []Write
}

// Write is one change a client asked for: the call and what it names.
type Write struct {
	Call, Target string
	// Body is what the change sets, as text.
	Body string
}

// Writes returns the changes served, in order.
func (f *Fakes) Writes() []Write {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

func (f *Fakes) wrote(call, target, body string) {
	f.writes = append(f.writes, Write{Call: call, Target: target, Body: body})
}

// Failure is an error answer: its status and Azure error code.
type Failure struct {
	Status int
	Code   string
}

func (f *Fakes) errOr(call string, set func()) (azfake.ErrorResponder, bool) {
	var e azfake.ErrorResponder
	if x, ok := f.Fail[call]; ok {
		e.SetResponseError(x.Status, x.Code)
		return e, true
	}
	set()
	return e, false
}

// Space is the shipped Space (testdata/evidence/azure-space) as Azure's
// resource manager answers it; Fail makes a named call (cluster,
// identities, assignments) answer with an error.
func Space(fail map[string]Failure) *Fakes {
	f := &Fakes{Fail: fail}
	f.aks.ManagedClustersServer.Get = func(_ context.Context, _, name string, _ *armcontainerservice.ManagedClustersClientGetOptions) (resp azfake.Responder[armcontainerservice.ManagedClustersClientGetResponse], errResp azfake.ErrorResponder) {
		errResp, _ = f.errOr("cluster", func() {
			resp.SetResponse(http.StatusOK, armcontainerservice.ManagedClustersClientGetResponse{ManagedCluster: armcontainerservice.ManagedCluster{
				ID: to.Ptr(rg + "/providers/Microsoft.ContainerService/managedClusters/" + name), Name: to.Ptr(name), Location: to.Ptr("eastus"),
				Properties: &armcontainerservice.ManagedClusterProperties{
					OidcIssuerProfile: &armcontainerservice.ManagedClusterOIDCIssuerProfile{Enabled: to.Ptr(true), IssuerURL: to.Ptr(issuer)},
					SecurityProfile:   &armcontainerservice.ManagedClusterSecurityProfile{WorkloadIdentity: &armcontainerservice.ManagedClusterSecurityProfileWorkloadIdentity{Enabled: to.Ptr(true)}},
				},
			}}, nil)
		})
		return
	}
	f.msi.UserAssignedIdentitiesServer.NewListBySubscriptionPager = func(*armmsi.UserAssignedIdentitiesClientListBySubscriptionOptions) (resp azfake.PagerResponder[armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse]) {
		if x, ok := f.Fail["identities"]; ok {
			resp.AddResponseError(x.Status, x.Code)
			return
		}
		resp.AddPage(http.StatusOK, armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse{UserAssignedIdentitiesListResult: armmsi.UserAssignedIdentitiesListResult{Value: []*armmsi.Identity{{
			ID: to.Ptr(identity), Name: to.Ptr("backup-restore-identity"), Location: to.Ptr("eastus"),
			Properties: &armmsi.UserAssignedIdentityProperties{ClientID: to.Ptr(ClientID), PrincipalID: to.Ptr(principal), TenantID: to.Ptr("72f988bf-86f1-41af-91ab-2d7cd011db47")},
		}}}}, nil)
		return
	}
	cred := func(name, ns string) *armmsi.FederatedIdentityCredential {
		return &armmsi.FederatedIdentityCredential{ID: to.Ptr(identity + "/federatedIdentityCredentials/" + name), Name: to.Ptr(name), Properties: &armmsi.FederatedIdentityCredentialProperties{
			Issuer: to.Ptr(issuer), Subject: to.Ptr("system:serviceaccount:" + ns + ":mxp-controller"), Audiences: []*string{to.Ptr("api://AzureADTokenExchange")}}}
	}
	f.creds = map[string]*armmsi.FederatedIdentityCredential{
		"cp-1d2e3f4a":                       cred("cp-1d2e3f4a", "mxp-1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a-system"),
		"backup-restore-federated-identity": cred("backup-restore-federated-identity", "mxp-3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c-system"),
	}
	f.credOrder = []string{"cp-1d2e3f4a", "backup-restore-federated-identity"}
	f.msi.FederatedIdentityCredentialsServer.NewListPager = func(_, _ string, _ *armmsi.FederatedIdentityCredentialsClientListOptions) (resp azfake.PagerResponder[armmsi.FederatedIdentityCredentialsClientListResponse]) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var list []*armmsi.FederatedIdentityCredential
		for _, name := range f.credOrder {
			list = append(list, f.creds[name])
		}
		resp.AddPage(http.StatusOK, armmsi.FederatedIdentityCredentialsClientListResponse{FederatedIdentityCredentialsListResult: armmsi.FederatedIdentityCredentialsListResult{Value: list}}, nil)
		return
	}
	f.msi.FederatedIdentityCredentialsServer.Get = func(_ context.Context, _, _, name string, _ *armmsi.FederatedIdentityCredentialsClientGetOptions) (resp azfake.Responder[armmsi.FederatedIdentityCredentialsClientGetResponse], errResp azfake.ErrorResponder) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c, ok := f.creds[name]
		if !ok {
			errResp.SetResponseError(http.StatusNotFound, "NotFound")
			return
		}
		resp.SetResponse(http.StatusOK, armmsi.FederatedIdentityCredentialsClientGetResponse{FederatedIdentityCredential: *c}, nil)
		return
	}
	f.msi.FederatedIdentityCredentialsServer.CreateOrUpdate = func(_ context.Context, _, _, name string, p armmsi.FederatedIdentityCredential, _ *armmsi.FederatedIdentityCredentialsClientCreateOrUpdateOptions) (resp azfake.Responder[armmsi.FederatedIdentityCredentialsClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
		f.mu.Lock()
		defer f.mu.Unlock()
		p.ID, p.Name = to.Ptr(identity+"/federatedIdentityCredentials/"+name), to.Ptr(name)
		if _, ok := f.creds[name]; !ok {
			f.credOrder = append(f.credOrder, name)
		}
		f.creds[name] = &p
		b, _ := json.Marshal(p.Properties)
		f.wrote("federatedIdentityCredentials.CreateOrUpdate", name, string(b))
		resp.SetResponse(http.StatusOK, armmsi.FederatedIdentityCredentialsClientCreateOrUpdateResponse{FederatedIdentityCredential: p}, nil)
		return
	}
	assign := func(guid, scope string) *armauthorization.RoleAssignment {
		return &armauthorization.RoleAssignment{ID: to.Ptr(scope + "/providers/Microsoft.Authorization/roleAssignments/" + guid), Name: to.Ptr(guid), Properties: &armauthorization.RoleAssignmentProperties{
			Scope: to.Ptr(scope), RoleDefinitionID: to.Ptr(sbdc), PrincipalID: to.Ptr(principal), PrincipalType: to.Ptr(armauthorization.PrincipalTypeServicePrincipal)}}
	}
	f.assignments = map[string]*armauthorization.RoleAssignment{}
	for _, a := range []*armauthorization.RoleAssignment{assign("3d0a4b1c-5e6f-4a7b-8c9d-0e1f2a3b4c5d", account), assign("4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e", rg)} {
		f.assignments[key(*a.ID)] = a
		f.order = append(f.order, key(*a.ID))
	}
	f.auth.RoleAssignmentsServer.Get = func(_ context.Context, scope, name string, _ *armauthorization.RoleAssignmentsClientGetOptions) (resp azfake.Responder[armauthorization.RoleAssignmentsClientGetResponse], errResp azfake.ErrorResponder) {
		return f.assignmentByID(rooted(scope) + "/providers/Microsoft.Authorization/roleAssignments/" + name)
	}
	f.auth.RoleAssignmentsServer.GetByID = func(_ context.Context, id string, _ *armauthorization.RoleAssignmentsClientGetByIDOptions) (resp azfake.Responder[armauthorization.RoleAssignmentsClientGetByIDResponse], errResp azfake.ErrorResponder) {
		a, ok := f.assignment(id)
		if !ok {
			errResp.SetResponseError(http.StatusNotFound, "RoleAssignmentNotFound")
			return
		}
		resp.SetResponse(http.StatusOK, armauthorization.RoleAssignmentsClientGetByIDResponse{RoleAssignment: a}, nil)
		return
	}
	f.auth.RoleAssignmentsServer.Create = func(_ context.Context, scope, name string, p armauthorization.RoleAssignmentCreateParameters, _ *armauthorization.RoleAssignmentsClientCreateOptions) (resp azfake.Responder[armauthorization.RoleAssignmentsClientCreateResponse], errResp azfake.ErrorResponder) {
		f.mu.Lock()
		defer f.mu.Unlock()
		scope = rooted(scope)
		for _, a := range f.assignments {
			if strings.EqualFold(*a.Properties.Scope, scope) && strings.EqualFold(*a.Properties.PrincipalID, *p.Properties.PrincipalID) && strings.EqualFold(*a.Properties.RoleDefinitionID, *p.Properties.RoleDefinitionID) {
				errResp.SetResponseError(http.StatusConflict, "RoleAssignmentExists")
				return
			}
		}
		a := &armauthorization.RoleAssignment{ID: to.Ptr(scope + "/providers/Microsoft.Authorization/roleAssignments/" + name), Name: to.Ptr(name), Properties: &armauthorization.RoleAssignmentProperties{
			Scope: to.Ptr(scope), RoleDefinitionID: p.Properties.RoleDefinitionID, PrincipalID: p.Properties.PrincipalID, PrincipalType: p.Properties.PrincipalType}}
		f.assignments[key(*a.ID)] = a
		f.order = append(f.order, key(*a.ID))
		f.wrote("roleAssignments.Create", *a.ID, *p.Properties.PrincipalID+" "+*p.Properties.RoleDefinitionID)
		resp.SetResponse(http.StatusCreated, armauthorization.RoleAssignmentsClientCreateResponse{RoleAssignment: *a}, nil)
		return
	}
	f.auth.RoleAssignmentsServer.DeleteByID = func(_ context.Context, id string, _ *armauthorization.RoleAssignmentsClientDeleteByIDOptions) (resp azfake.Responder[armauthorization.RoleAssignmentsClientDeleteByIDResponse], errResp azfake.ErrorResponder) {
		f.mu.Lock()
		defer f.mu.Unlock()
		a, ok := f.assignments[key(id)]
		if !ok {
			resp.SetResponse(http.StatusNoContent, armauthorization.RoleAssignmentsClientDeleteByIDResponse{}, nil)
			return
		}
		delete(f.assignments, key(id))
		f.wrote("roleAssignments.DeleteByID", rooted(id), "")
		resp.SetResponse(http.StatusOK, armauthorization.RoleAssignmentsClientDeleteByIDResponse{RoleAssignment: *a}, nil)
		return
	}
	f.auth.RoleAssignmentsServer.NewListForScopePager = func(_ string, o *armauthorization.RoleAssignmentsClientListForScopeOptions) (resp azfake.PagerResponder[armauthorization.RoleAssignmentsClientListForScopeResponse]) {
		if x, ok := f.Fail["assignments"]; ok {
			resp.AddResponseError(x.Status, x.Code)
			return
		}
		if o == nil || o.Filter == nil || *o.Filter != "assignedTo('"+principal+"')" {
			resp.AddResponseError(http.StatusBadRequest, "InvalidFilter")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var list []*armauthorization.RoleAssignment
		for _, id := range f.order {
			if a, ok := f.assignments[id]; ok {
				list = append(list, a)
			}
		}
		resp.AddPage(http.StatusOK, armauthorization.RoleAssignmentsClientListForScopeResponse{RoleAssignmentListResult: armauthorization.RoleAssignmentListResult{Value: list}}, nil)
		return
	}
	f.auth.DenyAssignmentsServer.NewListForScopePager = func(string, *armauthorization.DenyAssignmentsClientListForScopeOptions) (resp azfake.PagerResponder[armauthorization.DenyAssignmentsClientListForScopeResponse]) {
		resp.AddPage(http.StatusOK, armauthorization.DenyAssignmentsClientListForScopeResponse{DenyAssignmentListResult: armauthorization.DenyAssignmentListResult{Value: []*armauthorization.DenyAssignment{}}}, nil)
		return
	}
	f.auth.RoleDefinitionsServer.GetByID = func(_ context.Context, id string, _ *armauthorization.RoleDefinitionsClientGetByIDOptions) (resp azfake.Responder[armauthorization.RoleDefinitionsClientGetByIDResponse], errResp azfake.ErrorResponder) {
		var def []map[string]any
		if err := json.Unmarshal([]byte(sbdcDefinition), &def); err != nil || !strings.HasSuffix(id, "ba92f5b4-2d11-453d-a403-e96b0029c9fe") {
			errResp.SetResponseError(http.StatusNotFound, "RoleDefinitionDoesNotExist")
			return
		}
		var perms []*armauthorization.Permission
		b, _ := json.Marshal(def[0]["permissions"])
		_ = json.Unmarshal(b, &perms)
		resp.SetResponse(http.StatusOK, armauthorization.RoleDefinitionsClientGetByIDResponse{RoleDefinition: armauthorization.RoleDefinition{ID: to.Ptr(sbdc), Name: to.Ptr("ba92f5b4-2d11-453d-a403-e96b0029c9fe"),
			Properties: &armauthorization.RoleDefinitionProperties{RoleName: to.Ptr("Storage Blob Data Contributor"), RoleType: to.Ptr("BuiltInRole"), Permissions: perms}}}, nil)
		return
	}
	f.storage.AccountsServer.GetProperties = func(_ context.Context, _, name string, _ *armstorage.AccountsClientGetPropertiesOptions) (resp azfake.Responder[armstorage.AccountsClientGetPropertiesResponse], errResp azfake.ErrorResponder) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if name != "spacesbackups" {
			errResp.SetResponseError(http.StatusNotFound, "ResourceNotFound")
			return
		}
		resp.SetResponse(http.StatusOK, armstorage.AccountsClientGetPropertiesResponse{Account: armstorage.Account{ID: to.Ptr(account), Name: to.Ptr(name), Properties: &armstorage.AccountProperties{AllowSharedKeyAccess: f.sharedKey}}}, nil)
		return
	}
	f.storage.AccountsServer.Update = func(_ context.Context, _, name string, p armstorage.AccountUpdateParameters, _ *armstorage.AccountsClientUpdateOptions) (resp azfake.Responder[armstorage.AccountsClientUpdateResponse], errResp azfake.ErrorResponder) {
		f.mu.Lock()
		defer f.mu.Unlock()
		b, _ := json.Marshal(p)
		f.wrote("storageAccounts.Update", name, string(b))
		if p.Properties != nil && p.Properties.AllowSharedKeyAccess != nil {
			f.sharedKey = p.Properties.AllowSharedKeyAccess
		}
		resp.SetResponse(http.StatusOK, armstorage.AccountsClientUpdateResponse{Account: armstorage.Account{ID: to.Ptr(account), Name: to.Ptr(name), Properties: &armstorage.AccountProperties{AllowSharedKeyAccess: f.sharedKey}}}, nil)
		return
	}
	f.storage.AccountsServer.NewListPager = func(*armstorage.AccountsClientListOptions) (resp azfake.PagerResponder[armstorage.AccountsClientListResponse]) {
		f.mu.Lock()
		defer f.mu.Unlock()
		resp.AddPage(http.StatusOK, armstorage.AccountsClientListResponse{AccountListResult: armstorage.AccountListResult{Value: []*armstorage.Account{
			{ID: to.Ptr(account), Name: to.Ptr("spacesbackups"), Properties: &armstorage.AccountProperties{AllowSharedKeyAccess: f.sharedKey}},
			{ID: to.Ptr(rg + "/providers/Microsoft.Storage/storageAccounts/other"), Name: to.Ptr("other"), Properties: &armstorage.AccountProperties{AllowSharedKeyAccess: to.Ptr(false)}},
		}}}, nil)
		return
	}
	return f
}

// assignment is a role assignment of the state, by its ID.
func (f *Fakes) assignment(id string) (armauthorization.RoleAssignment, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.assignments[key(id)]
	if !ok {
		return armauthorization.RoleAssignment{}, false
	}
	return *a, true
}

// assignmentByID answers a role assignment from the state.
func (f *Fakes) assignmentByID(id string) (resp azfake.Responder[armauthorization.RoleAssignmentsClientGetResponse], errResp azfake.ErrorResponder) {
	a, ok := f.assignment(id)
	if !ok {
		errResp.SetResponseError(http.StatusNotFound, "RoleAssignmentNotFound")
		return
	}
	resp.SetResponse(http.StatusOK, armauthorization.RoleAssignmentsClientGetResponse{RoleAssignment: a}, nil)
	return
}

// rooted is an ID or scope with its leading slash, which the fakes' routes
// leave out.
func rooted(id string) string { return "/" + strings.TrimPrefix(id, "/") }

// key is how the state finds an assignment: IDs are case-blind.
func key(id string) string { return strings.ToLower(rooted(id)) }

// ClientID is the Space's identity's client ID.
const ClientID = "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"

// Route sends each request to the fake of its resource provider, through
// the SDK's own client pipeline, and records the requests.
type Route struct {
	F     *Fakes
	Calls []string
	// Throttle answers the first request whose path ends so with 429 and
	// Retry-After, as Azure's throttling does; the fakes cannot.
	Throttle string
	// Forbid answers every request whose path ends so with 403
	// AuthorizationFailed naming the action, as Azure does.
	Forbid map[string]string
}

// Do implements policy.Transporter.
func (r *Route) Do(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	r.Calls = append(r.Calls, req.Method+" "+p)
	for suffix, action := range r.Forbid {
		if strings.HasSuffix(p, suffix) {
			body := `{"error": {"code": "AuthorizationFailed", "message": "The client '00000000-0000-0000-0000-000000000001' with object id '00000000-0000-0000-0000-000000000001' does not have authorization to perform action '` +
				action + `' over scope '` + p + `' or the scope is invalid."}}`
			h := http.Header{}
			h.Set("Content-Type", "application/json")
			h.Set("x-ms-error-code", "AuthorizationFailed")
			return &http.Response{StatusCode: http.StatusForbidden, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
		}
	}
	if r.Throttle != "" && strings.HasSuffix(p, r.Throttle) {
		r.Throttle = ""
		h := http.Header{}
		h.Set("Retry-After", "1")
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: http.NoBody, Request: req}, nil
	}
	switch {
	case strings.Contains(p, "/Microsoft.ContainerService/"):
		return aksfake.NewServerFactoryTransport(&r.F.aks).Do(req)
	case strings.Contains(p, "/Microsoft.ManagedIdentity/"):
		return msifake.NewServerFactoryTransport(&r.F.msi).Do(req)
	case strings.Contains(p, "/Microsoft.Authorization/"):
		return authfake.NewServerFactoryTransport(&r.F.auth).Do(req)
	case strings.Contains(p, "/Microsoft.Storage/"):
		return storagefake.NewServerFactoryTransport(&r.F.storage).Do(req)
	}
	return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody, Request: req}, nil
}

var _ policy.Transporter = (*Route)(nil)

// StandInAz is an az that records its argument vector in $AZ_LOG
// (NUL-separated, one call a line) and answers the export script's calls
// with the Space's az exports under $AZ_BUNDLE, as the real az prints
// them with the script's --query.
const StandInAz = `#!/bin/sh
printf '%s\0' "$@" >> "$AZ_LOG"; printf '\n' >> "$AZ_LOG"
b="$AZ_BUNDLE/az"
case "$1 $2" in
"account show") echo "0b1f6471-1bf0-4dda-aec3-111122223333" ;;
"aks show") cat "$b/aks.json" ;;
"identity list") cat "$b/identities-0b1f6471-1bf0-4dda-aec3-111122223333.json" ;;
"identity federated-credential") cat "$b/identities/backup-restore-identity/federated-credentials.json" ;;
"role assignment") cat "$b/identities/backup-restore-identity/role-assignments.json" ;;
"role definition") cat "$b/role-definitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe.json" ;;
"rest --method") cat "$b/identities/backup-restore-identity/deny-assignments.json" ;;
"storage account") cat "$b/storage-accounts/spacesbackups.json" ;;
*) echo "stand-in az: unexpected call: $*" >&2; exit 1 ;;
esac
`

// SpaceFindings are the Space's findings, as "status control kind
// namespace name" (the last part of a name that is an ID), sorted: the
// second control plane's credential replaced through the documented name
// and its missing pod label, the grant at resource-group scope, and the
// storage account's shared-key access.
func SpaceFindings() []string {
	const cp2 = "mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system"
	return []string{
		"fail WI-AZ-004 ServiceAccount " + cp2 + " mxp-controller",
		"fail WI-AZ-006 ManagedIdentity  backup-restore-identity",
		"fail WI-AZ-007 StorageAccount  spacesbackups",
		"fail WI-K8S-005 Deployment " + cp2 + " mxp-controller",
		"fail WI-K8S-006 Deployment " + cp2 + " mxp-controller",
		"fail WI-K8S-006 Pod " + cp2 + " mxp-controller-6d7e8f9a0b-q8r2t",
	}
}
