package gcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	container "cloud.google.com/go/container/apiv1"
	"cloud.google.com/go/container/apiv1/containerpb"
	iamadmin "cloud.google.com/go/iam/admin/apiv1"
	"cloud.google.com/go/iam/admin/apiv1/adminpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	iamv2 "cloud.google.com/go/iam/apiv2"
	iamv2pb "cloud.google.com/go/iam/apiv2/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/resourcemanager/apiv3/resourcemanagerpb"
	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wiscan/wiscan/collectors"
	"github.com/wiscan/wiscan/snapshot"
)

// Options configure the live GCP collector.
type Options struct {
	// Project is the GKE cluster's project; Location and Cluster name the
	// cluster.
	Project, Location, Cluster string
	// Buckets are the backup buckets (default: those the profiles and
	// backup configurations name).
	Buckets []string
	// Timeout bounds each call, its retries on quota errors included.
	Timeout  time.Duration
	Progress collectors.Progress
	Log      *slog.Logger
	// ClientOptions go to every gRPC client (GKE, IAM, Resource Manager)
	// and StorageOptions to the Cloud Storage client: nil uses Application
	// Default Credentials and Google's endpoints; a test points them at
	// its servers.
	ClientOptions, StorageOptions []option.ClientOption
}

// Collector reads GCP live.
type Collector struct {
	opts  Options
	calls atomic.Int64
}

// New returns a live GCP collector.
func New(opts Options) *Collector {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Collector{opts: opts}
}

// Name implements collectors.Collector.
func (c *Collector) Name() string { return Name }

type clients struct {
	gke      *container.ClusterManagerClient
	admin    *iamadmin.IamClient
	policies *iamv2.PoliciesClient
	projects *resourcemanager.ProjectsClient
	folders  *resourcemanager.FoldersClient
	orgs     *resourcemanager.OrganizationsClient
	storage  *storage.Client
}

func (cl *clients) close() {
	for _, c := range []interface{ Close() error }{cl.gke, cl.admin, cl.policies, cl.projects, cl.folders, cl.orgs, cl.storage} {
		if c != nil {
			_ = c.Close()
		}
	}
}

func (c *Collector) dial(ctx context.Context) (*clients, error) {
	o := c.opts.ClientOptions
	cl := &clients{}
	var err error
	fail := func(what string, e error) (*clients, error) {
		cl.close()
		return nil, fmt.Errorf("GCP %s client: %w", what, e)
	}
	if cl.gke, err = container.NewClusterManagerClient(ctx, o...); err != nil {
		return fail("GKE", err)
	}
	if cl.admin, err = iamadmin.NewIamClient(ctx, o...); err != nil {
		return fail("IAM", err)
	}
	if cl.policies, err = iamv2.NewPoliciesClient(ctx, o...); err != nil {
		return fail("IAM policies", err)
	}
	if cl.projects, err = resourcemanager.NewProjectsClient(ctx, o...); err != nil {
		return fail("Resource Manager", err)
	}
	if cl.folders, err = resourcemanager.NewFoldersClient(ctx, o...); err != nil {
		return fail("Resource Manager", err)
	}
	if cl.orgs, err = resourcemanager.NewOrganizationsClient(ctx, o...); err != nil {
		return fail("Resource Manager", err)
	}
	if cl.storage, err = storage.NewClient(ctx, c.opts.StorageOptions...); err != nil {
		return fail("Cloud Storage", err)
	}
	return cl, nil
}

type run struct {
	c   *Collector
	s   *snapshot.Snapshot
	g   *snapshot.GCP
	cl  *clients
	obj map[string]int
}

