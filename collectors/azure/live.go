package azure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage/v2"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/snapshot"
)

// ErrNoCredentials marks a scan that has no usable Azure identity.
var ErrNoCredentials = errors.New("no usable Azure credentials")

// Options configure the live collector.
type Options struct {
	// Subscriptions are those in scope: the cluster's first, and every one
	// whose identities are listed (absence of a client ID is proven there
	// and only there). Empty: AZURE_SUBSCRIPTION_ID.
	Subscriptions []string
	// ResourceGroup and Cluster name the AKS cluster.
	ResourceGroup, Cluster string
	// StorageAccounts are the backup storage accounts; empty: those the
	// backup configurations name.
	StorageAccounts []string
	// Timeout bounds each call, retries of a throttled one included.
	Timeout time.Duration
	// Credential is the identity wiscan uses; nil is azidentity's default
	// chain (environment, workload identity, managed identity, az login).
	Credential azcore.TokenCredential
	// Transport carries the requests; nil is the SDK's (tests pass the
	// SDK's fakes).
	Transport policy.Transporter
	Progress  collectors.Progress
	Log       *slog.Logger
}

// Collector reads Azure through the resource-manager SDK.
type Collector struct {
	opts  Options
	calls atomic.Int64
	gaps  []snapshot.CollectionError
}

// New returns a live Azure collector.
func New(opts Options) *Collector { return &Collector{opts: opts} }

// Name implements collectors.Collector.
func (c *Collector) Name() string { return Name }

// clients are the SDK clients of one subscription.
type clients struct {
	clusters    *armcontainerservice.ManagedClustersClient
	identities  *armmsi.UserAssignedIdentitiesClient
	credentials *armmsi.FederatedIdentityCredentialsClient
	assignments *armauthorization.RoleAssignmentsClient
	denies      *armauthorization.DenyAssignmentsClient
	definitions *armauthorization.RoleDefinitionsClient
	accounts    *armstorage.AccountsClient
}

// countCalls counts each request the pipeline sends, retries included.
type countCalls struct{ n *atomic.Int64 }

func (p countCalls) Do(req *policy.Request) (*http.Response, error) {
	p.n.Add(1)
	return req.Next()
}

func (c *Collector) clientsFor(sub string, cred azcore.TokenCredential) (*clients, error) {
	o := &arm.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport:        c.opts.Transport,
		PerRetryPolicies: []policy.Policy{countCalls{&c.calls}},
		// 429 and 5xx are retried, with Retry-After honoured, within each
		// call's time limit.
		Retry: policy.RetryOptions{MaxRetries: 4, MaxRetryDelay: c.timeout() / 2},
	}}
	var cl clients
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	var err error
	cl.clusters, err = armcontainerservice.NewManagedClustersClient(sub, cred, o)
	add(err)
	cl.identities, err = armmsi.NewUserAssignedIdentitiesClient(sub, cred, o)
	add(err)
	cl.credentials, err = armmsi.NewFederatedIdentityCredentialsClient(sub, cred, o)
	add(err)
	cl.assignments, err = armauthorization.NewRoleAssignmentsClient(sub, cred, o)
	add(err)
	cl.denies, err = armauthorization.NewDenyAssignmentsClient(sub, cred, o)
	add(err)
	cl.definitions, err = armauthorization.NewRoleDefinitionsClient(cred, o)
	add(err)
	cl.accounts, err = armstorage.NewAccountsClient(sub, cred, o)
	add(err)
	return &cl, errors.Join(errs...)
}

func (c *Collector) timeout() time.Duration {
	if c.opts.Timeout <= 0 {
		return 30 * time.Second
	}
	return c.opts.Timeout
}

func (c *Collector) log() *slog.Logger {
	if c.opts.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.opts.Log
}

