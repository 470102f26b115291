package remediate

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage/v2"

	"github.com/wiscan/wiscan/report"
)

// Azure applies Azure steps. Resource Manager gives these objects no
// concurrency token wiscan can hold, so each write is guarded by a name
// derived from what it makes and a read just before: a federated
// credential is named after its control plane, a role assignment after
// its scope, principal and role, so that one already there is found (and
// one of the same name that says something else is a change since the
// scan, left alone).
type Azure struct {
	Credential azcore.TokenCredential
	Options    *arm.ClientOptions
}

// Apply makes one step; a dry run reads and checks only.
func (a Azure) Apply(ctx context.Context, s Step, dryRun bool) (Change, error) {
	switch s.Action {
	case report.Federate:
		return a.federate(ctx, s.Fix, dryRun)
	case report.AssignRole:
		return a.assign(ctx, s.Fix, dryRun)
	case report.Unassign:
		return a.unassign(ctx, s.Fix, dryRun)
	case report.DisableSharedKey:
		return a.sharedKey(ctx, s.Fix, dryRun)
	}
	return Change{}, fmt.Errorf("%w: %s %s", ErrNotApplicable, s.Action, report.Clean(s.Object))
}

// statusOf is an Azure error's HTTP status, 0 for another error.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// federate creates the control plane's own credential unless it is
// there; a credential of that name for another subject is not replaced.
func (a Azure) federate(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	sub, rg, identity, ok := identityParts(f.Identity)
	ns, sa, okSubject := subjectParts(f.Subjects[0])
	if !ok || !okSubject {
		return Change{}, fmt.Errorf("%w: identity %s", ErrNotApplicable, report.Clean(f.Identity))
	}
	c, err := armmsi.NewFederatedIdentityCredentialsClient(sub, a.Credential, a.Options)
	if err != nil {
		return Change{}, err
	}
	name := CredentialName(ns, sa)
	want := armmsi.FederatedIdentityCredentialProperties{Issuer: &f.Issuer, Subject: &f.Subjects[0], Audiences: []*string{&f.Audience}}
	after := "issuer " + f.Issuer + ", subject " + f.Subjects[0] + ", audience " + f.Audience
	cur, err := c.Get(ctx, rg, identity, name, nil)
	switch {
	case err == nil:
		p := cur.Properties
		if p != nil && str(p.Issuer) == f.Issuer && str(p.Subject) == f.Subjects[0] && len(p.Audiences) == 1 && str(p.Audiences[0]) == f.Audience {
			return Change{Before: after, After: after}, nil
		}
		return Change{}, fmt.Errorf("%w: federated credential %s of identity %s says something else", ErrChanged, name, identity)
	case statusOf(err) != http.StatusNotFound:
		return Change{}, fmt.Errorf("get federated credential %s (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read): %w", name, err)
	}
	if !dryRun {
		if _, err := c.CreateOrUpdate(ctx, rg, identity, name, armmsi.FederatedIdentityCredential{Properties: &want}, nil); err != nil {
			return Change{}, fmt.Errorf("create federated credential %s (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write): %w", name, err)
		}
	}
	return Change{Wrote: true, Before: "no credential " + name, After: after}, nil
}