// Collect fills the GCP section. Every read that fails is a gap naming
// the call and the permission it needs; a not-found service account is
// proven absent.
func (c *Collector) Collect(ctx context.Context, s *snapshot.Snapshot) error {
	start := time.Now()
	cl, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer cl.close()
	r := &run{c: c, s: s, g: snapshot.NewGCP(), cl: cl, obj: map[string]int{}}
	defer func() {
		s.Stats = append(s.Stats, snapshot.CollectorStats{
			Collector: Name, DurationSeconds: time.Since(start).Seconds(), APICalls: int(c.calls.Load()), Objects: r.obj,
		})
	}()
	s.GCP = r.g
	r.g.Project = c.opts.Project
	if r.g.Project == "" {
		r.g.Project = projectOfAccounts(s)
	}
	steps := []func(context.Context){r.cluster, r.project, r.policies, r.denyPolicies, r.accounts, r.buckets, r.roles}
	for i, step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		step(ctx)
		c.opts.Progress.Report(fmt.Sprintf("GCP: %d/%d reads", i+1, len(steps)))
	}
	return ctx.Err()
}

// projectOfAccounts is the one project the accounts in use belong to.
func projectOfAccounts(s *snapshot.Snapshot) string {
	seen := map[string]bool{}
	for _, e := range Accounts(s) {
		if p := ProjectOfAccount(e); p != "" {
			seen[p] = true
		}
	}
	if len(seen) != 1 {
		return ""
	}
	for p := range seen {
		return p
	}
	return ""
}

// call runs one API call under the call timeout, retrying quota and
// availability errors with backoff until that time is spent.
func (r *run) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, r.c.opts.Timeout)
	defer cancel()
	wait := 200 * time.Millisecond
	for {
		r.c.calls.Add(1)
		err := fn(ctx)
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func retryable(err error) bool {
	switch code(err) {
	case codes.ResourceExhausted, codes.Unavailable:
		return true
	}
	return false
}

// code is an error's gRPC code, with the JSON API's HTTP statuses mapped.
func code(err error) codes.Code {
	var he *googleapi.Error
	if errors.As(err, &he) {
		switch he.Code {
		case 401:
			return codes.Unauthenticated
		case 403:
			return codes.PermissionDenied
		case 404:
			return codes.NotFound
		case 429:
			return codes.ResourceExhausted
		case 500, 502, 503, 504:
			return codes.Unavailable
		}
		return codes.Unknown
	}
	if errors.Is(err, storage.ErrBucketNotExist) {
		return codes.NotFound
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return codes.DeadlineExceeded
	}
	if st, ok := status.FromError(err); ok {
		return st.Code()
	}
	return codes.Unknown
}

// reason is the snapshot's gap reason for an error.
func reason(err error) string {
	switch code(err) {
	case codes.PermissionDenied:
		return "forbidden"
	case codes.Unauthenticated:
		return "unauthorized"
	case codes.NotFound:
		return "not-found"
	case codes.ResourceExhausted:
		return "throttled"
	case codes.DeadlineExceeded:
		return "timeout"
	case codes.Unavailable:
		return "unreachable"
	case codes.Internal, codes.Unknown:
		return "server-error"
	case codes.Canceled:
		return "interrupted"
	}
	return "error"
}

// gap records a failed read: the call, GCP's code, and the permission
// the call needs.
func (r *run) gap(kind, name, call, permission string, err error) {
	msg := fmt.Sprintf("%s: %s (needs %s)", call, code(err), permission)
	if st, ok := status.FromError(err); ok && st.Message() != "" {
		msg = fmt.Sprintf("%s: %s: %s (needs %s)", call, code(err), st.Message(), permission)
	}
	r.c.opts.Log.Warn("GCP read failed", "call", call, "name", name, "reason", reason(err))
	r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: kind, Name: name, Reason: reason(err), Message: msg})
}

func (r *run) cluster(ctx context.Context) {
	o := r.c.opts
	if o.Location == "" || o.Cluster == "" || r.g.Project == "" {
		if Needed(r.s) {
			r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: "GKECluster", Reason: "not-provided",
				Message: "the GKE cluster was not named: pass --gcp-project, --gcp-location and --gcp-cluster, or scan through a gke_<project>_<location>_<cluster> kubeconfig context"})
		}
		return
	}
	name := ClusterName(r.g.Project, o.Location, o.Cluster)
	var cl *containerpb.Cluster
	err := r.call(ctx, func(ctx context.Context) (err error) {
		cl, err = r.cl.gke.GetCluster(ctx, &containerpb.GetClusterRequest{Name: name})
		return err
	})
	if err != nil {
		r.gap("GKECluster", name, "container.projects.locations.clusters.get "+name, "container.clusters.get", err)
		return
	}
	r.obj["GKECluster"]++
	r.g.Cluster = &snapshot.GKECluster{Name: name, WorkloadPool: cl.GetWorkloadIdentityConfig().GetWorkloadPool()}
	r.g.NodePools = map[string]snapshot.NodePool{}
	for _, np := range cl.GetNodePools() {
		mode := ""
		if m := np.GetConfig().GetWorkloadMetadataConfig(); m != nil {
			mode = m.GetMode().String()
		}
		r.g.NodePools[np.GetName()] = snapshot.NodePool{Name: np.GetName(), WorkloadMetadata: mode}
		r.obj["NodePool"]++
	}
}