// Collect implements collectors.Collector: it reads the cluster, the
// identities of the subscriptions in scope, and for each identity a
// target names its federated credentials, role assignments (with its
// groups'), deny assignments and the definitions of its roles, then the
// backup storage accounts. A call that fails is a gap naming the call; the
// controls that need it are unknown.
func (c *Collector) Collect(ctx context.Context, s *snapshot.Snapshot) error {
	start := time.Now()
	az := snapshot.NewAzure()
	s.Azure = az
	defer func() {
		for _, g := range c.gaps {
			s.AddError(g)
		}
		s.Stats = append(s.Stats, snapshot.CollectorStats{Collector: Name, DurationSeconds: time.Since(start).Seconds(), APICalls: int(c.calls.Load()),
			Objects: map[string]int{"ManagedIdentity": len(az.Identities), "RoleAssignment": len(az.RoleAssignments), "RoleDefinition": len(az.RoleDefinitions)}})
	}()
	subs := slices.Clone(c.opts.Subscriptions)
	if len(subs) == 0 {
		c.gap("Subscription", "", "not-provided", "no subscription is named: pass --azure-subscription (or set AZURE_SUBSCRIPTION_ID)")
		return nil
	}
	cred := c.opts.Credential
	if cred == nil {
		dc, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNoCredentials, err)
		}
		cred = dc
	}
	az.Subscriptions = lower(subs)
	per := map[string]*clients{}
	for _, sub := range az.Subscriptions {
		cl, err := c.clientsFor(sub, cred)
		if err != nil {
			return fmt.Errorf("azure clients: %w", err)
		}
		per[sub] = cl
	}
	first := per[az.Subscriptions[0]]
	c.cluster(ctx, first, az)
	for _, sub := range az.Subscriptions {
		if c.listIdentities(ctx, per[sub], sub, az) {
			az.IdentitiesListed = append(az.IdentitiesListed, sub)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	definitions := map[string]bool{}
	for _, client := range clientIDs(s) {
		i, ok := az.Identities[client]
		switch {
		case !ok && len(az.IdentitiesListed) == len(az.Subscriptions):
			az.Identities[client] = snapshot.ManagedIdentity{ClientID: client, Found: false}
			continue
		case !ok:
			c.gap("ManagedIdentity", client, "not-provided", "no identity with this client ID was read, and not every subscription in scope could be listed")
			continue
		}
		cl := per[subscription(i.ID)]
		if cl == nil {
			cl = first
		}
		c.identity(ctx, cl, &i, az, definitions)
		az.Identities[client] = i
		c.opts.Progress.Report("read Azure identity " + i.Name)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	for _, id := range sortedKeys(definitions) {
		c.definition(ctx, first, id, az)
	}
	c.storage(ctx, per, s, az)
	return ctx.Err()
}

// call bounds one call by the timeout.
func (c *Collector) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout())
}

func (c *Collector) cluster(ctx context.Context, cl *clients, az *snapshot.Azure) {
	if c.opts.Cluster == "" || c.opts.ResourceGroup == "" {
		c.gap("AKSCluster", "", "not-provided", "the AKS cluster is not named: pass --azure-resource-group and --azure-cluster")
		return
	}
	cctx, cancel := c.call(ctx)
	defer cancel()
	r, err := cl.clusters.Get(cctx, c.opts.ResourceGroup, c.opts.Cluster, nil)
	if err != nil {
		c.callGap("AKSCluster", c.opts.Cluster, "ManagedClusters.Get", err)
		return
	}
	out := snapshot.AKSCluster{ID: deref(r.ID), Name: deref(r.Name)}
	if p := r.Properties; p != nil {
		if o := p.OidcIssuerProfile; o != nil {
			out.OIDCIssuerEnabled, out.OIDCIssuer = o.Enabled, deref(o.IssuerURL)
		}
		if sp := p.SecurityProfile; sp != nil && sp.WorkloadIdentity != nil {
			out.WorkloadIdentityEnabled = sp.WorkloadIdentity.Enabled
		}
	}
	az.Cluster = &out
}

// listIdentities lists every user-assigned identity of a subscription;
// it reports whether the listing is complete.
func (c *Collector) listIdentities(ctx context.Context, cl *clients, sub string, az *snapshot.Azure) bool {
	pager := cl.identities.NewListBySubscriptionPager(nil)
	if err := pages(ctx, c, pager, func(page armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse) {
		for _, v := range page.Value {
			i := snapshot.ManagedIdentity{ID: deref(v.ID), Name: deref(v.Name), Found: true}
			if p := v.Properties; p != nil {
				i.ClientID, i.PrincipalID, i.TenantID = deref(p.ClientID), deref(p.PrincipalID), deref(p.TenantID)
			}
			az.Identities[strings.ToLower(i.ClientID)] = i
		}
	}); err != nil {
		c.callGap("ManagedIdentity", "", "UserAssignedIdentities.ListBySubscription "+sub, err)
		return false
	}
	return true
}

