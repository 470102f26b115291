package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	container "cloud.google.com/go/container/apiv1"
	"cloud.google.com/go/container/apiv1/containerpb"
	"cloud.google.com/go/iam"
	iamadmin "cloud.google.com/go/iam/admin/apiv1"
	"cloud.google.com/go/iam/admin/apiv1/adminpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wiscan/wiscan/report"
)

// GCP applies GCP steps. IAM policies are read, changed and written back
// with the etag read, so that IAM refuses the write when the policy
// changed in between (ABORTED, or 412 from Cloud Storage): that is a
// change since the scan, and nothing is written.
type GCP struct {
	GKE      *container.ClusterManagerClient
	Admin    *iamadmin.IamClient
	Projects *resourcemanager.ProjectsClient
	Folders  *resourcemanager.FoldersClient
	Orgs     *resourcemanager.OrganizationsClient
	Storage  *storage.Client
}

// Apply makes one step; a dry run reads and checks only.
func (g GCP) Apply(ctx context.Context, s Step, dryRun bool) (Change, error) {
	f := s.Fix
	switch s.Action {
	case report.Bind:
		if f.Kind == "Bucket" {
			return g.bucket(ctx, f.Name, f.Member, f.Role, true, dryRun)
		}
		return g.policy(ctx, "projects/-/serviceAccounts/"+f.Name, "iam.serviceAccounts", f.Member, f.Role, true, dryRun)
	case report.Unbind:
		kind, id, _ := strings.Cut(f.Scope, "/")
		if kind == "buckets" {
			return g.bucket(ctx, id, f.Member, f.Role, false, dryRun)
		}
		return g.policy(ctx, f.Scope, "resourcemanager."+kind, f.Member, f.Role, false, dryRun)
	case report.NodePoolMetadata:
		return g.nodePool(ctx, f, dryRun)
	case report.DeleteKey:
		return g.deleteKey(ctx, f, dryRun)
	}
	return Change{}, fmt.Errorf("%w: %s %s", ErrNotApplicable, s.Action, report.Clean(s.Object))
}

// iamPolicy reads and writes one resource's allow policy.
type iamPolicy interface {
	GetIamPolicy(ctx context.Context, req *iampb.GetIamPolicyRequest, opts ...gax.CallOption) (*iampb.Policy, error)
	SetIamPolicy(ctx context.Context, req *iampb.SetIamPolicyRequest, opts ...gax.CallOption) (*iampb.Policy, error)
}

// policyClient is the client of a resource's allow policy.
func (g GCP) policyClient(resource string) (iamPolicy, error) {
	switch {
	case strings.HasPrefix(resource, "projects/-/serviceAccounts/"):
		return adminPolicy{g.Admin}, nil
	case strings.HasPrefix(resource, "projects/"):
		return g.Projects, nil
	case strings.HasPrefix(resource, "folders/"):
		return g.Folders, nil
	case strings.HasPrefix(resource, "organizations/"):
		return g.Orgs, nil
	}
	return nil, fmt.Errorf("%w: the policy of %s", ErrNotApplicable, report.Clean(resource))
}

// adminPolicy adapts the IAM admin client, whose policy calls differ in
// their request types.
type adminPolicy struct{ c *iamadmin.IamClient }

func (a adminPolicy) GetIamPolicy(ctx context.Context, req *iampb.GetIamPolicyRequest, _ ...gax.CallOption) (*iampb.Policy, error) {
	p, err := a.c.GetIamPolicy(ctx, req)
	if err != nil {
		return nil, err
	}
	return p.InternalProto, nil
}

func (a adminPolicy) SetIamPolicy(ctx context.Context, req *iampb.SetIamPolicyRequest, _ ...gax.CallOption) (*iampb.Policy, error) {
	p, err := a.c.SetIamPolicy(ctx, &iamadmin.SetIamPolicyRequest{Resource: req.GetResource(), Policy: &iam.Policy{InternalProto: req.GetPolicy()}})
	if err != nil {
		return nil, err
	}
	return p.InternalProto, nil
}

// policy adds (add) or removes a member's unconditional role binding in a
// resource's allow policy, guarded by the etag read.
func (g GCP) policy(ctx context.Context, resource, service, member, role string, add, dryRun bool) (Change, error) {
	c, err := g.policyClient(resource)
	if err != nil {
		return Change{}, err
	}
	p, err := c.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: resource, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
	if err != nil {
		return Change{}, fmt.Errorf("read the policy of %s (%s.getIamPolicy): %w", report.Clean(resource), service, err)
	}
	bindings, changed := edit(p.GetBindings(), member, role, add)
	what := "without"
	if add {
		what = "with"
	}
	after := fmt.Sprintf("%s %s %s", what, member, role)
	if !changed {
		return Change{Before: after, After: after}, nil
	}
	if dryRun {
		return Change{Wrote: true, After: after}, nil
	}
	np := &iampb.Policy{Version: p.GetVersion(), Bindings: bindings, Etag: p.GetEtag(), AuditConfigs: p.GetAuditConfigs()}
	if _, err := c.SetIamPolicy(ctx, &iampb.SetIamPolicyRequest{Resource: resource, Policy: np}); err != nil {
		if st, ok := status.FromError(err); ok && (st.Code() == codes.Aborted || st.Code() == codes.FailedPrecondition) {
			return Change{}, fmt.Errorf("%w: the policy of %s changed while it was being written: %w", ErrChanged, report.Clean(resource), err)
		}
		return Change{}, fmt.Errorf("write the policy of %s (%s.setIamPolicy): %w", report.Clean(resource), service, err)
	}
	return Change{Wrote: true, After: after}, nil
}