// project reads the project's number and walks its parents up to the
// organization.
func (r *run) project(ctx context.Context) {
	if r.g.Project == "" {
		if Needed(r.s) {
			r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: "Project", Reason: "not-provided", Message: "the GCP project is not known: pass --gcp-project"})
		}
		return
	}
	var p *resourcemanagerpb.Project
	err := r.call(ctx, func(ctx context.Context) (err error) {
		p, err = r.cl.projects.GetProject(ctx, &resourcemanagerpb.GetProjectRequest{Name: "projects/" + r.g.Project})
		return err
	})
	if err != nil {
		r.gap("Project", r.g.Project, "cloudresourcemanager.projects.get projects/"+r.g.Project, "resourcemanager.projects.get", err)
		return
	}
	r.obj["Project"]++
	r.g.ProjectNumber = strings.TrimPrefix(p.GetName(), "projects/")
	ancestry := []string{}
	parent := p.GetParent()
	for parent != "" && !strings.HasPrefix(parent, "organizations/") {
		if !strings.HasPrefix(parent, "folders/") {
			r.s.AddError(snapshot.CollectionError{Collector: Name, Kind: "Ancestry", Name: r.g.Project, Reason: "error", Message: "a parent that is neither a folder nor an organization: " + parent})
			return
		}
		ancestry = append(ancestry, parent)
		var f *resourcemanagerpb.Folder
		err := r.call(ctx, func(ctx context.Context) (err error) {
			f, err = r.cl.folders.GetFolder(ctx, &resourcemanagerpb.GetFolderRequest{Name: parent})
			return err
		})
		if err != nil {
			r.gap("Ancestry", r.g.Project, "cloudresourcemanager.folders.get "+parent, "resourcemanager.folders.get", err)
			return
		}
		r.obj["Folder"]++
		parent = f.GetParent()
	}
	if parent != "" {
		ancestry = append(ancestry, parent)
	}
	r.g.Ancestry = ancestry
}

// policies reads the allow policies of the project and its ancestors.
func (r *run) policies(ctx context.Context) {
	if r.g.Project == "" {
		return
	}
	for _, res := range append([]string{"projects/" + r.g.Project}, r.g.Ancestry...) {
		kind, _, _ := strings.Cut(res, "/")
		req := &iampb.GetIamPolicyRequest{Resource: res, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}}
		var p *iampb.Policy
		err := r.call(ctx, func(ctx context.Context) (err error) {
			switch kind {
			case "projects":
				p, err = r.cl.projects.GetIamPolicy(ctx, req)
			case "folders":
				p, err = r.cl.folders.GetIamPolicy(ctx, req)
			default:
				p, err = r.cl.orgs.GetIamPolicy(ctx, req)
			}
			return err
		})
		if err != nil {
			perm := map[string]string{"projects": "resourcemanager.projects.getIamPolicy", "folders": "resourcemanager.folders.getIamPolicy", "organizations": "resourcemanager.organizations.getIamPolicy"}[kind]
			r.gap("IAMPolicy", res, "cloudresourcemanager."+kind+".getIamPolicy "+res, perm, err)
			continue
		}
		r.obj["IAMPolicy"]++
		r.g.Policies[res] = fromProto(p)
	}
}