// identity reads one identity's federated credentials, role assignments
// (assignedTo: its own and its groups', at every scope) and deny
// assignments, and notes the role definitions to read.
func (c *Collector) identity(ctx context.Context, cl *clients, i *snapshot.ManagedIdentity, az *snapshot.Azure, definitions map[string]bool) {
	rg := resourceGroup(i.ID)
	creds := []snapshot.FederatedCredential{}
	pager := cl.credentials.NewListPager(rg, i.Name, nil)
	if err := pages(ctx, c, pager, func(page armmsi.FederatedIdentityCredentialsClientListResponse) {
		for _, v := range page.Value {
			fc := snapshot.FederatedCredential{Name: deref(v.Name), Audiences: []string{}}
			if p := v.Properties; p != nil {
				fc.Issuer, fc.Subject = deref(p.Issuer), deref(p.Subject)
				for _, a := range p.Audiences {
					fc.Audiences = append(fc.Audiences, deref(a))
				}
			}
			creds = append(creds, fc)
		}
	}); err != nil {
		c.callGap("FederatedIdentityCredential", i.Name, "FederatedIdentityCredentials.List "+i.Name, err)
		creds = nil
	}
	i.FederatedCredentials = creds
	scope := "/subscriptions/" + subscription(i.ID)
	i.Assignments = c.assignments(ctx, cl, scope, i, az, definitions)
	i.DenyAssignments = c.denyAssignments(ctx, cl, scope, i, az)
}

func (c *Collector) assignments(ctx context.Context, cl *clients, scope string, i *snapshot.ManagedIdentity, az *snapshot.Azure, definitions map[string]bool) bool {
	filter := fmt.Sprintf("assignedTo('%s')", i.PrincipalID)
	pager := cl.assignments.NewListForScopePager(scope, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: &filter})
	if err := pages(ctx, c, pager, func(page armauthorization.RoleAssignmentsClientListForScopeResponse) {
		for _, v := range page.Value {
			ra := snapshot.RoleAssignment{ID: deref(v.ID)}
			if p := v.Properties; p != nil {
				ra.Scope, ra.RoleDefinitionID, ra.PrincipalID = deref(p.Scope), deref(p.RoleDefinitionID), deref(p.PrincipalID)
				ra.Condition, ra.ConditionVersion = deref(p.Condition), deref(p.ConditionVersion)
				if p.PrincipalType != nil {
					ra.PrincipalType = string(*p.PrincipalType)
				}
			}
			if !slices.ContainsFunc(az.RoleAssignments, func(x snapshot.RoleAssignment) bool { return strings.EqualFold(x.ID, ra.ID) }) {
				az.RoleAssignments = append(az.RoleAssignments, ra)
			}
			definitions[ra.RoleDefinitionID] = true
		}
	}); err != nil {
		c.callGap("RoleAssignment", i.Name, "RoleAssignments.ListForScope assignedTo "+i.Name, err)
		return false
	}
	return true
}

func (c *Collector) denyAssignments(ctx context.Context, cl *clients, scope string, i *snapshot.ManagedIdentity, az *snapshot.Azure) bool {
	filter := fmt.Sprintf("principalId eq '%s'", i.PrincipalID)
	pager := cl.denies.NewListForScopePager(scope, &armauthorization.DenyAssignmentsClientListForScopeOptions{Filter: &filter})
	if err := pages(ctx, c, pager, func(page armauthorization.DenyAssignmentsClientListForScopeResponse) {
		for _, v := range page.Value {
			d := snapshot.DenyAssignment{ID: deref(v.ID), Principals: []string{}, ExcludePrincipals: []string{}}
			if p := v.Properties; p != nil {
				d.Name, d.Scope, d.DoNotApplyToChildScopes = deref(p.DenyAssignmentName), deref(p.Scope), derefBool(p.DoNotApplyToChildScopes)
				for _, pm := range p.Permissions {
					d.Permissions = append(d.Permissions, snapshot.RolePermission{Actions: strs2(pm.Actions), NotActions: strs2(pm.NotActions),
						DataActions: strs2(pm.DataActions), NotDataActions: strs2(pm.NotDataActions)})
				}
				for _, pr := range p.Principals {
					d.Principals = append(d.Principals, deref(pr.ID))
				}
				for _, pr := range p.ExcludePrincipals {
					d.ExcludePrincipals = append(d.ExcludePrincipals, deref(pr.ID))
				}
			}
			if !slices.ContainsFunc(az.DenyAssignments, func(x snapshot.DenyAssignment) bool { return strings.EqualFold(x.ID, d.ID) }) {
				az.DenyAssignments = append(az.DenyAssignments, d)
			}
		}
	}); err != nil {
		c.callGap("DenyAssignment", i.Name, "DenyAssignments.ListForScope principalId "+i.Name, err)
		return false
	}
	return true
}