// edit adds a member to, or removes it from, the unconditional binding of
// role; conditional bindings are left alone.
func edit(in []*iampb.Binding, member, role string, add bool) ([]*iampb.Binding, bool) {
	out := make([]*iampb.Binding, 0, len(in)+1)
	found, changed := false, false
	for _, b := range in {
		if b.GetRole() != role || b.GetCondition() != nil {
			out = append(out, b)
			continue
		}
		found = true
		has := slices.Contains(b.GetMembers(), member)
		switch {
		case add && !has:
			out = append(out, &iampb.Binding{Role: role, Members: append(slices.Clone(b.GetMembers()), member)})
			changed = true
		case !add && has:
			members := slices.DeleteFunc(slices.Clone(b.GetMembers()), func(m string) bool { return m == member })
			changed = true
			if len(members) > 0 {
				out = append(out, &iampb.Binding{Role: role, Members: members})
			}
		default:
			out = append(out, b)
		}
	}
	if add && !found {
		out = append(out, &iampb.Binding{Role: role, Members: []string{member}})
		changed = true
	}
	return out, changed
}

// bucket adds or removes a member's role on a bucket, with the etag read.
func (g GCP) bucket(ctx context.Context, bucket, member, role string, add, dryRun bool) (Change, error) {
	h := g.Storage.Bucket(bucket).IAM().V3()
	p, err := h.Policy(ctx)
	if err != nil {
		return Change{}, fmt.Errorf("read the policy of bucket %s (storage.buckets.getIamPolicy): %w", bucket, err)
	}
	in := make([]*iampb.Binding, len(p.Bindings))
	copy(in, p.Bindings)
	bindings, changed := edit(in, member, role, add)
	after := fmt.Sprintf("bucket %s %s %s %s", bucket, map[bool]string{true: "with", false: "without"}[add], member, role)
	if !changed {
		return Change{Before: after, After: after}, nil
	}
	if dryRun {
		return Change{Wrote: true, After: after}, nil
	}
	p.Bindings = bindings
	if err := h.SetPolicy(ctx, p); err != nil {
		var ge interface{ HTTPCode() int }
		if errors.As(err, &ge) && ge.HTTPCode() == 412 || strings.Contains(err.Error(), "412") {
			return Change{}, fmt.Errorf("%w: the policy of bucket %s changed while it was being written: %w", ErrChanged, bucket, err)
		}
		return Change{}, fmt.Errorf("write the policy of bucket %s (storage.buckets.setIamPolicy): %w", bucket, err)
	}
	return Change{Wrote: true, After: after}, nil
}

// nodePool moves a node pool to the GKE metadata server, unless it is
// there.
func (g GCP) nodePool(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	name := f.Cluster + "/nodePools/" + f.Name
	np, err := g.GKE.GetNodePool(ctx, &containerpb.GetNodePoolRequest{Name: name})
	if err != nil {
		return Change{}, fmt.Errorf("get node pool %s (container.nodePools.get): %w", f.Name, err)
	}
	mode := np.GetConfig().GetWorkloadMetadataConfig().GetMode()
	if mode == containerpb.WorkloadMetadataConfig_GKE_METADATA {
		return Change{Before: mode.String(), After: mode.String()}, nil
	}
	if !dryRun {
		if _, err := g.GKE.UpdateNodePool(ctx, &containerpb.UpdateNodePoolRequest{Name: name,
			WorkloadMetadataConfig: &containerpb.WorkloadMetadataConfig{Mode: containerpb.WorkloadMetadataConfig_GKE_METADATA}}); err != nil {
			return Change{}, fmt.Errorf("update node pool %s (container.nodePools.update): %w", f.Name, err)
		}
	}
	return Change{Wrote: true, Before: mode.String(), After: "GKE_METADATA (GKE recreates the pool's nodes)"}, nil
}

// deleteKey deletes the user-managed key, gone already or not.
func (g GCP) deleteKey(ctx context.Context, f report.Fix, dryRun bool) (Change, error) {
	name := "projects/-/serviceAccounts/" + f.Name + "/keys/" + f.Key
	_, err := g.Admin.GetServiceAccountKey(ctx, &adminpb.GetServiceAccountKeyRequest{Name: name})
	switch {
	case status.Code(err) == codes.NotFound:
		return Change{Before: "absent", After: "absent"}, nil
	case err != nil:
		return Change{}, fmt.Errorf("get key %s (iam.serviceAccountKeys.get): %w", f.Key, err)
	}
	if !dryRun {
		if err := g.Admin.DeleteServiceAccountKey(ctx, &adminpb.DeleteServiceAccountKeyRequest{Name: name}); err != nil {
			return Change{}, fmt.Errorf("delete key %s (iam.serviceAccountKeys.delete): %w", f.Key, err)
		}
	}
	return Change{Wrote: true, Before: "key " + f.Key, After: "deleted"}, nil
}