// AssignmentName is the role assignment name wiscan gives an assignment:
// a GUID derived from its scope, principal and role, so that applying
// twice finds the first.
func AssignmentName(scope, principal, role string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(scope + "|" + principal + "|" + role)))
	sum[6] = sum[6]&0x0f | 0x50 // version 5 style
	sum[8] = sum[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// assign creates the role assignment under its derived name; one there
// already, or the same principal and role at the scope under another
// name, needs no write.
func (a Azure) assign(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	sub := scopeSubscription(f.Scope)
	c, err := armauthorization.NewRoleAssignmentsClient(sub, a.Credential, a.Options)
	if err != nil {
		return Change{}, err
	}
	name := AssignmentName(f.Scope, f.Principal, f.Role)
	roleID := "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + f.Role
	after := "role " + f.Role + " to " + f.Principal + " at " + f.Scope
	cur, err := c.Get(ctx, f.Scope, name, nil)
	switch {
	case err == nil:
		if p := cur.Properties; p != nil && strings.EqualFold(str(p.PrincipalID), f.Principal) && strings.HasSuffix(strings.ToLower(str(p.RoleDefinitionID)), strings.ToLower(f.Role)) {
			return Change{Before: after, After: after}, nil
		}
		return Change{}, fmt.Errorf("%w: role assignment %s at %s says something else", ErrChanged, name, f.Scope)
	case statusOf(err) != http.StatusNotFound:
		return Change{}, fmt.Errorf("get role assignment %s (Microsoft.Authorization/roleAssignments/read): %w", name, err)
	}
	if dryRun {
		return Change{Wrote: true, Before: "no assignment " + name, After: after}, nil
	}
	params := armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
		PrincipalID: &f.Principal, RoleDefinitionID: &roleID, PrincipalType: to.Ptr(armauthorization.PrincipalTypeServicePrincipal)}}
	if _, err := c.Create(ctx, f.Scope, name, params, nil); err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.ErrorCode == "RoleAssignmentExists" {
			return Change{Before: after, After: after}, nil
		}
		return Change{}, fmt.Errorf("create role assignment %s (Microsoft.Authorization/roleAssignments/write): %w", name, err)
	}
	return Change{Wrote: true, Before: "no assignment " + name, After: after}, nil
}

// unassign deletes the broad assignment, gone already or not.
func (a Azure) unassign(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	c, err := armauthorization.NewRoleAssignmentsClient(scopeSubscription(f.Assignment), a.Credential, a.Options)
	if err != nil {
		return Change{}, err
	}
	cur, err := c.GetByID(ctx, f.Assignment, nil)
	switch {
	case statusOf(err) == http.StatusNotFound:
		return Change{Before: "absent", After: "absent"}, nil
	case err != nil:
		return Change{}, fmt.Errorf("get role assignment %s (Microsoft.Authorization/roleAssignments/read): %w", report.Clean(f.Assignment), err)
	}
	before := "role " + str(cur.Properties.RoleDefinitionID) + " to " + str(cur.Properties.PrincipalID) + " at " + str(cur.Properties.Scope)
	if !dryRun {
		if _, err := c.DeleteByID(ctx, f.Assignment, nil); err != nil {
			return Change{}, fmt.Errorf("delete role assignment %s (Microsoft.Authorization/roleAssignments/delete): %w", report.Clean(f.Assignment), err)
		}
	}
	return Change{Wrote: true, Before: before, After: "deleted"}, nil
}

// sharedKey turns the account's shared-key access off.
func (a Azure) sharedKey(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	p := strings.Split(f.Name, "/")
	if len(p) != 9 {
		return Change{}, fmt.Errorf("%w: storage account %s", ErrNotApplicable, report.Clean(f.Name))
	}
	sub, rg, name := p[2], p[4], p[8]
	c, err := armstorage.NewAccountsClient(sub, a.Credential, a.Options)
	if err != nil {
		return Change{}, err
	}
	cur, err := c.GetProperties(ctx, rg, name, nil)
	if err != nil {
		return Change{}, fmt.Errorf("get storage account %s (Microsoft.Storage/storageAccounts/read): %w", name, err)
	}
	if cur.Properties != nil && cur.Properties.AllowSharedKeyAccess != nil && !*cur.Properties.AllowSharedKeyAccess {
		return Change{Before: "allowSharedKeyAccess false", After: "allowSharedKeyAccess false"}, nil
	}
	if !dryRun {
		upd := armstorage.AccountUpdateParameters{Properties: &armstorage.AccountPropertiesUpdateParameters{AllowSharedKeyAccess: to.Ptr(false)}}
		if _, err := c.Update(ctx, rg, name, upd, nil); err != nil {
			return Change{}, fmt.Errorf("update storage account %s (Microsoft.Storage/storageAccounts/write): %w", name, err)
		}
	}
	return Change{Wrote: true, Before: "allowSharedKeyAccess not false", After: "allowSharedKeyAccess false"}, nil
}

// scopeSubscription is the subscription an Azure ID or scope is in.
func scopeSubscription(id string) string {
	p := strings.Split(id, "/")
	if i := slices.IndexFunc(p, func(s string) bool { return strings.EqualFold(s, "subscriptions") }); i >= 0 && i+1 < len(p) {
		return p[i+1]
	}
	return ""
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