// denyPolicies lists the deny policies attached to the project and its
// ancestors, and reads each with its rules.
func (r *run) denyPolicies(ctx context.Context) {
	if r.g.Project == "" {
		return
	}
	for _, res := range append([]string{"projects/" + r.g.Project}, r.g.Ancestry...) {
		parent := "policies/" + url.PathEscape("cloudresourcemanager.googleapis.com/"+res) + "/denypolicies"
		var names []string
		err := r.call(ctx, func(ctx context.Context) error {
			names = names[:0]
			it := r.cl.policies.ListPolicies(ctx, &iamv2pb.ListPoliciesRequest{Parent: parent})
			for {
				p, err := it.Next()
				if errors.Is(err, iterator.Done) {
					return nil
				}
				if err != nil {
					return err
				}
				names = append(names, p.GetName())
			}
		})
		if err != nil {
			r.gap("DenyPolicy", res, "iam.policies.list "+parent, "iam.denypolicies.list", err)
			continue
		}
		list := []snapshot.DenyPolicy{}
		complete := true
		for _, n := range names {
			var p *iamv2pb.Policy
			err := r.call(ctx, func(ctx context.Context) (err error) {
				p, err = r.cl.policies.GetPolicy(ctx, &iamv2pb.GetPolicyRequest{Name: n})
				return err
			})
			if err != nil {
				r.gap("DenyPolicy", res, "iam.policies.get "+n, "iam.denypolicies.get", err)
				complete = false
				break
			}
			r.obj["DenyPolicy"]++
			list = append(list, denyFromProto(p))
		}
		if complete {
			r.g.DenyPolicies[res] = list
		}
	}
}

// accounts reads each Google service account the targets name once,
// however many control planes share it.
func (r *run) accounts(ctx context.Context) {
	for _, email := range Accounts(r.s) {
		name := "projects/-/serviceAccounts/" + email
		var sa *adminpb.ServiceAccount
		err := r.call(ctx, func(ctx context.Context) (err error) {
			sa, err = r.cl.admin.GetServiceAccount(ctx, &adminpb.GetServiceAccountRequest{Name: name})
			return err
		})
		if code(err) == codes.NotFound {
			r.g.ServiceAccounts[email] = snapshot.GoogleServiceAccount{Email: email, Keys: []snapshot.ServiceAccountKey{}}
			continue
		}
		if err != nil {
			r.gap("GoogleServiceAccount", email, "iam.projects.serviceAccounts.get "+email, "iam.serviceAccounts.get", err)
			continue
		}
		r.obj["GoogleServiceAccount"]++
		a := snapshot.GoogleServiceAccount{Email: email, UniqueID: sa.GetUniqueId(), Project: sa.GetProjectId(), Found: true, Disabled: sa.GetDisabled()}
		var pol *iampb.Policy
		err = r.call(ctx, func(ctx context.Context) error {
			p, err := r.cl.admin.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: name, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
			if err == nil {
				pol = p.InternalProto
			}
			return err
		})
		if err != nil {
			r.gap("IAMPolicy", "serviceAccounts/"+email, "iam.projects.serviceAccounts.getIamPolicy "+email, "iam.serviceAccounts.getIamPolicy", err)
		} else {
			p := fromProto(pol)
			a.Policy = &p
		}
		var keys *adminpb.ListServiceAccountKeysResponse
		err = r.call(ctx, func(ctx context.Context) (err error) {
			keys, err = r.cl.admin.ListServiceAccountKeys(ctx, &adminpb.ListServiceAccountKeysRequest{
				Name: name, KeyTypes: []adminpb.ListServiceAccountKeysRequest_KeyType{adminpb.ListServiceAccountKeysRequest_USER_MANAGED},
			})
			return err
		})
		if err != nil {
			r.gap("ServiceAccountKey", email, "iam.projects.serviceAccounts.keys.list "+email, "iam.serviceAccountKeys.list", err)
		} else {
			a.Keys = []snapshot.ServiceAccountKey{}
			for _, k := range keys.GetKeys() {
				// Only the key's ID and dates: a list never returns key
				// material, and none would be kept if it did.
				_, id, _ := strings.Cut(k.GetName(), "/keys/")
				key := snapshot.ServiceAccountKey{ID: id, Disabled: k.GetDisabled()}
				if t := k.GetValidAfterTime(); t != nil {
					v := t.AsTime().UTC()
					key.ValidAfter = &v
				}
				a.Keys = append(a.Keys, key)
			}
		}
		r.g.ServiceAccounts[email] = a
	}
}

