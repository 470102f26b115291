package azure_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

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

	"github.com/wiscan/wiscan/collectors/azure"
	"github.com/wiscan/wiscan/snapshot"
)

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

// fakes are the SDK's fake servers for the four resource providers the
// collector calls, with a count of the requests each one answers.
type fakes struct {
	aks     aksfake.ServerFactory
	msi     msifake.ServerFactory
	auth    authfake.ServerFactory
	storage storagefake.ServerFactory
	// fail makes the named call answer with an error status and code.
	fail map[string]failure
}

type failure struct {
	status int
	code   string
}

func (f *fakes) errOr(call string, set func()) (azfake.ErrorResponder, bool) {
	var e azfake.ErrorResponder
	if x, ok := f.fail[call]; ok {
		e.SetResponseError(x.status, x.code)
		return e, true
	}
	set()
	return e, false
}

func space(fail map[string]failure) *fakes {
	f := &fakes{fail: fail}
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
		if x, ok := f.fail["identities"]; ok {
			resp.AddResponseError(x.status, x.code)
			return
		}
		resp.AddPage(http.StatusOK, armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse{UserAssignedIdentitiesListResult: armmsi.UserAssignedIdentitiesListResult{Value: []*armmsi.Identity{{
			ID: to.Ptr(identity), Name: to.Ptr("backup-restore-identity"), Location: to.Ptr("eastus"),
			Properties: &armmsi.UserAssignedIdentityProperties{ClientID: to.Ptr(clientID), PrincipalID: to.Ptr(principal), TenantID: to.Ptr("72f988bf-86f1-41af-91ab-2d7cd011db47")},
		}}}}, nil)
		return
	}
	cred := func(name, ns string) *armmsi.FederatedIdentityCredential {
		return &armmsi.FederatedIdentityCredential{ID: to.Ptr(identity + "/federatedIdentityCredentials/" + name), Name: to.Ptr(name), Properties: &armmsi.FederatedIdentityCredentialProperties{
			Issuer: to.Ptr(issuer), Subject: to.Ptr("system:serviceaccount:" + ns + ":mxp-controller"), Audiences: []*string{to.Ptr("api://AzureADTokenExchange")}}}
	}
	f.msi.FederatedIdentityCredentialsServer.NewListPager = func(_, _ string, _ *armmsi.FederatedIdentityCredentialsClientListOptions) (resp azfake.PagerResponder[armmsi.FederatedIdentityCredentialsClientListResponse]) {
		resp.AddPage(http.StatusOK, armmsi.FederatedIdentityCredentialsClientListResponse{FederatedIdentityCredentialsListResult: armmsi.FederatedIdentityCredentialsListResult{Value: []*armmsi.FederatedIdentityCredential{
			cred("cp-1d2e3f4a", "mxp-1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a-system"), cred("backup-restore-federated-identity", "mxp-3f4a5b6c-7d8e-4f9a-0b1c-2d3e4f5a6b7c-system"),
		}}}, nil)
		return
	}
	assign := func(guid, scope string) *armauthorization.RoleAssignment {
		return &armauthorization.RoleAssignment{ID: to.Ptr(scope + "/providers/Microsoft.Authorization/roleAssignments/" + guid), Name: to.Ptr(guid), Properties: &armauthorization.RoleAssignmentProperties{
			Scope: to.Ptr(scope), RoleDefinitionID: to.Ptr(sbdc), PrincipalID: to.Ptr(principal), PrincipalType: to.Ptr(armauthorization.PrincipalTypeServicePrincipal)}}
	}
	f.auth.RoleAssignmentsServer.NewListForScopePager = func(_ string, o *armauthorization.RoleAssignmentsClientListForScopeOptions) (resp azfake.PagerResponder[armauthorization.RoleAssignmentsClientListForScopeResponse]) {
		if x, ok := f.fail["assignments"]; ok {
			resp.AddResponseError(x.status, x.code)
			return
		}
		if o == nil || o.Filter == nil || *o.Filter != "assignedTo('"+principal+"')" {
			resp.AddResponseError(http.StatusBadRequest, "InvalidFilter")
			return
		}
		resp.AddPage(http.StatusOK, armauthorization.RoleAssignmentsClientListForScopeResponse{RoleAssignmentListResult: armauthorization.RoleAssignmentListResult{Value: []*armauthorization.RoleAssignment{
			assign("3d0a4b1c-5e6f-4a7b-8c9d-0e1f2a3b4c5d", account), assign("4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e", rg)}}}, nil)
		return
	}
	f.auth.DenyAssignmentsServer.NewListForScopePager = func(string, *armauthorization.DenyAssignmentsClientListForScopeOptions) (resp azfake.PagerResponder[armauthorization.DenyAssignmentsClientListForScopeResponse]) {
		resp.AddPage(http.StatusOK, armauthorization.DenyAssignmentsClientListForScopeResponse{DenyAssignmentListResult: armauthorization.DenyAssignmentListResult{Value: []*armauthorization.DenyAssignment{}}}, nil)
		return
	}
	f.auth.RoleDefinitionsServer.GetByID = func(_ context.Context, id string, _ *armauthorization.RoleDefinitionsClientGetByIDOptions) (resp azfake.Responder[armauthorization.RoleDefinitionsClientGetByIDResponse], errResp azfake.ErrorResponder) {
		var def []map[string]any
		if err := json.Unmarshal([]byte(readFile("az/role-definitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe.json")), &def); err != nil || !strings.HasSuffix(id, "ba92f5b4-2d11-453d-a403-e96b0029c9fe") {
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
	f.storage.AccountsServer.NewListPager = func(*armstorage.AccountsClientListOptions) (resp azfake.PagerResponder[armstorage.AccountsClientListResponse]) {
		resp.AddPage(http.StatusOK, armstorage.AccountsClientListResponse{AccountListResult: armstorage.AccountListResult{Value: []*armstorage.Account{
			{ID: to.Ptr(account), Name: to.Ptr("spacesbackups"), Properties: &armstorage.AccountProperties{}},
			{ID: to.Ptr(rg + "/providers/Microsoft.Storage/storageAccounts/other"), Name: to.Ptr("other"), Properties: &armstorage.AccountProperties{AllowSharedKeyAccess: to.Ptr(false)}},
		}}}, nil)
		return
	}
	return f
}

const clientID = "8a0d2c4e-5f6b-4a7c-9d8e-1f2a3b4c5d6e"

// route sends each request to the fake of its resource provider, through
// the SDK's own client pipeline, and counts the requests.
type route struct {
	f     *fakes
	calls []string
	// throttle answers the first request whose path ends so with 429 and
	// Retry-After, as Azure's throttling does; the fakes cannot.
	throttle string
}

func (r *route) Do(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	r.calls = append(r.calls, req.Method+" "+p)
	if r.throttle != "" && strings.HasSuffix(p, r.throttle) {
		r.throttle = ""
		h := http.Header{}
		h.Set("Retry-After", "1")
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h, Body: http.NoBody, Request: req}, nil
	}
	switch {
	case strings.Contains(p, "/Microsoft.ContainerService/"):
		return aksfake.NewServerFactoryTransport(&r.f.aks).Do(req)
	case strings.Contains(p, "/Microsoft.ManagedIdentity/"):
		return msifake.NewServerFactoryTransport(&r.f.msi).Do(req)
	case strings.Contains(p, "/Microsoft.Authorization/"):
		return authfake.NewServerFactoryTransport(&r.f.auth).Do(req)
	case strings.Contains(p, "/Microsoft.Storage/"):
		return storagefake.NewServerFactoryTransport(&r.f.storage).Do(req)
	}
	return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody, Request: req}, nil
}

