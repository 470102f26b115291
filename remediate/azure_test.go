package remediate

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"

	"github.com/wiscan/wiscan/report"
	"github.com/wiscan/wiscan/test/azureapi"
)

const (
	azPrincipal  = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
	azBroad      = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/spaces/providers/Microsoft.Authorization/roleAssignments/4e1b5c2d-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
	azSBDC       = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
	azCP2        = "mxp-2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b-system"
	azCredential = azCP2 + "-mxp-controller"
)

// azureSteps plans the shipped Azure Space's cloud steps, the narrowing
// ones allowed.
func azureSteps(t *testing.T) ([]Step, *azureapi.Fakes, Azure) {
	t.Helper()
	findings := []report.Finding{
		failing("WI-AZ-004", "ServiceAccount", azCP2, "mxp-controller", &report.Fix{Action: report.Federate, Kind: "ManagedIdentity", Name: azIdentity, Identity: azIdentity, Issuer: azIssuer, Subjects: []string{sub(azCP2)}, Audience: "api://AzureADTokenExchange"}),
		failing("WI-AZ-006", "ManagedIdentity", "", azIdentity, &report.Fix{Action: report.Unassign, Kind: "ManagedIdentity", Name: azIdentity, Assignment: azBroad, Principal: azPrincipal, Role: azSBDC, Scope: azAccount}),
		failing("WI-AZ-007", "StorageAccount", "", azAccount, &report.Fix{Action: report.DisableSharedKey, Kind: "StorageAccount", Name: azAccount}),
	}
	p := build(report.Report{Findings: findings}, Options{AllowNarrowing: true})
	f := azureapi.Space(nil)
	opts := &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: &azureapi.Route{F: f}}}
	return p.Steps, f, Azure{Credential: azureapi.Credential(), Options: opts}
}

// Each Azure step sends exactly its request, through the SDK's fakes: the
// control plane's own credential, the broad assignment deleted, shared
// keys off; the account-scope assignment the narrowing needs is there
// already (Azure answers RoleAssignmentExists), so it sends none. Applying
// again sends no write.
func TestApplyAzure(t *testing.T) {
	steps, f, a := azureSteps(t)
	appliers := map[string]Applier{"azure": a}
	out := Run(context.Background(), steps, appliers, false, slog.New(slog.DiscardHandler), nil)
	if out.Err != nil {
		t.Fatalf("outcome %+v", out)
	}
	var got []string
	for _, w := range f.Writes() {
		got = append(got, w.Call+" "+w.Target+" "+w.Body)
	}
	want := []string{
		`federatedIdentityCredentials.CreateOrUpdate ` + azCredential + ` {"audiences":["api://AzureADTokenExchange"],"issuer":"` + azIssuer + `","subject":"` + sub(azCP2) + `"}`,
		"roleAssignments.DeleteByID " + azBroad + " ",
		`storageAccounts.Update spacesbackups {"properties":{"allowSharedKeyAccess":false}}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("writes\n got %q\nwant %q", got, want)
	}
	again := Run(context.Background(), steps, appliers, false, slog.New(slog.DiscardHandler), nil)
	if again.Err != nil || len(again.Applied) != 0 || len(f.Writes()) != len(want) {
		t.Errorf("applying again: %+v, %d writes", again, len(f.Writes()))
	}
}

// A credential under the control plane's name that names another subject
// is a change since the scan: found before any write, and not replaced.
func TestApplyAzureCredentialChanged(t *testing.T) {
	steps, f, a := azureSteps(t)
	c, err := armmsi.NewFederatedIdentityCredentialsClient("0b1f6471-1bf0-4dda-aec3-111122223333", a.Credential, a.Options)
	if err != nil {
		t.Fatal(err)
	}
	other := sub("mxp-other-system")
	if _, err := c.CreateOrUpdate(context.Background(), "spaces", "backup-restore-identity", azCredential, armmsi.FederatedIdentityCredential{Properties: &armmsi.FederatedIdentityCredentialProperties{
		Issuer: to.Ptr(azIssuer), Subject: &other, Audiences: []*string{to.Ptr("api://AzureADTokenExchange")}}}, nil); err != nil {
		t.Fatal(err)
	}
	n := len(f.Writes())
	out := Run(context.Background(), steps, map[string]Applier{"azure": a}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || out.Failed.Action != report.Federate || !errors.Is(out.Err, ErrChanged) || len(f.Writes()) != n {
		t.Errorf("outcome %+v, %d writes after %d", out, len(f.Writes()), n)
	}
}

// A permission missing on Azure names the step, the permission and Azure's
// refusal, before anything is written.
func TestApplyAzureForbidden(t *testing.T) {
	steps, f, _ := azureSteps(t)
	route := &azureapi.Route{F: f, Forbid: map[string]string{"/federatedIdentityCredentials/" + azCredential: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"}}
	a := Azure{Credential: azureapi.Credential(), Options: &arm.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: route}}}
	out := Run(context.Background(), steps, map[string]Applier{"azure": a}, false, slog.New(slog.DiscardHandler), nil)
	if out.Failed == nil || out.Failed.Action != report.Federate || len(f.Writes()) != 0 {
		t.Fatalf("outcome %+v, writes %v", out, f.Writes())
	}
	for _, want := range []string{"federatedIdentityCredentials/read", "AuthorizationFailed"} {
		if !strings.Contains(out.Err.Error(), want) {
			t.Errorf("error %q does not say %q", out.Err, want)
		}
	}
}