// buckets reads each backup bucket's IAM policy, version 3 (with
// conditions).
func (r *run) buckets(ctx context.Context) {
	buckets := r.c.opts.Buckets
	if len(buckets) == 0 {
		buckets = collectors.BackupBuckets(r.s)
	}
	for _, b := range buckets {
		var p *iampb.Policy
		err := r.call(ctx, func(ctx context.Context) error {
			// The client does not report the policy's version: 0.
			v3, err := r.cl.storage.Bucket(b).IAM().V3().Policy(ctx)
			if err == nil {
				p = &iampb.Policy{Bindings: v3.Bindings}
			}
			return err
		})
		if err != nil {
			r.gap("IAMPolicy", "buckets/"+b, "storage.buckets.getIamPolicy "+b, "storage.buckets.getIamPolicy", err)
			continue
		}
		r.obj["IAMPolicy"]++
		r.g.Policies["buckets/"+b] = fromProto(p)
	}
}

// roles reads the custom roles the policies grant.
func (r *run) roles(ctx context.Context) {
	want := map[string]bool{}
	add := func(p *snapshot.IAMPolicy) {
		if p == nil {
			return
		}
		for _, b := range p.Bindings {
			if !strings.HasPrefix(b.Role, "roles/") && strings.Contains(b.Role, "/roles/") {
				want[b.Role] = true
			}
		}
	}
	for _, p := range r.g.Policies {
		add(&p)
	}
	for _, a := range r.g.ServiceAccounts {
		add(a.Policy)
	}
	for _, name := range slices.Sorted(mapKeys(want)) {
		var role *adminpb.Role
		err := r.call(ctx, func(ctx context.Context) (err error) {
			role, err = r.cl.admin.GetRole(ctx, &adminpb.GetRoleRequest{Name: name})
			return err
		})
		if err != nil {
			r.gap("Role", name, "iam.roles.get "+name, "iam.roles.get", err)
			continue
		}
		r.obj["Role"]++
		r.g.Roles[name] = snapshot.CustomRole{Name: name, Title: role.GetTitle(), Permissions: nonNil(slices.Clone(role.GetIncludedPermissions())), Deleted: role.GetDeleted()}
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func fromProto(p *iampb.Policy) snapshot.IAMPolicy {
	out := snapshot.IAMPolicy{Version: int(p.GetVersion()), Bindings: []snapshot.IAMBinding{}}
	for _, b := range p.GetBindings() {
		ib := snapshot.IAMBinding{Role: b.GetRole(), Members: nonNil(slices.Clone(b.GetMembers()))}
		if c := b.GetCondition(); c != nil {
			ib.Condition = &snapshot.IAMCondition{Title: c.GetTitle(), Description: c.GetDescription(), Expression: c.GetExpression()}
		}
		out.Bindings = append(out.Bindings, ib)
	}
	return out
}

func denyFromProto(p *iamv2pb.Policy) snapshot.DenyPolicy {
	d := snapshot.DenyPolicy{Name: p.GetName(), Rules: []snapshot.DenyRule{}}
	for _, r := range p.GetRules() {
		dr := r.GetDenyRule()
		if dr == nil {
			continue
		}
		rule := snapshot.DenyRule{
			DeniedPrincipals: nonNil(slices.Clone(dr.GetDeniedPrincipals())), ExceptionPrincipals: nonNil(slices.Clone(dr.GetExceptionPrincipals())),
			DeniedPermissions: nonNil(slices.Clone(dr.GetDeniedPermissions())), ExceptionPermissions: nonNil(slices.Clone(dr.GetExceptionPermissions())),
		}
		if c := dr.GetDenialCondition(); c != nil {
			rule.Condition = &snapshot.IAMCondition{Title: c.GetTitle(), Description: c.GetDescription(), Expression: c.GetExpression()}
		}
		d.Rules = append(d.Rules, rule)
	}
	return d
}