// definition reads one role definition by ID, once however many
// assignments name it.
func (c *Collector) definition(ctx context.Context, cl *clients, id string, az *snapshot.Azure) {
	cctx, cancel := c.call(ctx)
	defer cancel()
	r, err := cl.definitions.GetByID(cctx, id, nil)
	if err != nil {
		c.callGap("RoleDefinition", id, "RoleDefinitions.GetByID", err)
		return
	}
	d := snapshot.RoleDefinition{ID: deref(r.ID)}
	if p := r.Properties; p != nil {
		d.Name, d.Type = deref(p.RoleName), deref(p.RoleType)
		for _, pm := range p.Permissions {
			d.Permissions = append(d.Permissions, snapshot.RolePermission{Actions: strs2(pm.Actions), NotActions: strs2(pm.NotActions),
				DataActions: strs2(pm.DataActions), NotDataActions: strs2(pm.NotDataActions)})
		}
	}
	az.RoleDefinitions[strings.ToLower(id[strings.LastIndex(id, "/")+1:])] = d
}

// storage lists each subscription's storage accounts once and keeps the
// backup ones.
func (c *Collector) storage(ctx context.Context, per map[string]*clients, s *snapshot.Snapshot, az *snapshot.Azure) {
	want := c.opts.StorageAccounts
	if len(want) == 0 {
		want = storageAccounts(s)
	}
	if len(want) == 0 {
		return
	}
	for _, sub := range az.Subscriptions {
		pager := per[sub].accounts.NewListPager(nil)
		if err := pages(ctx, c, pager, func(page armstorage.AccountsClientListResponse) {
			for _, v := range page.Value {
				name := deref(v.Name)
				if !slices.Contains(want, name) {
					continue
				}
				acc := snapshot.StorageAccount{ID: deref(v.ID), Name: name}
				if v.Properties != nil {
					acc.AllowSharedKeyAccess = v.Properties.AllowSharedKeyAccess
				}
				az.StorageAccounts[name] = acc
			}
		}); err != nil {
			c.callGap("StorageAccount", "", "StorageAccounts.List "+sub, err)
		}
	}
}

// storageAccounts are the accounts the Azure backup configurations name.
func storageAccounts(s *snapshot.Snapshot) []string {
	seen := map[string]bool{}
	sp := s.Kubernetes.Spaces
	for _, bc := range append(slices.Clone(sp.SharedBackupConfigs), sp.SpaceBackupConfigs...) {
		if !strings.EqualFold(bc.Provider, "azure") {
			continue
		}
		for _, k := range []string{"storage_account", "storageAccount"} {
			if v := strings.TrimSpace(bc.Config[k]); v != "" {
				seen[v] = true
			}
		}
	}
	return sortedKeys(seen)
}

func (c *Collector) gap(kind, name, reason, msg string) {
	c.log().Warn("azure gap", "kind", kind, "reason", reason)
	c.gaps = append(c.gaps, snapshot.CollectionError{Collector: Name, Kind: kind, Name: name, Reason: reason, Message: msg})
}

// missingAction is the permission an authorization failure names.
var missingAction = regexp.MustCompile(`perform action '([^']+)'`)

// callGap records a failed call: the call, the reason, and for an
// authorization failure the permission it lacks.
func (c *Collector) callGap(kind, name, call string, err error) {
	var re *azcore.ResponseError
	reason, msg := "error", call+": "+err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		reason, msg = "timeout", call+": no answer within the time limit"
	case errors.Is(err, context.Canceled):
		reason, msg = "interrupted", call+": interrupted"
	case errors.As(err, &re):
		reason = statusReason(re.StatusCode)
		msg = fmt.Sprintf("%s: HTTP %d %s", call, re.StatusCode, re.ErrorCode)
		if m := missingAction.FindStringSubmatch(err.Error()); m != nil {
			msg += ": wiscan needs " + m[1]
		}
	}
	c.gap(kind, name, reason, msg)
}

func statusReason(code int) string {
	switch {
	case code == http.StatusUnauthorized:
		return "unauthorized"
	case code == http.StatusForbidden:
		return "forbidden"
	case code == http.StatusNotFound:
		return "not-found"
	case code == http.StatusTooManyRequests:
		return "throttled"
	case code >= 500:
		return "server-error"
	}
	return "error"
}

// resourceGroup is the resource group of a resource ID.
func resourceGroup(id string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") {
			return parts[i+1]
		}
	}
	return ""
}

func lower(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

func strs2(l []*string) []string {
	out := make([]string, 0, len(l))
	for _, s := range l {
		out = append(out, deref(s))
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }

// pages reads every page of a pager, each within the call's time limit,
// and hands each to each; it stops at the first error.
func pages[T any](ctx context.Context, c *Collector, p *runtime.Pager[T], each func(T)) error {
	for p.More() {
		cctx, cancel := c.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return err
		}
		each(page)
	}
	return nil
}