var _ policy.Transporter = (*route)(nil)

// live collects the shipped Space's cluster from evidence and Azure from
// the fakes.
func live(t *testing.T, f *fakes, opts azure.Options, throttle ...string) (*snapshot.Snapshot, *route) {
	t.Helper()
	s := collect(t, map[string]string{}) // the Kubernetes side, from evidence
	s.Azure = nil
	s.Errors = nil
	r := &route{f: f}
	if len(throttle) > 0 {
		r.throttle = throttle[0]
	}
	opts.Credential, opts.Transport = &azfake.TokenCredential{}, r
	if opts.Subscriptions == nil {
		opts.Subscriptions = []string{sub}
	}
	opts.ResourceGroup, opts.Cluster, opts.Timeout = "spaces", "spaces", 10*time.Second
	if err := azure.New(opts).Collect(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s, r
}

// withoutSources drops where each object was read, which only evidence
// has.
func withoutSources(az *snapshot.Azure) string {
	b, _ := json.Marshal(az)
	var v any
	_ = json.Unmarshal(b, &v)
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "source")
			for k, e := range x {
				x[k] = strip(e)
			}
		case []any:
			for i, e := range x {
				x[i] = strip(e)
			}
		}
		return v
	}
	out, _ := json.MarshalIndent(strip(v), "", " ")
	return string(out)
}

// Live, through the SDK's fakes, the collector reads what the az export
// holds: the two snapshots' Azure sections are equal, where each object
// came from aside.
func TestLiveEqualsEvidence(t *testing.T) {
	s, _ := live(t, space(nil), azure.Options{})
	for _, e := range s.Errors {
		t.Errorf("gap %+v", e)
	}
	ev := collect(t, nil)
	if got, want := withoutSources(s.Azure), withoutSources(ev.Azure); got != want {
		t.Errorf("live:\n%s\nevidence:\n%s", got, want)
	}
}

// Calls do not grow with the control planes that share one identity: one
// cluster read, one identity listing per subscription, one credential
// list, one assignment listing, one deny listing per identity,
// one definition per role, one account listing per subscription.
func TestCallsCounted(t *testing.T) {
	s, r := live(t, space(nil), azure.Options{})
	var st snapshot.CollectorStats
	for _, x := range s.Stats {
		if x.Collector == azure.Name {
			st = x
		}
	}
	// Three control planes share the identity: still seven calls.
	if st.APICalls != 7 || len(r.calls) != 7 {
		t.Errorf("%d calls counted, %d made, want 7: %q", st.APICalls, len(r.calls), r.calls)
	}
}

// A call Azure refuses is a gap naming the call and the permission, and
// the controls that need it are unknown; a throttled call is retried.
func TestFaults(t *testing.T) {
	s, _ := live(t, space(map[string]failure{"assignments": {http.StatusForbidden, "AuthorizationFailed"}}), azure.Options{})
	i := s.Azure.Identities[clientID]
	if i.Assignments || !i.DenyAssignments || len(i.FederatedCredentials) != 2 {
		t.Errorf("identity %+v", i)
	}
	var g *snapshot.CollectionError
	for k, e := range s.Errors {
		if e.Kind == "RoleAssignment" {
			g = &s.Errors[k]
		}
	}
	if g == nil || g.Reason != "forbidden" || !strings.Contains(g.Message, "RoleAssignments.ListForScope") || !strings.Contains(g.Message, "HTTP 403 AuthorizationFailed") {
		t.Errorf("gap %+v in %+v", g, s.Errors)
	}

	s, _ = live(t, space(map[string]failure{"identities": {http.StatusForbidden, "AuthorizationFailed"}}), azure.Options{})
	if len(s.Azure.IdentitiesListed) != 0 {
		t.Error("a refused listing counted as complete")
	}
	if _, ok := s.Azure.Identities[clientID]; ok {
		t.Error("an identity was made up without a listing")
	}
	if !slices.ContainsFunc(s.Errors, func(e snapshot.CollectionError) bool { return e.Kind == "ManagedIdentity" && e.Name == clientID }) {
		t.Errorf("the unproven client ID is not a gap: %+v", s.Errors)
	}

	s, _ = live(t, space(map[string]failure{"cluster": {http.StatusNotFound, "ResourceNotFound"}}), azure.Options{})
	if s.Azure.Cluster != nil || !slices.ContainsFunc(s.Errors, func(e snapshot.CollectionError) bool { return e.Kind == "AKSCluster" && e.Reason == "not-found" }) {
		t.Errorf("cluster %+v, gaps %+v", s.Azure.Cluster, s.Errors)
	}
}

// A throttled listing is retried by the SDK's pipeline within the call's
// time limit, and nothing is lost.
func TestThrottledIsRetried(t *testing.T) {
	s, r := live(t, space(nil), azure.Options{}, "/userAssignedIdentities")
	if len(s.Errors) != 0 || len(s.Azure.IdentitiesListed) != 1 || !s.Azure.Identities[clientID].Found || len(r.calls) != 8 {
		t.Errorf("gaps %+v, listed %v, %d calls", s.Errors, s.Azure.IdentitiesListed, len(r.calls))
	}
}

// Without a subscription nothing is called and the gap says what to pass.
func TestNoSubscription(t *testing.T) {
	s, r := live(t, space(nil), azure.Options{Subscriptions: []string{}})
	if len(r.calls) != 0 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "--azure-subscription") {
		t.Errorf("calls %q, gaps %+v", r.calls, s.Errors)
	}
}

func readFile(rel string) string {
	b, _ := osReadFile(bundle + "/" + rel)
	return string(b)
}
